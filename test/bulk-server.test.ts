/**
 * Bulk import durability through the real production server: a server killed with SIGKILL in the
 * middle of a job resumes it after a restart, and two server processes working one job together
 * (PostgreSQL only: one process at a time may open a PGlite folder) end with exactly N users, no
 * duplicate, no lost row and an intact error report.
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import bcrypt from "bcryptjs";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, testDriver, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { tokenFrom as requestTokenFrom } from "./support/tokens";

const driver = testDriver();
const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: randomBytes(16).toString("hex") };

let env: Record<string, string | undefined>;
let db: FreshDb;
const running: RunningServer[] = [];

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  const common = {
    LOG_LEVEL: "silent",
    WEB_CONCURRENCY: "1",
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.secret,
    ADMIN_PASSWORD: randomBytes(12).toString("hex"),
    // Small batches, short leases and a pause after each batch, so that a job of a few thousand
    // rows lasts long enough to be interrupted, and a dead process's batch comes back quickly.
    BULK_CHUNK_ROWS: "50",
    BULK_LEASE_SECONDS: "3",
    BULK_BATCH_PAUSE_MS: "100",
    // Every file parsed on the bundled parser thread (lib/bulk/upload-chunks.ts), as a large one is.
    BULK_PARSE_THREAD_BYTES: "0",
  };
  db = await freshDatabase({ prefix: "bulk" });
  env = { ...common, ...db.env };
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

const tokenFrom = (server: RunningServer) => requestTokenFrom(server.url, ids.admin, ids.worker, ids.secret);

/** A CSV of `n` distinct users, plus a duplicate of row 2 at the end and an invalid row before it. */
function file(prefix: string, n: number): { csv: string; total: number; valid: number } {
  const hash = bcrypt.hashSync("pw", 4);
  const lines = ["username,email,password"];
  for (let i = 0; i < n; i++) lines.push(`${prefix}-${i},${prefix}-${i}@example.com,${hash}`);
  lines.push(`${prefix}-bad,not-an-email,`);
  lines.push(`${prefix.toUpperCase()}-0,dup@example.com,`);
  return { csv: lines.join("\n") + "\n", total: n + 2, valid: n };
}

type Job = { id: string; status: string; counts: { total: number; processed: number; created: number; failed: number } };

async function getJob(server: RunningServer, token: string, id: string): Promise<Job> {
  const res = await fetch(`${server.url}/environments/${ids.demo}/userImportJobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Job;
}

async function waitFor(server: RunningServer, token: string, id: string, until: (j: Job) => boolean, timeoutMs = 120_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(server, token, id);
    if (until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job did not get there in time: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function upload(server: RunningServer, token: string, csv: string): Promise<Job> {
  const res = await fetch(`${server.url}/environments/${ids.demo}/userImportJobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
    body: csv,
  });
  const body = (await res.json()) as Job;
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body;
}

async function errorReport(server: RunningServer, token: string, id: string): Promise<string[]> {
  const res = await fetch(`${server.url}/environments/${ids.demo}/userImportJobs/${id}/errors?format=csv`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.text()).trimEnd().split("\r\n");
}

/** Facts read straight from the database, with every server stopped (a PGlite folder has one owner). */
async function facts(prefix: string, jobId: string) {
  const queries = {
    users: `select count(*)::int as n, count(distinct lower(username))::int as d from users where environment_id = '${ids.demo}' and lower(username) like '${prefix}-%'`,
    // One audit event per batch, naming each user it imported (with the user's row of the file).
    audits: `select count(*)::int as n, count(distinct u->>'id')::int as d from audit_events a, jsonb_array_elements(a.details->'users') u where a.action = 'USER.IMPORTED' and a.resource_id = '${jobId}' and a.details->>'jobId' = '${jobId}'`,
    // Owners are "<pid>-<uuid>": count processes, not lease holders (a process may re-claim under a new lease).
    owners: `select count(distinct split_part(lease_owner, '-', 1))::int as n from user_import_chunks where job_id = '${jobId}' and lease_owner is not null`,
  };
  const out: Record<string, { n: number; d?: number }> = {};
  if (db.url) {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    for (const [k, q] of Object.entries(queries)) out[k] = (await sql.unsafe(q))[0] as unknown as { n: number; d?: number };
    await sql.end();
  } else {
    const lite = new PGlite(db.dataDir!);
    for (const [k, q] of Object.entries(queries)) out[k] = (await lite.query<{ n: number; d?: number }>(q)).rows[0]!;
    await lite.close();
  }
  return out;
}

