import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { databaseDriver, getDb, rows, type Executor } from "@/db";
import { userImportJobs, type UserImportJobRow } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { loadAssignments } from "@/lib/access/assignments";
import { driverError, type ApiError } from "@/lib/api/errors";
import { decideImports, type ImportContext, type ImportDecision } from "@/lib/users/import-decision";
import { createAction, prepareUpdate, prepareUserCreate, type PreparedCreate } from "@/lib/users/import-user";
import { ConcurrentUserChange, type UserUpdate } from "@/lib/users/update-users";
import { recordJobWrites } from "./changes";
import { hashForBulk } from "./hashing";
import type { ClaimedChunk } from "./queue";
import type { RowSource } from "./parse";
import { timed } from "./profile";
import { decodeChunk } from "./stored-rows";
import { processUndoChunk } from "./undo";
import { writeBatch } from "./write-batch";

/** A bulk row is an import (spec 2.2): decided and audited as one. */
const BULK_MODE = "import" satisfies ImportContext["mode"];

/**
 * One claimed chunk of a job's file: every row decided by the import's own decision
 * (decideImports: the API's rules in the API's order, looked up for the whole chunk at once),
 * duplicates inside the file reported, and then ONE transaction, which only the lease holder may
 * commit, writes the users, the errors and the job's progress.
 */
const MAX_ATTEMPTS = 5;

/** Cleartext rows hashed at once: enough to keep every argon2 thread busy. */
const HASH_CONCURRENCY = 32;

type Failure = { row: number; username: string | null; target: string | null; code: string; message: string };

/** A row's outcome. `key` (its username as the database compares it) claims the username in the file. */
type Outcome = { row: number; username: string | null } & (
  | { kind: "create"; key: string | null; insert: PreparedCreate | null }
  | { kind: "update"; key: string; update: UserUpdate | null }
  | { kind: "skip"; key: string }
  | { kind: "fail"; key: string | null; failure: Failure; taken?: boolean }
);

function failureOf(row: number, username: string | null, err: ApiError): Failure {
  const first = err.details?.[0];
  const more = err.details && err.details.length > 1 ? ` (and ${err.details.length - 1} more: ${err.details.slice(1).map((d) => d.target ?? d.code).join(", ")})` : "";
  return {
    row,
    username: username?.slice(0, 128) ?? null,
    target: first?.target ?? null,
    code: first?.code ?? err.code,
    message: (first?.message ?? err.message) + more,
  };
}

function duplicateInFile(row: number, username: string | null, earlier: number): Failure {
  return { row, username, target: "username", code: "UNIQUENESS_VIOLATION", message: `The username is already on row ${earlier} of the file.` };
}

