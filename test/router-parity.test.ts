/**
 * One router (issue 10 item 3): the same requests through `next start` (Next's own routing for
 * everything) and through the production server (the API's fast path) get the same answer:
 * status, the significant headers and the body (ids, times and the server's own address set
 * aside). Successes, errors, HEAD, OPTIONS, 405, 404, /v1, rate limits and dot segments.
 * Both need `npm run build` first; each runs on its own fresh database with the same first-start
 * values.
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "./support/fresh-db";
import { rawRequest, type RawResponse } from "./support/raw-http";
import { SERVER_BUNDLE, startNextServer, startServer, type RunningServer } from "./support/server";
import { basic, tokenFrom } from "./support/tokens";

const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: "parity-" + randomBytes(12).toString("hex") };
const IMPORT = "application/vnd.pingidentity.user.import+json";
const SIGNIFICANT = [
  "content-type",
  "allow",
  "location",
  "retry-after",
  "cache-control",
  "www-authenticate",
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "cross-origin-opener-policy",
  "permissions-policy",
  "strict-transport-security",
];

type Side = { name: string; server: RunningServer; db: FreshDb; token: string; populationId: string };
let sides: Side[] = [];

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  const env = {
    LOG_LEVEL: "silent",
    WEB_CONCURRENCY: "1",
    // Both learn the caller's address from X-Forwarded-For: `next start` has no socket to show.
    TRUST_PROXY: "true",
    RATE_LIMIT_TOKEN_PER_IP: "3",
    RATE_LIMIT_TOKEN_WINDOW_SECONDS: "600",
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.secret,
    ADMIN_PASSWORD: randomBytes(12).toString("hex"),
  };
  const start = async (name: string, run: typeof startServer) => {
    const db = await freshDatabase({ prefix: `parity_${name.replace(/\W/g, "")}` });
    const server = await run({ ...db.env, ...env });
    const token = await tokenFrom(server.url, ids.admin, ids.worker, ids.secret, { "x-forwarded-for": "192.0.2.1" });
    const pops = (await (await fetch(`${server.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      _embedded: { populations: { id: string; default: boolean }[] };
    };
    return { name, server, db, token, populationId: pops._embedded.populations.find((p) => p.default)!.id };
  };
  // One after the other: two servers starting at once on two cores would only slow both.
  sides = [await start("next start", startNextServer), await start("server.mjs", startServer)];
});
afterAll(async () => {
  for (const s of sides) {
    await s.server.stop();
    await s.db.drop();
  }
});

type Call = { method: string; path: string; headers?: Record<string, string>; body?: string | ((s: Side) => string); auth?: boolean; ip?: string };

/** What must be equal: status, significant headers, and the body with ids, times and the origin replaced. */
function comparable(res: RawResponse, side: Side) {
  const headers = Object.fromEntries(SIGNIFICANT.flatMap((h) => (res.headers[h] !== undefined ? [[h, String(res.headers[h]).replaceAll(side.server.url, "BASE")]] : [])));
  let body = res.text.replaceAll(side.server.url, "BASE").replaceAll(side.populationId, "POPULATION");
  for (const keep of Object.values(ids)) body = body.replaceAll(keep, `<${Object.keys(ids).find((k) => ids[k as keyof typeof ids] === keep)}>`);
  body = body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>").replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "<time>");
  // Two servers started seconds apart count down their windows seconds apart: the unit is compared, not the second.
  if (headers["retry-after"]) headers["retry-after"] = /^\d+$/.test(headers["retry-after"]) && Number(headers["retry-after"]) >= 1 ? "<seconds>" : headers["retry-after"];
  body = body.replace(/in \d+ seconds?\./g, "in <n> seconds.");
  if (res.headers.location) headers.location = headers.location!.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "<uuid>");
  return { status: res.status, headers, body };
}

async function both(call: Call) {
  const out = [];
  for (const side of sides) {
    const headers: Record<string, string> = { "x-forwarded-for": call.ip ?? "198.51.100.1", ...call.headers };
    if (call.auth) headers.authorization = `Bearer ${side.token}`;
    const body = typeof call.body === "function" ? call.body(side) : call.body;
    out.push(comparable(await rawRequest(side.server.url, call.method, call.path, headers, body), side));
  }
  return out as [ReturnType<typeof comparable>, ReturnType<typeof comparable>];
}

