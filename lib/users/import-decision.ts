import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { rows, type Executor } from "@/db";
import {
  environments,
  gatewayUserTypes,
  gateways,
  identityProviders,
  populations,
  type ExternalPassword,
  type IdentityProviderType,
  type UserImportOnConflict,
} from "@/db/schema";
import { reach, reaches, requireCovers, requirePopulationAccess, type Actor, type Assignment, type Reach } from "@/lib/access";
import { loadUserAssignments } from "@/lib/access/assignments";
import { ApiError, invalidData, notFound, uniquenessViolation, withTarget, type ErrorDetail } from "@/lib/api/errors";
import { parseWithProblems } from "@/lib/api/validation";
import { checkGatewayLink } from "@/lib/gateways/link-rule";
import type { PasswordPolicy } from "@/lib/passwords";
import { userCreateSchemaFor, userImportSchemaFor, type UserImportInput } from "./schema";
import { decidePassword, passwordKind, policyOf, type PasswordDecision } from "./stored-password";
import { emailVerifiedAfter, mergedProfile, profileOf, profileTooLarge } from "./user-row";

/**
 * The one import decision (spec 2.2), for one row or a batch: every entry point (the API, the
 * console form, a bulk job) hands its bodies to decideImports, which answers each in the
 * contract's order: the environment (rule 2), the body (4), access (5), references (6, 7),
 * uniqueness and onConflict (8), the password policy (9). The write comes after, elsewhere
 * (prepareCreate / prepareUpdate, then insertUsersWithAudit / updateUsersWithAudit), so that
 * how a batch is written can change without touching a rule.
 *
 * A batch is decided on facts read for the whole batch at once: the environment and its
 * populations, the batch's usernames already taken (one query), their holders' role assignments
 * (one query, for updates), and the identity providers and gateways the batch names. A single
 * API import may leave two rules to the database's constraints instead of reading first (the
 * population's foreign key and the username's unique index: `constraints: "database"`); any
 * answer other than "create" is then judged again on every fact, so that the order holds.
 */
export type ImportMode = "import" | "create";

export type ImportContext = {
  actor: Actor;
  environmentId: string;
  /** "create": plain Create User (application/json); "import": Create User (Import) and bulk rows. */
  mode: ImportMode;
  /** What a taken username means: the API always fails (400 UNIQUENESS_VIOLATION). */
  onConflict: UserImportOnConflict;
  /**
   * The population of a body without `population`: an id (a bulk job's default), or the
   * environment's default population. Absent: population.id is required (the import API).
   * Plain create always falls back to the environment's default.
   */
  defaultPopulation?: string | "environment";
};

/** What a row becomes. `key` is its username as the database compares it, once it reached rule 8. */
export type ImportDecision =
  | { kind: "create"; username: string; key: string | null; plan: CreatePlan }
  | { kind: "update"; username: string; key: string; plan: UpdatePlan }
  | { kind: "skip"; username: string; key: string }
  | { kind: "fail"; username: string | null; key: string | null; error: ApiError };

export type CreatePlan = {
  input: UserImportInput;
  populationId: string;
  identityProvider: { id: string; type: IdentityProviderType } | null;
  external: ExternalPassword | null;
  password: PasswordDecision | null;
};

export type UpdatePlan = {
  userId: string;
  input: UserImportInput;
  /** The stored profile with the row's profile attributes over it. */
  profile: Record<string, unknown>;
  /** Whether the email is verified after the update (user-row.ts emailVerifiedAfter, against the stored row). */
  emailVerified: boolean;
  /** The user's row version the decision was made on. */
  version: string;
};

export type DecideOptions = {
  /** "database": leave population existence and username uniqueness to the insert's constraints. */
  constraints?: "checked" | "database";
};

