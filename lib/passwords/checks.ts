// Where slow hash checks run: a few checker processes, never the server's event loop or its
// libuv pool. At most PASSWORD_CHECK_CONCURRENCY checks run at once; up to PASSWORD_CHECK_QUEUE more
// wait, each for at most PASSWORD_CHECK_WAIT_MS. A check that cannot start in time, or finds the
// queue full, is refused with 503 SERVICE_UNAVAILABLE and Retry-After, so a flood of expensive
// checks slows only itself: the token endpoint, probes and imports never wait behind it.
//
// Processes rather than worker threads, by measurement: a worker thread inside a native call
// (pbkdf2Sync, or Argon2 on libuv's pool, which worker threads share with the server) cannot be
// stopped. With threads, process.exit() during a 1 GiB, 64-pass Argon2 check hung 75 s and then
// aborted; during PBKDF2 at 10,000,000 iterations it waited 13 s. A checker process dies at
// once on SIGKILL, takes its memory (up to 1 GiB per check) with it, runs Argon2 on its own libuv
// pool, and is niced as a whole, Argon2's threads included.

import "server-only";

import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

import { ApiError, serviceUnavailable } from "@/lib/api/errors";
import { log } from "@/lib/log";
import { bundledEntry } from "@/lib/server/entries";

import type { CheckAnswer, CheckTask } from "./check-process";
import { passwordSettings, projectRoot } from "./settings";

type Waiter = { admit: () => void; refuse: (err: ApiError) => void; timer: NodeJS.Timeout };
type Checker = {
  child: ChildProcess;
  task?: { resolve: (match: boolean) => void; reject: (err: Error) => void };
  idleTimer?: NodeJS.Timeout;
};

// Kept warm a while after a check, then stopped to give its memory back.
const IDLE_MS = 60_000;

let running = 0;
let closing = false;
const waiting: Waiter[] = [];
const checkers = new Set<Checker>();
const idle: Checker[] = [];

/**
 * The bundled checker under the production server (lib/server/main.ts) and `next start`; from
 * the sources, through tsx, under Vitest, `next dev` and scripts, where a bundle may be stale.
 */
export function checkerEntry(): { file: string; execArgv: string[] } {
  const bundled = bundledEntry("password-checker.mjs");
  if (bundled) return { file: bundled, execArgv: [] };
  return { file: path.join(projectRoot(), "lib/passwords/check-process.ts"), execArgv: ["--import", "tsx"] };
}

function busy(): ApiError {
  const seconds = Math.ceil(passwordSettings().checkWaitMs / 1000);
  return serviceUnavailable("Too many password checks are waiting: try again shortly.", seconds);
}

function acquire(): Promise<void> {
  const { checkConcurrency, checkQueue, checkWaitMs } = passwordSettings();
  if (running < checkConcurrency) {
    running++;
    return Promise.resolve();
  }
  if (waiting.length >= checkQueue) return Promise.reject(busy());
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      admit: () => {
        clearTimeout(waiter.timer);
        resolve();
      },
      refuse: reject,
      timer: setTimeout(() => {
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(busy());
      }, checkWaitMs),
    };
    waiting.push(waiter);
  });
}

/** Hands the slot to the longest-waiting check, or frees it. */
function release(): void {
  const next = waiting.shift();
  if (next) next.admit();
  else running--;
}

function stopChecker(checker: Checker): void {
  clearTimeout(checker.idleTimer);
  checkers.delete(checker);
  const at = idle.indexOf(checker);
  if (at >= 0) idle.splice(at, 1);
  checker.child.kill("SIGKILL");
}

/**
 * A checker reads attacker-chosen hashes: it gets its own settings and nothing else of the
 * server's environment (no database URL, no secrets).
 */
function checkerEnvironment(): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { IDENTITY_IMPORT_ROOT: projectRoot() };
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("PASSWORD_") || ["PATH", "NODE_ENV", "NEXT_DIST_DIR", "TZ", "LANG"].includes(name)) env[name] = value;
  }
  return env as NodeJS.ProcessEnv;
}

function startChecker(): Checker {
  const { file, execArgv } = checkerEntry();
  // spawn with an IPC channel is fork; spelled so, because Turbopack tries to bundle whatever fork() names.
  const child = spawn(process.execPath, [...execArgv, file], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: checkerEnvironment() });
  const checker: Checker = { child };
  checkers.add(checker);
  child.on("message", (answer: CheckAnswer) => {
    const task = checker.task;
    checker.task = undefined;
    task?.resolve(answer.match === true);
  });
  child.on("exit", (code, signal) => {
    stopChecker(checker);
    const task = checker.task;
    checker.task = undefined;
    if (task) task.reject(new Error(`password checker exited (${signal ?? code})`));
  });
  child.on("error", (err) => {
    if (!closing) log.error("password checker failed", { error: err.name, message: err.message });
  });
  return checker;
}

function runOnChecker(task: CheckTask): Promise<boolean> {
  const checker = idle.pop() ?? startChecker();
  clearTimeout(checker.idleTimer);
  return new Promise<boolean>((resolve, reject) => {
    checker.task = { resolve, reject };
    checker.child.send(task, (err) => {
      if (err && checker.task) {
        checker.task = undefined;
        reject(err);
      }
    });
  }).finally(() => {
    if (!checkers.has(checker)) return;
    idle.push(checker);
    checker.idleTimer = setTimeout(() => stopChecker(checker), IDLE_MS).unref();
  });
}

/** Verifies on a checker process. Rejects with a 503 ApiError when none is free in time. */
export async function checkOnPool(stored: string, candidate: string): Promise<boolean> {
  await acquire();
  try {
    return await runOnChecker({ stored, candidate });
  } catch (err) {
    if (!closing) log.error("password check failed", { error: err instanceof Error ? err.message : typeof err });
    throw serviceUnavailable("The password could not be checked: try again shortly.");
  } finally {
    release();
  }
}

/** Checks running and waiting now (for tests and the benchmark). */
export function passwordCheckLoad(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}

/**
 * Refuses every waiting check and kills the checker processes, running checks included (they
 * answer 503), so that a stopping server never waits for a slow hash. Call it on SIGTERM before
 * closing the HTTP server. The next check starts new checkers.
 */
export async function closePasswordChecks(): Promise<void> {
  closing = true;
  for (const waiter of waiting.splice(0)) {
    clearTimeout(waiter.timer);
    waiter.refuse(serviceUnavailable("The server is stopping: try again shortly.", 1));
  }
  const exits = [...checkers].map((c) => new Promise<void>((resolve) => (c.child.exitCode !== null || c.child.signalCode !== null ? resolve() : c.child.once("exit", () => resolve()))));
  for (const checker of [...checkers]) stopChecker(checker);
  await Promise.all(exits);
  closing = false;
}

// Whatever the stop handler does, checkers die with the server: an 'exit' listener runs even
// on process.exit(), and kill is synchronous.
process.once("exit", () => {
  for (const checker of checkers) checker.child.kill("SIGKILL");
});
