/**
 * One fresh database for a test file (or a benchmark), on the driver of the Vitest project:
 * a new PostgreSQL database on TEST_DATABASE_URL, dropped afterwards, or an embedded PGlite
 * (a temporary folder a server process can open, or memory for the in-process harness). `env`
 * is what a server process (or the in-process harness) needs to use it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import postgres from "postgres";

export type Driver = "pglite" | "postgres";

export type FreshDb = {
  driver: Driver;
  env: Record<string, string | undefined>;
  /** PostgreSQL only: the database's URL and a small client for direct facts. */
  url?: string;
  sql?: postgres.Sql;
  /** PGlite folder only. */
  dataDir?: string;
  drop: () => Promise<void>;
};

export function testDriver(): Driver {
  return (process.env.TEST_DRIVER ?? "pglite") as Driver;
}

export async function freshDatabase(opts: { prefix?: string; driver?: Driver; memory?: boolean; adminUrl?: string } = {}): Promise<FreshDb> {
  const driver = opts.driver ?? testDriver();
  const prefix = opts.prefix ?? "test";
  if (driver === "postgres") {
    const adminUrl = opts.adminUrl ?? process.env.TEST_DATABASE_URL;
    if (!adminUrl) throw new Error("TEST_DATABASE_URL is required for the postgres project");
    const name = `ii_${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
    return {
      driver,
      env: { DATABASE_URL: url.toString(), DATA_DIR: undefined },
      url: url.toString(),
      sql,
      drop: async () => {
        await sql.end({ timeout: 5 });
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end({ timeout: 5 });
      },
    };
  }
  if (opts.memory) return { driver, env: { DATABASE_URL: undefined, DATA_DIR: "memory://" }, drop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ii-${prefix}-`));
  return { driver, env: { DATABASE_URL: undefined, DATA_DIR: dir }, dataDir: dir, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}
