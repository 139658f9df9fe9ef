/**
 * bench:argon2-threads — how bulk jobs should run argon2id for cleartext rows: a piscina
 * worker-thread pool (one thread per core, each calling argon2.hash) against argon2.hash called
 * directly from the main thread, both with 32 hashes in flight, at the libuv pool sizes given.
 *
 *   npx tsx bench/argon2-threads.mts [--hashes 48] [--rounds 4] [--uv 4,8]
 *
 * Each UV_THREADPOOL_SIZE runs in a child process (the size is fixed when the pool starts);
 * inside one, the two ways alternate round by round so that a busy machine slows both alike.
 * Prints hashes/s per way and round and the median of each; asserts nothing.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const HASHES = Number(arg("hashes", "48"));
const ROUNDS = Number(arg("rounds", "4"));
const UV = arg("uv", "4,8").split(",").map(Number);
const ROOT = path.resolve(import.meta.dirname, "..");

// As lib/passwords/argon2.ts ARGON2ID_PARAMS.
const PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const child = `
import os from "node:os";
import argon2 from "argon2";
import { Piscina } from "piscina";
const [hashes, rounds, worker] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const params = ${JSON.stringify(PARAMS)};
const limited = async (n, fn) => { let next = 0; await Promise.all(Array.from({ length: 32 }, async () => { while (next < n) { next++; await fn(); } })); };
const rate = async (fn) => { const t = performance.now(); await limited(hashes, fn); return hashes / ((performance.now() - t) / 1000); };
const pool = new Piscina({ filename: worker, minThreads: os.availableParallelism(), maxThreads: os.availableParallelism() });
const direct = () => argon2.hash(Math.random().toString(36), { type: argon2.argon2id, ...params });
const pooled = () => pool.run({ cleartext: Math.random().toString(36), params });
await direct(); await pooled();
const out = { piscina: [], direct: [] };
for (let r = 0; r < rounds; r++) { out.piscina.push(await rate(pooled)); out.direct.push(await rate(direct)); }
await pool.destroy();
process.stdout.write(JSON.stringify(out));
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = fs.mkdtempSync(path.join(ROOT, ".bench-argon2-"));
try {
  const script = path.join(dir, "child.mjs");
  const worker = path.join(dir, "worker.mjs");
  fs.writeFileSync(script, child);
  fs.writeFileSync(worker, `import argon2 from "argon2";\nexport default ({ cleartext, params }) => argon2.hash(cleartext, { type: argon2.argon2id, ...params });\n`);
  console.log(`argon2id (19 MiB, t=2, p=1), ${HASHES} hashes a round, 32 in flight, ${os.availableParallelism()} cores`);
  for (const uv of UV) {
    const out = JSON.parse(
      execFileSync(process.execPath, [script, String(HASHES), String(ROUNDS), worker], { cwd: ROOT, env: { ...process.env, UV_THREADPOOL_SIZE: String(uv) } }).toString(),
    ) as { piscina: number[]; direct: number[] };
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
    console.log(`UV_THREADPOOL_SIZE=${uv}: piscina ${fmt(out.piscina)} (median ${median(out.piscina).toFixed(1)}) | direct ${fmt(out.direct)} (median ${median(out.direct).toFixed(1)}) hashes/s`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
