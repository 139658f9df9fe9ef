import "server-only";
import os from "node:os";
import path from "node:path";
import { Piscina } from "piscina";
import { ARGON2ID_PARAMS } from "@/lib/passwords";

/**
 * The pool that hashes bulk jobs' cleartext passwords: one thread per core, so that argon2id
 * (about 35 ms a hash) uses the whole machine. The worker file is located from the project root
 * because this module runs both from the server bundle and from the sources.
 */
let pool: Piscina | undefined;

export function hashWorkerFile(): string {
  return path.join(process.env.IDENTITY_IMPORT_ROOT ?? process.cwd(), "lib/bulk/hash-worker.mjs");
}

export function hashPoolSize(): number {
  const configured = Number(process.env.BULK_HASH_THREADS);
  return Number.isInteger(configured) && configured > 0 ? configured : Math.max(1, os.availableParallelism());
}

export function hashOnPool(cleartext: string): Promise<string> {
  pool ??= new Piscina({
    filename: hashWorkerFile(),
    minThreads: 0,
    maxThreads: hashPoolSize(),
    idleTimeout: 30_000,
  });
  return pool.run({ cleartext, params: { ...ARGON2ID_PARAMS } });
}

export async function closeHashPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.destroy();
}
