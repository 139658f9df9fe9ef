import "server-only";
import type { z } from "zod";
import { ApiError } from "./errors";
import { mediaType, readJson } from "./http";
import { parseOrInvalid } from "./validation";

/** An application/json body parsed by `schema`; problems are INVALID_DATA details, one per problem. */
export async function readJsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the body as application/json.");
  return parseOrInvalid(schema, await readJson(req));
}