/** Processes one claimed chunk. Returns false when the lease was lost, in which case nothing was written. */
export async function processChunk(owner: string, chunk: ClaimedChunk): Promise<boolean> {
  const db = await getDb();
  const [job] = await timed("job", () => db.select().from(userImportJobs).where(eq(userImportJobs.id, chunk.jobId)));
  if (!job) return false;
  if (job.kind === "undo") return processUndoChunk(owner, chunk, job);
  if (job.status === "QUEUED") {
    await db
      .update(userImportJobs)
      .set({ status: "RUNNING", startedAt: job.startedAt ?? new Date(), progressSamples: sql`jsonb_build_array(jsonb_build_array(floor(extract(epoch from now()) * 1000), ${userImportJobs.processedRows}))` })
      .where(and(eq(userImportJobs.id, job.id), eq(userImportJobs.status, "QUEUED")));
  }

  const parsed = await timed("decode", () => decodeChunk(chunk.data));
  if (chunk.attempts > MAX_ATTEMPTS) {
    // A chunk that has crashed its process again and again: report its rows instead of looping.
    const failures = parsed.map((p) => ({ row: p.row, username: null, target: null, code: "UNEXPECTED_ERROR", message: "The row could not be processed; import it again." }));
    return commit(owner, chunk, job, failures.map((failure) => ({ kind: "fail", row: failure.row, username: null, key: null, failure })), parsed.length);
  }

  // The job's actor with its role assignments as they are now: a revoked role stops a running job.
  const actor: Actor = {
    type: job.actorType,
    id: job.actorId,
    assignments: await timed("actor", () => loadAssignments(job.actorType === "APPLICATION" ? { applicationId: job.actorId } : { userId: job.actorId })),
    via: "BULK",
  };
  const ctx: ImportContext = {
    actor,
    environmentId: job.environmentId,
    mode: BULK_MODE,
    onConflict: job.onConflict,
    defaultPopulation: job.defaultPopulationId ?? "environment",
  };
  // Rows the file itself made unreadable fail as they are; the others are decided.
  const unreadable: Outcome[] = [];
  const readable: { row: number; body: unknown; source?: RowSource }[] = [];
  for (const p of parsed) {
    if ("body" in p) readable.push(p);
    else {
      const username = p.username ?? null;
      unreadable.push({ kind: "fail", row: p.row, username, key: null, failure: { row: p.row, username, target: p.problem.target, code: p.problem.code, message: p.problem.message } });
    }
  }

  for (let attempt = 1; ; attempt++) {
    try {
      const decisions = await timed("decide", () => decideImports(db, ctx, readable.map((r) => r.body)));
      const outcomes = await timed("prepare", () => outcomesOf(ctx, job, readable, decisions));
      return await timed("commit", () => commit(owner, chunk, job, [...unreadable, ...outcomes], parsed.length, sourcesOf(readable)));
    } catch (err) {
      // A username taken meanwhile by someone else (an API import, another job: the insert's
      // unique violation), a population deleted since the decision (the foreign key), a user
      // changed under an update, or two jobs' batches crossing: decide again against the
      // database as it is now, as the API's single import does.
      const code = driverError(err)?.code;
      const again = err instanceof ConcurrentUserChange || code === "23505" || code === "23503" || code === "40P01" || code === "40001";
      if (again && attempt < 5) continue;
      throw err;
    }
  }
}

/**
 * The decisions as the chunk's outcomes: the first row of the chunk with a username keeps it and
 * later ones are duplicates in the file (rule 8, judged against the file as well as the
 * environment); then the writes of the creates and updates that remain (none in a dry run).
 */
async function outcomesOf(ctx: ImportContext, job: UserImportJobRow, readable: { row: number; source?: RowSource }[], decisions: ImportDecision[]): Promise<Outcome[]> {
  const firstRow = new Map<string, number>();
  const pending: { row: number; decision: ImportDecision; i: number }[] = [];
  const outcomes: Outcome[] = [];
  decisions.forEach((decision, i) => {
    const row = readable[i]!.row;
    if (decision.key !== null) {
      const earlier = firstRow.get(decision.key);
      if (earlier !== undefined) {
        outcomes.push({ kind: "fail", row, username: decision.username, key: null, failure: namingEntry(duplicateInFile(row, decision.username, earlier), readable[i]!.source) });
        return;
      }
      firstRow.set(decision.key, row);
    }
    pending.push({ row, decision, i });
  });

  let next = 0;
  const settle = async () => {
    while (next < pending.length) {
      const { row, decision: d, i } = pending[next++]!;
      const auditDetails = { jobId: job.id, row };
      const username = d.username;
      if (d.kind === "fail") {
        // Rule 8: the username is taken (by a user of the environment, or by this job's own earlier row).
        const taken = d.error.details?.[0]?.code === "UNIQUENESS_VIOLATION";
        outcomes.push({ kind: "fail", row, username, key: d.key, failure: namingEntry(failureOf(row, username, d.error), readable[i]!.source), taken });
      }
      else if (d.kind === "skip") outcomes.push({ kind: "skip", row, username, key: d.key });
      else if (d.kind === "update") outcomes.push({ kind: "update", row, username, key: d.key, update: job.dryRun ? null : prepareUpdate(ctx, d.plan, { auditDetails }) });
      // Its audit entry is its line in the batch's one event (lib/bulk/write-batch.ts).
      else outcomes.push({ kind: "create", row, username, key: d.key, insert: job.dryRun ? null : await prepareUserCreate(ctx, d.plan, { hash: hashForBulk }) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, pending.length) }, settle));
  return outcomes;
}

/** A directory or LDIF row's error names its entry (spec 9.1, 9.2). */
function namingEntry(failure: Failure, source: RowSource | undefined): Failure {
  if (!source?.dn) return failure;
  return { ...failure, message: `${failure.message} (DN: ${source.dn.slice(0, 512)})` };
}

