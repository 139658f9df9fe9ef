import "server-only";
import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { getDb, rows, type Executor } from "@/db";
import { populations, users, type PasswordStatus, type UserImportJobRow } from "@/db/schema";
import { requireEnvironmentAccess, type Actor, type Reach } from "@/lib/access";
import { parseOrInvalid } from "@/lib/api/validation";
import { listImportJobs } from "@/lib/bulk/jobs";
import { CURRENT_PASSWORD_SCHEME, passwordScheme } from "@/lib/users/stored-password";

/**
 * The migration cockpit (issue 16): how far an environment's migration has come, for the API
 * (`GET /environments/{envID}/migration`) and the console page alike. Users by password state are
 * ONE aggregate, an index-only scan of users_env_password_state_idx; the per-day counts come from
 * the audit events that the upgrade and the gateway migration write; the jobs from the jobs list.
 * A population-scoped reader sees only its populations (and, like the jobs list, its own jobs).
 */

/** The audit events counted per day (lib/users/password.ts upgradeStoredHash, lib/gateways/password.ts). */
export const UPGRADE_EVENT = "USER.PASSWORD_UPGRADED";
export const GATEWAY_MIGRATION_EVENT = "PASSWORD.MIGRATED";

export type LegacyCount = { scheme: string; count: number };
export type GatewayCount = {
  gateway: { id: string; name: string | null };
  userType: { id: string; name: string | null };
  count: number;
  neverChecked: number;
};
export type MigrationDay = { day: string; upgraded: number; migrated: number };
export type MigrationJob = {
  id: string;
  status: UserImportJobRow["status"];
  dryRun: boolean;
  fileName: string | null;
  createdAt: string;
  finishedAt: string | null;
  totalRows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
};

export type MigrationOverview = {
  environment: { id: string };
  /** The UTC days covered by `migrations.days`, oldest first. */
  since: string;
  users: {
    total: number;
    /** argon2id at today's parameters. */
    current: number;
    /** Stored values of every other scheme: each is replaced by argon2id at its first successful check. */
    legacy: LegacyCount[];
    /** Linked to a gateway whose directory still holds the password (status EXTERNAL). */
    external: GatewayCount[];
    noPassword: number;
    /** Overlaps the above: status MUST_CHANGE_PASSWORD. */
    mustChange: number;
  };
  migrations: { upgraded: number; migrated: number; days: MigrationDay[] };
  importJobs: MigrationJob[];
  /** Users who have never had a successful password check since import. */
  remaining: { neverChecked: number };
};

export const overviewQuerySchema = z.object({
  days: z.coerce
    .number({ error: "days must be a whole number from 1 to 366." })
    .int({ error: "days must be a whole number from 1 to 366." })
    .refine((n) => n >= 1 && n <= 366, { message: "days must be a whole number from 1 to 366.", params: { code: "INVALID_VALUE" } })
    .optional(),
});

export const DEFAULT_DAYS = 30;
export const JOBS_SHOWN = 50;

function scopeOf(r: Reach): SQL | undefined {
  return r.all ? undefined : inArray(users.populationId, [...r.populations]);
}

type StateRow = { status: PasswordStatus; scheme: string | null; gateway_id: string | null; user_type_id: string | null; gateway_name: string | null; user_type_name: string | null; n: number; unchecked: number };

/**
 * The one aggregate: users grouped by password status, scheme and gateway link, with how many
 * were never checked (exported for the benchmark's EXPLAIN). Grouped by the bare columns, in the
 * index's order, so that PostgreSQL aggregates the index-only scan as it streams, without hashing;
 * a migrated user's leftover gateway ids make groups of their own, folded by migrationOverview.
 */
export function passwordStatesQuery(environmentId: string, r: Reach): SQL {
  const scope = r.all ? sql`` : sql`and population_id in (${sql.join([...r.populations].map((p) => sql`${p}::uuid`), sql`, `)})`;
  return sql`
      with s as (
        select password_status as status, password_scheme as scheme,
               password_gateway_id as gateway_id, password_user_type_id as user_type_id,
               count(*)::int as n,
               -- count(column) counts the non-null ones: cheaper per row than count(*) filter (where ...)
               (count(*) - count(password_checked_at))::int as unchecked
        from users
        where environment_id = ${environmentId} ${scope}
        group by 1, 2, 3, 4
      )
      select s.*, g.name as gateway_name, ut.name as user_type_name
      from s
      left join gateways g on g.id::text = s.gateway_id and g.environment_id = ${environmentId}
      left join gateway_user_types ut on ut.id::text = s.user_type_id and ut.gateway_id = g.id`;
}

