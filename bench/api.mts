/**
 * bench:api — the import API under load, on PostgreSQL, through the production server.
 *
 *   npm run bench:api [-- --duration 20 --connections 32 --no-build]
 *
 * Builds and starts the production server (all workers) on a fresh database, gets a worker token, and drives
 * Create User (Import) with pre-encoded bcrypt passwords at 32 connections with autocannon.
 * Then it measures the same writes (user row + audit row, one transaction each) through a bare
 * `postgres` loop at the same concurrency, and prints our throughput as a ratio of that.
 * Prints figures; asserts nothing.
 */
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import bcrypt from "bcryptjs";
import postgres from "postgres";
import { benchServer } from "./harness.mjs";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const DURATION = arg("duration", 20);
const CONNECTIONS = arg("connections", 32);

async function main() {
  const { server, dbUrl: benchDbUrl, ids, token, done } = await benchServer("api", args);
  const dbUrl = new URL(benchDbUrl);
  try {
    const pops = (await (await fetch(`${server.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      _embedded: { populations: { id: string; default: boolean }[] };
    };
    const populationId = pops._embedded.populations.find((p) => p.default)!.id;
    const hash = bcrypt.hashSync("correct horse battery staple", 10);

    let n = 0;
    const body = (i: number) =>
      JSON.stringify({
        username: `bench.user.${i}@example.com`,
        email: `bench.user.${i}@example.com`,
        name: { given: "Bench", family: `User ${i}` },
        population: { id: populationId },
        password: { value: hash },
      });
    // Warm-up: JIT, connection pool, route compilation.
    await autocannon({
      url: `${server.url}/environments/${ids.demo}/users`,
      connections: CONNECTIONS,
      duration: 3,
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.user.import+json" },
      requests: [{ setupRequest: (req) => ({ ...req, body: body(n++) }) }],
    });
    const result = await autocannon({
      url: `${server.url}/environments/${ids.demo}/users`,
      connections: CONNECTIONS,
      duration: DURATION,
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.user.import+json" },
      requests: [{ setupRequest: (req) => ({ ...req, body: body(n++) }) }],
    });
    const ok = result["2xx"];
    const errors = result.errors + result.timeouts + result.non2xx;
    const apiRate = ok / result.duration;

    // Baseline: the same rows through a bare driver loop, same concurrency, one transaction each.
    const sql = postgres(dbUrl.toString(), { max: CONNECTIONS, onnotice: () => {} });
    const envId = ids.demo;
    let done = 0;
    let m = 0;
    const until = Date.now() + Math.min(DURATION, 10) * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < until) {
          const i = m++;
          const id = randomUUID();
          await sql.begin(async (tx) => {
            await tx`insert into users (id, environment_id, population_id, username, email, profile, password_hash, password_status, password_changed_at)
              values (${id}, ${envId}, ${populationId}, ${`raw.user.${i}@example.com`}, ${`raw.user.${i}@example.com`},
                      ${sql.json({ name: { given: "Bench", family: `User ${i}` } })}, ${hash}, 'OK', now())`;
            await tx`insert into audit_events (id, environment_id, action, actor_type, actor_id, resource_type, resource_id, via, details)
              values (${randomUUID()}, ${envId}, 'USER.IMPORTED', 'APPLICATION', ${ids.worker}, 'USER', ${id}, 'API', ${sql.json({ populationId })})`;
          });
          done++;
        }
      }),
    );
    const rawRate = done / ((performance.now() - t0) / 1000);
    await sql.end({ timeout: 5 });

    const counter = postgres(dbUrl.toString(), { max: 1 });
    const [row] = await counter<{ count: number }[]>`select count(*)::int as count from users where username like 'bench.user.%'`;
    const count = row?.count ?? 0;
    await counter.end();
    console.log("");
    console.log(`bench:api  POST /environments/{envID}/users (import, bcrypt pre-encoded), PostgreSQL, ${CONNECTIONS} connections, ${result.duration.toFixed(1)} s`);
    console.log(`  imports/s          ${apiRate.toFixed(0)}`);
    console.log(`  latency p50        ${result.latency.p50} ms`);
    console.log(`  latency p99        ${result.latency.p99} ms`);
    console.log(`  errors             ${errors} (non-2xx ${result.non2xx}, socket errors ${result.errors}, timeouts ${result.timeouts})`);
    console.log(`  users in database  ${count} (all 201s incl. warm-up; ${ok} in the measured window)`);
    console.log(`  bare postgres loop ${rawRate.toFixed(0)} transactions/s (same rows, ${CONNECTIONS} concurrent)`);
    console.log(`  ratio API / bare   ${(apiRate / rawRate).toFixed(2)}`);
    console.log(`  targets            >= 1000 imports/s, p99 <= 50 ms, 0 errors`);
  } finally {
    await done();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
