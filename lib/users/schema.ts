import { z } from "zod";
import { LIFECYCLE_STATUSES } from "@/db/enums";
import type { DetailCode } from "@/lib/api/errors";
import { UUID_RE } from "@/lib/ids";
import { classifyPassword } from "@/lib/passwords/classify";

/**
 * The one schema of a user body (spec 2.1). Imported by the route handler, the console form
 * (through zodResolver), its server action and the bulk row validator. Plain create and import
 * are derived from one base so that a rule is written once.
 *
 * Refinements carry a PingOne detail code in `params.code`; toFieldProblems (lib/api/validation)
 * derives the code of the other issues. Messages never echo the value sent (it may be a password).
 * Browser-safe: the console form validates with it as you type.
 */

/** Whether the string holds at most `max` code points; counted only when its UTF-16 length is over (a code point is one or two units). */
const atMost = (s: string, max: number) => s.length <= max || [...s].length <= max;
// Letters, marks, spaces, symbols, digits and punctuation: no control or format characters.
const USERNAME_CHARS = /^[\p{L}\p{M}\p{Zs}\p{S}\p{N}\p{P}]+$/u;

// Zod keeps only the message of an error map's answer, not its params: toFieldProblems tells
// REQUIRED_VALUE from INVALID_VALUE by the issue's input instead.
function typeError(expected: string) {
  return (iss: { input?: unknown }) => (iss.input === undefined ? "A value is required." : `Must be ${expected}.`);
}

// PostgreSQL text and jsonb cannot hold U+0000 or an unpaired surrogate: such a string is the
// caller's mistake (400), not a database failure (500).
const storable = (s: string) => !s.includes("\u0000") && s.isWellFormed();
const NOT_STORABLE = {
  message: "Must not contain NUL characters or unpaired UTF-16 surrogates.",
  params: { code: "INVALID_VALUE" satisfies DetailCode },
  abort: true,
};

/** A bounded string attribute; `null` is accepted and means "not set". */
function text(max: number) {
  return z
    .string({ error: typeError("a string") })
    .refine((s) => atMost(s, max), {
      message: `Must be at most ${max} characters.`,
      params: { code: "SIZE_LIMIT_EXCEEDED" },
      abort: true,
    })
    .refine(storable, NOT_STORABLE)
    .nullish();
}

const bool = () => z.boolean({ error: typeError("true or false") }).nullish();

const uuidRef = z
  .string({ error: typeError("a UUID string") })
  .regex(UUID_RE, { message: "Must be a UUID." });

const object = <T extends z.ZodRawShape>(shape: T) => z.object(shape, { error: typeError("an object") });

export const usernameSchema = z
  .string({ error: typeError("a string") })
  .refine((s) => s.trim().length > 0, { message: "The username must not be empty.", params: { code: "EMPTY_VALUE" }, abort: true })
  .refine((s) => atMost(s, 128), { message: "The username must be at most 128 characters.", params: { code: "SIZE_LIMIT_EXCEEDED" }, abort: true })
  .refine((s) => USERNAME_CHARS.test(s), {
    message: "The username may hold letters, marks, spaces, symbols, digits and punctuation only: no control characters.",
    params: { code: "INVALID_VALUE" },
  });

export const emailSchema = z
  .string({ error: typeError("a string") })
  .refine((s) => atMost(s, 256), { message: "The email must be at most 256 characters.", params: { code: "SIZE_LIMIT_EXCEEDED" }, abort: true })
  .pipe(z.email({ message: "Must be a valid email address." }));

export const passwordValueSchema = z
  .string({ error: typeError("a string") })
  .refine((s) => s.length > 0, { message: "The password must not be empty.", params: { code: "EMPTY_VALUE" }, abort: true })
  .refine((s) => s.length <= 4096, { message: "The password value is too long.", params: { code: "SIZE_LIMIT_EXCEEDED" }, abort: true })
  .refine(storable, NOT_STORABLE)
  .superRefine((s, ctx) => {
    const c = classifyPassword(s);
    if (c.kind === "invalid") ctx.addIssue({ code: "custom", message: c.message, params: { code: "INVALID_VALUE" } });
  });

