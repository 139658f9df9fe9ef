/**
 * bench:bulk — bulk import end to end, on PostgreSQL, through the production server.
 *
 *   npm run bench:bulk [-- --no-build --rows 200000 --million 1000000 --cleartext 1000 --copy-runs 3 --no-million]
 *
 * Starts the production server (all workers, each running the job worker) on a fresh database and
 * prints, for a CSV of pre-encoded passwords: upload → job done time, rows/s and the server's peak
 * RSS (VmHWM and sampled VmRSS of every server process, from /proc); the same for a million rows;
 * the rate of cleartext rows against the raw argon2id rate of this machine's cores measured in
 * the same run; and our rate as a ratio of a raw COPY of the same rows. Prints; asserts nothing.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import argon2 from "argon2";
import type { RunningServer } from "../test/support/server";
import { benchServer } from "./harness.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = arg("rows", 200_000);
const MILLION = arg("million", 1_000_000);
const CLEARTEXT = arg("cleartext", 1000);
const COPY_RUNS = arg("copy-runs", 3);
const ARGON2ID_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }; // as lib/passwords/argon2.ts
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "ii-bench-bulk-"));

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

function generate(rows: number, cleartext: boolean): string {
  const file = path.join(TMP, `${cleartext ? "clear" : "pre"}-${rows}.csv`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/gen-users.mts"), "--rows", String(rows), "--prefix", `${cleartext ? "c" : "p"}${rows}-${randomBytes(2).toString("hex")}`, "--out", file, ...(cleartext ? ["--cleartext"] : [])], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("gen:users failed");
  return file;
}

/** Every process of the server: the primary and its cluster workers. */
function serverPids(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = fs.readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, "utf8").trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      /* gone */
    }
  }
  return out;
}
function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** A server process's part (lib/server/main.ts): the supervisor, or its worker's role. */
function roleOf(pid: number, root: number): string {
  if (pid === root) return "supervisor";
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const role = env.find((e) => e.startsWith("IDENTITY_IMPORT_ROLE="))?.split("=")[1];
    if (role) return role;
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmd.includes("password-checker") ? "password-checker" : "worker";
  } catch {
    return "gone";
  }
}

/**
 * Samples the server's memory every 50 ms: the peak of the sum of every process's RSS (the
 * figure issue 15 bounds at 512 MB), and the peak RSS of each kind of process.
 */
function sampleMemory(server: RunningServer) {
  let maxProcess = 0;
  let maxTotal = 0;
  const byRole = new Map<string, number>();
  const tick = () => {
    const root = server.child.pid!;
    const pids = serverPids(root);
    let total = 0;
    for (const p of pids) {
      const rss = statusKb(p, "VmRSS");
      total += rss;
      maxProcess = Math.max(maxProcess, rss, statusKb(p, "VmHWM"));
      const role = roleOf(p, root);
      byRole.set(role, Math.max(byRole.get(role) ?? 0, rss));
    }
    maxTotal = Math.max(maxTotal, total);
  };
  tick();
  const t = setInterval(tick, 50);
  return {
    stop: () => {
      clearInterval(t);
      tick();
      return { maxProcess, maxTotal, roles: [...byRole].map(([r, kb]) => `${r} ${mb(kb)}`).join(", ") };
    },
  };
}

/** CPU seconds (user + system) a process has used, from /proc; 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU the job cost: every server process, and the PostgreSQL backends serving the bench's
 * database (sampled by pid from pg_stat_activity before and after). Less sensitive to a busy
 * machine than wall time: the figure to compare across runs.
 */