const D = () => ids.demo;
const userBody = (username: string) => (s: Side) => JSON.stringify({ username, population: { id: s.populationId }, password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" } });

describe("next start and the production server answer alike", () => {
  const calls: [string, () => Call][] = [
    ["liveness", () => ({ method: "GET", path: "/healthz" })],
    ["liveness, HEAD", () => ({ method: "HEAD", path: "/healthz" })],
    ["liveness, OPTIONS", () => ({ method: "OPTIONS", path: "/healthz" })],
    ["liveness, a wrong method", () => ({ method: "PUT", path: "/healthz" })],
    ["readiness", () => ({ method: "GET", path: "/readyz" })],
    ["a list", () => ({ method: "GET", path: `/environments/${D()}/populations`, auth: true })],
    ["a list, HEAD", () => ({ method: "HEAD", path: `/environments/${D()}/populations`, auth: true })],
    ["a list, OPTIONS", () => ({ method: "OPTIONS", path: `/environments/${D()}/populations` })],
    ["a list, a wrong method", () => ({ method: "DELETE", path: `/environments/${D()}/populations`, auth: true })],
    ["a list under /v1", () => ({ method: "GET", path: `/v1/environments/${D()}/populations`, auth: true })],
    ["the roles under /v1", () => ({ method: "GET", path: "/v1/roles", auth: true })],
    ["no token", () => ({ method: "GET", path: `/environments/${D()}/users` })],
    ["a forged token", () => ({ method: "GET", path: `/environments/${D()}/users`, headers: { authorization: "Bearer eyJhbGciOiJub25lIn0.e30." } })],
    ["an import", () => ({ method: "POST", path: `/environments/${D()}/users`, auth: true, headers: { "content-type": IMPORT }, body: userBody("parity-ada") })],
    ["the same import again", () => ({ method: "POST", path: `/environments/${D()}/users`, auth: true, headers: { "content-type": IMPORT }, body: userBody("parity-ada") })],
    ["an import under /v1", () => ({ method: "POST", path: `/v1/environments/${D()}/users`, auth: true, headers: { "content-type": IMPORT }, body: userBody("parity-bob") })],
    ["malformed JSON", () => ({ method: "POST", path: `/environments/${D()}/users`, auth: true, headers: { "content-type": IMPORT }, body: '{"username":' })],
    ["a wrong media type", () => ({ method: "POST", path: `/environments/${D()}/users`, auth: true, headers: { "content-type": "text/plain" }, body: "{}" })],
    ["an unknown path under /environments", () => ({ method: "GET", path: `/environments/${D()}/nothing/here`, auth: true })],
    ["an unknown path under /roles", () => ({ method: "GET", path: "/roles/x", auth: true })],
    ["an unknown path under /v1", () => ({ method: "GET", path: "/v1/nothing", auth: true })],
    ["an unknown path under an authorization server", () => ({ method: "GET", path: `/${ids.admin}/as/authorize` })],
    ["an unknown environment", () => ({ method: "GET", path: `/environments/${randomUUID()}/users`, auth: true })],
    ["dot segments", () => ({ method: "GET", path: `/x/../environments/${D()}/populations`, auth: true })],
    ["a dot segment", () => ({ method: "GET", path: `/./environments/${D()}/populations`, auth: true })],
    ["an encoded slash", () => ({ method: "GET", path: `/environments/${D()}%2Fpopulations`, auth: true })],
    ["the token endpoint, a wrong secret", () => ({ method: "POST", path: `/${ids.admin}/as/token`, headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(ids.worker, "wrong") }, body: "grant_type=client_credentials", ip: "203.0.113.5" })],
    ["the token endpoint, a wrong grant", () => ({ method: "POST", path: `/${ids.admin}/as/token`, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=password", ip: "203.0.113.6" })],
    ["the token endpoint, GET", () => ({ method: "GET", path: `/${ids.admin}/as/token`, ip: "203.0.113.7" })],
  ];

  for (const [name, call] of calls) {
    it(name, async () => {
      const [next, fast] = await both(call());
      expect(fast).toEqual(next);
    });
  }

  it("redirects a trailing slash and repeated slashes to the same place", async () => {
    for (const path of [`/environments/${D()}/users/`, `//environments`, `/v1/roles/`]) {
      const [next, fast] = await both({ method: "GET", path });
      expect(fast.status, path).toBe(next.status);
      expect(next.status, path).toBe(308);
      expect(fast.headers.location, path).toBe(next.headers.location);
    }
  });

  it("limits the token endpoint alike, whatever the spelling of its path", async () => {
    const wrong = (path: string): Call => ({ method: "POST", path, headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(ids.worker, "wrong") }, body: "grant_type=client_credentials", ip: "203.0.113.50" });
    const results = [];
    for (const path of [`/${ids.admin}/as/token`, `/${ids.admin}/as/./token`, `/x/../${ids.admin}/as/token`, `/${ids.admin}/as/token`, `/${ids.admin}/as/./token`]) {
      const [next, fast] = await both(wrong(path));
      expect(fast, path).toEqual(next);
      results.push(next.status);
    }
    expect(results).toEqual([401, 401, 401, 429, 429]);
  });
});
