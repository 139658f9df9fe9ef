/**
 * bench:filters — the user list's SCIM filters (issue 14.4) on a PostgreSQL table of 1,000,000
 * users (by default; `--users N`).
 *
 *   npm run bench:filters [-- --users 1000000 --runs 5]
 *
 * Fills a fresh database with users by one INSERT ... SELECT over generate_series (UUIDv7-like
 * ids in creation order, 90% in one population), then, for each common filter, builds the list
 * query exactly as GET /environments/{envID}/users does (lib/users/queries.ts userListQuery:
 * first page of 100), prints its EXPLAIN plan and its median time over a few runs, beside the
 * baseline: the same query in a transaction with this change's indexes dropped (rolled back).
 * Prints figures; asserts nothing.
 */
import { randomUUID } from "node:crypto";
import { freshDatabase } from "../test/support/fresh-db";
import { ADMIN_URL } from "./harness.mjs";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const USERS = arg("users", 1_000_000);
const RUNS = arg("runs", 5);
const NEW_INDEXES = ["users_env_username_pattern_idx", "users_env_email_pattern_idx", "users_env_created_idx", "users_env_external_id_idx"];

async function main() {
  const db = await freshDatabase({ prefix: "bench_filters", driver: "postgres", adminUrl: ADMIN_URL });
  process.env.DATABASE_URL = db.url;
  const sql = db.sql!;
  try {
    const { getDb, closeDb } = await import("../db/index");
    const { parseUserFilter } = await import("../lib/users/filter");
    const { userListQuery } = await import("../lib/users/queries");
    const orm = await getDb();

    const org = randomUUID();
    const env = randomUUID();
    const [popMain, popSmall] = [randomUUID(), randomUUID()];
    await sql`insert into organizations (id, name) values (${org}, 'bench')`;
    await sql`insert into environments (id, organization_id, name) values (${env}, ${org}, 'bench')`;
    await sql`insert into populations (id, environment_id, name, is_default) values (${popMain}, ${env}, 'Main', true), (${popSmall}, ${env}, 'Small', false)`;

    console.log(`filling ${USERS.toLocaleString("en")} users ...`);
    const t0 = performance.now();
    const base = Date.parse("2026-01-01T00:00:00Z");
    await sql.unsafe(
      `insert into users (id, environment_id, population_id, username, email, enabled, profile, created_at, updated_at)
       select (lpad(to_hex(${base}::bigint + i * 10), 12, '0') || '7000' || '8000' || lpad(to_hex(i), 12, '0'))::uuid,
         $1, case when i % 10 = 0 then $3::uuid else $2::uuid end,
         'user.' || i, case when i % 7 = 0 then null else 'e' || i || '@ex' || (i % 100) || '.example.com' end,
         i % 20 <> 0,
         jsonb_build_object('name', jsonb_build_object('given', (array['Ann','Bob','Cid','Dee','Eve'])[1 + i % 5], 'family', 'Family' || (i % 5000)),
           'title', (array['Dr','Mr','Ms'])[1 + i % 3], 'externalId', 'ext-' || i),
         to_timestamp((${base}::bigint + i * 10) / 1000.0), to_timestamp((${base}::bigint + i * 10) / 1000.0)
       from generate_series(1, ${USERS}) as i`,
      [env, popMain, popSmall],
    );
    await sql`analyze users`;
    console.log(`filled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const late = new Date(base + USERS * 10 * 0.99).toISOString();
    const mid = base + USERS * 5;
    const [from, to] = [new Date(mid).toISOString(), new Date(mid + 1000).toISOString()];
    const filters = [
      'username eq "user.500000"',
      'username sw "user.12345"',
      'username sw "USER.9999"',
      'email eq "e500001@ex1.example.com"',
      'email sw "e77777"',
      `population.id eq "${popSmall}"`,
      'username sw "user.4242" and enabled eq true',
      'username sw "user.31415" or email sw "e27182"',
      'externalId eq "ext-654321"',
      'name.family eq "Family4999"',
      `createdAt gt "${late}"`,
      `createdAt ge "${from}" and createdAt lt "${to}"`,
      'username ew "99999"',
      'username co "54321"',
    ];

    const reach = { all: true } as const;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const time = async (run: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await run();
        ms.push(performance.now() - s);
      }
      return median(ms);
    };
    const rows: string[][] = [];
    // Warm the caches once, so that the first filter is not also timing the table's first read.
    await sql`select count(*) from users`;
    for (const f of filters) {
      const q = userListQuery(orm, env, reach, { limit: 100, filter: parseUserFilter(f) }).toSQL();
      const params = q.params as never[];
      const plan = (await sql.unsafe(`explain ${q.sql}`, params)).map((r) => Object.values(r)[0]).join("\n");
      const ours = await time(() => sql.unsafe(q.sql, params));
      const found = (await sql.unsafe(q.sql, params)).length;
      // Baseline: the same query without this change's indexes (dropped inside a transaction, rolled back).
      let baseline = 0;
      let basePlanTop = "";
      await sql
        .begin(async (tx) => {
          for (const ix of NEW_INDEXES) await tx.unsafe(`drop index ${ix}`);
          basePlanTop = String(Object.values((await tx.unsafe(`explain ${q.sql}`, params))[0]!)[0]);
          baseline = await time(() => tx.unsafe(q.sql, params));
          throw new Error("rollback");
        })
        .catch((e: Error) => {
          if (e.message !== "rollback") throw e;
        });
      console.log(`-- ${f}   (${found} rows; ${ours.toFixed(2)} ms; without the new indexes ${baseline.toFixed(2)} ms)\n${plan}\n`);
      rows.push([f, String(found), ours.toFixed(2), baseline.toFixed(2), basePlanTop.trim().slice(0, 50)]);
    }
    const head = ["filter (first page of 100)", "rows", "ms", "baseline ms", "baseline plan (top)"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    console.log(`${USERS.toLocaleString("en")} users, PostgreSQL, median of ${RUNS}; baseline = same query without this change's indexes (${NEW_INDEXES.join(", ")})`);
    for (const r of [head, ...rows]) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join("  "));
    await closeDb();
  } finally {
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
