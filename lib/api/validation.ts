import type { z } from "zod";
import { invalidData, type DetailCode } from "./errors";

/**
 * Zod issues as PingOne details (spec 7), for every schema of the API: one per problem, target =
 * the attribute path. Refinements carry their detail code in `params.code`; the code of other
 * issues is derived here, from issues parsed with `{ reportInput: true }` (parseWithProblems) so that a
 * missing attribute is told apart (REQUIRED_VALUE); the input itself is never put into a problem.
 */
export type FieldProblem = { target: string; code: DetailCode; message: string };

export function toFieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => {
    const params = (issue as { params?: { code?: DetailCode } }).params;
    let code: DetailCode = params?.code ?? "INVALID_VALUE";
    if (!params?.code && issue.code === "invalid_type" && "input" in issue && issue.input === undefined) code = "REQUIRED_VALUE";
    if (!params?.code && issue.code === "too_big") code = "SIZE_LIMIT_EXCEEDED";
    if (!params?.code && issue.code === "too_small") code = "EMPTY_VALUE";
    let target = issue.path.length ? issue.path.map(String).join(".") : "body";
    // PingOne names the attribute a client must send: population.id, not its wrapper object.
    if (target === "population" && code === "REQUIRED_VALUE") target = "population.id";
    const message = issue.path.length === 0 && issue.code === "invalid_type" ? "The body must be a JSON object." : issue.message;
    return { target, code, message };
  });
}

/**
 * `body` parsed by `schema`, or its problems. A valid body is parsed once without
 * `reportInput` (about a fifth cheaper: Zod then keeps no input for issues, which a bulk job's
 * million valid rows never need); only a body that fails is parsed again with it, for
 * toFieldProblems. The schemas are pure, so the second parse finds the same issues.
 */
export function parseWithProblems<S extends z.ZodType>(schema: S, body: unknown): { success: true; data: z.output<S> } | { success: false; problems: FieldProblem[] } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { success: true, data: parsed.data };
  const reported = schema.safeParse(body, { reportInput: true });
  return { success: false, problems: toFieldProblems(reported.error ?? parsed.error) };
}

/** `body` parsed by `schema`, or 400 INVALID_DATA with one detail per problem. */
export function parseOrInvalid<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = parseWithProblems(schema, body);
  if (!parsed.success) throw invalidData(parsed.problems);
  return parsed.data;
}
