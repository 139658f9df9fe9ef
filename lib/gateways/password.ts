import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Entry } from "ldapts";
import { getDb } from "@/db";
import { users, type ExternalPassword, type PasswordStatus, type UserProfile } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { ApiError, invalidData, requestFailed, serviceUnavailable } from "@/lib/api/errors";
import { log } from "@/lib/log";
import { classifyPassword, hashPassword } from "@/lib/passwords";
import { recordAudit } from "@/lib/audit";
import { endAdminSessionsOf } from "@/lib/auth/sessions";
import { parseOrInvalid } from "@/lib/api/validation";
import { userImportSchema } from "@/lib/users/schema";
import { mergedProfile, profileOf, profileTooLarge } from "@/lib/users/user-row";
import type { TargetUser } from "@/lib/users/target";
import { noteSuccessfulCheck, storedPasswordColumns } from "@/lib/users/stored-password";
import { directoryFor, DirectoryError, type Directory } from "./directory";
import { linkOf, loadLink, resolveGatewayLink, type LoadedLink } from "./links";
import { directorySettingsOf, UnreadableBindPassword } from "./manage";
import { mapEntry, mappedLdapAttributes } from "./mapping";
import { setGatewayBodySchema } from "./schema";

/**
 * Password operations of gateway users (spec 5.2, 5.3): Check Password goes to the directory
 * (and migrates the password into argon2id where the user type's authority is PING_ONE), Set
 * Password writes the directory where the user type allows it, and setGateway links a user.
 * lib/users/password.ts calls these after its own access check on the target user.
 */

/** A user whose password the directory holds now (PING_ONE users keep their link after migrating, but are local). */
export function isGatewayUser(u: Pick<TargetUser, "passwordStatus">): boolean {
  return u.passwordStatus === "EXTERNAL";
}

export type GatewayPasswordResult = { passwordStatus: PasswordStatus; passwordChangedAt: Date | null; externalPassword?: ExternalPassword };

const mismatch = () => invalidData([{ code: "INVALID_VALUE", target: "password", message: "The password does not match." }]);

/** The directory's failure as the API's answer: 503 with Retry-After, in words an administrator can act on. */
function unavailable(link: LoadedLink, err: DirectoryError): ApiError {
  log.warn("gateway directory unavailable", { gatewayId: link.gateway.id, failure: err.failure, reason: err.message });
  const name = `gateway ${link.gateway.name}`;
  switch (err.failure) {
    case "not-configured":
      return serviceUnavailable(`The ${name} is not configured: ${err.message}`, 30);
    case "service-bind":
      return serviceUnavailable(`The external directory of the ${name} refused the gateway's service account: check its bind DN and bind password.`, 30);
    case "base-not-found":
      return serviceUnavailable(`The external directory of the ${name} cannot be searched for user type ${link.userType.name}: ${err.message}`, 30);
    default:
      return serviceUnavailable(`The external directory of the ${name} is unavailable: ${err.message}`, 5);
  }
}

async function directoryOf(link: LoadedLink): Promise<Directory> {
  const g = link.gateway;
  if (g.type !== "LDAP") throw requestFailed(`The gateway ${g.name} is of type ${g.type}: only LDAP gateways check passwords here.`);
  if (!g.enabled) throw requestFailed(`The gateway ${g.name} is disabled: enable it to check passwords through it.`);
  if (g.servers.length === 0) throw unavailable(link, new DirectoryError("not-configured", "it names no directory servers (add one as host:port)."));
  if (!link.userType.searchBaseDn) throw unavailable(link, new DirectoryError("not-configured", `user type ${link.userType.name} has no searchBaseDn.`));
  return directoryFor(g.id, g.version, async () => {
    try {
      return await directorySettingsOf(g);
    } catch (err) {
      if (!(err instanceof UnreadableBindPassword)) throw err;
      log.error("gateway bind password unreadable", { gatewayId: g.id });
      throw serviceUnavailable(`The gateway ${g.name}: ${err.message}`, 30);
    }
  });
}

/** Runs directory work, turning its failures into the contract's answers. */
async function talk<T>(link: LoadedLink, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DirectoryError && err.failure !== "refused") throw unavailable(link, err);
    throw err;
  }
}

/**
 * Step 1 of 5.2: the user's one entry, searched by the first link attribute the user has a value
 * for. Null when there is no such value, no entry or several: all the same to the caller.
 */
async function findEntry(directory: Directory, link: LoadedLink, ext: ExternalPassword, attributes: string[]): Promise<Entry | null> {
  const values = ext.correlationAttributes ?? {};
  const attribute = link.userType.orderedCorrelationAttributes.find((a) => typeof values[a] === "string" && values[a] !== "");
  if (!attribute) return null;
  const entries = await directory.findBy(link.userType.searchBaseDn!, attribute, values[attribute]!, { limit: 2, attributes });
  return entries.length === 1 ? entries[0]! : null;
}