type EnvironmentFacts = { policy: PasswordPolicy; populations: ReadonlySet<string>; defaultPopulationId: string | null };
type ExistingUser = { id: string; populationId: string; profile: Record<string, unknown>; email: string | null; emailVerified: boolean; version: string };
type Facts = {
  /** null: the environment does not exist; undefined: not read (left to the foreign keys). */
  environment: EnvironmentFacts | null | undefined;
  /** By username as sent: its comparison key and the user holding it; undefined: not read. */
  usernames: Map<string, { key: string; existing: ExistingUser | null }> | undefined;
  held: Map<string, Assignment[]>;
  identityProviders: Map<string, IdentityProviderType>;
  gateways: Map<string, Map<string, readonly string[]>>;
};

type Parsed =
  | { ok: true; input: UserImportInput; namedPopulation: boolean }
  | { ok: false; error: ApiError; username: string | null };

/** Decides every body of a batch, in order; never throws an ApiError for a row (that row fails instead). */
export async function decideImports(db: Executor, ctx: ImportContext, bodies: readonly unknown[], opts: DecideOptions = {}): Promise<ImportDecision[]> {
  const checked = opts.constraints !== "database";
  const defaultPopulation = ctx.defaultPopulation ?? (ctx.mode === "create" ? "environment" : undefined);
  let environment: Facts["environment"];
  // The environment (one query) is read first when a checked decision or the default population needs it.
  if (checked || (defaultPopulation === "environment" && bodies.some(lacksPopulation))) environment = await environmentFacts(db, ctx.environmentId);
  const injected = defaultPopulation === "environment" ? (environment?.defaultPopulationId ?? undefined) : defaultPopulation;
  const parsed = bodies.map((b) => parseBody(b, ctx.mode, injected));
  const inputs = parsed.flatMap((p) => (p.ok ? [p.input] : []));
  // An unchecked decision still needs the policy for a cleartext password.
  if (environment === undefined && inputs.some((i) => i.password?.value != null && passwordKind(i.password.value) === "cleartext")) {
    environment = await environmentFacts(db, ctx.environmentId);
  }
  const facts: Facts = {
    environment,
    usernames: checked ? await usernameFacts(db, ctx, inputs) : undefined,
    held: new Map(),
    identityProviders: await identityProviderFacts(db, ctx.environmentId, inputs),
    gateways: await gatewayFacts(db, ctx.environmentId, inputs),
  };
  if (ctx.onConflict === "update" && facts.usernames) {
    const ids = [...facts.usernames.values()].flatMap((u) => (u.existing ? [u.existing.id] : []));
    facts.held = await loadUserAssignments(db, ids);
  }
  const readable = reach(ctx.actor, "users:read", ctx.environmentId);
  return parsed.map((p) => {
    try {
      return decideRow(ctx, facts, p, readable);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { kind: "fail", username: p.ok ? p.input.username : p.username, key: null, error: err };
    }
  });
}

const lacksPopulation = (body: unknown) => !!body && typeof body === "object" && (body as Record<string, unknown>).population == null;

/** Rule 4: the body is an object matching spec 2.1, with a profile of at most 16 KB. */
function parseBody(body: unknown, mode: ImportMode, defaultPopulationId: string | undefined): Parsed {
  const rawUsername = body && typeof body === "object" && typeof (body as { username?: unknown }).username === "string" ? ((body as { username: string }).username) : null;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, username: null, error: invalidData([{ code: "INVALID_VALUE", target: "body", message: "The body must be a JSON object." }]) };
  }
  const namedPopulation = (body as Record<string, unknown>).population !== undefined;
  const withPopulation = !namedPopulation && defaultPopulationId ? { ...body, population: { id: defaultPopulationId } } : body;
  const result = parseWithProblems(mode === "import" ? userImportSchemaFor(withPopulation) : userCreateSchemaFor(withPopulation), withPopulation);
  if (!result.success) return { ok: false, username: rawUsername, error: invalidData(result.problems) };
  const input = result.data as UserImportInput;
  if (profileTooLarge(profileOf(input))) {
    return { ok: false, username: rawUsername, error: invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target: "body", message: "The user's profile attributes exceed 16 KB." }]) };
  }
  return { ok: true, input: normalizedIds(input), namedPopulation };
}