const nameSchema = object({
  given: text(256),
  family: text(256),
  middle: text(256),
  formatted: text(256),
  honorificPrefix: text(256),
  honorificSuffix: text(256),
});

const addressSchema = object({
  streetAddress: text(256),
  locality: text(256),
  region: text(256),
  postalCode: text(40),
  countryCode: z
    .string({ error: typeError("a string") })
    .regex(/^[A-Z]{2}$/, { message: "Must be a two-letter country code in capitals (ISO 3166-1 alpha-2)." })
    .nullish(),
});

export const externalGatewaySchema = object({
  id: uuidRef,
  userType: object({ id: uuidRef }),
  correlationAttributes: z
    .record(
      z.string().refine(storable, NOT_STORABLE),
      z.string({ error: typeError("a string") }).max(1024, { message: "Must be at most 1024 characters." }).refine(storable, NOT_STORABLE),
      { error: typeError("an object of strings") },
    )
    .nullish(),
});

/** The profile attributes kept in the user's profile document, in the order the resource lists them. */
export const PROFILE_FIELDS = [
  "name", "nickname", "title", "locale", "preferredLanguage", "timezone", "externalId",
  "primaryPhone", "mobilePhone", "address", "photo",
] as const;

const baseShape = {
  username: usernameSchema,
  email: emailSchema.nullish(),
  population: object({ id: uuidRef }),
  emailVerified: bool(),
  mfaEnabled: bool(),
  enabled: bool(),
  identityProvider: object({ id: uuidRef.nullish() }).nullish(),
  name: nameSchema.nullish(),
  nickname: text(256),
  title: text(256),
  locale: text(256),
  preferredLanguage: text(256),
  timezone: text(256),
  externalId: text(1024),
  primaryPhone: text(32),
  mobilePhone: text(32),
  address: addressSchema.nullish(),
  photo: object({ href: text(256) }).nullish(),
};

const importOnlyShape = {
  password: object({
    value: passwordValueSchema.nullish(),
    forceChange: bool(),
    external: object({ gateway: externalGatewaySchema }).nullish(),
  }).nullish(),
  lifecycle: object({
    status: z
      .enum(LIFECYCLE_STATUSES, { error: () => `Must be ${LIFECYCLE_STATUSES.join(" or ")}.` })
      .nullish(),
    suppressVerificationCode: bool(),
  }).nullish(),
};

/** Rules across attributes of an import body. */
function importRules(u: z.output<ReturnType<typeof object<typeof importShape>>>, ctx: z.RefinementCtx): void {
  if (
    u.lifecycle?.status === "VERIFICATION_REQUIRED" &&
    u.lifecycle.suppressVerificationCode !== true &&
    (u.email === undefined || u.email === null)
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["email"],
      message: "An email is required when lifecycle.status is VERIFICATION_REQUIRED and the verification code is not suppressed.",
      params: { code: "REQUIRED_VALUE" },
    });
  }
  if (u.password?.value != null && u.password.external?.gateway) {
    ctx.addIssue({
      code: "custom",
      path: ["password", "external", "gateway"],
      message: "Send either password.value or password.external.gateway, not both.",
      params: { code: "INVALID_VALUE" },
    });
  }
}

const importShape = { ...baseShape, ...importOnlyShape };

/** Create User (Import): the full body. */
export const userImportSchema = object(importShape).superRefine(importRules);

const createShape = {
  ...baseShape,
  population: object({ id: uuidRef }).nullish(),
  emailVerified: z.literal(false, { error: () => "emailVerified can be true only on import." }).nullish(),
  // Optional, so that leaving them out is fine; any value sent, null included, is refused.
  password: z
    .undefined({ error: () => "A password can be set only with the import content type (application/vnd.pingidentity.user.import+json)." })
    .optional(),
  lifecycle: z
    .undefined({ error: () => "lifecycle can be set only with the import content type (application/vnd.pingidentity.user.import+json)." })
    .optional(),
};

