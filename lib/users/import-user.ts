import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import {
  environments,
  gatewayUserTypes,
  gateways,
  identityProviders,
  populations,
  users,
  type ExternalPassword,
  type IdentityProviderType,
  type NewUserRow,
  type PasswordPolicy,
  type PasswordStatus,
} from "@/db/schema";
import { reach, reaches, requirePopulationAccess, type Actor } from "@/lib/access";
import { driverError, invalidData, notFound, uniquenessViolation, type ApiError } from "@/lib/api/errors";
import { auditActor } from "@/lib/audit";
import { uuidv7 } from "@/lib/ids";
import { checkPasswordPolicy, classifyPassword, DEFAULT_PASSWORD_POLICY, hashPassword } from "@/lib/passwords";
import { PROFILE_FIELDS, toFieldProblems, userCreateSchema, userImportSchema, type UserImportInput } from "./schema";
import type { UserResourceSource } from "./resource";
import { insertUsersWithAudit, type UserAudit, type UserVerificationWrite } from "./insert-users";
import { prepareVerification } from "@/lib/verification/prepare";
import { nudgeOutboxSender } from "@/lib/verification/nudge";

export type ImportMode = "import" | "create";

const MAX_PROFILE_BYTES = 16 * 1024;

/**
 * Create User (Import), spec 2: the one domain function behind the API, the console form and
 * the bulk importer. Checks run in the contract's order (2.2, rules 4-9); the user, its
 * password and the audit event are written in one transaction.
 */
export async function importUser(
  actor: Actor,
  environmentId: string,
  body: unknown,
  mode: ImportMode = "import",
): Promise<UserResourceSource> {
  const db = await getDb();
  const input = parseUserBody(body, mode);
  const prepared = await prepareUserImport(db, actor, environmentId, input, mode);
  const { row } = prepared;
  try {
    await insertUsersWithAudit(db, [prepared]);
  } catch (err) {
    throw await insertFailure(err, db, actor, environmentId, row.populationId, input);
  }
  if (prepared.verification) nudgeOutboxSender();

  return {
    id: row.id!,
    environmentId,
    populationId: row.populationId,
    username: row.username,
    email: row.email ?? null,
    emailVerified: row.emailVerified!,
    enabled: row.enabled!,
    mfaEnabled: row.mfaEnabled!,
    lifecycleStatus: row.lifecycleStatus!,
    identityProviderId: row.identityProviderId ?? null,
    identityProviderType: prepared.identityProviderType,
    profile: row.profile!,
    createdAt: row.createdAt!,
    updatedAt: row.updatedAt!,
  };
}

export type PreparedUserImport = {
  row: NewUserRow & { populationId: string };
  audit: UserAudit;
  identityProviderType: IdentityProviderType | null;
  /** Spec 4: the code and email of a VERIFICATION_REQUIRED import, written with the user. */
  verification: UserVerificationWrite | null;
};

export type PrepareOptions = {
  /** The population for a body without population.id (bulk jobs resolve it once per batch). */
  defaultPopulationId?: string;
  /** Hashes a cleartext password (bulk jobs hash on a worker pool). */
  hash?: (cleartext: string) => Promise<string>;
  /** Extra audit details (bulk jobs record their job and row). */
  auditDetails?: Record<string, unknown>;
};

/**
 * Rules 5-9 for one parsed body, up to the write: population, access, references, password
 * policy and hashing. Returns the user row and its audit event, ready for insertUsersWithAudit.
 * Used by importUser (one row) and by bulk jobs (many rows, one statement per batch).
 */