/** Ids compare in lower case everywhere (assignments, lookups): a UUID sent in capitals names the same thing. */
function normalizedIds(input: UserImportInput): UserImportInput {
  const gw = input.password?.external?.gateway;
  const lower = (id: string | undefined) => id === undefined || id === id.toLowerCase();
  // Most rows' ids are already in lower case: no copy of the input (a bulk batch makes thousands).
  if (lower(input.population?.id) && lower(input.identityProvider?.id ?? undefined) && (!gw || (lower(gw.id) && lower(gw.userType.id)))) return input;
  return {
    ...input,
    ...(input.population ? { population: { id: input.population.id.toLowerCase() } } : {}),
    ...(input.identityProvider?.id ? { identityProvider: { id: input.identityProvider.id.toLowerCase() } } : {}),
    ...(gw && input.password
      ? { password: { ...input.password, external: { gateway: { ...gw, id: gw.id.toLowerCase(), userType: { id: gw.userType.id.toLowerCase() } } } } }
      : {}),
  };
}

/** `readable`: where the actor may read users (whether a conflict may name the existing user). */
function decideRow(ctx: ImportContext, facts: Facts, parsed: Parsed, readable: Reach | null): ImportDecision {
  // Rule 2.
  if (facts.environment === null) throw notFound("The environment was not found.");
  // Rule 4.
  if (!parsed.ok) return { kind: "fail", username: parsed.username, key: null, error: parsed.error };
  const { input, namedPopulation } = parsed;
  const username = input.username;
  const populationId = input.population?.id ?? facts.environment?.defaultPopulationId;
  if (!populationId) {
    throw invalidData([{ code: "REQUIRED_VALUE", target: "population.id", message: "The environment has no default population: send population.id." }]);
  }

  // Rule 5. An update of a row that names no population is a write on the existing user's
  // population instead: checked at rule 8, once it is known whether the user exists.
  const accessLater = ctx.onConflict === "update" && !namedPopulation;
  if (!accessLater) requireWrite(ctx, populationId);

  // Rules 6 and 7.
  if (facts.environment && !facts.environment.populations.has(populationId)) throw populationMissing();
  const identityProvider = identityProviderOf(facts, input);
  const external = externalPasswordOf(facts, input);
  if (identityProvider && external) {
    throw invalidData([{ code: "INVALID_VALUE", target: "identityProvider.id", message: "A user of an external gateway cannot have an identity provider: send identityProvider as null or leave it out." }]);
  }

  // Rule 8, and what onConflict makes of a taken username.
  const seen = facts.usernames?.get(username);
  const key = seen?.key ?? null;
  const existing = seen?.existing;
  if (existing) {
    if (ctx.onConflict === "skip") return { kind: "skip", username, key: key! };
    if (ctx.onConflict === "fail") {
      return { kind: "fail", username, key, error: uniquenessViolation(reaches(readable, existing.populationId) ? { existingId: existing.id } : undefined) };
    }
    try {
      return { kind: "update", username, key: key!, plan: decideUpdate(ctx, facts, input, namedPopulation, populationId, existing) };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { kind: "fail", username, key, error: err };
    }
  }
  try {
    if (accessLater) requireWrite(ctx, populationId);
    // Rule 9: cleartext meets the environment's policy; pre-encoded values bypass it.
    const value = input.password?.value ?? null;
    const password = value === null ? null : decidePassword(value, { username, email: input.email }, policyOf(facts.environment?.policy));
    if (password?.problem) throw invalidData([{ code: "INVALID_VALUE", target: "password.value", message: password.problem }]);
    return { kind: "create", username, key, plan: { input, populationId, identityProvider, external, password } };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { kind: "fail", username, key, error: err };
  }
}

