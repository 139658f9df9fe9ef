import type { z } from "zod";
import { ApiError, invalidData } from "@/lib/api/errors";
import { mediaType, readJson } from "@/lib/api/http";
import { toFieldProblems } from "@/lib/users/schema";

/** An application/json body parsed by `schema`; problems are INVALID_DATA details, one per problem. */
export async function readJsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the body as application/json.");
  const parsed = schema.safeParse(await readJson(req), { reportInput: true });
  if (!parsed.success) throw invalidData(toFieldProblems(parsed.error));
  return parsed.data;
}
