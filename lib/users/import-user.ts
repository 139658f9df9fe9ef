import "server-only";
import { getDb } from "@/db";
import type { UserRow } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { ApiError, driverError, notFound } from "@/lib/api/errors";
import { auditRow } from "@/lib/audit";
import { uuidv7 } from "@/lib/ids";
import { hashPassword } from "@/lib/passwords";
import { prepareVerification } from "@/lib/verification/prepare";
import { nudgeOutboxSender } from "@/lib/verification/nudge";
import { decideImports, environmentFacts, type CreatePlan, type ImportContext, type ImportMode, type UpdatePlan } from "./import-decision";
import { insertUsersWithAudit, type UserInsert, type UserVerificationWrite } from "./insert-users";
import type { UserResourceSource } from "./resource";
import { passwordKind, storedPasswordValue } from "./stored-password";
import type { UserUpdate } from "./update-users";
import { newUserRow, profileOf } from "./user-row";

export type { ImportMode };

/** What an HTTP entry point hands over: the body and which operation its media type asks for. */
export type ImportRequest = { mode: ImportMode; body: unknown };

/**
 * Create User (Import) and plain Create User, spec 2: the one domain function behind the API and
 * the console form (a bulk job decides its rows with the same decideImports, a batch at a time).
 * The user, its password, its verification email and the audit event are written in one statement.
 */
export async function importUser(actor: Actor, environmentId: string, body: unknown, mode: ImportMode = "import"): Promise<UserResourceSource> {
  return importUserRequest(actor, environmentId, async () => ({ mode, body }));
}

/**
 * The same, for an entry point whose own reading of the request may refuse it (415 for a media
 * type, 400 for malformed JSON): `read` runs inside, so that rule 2 (an unknown environment is
 * 404) comes before those refusals as before every other rule.
 */
export async function importUserRequest(actor: Actor, environmentId: string, read: () => Promise<ImportRequest>): Promise<UserResourceSource> {
  const db = await getDb();
  let request: ImportRequest;
  try {
    request = await read();
  } catch (err) {
    if (err instanceof ApiError && !(await environmentFacts(db, environmentId))) throw notFound("The environment was not found.");
    throw err;
  }
  const ctx: ImportContext = { actor, environmentId, mode: request.mode, onConflict: "fail" };
  // The common import reads nothing before its insert: the insert's foreign keys and unique index
  // check the population and the username. Every refusal is then judged on all facts, in order.
  let decision = (await decideImports(db, ctx, [request.body], { constraints: "database" }))[0]!;
  for (let attempt = 1; ; attempt++) {
    if (decision.kind !== "create") decision = (await decideImports(db, ctx, [request.body]))[0]!;
    if (decision.kind === "fail") throw decision.error;
    if (decision.kind !== "create") throw new Error(`an import with onConflict=fail was decided as ${decision.kind}`);
    const prepared = await prepareCreate(ctx, decision.plan);
    try {
      await insertUsersWithAudit(db, [prepared.insert]);
    } catch (err) {
      const code = driverError(err)?.code;
      // A constraint said no (or a concurrent import took the username first): decide again on every fact.
      if ((code === "23505" || code === "23503") && attempt < 3) {
        decision = (await decideImports(db, ctx, [request.body]))[0]!;
        continue;
      }
      throw err;
    }
    if (prepared.insert.verification) nudgeOutboxSender();
    return prepared.resource;
  }
}

export type PrepareOptions = {
  /** Hashes a cleartext password (argon2id); bulk jobs pass their own to bound concurrency. */
  hash?: (cleartext: string) => Promise<string>;
  /** Extra audit details (a bulk job records its job and row). */
  auditDetails?: Record<string, unknown>;
  now?: Date;
};

/**
 * A decided create, ready to write: the complete user row (its stored password in it), its
 * verification email, and the password kind its audit entry names. A bulk batch writes many of
 * these with one audit event for the batch (lib/bulk/write-batch.ts); the single create wraps
 * one in its own event and resource (prepareCreate).
 */
