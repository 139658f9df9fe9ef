/**
 * The migration cockpit's query on a 1,000,000-user environment (issue 16: under 200 ms).
 *
 *   npm run bench:migration [-- --users 1000000 --rounds 9]
 *
 * A fresh PostgreSQL database (TEST_DATABASE_URL / BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), migrated and bootstrapped as `npm start` does,
 * filled inside the server with generate_series (a mix of current argon2id, legacy schemes,
 * gateway-linked users of two user types, no password and must-change; 60% never checked; 150,000
 * upgrade and 30,000 gateway-migration audit events over 30 days; 40 import jobs), then VACUUM
 * ANALYZE as autovacuum would leave it. Prints, from the same run: the bare
 * `SELECT count(*) FROM users WHERE environment_id = $1` baseline, the one aggregate alone, the
 * whole overview (migrationOverview: the aggregate, the per-day audit counts and the jobs), and
 * the aggregate's EXPLAIN (ANALYZE, BUFFERS). The database is dropped at the end (`--keep` keeps it,
 * to try a query by hand with psql).
 */
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { freshDatabase } from "../test/support/fresh-db";
import { ADMIN_URL } from "./harness.mjs";

const { values } = parseArgs({ options: { users: { type: "string", default: "1000000" }, rounds: { type: "string", default: "9" }, keep: { type: "boolean", default: false } } });
const N = Number(values.users);
const ROUNDS = Number(values.rounds);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(rounds: number, fn: () => Promise<unknown>): Promise<{ median: number; min: number; max: number }> {
  await fn(); // warm: plan cache, buffers
  const ts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return { median: median(ts), min: Math.min(...ts), max: Math.max(...ts) };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const fresh = await freshDatabase({ prefix: "bench_migration", driver: "postgres", adminUrl: ADMIN_URL });
  try {
    for (const [k, v] of Object.entries(fresh.env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    Object.assign(process.env, { LOG_LEVEL: "silent", DEMO_ENV_ID: randomUUID(), ADMIN_ENV_ID: randomUUID() });
    const { bootstrap } = await import("../lib/bootstrap/index");
    const { getDb, rows, closeDb } = await import("../db/index");
    const { migrationOverview, passwordStatesQuery } = await import("../lib/migration/index");
    await bootstrap();
    const db = await getDb();
    const env = process.env.DEMO_ENV_ID!;
    const [pops, types] = [
      rows<{ id: string }>(await db.execute(sql`select id from populations where environment_id = ${env} order by name`)).map((r) => r.id),
      rows<{ id: string; gateway_id: string }>(await db.execute(sql`select ut.id, ut.gateway_id from gateway_user_types ut join gateways g on g.id = ut.gateway_id where g.environment_id = ${env}`)),
    ];
    if (pops.length < 2 || types.length < 1) throw new Error("bootstrap made fewer populations or gateway user types than expected");
    const [t1, t2] = [types[0]!, types[1] ?? types[0]!];

    console.log(`filling ${N.toLocaleString("en-US")} users ...`);
    let t = performance.now();
    // Buckets by i % 100: 0-29 argon2id, 30-69 legacy (8 schemes), 70-84 EXTERNAL, 85-94 no password, 95-99 must change.
    await db.execute(sql`
      insert into users (id, environment_id, population_id, username, password_hash, password_scheme, password_status, external_password, password_checked_at, created_at, updated_at)
      select gen_random_uuid(), ${env}::uuid,
        case when i % 3 = 0 then ${pops[1]}::uuid else ${pops[0]}::uuid end,
        'bench-' || i,
        case when b < 30 or b >= 95 then '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA'
             when b < 70 then '{SSHA}placeholder' end,
        case when b < 30 or b >= 95 then 'ARGON2ID'
             when b < 70 then (array['SSHA','SSHA512','BCRYPT','SHA512-CRYPT','DJANGO-PBKDF2-SHA256','PHPASS','MD5-CRYPT','PBKDF2-SHA256'])[1 + b % 8] end,
        case when b < 70 then 'OK' when b < 85 then 'EXTERNAL' when b < 95 then 'NO_PASSWORD' else 'MUST_CHANGE_PASSWORD' end,
        case when b >= 70 and b < 85 then jsonb_build_object('gatewayId', case when b < 78 then ${t1.gateway_id} else ${t2.gateway_id} end,
                                                             'userTypeId', case when b < 78 then ${t1.id} else ${t2.id} end,
                                                             'correlationAttributes', jsonb_build_object('uid', 'bench-' || i)) end,
        case when i % 5 < 2 then now() - (i % 30) * interval '1 day' end,
        now(), now()
      from (select i, i % 100 as b from generate_series(1, ${N}) as i) s`);
    console.log(`  users: ${ms(performance.now() - t)}`);
    t = performance.now();
    await db.execute(sql`
      insert into audit_events (id, environment_id, action, actor_type, via, resource_type, resource_id, details, created_at)
      select gen_random_uuid(), ${env}::uuid, case when i % 6 = 0 then 'PASSWORD.MIGRATED' else 'USER.PASSWORD_UPGRADED' end,
             'SYSTEM', 'API', 'USER', gen_random_uuid(), '{}'::jsonb, now() - (i % 30) * interval '1 day' - (i % 86400) * interval '1 second'
      from generate_series(1, 180000) as i`);
    await db.execute(sql`
      insert into user_import_jobs (id, environment_id, actor_type, actor_id, format, status, total_rows, processed_rows, created_count, failed_count, created_at, updated_at)
      select gen_random_uuid(), ${env}::uuid, 'APPLICATION', gen_random_uuid(), 'csv', 'COMPLETED', 25000, 25000, 24990, 10, now() - i * interval '1 day', now()
      from generate_series(1, 40) as i`);
    console.log(`  audit events and jobs: ${ms(performance.now() - t)}`);
    t = performance.now();
    await db.execute(sql`vacuum analyze users`);
    await db.execute(sql`vacuum analyze audit_events`);
    console.log(`  vacuum analyze: ${ms(performance.now() - t)}`);

    const actor = { type: "APPLICATION" as const, id: randomUUID(), via: "API" as const, assignments: [{ role: "ENVIRONMENT_ADMIN" as const, scopeType: "ORGANIZATION" as const, scopeId: randomUUID(), environmentId: null }] };
    const all = { all: true } as const;
    const baseline = await time(ROUNDS, () => db.execute(sql`select count(*) from users where environment_id = ${env}`));
    const aggregate = await time(ROUNDS, () => db.execute(passwordStatesQuery(env, all)));
    const scoped = await time(ROUNDS, () => db.execute(passwordStatesQuery(env, { all: false, populations: new Set([pops[1]!]) })));
    const overview = await time(ROUNDS, () => migrationOverview(actor, env));
    const o = await migrationOverview(actor, env);
    if (o.users.total !== N) throw new Error(`the overview counted ${o.users.total} users, not ${N}`);

    console.log(`\n${N.toLocaleString("en-US")} users, PostgreSQL, medians of ${ROUNDS} rounds (min-max):`);
    console.log(`  baseline  select count(*) where environment_id     ${ms(baseline.median)} (${ms(baseline.min)}-${ms(baseline.max)})`);
    console.log(`  the aggregate (users by password state)          ${ms(aggregate.median)} (${ms(aggregate.min)}-${ms(aggregate.max)})`);
    console.log(`  the aggregate, one population's reader (1/3)     ${ms(scoped.median)} (${ms(scoped.min)}-${ms(scoped.max)})`);
    console.log(`  migrationOverview (aggregate + days + jobs)      ${ms(overview.median)} (${ms(overview.min)}-${ms(overview.max)})`);
    console.log(`  target: under 200 ms; overview / baseline = ${(overview.median / baseline.median).toFixed(2)}x`);
    console.log(`  counted: ${o.users.current} current, ${o.users.legacy.length} legacy schemes, ${o.users.external.length} gateway user types, ${o.users.noPassword} no password, ${o.users.mustChange} must change, ${o.remaining.neverChecked} never checked`);

    console.log("\nEXPLAIN (ANALYZE, BUFFERS) of the aggregate:");
    for (const r of rows<{ "QUERY PLAN": string }>(await db.execute(sql`explain (analyze, buffers) ${passwordStatesQuery(env, all)}`))) console.log("  " + r["QUERY PLAN"]);
    console.log("\nEXPLAIN (ANALYZE, BUFFERS) of the baseline:");
    for (const r of rows<{ "QUERY PLAN": string }>(await db.execute(sql`explain (analyze, buffers) select count(*) from users where environment_id = ${env}`))) console.log("  " + r["QUERY PLAN"]);
    await closeDb();
  } finally {
    if (values.keep) console.log(`\nkept the database: ${fresh.url}`);
    else await fresh.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