async function cpuMeter(server: RunningServer, dbUrl: string) {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const dbName = new URL(dbUrl).pathname.slice(1);
  const backends = async () => (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()`).map((r) => Number(r.pid));
  const seen = new Map<number, number>();
  const sample = async () => {
    for (const pid of [...serverPids(server.child.pid!), ...(await backends())]) if (!seen.has(pid)) seen.set(pid, cpuOf(pid));
  };
  await sample();
  // Backends that connect during the job start at their own first sample (near zero).
  const t = setInterval(() => void sample().catch(() => {}), 500);
  return {
    stop: async () => {
      clearInterval(t);
      const node = new Set(serverPids(server.child.pid!));
      let nodeCpu = 0;
      let pgCpu = 0;
      for (const [pid, start] of seen) {
        const used = Math.max(0, cpuOf(pid) - start);
        if (node.has(pid)) nodeCpu += used;
        else pgCpu += used;
      }
      await sql.end({ timeout: 5 });
      return { node: nodeCpu, postgres: pgCpu };
    },
  };
}

async function runJob(server: RunningServer, envId: string, token: string, file: string) {
  const started = performance.now();
  const res = await fetch(`${server.url}/environments/${envId}/userImportJobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
    body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  const job = (await res.json()) as { id: string; status: string };
  if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${JSON.stringify(job)}`);
  const uploaded = performance.now();
  for (;;) {
    const r = await fetch(`${server.url}/environments/${envId}/userImportJobs/${job.id}`, { headers: { authorization: `Bearer ${token}` } });
    const j = (await r.json()) as { status: string; counts: Record<string, number> };
    if (j.status !== "QUEUED" && j.status !== "RUNNING") {
      return { seconds: (performance.now() - started) / 1000, uploadSeconds: (uploaded - started) / 1000, job: j };
    }
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

/** argon2id with every core busy, in this process (argon2 runs on libuv's thread pool). */
async function rawArgon2Rate(seconds = 8): Promise<number> {
  const hash = (cleartext: string) => argon2.hash(cleartext, { type: argon2.argon2id, ...ARGON2ID_PARAMS });
  await Promise.all(Array.from({ length: os.availableParallelism() }, () => hash("warm-up")));
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: os.availableParallelism() * 2 }, async () => {
      while (performance.now() < until) {
        await hash(randomBytes(12).toString("base64url"));
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** The same rows COPYed straight into a table shaped like users (with its unique index), once. */
async function rawCopy(dbUrl: string, file: string, table: string): Promise<number> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`create table ${sql(table)} (like users including defaults including indexes)`;
    const env = randomUUID();
    const pop = randomUUID();
    const lines = fs.readFileSync(file, "utf8").split("\n").slice(1).filter(Boolean);
    const body = lines.map((l) => {
      const [username, email, given, family, pw] = l.split(",");
      const profile = JSON.stringify({ name: { given, family } }).replace(/\\/g, "\\\\");
      return `${randomUUID()}\t${env}\t${pop}\t${username}\t${email}\t${profile}\t${pw}\tOK\n`;
    });
    const started = performance.now();
    const writable = await sql`copy ${sql(table)} (id, environment_id, population_id, username, email, profile, password_hash, password_status) from stdin`.writable();
    await pipeline(Readable.from(body), writable);
    return lines.length / ((performance.now() - started) / 1000);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * The raw COPY's rate, as the median of COPY_RUNS runs (each into a table of its own): one COPY
 * swings by a third from run to run on this machine (a checkpoint, autovacuum of the users just
 * written), more than the change a ratio is read for. Prints every run.
 */
async function rawCopyRate(dbUrl: string, file: string, table: string): Promise<{ median: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 1; i <= COPY_RUNS; i++) runs.push(await rawCopy(dbUrl, file, `${table}_${i}`));
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return { median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, runs };
}

const copyLine = (ours: number, copy: { median: number; runs: number[] }) =>
  `  raw COPY of the same rows: ${fmt(copy.median)} rows/s (median of ${copy.runs.map(fmt).join(", ")}) → ours is ${(ours / copy.median).toFixed(2)}× COPY`;

async function main() {
  const { server, dbUrl: benchDbUrl, ids, token, done } = await benchServer("bulk", args);
  const dbUrl = new URL(benchDbUrl);
  try {
    console.log(`server: ${serverPids(server.child.pid!).length} processes on ${os.availableParallelism()} cores; idle RSS ${mb(serverPids(server.child.pid!).reduce((s, p) => s + statusKb(p, "VmRSS"), 0))} in all`);

    const pre = generate(ROWS, false);
    let mem = sampleMemory(server);
    let cpu = await cpuMeter(server, dbUrl.toString());
    const a = await runJob(server, ids.demo, token, pre);
    let m = mem.stop();
    let used = await cpu.stop();
    const rate = ROWS / a.seconds;
    const perThousand = (c: { node: number; postgres: number }, n: number) => `node ${((c.node * 1e6) / n).toFixed(0)} ms + postgres ${((c.postgres * 1e6) / n).toFixed(0)} ms`;
    console.log(`\n${fmt(ROWS)} pre-encoded rows (CSV): ${a.seconds.toFixed(2)} s end to end (upload ${a.uploadSeconds.toFixed(2)} s), ${fmt(rate)} rows/s; ${JSON.stringify(a.job.counts)}`);
    console.log(`  CPU per 1,000 rows: ${perThousand(used, ROWS)} (server processes and the database's backends)`);
    console.log(`  peak RSS: all server processes together ${mb(m.maxTotal)} (sum of RSS, sampled every 50 ms; the bound is 512 MB); largest process ${mb(m.maxProcess)}; peak by process: ${m.roles}`);

    console.log(copyLine(rate, await rawCopyRate(dbUrl.toString(), pre, "bench_copy")));

    if (!args.includes("--no-million")) {
      const big = generate(MILLION, false);
      mem = sampleMemory(server);
      cpu = await cpuMeter(server, dbUrl.toString());
      const b = await runJob(server, ids.demo, token, big);
      m = mem.stop();
      used = await cpu.stop();
      console.log(`\n${fmt(MILLION)} pre-encoded rows (CSV, ${mb(fs.statSync(big).size / 1024)}): ${b.seconds.toFixed(1)} s (upload ${b.uploadSeconds.toFixed(1)} s), ${fmt(MILLION / b.seconds)} rows/s; ${JSON.stringify(b.job.counts)}`);
      console.log(`  CPU per 1,000 rows: ${perThousand(used, MILLION)}`);
      console.log(`  peak RSS: all server processes together ${mb(m.maxTotal)} (sum of RSS, sampled every 50 ms; the bound is 512 MB); largest process ${mb(m.maxProcess)}; peak by process: ${m.roles}`);
      console.log(copyLine(MILLION / b.seconds, await rawCopyRate(dbUrl.toString(), big, "bench_copy_million")));
      fs.rmSync(big);
    }

    const clear = generate(CLEARTEXT, true);
    const c = await runJob(server, ids.demo, token, clear);
    const clearRate = CLEARTEXT / c.seconds;
    const raw = await rawArgon2Rate();
    console.log(`\n${fmt(CLEARTEXT)} cleartext rows: ${c.seconds.toFixed(1)} s, ${clearRate.toFixed(1)} rows/s; ${JSON.stringify(c.job.counts)}`);
    console.log(`  raw argon2id (19 MiB, t=2, p=1) on ${os.availableParallelism()} cores: ${raw.toFixed(1)} hashes/s → ours is ${((clearRate / raw) * 100).toFixed(0)}% of it`);
  } finally {
    await done();
    fs.rmSync(TMP, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