export type PreparedCreate = { row: UserRow; verification: UserVerificationWrite | null; passwordKind: string };

/** The action of a create's audit event. */
export const createAction = (mode: ImportMode) => (mode === "import" ? "USER.IMPORTED" : "USER.CREATED");

/** What a create's audit entry says of the user (its own event's details, or its line in a batch event's users). */
export function createAuditDetails(p: PreparedCreate) {
  return { populationId: p.row.populationId, passwordStatus: p.row.passwordStatus, passwordKind: p.passwordKind };
}

export async function prepareUserCreate(ctx: ImportContext, plan: CreatePlan, opts: Omit<PrepareOptions, "auditDetails"> = {}): Promise<PreparedCreate> {
  const now = opts.now ?? new Date();
  const { input } = plan;
  const row = newUserRow({
    id: uuidv7(),
    environmentId: ctx.environmentId,
    populationId: plan.populationId,
    input,
    identityProviderId: plan.identityProvider?.id ?? null,
    passwordHash: plan.password ? await storedPasswordValue(plan.password, opts.hash ?? hashPassword) : null,
    externalPassword: plan.external,
    now,
  });
  const verification =
    row.lifecycleStatus === "VERIFICATION_REQUIRED" && input.lifecycle?.suppressVerificationCode !== true && row.email
      ? await prepareVerification(row.id, row.username, row.email, now)
      : null;
  return { row, verification, passwordKind: plan.password?.kind ?? passwordKind(null) };
}

/** The write of a decided create with its own audit event, and the resource it answers with. */
export async function prepareCreate(ctx: ImportContext, plan: CreatePlan, opts: PrepareOptions = {}): Promise<{ insert: UserInsert; resource: UserResourceSource }> {
  const prepared = await prepareUserCreate(ctx, plan, opts);
  const { row, verification } = prepared;
  const audit = {
    ...auditRow(ctx.actor, ctx.environmentId, createAction(ctx.mode), { type: "USER", id: row.id }, { ...createAuditDetails(prepared), ...opts.auditDetails }),
    createdAt: row.createdAt,
  };
  return {
    insert: { row, audit, verification },
    resource: {
      id: row.id,
      environmentId: row.environmentId,
      populationId: row.populationId,
      username: row.username,
      email: row.email,
      emailVerified: row.emailVerified,
      enabled: row.enabled,
      mfaEnabled: row.mfaEnabled,
      lifecycleStatus: row.lifecycleStatus,
      identityProviderId: row.identityProviderId,
      identityProviderType: plan.identityProvider?.type ?? null,
      profile: row.profile,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    },
  };
}

/** The write of a decided update (onConflict=update) and its audit event, which names what the row set. */
export function prepareUpdate(ctx: ImportContext, plan: UpdatePlan, opts: Omit<PrepareOptions, "hash"> = {}): UserUpdate {
  const now = opts.now ?? new Date();
  const { input } = plan;
  const values = {
    id: plan.userId,
    email: input.email ?? null,
    profile: plan.profile,
    enabled: input.enabled ?? null,
    emailVerified: plan.emailVerified,
    mfaEnabled: input.mfaEnabled ?? null,
    updatedAt: now,
  };
  // What the row set, by attribute name (never a value): the audit trail of a bulk update.
  const attributes = [
    ...(["email", "enabled", "emailVerified", "mfaEnabled"] as const).filter((k) => input[k] != null),
    ...Object.keys(profileOf(input)),
  ];
  return {
    values,
    version: plan.version,
    audit: {
      ...auditRow(ctx.actor, ctx.environmentId, "USER.UPDATED", { type: "USER", id: plan.userId }, {
        attributes,
        ...opts.auditDetails,
      }),
      createdAt: now,
    },
  };
}
