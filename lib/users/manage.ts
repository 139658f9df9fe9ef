import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { getDb, type Tx } from "@/db";
import { populations, users } from "@/db/schema";
import { reach, reaches, requirePopulationAccess, type Actor } from "@/lib/access";
import { ApiError, driverError, invalidData, requestFailed, uniquenessViolation, withTarget, type ErrorDetail } from "@/lib/api/errors";
import { parseOrInvalid } from "@/lib/api/validation";
import { recordAudit } from "@/lib/audit";
import { getUser } from "./queries";
import type { UserResourceSource } from "./resource";
import { PROFILE_FIELDS, userEnabledSchema, userPopulationSchema, userUpdateSchema, type UserUpdateInput } from "./schema";
import { findTargetUser, type TargetUser } from "./target";
import { emailVerifiedAfter, mergedProfile, profileOf, profileTooLarge } from "./user-row";

/**
 * The single-user operations after an import (issue 14.3): Update User (PATCH merges, PUT
 * replaces the profile), Delete User, Update User Population, Update User Enabled, and the reads
 * of enabled and identityProvider. Each is the one domain function behind the API route and the
 * console action. Every write finds its target with findTargetUser (read scope: 404; write scope
 * and the target's own role assignments: 403), locks the row, and writes its audit event in the
 * same transaction.
 */

export type UpdateMode = "merge" | "replace";

type Stored = Pick<
  UserResourceSource,
  "id" | "environmentId" | "populationId" | "username" | "email" | "emailVerified" | "enabled" | "mfaEnabled" | "lifecycleStatus" | "identityProviderId" | "profile" | "createdAt"
>;

async function storedUser(tx: Tx, id: string): Promise<Stored> {
  const [row] = await tx
    .select({
      id: users.id,
      environmentId: users.environmentId,
      populationId: users.populationId,
      username: users.username,
      email: users.email,
      emailVerified: users.emailVerified,
      enabled: users.enabled,
      mfaEnabled: users.mfaEnabled,
      lifecycleStatus: users.lifecycleStatus,
      identityProviderId: users.identityProviderId,
      profile: users.profile,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(eq(users.id, id));
  return row!;
}

/**
 * A read-only attribute sent back with another value than the stored one: 400 naming the
 * operation that changes it. Sent unchanged (a read-modify-write round trip) it is accepted.
 */
function readOnlyProblems(input: UserUpdateInput, stored: Stored): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (input.population?.id && input.population.id.toLowerCase() !== stored.populationId) {
    problems.push({ code: "INVALID_VALUE", target: "population.id", message: "A user is moved with PUT .../users/{userID}/population, not by an update." });
  }
  if (input.identityProvider !== undefined && (input.identityProvider?.id?.toLowerCase() ?? null) !== stored.identityProviderId) {
    problems.push({ code: "INVALID_VALUE", target: "identityProvider.id", message: "The identity provider is set on import and cannot be changed by an update." });
  }
  if (input.lifecycle?.status && input.lifecycle.status !== stored.lifecycleStatus) {
    problems.push({ code: "INVALID_VALUE", target: "lifecycle.status", message: "lifecycle.status changes through Verify User and Send Verification Code, not by an update." });
  }
  if (input.lifecycle?.suppressVerificationCode != null) {
    problems.push({ code: "INVALID_VALUE", target: "lifecycle.suppressVerificationCode", message: "suppressVerificationCode applies to an import only." });
  }
  return problems;
}

/** The profile attributes a body names, nulls kept (a null clears the attribute). */
function namedProfile(input: UserUpdateInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of PROFILE_FIELDS) if (input[key] !== undefined) out[key] = input[key];
  return out;
}

/** A merged profile with its cleared (null) attributes and emptied objects left out. */
function withoutCleared(profile: Record<string, unknown>): Record<string, unknown> {
  return profileOf(profile as Parameters<typeof profileOf>[0]);
}

/**
 * Update User. `merge` (PATCH): only what the body names changes; `null` clears an attribute
 * (inside name, address and photo too). `replace` (PUT): the profile attributes and email become
 * exactly the body's, what it leaves out is cleared; username, population and the booleans the
 * body leaves out stay. Both validate with the import's schema and its 16 KB profile limit, and a
 * new username must be unique in the environment (400 UNIQUENESS_VIOLATION, as on import). A
 * changed email that the body does not mark verified is no longer verified.
 */
