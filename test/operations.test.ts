/**
 * Operating the production server (issue 6): JSON request logs that hold every request's
 * method, path, status, duration, actor and error id but no secret of any kind; security
 * headers on API and console responses; /healthz and /readyz; rate limits answered with 429
 * REQUEST_LIMITED and Retry-After. Runs the real server bundle (`npm run build` first), on
 * PGlite (one process) and on PostgreSQL (two workers).
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, testDriver, type FreshDb } from "./support/fresh-db";
import { freePort, SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { basic, requestToken } from "./support/tokens";

const driver = testDriver();
const IMPORT = "application/vnd.pingidentity.user.import+json";

/** A fresh database for one server; on PostgreSQL the server runs two workers. */
async function freshDb(): Promise<FreshDb> {
  const db = await freshDatabase({ prefix: "ops" });
  if (db.driver === "postgres") db.env.WEB_CONCURRENCY = "2";
  return db;
}

const ids = {
  admin: randomUUID(),
  demo: randomUUID(),
  worker: randomUUID(),
  workerSecret: "ops-worker-secret-" + randomBytes(12).toString("hex"),
  adminPassword: "ops-admin-password-" + randomBytes(12).toString("hex"),
};

function bootstrapEnv() {
  return {
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.workerSecret,
    ADMIN_PASSWORD: ids.adminPassword,
  };
}

async function tokenFrom(server: RunningServer, envId: string, id: string, secret: string) {
  const res = await requestToken(server.url, envId, id, secret);
  return { res, body: (await res.json()) as { access_token: string } };
}

function logLines(server: RunningServer): Record<string, unknown>[] {
  return server
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(() => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
});

describe("request logs, headers and probes", () => {
  let db: FreshDb;
  let server: RunningServer;
  const secrets = new Set<string>([ids.workerSecret, ids.adminPassword]);
  const errorIds: { id: string; status: number; path: string }[] = [];

  beforeAll(async () => {
    db = await freshDb();
    server = await startServer({ ...db.env, ...bootstrapEnv(), LOG_LEVEL: "info" });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("drives a representative set of calls with known secrets, then finds none of them in the log", async () => {
    const { body: tok } = await tokenFrom(server, ids.admin, ids.worker, ids.workerSecret);
    const token = tok.access_token;
    secrets.add(token);
    secrets.add(basic(ids.worker, ids.workerSecret).slice(6));
    const auth = { authorization: `Bearer ${token}` };
    const call = async (p: string, init: RequestInit = {}) => {
      const res = await fetch(server.url + p, init);
      const text = await res.text();
      if (res.status >= 400 && text.startsWith("{")) {
        const body = JSON.parse(text) as { id?: string };
        if (body.id) errorIds.push({ id: body.id, status: res.status, path: p.split("?")[0]! });
      }
      return { status: res.status, text, body: text.startsWith("{") ? JSON.parse(text) : undefined };
    };

    // Token endpoint: a wrong secret by Basic, a wrong one by form POST.
    const wrongSecret = "wrong-secret-" + randomBytes(8).toString("hex");
    secrets.add(wrongSecret);
    expect((await tokenFrom(server, ids.admin, ids.worker, wrongSecret)).res.status).toBe(401);
    await call(`/${ids.admin}/as/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${ids.worker}&client_secret=${wrongSecret}`,
    });

    const pops = await call(`/environments/${ids.demo}/populations`, { headers: auth });
    const populationId = (pops.body._embedded.populations as { id: string; default: boolean }[]).find((p) => p.default)!.id;

    // Imports: cleartext, a legacy hash, a policy failure, malformed JSON holding a password.
    const cleartext = "ops-cleartext-" + randomBytes(8).toString("hex");
    const legacy = "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93";
    const tooShort = "Zq7!x";
    secrets.add(cleartext).add(legacy).add(tooShort);
    const importUser = (body: unknown, raw?: string) =>
      call(`/environments/${ids.demo}/users`, { method: "POST", headers: { ...auth, "content-type": IMPORT }, body: raw ?? JSON.stringify(body) });
    const a = await importUser({ username: "ops-ada", email: "ada@example.com", population: { id: populationId }, password: { value: cleartext } });
    expect(a.status).toBe(201);
    expect((await importUser({ username: "ops-bob", population: { id: populationId }, password: { value: legacy } })).status).toBe(201);
    expect((await importUser({ username: "ops-cy", population: { id: populationId }, password: { value: tooShort } })).status).toBe(400);
    expect((await importUser(null, `{"username":"ops-dee","password":{"value":"${cleartext}"`)).status).toBe(400);
    expect((await importUser({ username: "ops-ada", population: { id: populationId }, password: { value: cleartext } })).status).toBe(400);
    expect((await call(`/environments/${ids.demo}/users`, { method: "POST", headers: { "content-type": IMPORT }, body: "{}" })).status).toBe(401);

    // Password operations with the right and a wrong password, and a new one.
    const pw = `/environments/${ids.demo}/users/${a.body.id}/password`;
    const check = (password: string) =>
      call(pw, { method: "POST", headers: { ...auth, "content-type": "application/vnd.pingidentity.password.check+json" }, body: JSON.stringify({ password }) });
    expect((await check(cleartext)).status).toBe(200);
    expect((await check(wrongSecret)).status).toBe(400);
    const newPassword = "ops-new-password-" + randomBytes(8).toString("hex");
    secrets.add(newPassword);
    await call(pw, { method: "PUT", headers: { ...auth, "content-type": "application/vnd.pingidentity.password.set+json" }, body: JSON.stringify({ value: newPassword }) });

    // Verification: a code sent, a wrong code tried (and, on PostgreSQL, the real code read from the outbox).
    const v = await importUser({ username: "ops-eve", email: "eve@example.com", population: { id: populationId }, lifecycle: { status: "VERIFICATION_REQUIRED" } });
    expect(v.status).toBe(201);
    const wrongCode = "ZZ" + randomBytes(3).toString("hex").toUpperCase();
    secrets.add(wrongCode);
    const verify = (code: string) =>
      call(`/environments/${ids.demo}/users/${v.body.id}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/vnd.pingidentity.user.verify+json" },
        body: JSON.stringify({ verificationCode: code }),
      });
    expect((await verify(wrongCode)).status).toBe(400);
    if (db.sql) {
      const [mail] = await db.sql<{ text_body: string }[]>`select text_body from email_outbox order by created_at desc limit 1`;
      const code = mail!.text_body.match(/this code:\s+(\S+)/)![1]!;
      secrets.add(code);
      expect((await verify(code)).status).toBe(200);
    }

    // Access management (PostgreSQL, where the test can grant the worker Environment Admin):
    // an application's secret, shown once, then rotated, and a token for it.
    if (db.sql) {
      await db.sql`insert into role_assignments (id, role, application_id, scope_type, scope_id, scope_environment_id)
        values (${randomUUID()}, 'ENVIRONMENT_ADMIN', ${ids.worker}, 'ENVIRONMENT', ${ids.demo}, ${ids.demo})`;
      const { body: adminTok } = await tokenFrom(server, ids.admin, ids.worker, ids.workerSecret);
      secrets.add(adminTok.access_token);
      const adminAuth = { authorization: `Bearer ${adminTok.access_token}` };
      const created = await call(`/environments/${ids.demo}/applications`, { method: "POST", headers: { ...adminAuth, "content-type": "application/json" }, body: JSON.stringify({ name: "ops" }) });
      expect(created.status).toBe(201);
      secrets.add(created.body.clientSecret);
      const rotated = await call(`/environments/${ids.demo}/applications/${created.body.id}/secret`, { method: "POST", headers: adminAuth });
      expect(rotated.status).toBe(200);
      secrets.add(rotated.body.clientSecret);
      const { body: appTok } = await tokenFrom(server, ids.demo, created.body.id, rotated.body.clientSecret);
      secrets.add(appTok.access_token);
    }

    // A bad bearer token and a console page.
    const forged = token.slice(0, -4) + "AAAA";
    secrets.add(forged);
    expect((await call(`/environments/${ids.demo}/users`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
    expect((await fetch(server.url + "/login")).status).toBe(200);

  });

  it("sets security headers on API and console responses; HSTS only behind HTTPS", async () => {
    for (const p of [`/environments/${ids.demo}/users`, "/healthz", "/openapi.json", "/login"]) {
      const res = await fetch(server.url + p);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, p).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options"), p).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), p).toBeTruthy();
      expect(res.headers.get("strict-transport-security"), p).toBeNull();
      const https = await fetch(server.url + p, { headers: { "x-forwarded-proto": "https" } });
      expect(https.headers.get("strict-transport-security"), p).toMatch(/max-age=\d+/);
    }
    // A console page runs only scripts carrying its own fresh nonce: Next's inline bootstrap
    // scripts have it, an injected one would not, and no policy allows inline scripts at large.
    const nonces = new Set<string>();
    for (const p of ["/login", "/", "/console/no-such-page"]) {
      const page = await fetch(server.url + p);
      const html = await page.text();
      const csp = page.headers.get("content-security-policy") ?? "";
      const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
      expect(scriptSrc, p).not.toContain("unsafe-inline");
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(scriptSrc)?.[1];
      expect(nonce, p).toBeTruthy();
      nonces.add(nonce!);
      const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
      expect(scripts.length, p).toBeGreaterThan(0);
      for (const attrs of scripts) expect(attrs, p).toContain(`nonce="${nonce}"`);
    }
    expect(nonces.size).toBe(3);
  });

  it("keeps Next's origin check on server actions: a cross-origin call of the sign-in action does not run it", async () => {
    // The login form as a browser without JavaScript posts it: the action's hidden fields from
    // the page, plus the administrator's real credentials. Run, the action issues a session.
    const page = await (await fetch(server.url + "/login")).text();
    const hidden = [...page.matchAll(/<input type="hidden" name="(\$ACTION_[^"]+)"(?: value="([^"]*)")?/g)].map(
      (m) => [m[1]!, (m[2] ?? "").replace(/&quot;/g, '"').replace(/&amp;/g, "&")] as const,
    );
    expect(hidden.length, "the sign-in form's action fields").toBeGreaterThan(0);
    const signIn = (origin: string) => {
      const form = new FormData();
      for (const [k, v] of hidden) form.append(k, v);
      form.append("callbackUrl", "/console");
      form.append("username", "admin");
      form.append("password", ids.adminPassword);
      return fetch(server.url + "/login", { method: "POST", body: form, headers: { origin }, redirect: "manual" });
    };
    const sessionOf = (res: Response) => res.headers.getSetCookie().some((c) => /authjs\.session-token=[^;]+/.test(c));
    const crossOrigin = await signIn("https://evil.example");
    await crossOrigin.arrayBuffer();
    expect(sessionOf(crossOrigin), "a cross-origin call issued a session: the action ran").toBe(false);
    expect(crossOrigin.status).toBeGreaterThanOrEqual(400);
    const sameOrigin = await signIn(server.url);
    await sameOrigin.arrayBuffer();
    expect(sessionOf(sameOrigin), "the same call from the console's own origin signs in").toBe(true);
  });

  it("sets Auth.js cookies HttpOnly and SameSite=Lax, and Secure only behind HTTPS", async () => {
    const cookiesOf = async (headers: Record<string, string>) => (await fetch(server.url + "/api/auth/csrf", { headers })).headers.getSetCookie();
    const plain = await cookiesOf({});
    expect(plain.length).toBeGreaterThan(0);
    for (const c of plain) {
      expect(c).toMatch(/;\s*HttpOnly/i);
      expect(c).toMatch(/;\s*SameSite=Lax/i);
      expect(c).not.toMatch(/;\s*Secure/i);
    }
    const https = await cookiesOf({ "x-forwarded-proto": "https" });
    expect(https.length).toBeGreaterThan(0);
    for (const c of https) {
      expect(c).toMatch(/;\s*HttpOnly/i);
      expect(c).toMatch(/;\s*SameSite=Lax/i);
      expect(c).toMatch(/;\s*Secure/i);
    }
  });

  it("answers /healthz and /readyz without authentication", async () => {
    const h = await fetch(server.url + "/healthz");
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: "UP" });
    const r = await fetch(server.url + "/readyz");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "UP", checks: { database: "UP", migrations: "CURRENT" } });
  });

  it.skipIf(driver !== "postgres")("says not ready while a migration is missing from the database", async () => {
    const sql = db.sql!;
    const rows = await sql`select id, hash, created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
    const last = rows[0]!;
    await sql`delete from drizzle.__drizzle_migrations where id = ${last.id}`;
    try {
      const r = await fetch(server.url + "/readyz");
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: "DOWN", checks: { database: "UP", migrations: "PENDING" } });
    } finally {
      await sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${last.id}, ${last.hash}, ${last.created_at})`;
    }
    expect((await fetch(server.url + "/readyz")).status).toBe(200);
  });
  // Last, once every call above is made: stop the server (its exit path flushes the buffered
  // log synchronously), then scan everything it wrote. A scan of a running server could miss
  // a line still in the buffer and pass while a secret leaks.
  it("after the server has stopped and flushed: no secret in the log, and one JSON line per request with method, path, status, duration, actor and the error id", async () => {
    await server.stop();
    const raw = server.output().split("\n").filter((l) => l.startsWith("{")).join("\n");
    expect(raw.length).toBeGreaterThan(0);
    for (const s of secrets) {
      expect(raw.includes(s), `the log holds a secret (${s.slice(0, 6)}…)`).toBe(false);
      const escaped = JSON.stringify(s).slice(1, -1);
      expect(raw.includes(escaped), `the log holds a secret, escaped (${s.slice(0, 6)}…)`).toBe(false);
    }
    expect(raw).not.toMatch(/\$argon2id\$|\{SSHA\}|eyJ[A-Za-z0-9_-]{10,}\.eyJ/);

    const lines = logLines(server).filter((l) => l.msg === "request");
    expect(lines.length).toBeGreaterThan(15);
    for (const l of lines) {
      expect(typeof l.method).toBe("string");
      expect(l.path).toMatch(/^\//);
      expect(String(l.path)).not.toContain("?");
      expect(typeof l.status).toBe("number");
      expect(typeof l.durationMs).toBe("number");
      expect(typeof l.time).toBe("string");
    }
    const imports = lines.filter((l) => l.method === "POST" && l.path === `/environments/${ids.demo}/users` && l.status === 201);
    expect(imports.length).toBe(3);
    for (const l of imports) expect(l.actor).toBe(`APPLICATION:${ids.worker}`);
    // Every error a client saw can be found by its id, on the line of that very request.
    expect(errorIds.length).toBeGreaterThan(5);
    for (const e of errorIds) {
      const line = lines.find((l) => l.errorId === e.id);
      expect(line, `log line for error ${e.id}`).toBeDefined();
      expect(line!.status).toBe(e.status);
      expect(line!.path).toBe(e.path);
    }
    expect(lines.some((l) => l.path === "/login" && l.status === 200)).toBe(true);
  });
});

describe("rate limits", () => {
  let db: FreshDb;
  let server: RunningServer;

  beforeAll(async () => {
    db = await freshDb();
    server = await startServer({
      ...db.env,
      ...bootstrapEnv(),
      LOG_LEVEL: "silent",
      // One process, so that the batched per-IP count is exact here; several instances share
      // the counters through the database (see scale-out.test.ts).
      WEB_CONCURRENCY: "1",
      // Behind a load balancer: the address it appended to X-Forwarded-For is the client's.
      TRUST_PROXY: "true",
      RATE_LIMIT_TOKEN_PER_IP: "3",
      RATE_LIMIT_TOKEN_WINDOW_SECONDS: "600",
      RATE_LIMIT_API_PER_IP: "1000",
      RATE_LIMIT_API_WINDOW_SECONDS: "600",
      RATE_LIMIT_API_PER_APPLICATION: "5",
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const from = (ip: string, headers: Record<string, string> = {}) => ({ ...headers, "x-forwarded-for": `10.9.9.9, ${ip}` });

  it("limits each worker application, whatever the IP it calls from", async () => {
    const tokenRes = await fetch(`${server.url}/${ids.admin}/as/token`, {
      method: "POST",
      headers: from("192.0.2.1", { "content-type": "application/x-www-form-urlencoded", authorization: basic(ids.worker, ids.workerSecret) }),
      body: "grant_type=client_credentials",
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${server.url}/environments`, { headers: from(`192.0.2.${10 + i}`, { authorization: `Bearer ${token}` }) });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(((await res.json()) as { code: string }).code).toBe("REQUEST_LIMITED");
      } else await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it("limits the token endpoint per IP: 429 REQUEST_LIMITED, LIMIT_EXCEEDED, Retry-After in seconds", async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const { res } = await (async () => {
        const res = await fetch(`${server.url}/${ids.admin}/as/token`, {
          method: "POST",
          headers: from("198.51.100.1", { "content-type": "application/x-www-form-urlencoded", authorization: basic(ids.worker, i === 0 ? ids.workerSecret : "wrong") }),
          body: "grant_type=client_credentials",
        });
        return { res };
      })();
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 401, 401, 429, 429]);
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 600).toBe(true);
    const body = (await limited!.json()) as { id: string; code: string; details: { code: string }[] };
    expect(body.code).toBe("REQUEST_LIMITED");
    expect(body.details[0]!.code).toBe("LIMIT_EXCEEDED");
    // Another address is not affected.
    const other = await fetch(`${server.url}/${ids.admin}/as/token`, {
      method: "POST",
      headers: from("198.51.100.2", { "content-type": "application/x-www-form-urlencoded", authorization: basic(ids.worker, ids.workerSecret) }),
      body: "grant_type=client_credentials",
    });
    expect(other.status).toBe(200);
  });

  it("limits each source IP on the API: exactly the limit passes in one window; probes are never limited", async () => {
    let passed = 0;
    let limited = 0;
    const client = async () => {
      for (let i = 0; i < 150; i++) {
        const res = await fetch(server.url + "/roles", { headers: from("203.0.113.7") });
        await res.arrayBuffer();
        if (res.status === 429) limited++;
        else passed++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    expect(passed).toBe(1000);
    expect(limited).toBe(200);
    expect((await fetch(server.url + "/healthz", { headers: from("203.0.113.7") })).status).toBe(200);
    expect((await fetch(server.url + "/roles", { headers: from("203.0.113.8") })).status).toBe(401);
  });
});

