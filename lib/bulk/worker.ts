import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { databaseDriver, getDb, type Executor } from "@/db";
import { populations, userImportJobs, type UserImportJobRow } from "@/db/schema";
import { reach, reaches, requireCovers, requirePopulationAccess, type Actor } from "@/lib/access";
import { ApiError, driverError, uniquenessViolation } from "@/lib/api/errors";
import { loadAssignments, loadUserAssignments } from "@/lib/access/assignments";
import { log, safeError } from "@/lib/log";
import { uuidv7 } from "@/lib/ids";
import { insertUsersWithAudit } from "@/lib/users/insert-users";
import { parseUserBody, populationMissing, prepareUserImport, profileOf, type PreparedUserImport } from "@/lib/users/import-user";
import type { UserImportInput } from "@/lib/users/schema";
import { hashOnPool } from "./hash-pool";
import { onNewJob } from "./jobs";
import type { RowProblem } from "./parse";

/**
 * The bulk job worker. Any number of processes run it against one database: each claims a chunk
 * of a job's file with a lease (FOR UPDATE SKIP LOCKED), works out every row's outcome through
 * the same rules as the import API (parseUserBody, prepareUserImport), and writes the users, the
 * errors and the job's progress in ONE transaction, which only the lease holder may commit.
 * A process that dies leaves its chunk to be claimed again once the lease runs out.
 */

const leaseSeconds = () => Number(process.env.BULK_LEASE_SECONDS) || 30;
/** A pause after each batch, to leave the database room for other work during a long import. */
const batchPauseMs = () => Number(process.env.BULK_BATCH_PAUSE_MS) || 0;
const MAX_ATTEMPTS = 5;
const HASH_CONCURRENCY = 32;

type StoredRow = { r: number; b?: Record<string, unknown>; p?: RowProblem; u?: string };
type Failure = { row: number; username: string | null; target: string | null; code: string; message: string };
type Claimed = { jobId: string; seq: number; data: string; attempts: number };

function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

const key = (username: string) => username.toLowerCase();

function failureOf(row: number, username: string | null, err: ApiError, target?: string): Failure {
  const first = err.details?.[0];
  const extra = (err.details?.length ?? 0) > 1 ? ` (and ${err.details!.length - 1} more: ${err.details!.slice(1).map((d) => d.target ?? d.code).join(", ")})` : "";
  return {
    row,
    username: username?.slice(0, 128) ?? null,
    target: target ?? first?.target ?? null,
    code: first?.code ?? err.code,
    message: (first?.message ?? err.message) + extra,
  };
}