function requireWrite(ctx: ImportContext, populationId: string): void {
  try {
    requirePopulationAccess(ctx.actor, "users:write", ctx.environmentId, populationId);
  } catch (err) {
    throw err instanceof ApiError ? withTarget(err, "population.id") : err;
  }
}

/**
 * onConflict=update, our choice: the row goes through every rule of an import, then changes the
 * existing user's profile attributes (merged), email, enabled, emailVerified and mfaEnabled where
 * the row sets them. It never moves the user to another population, and it refuses a row that
 * sets the password, lifecycle or identity provider: a re-run of an old export must not revert a
 * password the user has changed (or that was upgraded to argon2id) since, nor re-send a
 * verification email; Set Password and the single-user operations do those.
 */
function decideUpdate(
  ctx: ImportContext,
  facts: Facts,
  input: UserImportInput,
  namedPopulation: boolean,
  populationId: string,
  existing: ExistingUser,
): UpdatePlan {
  requireWrite(ctx, existing.populationId);
  try {
    requireCovers(ctx.actor, facts.held.get(existing.id) ?? [], "user");
  } catch (err) {
    throw err instanceof ApiError ? withTarget(err, "username") : err;
  }
  if (namedPopulation && populationId !== existing.populationId) {
    throw invalidData([{ code: "INVALID_VALUE", target: "population.id", message: "The user exists in another population: a bulk update never moves a user." }]);
  }
  const refused = UPDATE_REFUSES.filter(([, isSet]) => isSet(input)).map(([target]): ErrorDetail => ({
    code: "INVALID_VALUE",
    target,
    message: `onConflict=update changes an existing user's profile attributes, email, enabled, emailVerified and mfaEnabled only: leave ${target} out of the row (use Set Password or the user's own operations for it).`,
  }));
  if (refused.length) throw invalidData(refused);
  const profile = mergedProfile(existing.profile, profileOf(input));
  if (profileTooLarge(profile)) {
    throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target: "body", message: "The user's profile attributes would exceed 16 KB with this update." }]);
  }
  const emailVerified = emailVerifiedAfter(existing, input.email ?? existing.email, input.emailVerified);
  return { userId: existing.id, input, profile, emailVerified, version: existing.version };
}

const UPDATE_REFUSES: [string, (i: UserImportInput) => boolean][] = [
  ["password.value", (i) => i.password?.value != null],
  ["password.forceChange", (i) => i.password?.forceChange != null],
  ["password.external.gateway", (i) => i.password?.external?.gateway != null],
  ["lifecycle.status", (i) => i.lifecycle?.status != null],
  ["lifecycle.suppressVerificationCode", (i) => i.lifecycle?.suppressVerificationCode != null],
  ["identityProvider.id", (i) => i.identityProvider?.id != null],
];

export const populationMissing = () =>
  invalidData([{ code: "INVALID_VALUE", target: "population.id", message: "No population with this id exists in the environment." }]);
export const identityProviderMissing = () =>
  invalidData([{ code: "INVALID_VALUE", target: "identityProvider.id", message: "No identity provider with this id exists in the environment." }]);

function identityProviderOf(facts: Facts, input: UserImportInput): CreatePlan["identityProvider"] {
  const id = input.identityProvider?.id;
  if (!id) return null;
  const type = facts.identityProviders.get(id);
  if (!type) throw identityProviderMissing();
  return { id, type };
}

function externalPasswordOf(facts: Facts, input: UserImportInput): ExternalPassword | null {
  const gw = input.password?.external?.gateway;
  if (!gw) return null;
  return checkGatewayLink(gw, facts.gateways.get(gw.id), "password.external.gateway.");
}