export async function prepareUserImport(
  db: Executor,
  actor: Actor,
  environmentId: string,
  input: UserImportInput,
  mode: ImportMode,
  opts: PrepareOptions = {},
): Promise<PreparedUserImport> {
  const populationId = input.population?.id ?? opts.defaultPopulationId ?? (await defaultPopulationId(db, environmentId));
  requirePopulationAccess(actor, "users:write", environmentId, populationId);

  const passwordValue = input.password?.value ?? null;
  const cleartext = passwordValue !== null && classifyPassword(passwordValue).kind === "cleartext";
  // The common import (pre-encoded or no password, no provider, no gateway) reads nothing
  // first: the insert's foreign keys check the environment and population. Other imports need
  // the environment's policy or the referenced provider and gateway, and look them up.
  const refs =
    cleartext || input.identityProvider?.id || input.password?.external?.gateway
      ? await resolveReferences(db, environmentId, populationId, input)
      : NO_REFERENCES;

  let passwordHash: string | null = null;
  if (passwordValue !== null && cleartext) {
    const broken = checkPasswordPolicy(passwordValue, { username: input.username, email: input.email }, refs.policy);
    if (broken) {
      // Rule 8 (uniqueness) is reported before rule 9 (policy).
      if (await usernameTaken(db, environmentId, input.username)) {
        throw await uniquenessError(db, actor, environmentId, input.username);
      }
      throw invalidData([{ code: "INVALID_VALUE", target: "password.value", message: broken }]);
    }
    passwordHash = await (opts.hash ?? hashPassword)(passwordValue);
  } else if (passwordValue !== null) {
    passwordHash = passwordValue;
  }

  const now = new Date();
  const external = refs.external;
  const passwordStatus: PasswordStatus = external
    ? "EXTERNAL"
    : passwordHash
      ? input.password?.forceChange
        ? "MUST_CHANGE_PASSWORD"
        : "OK"
      : "NO_PASSWORD";

  const row = {
    id: uuidv7(),
    environmentId,
    populationId,
    username: input.username,
    email: input.email ?? null,
    emailVerified: input.emailVerified ?? false,
    enabled: input.enabled ?? true,
    mfaEnabled: input.mfaEnabled ?? false,
    lifecycleStatus: input.lifecycle?.status ?? "ACCOUNT_OK",
    identityProviderId: refs.identityProvider?.id ?? null,
    profile: profileOf(input),
    passwordHash,
    passwordStatus,
    passwordChangedAt: passwordHash ? now : null,
    externalPassword: external,
    createdAt: now,
    updatedAt: now,
  } satisfies NewUserRow;

  return {
    row,
    audit: {
      id: uuidv7(),
      action: mode === "import" ? "USER.IMPORTED" : "USER.CREATED",
      ...auditActor(actor),
      details: { populationId, passwordStatus, passwordKind: passwordKind(passwordValue), ...opts.auditDetails },
    },
    identityProviderType: refs.identityProvider?.type ?? null,
    verification:
      row.lifecycleStatus === "VERIFICATION_REQUIRED" && input.lifecycle?.suppressVerificationCode !== true && row.email
        ? await prepareVerification(row.id, row.username, row.email, now)
        : null,
  };
}

/** Rule 4: the body is an object matching spec 2.1. Exported for the bulk row validator. */
export function parseUserBody(body: unknown, mode: ImportMode): UserImportInput {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidData([{ code: "INVALID_VALUE", target: "body", message: "The body must be a JSON object." }]);
  }
  const parsed = (mode === "import" ? userImportSchema : userCreateSchema).safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidData(toFieldProblems(parsed.error));
  const input = parsed.data as UserImportInput;
  if (new TextEncoder().encode(JSON.stringify(profileOf(input))).byteLength > MAX_PROFILE_BYTES) {
    throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target: "body", message: "The user's profile attributes exceed 16 KB." }]);
  }
  return input;
}

export function profileOf(input: UserImportInput): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const key of PROFILE_FIELDS) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    if (typeof v === "object") {
      const inner = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null));
      if (Object.keys(inner).length) profile[key] = inner;
    } else {
      profile[key] = v;
    }
  }
  return profile;
}

function passwordKind(value: string | null): string {
  if (value === null) return "none";
  const c = classifyPassword(value);
  return c.kind === "encoded" ? c.scheme : "cleartext";
}

async function defaultPopulationId(db: Executor, environmentId: string): Promise<string> {
  const [env] = await db
    .select({ id: environments.id, populationId: populations.id })
    .from(environments)
    .leftJoin(populations, and(eq(populations.environmentId, environments.id), eq(populations.isDefault, true)))
    .where(eq(environments.id, environmentId));
  if (!env) throw notFound("The environment was not found.");
  if (!env.populationId) {
    throw invalidData([{ code: "REQUIRED_VALUE", target: "population.id", message: "The environment has no default population: send population.id." }]);
  }
  return env.populationId;
}

type References = {
  policy: PasswordPolicy;
  identityProvider: { id: string; type: IdentityProviderType } | null;
  external: ExternalPassword | null;
};

