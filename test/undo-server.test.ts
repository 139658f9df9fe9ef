/**
 * Undo of a bulk job through the real production server (issue 14.6): the undo is a job of its
 * own, worked in batches; a server killed with SIGKILL in the middle of it resumes it after a
 * restart, and exactly the right users remain: those the job created are gone except the one
 * changed since, those it updated have their profile back except the one changed since, the
 * others are untouched, and no user was deleted or restored twice.
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { tokenFrom as requestTokenFrom } from "./support/tokens";

const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: randomBytes(16).toString("hex") };
let env: Record<string, string | undefined>;
let db: FreshDb;
const running: RunningServer[] = [];

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  db = await freshDatabase({ prefix: "undo" });
  env = {
    ...db.env,
    LOG_LEVEL: "silent",
    WEB_CONCURRENCY: "1",
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.secret,
    ADMIN_PASSWORD: randomBytes(12).toString("hex"),
    // Small batches, short leases and a pause after each batch: the undo lasts long enough to be
    // interrupted, and the killed process's batch comes back quickly.
    BULK_CHUNK_ROWS: "50",
    BULK_LEASE_SECONDS: "3",
    BULK_BATCH_PAUSE_MS: "150",
  };
});
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL");
  await db?.drop();
});

async function start(): Promise<RunningServer> {
  const s = await startServer(env);
  running.push(s);
  return s;
}

type Job = { id: string; kind: string; status: string; counts: Record<string, number> };

async function api(server: RunningServer, token: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}/environments/${ids.demo}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitFor(server: RunningServer, token: string, id: string, until: (j: Job) => boolean, timeoutMs = 120_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api(server, token, `/userImportJobs/${id}`);
    expect(status).toBe(200);
    if (until(body)) return body;
    if (Date.now() > deadline) throw new Error(`job did not get there in time: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

const ended = (j: Job) => !["UPLOADING", "QUEUED", "RUNNING"].includes(j.status);

async function runImport(server: RunningServer, token: string, csv: string, query = ""): Promise<Job> {
  const res = await api(server, token, `/userImportJobs${query}`, { method: "POST", headers: { "content-type": "text/csv" }, body: csv });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return waitFor(server, token, res.body.id, ended);
}

async function usernames(server: RunningServer, token: string, filter: string): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined = `/users?limit=1000&filter=${encodeURIComponent(filter)}`;
  while (next) {
    const res = await fetch(next.startsWith("http") ? next : `${server.url}/environments/${ids.demo}${next}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { _embedded: { users: { username: string }[] }; _links: { next?: { href: string } } };
    out.push(...body._embedded.users.map((u) => u.username));
    next = body._links.next?.href;
  }
  return out.sort();
}

/** Facts read straight from the database, with every server stopped (a PGlite folder has one owner). */
async function audits(undoJobId: string): Promise<{ n: number; d: number }> {
  const q = `select count(*)::int as n, count(distinct resource_id)::int as d from audit_events where details->>'jobId' = '${undoJobId}'`;
  if (db.url) {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const [row] = await sql.unsafe(q);
    await sql.end();
    return row as unknown as { n: number; d: number };
  }
  const lite = new PGlite(db.dataDir!);
  const row = (await lite.query<{ n: number; d: number }>(q)).rows[0]!;
  await lite.close();
  return row;
}

describe("undo durability", () => {
  it("resumes an undo after the server is killed with SIGKILL mid-undo: exactly the right users remain", async () => {
    const t = randomBytes(2).toString("hex");
    const P = `p${t}`;
    const Q = `q${t}`;
    let server = await start();
    let token = await requestTokenFrom(server.url, ids.admin, ids.worker, ids.secret);

    // Job 1 creates 1000 users p-i; job 2 updates p-0..p-199 and creates 800 users q-i.
    const one = await runImport(server, token, ["username,title", ...Array.from({ length: 1000 }, (_, i) => `${P}-${i},one`)].join("\n") + "\n");
    expect(one.counts).toMatchObject({ created: 1000, failed: 0 });
    const two = await runImport(
      server,
      token,
      ["username,title", ...Array.from({ length: 200 }, (_, i) => `${P}-${i},two`), ...Array.from({ length: 800 }, (_, i) => `${Q}-${i},new`)].join("\n") + "\n",
      "?onConflict=update",
    );
    expect(two.counts).toMatchObject({ created: 800, updated: 200, failed: 0 });

    // Changed by someone else since job 2: one user it created, one it updated.
    for (const name of [`${Q}-5`, `${P}-7`]) {
      const found = await api(server, token, `/users?filter=${encodeURIComponent(`username eq "${name}"`)}`);
      const id = found.body._embedded.users[0].id;
      const set = await api(server, token, `/users/${id}/password`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.pingidentity.password.set+json" },
        body: JSON.stringify({ value: "Changed-since-1" }),
      });
      expect(set.status).toBe(200);
    }

    const started = await api(server, token, `/userImportJobs/${two.id}/undo`, { method: "POST" });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ kind: "undo", undoes: { id: two.id }, counts: { total: 1000 } });
    const mid = await waitFor(server, token, started.body.id, (j) => (j.counts.processed ?? 0) >= 200);
    expect(mid.counts.processed).toBeLessThan(1000);
    await server.stop("SIGKILL");

    server = await start();
    token = await requestTokenFrom(server.url, ids.admin, ids.worker, ids.secret);
    const done = await waitFor(server, token, started.body.id, ended);
    expect(done).toMatchObject({ status: "COMPLETED", counts: { total: 1000, processed: 1000, deleted: 799, restored: 199, failed: 2 } });

    expect(await usernames(server, token, `username sw "${Q}-"`)).toEqual([`${Q}-5`]);
    expect(await usernames(server, token, `username sw "${P}-" and title eq "two"`)).toEqual([`${P}-7`]);
    expect((await usernames(server, token, `username sw "${P}-" and title eq "one"`)).length).toBe(999);
    const report = await api(server, token, `/userImportJobs/${started.body.id}/errors`);
    expect(report.body._embedded.errors.map((e: { username: string; code: string }) => [e.username, e.code]).sort()).toEqual(
      [[`${P}-7`, "CHANGED_SINCE"], [`${Q}-5`, "CHANGED_SINCE"]].sort(),
    );
    await server.stop();

    // One audit event per user deleted or restored: no batch was undone twice.
    expect(await audits(started.body.id)).toEqual({ n: 998, d: 998 });
  });
});
