/**
 * Import after a dry run without a second upload (issue 4, the wizard's "Import now"):
 * importFromDryRun makes a new job from a completed dry run's stored chunks, copied inside the
 * database. Through the domain functions the console's server actions call, on a real database,
 * with the job worker run in this process (drainImportJobs).
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db";
import { users } from "@/db/schema";
import type { Actor } from "@/lib/access";
import type { ApiError } from "@/lib/api/errors";
import { loadAssignments } from "@/lib/access/assignments";
import { cancelImportJob, createImportJob, getImportJob, importErrors, importFromDryRun, type ImportErrorLine, type JobOptions } from "@/lib/bulk/jobs";
import { purgeFinishedFiles } from "@/lib/bulk/housekeeping";
import { drainImportJobs } from "@/lib/bulk/worker";
import { FIXED, startTestApp, type DemoRefs, type TestApp, type TestAssignment } from "./support/app";

let app: TestApp;
let refs: DemoRefs;
/** The bootstrapped administrator, as the console sees them. */
let admin: Actor;

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
  const db = await getDb();
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.environmentId, FIXED.adminEnvId), eq(users.username, FIXED.adminUsername)));
  admin = { type: "USER", id: row!.id, via: "CONSOLE", assignments: await loadAssignments({ userId: row!.id }) };
});
afterAll(async () => {
  await app?.close();
});

const tag = () => randomBytes(3).toString("hex");
const options = (o: Partial<JobOptions> = {}): JobOptions => ({ format: "csv", dryRun: true, onConflict: "fail", defaultPopulationId: null, fileName: "users.csv", ...o });