/** Check Password of a gateway user (spec 5.2). */
export async function checkGatewayPassword(actor: Actor, environmentId: string, u: TargetUser, candidate: string): Promise<GatewayPasswordResult> {
  // An empty simple bind is an anonymous bind, which every directory accepts: never sent.
  if (candidate.length === 0) throw invalidData([{ code: "EMPTY_VALUE", target: "password", message: "The password must not be empty." }]);
  const ext = u.externalPassword;
  if (!ext) throw requestFailed("The user is not linked to a gateway: link it (setGateway) or set a password.");
  const db = await getDb();
  // Check Password reads the link with the user (one statement); other callers read it here.
  const link = u.gatewayLink ? linkOf(u.gatewayLink) : await loadLink(db, environmentId, ext);
  const directory = await directoryOf(link);
  const refresh = link.userType.updateUserOnSuccessfulAuthentication && link.userType.newUserLookup ? link.userType.newUserLookup.attributeMappings : [];

  const entry = await talk(link, () => findEntry(directory, link, ext, mappedLdapAttributes(refresh)));
  if (!entry) {
    // The same work as a wrong password (a refused bind), so that timing does not tell which it was.
    await talk(link, () => directory.verify(`uid=${randomUUID()},${link.userType.searchBaseDn}`, candidate));
    throw mismatch();
  }
  if (!(await talk(link, () => directory.verify(entry.dn, candidate)))) throw mismatch();

  if (refresh.length) await refreshProfile(actor, environmentId, u, entry, refresh);

  if (link.userType.passwordAuthority === "LDAP") {
    // Once recorded, the first check stays as it is: no write on every later check.
    if (!u.passwordCheckedAt) await noteSuccessfulCheck(db, u.id);
    return { passwordStatus: "EXTERNAL", passwordChangedAt: u.passwordChangedAt };
  }

  // PING_ONE: lazy migration. Conditional on the user still being EXTERNAL, so that a concurrent
  // check or Set Password is never overwritten.
  const hash = await hashPassword(candidate);
  const now = new Date();
  const migrated = await db.transaction(async (tx) => {
    await noteSuccessfulCheck(tx, u.id, now);
    const changed = await tx
      .update(users)
      .set({ ...storedPasswordColumns(hash), passwordStatus: "OK", passwordChangedAt: now, updatedAt: now })
      .where(and(eq(users.id, u.id), eq(users.passwordStatus, "EXTERNAL")))
      .returning({ id: users.id });
    if (changed.length) await recordAudit(tx, actor, environmentId, "PASSWORD.MIGRATED", { type: "USER", id: u.id }, { gatewayId: ext.gatewayId, userTypeId: ext.userTypeId, to: "argon2id" });
    return changed.length > 0;
  });
  return migrated ? { passwordStatus: "OK", passwordChangedAt: now } : { passwordStatus: u.passwordStatus, passwordChangedAt: u.passwordChangedAt };
}

/**
 * updateUserOnSuccessfulAuthentication (spec 5.2 step 5): the mapped attributes, re-read from the
 * entry, validated by the user schema, written over the stored ones. The username is not
 * refreshed (it is how callers and the directory import find the user). A mapped value the
 * schema refuses leaves the profile as it was; the check itself still succeeds.
 * TODO(lead): point this at the users domain's profile update once it exists.
 */
async function refreshProfile(actor: Actor, environmentId: string, u: TargetUser, entry: Entry, mappings: NonNullable<LoadedLink["userType"]["newUserLookup"]>["attributeMappings"]): Promise<void> {
  const { username: _username, ...mapped } = mapEntry(entry, mappings);
  if (Object.keys(mapped).length === 0) return;
  let input: ReturnType<typeof userImportSchema.parse>;
  try {
    input = parseOrInvalid(userImportSchema, { ...mapped, username: u.username, population: { id: u.populationId } });
  } catch (err) {
    const targets = err instanceof ApiError ? (err.details ?? []).map((d) => d.target) : [];
    log.warn("gateway profile refresh skipped: mapped values are not valid", { userId: u.id, targets });
    return;
  }
  const db = await getDb();
  const [current] = await db.select({ email: users.email, profile: users.profile }).from(users).where(eq(users.id, u.id));
  if (!current) return;
  const profile: UserProfile = mergedProfile(current.profile, profileOf(input));
  if (profileTooLarge(profile)) {
    log.warn("gateway profile refresh skipped: the profile would exceed 16 KB", { userId: u.id });
    return;
  }
  const email = "email" in mapped ? (input.email ?? null) : current.email;
  if (email === current.email && JSON.stringify(profile) === JSON.stringify(current.profile)) return;
  await db.transaction(async (tx) => {
    await tx.update(users).set({ email, profile, updatedAt: new Date() }).where(eq(users.id, u.id));
    await recordAudit(tx, actor, environmentId, "USER.UPDATED", { type: "USER", id: u.id }, { source: "GATEWAY", attributes: Object.keys(mapped) });
  });
}

