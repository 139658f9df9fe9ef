/**
 * bench/bulk-profile.mts: where a bulk job's time goes, in one process, on PostgreSQL.
 *
 *   npx tsx --conditions=react-server bench/bulk-profile.mts [--rows 200000] [--concurrency 2]
 *
 * A fresh database, bootstrapped as `npm start` does; a generated CSV of pre-encoded rows is
 * uploaded through createImportJob (timed: upload) and worked by `concurrency` job loops in
 * this process with BULK_PROFILE=1, which sums each phase of each chunk (lib/bulk/profile.ts).
 * Phase sums of concurrent loops overlap: read them as shares, beside the wall time. Prints.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { freshDatabase } from "../test/support/fresh-db";
import { ADMIN_URL } from "./harness.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = arg("rows", 200_000);
const CONCURRENCY = arg("concurrency", 2);

/** CPU seconds (user + system) of this process and of the PostgreSQL backends serving this database. */
async function cpuSeconds(dbName: string) {
  const { getDb, rows } = await import("@/db");
  const { sql } = await import("drizzle-orm");
  const db = await getDb();
  const pids = rows<{ pid: number }>(await db.execute(sql`select pid from pg_stat_activity where datname = ${dbName}`)).map((r) => Number(r.pid));
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* not on this machine, or gone */
    }
  }
  const own = process.cpuUsage();
  return { node: (own.user + own.system) / 1e6, postgres: ticks / 100 };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ii-bulk-profile-"));
  const file = path.join(tmp, "pre.csv");
  const gen = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/gen-users.mts"), "--rows", String(ROWS), "--prefix", `pp${randomBytes(2).toString("hex")}`, "--out", file], { cwd: ROOT, stdio: "inherit" });
  if (gen.status !== 0) throw new Error("gen:users failed");
  const db = await freshDatabase({ prefix: "bench_profile", driver: "postgres", adminUrl: ADMIN_URL });
  const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID() };
  Object.assign(process.env, db.env, {
    LOG_LEVEL: "silent",
    BULK_PROFILE: "1",
    IDENTITY_IMPORT_ROOT: ROOT,
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: randomBytes(24).toString("base64url"),
    ADMIN_PASSWORD: randomBytes(16).toString("base64url"),
  });
  const { startup } = await import("@/lib/bootstrap/startup");
  const { loadAssignments } = await import("@/lib/access/assignments");
  const { createImportJob } = await import("@/lib/bulk/jobs");
  const { claimChunk } = await import("@/lib/bulk/queue");
  const { processChunk } = await import("@/lib/bulk/chunk");
  const { phaseTotals } = await import("@/lib/bulk/profile");
  const { closeDb } = await import("@/db");
  try {
    await startup({ announce: false });
    const actor = { type: "APPLICATION" as const, id: ids.worker, assignments: await loadAssignments({ applicationId: ids.worker }), via: "API" as const };
    const dbName = new URL(db.url!).pathname.slice(1);
    const cpu0 = await cpuSeconds(dbName);
    const started = performance.now();
    const job = await createImportJob(actor, ids.demo, fs.createReadStream(file), { format: "csv", dryRun: false, onConflict: "fail", defaultPopulationId: null, fileName: null });
    const uploaded = performance.now();
    const cpu1 = await cpuSeconds(dbName);
    let chunks = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        const owner = `profile-${i}`;
        for (let c = await claimChunk(owner); c; c = await claimChunk(owner)) {
          await processChunk(owner, c);
          chunks++;
        }
      }),
    );
    const finished = performance.now();
    const cpu2 = await cpuSeconds(dbName);
    const work = (finished - uploaded) / 1000;
    console.log(`${ROWS.toLocaleString("en")} rows (job ${job.id}): upload ${((uploaded - started) / 1000).toFixed(2)} s, work ${work.toFixed(2)} s (${chunks} chunks, ${CONCURRENCY} loops), end to end ${Math.round(ROWS / ((finished - started) / 1000)).toLocaleString("en")} rows/s`);
    const per = (a: number) => ((a * 1000) / ROWS) * 1000;
    console.log(`  CPU per 1,000 rows: upload node ${per(cpu1.node - cpu0.node).toFixed(1)} ms + postgres ${per(cpu1.postgres - cpu0.postgres).toFixed(1)} ms; work node ${per(cpu2.node - cpu1.node).toFixed(1)} ms + postgres ${per(cpu2.postgres - cpu1.postgres).toFixed(1)} ms (load-independent; wall times below are not, on a shared machine)`);
    const totals = phaseTotals();
    const loopSeconds = work * CONCURRENCY;
    for (const [phase, t] of Object.entries(totals).sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`  ${phase.padEnd(16)} ${(t.ms / 1000).toFixed(2).padStart(7)} s  ${((t.ms / 1000 / loopSeconds) * 100).toFixed(0).padStart(3)}% of loop time  (${t.n}×, ${(t.ms / t.n).toFixed(1)} ms each)`);
    }
  } finally {
    await closeDb();
    await db.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
