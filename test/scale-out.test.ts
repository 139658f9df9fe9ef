/**
 * Scale-out (issue 6.7): two production servers on one PostgreSQL database behind no shared
 * memory. Imports through both at once, the same usernames included, give exactly one user per
 * username; a rate limit counted through one server holds on the other; a bulk import job is
 * worked by both. PostgreSQL only: an embedded PGlite folder belongs to one process.
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, testDriver, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { tokenFrom } from "./support/tokens";

const driver = testDriver();
const IMPORT = "application/vnd.pingidentity.user.import+json";

describe.skipIf(driver !== "postgres")("two servers on one database", () => {
  let db: FreshDb;
  let sql: postgres.Sql;
  let a: RunningServer;
  let b: RunningServer;
  let token: string;
  let populationId: string;
  const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: "scale-" + randomBytes(12).toString("hex") };

  beforeAll(async () => {
    if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
    db = await freshDatabase({ prefix: "scale" });
    sql = db.sql!;
    const env = {
      ...db.env,
      WEB_CONCURRENCY: "1",
      LOG_LEVEL: "silent",
      TRUST_PROXY: "true",
      RATE_LIMIT_TOKEN_PER_IP: "10",
      RATE_LIMIT_TOKEN_WINDOW_SECONDS: "600",
      BULK_CHUNK_ROWS: "20",
      BULK_BATCH_PAUSE_MS: "150",
      ADMIN_ENV_ID: ids.admin,
      DEMO_ENV_ID: ids.demo,
      WORKER_CLIENT_ID: ids.worker,
      WORKER_CLIENT_SECRET: ids.secret,
      ADMIN_PASSWORD: randomBytes(16).toString("base64url"),
    };
    // Started together: migrations and first-start set-up run once, under the advisory lock.
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    token = await tokenFrom(a.url, ids.admin, ids.worker, ids.secret, { "x-forwarded-for": "192.0.2.1" });
    const pops = (await (await fetch(`${b.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      _embedded: { populations: { id: string; default: boolean }[] };
    };
    populationId = pops._embedded.populations.find((p) => p.default)!.id;
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  it("set up once: one environment pair, one worker application", async () => {
    const [envs] = await sql<{ n: number }[]>`select count(*)::int as n from environments`;
    const [apps] = await sql<{ n: number }[]>`select count(*)::int as n from applications`;
    expect(envs!.n).toBe(2);
    expect(apps!.n).toBe(1);
  });

  it("imports through both at once, the same usernames through each: exactly one user per username", async () => {
    const N = 120;
    const post = (server: RunningServer, i: number) =>
      fetch(`${server.url}/environments/${ids.demo}/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": IMPORT },
        body: JSON.stringify({ username: `scale.${i}@example.com`, population: { id: populationId }, password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" } }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string; details?: { code: string }[] } }));
    const outcomes: { status: number; body: { code?: string; details?: { code: string }[] } }[][] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < N) {
          const i = next++;
          outcomes[i] = await Promise.all([post(a, i), post(b, i)]);
        }
      }),
    );
    for (const pair of outcomes) {
      const statuses = pair.map((o) => o.status).sort();
      expect(statuses).toEqual([201, 400]);
      const refused = pair.find((o) => o.status === 400)!;
      expect(refused.body.details?.[0]?.code).toBe("UNIQUENESS_VIOLATION");
    }
    const [row] = await sql<{ n: number; distinct_names: number }[]>`
      select count(*)::int as n, count(distinct lower(username))::int as distinct_names from users where username like 'scale.%'`;
    expect(row).toEqual({ n: N, distinct_names: N });
    const [audits] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where action = 'USER.IMPORTED'`;
    expect(audits!.n).toBeGreaterThanOrEqual(N);
  });

  it("shares rate limits: hits counted through one server count on the other", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      const server = i % 2 === 0 ? a : b;
      const res = await fetch(`${server.url}/${ids.admin}/as/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": "198.51.100.77" },
        body: `grant_type=client_credentials&client_id=${ids.worker}&client_secret=wrong`,
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    // RATE_LIMIT_TOKEN_PER_IP=10: ten answered (401), whichever server they reached; then 429 on both.
    expect(statuses.filter((s) => s === 401).length).toBe(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
  });

  it("works one bulk import job on both servers, with every row imported once", async () => {
    const rows = 400;
    const ndjson = Array.from({ length: rows }, (_, i) =>
      JSON.stringify({ username: `bulk.scale.${i}`, population: { id: populationId }, password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" } }),
    ).join("\n");
    const created = await fetch(`${a.url}/environments/${ids.demo}/userImportJobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
      body: ndjson,
    });
    expect(created.status, await created.clone().text()).toBe(202);
    const job = (await created.json()) as { id: string };
    let status = "";
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${b.url}/environments/${ids.demo}/userImportJobs/${job.id}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { status: string; counts: { created: number; failed: number } };
      status = body.status;
      if (status !== "QUEUED" && status !== "RUNNING") {
        expect(body.counts).toMatchObject({ created: rows, failed: 0 });
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe("COMPLETED");
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from users where username like 'bulk.scale.%'`;
    expect(count!.n).toBe(rows);
    const owners = await sql<{ owner: string }[]>`select distinct lease_owner as owner from user_import_chunks where job_id = ${job.id}`;
    const pids = new Set(owners.map((o) => Number(o.owner.split("-")[0])));
    expect(pids).toEqual(new Set([a.child.pid, b.child.pid]));
  });
});
