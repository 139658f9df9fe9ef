import type { z } from "zod";
import { userImportSchema } from "./schema";

/**
 * Every attribute a user body can carry, as a dotted path with the kind of value it holds,
 * derived by walking the import schema's shape, so that the bulk CSV reader (which cells are
 * booleans), the wizard's column choices and the column guesser cannot drift from what an
 * import accepts. Browser-safe.
 */
export type UserAttribute = {
  path: string;
  kind: "string" | "boolean";
  /** The allowed values of an enumerated attribute (lifecycle.status). */
  values?: readonly string[];
};

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; entries?: Record<string, string> };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional, nullable and pipe wrappers (a pipe is described by its input). */
function core(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = defOf(s);
    const inner = def.type === "optional" || def.type === "nullable" ? def.innerType : def.type === "pipe" ? def.in : undefined;
    if (!inner) return s;
    s = inner;
  }
}

function walk(shape: Record<string, z.ZodType>, prefix: string, out: UserAttribute[]): void {
  for (const [key, field] of Object.entries(shape)) {
    const schema = core(field);
    const def = defOf(schema);
    const path = prefix + key;
    if (def.type === "object") walk(def.shape!, `${path}.`, out);
    else if (def.type === "boolean") out.push({ path, kind: "boolean" });
    else if (def.type === "enum") out.push({ path, kind: "string", values: Object.values(def.entries!) });
    else if (def.type === "string") out.push({ path, kind: "string" });
    // Records (a gateway user's correlation attributes) have no fixed keys to list; a CSV header
    // may still name `password.external.gateway.correlationAttributes.<name>`.
  }
}

function attributesOf(schema: z.ZodObject): UserAttribute[] {
  const out: UserAttribute[] = [];
  walk(schema.shape as Record<string, z.ZodType>, "", out);
  return out;
}

export const USER_ATTRIBUTES: readonly UserAttribute[] = attributesOf(userImportSchema);

export const USER_ATTRIBUTE_PATHS: readonly string[] = USER_ATTRIBUTES.map((a) => a.path);

export const BOOLEAN_ATTRIBUTE_PATHS: ReadonlySet<string> = new Set(USER_ATTRIBUTES.filter((a) => a.kind === "boolean").map((a) => a.path));
