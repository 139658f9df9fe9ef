import { apiBase, json, route } from "@/lib/api/http";
import { openApiDocument } from "@/lib/openapi/document";

/** The OpenAPI 3.1 description of the API, generated from the handlers' Zod schemas. Public. */
export const GET = route(async (req) => json(openApiDocument(apiBase(req)), 200, { "cache-control": "public, max-age=300" }));
