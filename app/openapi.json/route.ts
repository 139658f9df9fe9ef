import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { openApiDocument } from "@/lib/openapi/document";

/**
 * The OpenAPI 3.1 description of the API, generated from the handlers' Zod schemas. Public.
 * Its server is the origin itself: the token endpoint and the probes are not under /v1.
 */
export const GET = route(async (req) => json(openApiDocument(apiBase(req).replace(/\/v1$/, "")), 200, { "cache-control": "public, max-age=300" }));

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });
