/**
 * Security review F7, as the attack: the per-IP and token-endpoint limits used to apply only
 * to the raw path the fast path recognised, so `/{env}/as/./token`, `/x/../environments/…` and
 * `/./environments/…` reached the same handlers through Next.js with no limit at all. Every
 * spelling of a path is now one route with one set of limits (or a 404 / redirect), and the log
 * line names the canonical path. Against the real production server (`npm run build` first).
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "./support/fresh-db";
import { rawRequest } from "./support/raw-http";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { basic, tokenFrom } from "./support/tokens";

const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: "paths-" + randomBytes(12).toString("hex") };
const TOKEN_LIMIT = 5;
const API_LIMIT = 20;

let db: FreshDb;
let server: RunningServer;
let token: string;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  db = await freshDatabase({ prefix: "paths" });
  server = await startServer({
    ...db.env,
    LOG_LEVEL: "info",
    WEB_CONCURRENCY: "1",
    // Behind a load balancer: each test speaks from its own address, so its counters start at zero.
    TRUST_PROXY: "true",
    RATE_LIMIT_TOKEN_PER_IP: String(TOKEN_LIMIT),
    RATE_LIMIT_TOKEN_WINDOW_SECONDS: "600",
    RATE_LIMIT_API_PER_IP: String(API_LIMIT),
    RATE_LIMIT_API_WINDOW_SECONDS: "600",
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.secret,
    ADMIN_PASSWORD: randomBytes(12).toString("hex"),
  });
  token = await tokenFrom(server.url, ids.admin, ids.worker, ids.secret, { "x-forwarded-for": "192.0.2.200" });
});
afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

const from = (ip: string, headers: Record<string, string> = {}) => ({ ...headers, "x-forwarded-for": ip });
const form = { "content-type": "application/x-www-form-urlencoded" };

describe("the token endpoint's limit holds for every spelling of its path", () => {
  it("counts /{env}/as/./token, /x/../{env}/as/token and %2e segments against the same limit, and a valid secret there gets no token once limited", async () => {
    const ip = "198.51.100.10";
    const wrong = (p: string) => rawRequest(server.url, "POST", p, from(ip, { ...form, authorization: basic(ids.worker, "wrong-secret") }), "grant_type=client_credentials");
    const spellings = [`/${ids.admin}/as/token`, `/${ids.admin}/as/./token`, `/x/../${ids.admin}/as/token`, `/${ids.admin}/as/%2e/token`, `/./${ids.admin}/as/token`];
    const statuses: number[] = [];
    for (let i = 0; i < TOKEN_LIMIT + spellings.length; i++) statuses.push((await wrong(spellings[i % spellings.length]!)).status);
    // The review's reproduction answered 401 on every dot-segment request, forever.
    expect(statuses).toEqual([...Array(TOKEN_LIMIT).fill(401), ...Array(spellings.length).fill(429)]);
    for (const p of spellings) {
      const res = await rawRequest(server.url, "POST", p, from(ip, { ...form, authorization: basic(ids.worker, ids.secret) }), "grant_type=client_credentials");
      expect(res.status, p).toBe(429);
      expect(res.text).not.toContain("access_token");
      expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("the API's per-IP limit holds for every spelling of a path", () => {
  it("counts /x/../environments/…, /./environments/… and /environments/./… as /environments/…", async () => {
    const ip = "203.0.113.20";
    const auth = from(ip, { authorization: `Bearer ${token}` });
    const spellings = [`/environments/${ids.demo}/populations`, `/x/../environments/${ids.demo}/populations`, `/./environments/${ids.demo}/populations`, `/environments/./${ids.demo}/populations`];
    const statuses: number[] = [];
    for (let i = 0; i < API_LIMIT + spellings.length; i++) {
      const res = await rawRequest(server.url, "GET", spellings[i % spellings.length]!, auth);
      if (res.status === 200) expect((JSON.parse(res.text) as { _embedded: { populations: unknown[] } })._embedded.populations.length).toBeGreaterThan(0);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(API_LIMIT).fill(200), ...Array(spellings.length).fill(429)]);
  });

  it("refuses encoded slashes, backslashes and NUL in a path with the API's 404, and redirects repeated slashes", async () => {
    const ip = "203.0.113.21";
    for (const p of [`/environments/${ids.demo}%2Fpopulations`, `/environments%2F${ids.demo}/populations`, `/environments/${ids.demo}%5Cpopulations`, `/environments/${ids.demo}/populations%00`, `/${ids.admin}/as%2ftoken`]) {
      const res = await rawRequest(server.url, "GET", p, from(ip, { authorization: `Bearer ${token}` }));
      expect(res.status, p).toBe(404);
      expect((JSON.parse(res.text) as { code: string }).code).toBe("NOT_FOUND");
      expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    }
    const doubled = await rawRequest(server.url, "GET", `//environments//${ids.demo}/populations?limit=1`, from(ip));
    expect(doubled.status).toBe(308);
    expect(doubled.headers.location).toBe(`/environments/${ids.demo}/populations?limit=1`);
  });
});

describe("the log", () => {
  it("names the canonical path of every dot-segment request (read after the server has stopped and flushed)", async () => {
    await server.stop();
    const lines = server
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; path?: string; status?: number });
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests.length).toBeGreaterThan(TOKEN_LIMIT + API_LIMIT);
    for (const l of requests) {
      expect(l.path, JSON.stringify(l)).not.toMatch(/\/\.\.?(\/|$)|%2e/i);
    }
    expect(requests.filter((l) => l.path === `/${ids.admin}/as/token` && l.status === 429).length).toBeGreaterThanOrEqual(10);
    expect(requests.filter((l) => l.path === `/environments/${ids.demo}/populations` && l.status === 429).length).toBe(4);
  });
});