async function applicationActor(assignments: TestAssignment[]): Promise<Actor> {
  const worker = await app.createWorker(assignments);
  return { type: "APPLICATION", id: worker.id, via: "API", assignments: await loadAssignments({ applicationId: worker.id }) };
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

async function errorsOf(actor: Actor, jobId: string): Promise<ImportErrorLine[]> {
  const out: ImportErrorLine[] = [];
  for await (const e of importErrors(actor, FIXED.demoEnvId, jobId)) out.push(e);
  return out;
}

async function dryRun(actor: Actor, csv: string, o: Partial<JobOptions> = {}) {
  const job = await createImportJob(actor, FIXED.demoEnvId, Readable.from([Buffer.from(csv)]), options(o));
  await drainImportJobs();
  return getImportJob(actor, FIXED.demoEnvId, job.id);
}

async function usernamesLike(prefix: string): Promise<string[]> {
  const db = await getDb();
  const rows = await db.select({ username: users.username }).from(users).where(eq(users.environmentId, FIXED.demoEnvId));
  return rows.map((r) => r.username).filter((u) => u.startsWith(prefix)).sort();
}

describe("importFromDryRun", () => {
  it("a dry run writes no user; importing from it creates exactly its valid rows, with the same report, and no second upload", async () => {
    process.env.BULK_CHUNK_ROWS = "2"; // several chunks, all copied
    try {
      const t = tag();
      const csv =
        "username,email,name.given\n" +
        `a-${t},a-${t}@example.com,A\n` +
        `b-${t},not-an-email,B\n` +
        `c-${t},c-${t}@example.com,C\n` +
        `a-${t},again-${t}@example.com,Again\n` +
        `d-${t},d-${t}@example.com,D\n`;
      const before = await app.countUsers(FIXED.demoEnvId);
      const dry = await dryRun(admin, csv);
      expect(dry).toMatchObject({ status: "COMPLETED", dryRun: true, totalRows: 5, createdCount: 3, failedCount: 2, chunksTotal: 3 });
      expect(await app.countUsers(FIXED.demoEnvId)).toBe(before);
      const dryErrors = await errorsOf(admin, dry.id);
      expect(dryErrors.map((e) => [e.row, e.code])).toEqual([
        [3, "INVALID_VALUE"],
        [5, "UNIQUENESS_VIOLATION"],
      ]);

      const job = await importFromDryRun(admin, FIXED.demoEnvId, dry.id, { onConflict: "fail" });
      expect(job).toMatchObject({ status: "QUEUED", dryRun: false, totalRows: 5, chunksTotal: 3, onConflict: "fail", actorId: admin.id, fileName: "users.csv" });
      expect(job.id).not.toBe(dry.id);
      await drainImportJobs();
      const done = await getImportJob(admin, FIXED.demoEnvId, job.id);
      expect(done).toMatchObject({ status: "COMPLETED", processedRows: 5, createdCount: 3, failedCount: 2, chunksDone: 3 });
      expect(await app.countUsers(FIXED.demoEnvId)).toBe(before + 3);
      expect(await usernamesLike(`a-${t}`)).toEqual([`a-${t}`]);
      expect(await usernamesLike(`b-${t}`)).toEqual([]);
      expect(await usernamesLike(`d-${t}`)).toEqual([`d-${t}`]);
      expect((await errorsOf(admin, job.id)).map((e) => [e.row, e.code])).toEqual(dryErrors.map((e) => [e.row, e.code]));

      // The dry run keeps its rows: importing again with skip skips the users now there.
      const again = await importFromDryRun(admin, FIXED.demoEnvId, dry.id, { onConflict: "skip" });
      await drainImportJobs();
      expect(await getImportJob(admin, FIXED.demoEnvId, again.id)).toMatchObject({ status: "COMPLETED", createdCount: 0, skippedCount: 3, failedCount: 2 });
      expect(await app.countUsers(FIXED.demoEnvId)).toBe(before + 3);
    } finally {
      delete process.env.BULK_CHUNK_ROWS;
    }
  });

  it("empties a dry run's stored file (it may hold cleartext passwords) after its retention window; importing from it is then refused", async () => {
    const t = tag();
    const dry = await dryRun(admin, `username,password\npurge-${t},Cleartext-pass-${t}\n`);
    expect(dry).toMatchObject({ status: "COMPLETED", dryRun: true });
    const stored = async () => {
      const rows = (await (await getDb()).execute(sql`select data from user_import_chunks where job_id = ${dry.id}`)) as unknown;
      const list = (Array.isArray(rows) ? rows : (rows as { rows: { data: string }[] }).rows) as { data: string }[];
      return list.map((r) => r.data).join("");
    };
    expect(await stored()).toContain(`Cleartext-pass-${t}`);
    await purgeFinishedFiles(3600); // still inside the window
    expect(await stored()).toContain(`Cleartext-pass-${t}`);
    expect(await purgeFinishedFiles(0)).toBeGreaterThan(0);
    expect(await stored()).not.toContain(`Cleartext-pass-${t}`);
    const err = await rejection(importFromDryRun(admin, FIXED.demoEnvId, dry.id, { onConflict: "fail" }));
    expect(err.status).toBe(400);
    expect(await usernamesLike(`purge-${t}`)).toEqual([]);
  });

  it("refuses a dry run that has not completed, and a job that was not a dry run (400), writing nothing", async () => {
    const t = tag();
    const queued = await createImportJob(admin, FIXED.demoEnvId, Readable.from([Buffer.from(`username\nq-${t}\n`)]), options());
    const notYet = await rejection(importFromDryRun(admin, FIXED.demoEnvId, queued.id, { onConflict: "fail" }));
    expect([notYet.status, notYet.code]).toEqual([400, "INVALID_REQUEST"]);
    await cancelImportJob(admin, FIXED.demoEnvId, queued.id);
    const canceled = await rejection(importFromDryRun(admin, FIXED.demoEnvId, queued.id, { onConflict: "fail" }));
    expect(canceled.status).toBe(400);
    expect(canceled.message).toMatch(/CANCELED/);

    const real = await dryRun(admin, `username\nr-${t}\n`, { dryRun: false });
    expect(real).toMatchObject({ status: "COMPLETED", dryRun: false, createdCount: 1 });
    const notDry = await rejection(importFromDryRun(admin, FIXED.demoEnvId, real.id, { onConflict: "skip" }));
    expect([notDry.status, notDry.code]).toEqual([400, "INVALID_REQUEST"]);

    const badOption = await rejection(importFromDryRun(admin, FIXED.demoEnvId, real.id, { onConflict: "replace" as "fail" }));
    expect([badOption.status, badOption.code]).toEqual([400, "INVALID_DATA"]);
    await drainImportJobs();
    expect(await usernamesLike(`q-${t}`)).toEqual([]);
    expect(await usernamesLike(`r-${t}`)).toEqual([`r-${t}`]);
  });

  it("a population-scoped administrator's rows for other populations fail per row; others' dry runs are not visible", async () => {
    const t = tag();
    const scoped = await applicationActor([
      { role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: FIXED.demoEnvId, populationId: refs.contractorsPopulationId },
    ]);
    const csv = `username,population.id\nmine-${t},${refs.contractorsPopulationId}\ntheirs-${t},${refs.defaultPopulationId}\n`;
    const dry = await dryRun(scoped, csv);
    expect(dry).toMatchObject({ status: "COMPLETED", createdCount: 1, failedCount: 1 });

    const job = await importFromDryRun(scoped, FIXED.demoEnvId, dry.id, { onConflict: "fail" });
    await drainImportJobs();
    expect(await getImportJob(scoped, FIXED.demoEnvId, job.id)).toMatchObject({ status: "COMPLETED", createdCount: 1, failedCount: 1 });
    expect((await errorsOf(scoped, job.id)).map((e) => [e.row, e.code, e.target])).toEqual([[3, "INSUFFICIENT_PERMISSIONS", "population.id"]]);
    expect(await usernamesLike(`mine-${t}`)).toEqual([`mine-${t}`]);
    expect(await usernamesLike(`theirs-${t}`)).toEqual([]);

    // The administrator's dry run is not the scoped actor's, who may not read every user: 404.
    const adminDry = await dryRun(admin, `username\nhidden-${t}\n`);
    expect((await rejection(importFromDryRun(scoped, FIXED.demoEnvId, adminDry.id, { onConflict: "fail" }))).status).toBe(404);
    // A read-only actor may not create jobs at all: 403.
    const reader = await applicationActor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: FIXED.demoEnvId }]);
    expect((await rejection(importFromDryRun(reader, FIXED.demoEnvId, adminDry.id, { onConflict: "fail" }))).status).toBe(403);
    await drainImportJobs();
    expect(await usernamesLike(`hidden-${t}`)).toEqual([]);
  });

  it("another environment's job id, or an unknown one, is 404", async () => {
    const t = tag();
    const dry = await dryRun(admin, `username\nelsewhere-${t}\n`);
    const other = await rejection(importFromDryRun(admin, FIXED.adminEnvId, dry.id, { onConflict: "fail" }));
    expect([other.status, other.code]).toEqual([404, "NOT_FOUND"]);
    const unknown = await rejection(importFromDryRun(admin, FIXED.demoEnvId, "0190e000-0000-7000-8000-000000000000", { onConflict: "fail" }));
    expect(unknown.status).toBe(404);
    await drainImportJobs();
    expect(await usernamesLike(`elsewhere-${t}`)).toEqual([]);
  });
});