async function claimChunk(owner: string): Promise<Claimed | null> {
  const db = await getDb();
  const result = await db.execute(sql`
    update user_import_chunks c
    set lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseSeconds()} seconds`}::interval, attempts = c.attempts + 1
    from (
      select c2.job_id, c2.seq from user_import_chunks c2
      join user_import_jobs j on j.id = c2.job_id
      where not c2.done and j.status in ('QUEUED', 'RUNNING')
        and (c2.lease_expires_at is null or c2.lease_expires_at < now())
      order by j.created_at, c2.job_id, c2.seq
      limit 1
      for update of c2 skip locked
    ) pick
    where c.job_id = pick.job_id and c.seq = pick.seq
    returning c.job_id, c.seq, c.data, c.attempts`);
  const [row] = rowsOf<{ job_id: string; seq: number; data: string; attempts: number }>(result);
  if (!row) return null;
  return { jobId: row.job_id, seq: Number(row.seq), data: row.data, attempts: Number(row.attempts) };
}

/** Runs `fn` over items with at most `limit` at a time (the hash pool does the real parallel work). */
async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** `namedPopulation`: the row itself gave population.id (rather than the job's default). */
type Candidate = { row: number; input: UserImportInput; key: string; populationId: string; namedPopulation: boolean };
type Outcome =
  | { kind: "create"; c: Candidate; prepared: PreparedUserImport }
  | { kind: "update"; c: Candidate; userId: string }
  | { kind: "skip"; c: Candidate }
  | { kind: "fail"; c: Candidate; failure: Failure };

/**
 * Processes one claimed chunk. Returns false when the lease was lost (another process took the
 * chunk over), in which case nothing was written.
 */
async function processChunk(owner: string, chunk: Claimed): Promise<boolean> {
  const db = await getDb();
  const [job] = await db.select().from(userImportJobs).where(eq(userImportJobs.id, chunk.jobId));
  if (!job) return false;
  if (job.status === "QUEUED") {
    await db
      .update(userImportJobs)
      .set({ status: "RUNNING", startedAt: job.startedAt ?? new Date() })
      .where(and(eq(userImportJobs.id, job.id), eq(userImportJobs.status, "QUEUED")));
  }

  const stored = chunk.data.split("\n").map((l) => JSON.parse(l) as StoredRow);
  if (chunk.attempts > MAX_ATTEMPTS) {
    // A chunk that has crashed its process again and again: report its rows instead of looping.
    const failures = stored.map((s) => ({ row: s.r, username: null, target: null, code: "UNEXPECTED_ERROR", message: "The row could not be processed; import it again." }));
    return commit(owner, chunk, job, [], failures, stored.length);
  }

  const actor: Actor = {
    type: job.actorType,
    id: job.actorId,
    assignments: await loadAssignments(job.actorType === "APPLICATION" ? { applicationId: job.actorId } : { userId: job.actorId }),
    via: "BULK",
  };
  const envPops = await db
    .select({ id: populations.id, isDefault: populations.isDefault })
    .from(populations)
    .where(eq(populations.environmentId, job.environmentId));
  const known = new Set(envPops.map((p) => p.id));
  const defaultPopulationId = job.defaultPopulationId ?? envPops.find((p) => p.isDefault)?.id ?? null;

  // Rules 4-6 row by row, and duplicates inside this chunk (the first row keeps the username).
  const failures: Failure[] = [];
  const candidates: Candidate[] = [];
  const firstRow = new Map<string, number>();
  for (const s of stored) {
    const rawName = typeof s.b?.username === "string" ? (s.b.username as string) : (s.u ?? null);
    if (s.p || !s.b) {
      failures.push({ row: s.r, username: rawName, target: s.p?.target ?? null, code: s.p?.code ?? "INVALID_VALUE", message: s.p?.message ?? "The row is empty." });
      continue;
    }
    try {
      // A row without population.id goes to the job's default population (else the environment's).
      const namedPopulation = s.b.population !== undefined;
      if (!namedPopulation && defaultPopulationId) s.b.population = { id: defaultPopulationId };
      const input = parseUserBody(s.b, "import");
      const populationId = input.population.id;
      // An update of a row without population.id is checked against the existing user's
      // population instead (in decide); a create is checked by prepareUserImport either way.
      if (namedPopulation || job.onConflict !== "update") requirePopulationAccess(actor, "users:write", job.environmentId, populationId);
      if (!known.has(populationId)) throw populationMissing();
      const k = key(input.username);
      const earlier = firstRow.get(k);
      if (earlier !== undefined) {
        failures.push(duplicateInFile(s.r, input.username, earlier));
        continue;
      }
      firstRow.set(k, s.r);
      candidates.push({ row: s.r, input, key: k, populationId, namedPopulation });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failures.push(failureOf(s.r, rawName, err, err.code === "ACCESS_FAILED" ? "population.id" : undefined));
    }
  }

  for (let attempt = 1; ; attempt++) {
    try {
      const outcomes = await decide(db, actor, job, candidates, defaultPopulationId);
      return await commit(owner, chunk, job, outcomes, failures, stored.length);
    } catch (err) {
      // A username taken meanwhile by someone else (an API import, another job), or two jobs'
      // batches crossing: decide again against what is now in the database.
      const code = driverError(err)?.code;
      if ((code === "23505" || code === "40P01" || code === "40001") && attempt < 5) continue;
      throw err;
    }
  }
}

function duplicateInFile(row: number, username: string, earlier: number): Failure {
  return { row, username, target: "username", code: "UNIQUENESS_VIOLATION", message: `The username is already on row ${earlier} of the file.` };
}

/** Rules 7-9 and the job's onConflict for each candidate, against the users already in the environment. */
async function decide(db: Executor, actor: Actor, job: UserImportJobRow, candidates: Candidate[], defaultPopulationId: string | null): Promise<Outcome[]> {
  if (!candidates.length) return [];
  const existingRows = rowsOf<{ id: string; k: string; population_id: string }>(
    await db.execute(sql`
      select id, lower(username) as k, population_id from users
      where environment_id = ${job.environmentId}
        and lower(username) = any(array(select json_array_elements_text(${JSON.stringify(candidates.map((c) => c.key))}::json)))`),
  );
  const existing = new Map(existingRows.map((e) => [e.k, e]));
  const readable = reach(actor, "users:read", job.environmentId);
  // An update is a write on the existing user: refused when that user holds more than the job's actor.
  const held = job.onConflict === "update" ? await loadUserAssignments(db, existingRows.map((e) => e.id)) : new Map();

  return mapLimited(candidates, HASH_CONCURRENCY, async (c): Promise<Outcome> => {
    const found = existing.get(c.key);
    try {
      if (found) {
        if (job.onConflict === "skip") return { kind: "skip", c };
        if (job.onConflict === "fail") {
          const failure = failureOf(c.row, c.input.username, uniquenessViolation(reaches(readable, found.population_id) ? { existingId: found.id } : undefined));
          return { kind: "fail", c, failure };
        }
        // update: profile attributes only, and never a move to another population.
        requirePopulationAccess(actor, "users:write", job.environmentId, found.population_id);
        requireCovers(actor, held.get(found.id) ?? [], "user");
        if (c.namedPopulation && c.populationId !== found.population_id) {
          return {
            kind: "fail",
            c,
            failure: { row: c.row, username: c.input.username, target: "population.id", code: "INVALID_VALUE", message: "The user exists in another population: a bulk update never moves a user." },
          };
        }
        return { kind: "update", c, userId: found.id };
      }
      const prepared = await prepareUserImport(db, actor, job.environmentId, c.input, "import", {
        defaultPopulationId: defaultPopulationId ?? undefined,
        hash: job.dryRun ? async () => "dry-run" : hashOnPool,
        auditDetails: { jobId: job.id, row: c.row },
      });
      return { kind: "create", c, prepared };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { kind: "fail", c, failure: failureOf(c.row, c.input.username, err, err.code === "ACCESS_FAILED" ? "population.id" : undefined) };
    }
  });
}

/** The chunk's one transaction: usernames claimed in the file, users, errors, progress. */
async function commit(
  owner: string,
  chunk: Claimed,
  job: UserImportJobRow,
  outcomes: Outcome[],
  baseFailures: Failure[],
  rowCount: number,
): Promise<boolean> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const held = rowsOf<{ done: boolean; lease_owner: string | null }>(
      await tx.execute(sql`select done, lease_owner from user_import_chunks where job_id = ${chunk.jobId} and seq = ${chunk.seq} for update`),
    );
    if (!held[0] || held[0].done || held[0].lease_owner !== owner) return false;

    const failures = [...baseFailures];
    // Duplicates across chunks: each username of the file is claimed once, by the first chunk
    // to commit it (a duplicate is reported as such, whatever else is wrong with it); claims are
    // made in sorted order so that two chunks never deadlock.
    const live = outcomes;
    let kept = live;
    if (live.length) {
      const sorted = [...live].sort((a, b) => (a.c.key < b.c.key ? -1 : a.c.key > b.c.key ? 1 : 0));
      const claimed = rowsOf<{ username: string }>(
        await tx.execute(sql`
          insert into user_import_keys (job_id, username, row_number)
          select ${job.id}, k.username, k.row_number
          from json_to_recordset(${JSON.stringify(sorted.map((o) => ({ username: o.c.key, row_number: o.c.row })))}::json) as k(username text, row_number int)
          on conflict do nothing
          returning username`),
      );
      const won = new Set(claimed.map((r) => r.username));
      const lost = live.filter((o) => !won.has(o.c.key));
      if (lost.length) {
        const earlier = rowsOf<{ username: string; row_number: number }>(
          await tx.execute(sql`select username, row_number from user_import_keys where job_id = ${job.id}
            and username in (${sql.join(lost.map((o) => sql`${o.c.key}`), sql`, `)})`),
        );
        const rowOf = new Map(earlier.map((e) => [e.username, Number(e.row_number)]));
        for (const o of lost) failures.push(duplicateInFile(o.c.row, o.c.input.username, rowOf.get(o.c.key) ?? 0));
        kept = live.filter((o) => won.has(o.c.key));
      }
    }
    for (const o of kept) if (o.kind === "fail") failures.push(o.failure);

    const creates = kept.filter((o): o is Extract<Outcome, { kind: "create" }> => o.kind === "create");
    const updates = kept.filter((o): o is Extract<Outcome, { kind: "update" }> => o.kind === "update");
    const skipped = kept.filter((o) => o.kind === "skip").length;

    if (!job.dryRun) {
      if (creates.length) await insertUsersWithAudit(tx, creates.map((o) => o.prepared));
      if (updates.length) await updateProfiles(tx, job, updates);
    }

    if (failures.length) {
      failures.sort((a, b) => a.row - b.row);
      await tx.execute(sql`
        insert into user_import_errors (job_id, row_number, username, target, code, message)
        select ${job.id}, e.row, e.username, e.target, e.code, e.message
        from json_to_recordset(${JSON.stringify(failures)}::json) as e("row" int, username text, target text, code text, message text)
        on conflict do nothing`);
    }

    // A dry run keeps its rows, so that importFromDryRun can copy them without a second upload.
    await tx.execute(sql`update user_import_chunks set done = true${job.dryRun ? sql`` : sql`, data = ''`}, lease_expires_at = null
      where job_id = ${chunk.jobId} and seq = ${chunk.seq}`);
    await tx.execute(sql`
      update user_import_jobs set
        chunks_done = chunks_done + 1,
        processed_rows = processed_rows + ${rowCount},
        created_count = created_count + ${creates.length},
        updated_count = updated_count + ${updates.length},
        skipped_count = skipped_count + ${skipped},
        failed_count = failed_count + ${failures.length},
        updated_at = now(),
        status = case when chunks_done + 1 >= chunks_total and status in ('QUEUED', 'RUNNING') then 'COMPLETED' else status end,
        finished_at = case when chunks_done + 1 >= chunks_total and status in ('QUEUED', 'RUNNING') then now() else finished_at end
      where id = ${job.id}`);
    return true;
  });
}

/** onConflict=update: the row's profile attributes (and email) over the existing user's; nothing else changes. */
async function updateProfiles(tx: Executor, job: UserImportJobRow, updates: Extract<Outcome, { kind: "update" }>[]): Promise<void> {
  const now = new Date().toISOString();
  const values = updates.map(
    (o) => sql`(${o.userId}::uuid, ${o.c.input.email ?? null}, ${JSON.stringify(profileOf(o.c.input))}::jsonb, ${uuidv7()}::uuid, ${o.c.row}::int)`,
  );
  await tx.execute(sql`
    with v(id, email, profile, audit_id, row_number) as (values ${sql.join(values, sql`, `)}),
    updated as (
      update users u set email = coalesce(v.email, u.email), profile = u.profile || v.profile, updated_at = ${now}::timestamptz
      from v where u.id = v.id
      returning u.id
    )
    insert into audit_events (id, environment_id, action, actor_type, actor_id, resource_type, resource_id, via, details, created_at)
    select v.audit_id, ${job.environmentId}::uuid, 'USER.UPDATED', ${job.actorType}, ${job.actorId}::uuid, 'USER', v.id, 'BULK',
      jsonb_build_object('jobId', ${job.id}::text, 'row', v.row_number), ${now}::timestamptz
    from v join updated on updated.id = v.id`);
}

/** Claims and processes chunks until none is left to claim. Returns the number processed. */
export async function drainImportJobs(owner = `drain-${randomUUID()}`): Promise<number> {
  let n = 0;
  for (;;) {
    const chunk = await claimChunk(owner);
    if (!chunk) return n;
    await runClaimed(owner, chunk);
    n++;
  }
}

async function runClaimed(owner: string, chunk: Claimed): Promise<void> {
  const db = await getDb();
  // Renew the lease while the chunk is worked on (cleartext rows take seconds to hash).
  const renew = setInterval(() => {
    db.execute(sql`update user_import_chunks set lease_expires_at = now() + ${`${leaseSeconds()} seconds`}::interval
      where job_id = ${chunk.jobId} and seq = ${chunk.seq} and lease_owner = ${owner} and not done`).catch(() => {});
  }, (leaseSeconds() * 1000) / 3);
  renew.unref();
  try {
    await processChunk(owner, chunk);
  } finally {
    clearInterval(renew);
  }
}

/**
 * An upload whose server died mid-file never reaches QUEUED: after an hour it is marked FAILED
 * and its stored chunks are dropped (its rows were never imported: a job runs only once whole).
 */
export async function expireStaleUploads(maxAgeSeconds = 3600): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const stale = rowsOf<{ id: string }>(
      await tx.execute(sql`update user_import_jobs set status = 'FAILED', finished_at = now(), updated_at = now()
        where status = 'UPLOADING' and created_at < now() - ${`${maxAgeSeconds} seconds`}::interval returning id`),
    );
    for (const { id } of stale) await tx.execute(sql`delete from user_import_chunks where job_id = ${id}`);
  });
}

/**
 * Uploaded files may hold cleartext passwords: keep them no longer than their job needs them.
 * A real import empties each chunk as it commits it; this empties what is left behind by jobs
 * that ended otherwise (canceled, failed) and by dry runs once their retention window (for an
 * "import now" without a second upload; BULK_DRY_RUN_RETENTION_SECONDS, default one hour) is over.
 */
export async function purgeFinishedFiles(dryRunRetentionSeconds = Number(process.env.BULK_DRY_RUN_RETENTION_SECONDS) || 3600): Promise<number> {
  const db = await getDb();
  const purged = rowsOf<{ job_id: string }>(
    await db.execute(sql`update user_import_chunks c set data = ''
      from user_import_jobs j
      where c.job_id = j.id and c.data <> ''
        and (j.status in ('CANCELED', 'FAILED')
             or (j.dry_run and j.status = 'COMPLETED' and j.finished_at < now() - ${`${dryRunRetentionSeconds} seconds`}::interval))
      returning c.job_id`),
  );
  return purged.length;
}

export type BulkWorker = { stop: () => Promise<void> };

/**
 * Starts this process's job loop(s): claim a chunk, process it, repeat; poll when idle. Started by
 * the production server; `stop()` lets the current chunks finish and ends the loops.
 */
export function startBulkWorker(opts: { concurrency?: number; idleMs?: number } = {}): BulkWorker {
  const owner = `${process.pid}-${randomUUID()}`;
  const concurrency = opts.concurrency ?? (Number(process.env.BULK_WORKER_CONCURRENCY) || (databaseDriver() === "pglite" ? 1 : 2));
  const idleMs = opts.idleMs ?? 1000;
  let stopped = false;
  const sleepers = new Set<() => void>();
  const wakeAll = () => {
    for (const w of [...sleepers]) w();
  };
  onNewJob(wakeAll);

  const loop = async () => {
    while (!stopped) {
      let chunk: Claimed | null = null;
      try {
        chunk = await claimChunk(owner);
        if (chunk) await runClaimed(owner, chunk);
        if (chunk && batchPauseMs()) await new Promise((r) => setTimeout(r, batchPauseMs()));
      } catch (err) {
        log.error("bulk import chunk failed", { job: chunk?.jobId, seq: chunk?.seq, ...safeError(err) });
        chunk = null;
      }
      if (!chunk && !stopped) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            sleepers.delete(done);
            resolve();
          };
          const t = setTimeout(done, idleMs);
          sleepers.add(done);
        });
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  const janitor = setInterval(() => {
    void expireStaleUploads().catch(() => {});
    void purgeFinishedFiles().catch(() => {});
  }, 60_000);
  janitor.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(janitor);
      wakeAll();
      await Promise.allSettled(loops);
    },
  };
}