/** Rule 2's fact and rule 6's for populations, with the password policy: one query. */
export async function environmentFacts(db: Executor, environmentId: string): Promise<EnvironmentFacts | null> {
  const found = await db
    .select({ policy: environments.passwordPolicy, populationId: populations.id, isDefault: populations.isDefault })
    .from(environments)
    .leftJoin(populations, eq(populations.environmentId, environments.id))
    .where(eq(environments.id, environmentId));
  if (!found.length) return null;
  const ids = new Set<string>();
  let defaultPopulationId: string | null = null;
  for (const p of found) {
    if (!p.populationId) continue;
    ids.add(p.populationId);
    if (p.isDefault) defaultPopulationId = p.populationId;
  }
  return { policy: policyOf(found[0]!.policy), populations: ids, defaultPopulationId };
}

/**
 * Rule 8's facts for a batch in one query: each username as PostgreSQL compares it (lower(),
 * the unique index's own expression) and the user already holding it, if any; for updates also
 * that user's profile and row version. Only the usernames that are taken or that lower() changes
 * come back (most of a batch is neither): any other one is its own key.
 */
async function usernameFacts(db: Executor, ctx: ImportContext, inputs: readonly UserImportInput[]): Promise<Facts["usernames"]> {
  const out = new Map<string, { key: string; existing: ExistingUser | null }>();
  if (!inputs.length) return out;
  const unique = [...new Set(inputs.map((i) => i.username))];
  const names = JSON.stringify(unique);
  const update = ctx.onConflict === "update";
  const found = rows<{ name: string; key: string; id: string | null; population_id: string | null; profile: unknown; email: string | null; email_verified: boolean | null; version: string | null }>(
    await db.execute(sql`
      select c.name, lower(c.name) as key, u.id, u.population_id,
        ${update ? sql`u.profile, u.email, u.email_verified, u.xmin::text as version` : sql`null as profile, null as email, null as email_verified, null as version`}
      from json_array_elements_text(${names}::json) as c(name)
      left join users u on u.environment_id = ${ctx.environmentId} and lower(u.username) = lower(c.name)
      where u.id is not null or lower(c.name) <> c.name`),
  );
  for (const f of found) {
    const profile = typeof f.profile === "string" ? (JSON.parse(f.profile) as Record<string, unknown>) : ((f.profile as Record<string, unknown> | null) ?? {});
    out.set(f.name, {
      key: f.key,
      existing: f.id ? { id: f.id, populationId: f.population_id!, profile, email: f.email, emailVerified: f.email_verified === true, version: f.version ?? "" } : null,
    });
  }
  for (const name of unique) if (!out.has(name)) out.set(name, { key: name, existing: null });
  return out;
}

async function identityProviderFacts(db: Executor, environmentId: string, inputs: readonly UserImportInput[]): Promise<Facts["identityProviders"]> {
  const ids = [...new Set(inputs.flatMap((i) => (i.identityProvider?.id ? [i.identityProvider.id] : [])))];
  if (!ids.length) return new Map();
  const found = await db
    .select({ id: identityProviders.id, type: identityProviders.type })
    .from(identityProviders)
    .where(and(eq(identityProviders.environmentId, environmentId), inArray(identityProviders.id, ids)));
  return new Map(found.map((f) => [f.id, f.type]));
}

async function gatewayFacts(db: Executor, environmentId: string, inputs: readonly UserImportInput[]): Promise<Facts["gateways"]> {
  const ids = [...new Set(inputs.flatMap((i) => (i.password?.external?.gateway ? [i.password.external.gateway.id] : [])))];
  if (!ids.length) return new Map();
  const found = await db
    .select({ gatewayId: gateways.id, userTypeId: gatewayUserTypes.id, attributes: gatewayUserTypes.orderedCorrelationAttributes })
    .from(gateways)
    .leftJoin(gatewayUserTypes, eq(gatewayUserTypes.gatewayId, gateways.id))
    .where(and(eq(gateways.environmentId, environmentId), inArray(gateways.id, ids)));
  const out: Facts["gateways"] = new Map();
  for (const f of found) {
    const types = out.get(f.gatewayId) ?? new Map<string, readonly string[]>();
    if (f.userTypeId) types.set(f.userTypeId, f.attributes ?? []);
    out.set(f.gatewayId, types);
  }
  return out;
}
