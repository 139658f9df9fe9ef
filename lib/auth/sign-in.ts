import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { settings, users } from "@/db/schema";
import type { Assignment } from "@/lib/access";
import { ApiError } from "@/lib/api/errors";
import { verifyPassword } from "@/lib/passwords";
import { isUuid } from "@/lib/ids";
import { ADMIN_ENVIRONMENT_SETTING } from "@/lib/bootstrap";
import { upgradeStoredHash } from "@/lib/users/password";
import { dummyPasswordHash, loadAssignments } from "./tokens";
import { clearAccount, recordFailure, retryAfterSeconds } from "./throttle";

export type Administrator = { id: string; username: string; assignments: Assignment[] };

export type SignInResult =
  | { ok: true; administrator: Administrator }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfter: number };

/** The one message for an unknown username and a wrong password. */
export const INVALID_CREDENTIALS_MESSAGE = "The username or password is incorrect.";

export async function adminEnvironmentId(): Promise<string | null> {
  const db = await getDb();
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, ADMIN_ENVIRONMENT_SETTING));
  return row?.value ?? null;
}

/**
 * Console sign-in: an enabled user of the administrators' environment whose password checks
 * out with the product's own verifyPassword (so an administrator imported with a legacy hash
 * can sign in). The hash check runs whether or not the user exists, against a dummy argon2id
 * hash, so that neither the answer nor its timing tells which usernames are real.
 */
export async function authenticateAdministrator(username: unknown, password: unknown, ip: string | null): Promise<SignInResult> {
  if (typeof username !== "string" || typeof password !== "string" || !username.trim() || !password || username.length > 256 || password.length > 1024) {
    return { ok: false, reason: "invalid" };
  }
  const name = username.trim();
  const keys = { user: name, ip };
  const wait = await retryAfterSeconds(keys);
  if (wait > 0) return { ok: false, reason: "throttled", retryAfter: wait };

  const db = await getDb();
  const envId = await adminEnvironmentId();
  const [row] = envId
    ? await db
        .select({ id: users.id, username: users.username, passwordHash: users.passwordHash, enabled: users.enabled })
        .from(users)
        .where(and(eq(users.environmentId, envId), sql`lower(${users.username}) = lower(${name})`))
    : [];
  const stored = row?.passwordHash ?? (await dummyPasswordHash());
  const ok = await verifyPassword(stored, password).catch((err: unknown) => {
    // A full check pool (503) is no wrong password: ask to come back, and count no failure.
    if (err instanceof ApiError && err.status === 503) return Number(err.headers?.["Retry-After"]) || 5;
    return false;
  });
  if (typeof ok === "number") return { ok: false, reason: "throttled", retryAfter: ok };
  if (!row || !row.passwordHash || !row.enabled || !ok) {
    await recordFailure(keys);
    return { ok: false, reason: "invalid" };
  }
  await clearAccount(name);
  // A legacy hash that just proved itself becomes argon2id, as Check Password does it.
  await upgradeStoredHash({
    actor: { type: "USER", id: row.id, assignments: [], via: "CONSOLE" },
    environmentId: envId!,
    userId: row.id,
    stored: row.passwordHash,
    cleartext: password,
  });
  return { ok: true, administrator: { id: row.id, username: row.username, assignments: await loadAssignments({ userId: row.id }) } };
}

/** The current state of a signed-in administrator, read fresh: null once disabled or deleted. */
export async function currentAdministrator(userId: string): Promise<Administrator | null> {
  if (!isUuid(userId)) return null;
  const envId = await adminEnvironmentId();
  if (!envId) return null;
  const db = await getDb();
  const [row] = await db
    .select({ id: users.id, username: users.username, enabled: users.enabled })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.environmentId, envId)));
  if (!row || !row.enabled) return null;
  return { id: row.id, username: row.username, assignments: await loadAssignments({ userId: row.id }) };
}
