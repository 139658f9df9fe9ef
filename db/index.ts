import "server-only";
import path from "node:path";
import fs from "node:fs";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import * as schema from "./schema";

/**
 * The one database client. PostgreSQL (the `postgres` driver) when DATABASE_URL is set,
 * otherwise an embedded PGlite database in DATA_DIR (default `.data/`). Both run the same
 * drizzle-kit migrations, applied on first use. One instance per process, kept on globalThis
 * so that dev-mode reloads do not open a second PGlite on the same folder.
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

type Handle = {
  db: Db;
  driver: "postgres" | "pglite";
  ready: Promise<void>;
  close: () => Promise<void>;
};

const ROOT = () => process.env.IDENTITY_IMPORT_ROOT ?? process.cwd();
const MIGRATIONS_FOLDER = () => path.join(ROOT(), "db", "migrations");
// Any fixed 64-bit number: all instances serialise their migrations on it.
const MIGRATION_LOCK = 727_172_001;

const globalForDb = globalThis as unknown as { __identityImportDb?: Handle };

function open(): Handle {
  const url = process.env.DATABASE_URL;
  if (url) return openPostgres(url);
  return openPglite(process.env.DATA_DIR ?? path.join(ROOT(), ".data"));
}

function openPostgres(url: string): Handle {
  const client = postgres(url, {
    max: Number(process.env.DATABASE_POOL_SIZE ?? 20),
    onnotice: () => {},
    connection: { application_name: "identity-import" },
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  const ready = (async () => {
    // A dedicated connection holds the advisory lock so that several instances starting at
    // once apply each migration exactly once.
    const lockClient = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await lockClient`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER() });
      await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    } finally {
      await lockClient.end({ timeout: 5 });
    }
  })();
  return { db, driver: "postgres", ready, close: () => client.end({ timeout: 5 }) };
}

function openPglite(dataDir: string): Handle {
  const inMemory = dataDir.startsWith("memory://");
  if (!inMemory) fs.mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(inMemory ? dataDir : path.resolve(dataDir));
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  const ready = (async () => {
    await client.waitReady;
    await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_FOLDER() });
  })();
  return { db, driver: "pglite", ready, close: () => client.close() };
}

function handle(): Handle {
  if (!globalForDb.__identityImportDb) globalForDb.__identityImportDb = open();
  return globalForDb.__identityImportDb;
}

/** The database, migrated. Every query module goes through this. */
export async function getDb(): Promise<Db> {
  const h = handle();
  await h.ready;
  return h.db;
}

/**
 * The rows of a raw `db.execute(sql...)` result: postgres-js returns the rows array itself,
 * PGlite an object holding `rows`.
 */
export function rows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export function databaseDriver(): "postgres" | "pglite" {
  return handle().driver;
}

export async function closeDb(): Promise<void> {
  const h = globalForDb.__identityImportDb;
  if (!h) return;
  globalForDb.__identityImportDb = undefined;
  await h.ready.catch(() => {});
  await h.close();
}

export { schema };
