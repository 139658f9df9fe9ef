/**
 * The production server (`npm start`): Next.js for the console, and the API's route handlers
 * served straight from Node's HTTP server through the dispatcher (dispatch.ts), by Next's own
 * route table: the very handlers Next serves, without Next's per-request routing, rendering
 * and tracing machinery, which costs more CPU than an import itself.
 *
 * On the embedded PGlite database (or WEB_CONCURRENCY=1) it is exactly one process, since only
 * one process may open PGlite's folder. On PostgreSQL it is WEB_CONCURRENCY serving workers (one
 * per core by default) under a supervisor that loads nothing of the application: one "console"
 * worker holds Next.js, the others are lean "api" workers (no Next.js) that hand every request
 * only Next serves to the console worker over a private socket. Every worker answers the API and
 * works bulk jobs and the email outbox. A full Next.js process costs 150-300 MB, a lean
 * one about a third of that, which is what keeps the whole server within half a gigabyte through
 * a million-row import on a two-core machine (README, "Processes"). Migrations and the first
 * start's bootstrap run once, in a short-lived "setup" worker, before any worker serves.
 */
import cluster from "node:cluster";
import os from "node:os";
import path from "node:path";
import { JOB_QUEUED } from "./messages";

// The bundle lives in .next/identity-import/: the project root is two folders up.
const ROOT = process.env.IDENTITY_IMPORT_ROOT ?? path.resolve(import.meta.dirname, "../..");
process.env.IDENTITY_IMPORT_ROOT = ROOT;

type WorkerRole = "setup" | "console" | "api";

function workerCount(): number {
  if (!process.env.DATABASE_URL) return 1;
  const configured = Number(process.env.WEB_CONCURRENCY);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return Math.max(1, os.availableParallelism());
}

/**
 * V8's heap limits per worker (MB of old and of each young semi-space). Left alone, V8 lets a
 * busy process's heap grow to hundreds of megabytes of garbage before it collects; these bounds
 * keep the whole server within half a gigabyte through a million-row import (bench:bulk), at a
 * few percent more time in the garbage collector. Young semi-spaces of 16 MB, not 8: a bulk
 * batch's rows live from their decision to their commit, and with 8 MB scavenge after scavenge
 * copied them, which cost a bulk job about as much CPU as its decisions. WORKER_HEAP_MB (old
 * space of every worker) or --max-old-space-size in NODE_OPTIONS overrides them.
 */
const HEAP_MB: Record<Exclude<WorkerRole, "setup">, number> = { console: 160, api: 144 };

function heapFlags(role: WorkerRole): string[] {
  if (role === "setup" || /--max-old-space-size/.test(process.env.NODE_OPTIONS ?? "")) return [];
  const configured = Number(process.env.WORKER_HEAP_MB);
  const mb = Number.isInteger(configured) && configured > 0 ? configured : HEAP_MB[role];
  return [`--max-old-space-size=${mb}`, "--max-semi-space-size=16"];
}

const fail = (what: string) => (err: unknown) => {
  process.stderr.write(`${what}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
};

async function primary() {
  const workers = workerCount();
  if (workers === 1) {
    const [{ serve }, { startup }] = await Promise.all([import("./serve"), import("@/lib/bootstrap/startup")]);
    await serve("full", startup);
    return;
  }
  // Migrate and bootstrap once, before any worker serves, so the banner is printed once.
  const setup = cluster.fork({ IDENTITY_IMPORT_ROLE: "setup" });
  const code = await new Promise<number | null>((resolve) => setup.once("exit", (c) => resolve(c)));
  if (code !== 0) process.exit(1);

  const socket = path.join(os.tmpdir(), `identity-import-${process.pid}-console.sock`);
  const roles = new Map<number, WorkerRole>();
  const fork = (role: WorkerRole) => {
    cluster.setupPrimary({ execArgv: [...process.execArgv, ...heapFlags(role)] });
    // Two malloc arenas, not glibc's eight per core: a worker's native allocations (driver
    // buffers, argon2's memory, the thread pool's) then reuse freed memory instead of holding it
    // in idle arenas, which cost about 20 MB of RSS in all through a bulk job at no CPU cost.
    const arenas = process.env.MALLOC_ARENA_MAX ?? "2";
    roles.set(cluster.fork({ IDENTITY_IMPORT_ROLE: role, IDENTITY_IMPORT_CONSOLE_SOCKET: socket, MALLOC_ARENA_MAX: arenas }).id, role);
  };
  fork("console");
  for (let i = 1; i < workers; i++) fork("api");
  let ready = 0;
  let shuttingDown = false;
  cluster.on("message", (from, msg) => {
    if (msg === "listening" && ++ready === workers) void import("./announce").then((a) => a.announce(workers));
    // A job queued in one worker: the others start working it now, not at their next idle poll.
    if (msg === JOB_QUEUED) {
      for (const w of Object.values(cluster.workers ?? {})) if (w && w.id !== from.id && w.isConnected()) w.send(JOB_QUEUED, undefined, () => {});
    }
  });
  cluster.on("exit", (w, code, signal) => {
    const role = roles.get(w.id);
    roles.delete(w.id);
    if (shuttingDown || !role) return;
    process.stderr.write(`worker ${w.process.pid} (${role}) exited (${signal ?? code}); starting another\n`);
    fork(role);
  });
  const stop = () => {
    shuttingDown = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    setTimeout(() => process.exit(0), 5000).unref();
    cluster.disconnect(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

async function worker() {
  const role = (process.env.IDENTITY_IMPORT_ROLE ?? "api") as WorkerRole;
  if (role === "setup") {
    process.env.IDENTITY_IMPORT_SERVER = "1";
    const [{ startup }, { closeDb }] = await Promise.all([import("@/lib/bootstrap/startup"), import("@/db")]);
    await startup({ announce: false });
    await closeDb();
    process.exit(0);
  }
  const { serve } = await import("./serve");
  await serve(role);
}

if (cluster.isPrimary) primary().catch(fail("identity-import failed to start"));
else worker().catch(fail("worker failed to start"));
