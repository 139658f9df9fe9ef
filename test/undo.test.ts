/**
 * Undoing a bulk job (issue 14.6) over HTTP: POST .../userImportJobs/{jobID}/undo starts a job of
 * kind undo (worked here by drainImportJobs) that deletes exactly the users the job created and
 * restores the profiles it updated, and leaves, and reports, users changed since, users out of
 * the caller's reach and users holding roles the caller does not hold.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { getDb, rows } from "@/db";
import { processChunk } from "@/lib/bulk/chunk";
import { claimChunk } from "@/lib/bulk/queue";
import { drainImportJobs } from "@/lib/bulk/worker";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import type { Json } from "./support/http";

let app: TestApp;
let refs: DemoRefs;
let token: string;
let dataAdmin: string;
const D = FIXED.demoEnvId;
const envPath = `/environments/${D}`;

beforeAll(async () => {
  app = await startTestApp();
  token = await app.token();
  refs = await app.refs();
  dataAdmin = await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D }]);
});
afterAll(async () => {
  await app?.close();
});

const tag = () => randomBytes(3).toString("hex");

async function call(method: string, path: string, t = token, body?: string, type = "text/csv") {
  const res = await app.fetch(path, { method, headers: { authorization: `Bearer ${t}`, ...(body !== undefined ? { "content-type": type } : {}) }, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : null, headers: res.headers };
}

async function runJob(csv: string, query = "", t = token) {
  const created = await call("POST", `${envPath}/userImportJobs${query}`, t, csv);
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  await drainImportJobs();
  return (await call("GET", `${envPath}/userImportJobs/${created.body.id}`, t)).body;
}

async function undo(jobId: string, t = token) {
  const started = await call("POST", `${envPath}/userImportJobs/${jobId}/undo`, t);
  if (started.status !== 202) return { started, job: null, report: [] as Json[] };
  await drainImportJobs();
  const job = (await call("GET", `${envPath}/userImportJobs/${started.body.id}`, t)).body;
  const report = (await call("GET", `${envPath}/userImportJobs/${started.body.id}/errors`, t)).body._embedded.errors as Json[];
  return { started, job, report };
}

async function user(username: string) {
  const res = await call("GET", `${envPath}/users?filter=${encodeURIComponent(`username eq "${username}"`)}`);
  return res.body._embedded.users[0] as Json | undefined;
}

describe("POST /environments/{envID}/userImportJobs/{jobID}/undo", () => {
  it("deletes the users the job created and restores the profiles it updated, reporting users changed since", async () => {
    const t = tag();
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((x) => `undo-${x}-${t}`) as [string, string, string, string, string];
    const first = await runJob(`username,email,name.given,title\n${a},${a}@example.com,Ann,First\n${b},,Bob,\n${c},,Cid,\n${d},,Dan,\n`);
    expect(first.counts).toMatchObject({ created: 4, failed: 0 });
    expect(first._links.undo.href).toContain(`/userImportJobs/${first.id}/undo`);

    // b: untouched. c: its password set through the API since. d: given a role the undoing admin does not hold.
    const cUser = await user(c);
    const setPw = await call("PUT", `${envPath}/users/${cUser!.id}/password`, token, JSON.stringify({ value: "Another-password-1" }), "application/vnd.pingidentity.password.set+json");
    expect(setPw.status, JSON.stringify(setPw.body)).toBe(200);
    const dUser = await user(d);
    const db = await getDb();
    await db.execute(sql`insert into role_assignments (id, role, user_id, scope_type, scope_id, scope_environment_id)
      values (${randomUUID()}, 'ENVIRONMENT_ADMIN', ${dUser!.id}, 'ENVIRONMENT', ${D}, ${D})`);

    // A second job updates a (title replaced, name.family added) and creates e.
    const second = await runJob(`username,title,name.family,enabled\n${a},Second,Lee,false\n${e},,Eve,\n`, "?onConflict=update");
    expect(second.counts).toMatchObject({ created: 1, updated: 1, failed: 0 });
    expect((await user(a))!).toMatchObject({ title: "Second", name: { given: "Ann", family: "Lee" }, enabled: false });

    const undoSecond = await undo(second.id, dataAdmin);
    expect(undoSecond.started.status, JSON.stringify(undoSecond.started.body)).toBe(202);
    expect(undoSecond.started.headers.get("location")).toContain(`/userImportJobs/${undoSecond.started.body.id}`);
    expect(undoSecond.started.body).toMatchObject({ kind: "undo", undoes: { id: second.id }, status: "QUEUED", counts: { total: 2 } });
    expect(undoSecond.job).toMatchObject({ kind: "undo", status: "COMPLETED", counts: { total: 2, processed: 2, deleted: 1, restored: 1, failed: 0 }, progress: { percent: 100 } });
    expect(undoSecond.report).toEqual([]);
    const restored = (await user(a))!;
    expect(restored).toMatchObject({ title: "First", name: { given: "Ann" }, email: `${a}@example.com`, enabled: true });
    expect(restored.name.family).toBeUndefined();
    expect(await user(e)).toBeUndefined();

    // Undoing the first job now: a was changed by the second job (and its undo), c by a password
    // set, d holds a role the Identity Data Admin does not; only b goes.
    const undoFirst = await undo(first.id, dataAdmin);
    expect(undoFirst.job).toMatchObject({ status: "COMPLETED", counts: { total: 4, processed: 4, deleted: 1, restored: 0, failed: 3 } });
    expect(await user(b)).toBeUndefined();
    for (const name of [a, c, d]) expect(await user(name)).toBeDefined();
    const byName = Object.fromEntries(undoFirst.report.map((r) => [r.username, r]));
    expect(Object.keys(byName).sort()).toEqual([a, c, d].sort());
    expect(byName[a]).toMatchObject({ code: "CHANGED_SINCE", target: "user" });
    expect(byName[c]).toMatchObject({ code: "CHANGED_SINCE" });
    expect(byName[d]).toMatchObject({ code: "ACCESS_FAILED" });
    expect(byName[a].row).toBe(2);

    // The undo is a job like the others, in the list; a job is undone once.
    const list = (await call("GET", `${envPath}/userImportJobs`)).body._embedded.userImportJobs as Json[];
    expect(list.find((j) => j.id === undoFirst.job.id)).toMatchObject({ kind: "undo", undoes: { id: first.id } });
    const again = await call("POST", `${envPath}/userImportJobs/${first.id}/undo`, dataAdmin);
    expect(again.status).toBe(400);
    expect(again.body.message).toContain("already been undone");
    const ofUndo = await call("POST", `${envPath}/userImportJobs/${undoFirst.job.id}/undo`);
    expect(ofUndo.status).toBe(400);
    expect(ofUndo.body.message).toContain("cannot itself be undone");

    // The undo's deletions and restores are audited as the undo's actor.
    const events = rows<Json>(await db.execute(sql`select action, details from audit_events where details->>'undoes' = ${first.id}`));
    expect(events.map((x) => x.action)).toEqual(["USER.DELETED"]);
  });

  it("refuses a dry run, a running job, unknown jobs, read-only callers; and a population-scoped admin undoes only within reach", async () => {
    const t = tag();
    const dry = await runJob(`username\nundo-dry-${t}\n`, "?dryRun=true");
    expect((await call("POST", `${envPath}/userImportJobs/${dry.id}/undo`)).status).toBe(400);
    expect((await call("POST", `${envPath}/userImportJobs/${randomUUID()}/undo`)).status).toBe(404);
    expect((await call("POST", `${envPath}/userImportJobs/not-a-uuid/undo`)).status).toBe(404);
    expect((await call("GET", `${envPath}/userImportJobs/${dry.id}/undo`)).status).toBe(405);

    const queued = await call("POST", `${envPath}/userImportJobs`, token, `username\nundo-q-${t}\n`);
    const running = await call("POST", `${envPath}/userImportJobs/${queued.body.id}/undo`);
    expect(running.status).toBe(400);
    expect(running.body.message).toContain("has not ended");
    await drainImportJobs();

    const readOnly = await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]);
    expect((await call("POST", `${envPath}/userImportJobs/${queued.body.id}/undo`, readOnly)).status).toBe(403);

    // A contractors-only admin runs a job into both populations (the default one's rows fail),
    // then loses nothing it cannot reach: a job of the environment admin is invisible to it (404).
    const popAdmin = await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]);
    expect((await call("POST", `${envPath}/userImportJobs/${queued.body.id}/undo`, popAdmin)).status).toBe(404);
    const own = await runJob(`username,population.id\nundo-p1-${t},${refs.contractorsPopulationId}\nundo-p2-${t},${refs.contractorsPopulationId}\n`, "", popAdmin);
    expect(own.counts).toMatchObject({ created: 2 });
    // One of its users is moved out of its reach (a fixture write, so also a change since) before the undo.
    const moved = (await user(`undo-p2-${t}`))!;
    const db = await getDb();
    await db.execute(sql`update users set population_id = ${refs.defaultPopulationId} where id = ${moved.id}`);
    const undone = await undo(own.id, popAdmin);
    expect(undone.job.counts).toMatchObject({ deleted: 1, failed: 1 });
    expect(await user(`undo-p1-${t}`)).toBeUndefined();
    expect(await user(`undo-p2-${t}`)).toBeDefined();
    expect(undone.report).toHaveLength(1);
  });

  it("leaves, and reports, users now out of the undoing actor's reach: its roles are read when the undo runs", async () => {
    const t = tag();
    const worker = await app.createWorker([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D }]);
    let wt = await app.token(worker.id, worker.secret);
    const job = await runJob(`username,population.id\nundo-r1-${t},${refs.contractorsPopulationId}\nundo-r2-${t},${refs.defaultPopulationId}\n`, "", wt);
    expect(job.counts).toMatchObject({ created: 2 });
    // The worker is now an Identity Data Admin of Contractors only.
    const db = await getDb();
    await db.execute(sql`update role_assignments set scope_type = 'POPULATION', scope_id = ${refs.contractorsPopulationId} where application_id = ${worker.id}`);
    wt = await app.token(worker.id, worker.secret);
    const undone = await undo(job.id, wt);
    expect(undone.job.counts).toMatchObject({ total: 2, deleted: 1, failed: 1 });
    expect(undone.report).toEqual([expect.objectContaining({ username: `undo-r2-${t}`, code: "ACCESS_FAILED" })]);
    expect(await user(`undo-r1-${t}`)).toBeUndefined();
    expect(await user(`undo-r2-${t}`)).toBeDefined();
  });

  it("after an undo canceled part-way, a new undo does only what is left: nothing reported twice", async () => {
    const t = tag();
    const job = await runJob(`username\n${Array.from({ length: 5 }, (_, i) => `undo-c${i}-${t}`).join("\n")}\n`);
    process.env.BULK_CHUNK_ROWS = "2";
    try {
      const first = await call("POST", `${envPath}/userImportJobs/${job.id}/undo`);
      expect(first.body.counts.total).toBe(5);
      // One batch of the undo is worked, then the undo is canceled.
      const chunk = (await claimChunk("test-owner"))!;
      expect(chunk.jobId).toBe(first.body.id);
      expect(await processChunk("test-owner", chunk)).toBe(true);
      expect((await call("POST", `${envPath}/userImportJobs/${first.body.id}/cancel`)).status).toBe(200);
      await drainImportJobs();
      const canceled = (await call("GET", `${envPath}/userImportJobs/${first.body.id}`)).body;
      expect(canceled).toMatchObject({ status: "CANCELED", counts: { processed: 2, deleted: 2 } });

      const second = await undo(job.id);
      expect(second.job).toMatchObject({ status: "COMPLETED", counts: { total: 3, deleted: 3, failed: 0 } });
      expect(second.report).toEqual([]);
      for (let i = 0; i < 5; i++) expect(await user(`undo-c${i}-${t}`)).toBeUndefined();
    } finally {
      delete process.env.BULK_CHUNK_ROWS;
    }
  });

  it("reports users deleted or patched through the API since the job, and leaves them so", async () => {
    const t = tag();
    const job = await runJob(`username,title\nundo-x1-${t},a\nundo-x2-${t},a\nundo-x3-${t},a\n`);
    const [x1, x2] = [(await user(`undo-x1-${t}`))!, (await user(`undo-x2-${t}`))!];
    expect((await call("DELETE", `${envPath}/users/${x1.id}`)).status).toBe(204);
    const patched = await call("PATCH", `${envPath}/users/${x2.id}`, token, JSON.stringify({ title: "b" }), "application/json");
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const undone = await undo(job.id);
    expect(undone.job.counts).toMatchObject({ total: 3, deleted: 1, failed: 2 });
    expect(undone.report.map((r) => [r.username, r.code]).sort()).toEqual([[null, "NOT_FOUND"], [`undo-x2-${t}`, "CHANGED_SINCE"]].sort());
    expect((await user(`undo-x2-${t}`))!.title).toBe("b");
    expect(await user(`undo-x3-${t}`)).toBeUndefined();
  });

  it("completes at once with nothing to do for a job that wrote no user", async () => {
    const t = tag();
    const failing = await runJob(`username,email\nundo-bad-${t},not-an-email\n`);
    expect(failing.counts).toMatchObject({ created: 0, failed: 1 });
    const started = await call("POST", `${envPath}/userImportJobs/${failing.id}/undo`);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: "COMPLETED", counts: { total: 0 } });
  });
});
