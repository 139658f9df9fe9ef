/**
 * bench:rate-limit — what the API's rate limits cost per request, in one process.
 *
 *   npx tsx --conditions=react-server bench/rate-limit.mts
 *
 * Counts N hits against the per-IP and per-application limits (batched: counted locally, synced to
 * the shared store every RATE_LIMIT_SYNC_MS) on an in-memory PGlite, and prints the CPU time per
 * request and the number of store writes made. Prints figures; asserts nothing.
 */
process.env.DATA_DIR ??= "memory://";
delete process.env.DATABASE_URL;
process.env.LOG_LEVEL ??= "silent";

const { hitLimit, flushLimits } = await import("../lib/rate-limit/index");
const { getDb } = await import("../db/index");
const { sql } = await import("drizzle-orm");

const N = 1_000_000;
await getDb();
for (let i = 0; i < 10_000; i++) await hitLimit("apiPerIp", "warm-up");
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  await hitLimit("apiPerIp", "203.0.113.1");
  await hitLimit("apiPerApplication", "0c000000-0000-4000-8000-000000000003");
  // Let timers (the batched sync) run now and then, as a server's event loop would.
  if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
}
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
await flushLimits();
const rows = (await (await getDb()).execute(sql`select key, points from rate_limits order by key`)) as unknown as { rows: { key: string; points: number }[] };
console.log(`bench:rate-limit  ${N.toLocaleString()} requests x 2 limits (per IP, per application), batched`);
console.log(`  CPU per request     ${(((cpu.user + cpu.system) / N) * 1000).toFixed(0)} ns`);
console.log(`  wall per request    ${((wall / N) * 1e6).toFixed(0)} ns`);
console.log(`  shared counters     ${rows.rows.map((r) => `${r.key}=${r.points}`).join(", ")}`);
process.exit(0);