async function passwordStates(db: Executor, environmentId: string, r: Reach): Promise<StateRow[]> {
  return rows<StateRow>(await db.execute(passwordStatesQuery(environmentId, r)));
}

/**
 * Per UTC day and event, a count over one range of audit_events_env_action_created_idx each (an
 * index-only count per day, no per-row date arithmetic). A population-scoped reader counts only
 * events of users in its populations, which costs a lookup per event.
 */
async function migrationDays(db: Executor, environmentId: string, r: Reach, since: Date, until: Date): Promise<{ day: string; action: string; n: number }[]> {
  const scope = r.all
    ? sql``
    : sql`and exists (select 1 from users u where u.id = e.resource_id and u.environment_id = ${environmentId}
            and u.population_id in (${sql.join([...r.populations].map((p) => sql`${p}::uuid`), sql`, `)}))`;
  return rows<{ day: string; action: string; n: number }>(
    await db.execute(sql`
      select to_char(d.day at time zone 'UTC', 'YYYY-MM-DD') as day, a.action,
             (select count(*)::int from audit_events e
               where e.environment_id = ${environmentId} and e.action = a.action
                 and e.created_at >= d.day and e.created_at < d.day + interval '1 day' ${scope}) as n
      from generate_series(${since.toISOString()}::timestamptz, ${until.toISOString()}::timestamptz, interval '1 day') as d(day),
           (values (${UPGRADE_EVENT}), (${GATEWAY_MIGRATION_EVENT})) as a(action)`),
  );
}

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The overview (Identity Data Read Only and up; a population scope sees its populations only). */
export async function migrationOverview(actor: Actor, environmentId: string, query: unknown = {}): Promise<MigrationOverview> {
  const r = requireEnvironmentAccess(actor, "users:read", environmentId);
  const { days = DEFAULT_DAYS } = parseOrInvalid(overviewQuerySchema, query ?? {});
  const db = await getDb();
  const today = new Date(`${utcDay(new Date())}T00:00:00Z`);
  const since = new Date(today.getTime() - (days - 1) * 86_400_000);
  const [states, perDay, jobs] = await Promise.all([passwordStates(db, environmentId, r), migrationDays(db, environmentId, r, since, today), listImportJobs(actor, environmentId, JOBS_SHOWN)]);

  const out: MigrationOverview["users"] = { total: 0, current: 0, legacy: [], external: [], noPassword: 0, mustChange: 0 };
  const legacy = new Map<string, number>();
  let neverChecked = 0;
  for (const s of states) {
    out.total += s.n;
    neverChecked += s.unchecked;
    if (s.status === "MUST_CHANGE_PASSWORD") out.mustChange += s.n;
    if (s.status === "EXTERNAL") {
      out.external.push({
        gateway: { id: s.gateway_id ?? "", name: s.gateway_name },
        userType: { id: s.user_type_id ?? "", name: s.user_type_name },
        count: s.n,
        neverChecked: s.unchecked,
      });
    } else if (s.status === "NO_PASSWORD" || s.scheme === null) {
      out.noPassword += s.n;
    } else if (s.scheme === CURRENT_PASSWORD_SCHEME) {
      out.current += s.n;
    } else {
      legacy.set(s.scheme, (legacy.get(s.scheme) ?? 0) + s.n);
    }
  }
  out.legacy = [...legacy].map(([scheme, count]) => ({ scheme, count })).sort((a, b) => b.count - a.count || a.scheme.localeCompare(b.scheme));
  out.external.sort((a, b) => b.count - a.count || a.gateway.id.localeCompare(b.gateway.id) || a.userType.id.localeCompare(b.userType.id));

  const byDay = new Map<string, MigrationDay>();
  for (let t = since.getTime(); t <= today.getTime(); t += 86_400_000) {
    const day = utcDay(new Date(t));
    byDay.set(day, { day, upgraded: 0, migrated: 0 });
  }
  for (const d of perDay) {
    const slot = byDay.get(d.day);
    if (!slot) continue;
    if (d.action === UPGRADE_EVENT) slot.upgraded += d.n;
    else slot.migrated += d.n;
  }
  const dayList = [...byDay.values()];

  return {
    environment: { id: environmentId },
    since: utcDay(since),
    users: out,
    migrations: {
      upgraded: dayList.reduce((a, d) => a + d.upgraded, 0),
      migrated: dayList.reduce((a, d) => a + d.migrated, 0),
      days: dayList,
    },
    importJobs: jobs
      .map((j) => ({
        id: j.id,
        status: j.status,
        dryRun: j.dryRun,
        fileName: j.fileName,
        createdAt: j.createdAt.toISOString(),
        finishedAt: j.finishedAt?.toISOString() ?? null,
        totalRows: j.totalRows,
        created: j.createdCount,
        updated: j.updatedCount,
        skipped: j.skippedCount,
        failed: j.failedCount,
      }))
      .reverse(),
    remaining: { neverChecked },
  };
}