/** Rules 6 and 7: everything the body refers to exists in this environment. */
async function resolveReferences(
  db: Executor,
  environmentId: string,
  populationId: string,
  input: UserImportInput,
): Promise<References> {
  const [env] = await db
    .select({ policy: environments.passwordPolicy, populationId: populations.id })
    .from(environments)
    .leftJoin(populations, and(eq(populations.id, populationId), eq(populations.environmentId, environments.id)))
    .where(eq(environments.id, environmentId));
  if (!env) throw notFound("The environment was not found.");
  if (!env.populationId) throw populationMissing();

  let identityProvider: References["identityProvider"] = null;
  const idpId = input.identityProvider?.id;
  if (idpId) {
    const [idp] = await db
      .select({ id: identityProviders.id, type: identityProviders.type })
      .from(identityProviders)
      .where(and(eq(identityProviders.id, idpId), eq(identityProviders.environmentId, environmentId)));
    if (!idp) throw identityProviderMissing();
    identityProvider = idp;
  }

  let external: ExternalPassword | null = null;
  const gw = input.password?.external?.gateway;
  if (gw) {
    const [found] = await db
      .select({ gatewayId: gateways.id, userTypeId: gatewayUserTypes.id, attributes: gatewayUserTypes.orderedCorrelationAttributes })
      .from(gateways)
      .leftJoin(gatewayUserTypes, and(eq(gatewayUserTypes.gatewayId, gateways.id), eq(gatewayUserTypes.id, gw.userType.id)))
      .where(and(eq(gateways.id, gw.id), eq(gateways.environmentId, environmentId)));
    if (!found) {
      throw invalidData([{ code: "INVALID_VALUE", target: "password.external.gateway.id", message: "No gateway with this id exists in the environment." }]);
    }
    if (!found.userTypeId) {
      throw invalidData([{ code: "INVALID_VALUE", target: "password.external.gateway.userType.id", message: "The gateway has no user type with this id." }]);
    }
    const allowed = new Set(found.attributes ?? []);
    const attrs = gw.correlationAttributes ?? {};
    const unknown = Object.keys(attrs).filter((k) => !allowed.has(k));
    if (unknown.length) {
      throw invalidData(
        unknown.map((k) => ({
          code: "INVALID_VALUE" as const,
          target: `password.external.gateway.correlationAttributes.${k}`,
          message: `"${k}" is not a link attribute of this user type (allowed: ${[...allowed].join(", ") || "none"}).`,
        })),
      );
    }
    external = { gatewayId: found.gatewayId, userTypeId: found.userTypeId, correlationAttributes: attrs };
  }

  if (identityProvider && external) {
    throw invalidData([{ code: "INVALID_VALUE", target: "identityProvider.id", message: "A user of an external gateway cannot have an identity provider: send identityProvider as null or leave it out." }]);
  }

  return { policy: env.policy ?? DEFAULT_PASSWORD_POLICY, identityProvider, external };
}

const NO_REFERENCES: References = { policy: DEFAULT_PASSWORD_POLICY, identityProvider: null, external: null };

/**
 * Turns a failed insert into the contract's answer, in the contract's order: a missing
 * environment is 404, a missing population (rule 6) comes before a taken username (rule 8).
 * These reads run only on the failure path.
 */
async function insertFailure(
  err: unknown,
  db: Executor,
  actor: Actor,
  environmentId: string,
  populationId: string,
  input: UserImportInput,
): Promise<unknown> {
  const d = driverError(err);
  if (d?.code !== "23505" && d?.code !== "23503") return err;
  const [env] = await db
    .select({ id: environments.id, populationId: populations.id })
    .from(environments)
    .leftJoin(populations, and(eq(populations.id, populationId), eq(populations.environmentId, environments.id)))
    .where(eq(environments.id, environmentId));
  if (!env) return notFound("The environment was not found.");
  if (!env.populationId) return populationMissing();
  if (d.code === "23505" && d.constraint === "users_env_username_uq") {
    return uniquenessError(db, actor, environmentId, input.username);
  }
  if (d.code === "23503" && d.constraint === "users_identity_provider_fk") return identityProviderMissing();
  return err;
}

export const populationMissing = () =>
  invalidData([{ code: "INVALID_VALUE", target: "population.id", message: "No population with this id exists in the environment." }]);
const identityProviderMissing = () =>
  invalidData([{ code: "INVALID_VALUE", target: "identityProvider.id", message: "No identity provider with this id exists in the environment." }]);

async function usernameTaken(db: Executor, environmentId: string, username: string): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.environmentId, environmentId), sql`lower(${users.username}) = lower(${username})`));
  return !!row;
}

/**
 * Rule 8's answer. The conflicting user's id is given only to a caller who may read it, so that
 * a population-scoped caller learns nothing about users elsewhere.
 */
export async function uniquenessError(db: Executor, actor: Actor, environmentId: string, username: string): Promise<ApiError> {
  const [existing] = await db
    .select({ id: users.id, populationId: users.populationId })
    .from(users)
    .where(and(eq(users.environmentId, environmentId), sql`lower(${users.username}) = lower(${username})`));
  const readable = existing && reaches(reach(actor, "users:read", environmentId), existing.populationId);
  return uniquenessViolation(readable ? { existingId: existing.id } : undefined);
}
