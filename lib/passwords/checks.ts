// Where slow hash checks run: a bounded pool of worker threads (piscina), never the event loop.
// At most PASSWORD_CHECK_THREADS checks run at once; up to PASSWORD_CHECK_QUEUE more wait, each
// for at most PASSWORD_CHECK_WAIT_MS. A check that cannot start in time, or finds the queue full,
// is refused with 503 SERVICE_UNAVAILABLE and Retry-After, so a flood of expensive checks slows
// only itself: the token endpoint, probes and imports never wait behind it.
//
// The queue is ours rather than piscina's so that "waited too long" is known before a task
// starts: a check is only handed to piscina when a thread is free for it.

import "server-only";

import { existsSync } from "node:fs";
import path from "node:path";

import { Piscina } from "piscina";

import { ApiError, serviceUnavailable } from "@/lib/api/errors";
import { log, safeError } from "@/lib/log";

import type { CheckTask } from "./check-worker";
import { passwordSettings, projectRoot } from "./settings";

type Waiter = { admit: () => void; refuse: (err: ApiError) => void; timer: NodeJS.Timeout };

let pool: Piscina | undefined;
let running = 0;
let closing = false;
const waiting: Waiter[] = [];

/** The bundled worker in production; under Vitest and `next dev` the TypeScript entry through tsx. */
export function checkWorkerFile(): string {
  const root = projectRoot();
  const bundled = path.join(root, process.env.NEXT_DIST_DIR || ".next", "identity-import/password-check-worker.mjs");
  const mode = process.env.NODE_ENV;
  if (mode !== "development" && mode !== "test" && existsSync(bundled)) return bundled;
  return path.join(root, "lib/passwords/check-worker-dev.mjs");
}

function busy(): ApiError {
  const seconds = Math.ceil(passwordSettings().checkWaitMs / 1000);
  return serviceUnavailable("Too many password checks are waiting: try again shortly.", seconds);
}

function acquire(): Promise<void> {
  const { checkThreads, checkQueue, checkWaitMs } = passwordSettings();
  if (running < checkThreads) {
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

/** Hands the thread to the longest-waiting check, or frees it. */
function release(): void {
  const next = waiting.shift();
  if (next) next.admit();
  else running--;
}

function checkPool(): Piscina {
  pool ??= new Piscina({
    filename: checkWorkerFile(),
    minThreads: 0,
    maxThreads: passwordSettings().checkThreads,
    idleTimeout: 60_000,
    // Checks are background work: the kernel gives their threads' CPU to request handling first
    // (Linux nice is per thread; piscina applies it through its @napi-rs/nice dependency).
    niceIncrement: 10,
  });
  return pool;
}

/** Verifies on the pool. Rejects with a 503 ApiError when no thread is free in time. */
export async function checkOnPool(stored: string, candidate: string): Promise<boolean> {
  await acquire();
  try {
    const task: CheckTask = { stored, candidate };
    return (await checkPool().run(task)) === true;
  } catch (err) {
    if (!closing) log.error("password check failed on its worker", safeError(err));
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
 * Refuses every waiting check and terminates the workers, running checks included, so that a
 * stopping process never waits for a slow hash. Call it on SIGTERM before exiting.
 */
export async function closePasswordChecks(): Promise<void> {
  closing = true;
  for (const waiter of waiting.splice(0)) {
    clearTimeout(waiter.timer);
    waiter.refuse(serviceUnavailable("The server is stopping: try again shortly.", 1));
  }
  const stopping = pool;
  pool = undefined;
  try {
    await stopping?.destroy();
  } finally {
    closing = false;
  }
}
