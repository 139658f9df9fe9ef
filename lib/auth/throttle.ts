import "server-only";
import { inArray, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { signInThrottle } from "@/db/schema";

/**
 * Slows down repeated failed sign-ins, per account and per client address. After a few free
 * failures inside the window, each further failure blocks that key for twice as long as the
 * last (1 s, 2 s, 4 s, ... up to 15 minutes). The counters live in the database, so several
 * instances share them; a success clears the account's counter.
 */
const WINDOW_MS = 15 * 60_000;
const MAX_BLOCK_MS = 15 * 60_000;
const FREE_FAILURES = { user: 5, ip: 20 } as const;

export type ThrottleKeys = { user: string; ip: string | null };

function keysOf(k: ThrottleKeys): string[] {
  return [`user:${k.user.toLowerCase()}`, ...(k.ip ? [`ip:${k.ip}`] : [])];
}

/** Seconds until the next attempt is allowed, or 0 when it may go ahead now. */
export async function retryAfterSeconds(k: ThrottleKeys, now = new Date()): Promise<number> {
  const db = await getDb();
  const rows = await db
    .select({ blockedUntil: signInThrottle.blockedUntil })
    .from(signInThrottle)
    .where(inArray(signInThrottle.key, keysOf(k)));
  let wait = 0;
  for (const r of rows) {
    if (r.blockedUntil && r.blockedUntil > now) wait = Math.max(wait, r.blockedUntil.getTime() - now.getTime());
  }
  return Math.ceil(wait / 1000);
}

export async function recordFailure(k: ThrottleKeys, now = new Date()): Promise<void> {
  const db = await getDb();
  const windowStart = new Date(now.getTime() - WINDOW_MS);
  for (const key of keysOf(k)) {
    const free = key.startsWith("user:") ? FREE_FAILURES.user : FREE_FAILURES.ip;
    // One statement per key, so concurrent failures on several instances all count.
    await db.execute(sql`
      insert into sign_in_throttle as t (key, failures, window_started_at, blocked_until)
      values (${key}, 1, ${now.toISOString()}::timestamptz, null)
      on conflict (key) do update set
        failures = case when t.window_started_at < ${windowStart.toISOString()}::timestamptz then 1 else t.failures + 1 end,
        window_started_at = case when t.window_started_at < ${windowStart.toISOString()}::timestamptz then excluded.window_started_at else t.window_started_at end,
        blocked_until = case
          when t.window_started_at < ${windowStart.toISOString()}::timestamptz or t.failures + 1 <= ${free} then null
          else ${now.toISOString()}::timestamptz + least(${MAX_BLOCK_MS}::bigint, (1000::bigint << least(t.failures + 1 - ${free} - 1, 20))) * interval '1 millisecond'
        end`);
  }
}

export async function clearAccount(username: string): Promise<void> {
  const db = await getDb();
  await db.delete(signInThrottle).where(inArray(signInThrottle.key, [`user:${username.toLowerCase()}`]));
}
