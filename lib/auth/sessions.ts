import "server-only";
import { eq, lt } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { adminSessions } from "@/db/schema";
import { isUuid, uuidv7 } from "@/lib/ids";
import { SESSION_MAX_AGE_SECONDS } from "./auth.config";

/**
 * Server-side console sessions (finding F6). The Auth.js session cookie stays a signed,
 * encrypted JWT, but it names a row here (`sid`), and a session is valid only while its row
 * exists: signing out deletes it, a change of the administrator's password deletes all of the
 * administrator's rows, and every console request and API call with a session checks it
 * (lib/auth/sign-in.ts currentAdministrator), so the end is immediate on every instance. The
 * row's expiry is absolute: eight hours after sign-in, however active the session.
 */
export async function createAdminSession(userId: string): Promise<string> {
  const db = await getDb();
  const id = uuidv7();
  const now = Date.now();
  await db.delete(adminSessions).where(lt(adminSessions.expiresAt, new Date(now)));
  await db.insert(adminSessions).values({ id, userId, expiresAt: new Date(now + SESSION_MAX_AGE_SECONDS * 1000) });
  return id;
}

export async function endAdminSession(sessionId: unknown): Promise<void> {
  if (typeof sessionId !== "string" || !isUuid(sessionId)) return;
  const db = await getDb();
  await db.delete(adminSessions).where(eq(adminSessions.id, sessionId.toLowerCase()));
}

/** Ends every console session of a user, in the caller's transaction (their password changed). */
export async function endAdminSessionsOf(tx: Executor, userId: string): Promise<void> {
  await tx.delete(adminSessions).where(eq(adminSessions.userId, userId));
}

