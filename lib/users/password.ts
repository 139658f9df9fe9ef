import "server-only";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/db";
import { users, type ExternalPassword, type PasswordStatus } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { invalidData, requestFailed } from "@/lib/api/errors";
import { parseOrInvalid } from "@/lib/api/validation";
import { hashPassword, needsRehash, verifyPassword } from "@/lib/passwords";
import { endAdminSessionsOf } from "@/lib/auth/sessions";
import { recordAudit } from "@/lib/audit";
import { checkGatewayPassword, isGatewayUser, linkUserToGateway, setGatewayPassword } from "@/lib/gateways/password";
import { passwordValueSchema } from "./schema";
import { CURRENT_PASSWORD_SCHEME, decidePassword, environmentPasswordPolicy, noteSuccessfulCheck, passwordKind, policyOf, storedPasswordColumns, storedPasswordValue } from "./stored-password";
import { findTargetUser, type TargetUser } from "./target";

/** Media types of the password operations (spec 3.4). */
export const PASSWORD_SET_TYPE = "application/vnd.pingidentity.password.set+json";
export const PASSWORD_CHECK_TYPE = "application/vnd.pingidentity.password.check+json";
export const PASSWORD_SET_GATEWAY_TYPE = "application/vnd.pingidentity.password.setgateway+json";
export const PASSWORD_FORCE_CHANGE_TYPES = ["application/vnd.pingidentity.password.forcechange", "application/vnd.pingidentity.password.forcechange+json"];

/** The password state a read, set, check or force change answers with. Never the hash. */
export type PasswordState = {
  environment: { id: string };
  user: { id: string };
  status: PasswordStatus;
  lastChangedAt?: string;
  /** Gateway users only (spec 5): where the password lives and how the gateway finds the user. */
  external?: { gateway: { id: string; userType: { id: string }; correlationAttributes: Record<string, string> } };
};

function stateOf(u: Pick<TargetUser, "id" | "environmentId" | "passwordStatus" | "passwordChangedAt" | "externalPassword">): PasswordState {
  const ext: ExternalPassword | null = u.externalPassword;
  return {
    environment: { id: u.environmentId },
    user: { id: u.id },
    status: u.passwordStatus,
    ...(u.passwordChangedAt ? { lastChangedAt: u.passwordChangedAt.toISOString() } : {}),
    ...(ext
      ? { external: { gateway: { id: ext.gatewayId, userType: { id: ext.userTypeId }, correlationAttributes: ext.correlationAttributes ?? {} } } }
      : {}),
  };
}

/** Users of an external identity provider have no password here at all (spec 3.4). */
function refuseIdentityProviderUser(u: TargetUser): void {
  if (u.identityProviderId) {
    throw requestFailed(`The user signs on through an external identity provider (${u.identityProviderType ?? "external"}): it has no password here.`);
  }
}

/** Gateway users' passwords stay in the remote directory: nothing here can expire them. */
function refuseGatewayUser(u: TargetUser): void {
  if (isGatewayUser(u)) {
    throw requestFailed("The user's password is held by an external directory (through a gateway): change it there.");
  }
}

/** Read password state (GET): users:read. Gateway users see where their password lives. */
export async function getPasswordState(actor: Actor, environmentId: string, userId: string): Promise<PasswordState> {
  const db = await getDb();
  const u = await findTargetUser(db, actor, environmentId, userId, "users:read");
  refuseIdentityProviderUser(u);
  return stateOf(u);
}

export const setBodySchema = z.object({
  value: passwordValueSchema,
  forceChange: z.boolean({ error: "Must be true or false." }).optional(),
  bypassPolicy: z.boolean({ error: "Must be true or false." }).optional(),
});

/**
 * Set Password (PUT): the same value rules as import (spec 3.1-3.3). Cleartext meets the
 * environment's policy unless bypassPolicy is true, then becomes argon2id; a pre-encoded value
 * is stored as given.
 *
 * bypassPolicy is open to every caller who may set the password at all (users:write on the
 * user's population: Identity Data Admin or Environment Admin). Such a caller can already store
 * any pre-encoded value, which no policy sees, so demanding a higher role for the bypass would
 * protect nothing; the audit event records that the policy was bypassed.
 */
export async function setPassword(actor: Actor, environmentId: string, userId: string, body: unknown): Promise<PasswordState> {
  const db = await getDb();
  const u = await findTargetUser(db, actor, environmentId, userId, "users:write");
  const { value, forceChange, bypassPolicy } = parseOrInvalid(setBodySchema, body ?? {});
  refuseIdentityProviderUser(u);
  // Spec 5.3: the directory takes the new password, where the user type allows it.
  if (isGatewayUser(u)) return stateOf({ ...u, ...(await setGatewayPassword(actor, environmentId, u, { value, forceChange, bypassPolicy })) });

  const policy = bypassPolicy ? null : policyOf(await environmentPasswordPolicy(db, environmentId));
  const decision = decidePassword(value, u, policy);
  if (decision.problem) throw invalidData([{ code: "INVALID_VALUE", target: "value", message: decision.problem }]);
  const stored = await storedPasswordValue(decision);

  const now = new Date();
  const status: PasswordStatus = forceChange ? "MUST_CHANGE_PASSWORD" : "OK";
  await db.transaction(async (tx) => {
    await tx.update(users).set({ ...storedPasswordColumns(stored), passwordStatus: status, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, u.id));
    // A new password ends the user's console sessions (finding F6): whoever held the old one is out.
    await endAdminSessionsOf(tx, u.id);
    await recordAudit(tx, actor, environmentId, "USER.PASSWORD_SET", { type: "USER", id: u.id }, {
      passwordKind: decision.kind,
      forceChange: !!forceChange,
      policyBypassed: decision.cleartext && !!bypassPolicy,
    });
  });
  return stateOf({ ...u, passwordStatus: status, passwordChangedAt: now });
}

