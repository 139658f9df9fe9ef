import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { getDb, rows } from "@/db";
import { log, safeError } from "@/lib/log";

/**
 * Readiness (GET /readyz): the database answers and every migration in db/migrations (the
 * drizzle-kit journal) is recorded as applied in drizzle.__drizzle_migrations. Liveness
 * (GET /healthz) needs nothing but the process.
 */
export type Readiness = {
  status: "UP" | "DOWN";
  checks: { database: "UP" | "DOWN"; migrations: "CURRENT" | "PENDING" | "UNKNOWN" };
};

const DB_TIMEOUT_MS = 2000;

async function latestJournalEntry(): Promise<number> {
  const root = process.env.IDENTITY_IMPORT_ROOT ?? process.cwd();
  const journal = JSON.parse(await fs.readFile(path.join(root, "db", "migrations", "meta", "_journal.json"), "utf8")) as {
    entries: { when: number }[];
  };
  return Math.max(0, ...journal.entries.map((e) => e.when));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

export async function readiness(): Promise<Readiness> {
  let applied: number | null;
  try {
    applied = await withTimeout(
      (async () => {
        const db = await getDb();
        const list = rows<{ latest: string | null }>(await db.execute(sql`select max(created_at)::text as latest from drizzle.__drizzle_migrations`));
        return list[0]?.latest == null ? 0 : Number(list[0].latest);
      })(),
      DB_TIMEOUT_MS,
    );
  } catch (err) {
    log.warn("readiness check: database unreachable", safeError(err));
    return { status: "DOWN", checks: { database: "DOWN", migrations: "UNKNOWN" } };
  }
  let expected: number;
  try {
    expected = await latestJournalEntry();
  } catch (err) {
    log.warn("readiness check: migrations journal unreadable", safeError(err));
    return { status: "DOWN", checks: { database: "UP", migrations: "UNKNOWN" } };
  }
  const current = applied >= expected;
  return { status: current ? "UP" : "DOWN", checks: { database: "UP", migrations: current ? "CURRENT" : "PENDING" } };
}