export type RemainingUser = {
  id: string;
  username: string;
  email: string | null;
  population: { id: string; name: string };
  passwordStatus: PasswordStatus;
  passwordScheme: string | null;
  createdAt: Date;
};

/**
 * The users never successfully checked since import, in id order, a page at a time (keyset on
 * the id over users_env_unchecked_idx): what the CSV export streams.
 */
export async function* remainingUsers(actor: Actor, environmentId: string, pageSize = 5000): AsyncGenerator<RemainingUser> {
  const r = requireEnvironmentAccess(actor, "users:read", environmentId);
  const db = await getDb();
  let after: string | null = null;
  for (;;) {
    const page: RemainingUser[] = await db
      .select({
        id: users.id,
        username: users.username,
        email: users.email,
        population: { id: populations.id, name: populations.name },
        passwordStatus: users.passwordStatus,
        passwordScheme: users.passwordScheme,
        createdAt: users.createdAt,
      })
      .from(users)
      .innerJoin(populations, eq(populations.id, users.populationId))
      .where(and(eq(users.environmentId, environmentId), isNull(users.passwordCheckedAt), scopeOf(r), after ? gt(users.id, after) : undefined))
      .orderBy(asc(users.id))
      .limit(pageSize);
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.id;
  }
}

export const REMAINING_CSV_HEADER = ["id", "username", "email", "populationId", "populationName", "passwordStatus", "passwordScheme", "createdAt"] as const;

/**
 * Existing rows written before password_scheme existed get it from the one classifier, a batch at
 * a time; run at start-up (lib/bootstrap/startup.ts). Idempotent: only rows with a value and no
 * scheme are read. Returns how many rows it classified.
 */
export async function backfillPasswordSchemes(db: Executor, batch = 5000): Promise<number> {
  let done = 0;
  for (;;) {
    const todo = await db
      .select({ id: users.id, hash: users.passwordHash })
      .from(users)
      .where(and(isNull(users.passwordScheme), sql`${users.passwordHash} is not null`))
      .limit(batch);
    if (todo.length === 0) return done;
    const payload = JSON.stringify(todo.map((t) => ({ id: t.id, scheme: passwordScheme(t.hash) })));
    await db.execute(sql`
      update users set password_scheme = v.scheme
      from json_to_recordset(${payload}::json) as v(id uuid, scheme text)
      where users.id = v.id and users.password_scheme is null`);
    done += todo.length;
    if (todo.length < batch) break;
  }
  if (done > 0) {
    // The same rows' first checks, where an upgrade or a gateway migration proves one happened.
    await db.execute(sql`
      update users set password_checked_at = e.first
      from (select resource_id, min(created_at) as first from audit_events
            where action in (${UPGRADE_EVENT}, ${GATEWAY_MIGRATION_EVENT}) group by resource_id) e
      where users.id = e.resource_id and users.password_checked_at is null`);
  }
  return done;
}