/**
 * Directory and LDIF rows by row number: the entry an error names, and what became of each row's
 * password, for the counts of the users created. Empty for a CSV or JSON file.
 */
function sourcesOf(readable: { row: number; source?: RowSource }[]): Map<number, RowSource> {
  const out = new Map<number, RowSource>();
  for (const r of readable) if (r.source) out.set(r.row, r.source);
  return out;
}

/** The chunk's one transaction: usernames claimed in the file, users, errors, progress. */
async function commit(
  owner: string,
  chunk: ClaimedChunk,
  job: UserImportJobRow,
  all: Outcome[],
  rowCount: number,
  sources: ReadonlyMap<number, RowSource> = new Map(),
): Promise<boolean> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    // A batch is one transaction that also marks its chunk done: a crash that loses a commit not
    // yet flushed loses the chunk's "done" with it, so the chunk is worked again, never lost or
    // written twice. The batch need not wait for the disk.
    if (databaseDriver() === "postgres") await tx.execute(sql`set local synchronous_commit = off`);
    const [held] = rows<{ done: boolean; lease_owner: string | null }>(
      await tx.execute(sql`select done, lease_owner from user_import_chunks where job_id = ${chunk.jobId} and seq = ${chunk.seq} for update`),
    );
    if (!held || held.done || held.lease_owner !== owner) return false;

    const outcomes = await timed("commit.keys", () => claimUsernames(tx, job, all, sources));
    const failures = outcomes.flatMap((o) => (o.kind === "fail" ? [o.failure] : []));
    const creates = outcomes.flatMap((o) => (o.kind === "create" ? [o] : []));
    const updates = outcomes.flatMap((o) => (o.kind === "update" ? [o] : []));
    const skipped = outcomes.filter((o) => o.kind === "skip").length;
    const copied = creates.filter((o) => sources.get(o.row)?.password === "copied").length;
    const linked = creates.filter((o) => sources.get(o.row)?.password === "linked").length;

    if (!job.dryRun) {
      const inserts = creates.flatMap((o) => (o.insert ? [{ row: o.row, insert: o.insert }] : []));
      const writes = updates.flatMap((o) => (o.update ? [{ row: o.row, update: o.update }] : []));
      // What the batch wrote is kept for the job's undo, in this transaction (lib/bulk/changes.ts).
      await timed("commit.write", () =>
        recordJobWrites(tx, job.id, inserts.map((c) => ({ id: c.insert.row.id, row: c.row })), writes.map((u) => ({ id: u.update.values.id, row: u.row })), () =>
          writeBatch(tx, {
            job: { id: job.id, batch: chunk.seq, environmentId: job.environmentId, actor: { type: job.actorType, id: job.actorId, via: "BULK" }, action: createAction(BULK_MODE) },
            creates: inserts,
            updates: writes,
          }),
        ),
      );
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
        passwords_copied_count = passwords_copied_count + ${copied},
        linked_count = linked_count + ${linked},
        updated_at = now(),
        progress_samples = case
          when jsonb_array_length(progress_samples) = 0 or chunks_done + 1 >= chunks_total
            or extract(epoch from now()) * 1000 - (progress_samples -> -1 ->> 0)::float8
              >= greatest(1000, extract(epoch from now() - coalesce(started_at, now())) * 10)
          then progress_samples || jsonb_build_array(jsonb_build_array(floor(extract(epoch from now()) * 1000), processed_rows + ${rowCount}))
          else progress_samples end,
        status = case when chunks_done + 1 >= chunks_total and status in ('QUEUED', 'RUNNING') then 'COMPLETED' else status end,
        finished_at = case when chunks_done + 1 >= chunks_total and status in ('QUEUED', 'RUNNING') then now() else finished_at end
      where id = ${job.id}`);
    return true;
  });
}

/**
 * Duplicates across chunks: each username of the file is claimed once, by the first chunk to
 * commit it; a row that lost its username to another chunk is reported as a duplicate, whatever
 * else its decision was. Claims are made in sorted order so that two chunks never deadlock.
 *
 * A job that writes users and fails a taken username (onConflict=fail, not a dry run) claims
 * only the usernames of rows that do not create a user: the users' own unique index claims the
 * others, and a row whose username a user created by an earlier batch of this job holds (rule 8
 * says taken) is told the row of that user (user_import_changes), as a lost claim would be. A
 * create whose username an earlier batch's failed row claimed is a duplicate too (a claim still
 * uncommitted by a batch working at the same moment is not seen: that row keeps its own failure,
 * the create its user; no user is ever written twice, the index sees to that). Writing every
 * created username twice (the key and the user) cost a fifth of PostgreSQL's part of a job.
 */
async function claimUsernames(tx: Executor, job: UserImportJobRow, outcomes: Outcome[], sources: ReadonlyMap<number, RowSource>): Promise<Outcome[]> {
  const createsClaim = job.dryRun || job.onConflict !== "fail";
  const keyed = outcomes.filter((o): o is Outcome & { key: string } => o.key !== null);
  /** Row number of the earlier row, by the row that is its duplicate. */
  const earlierOf = new Map<number, number>();

  if (!createsClaim) {
    // Taken by a user this job created: that user's row of the file.
    const taken = keyed.filter((o) => o.kind === "fail" && o.taken);
    if (taken.length) {
      const created = rows<{ key: string; row_number: number }>(
        await tx.execute(sql`
          select lower(u.username) as key, c.row_number
          from users u join user_import_changes c on c.job_id = ${job.id} and c.user_id = u.id and c.kind = 'created'
          where u.environment_id = ${job.environmentId}
            and lower(u.username) in (select k from json_array_elements_text(${JSON.stringify(taken.map((o) => o.key))}::json) as t(k))`),
      );
      const rowOf = new Map(created.map((c) => [c.key, Number(c.row_number)]));
      for (const o of taken) {
        const earlier = rowOf.get(o.key);
        if (earlier !== undefined) earlierOf.set(o.row, earlier);
      }
    }
  }

  const claiming = keyed
    .filter((o) => (createsClaim || o.kind !== "create") && !earlierOf.has(o.row))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (claiming.length) {
    const claimed = rows<{ username: string }>(
      await tx.execute(sql`
        insert into user_import_keys (job_id, username, row_number)
        select ${job.id}, k.username, k.row_number
        from json_to_recordset(${JSON.stringify(claiming.map((o) => ({ username: o.key, row_number: o.row })))}::json) as k(username text, row_number int)
        on conflict do nothing
        returning username`),
    );
    const won = new Set(claimed.map((r) => r.username));
    const lost = claiming.filter((o) => !won.has(o.key));
    if (lost.length) {
      const rowOf = await claimedRows(tx, job.id, lost.map((o) => o.key));
      for (const o of lost) earlierOf.set(o.row, rowOf.get(o.key) ?? 0);
    }
  }

  if (!createsClaim) {
    // Creates against the claims of earlier batches' failed rows: most jobs have none.
    const creates = keyed.filter((o) => o.kind === "create");
    if (creates.length && rows(await tx.execute(sql`select 1 from user_import_keys where job_id = ${job.id} limit 1`)).length) {
      const rowOf = await claimedRows(tx, job.id, creates.map((o) => o.key));
      for (const o of creates) {
        const earlier = rowOf.get(o.key);
        if (earlier !== undefined) earlierOf.set(o.row, earlier);
      }
    }
  }

  if (!earlierOf.size) return outcomes;
  return outcomes.map((o): Outcome => {
    const earlier = earlierOf.get(o.row);
    return earlier === undefined ? o : { kind: "fail", row: o.row, username: o.username, key: null, failure: namingEntry(duplicateInFile(o.row, o.username, earlier), sources.get(o.row)) };
  });
}

/** The rows that claimed these usernames in the job's file. */
async function claimedRows(tx: Executor, jobId: string, keys: readonly string[]): Promise<Map<string, number>> {
  const earlier = rows<{ username: string; row_number: number }>(
    await tx.execute(sql`select username, row_number from user_import_keys where job_id = ${jobId}
      and username in (select k from json_array_elements_text(${JSON.stringify(keys)}::json) as t(k))`),
  );
  return new Map(earlier.map((e) => [e.username, Number(e.row_number)]));
}
