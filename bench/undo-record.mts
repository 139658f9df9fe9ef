/**
 * bench:undo-record — what keeping a job's changes for its undo (lib/bulk/changes.ts) costs the
 * bulk write path, on PostgreSQL.
 *
 *   npm run bench:undo-record [-- --rows 100000 --batch 1000]
 *
 * Writes the same kind of users in batches (one transaction each) through the bulk path's own
 * writer (insertUsersWithAudit: users and audit events in one statement), alternating batches
 * with and without recordJobWrites around it, and then a batch of updates (updateUsersWithAudit)
 * with and without it. Prints rows/s of each and the overhead. Prints figures; asserts nothing.
 */
import { randomUUID } from "node:crypto";
import { freshDatabase } from "../test/support/fresh-db";
import { ADMIN_URL } from "./harness.mjs";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = arg("rows", 100_000);
const BATCH = arg("batch", 1000);

async function main() {
  const db = await freshDatabase({ prefix: "bench_undo_record", driver: "postgres", adminUrl: ADMIN_URL });
  process.env.DATABASE_URL = db.url;
  const sql = db.sql!;
  try {
    const { getDb, closeDb } = await import("../db/index");
    const { insertUsersWithAudit } = await import("../lib/users/insert-users");
    const { updateUsersWithAudit } = await import("../lib/users/update-users");
    const { recordJobWrites } = await import("../lib/bulk/changes");
    const { newUserRow } = await import("../lib/users/user-row");
    const { auditRow } = await import("../lib/audit");
    const { uuidv7 } = await import("../lib/ids");
    const orm = await getDb();

    const org = randomUUID();
    const env = randomUUID();
    const pop = randomUUID();
    const jobId = randomUUID();
    const updateJobId = randomUUID();
    await sql`insert into organizations (id, name) values (${org}, 'bench')`;
    await sql`insert into environments (id, organization_id, name) values (${env}, ${org}, 'bench')`;
    await sql`insert into populations (id, environment_id, name, is_default) values (${pop}, ${env}, 'Main', true)`;
    for (const id of [jobId, updateJobId]) {
      await sql`insert into user_import_jobs (id, environment_id, actor_type, actor_id, format, status) values (${id}, ${env}, 'APPLICATION', ${randomUUID()}, 'csv', 'RUNNING')`;
    }
    const actor = { type: "APPLICATION" as const, id: randomUUID(), via: "BULK" as const };

    let n = 0;
    const batch = () =>
      Array.from({ length: BATCH }, () => {
        const i = n++;
        const row = newUserRow({
          id: uuidv7(),
          environmentId: env,
          populationId: pop,
          input: { username: `bench.${i}`, email: `bench.${i}@example.com`, name: { given: "Bench", family: `User ${i}` }, population: { id: pop } } as never,
          identityProviderId: null,
          passwordHash: "{SSHA}aGVsbG8gd29ybGQgdGhpcyBpcyBhIGhhc2g=",
          externalPassword: null,
          now: new Date(),
        });
        return { row, audit: { ...auditRow(actor, env, "USER.IMPORTED", { type: "USER", id: row.id }, { jobId }), createdAt: row.createdAt }, verification: null };
      });

    const ms = { plain: 0, recorded: 0, plainUpd: 0, recordedUpd: 0 };
    const written: string[][] = [];
    // Warm-up.
    await orm.transaction((tx) => insertUsersWithAudit(tx, batch()));
    const batches = Math.max(2, Math.floor(ROWS / BATCH));
    for (let b = 0; b < batches; b++) {
      const entries = batch();
      const recorded = b % 2 === 1;
      const t0 = performance.now();
      await orm.transaction(async (tx) => {
        if (recorded) await recordJobWrites(tx, jobId, entries.map((e, k) => ({ id: e.row.id, row: k + 2 })), [], () => insertUsersWithAudit(tx, entries));
        else await insertUsersWithAudit(tx, entries);
      });
      ms[recorded ? "recorded" : "plain"] += performance.now() - t0;
      written.push(entries.map((e) => e.row.id));
    }
    // Updates of the users just written, half of the batches recorded (their before is kept).
    for (let b = 0; b < written.length; b++) {
      const idsOf = written[b]!;
      const versions = new Map((await sql`select id, xmin::text as v from users where id = any(${idsOf}::uuid[])`).map((r) => [r.id as string, r.v as string]));
      const updates = idsOf.map((id) => ({
        values: { id, email: null, profile: { title: `t${b}` }, updatedAt: new Date(), enabled: null, emailVerified: null, mfaEnabled: null },
        version: versions.get(id)!,
        audit: { ...auditRow(actor, env, "USER.UPDATED", { type: "USER", id }, { jobId }), createdAt: new Date() },
      }));
      const recorded = b % 2 === 0;
      const t0 = performance.now();
      await orm.transaction(async (tx) => {
        if (recorded) await recordJobWrites(tx, updateJobId, [], updates.map((u, k) => ({ id: u.values.id, row: k + 2 })), () => updateUsersWithAudit(tx, updates));
        else await updateUsersWithAudit(tx, updates);
      });
      ms[recorded ? "recordedUpd" : "plainUpd"] += performance.now() - t0;
    }
    const half = (batches / 2) * BATCH;
    const rate = (t: number) => Math.round(half / (t / 1000));
    console.log(`PostgreSQL, ${(batches * BATCH).toLocaleString("en")} users in batches of ${BATCH}, alternating batches with and without recordJobWrites`);
    console.log(`create: ${rate(ms.plain).toLocaleString("en")} rows/s without, ${rate(ms.recorded).toLocaleString("en")} rows/s with (overhead ${((ms.recorded / ms.plain - 1) * 100).toFixed(1)}%)`);
    console.log(`update: ${rate(ms.plainUpd).toLocaleString("en")} rows/s without, ${rate(ms.recordedUpd).toLocaleString("en")} rows/s with (overhead ${((ms.recordedUpd / ms.plainUpd - 1) * 100).toFixed(1)}%)`);
    await closeDb();
  } finally {
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
