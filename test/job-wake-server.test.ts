/**
 * A job queued in one worker of the server is worked by the others at once, not at their next
 * idle poll: the worker that queued it tells the supervisor, which tells the other workers
 * (lib/server/messages.ts JOB_QUEUED). Here the idle poll is ten minutes long, so a worker that
 * was not told would never take a batch of the job before it ends. PostgreSQL only: on PGlite
 * the server is one process.
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, testDriver, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { tokenFrom } from "./support/tokens";

const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: randomBytes(16).toString("hex") };

describe.skipIf(testDriver() !== "postgres")("a job queued in one worker", () => {
  let db: FreshDb;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
    db = await freshDatabase({ prefix: "wake" });
    server = await startServer({
      ...db.env,
      LOG_LEVEL: "silent",
      WEB_CONCURRENCY: "2",
      ADMIN_ENV_ID: ids.admin,
      DEMO_ENV_ID: ids.demo,
      WORKER_CLIENT_ID: ids.worker,
      WORKER_CLIENT_SECRET: ids.secret,
      ADMIN_PASSWORD: randomBytes(12).toString("hex"),
      BULK_IDLE_POLL_MS: "600000",
      // Many small batches with a pause after each: the job lasts a few seconds, so that both workers' loops have batches to take.
      BULK_CHUNK_ROWS: "20",
      BULK_BATCH_PAUSE_MS: "100",
    });
    token = await tokenFrom(server.url, ids.admin, ids.worker, ids.secret);
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("is worked by both workers, each taking batches from the start", async () => {
    // Both loops have polled once at start and now sleep for ten minutes.
    await new Promise((r) => setTimeout(r, 500));
    const hash = bcrypt.hashSync("pw", 4);
    const csv = ["username,email,password", ...Array.from({ length: 600 }, (_, i) => `wake-${i},wake-${i}@example.com,${hash}`)].join("\n") + "\n";
    const res = await fetch(`${server.url}/environments/${ids.demo}/userImportJobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body: csv,
    });
    const job = (await res.json()) as { id: string; status: string };
    expect(res.status, JSON.stringify(job)).toBe(202);
    const deadline = Date.now() + 60_000;
    let status = job.status;
    while (status === "QUEUED" || status === "RUNNING") {
      expect(Date.now(), "the job did not finish within a minute").toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${server.url}/environments/${ids.demo}/userImportJobs/${job.id}`, { headers: { authorization: `Bearer ${token}` } });
      status = ((await r.json()) as { status: string }).status;
    }
    expect(status).toBe("COMPLETED");
    // Owners are "<pid>-<uuid>": the processes that took the job's 30 batches.
    const owners = await db.sql!<{ pid: string; n: number }[]>`
      select split_part(lease_owner, '-', 1) as pid, count(*)::int as n from user_import_chunks where job_id = ${job.id} group by 1`;
    expect(owners.length, JSON.stringify(owners)).toBe(2);
    expect(owners.reduce((s, o) => s + o.n, 0)).toBe(30);
    const [users] = await db.sql!<{ n: number }[]>`select count(*)::int as n from users where environment_id = ${ids.demo} and username like 'wake-%'`;
    expect(users!.n).toBe(600);
  });
});