export async function updateUser(actor: Actor, environmentId: string, userId: string, body: unknown, mode: UpdateMode): Promise<UserResourceSource> {
  const db = await getDb();
  let username: string | undefined;
  try {
    return await db.transaction(async (tx) => {
      const target = await findTargetUser(tx, actor, environmentId, userId, "users:write", { forUpdate: true });
      const input = parseOrInvalid(userUpdateSchema, body);
      const stored = await storedUser(tx, target.id);
      const problems = readOnlyProblems(input, stored);
      if (problems.length) throw invalidData(problems);
      username = input.username ?? stored.username;
      const email = mode === "replace" || input.email !== undefined ? (input.email ?? null) : stored.email;
      const profile = mode === "replace" ? profileOf(input) : withoutCleared(mergedProfile(stored.profile, namedProfile(input)));
      if (profileTooLarge(profile)) throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target: "body", message: "The user's profile attributes would exceed 16 KB." }]);
      const next = {
        username,
        email,
        emailVerified: emailVerifiedAfter(stored, email, input.emailVerified),
        enabled: input.enabled ?? stored.enabled,
        mfaEnabled: input.mfaEnabled ?? stored.mfaEnabled,
        profile,
        updatedAt: new Date(),
      };
      await tx.update(users).set(next).where(eq(users.id, target.id));
      // Which attributes the body named, never their values.
      const attributes = Object.keys(input).filter((k) => !["population", "identityProvider", "lifecycle", "password"].includes(k));
      await recordAudit(tx, actor, environmentId, "USER.UPDATED", { type: "USER", id: target.id }, { attributes, mode: mode === "merge" ? "PATCH" : "PUT" });
      return { ...stored, ...next, identityProviderType: target.identityProviderType as UserResourceSource["identityProviderType"] };
    });
  } catch (err) {
    const d = driverError(err);
    if (d?.code === "23505" && d.constraint === "users_env_username_uq" && username !== undefined) throw await usernameTaken(actor, environmentId, username);
    throw err;
  }
}

/** Rule 8's answer for an update: the holder's id only when the caller may read that user. */
async function usernameTaken(actor: Actor, environmentId: string, username: string): Promise<ApiError> {
  const db = await getDb();
  const [holder] = await db
    .select({ id: users.id, populationId: users.populationId })
    .from(users)
    .where(and(eq(users.environmentId, environmentId), sql`lower(${users.username}) = lower(${username})`));
  const readable = reach(actor, "users:read", environmentId);
  return uniquenessViolation(holder && reaches(readable, holder.populationId) ? { existingId: holder.id } : undefined);
}

/**
 * Delete User: the row and what hangs on it (role assignments, sessions, a pending verification
 * email) go; the audit trail stays, with this deletion as its last event. Nobody deletes their
 * own account (the console would lock them out mid-session).
 */
export async function deleteUser(actor: Actor, environmentId: string, userId: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const target = await findTargetUser(tx, actor, environmentId, userId, "users:write", { forUpdate: true });
    if (actor.type === "USER" && actor.id === target.id) throw requestFailed("You cannot delete your own account: ask another administrator.");
    await tx.delete(users).where(eq(users.id, target.id));
    await recordAudit(tx, actor, environmentId, "USER.DELETED", { type: "USER", id: target.id }, { username: target.username, populationId: target.populationId });
  });
}

/**
 * Update User Population (a move): write access to the user where it is (and cover of its role
 * assignments) and to the population it goes to. A caller who may not write the destination gets
 * 403 whether or not it exists, so nothing is learnt about populations out of reach.
 */
export async function moveUser(actor: Actor, environmentId: string, userId: string, body: unknown): Promise<UserResourceSource> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const target = await findTargetUser(tx, actor, environmentId, userId, "users:write", { forUpdate: true });
    const to = parseOrInvalid(userPopulationSchema, body).id.toLowerCase();
    try {
      requirePopulationAccess(actor, "users:write", environmentId, to);
    } catch (err) {
      throw err instanceof ApiError ? withTarget(err, "id") : err;
    }
    if (to === target.populationId) return;
    // FOR SHARE: a concurrent delete of the destination waits, then sees the user and refuses.
    const [exists] = await tx.select({ id: populations.id }).from(populations).where(and(eq(populations.environmentId, environmentId), eq(populations.id, to))).for("share");
    if (!exists) throw invalidData([{ code: "INVALID_VALUE", target: "id", message: "No population with this id exists in the environment." }]);
    await tx.update(users).set({ populationId: to, updatedAt: new Date() }).where(eq(users.id, target.id));
    await recordAudit(tx, actor, environmentId, "USER.MOVED", { type: "USER", id: target.id }, { from: target.populationId, to });
  });
  return getUser(actor, environmentId, userId.toLowerCase());
}

/**
 * Update User Enabled: a disabled user cannot sign in (a console session ends at its next
 * request). Nobody disables their own account.
 */
export async function setUserEnabled(actor: Actor, environmentId: string, userId: string, body: unknown): Promise<{ user: TargetUser; enabled: boolean }> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const target = await findTargetUser(tx, actor, environmentId, userId, "users:write", { forUpdate: true });
    const { enabled } = parseOrInvalid(userEnabledSchema, body);
    if (!enabled && actor.type === "USER" && actor.id === target.id) throw requestFailed("You cannot disable your own account: ask another administrator.");
    await tx.update(users).set({ enabled, updatedAt: new Date() }).where(eq(users.id, target.id));
    await recordAudit(tx, actor, environmentId, enabled ? "USER.ENABLED" : "USER.DISABLED", { type: "USER", id: target.id });
    return { user: target, enabled };
  });
}