export const checkBodySchema = z.object({ password: z.string({ error: "password is required: a string." }).max(4096) });

/**
 * Check Password (POST): 200 with the state on a match, 400 INVALID_VALUE on `password`
 * otherwise. A match against anything but argon2id at the current parameters replaces the
 * stored value with a fresh argon2id hash of the same password (our choice, spec 3.4): the
 * replacement is conditional on the stored value being unchanged, so a concurrent Set Password
 * is never overwritten.
 */
export async function checkPassword(actor: Actor, environmentId: string, userId: string, body: unknown): Promise<PasswordState> {
  const db = await getDb();
  // With the gateway link: a gateway user's check then needs no second read (spec 5.2).
  const u = await findTargetUser(db, actor, environmentId, userId, "users:write", { gatewayLink: true });
  const checked = parseOrInvalid(checkBodySchema, body ?? {});
  refuseIdentityProviderUser(u);
  // Spec 5.2: the directory checks the password (and, for PING_ONE authority, it migrates here).
  if (isGatewayUser(u)) return stateOf({ ...u, ...(await checkGatewayPassword(actor, environmentId, u, checked.password)) });
  if (u.passwordStatus === "NO_PASSWORD" || !u.passwordHash) {
    throw requestFailed("The user has no password to check: set one first.");
  }

  const stored = u.passwordHash;
  if (!(await verifyPassword(stored, checked.password))) {
    throw invalidData([{ code: "INVALID_VALUE", target: "password", message: "The password does not match." }]);
  }
  await upgradeStoredHash({ actor, environmentId, userId: u.id, stored, cleartext: checked.password, checkedAt: u.passwordCheckedAt });
  return stateOf(u);
}

/**
 * After a successful check of `cleartext` against `stored`: the first check is recorded
 * (password_checked_at, what the migration cockpit counts), and the transparent upgrade replaces
 * any legacy or weaker hash with a fresh argon2id one. Only if the stored value is still the one
 * checked, so that a concurrent Set Password is never overwritten. Used by Check Password and
 * by console sign-in.
 */
export async function upgradeStoredHash(v: { actor: Actor; environmentId: string; userId: string; stored: string; cleartext: string; checkedAt?: Date | null }): Promise<void> {
  const db = await getDb();
  if (!needsRehash(v.stored)) {
    // Once recorded, the first check stays as it is: no write on every later check.
    if (!v.checkedAt) await noteSuccessfulCheck(db, v.userId);
    return;
  }
  const fresh = await hashPassword(v.cleartext);
  await db.transaction(async (tx) => {
    await noteSuccessfulCheck(tx, v.userId);
    const changed = await tx
      .update(users)
      .set({ passwordHash: fresh, passwordScheme: CURRENT_PASSWORD_SCHEME })
      .where(and(eq(users.id, v.userId), eq(users.passwordHash, v.stored)))
      .returning({ id: users.id });
    if (changed.length) {
      await recordAudit(tx, v.actor, v.environmentId, "USER.PASSWORD_UPGRADED", { type: "USER", id: v.userId }, {
        from: passwordKind(v.stored),
        to: "argon2id",
      });
    }
  });
}

/** Link the user to a gateway (PUT, setGateway, spec 5.3): status EXTERNAL, a stored hash removed. */
export async function setPasswordGateway(actor: Actor, environmentId: string, userId: string, body: unknown): Promise<PasswordState> {
  const db = await getDb();
  const u = await findTargetUser(db, actor, environmentId, userId, "users:write");
  refuseIdentityProviderUser(u);
  return stateOf({ ...u, ...(await linkUserToGateway(actor, environmentId, u, body)) });
}

/** Force Password Change (POST): the next sign-in must choose a new password. */
export async function forcePasswordChange(actor: Actor, environmentId: string, userId: string): Promise<PasswordState> {
  const db = await getDb();
  const u = await findTargetUser(db, actor, environmentId, userId, "users:write");
  refuseIdentityProviderUser(u);
  refuseGatewayUser(u);
  if (u.passwordStatus === "NO_PASSWORD" || !u.passwordHash) {
    throw requestFailed("The user has no password to change: set one first.");
  }
  const now = new Date();
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordStatus: "MUST_CHANGE_PASSWORD", updatedAt: now }).where(eq(users.id, u.id));
    await recordAudit(tx, actor, environmentId, "USER.PASSWORD_FORCE_CHANGE", { type: "USER", id: u.id });
  });
  return stateOf({ ...u, passwordStatus: "MUST_CHANGE_PASSWORD" });
}
