// The one place that reads lib/passwords' settings from the environment: the cost limits
// (limits.ts lists them) and the check pool's size, queue and time budget. Read once per process
// (the checker processes read the same environment). Node-only, and free of `server-only`
// because the checker imports it too.

import path from "node:path";

import { installParseContext } from "./classify";
import type { ParseContext } from "./family";
import { readCostLimits, type CostLimits } from "./limits";
import { loadXcrypt } from "./native";

export type PasswordSettings = {
  limits: CostLimits;
  /** Checks that run at once, each in its own checker process. */
  checkConcurrency: number;
  /** Checks that may wait for a checker; one more is refused at once with a 503. */
  checkQueue: number;
  /** How long a check may wait for a checker before it is refused with a 503. */
  checkWaitMs: number;
  /** The libxcrypt addon (yescrypt). */
  xcryptAddon: string;
};

export const PASSWORD_CHECK_SETTINGS = [
  { env: "PASSWORD_CHECK_CONCURRENCY", description: "hash checks that run at once, each in its own checker process", default: "1 per server process" },
  { env: "PASSWORD_CHECK_QUEUE", description: "hash checks that may wait for a checker; beyond that a check is refused at once (503)", default: "100" },
  { env: "PASSWORD_CHECK_WAIT_MS", description: "how long a check may wait for a checker before it is refused (503 with Retry-After)", default: "10000" },
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


export function readPasswordSettings(env: Record<string, string | undefined>): PasswordSettings {
  return {
    limits: readCostLimits(env),
    // One per server process: the server runs a process per core on PostgreSQL (WEB_CONCURRENCY),
    // each with its own checkers, and one on PGlite, which leaves the event loop the other core.
    checkConcurrency: wholeNumber(env, "PASSWORD_CHECK_CONCURRENCY", 1, 1, 256),
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
