import "server-only";
import { and, eq, gt, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { adminSessions, settings, users } from "@/db/schema";
import type { Assignment } from "@/lib/access";
import { verifyPassword } from "@/lib/passwords";
import { isUuid } from "@/lib/ids";
import { ADMIN_ENVIRONMENT_SETTING } from "@/lib/bootstrap";
import { upgradeStoredHash } from "@/lib/users/password";
import { loadAssignments } from "@/lib/access/assignments";
import { dummyPasswordHash } from "./tokens";
import { ApiError } from "@/lib/api/errors";
import { beginSignInAttempt, giveBackSignInAttempt, signInSucceeded } from "./throttle";

export type Administrator = { id: string; username: string; assignments: Assignment[] };

export type SignInResult =
  | { ok: true; administrator: Administrator }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfter: number }
  | { ok: false; reason: "unavailable"; retryAfter: number };

/** The one message for an unknown username and a wrong password. */
export const INVALID_CREDENTIALS_MESSAGE = "The username or password is incorrect.";

export async function adminEnvironmentId(): Promise<string | null> {
  const db = await getDb();
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, ADMIN_ENVIRONMENT_SETTING));
  return row?.value ?? null;
}

/**
 * The least time a sign-in attempt takes to answer (SIGN_IN_MIN_MS, default 300 ms), whatever the
 * outcome: an unknown username, a wrong password against an argon2id hash and one against a fast
 * legacy hash all answer alike, so timing does not tell which usernames are real (finding F10).
 * A stored legacy hash slower than this still shows, until its first successful sign-in turns it
 * into argon2id.
 */
function minimumAnswerMs(): number {
  const n = Number(process.env.SIGN_IN_MIN_MS);
  return Number.isFinite(n) && n >= 0 ? n : 300;
}

async function answerNoSoonerThan<T>(startedAt: number, result: T): Promise<T> {
  const wait = startedAt + minimumAnswerMs() - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return result;
}

/**
 * Console sign-in: an enabled user of the administrators' environment whose password checks
 * out with the product's own verifyPassword (so an administrator imported with a legacy hash
 * can sign in). The attempt is counted before the password is checked (lib/auth/throttle.ts). The
 * hash check runs whether or not the user exists, against a dummy argon2id hash, and every
 * answer takes at least SIGN_IN_MIN_MS, so that neither the answer nor its timing tells which
 * usernames are real.
 */
export async function authenticateAdministrator(username: unknown, password: unknown, ip: string | null): Promise<SignInResult> {
  const startedAt = performance.now();
  if (typeof username !== "string" || typeof password !== "string" || !username.trim() || !password || username.length > 256 || password.length > 1024) {
    return answerNoSoonerThan(startedAt, { ok: false, reason: "invalid" });
  }
  const name = username.trim();
  const keys = { user: name, ip };
  const attempt = await beginSignInAttempt(keys);
  if (!attempt.allowed) return { ok: false, reason: "throttled", retryAfter: attempt.retryAfterSeconds };

  const db = await getDb();
  const envId = await adminEnvironmentId();
  const [row] = envId
    ? await db
        .select({ id: users.id, username: users.username, passwordHash: users.passwordHash, enabled: users.enabled, passwordCheckedAt: users.passwordCheckedAt })
        .from(users)
        .where(and(eq(users.environmentId, envId), sql`lower(${users.username}) = lower(${name})`))
    : [];
  const usable = row && row.passwordHash && row.enabled ? row.passwordHash : null;
  let ok: boolean;
  try {
    ok = await verifyPassword(usable ?? (await dummyPasswordHash()), password);
  } catch (err) {
    // The password-check workers are saturated: not the caller's failure, so not counted.
    if (err instanceof ApiError && err.status === 503) {
      await giveBackSignInAttempt(keys);
      return { ok: false, reason: "unavailable", retryAfter: Number(err.headers?.["Retry-After"]) || 5 };
    }
    ok = false;
  }
  if (!row || !usable || !ok) return answerNoSoonerThan(startedAt, { ok: false, reason: "invalid" });
  await signInSucceeded(keys);
  // A legacy hash that just proved itself becomes argon2id, as Check Password does it.
  await upgradeStoredHash({
    actor: { type: "USER", id: row.id, assignments: [], via: "CONSOLE" },
    environmentId: envId!,
    userId: row.id,
    stored: usable,
    cleartext: password,
    checkedAt: row.passwordCheckedAt,
  });
  return answerNoSoonerThan(startedAt, { ok: true, administrator: { id: row.id, username: row.username, assignments: await loadAssignments({ userId: row.id }) } });
}

/**
 * The current state of a signed-in administrator, read fresh: null once disabled or deleted, or
 * once the session has ended (signed out, the password changed, expired: lib/auth/sessions.ts).
 */
export async function currentAdministrator(userId: string, sessionId: string | undefined): Promise<Administrator | null> {
  if (!isUuid(userId) || !sessionId || !isUuid(sessionId)) return null;
  const envId = await adminEnvironmentId();
  if (!envId) return null;
  const db = await getDb();
  const [row] = await db
    .select({ id: users.id, username: users.username, enabled: users.enabled })
    .from(users)
    .innerJoin(adminSessions, and(eq(adminSessions.userId, users.id), eq(adminSessions.id, sessionId.toLowerCase()), gt(adminSessions.expiresAt, sql`now()`)))
    .where(and(eq(users.id, userId), eq(users.environmentId, envId)));
  if (!row || !row.enabled) return null;
  return { id: row.id, username: row.username, assignments: await loadAssignments({ userId: row.id }) };
}