/**
 * Plain Create User (application/json): no password, no lifecycle, email not verified;
 * population optional (the default population).
 */
export const userCreateSchema = object(createShape);

/**
 * The schema of one body, made of the attributes the body holds and those the schema requires:
 * it answers exactly as the whole schema (the same output, the same issues in the same order),
 * since an optional attribute the body does not hold contributes nothing to either (`key in
 * body`, as Zod tells presence). Zod visits every attribute of a schema for every body, held or
 * not, with a result object of its own: a bulk row holds 5 of the import's 20, and those 15
 * visits were a quarter of its parse (and of the garbage it left). One schema per set of
 * attributes held, made once and kept: the 64 sets used last (making one costs about as much
 * as parsing a few bodies, so a caller cycling through many sets gains nothing from it).
 */
const MADE_MAX = 64;

function perBody<T extends z.ZodType>(shape: Record<string, z.ZodType>, build: (shape: Record<string, z.ZodType>) => T, whole: T): (body: object) => T {
  const keys = Object.keys(shape);
  // An attribute that may be left out and then contributes nothing: its schema takes undefined and gives undefined back.
  const optional = keys.map((k) => {
    const absent = shape[k]!.safeParse(undefined);
    return absent.success && absent.data === undefined;
  });
  if (keys.length > 30) return () => whole;
  const made = new Map<number, T>();
  return (body) => {
    let held = 0;
    for (let i = 0; i < keys.length; i++) if (!optional[i] || keys[i]! in body) held |= 1 << i;
    let schema = made.get(held);
    if (schema) {
      // Most recently used last: the set a running bulk job's rows hold is never the one let go.
      made.delete(held);
    } else {
      if (made.size >= MADE_MAX) made.delete(made.keys().next().value!);
      schema = build(Object.fromEntries(keys.flatMap((k, i) => (held & (1 << i) ? [[k, shape[k]!]] : []))));
    }
    made.set(held, schema);
    return schema;
  };
}

/** userImportSchema for this body (perBody): use it to parse the body. */
export const userImportSchemaFor = perBody(importShape, (shape) => object(shape).superRefine(importRules as (u: unknown, ctx: z.RefinementCtx) => void), userImportSchema);
/** userCreateSchema for this body (perBody). */
export const userCreateSchemaFor = perBody(createShape, (shape) => object(shape), userCreateSchema);

export type UserImportInput = z.output<typeof userImportSchema>;
export type UserCreateInput = z.output<typeof userCreateSchema>;
export type UserImportFormValues = z.input<typeof userImportSchema>;

/**
 * Update User (PATCH merges, PUT replaces the profile; spec 2.1's attribute rules): the import's
 * attributes, every one optional. `population`, `identityProvider` and `lifecycle` are read-only
 * here and may be sent back unchanged (a read-modify-write round trip); the user's own
 * operations change them (lib/users/update-user.ts says which). A password is never sent here.
 */
export const userUpdateSchema = object({
  ...baseShape,
  username: usernameSchema.optional(),
  population: object({ id: uuidRef }).nullish(),
  lifecycle: importOnlyShape.lifecycle,
  password: z
    .undefined({ error: () => "A password cannot be changed here: use the user's password operations (PUT .../users/{userID}/password)." })
    .optional(),
});

/** Update User Population: `PUT .../users/{userID}/population`. */
export const userPopulationSchema = object({ id: uuidRef });

/** Update User Enabled: `PUT .../users/{userID}/enabled`. */
export const userEnabledSchema = object({ enabled: z.boolean({ error: typeError("true or false") }) });

export type UserUpdateInput = z.output<typeof userUpdateSchema>;
