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
import { isDatabaseUnavailable } from "../lib/api/errors";
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
  /** Migrates again, when `ready` failed because the database could not be reached. */
  retryReady?: () => Promise<void>;
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

const positive = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/**
 * How the `postgres` driver notices a database that went away and finds it again. A socket
 * that cannot connect within DATABASE_CONNECT_TIMEOUT_SECONDS (default 5) fails its query,
 * which the API answers with 503 (lib/api/errors.ts); TCP keepalive starts probing a quiet
 * connection after 10 s (a crashed server's connections are closed by its host at once); an
 * idle connection is closed after DATABASE_IDLE_TIMEOUT_SECONDS (60) and any connection after
 * 25-35 min, so none outlives a failover for long. The driver's own reconnect backoff grows to 20 s
 * after a few failed attempts (3^n / 100 s), which kept the product down for seconds after
 * the database was back: capped here at DATABASE_RECONNECT_MAX_MS (250 ms).
 */
function connectionOptions() {
  const reconnectMaxSeconds = positive("DATABASE_RECONNECT_MAX_MS", 250) / 1000;
  return {
    onnotice: () => {},
    connect_timeout: positive("DATABASE_CONNECT_TIMEOUT_SECONDS", 5),
    idle_timeout: positive("DATABASE_IDLE_TIMEOUT_SECONDS", 60),
    max_lifetime: 60 * (25 + Math.random() * 10),
    keep_alive: 10,
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.02 * 2 ** retries, reconnectMaxSeconds),
  };
}

function openPostgres(url: string): Handle {
  const options = connectionOptions();
  const client = postgres(url, {
    ...options,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 20),
    connection: { application_name: "identity-import" },
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  const migrateOnce = async () => {
    // A dedicated connection holds the advisory lock so that several instances starting at
    // once apply each migration exactly once.
    const lockClient = postgres(url, { ...options, max: 1 });
    try {
      await lockClient`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER() });
      await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    } finally {
      await lockClient.end({ timeout: 5 }).catch(() => {});
    }
  };
  return { db, driver: "postgres", ready: migrateOnce(), retryReady: migrateOnce, close: () => client.end({ timeout: 5 }) };
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
  const ready = h.ready;
  try {
    await ready;
  } catch (err) {
    // The database was down when this process first needed it: this caller gets the error
    // (a 503 at the API), and the next one tries to connect and migrate again, so that the
    // process serves once the database is back, without a restart.
    if (h.retryReady && h.ready === ready && isDatabaseUnavailable(err)) {
      h.ready = h.retryReady();
      h.ready.catch(() => {});
    }
    throw err;
  }
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
