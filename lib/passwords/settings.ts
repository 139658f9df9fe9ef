// The one place that reads lib/passwords' settings from the environment: the cost limits
// (limits.ts lists them) and the check pool's size, queue and time budget. Read once per process
// (the check workers read the same environment). Node-only, and free of `server-only` because
// the check worker imports it too.

import os from "node:os";
import path from "node:path";

import { installParseContext } from "./classify";
import type { ParseContext } from "./family";
import { readCostLimits, type CostLimits } from "./limits";
import { loadXcrypt } from "./native";

export type PasswordSettings = {
  limits: CostLimits;
  /** Checks that run at once (worker threads). */
  checkThreads: number;
  /** Checks that may wait for a thread; one more is refused at once with a 503. */
  checkQueue: number;
  /** How long a check may wait for a thread before it is refused with a 503. */
  checkWaitMs: number;
  /** The libxcrypt addon (yescrypt). */
  xcryptAddon: string;
};

export const PASSWORD_CHECK_SETTINGS = [
  { env: "PASSWORD_CHECK_THREADS", description: "hash checks that run at once, each on its own worker thread", default: "cores − 1, at most libuv's pool − 2 (1 to 2)" },
  { env: "PASSWORD_CHECK_QUEUE", description: "hash checks that may wait for a thread; beyond that a check is refused at once (503)", default: "100" },
  { env: "PASSWORD_CHECK_WAIT_MS", description: "how long a check may wait for a thread before it is refused (503 with Retry-After)", default: "10000" },
] as const;

export function projectRoot(): string {
  return process.env.IDENTITY_IMPORT_ROOT ?? process.cwd();
}

function wholeNumber(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = /^\d{1,12}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}; it is "${raw}".`);
  return n;
}

/**
 * Checks share libuv's thread pool with everything else (Argon2 runs there, and so do the
 * client-secret checks of the token endpoint): leave it two threads, and leave the event loop
 * a core.
 */
function defaultThreads(env: Record<string, string | undefined>): number {
  const uvThreads = Number(env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(os.availableParallelism() - 1, uvThreads - 2));
}

export function readPasswordSettings(env: Record<string, string | undefined>): PasswordSettings {
  return {
    limits: readCostLimits(env),
    checkThreads: wholeNumber(env, "PASSWORD_CHECK_THREADS", defaultThreads(env), 1, 256),
    checkQueue: wholeNumber(env, "PASSWORD_CHECK_QUEUE", 100, 0, 100_000),
    checkWaitMs: wholeNumber(env, "PASSWORD_CHECK_WAIT_MS", 10_000, 1, 600_000),
    xcryptAddon: env.PASSWORD_XCRYPT_ADDON || path.join(projectRoot(), "build/Release/xcrypt.node"),
  };
}

let settings: PasswordSettings | undefined;
let context: ParseContext | undefined;

/** This process's settings. Throws, naming the variable, when one is malformed: call it at start. */
export function passwordSettings(): PasswordSettings {
  settings ??= readPasswordSettings(process.env);
  return settings;
}

/** What the server accepts: its configured limits, and yescrypt only where the addon loads. */
export function serverParseContext(): ParseContext {
  context ??= { limits: passwordSettings().limits, yescrypt: loadXcrypt(passwordSettings().xcryptAddon) !== null };
  return context;
}

installParseContext(serverParseContext);
