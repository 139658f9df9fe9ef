/**
 * What every benchmark needs first: the production build (unless --no-build), a fresh
 * PostgreSQL database, the server started on it with known first-start credentials, and a
 * worker token. `done()` stops the server and drops the database.
 */
import { execSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { freshDatabase } from "../test/support/fresh-db";
import { startServer, type RunningServer } from "../test/support/server";
import { tokenFrom } from "../test/support/tokens";

const ROOT = path.resolve(import.meta.dirname, "..");
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type BenchServer = {
  server: RunningServer;
  dbUrl: string;
  ids: { admin: string; demo: string; worker: string; secret: string };
  token: string;
  done: () => Promise<void>;
};

export async function benchServer(name: string, args: string[]): Promise<BenchServer> {
  if (!args.includes("--no-build")) {
    console.log("building (npm run build) ...");
    execSync("npm run build", { cwd: ROOT, stdio: "ignore", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  }
  const db = await freshDatabase({ prefix: `bench_${name}`, driver: "postgres", adminUrl: ADMIN_URL });
  const drop = db.drop;
  const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: randomBytes(24).toString("base64url") };
  let server: RunningServer;
  try {
    server = await startServer({
      ...db.env,
      LOG_LEVEL: "silent",
      ADMIN_ENV_ID: ids.admin,
      DEMO_ENV_ID: ids.demo,
      WORKER_CLIENT_ID: ids.worker,
      WORKER_CLIENT_SECRET: ids.secret,
      ADMIN_PASSWORD: randomBytes(16).toString("base64url"),
    });
  } catch (err) {
    await drop();
    throw err;
  }
  const done = async () => {
    await server.stop();
    await drop();
  };
  try {
    const token = await tokenFrom(server.url, ids.admin, ids.worker, ids.secret);
    return { server, dbUrl: db.url!, ids, token, done };
  } catch (err) {
    await done();
    throw err;
  }
}
