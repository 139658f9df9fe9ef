/**
 * A fresh database per test file, migrated and bootstrapped exactly as `npm start` does it,
 * and an HTTP client that hands real Request objects to the real route handlers in `app/`.
 * The driver comes from the Vitest project: PGlite (in memory) or PostgreSQL (a new database
 * on TEST_DATABASE_URL, dropped afterwards).
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import postgres from "postgres";

const ROOT = path.resolve(__dirname, "../..");

export const FIXED = {
  adminEnvId: "0a000000-0000-4000-8000-000000000001",
  demoEnvId: "0d000000-0000-4000-8000-000000000002",
  workerId: "0c000000-0000-4000-8000-000000000003",
  workerSecret: "test-worker-secret-" + randomBytes(8).toString("hex"),
  adminUsername: "root-admin",
  adminPassword: "admin-password-" + randomBytes(8).toString("hex"),
};

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type RouteEntry = { pattern: RegExp; names: string[]; file: string; staticSegments: number };

function discoverRoutes(): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (dir: string, segs: string[]) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), [...segs, e.name]);
      else if (e.name === "route.ts") {
        const names: string[] = [];
        const parts = segs
          .filter((s) => !/^\(.*\)$/.test(s))
          .map((s) => {
            const m = s.match(/^\[(.+)\]$/);
            if (m) {
              names.push(m[1]!);
              return "([^/]+)";
            }
            return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          });
        out.push({
          pattern: new RegExp(`^/${parts.join("/")}/?$`),
          names,
          file: path.join(dir, e.name),
          staticSegments: segs.filter((s) => !s.startsWith("[")).length,
        });
      }
    }
  };
  walk(path.join(ROOT, "app"), []);
  // Like Next.js: static segments win over dynamic ones.
  return out.sort((a, b) => b.staticSegments - a.staticSegments);
}

export type TestApp = {
  driver: "pglite" | "postgres";
  base: string;
  fetch: (p: string, init?: RequestInit) => Promise<Response>;
  token: (clientId?: string, secret?: string) => Promise<string>;
  close: () => Promise<void>;
};

let routes: RouteEntry[] | undefined;

export async function startTestApp(): Promise<TestApp> {
  const driver = (process.env.TEST_DRIVER ?? "pglite") as "pglite" | "postgres";
  let dropDatabase: (() => Promise<void>) | undefined;
  if (driver === "postgres") {
    const adminUrl = process.env.TEST_DATABASE_URL;
    if (!adminUrl) throw new Error("TEST_DATABASE_URL is required for the postgres project");
    const name = `ii_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    process.env.DATABASE_URL = url.toString();
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    };
  } else {
    delete process.env.DATABASE_URL;
    process.env.DATA_DIR = "memory://";
  }
  process.env.LOG_LEVEL ??= "silent";
  process.env.ADMIN_ENV_ID = FIXED.adminEnvId;
  process.env.DEMO_ENV_ID = FIXED.demoEnvId;
  process.env.WORKER_CLIENT_ID = FIXED.workerId;
  process.env.WORKER_CLIENT_SECRET = FIXED.workerSecret;
  process.env.ADMIN_USERNAME = FIXED.adminUsername;
  process.env.ADMIN_PASSWORD = FIXED.adminPassword;

  const { bootstrap } = await import("@/lib/bootstrap");
  const { closeDb } = await import("@/db");
  await bootstrap();

  routes ??= discoverRoutes();
  const modules = new Map<string, Record<string, Handler>>();
  const base = "http://localhost:3000";

  const fetchApp = async (p: string, init: RequestInit = {}): Promise<Response> => {
    const req = new Request(new URL(p, base), init);
    let pathname = new URL(req.url).pathname;
    // next.config.ts rewrites /v1/environments/... onto /environments/...
    if (pathname === "/v1/environments" || pathname.startsWith("/v1/environments/")) pathname = pathname.slice(3);
    for (const r of routes!) {
      const m = pathname.match(r.pattern);
      if (!m) continue;
      let mod = modules.get(r.file);
      if (!mod) {
        mod = (await import(/* @vite-ignore */ r.file)) as Record<string, Handler>;
        modules.set(r.file, mod);
      }
      const handler = mod[req.method];
      if (!handler) return new Response(null, { status: 405 });
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      return handler(req, { params: Promise.resolve(params) });
    }
    return new Response(null, { status: 404 });
  };

  const token = async (clientId = FIXED.workerId, secret = FIXED.workerSecret) => {
    const res = await fetchApp(`/${FIXED.adminEnvId}/as/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64"),
      },
      body: "grant_type=client_credentials",
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  return {
    driver,
    base,
    fetch: fetchApp,
    token,
    close: async () => {
      await closeDb();
      await dropDatabase?.();
    },
  };
}