const hasRedis = (() => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasRedis)("rate limits in Redis (REDIS_URL)", () => {
  let db: FreshDb;
  let server: RunningServer;
  let redis: ChildProcess;
  let redisPort: number;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const { default: Redis } = await import("ioredis");
    for (let i = 0; i < 50; i++) {
      const probe = new Redis({ port: redisPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
      const up = await probe.connect().then(() => true, () => false);
      probe.disconnect();
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    db = await freshDb();
    server = await startServer({ ...db.env, ...bootstrapEnv(), LOG_LEVEL: "silent", REDIS_URL: `redis://127.0.0.1:${redisPort}`, RATE_LIMIT_TOKEN_PER_IP: "2", RATE_LIMIT_TOKEN_WINDOW_SECONDS: "600" });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    redis?.kill("SIGTERM");
  });

  it("counts in Redis, not in the database", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await tokenFrom(server, ids.admin, ids.worker, "wrong")).res.status);
    expect(statuses).toEqual([401, 401, 429]);
    const { default: Redis } = await import("ioredis");
    const client = new Redis({ port: redisPort, host: "127.0.0.1" });
    try {
      const keys = await client.keys("rl:token*");
      expect(keys.length).toBe(1);
      expect(Number(await client.get(keys[0]!))).toBe(3);
    } finally {
      client.disconnect();
    }
    if (db.sql) {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from rate_limits where key like 'rl:token%'`;
      expect(row!.n).toBe(0);
    }
  });
});