describe("bulk import durability", () => {
  it("resumes a job after the server is killed with SIGKILL mid-job: exactly N users, no duplicate, report intact", async () => {
    const prefix = `kill${randomBytes(2).toString("hex")}`;
    const { csv, total, valid } = file(prefix, 1500);
    let server = await start();
    let token = await tokenFrom(server);
    const job = await upload(server, token, csv);
    const before = await waitFor(server, token, job.id, (j) => j.counts.processed >= 300);
    expect(before.counts.processed).toBeLessThan(total);
    await server.stop("SIGKILL");

    server = await start();
    token = await tokenFrom(server);
    const done = await waitFor(server, token, job.id, (j) => j.status !== "RUNNING" && j.status !== "QUEUED");
    expect(done.status).toBe("COMPLETED");
    expect(done.counts).toMatchObject({ total, processed: total, created: valid, failed: 2 });
    const report = await errorReport(server, token, job.id);
    expect(report).toHaveLength(3);
    expect(report[1]).toMatch(new RegExp(`^${valid + 2},${prefix}-bad,email,INVALID_VALUE,`));
    expect(report[2]).toBe(`${valid + 3},${prefix.toUpperCase()}-0,username,UNIQUENESS_VIOLATION,The username is already on row 2 of the file.`);
    await server.stop();

    const f = await facts(prefix, job.id);
    expect(f.users).toEqual({ n: valid, d: valid });
    // Each user named by exactly one audit event: no batch was written twice.
    expect(f.audits).toEqual({ n: valid, d: valid });
  });

  it.skipIf(driver !== "postgres")("two server processes work one job together: no duplicate, no lost row (PostgreSQL only)", async () => {
    const prefix = `two${randomBytes(2).toString("hex")}`;
    const { csv, total, valid } = file(prefix, 2500);
    const [a, b] = [await start(), await start()];
    const token = await tokenFrom(a);
    const job = await upload(a, token, csv);
    const done = await waitFor(b, token, job.id, (j) => j.status !== "RUNNING" && j.status !== "QUEUED");
    expect(done.status).toBe("COMPLETED");
    expect(done.counts).toMatchObject({ total, processed: total, created: valid, failed: 2 });
    expect(await errorReport(b, token, job.id)).toHaveLength(3);
    await Promise.all([a.stop(), b.stop()]);

    const f = await facts(prefix, job.id);
    expect(f.users).toEqual({ n: valid, d: valid });
    expect(f.audits).toEqual({ n: valid, d: valid });
    // Both processes took batches of the job.
    expect(f.owners!.n).toBe(2);
  });

  it.skipIf(driver !== "postgres")("two server processes, every username repeated in the next batch: each created once, its twin told the row that has it", async () => {
    const prefix = `twin${randomBytes(2).toString("hex")}`;
    const hash = bcrypt.hashSync("pw", 4);
    // Blocks of 50 usernames (one batch), each followed by the same 50 in capitals (the next batch):
    // batches that repeat each other are worked at the same time by the processes' four loops.
    const lines = ["username,password"];
    const rowsOf = new Map<string, number[]>();
    for (let block = 0; block < 20; block++) {
      for (const upper of [false, true]) {
        for (let i = 0; i < 50; i++) {
          const name = `${prefix}-${block}-${i}`;
          lines.push(`${upper ? name.toUpperCase() : name},${hash}`);
          rowsOf.set(name, [...(rowsOf.get(name) ?? []), lines.length]);
        }
      }
    }
    const [a, b] = [await start(), await start()];
    const token = await tokenFrom(a);
    const job = await upload(a, token, lines.join("\n") + "\n");
    const done = await waitFor(b, token, job.id, (j) => j.status !== "RUNNING" && j.status !== "QUEUED");
    expect(done.status).toBe("COMPLETED");
    expect(done.counts).toMatchObject({ total: 2000, processed: 2000, created: 1000, failed: 1000 });
    const report = (await errorReport(b, token, job.id)).slice(1).map((l) => l.split(","));
    expect(report).toHaveLength(1000);
    const told = new Map(report.map(([row, username, , code, message]) => [username!.toLowerCase(), { row: Number(row), code, message }]));
    for (const [name, [first, second]] of rowsOf) {
      const failed = told.get(name.toLowerCase());
      // Whichever of the two was committed first has the username; the other names its row.
      expect(failed?.code).toBe("UNIQUENESS_VIOLATION");
      const earlier = failed!.row === first ? second : first;
      expect([first, second]).toContain(failed!.row);
      expect(failed!.message).toBe(`The username is already on row ${earlier} of the file.`);
    }
    await Promise.all([a.stop(), b.stop()]);
    const f = await facts(prefix, job.id);
    expect(f.users).toEqual({ n: 1000, d: 1000 });
    expect(f.audits).toEqual({ n: 1000, d: 1000 });
  });
});