export type GatewaySetPasswordInput = { value: string; forceChange?: boolean; bypassPolicy?: boolean };

/** Set Password of a gateway user (spec 5.3): the new password goes to the directory, under its own policy. */
export async function setGatewayPassword(actor: Actor, environmentId: string, u: TargetUser, input: GatewaySetPasswordInput): Promise<GatewayPasswordResult> {
  const ext = u.externalPassword;
  if (!ext) throw requestFailed("The user is not linked to a gateway: link it (setGateway) or set a password.");
  const db = await getDb();
  const link = await loadLink(db, environmentId, ext);
  if (!link.userType.allowPasswordChanges) {
    throw requestFailed(`The user's password lives in the external directory of the gateway ${link.gateway.name}, and its user type ${link.userType.name} does not allow password changes: change it in the directory.`);
  }
  if (classifyPassword(input.value).kind !== "cleartext") {
    throw invalidData([{ code: "INVALID_VALUE", target: "value", message: "The directory takes the new password in cleartext: a pre-encoded value cannot be written to it." }]);
  }
  const ldapAuthority = link.userType.passwordAuthority === "LDAP";
  if (ldapAuthority && input.forceChange) {
    throw invalidData([{ code: "INVALID_VALUE", target: "forceChange", message: "The directory decides when its passwords must change: forceChange cannot be set for a user whose password authority is LDAP." }]);
  }
  const directory = await directoryOf(link);
  const entry = await talk(link, () => findEntry(directory, link, ext, []));
  if (!entry) throw requestFailed("The user's entry was not found in the directory by its link attributes (or several entries match): check the user's link.");
  try {
    await talk(link, () => directory.setPassword(entry.dn, input.value));
  } catch (err) {
    if (err instanceof DirectoryError) throw invalidData([{ code: "INVALID_VALUE", target: "value", message: err.message }]);
    throw err;
  }

  const now = new Date();
  if (ldapAuthority) {
    await db.transaction(async (tx) => {
      await tx.update(users).set({ passwordChangedAt: now, updatedAt: now }).where(eq(users.id, u.id));
      await endAdminSessionsOf(tx, u.id);
      await recordAudit(tx, actor, environmentId, "USER.PASSWORD_SET", { type: "USER", id: u.id }, { passwordKind: "cleartext", writtenTo: "DIRECTORY", gatewayId: ext.gatewayId });
    });
    return { passwordStatus: "EXTERNAL", passwordChangedAt: now };
  }
  // PING_ONE authority: the password is now known, so it is also stored, as a first check would.
  const hash = await hashPassword(input.value);
  const status: PasswordStatus = input.forceChange ? "MUST_CHANGE_PASSWORD" : "OK";
  await db.transaction(async (tx) => {
    await tx.update(users).set({ ...storedPasswordColumns(hash), passwordStatus: status, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, u.id));
    await endAdminSessionsOf(tx, u.id);
    await recordAudit(tx, actor, environmentId, "USER.PASSWORD_SET", { type: "USER", id: u.id }, { passwordKind: "cleartext", writtenTo: "DIRECTORY_AND_LOCAL", gatewayId: ext.gatewayId, forceChange: !!input.forceChange });
  });
  return { passwordStatus: status, passwordChangedAt: now };
}

/**
 * setGateway (spec 5.3): links an existing user to a gateway. The password status becomes
 * EXTERNAL and a stored local hash is removed.
 */
export async function linkUserToGateway(actor: Actor, environmentId: string, u: TargetUser, body: unknown): Promise<GatewayPasswordResult> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidData([{ code: "INVALID_VALUE", target: "body", message: "The body must be a JSON object." }]);
  }
  const parsed = parseOrInvalid(setGatewayBodySchema, body);
  const db = await getDb();
  const link = await resolveGatewayLink(db, environmentId, parsed, "");
  const now = new Date();
  await db.transaction(async (tx) => {
    await tx.update(users).set({ externalPassword: link, ...storedPasswordColumns(null), passwordStatus: "EXTERNAL", passwordChangedAt: null, updatedAt: now }).where(eq(users.id, u.id));
    await endAdminSessionsOf(tx, u.id);
    await recordAudit(tx, actor, environmentId, "USER.PASSWORD_GATEWAY_SET", { type: "USER", id: u.id }, {
      gatewayId: link.gatewayId,
      userTypeId: link.userTypeId,
      localPasswordRemoved: u.passwordHash !== null,
    });
  });
  return { passwordStatus: "EXTERNAL", passwordChangedAt: null, externalPassword: link };
}
