import "server-only";
import { and, eq, notInArray, sql } from "drizzle-orm";
import { getDb, rows, type Executor } from "@/db";
import { userImportJobs, type UserChangeBefore, type UserImportJobRow } from "@/db/schema";
import { coversAll, reach, reaches, requireEnvironmentAccess, type Actor } from "@/lib/access";
import { loadAssignments, loadUserAssignments } from "@/lib/access/assignments";
import { invalidRequest } from "@/lib/api/errors";
import { auditRow } from "@/lib/audit";
import { uuidv7 } from "@/lib/ids";
import { chunkRows, getImportJob, wakeJobWorker } from "./jobs";
import type { ClaimedChunk } from "./queue";

/**
 * Undoing a bulk job (issue 14.6): its own job (kind `undo`, queued, worked chunk by chunk by the
 * bulk worker under the same leases, so that it resumes after a crash) that deletes the users the
 * job created and restores the attributes of those it updated, from what the job kept
 * (user_import_changes, lib/bulk/changes.ts). A user changed since the job wrote it (its row
 * version is no longer the one the job left) is left as it is and listed in the undo's report,
 * as are users the undo's actor may not write (population scope, or roles the actor does not
 * cover: lib/access). Same roles as running an import job.
 */

const ACTIVE = ["UPLOADING", "QUEUED", "RUNNING"] as const;
/** Claims of one batch after which it is reported rather than tried again (as for an import's batch). */
const MAX_ATTEMPTS = 5;

export type UndoPreview = { created: number; updated: number; undoneBy: string | null };

async function changeCounts(db: Executor, jobId: string): Promise<{ created: number; updated: number }> {
  const [c] = rows<{ created: number | string; updated: number | string }>(
    await db.execute(sql`select count(*) filter (where kind = 'created') as created, count(*) filter (where kind = 'updated') as updated
      from user_import_changes where job_id = ${jobId}::uuid and undone_by is null`),
  );
  return { created: Number(c?.created ?? 0), updated: Number(c?.updated ?? 0) };
}

/** Why a job cannot be undone, or null. */
function refusal(job: UserImportJobRow): string | null {
  if (job.kind === "undo") return "This job is an undo: it cannot itself be undone.";
  if (job.dryRun) return "A dry run wrote nothing: there is nothing to undo.";
  if ((ACTIVE as readonly string[]).includes(job.status)) return `The job has not ended (${job.status}): cancel it or wait for it to end, then undo it.`;
  return null;
}

/** An undo job that has not failed or been canceled, for this job. */
async function liveUndo(db: Executor, jobId: string): Promise<string | null> {
  const [u] = await db
    .select({ id: userImportJobs.id })
    .from(userImportJobs)
    .where(and(eq(userImportJobs.undoesJobId, jobId), notInArray(userImportJobs.status, ["FAILED", "CANCELED"])))
    .limit(1);
  return u?.id ?? null;
}

/** What an undo of the job would do: the console's button shows these counts before asking. */
export async function undoPreview(actor: Actor, environmentId: string, jobId: string): Promise<UndoPreview & { refusal: string | null }> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const job = await getImportJob(actor, environmentId, jobId);
  const db = await getDb();
  const undoneBy = await liveUndo(db, job.id);
  return { ...(await changeCounts(db, job.id)), undoneBy, refusal: refusal(job) ?? (undoneBy ? "This job has already been undone." : null) };
}

/**
 * Starts the undo of a job: 400 when the job is an undo, a dry run, still running, or already
 * undone; else a new queued job whose chunks are the ids of the users the job wrote.
 */
export async function startUndo(actor: Actor, environmentId: string, jobId: string): Promise<UserImportJobRow> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const target = await getImportJob(actor, environmentId, jobId);
  const why = refusal(target);
  if (why) throw invalidRequest(why);
  const db = await getDb();
  const id = uuidv7();
  const job = await db.transaction(async (tx) => {
    // One undo at a time per job: the job's row is the lock two undo requests queue on.
    await tx.execute(sql`select id from user_import_jobs where id = ${target.id}::uuid for update`);
    const earlier = await liveUndo(tx, target.id);
    if (earlier) throw invalidRequest(`This job has already been undone (undo job ${earlier}).`);
    const { created, updated } = await changeCounts(tx, target.id);
    const total = created + updated;
    const per = chunkRows();
    const now = new Date();
    const [row] = await tx
      .insert(userImportJobs)
      .values({
        id,
        environmentId: target.environmentId,
        actorType: actor.type,
        actorId: actor.id,
        format: target.format,
        fileName: target.fileName,
        dryRun: false,
        onConflict: target.onConflict,
        defaultPopulationId: target.defaultPopulationId,
        kind: "undo",
        undoesJobId: target.id,
        status: total === 0 ? "COMPLETED" : "QUEUED",
        totalRows: total,
        chunksTotal: Math.ceil(total / per),
        ...(total === 0 ? { startedAt: now, finishedAt: now } : {}),
      })
      .returning();
    await tx.execute(sql`
      insert into user_import_chunks (job_id, seq, row_count, data)
      select ${id}::uuid, seq, count(*), string_agg(user_id::text, E'\n' order by user_id)
      from (select user_id, (row_number() over (order by user_id) - 1) / ${per} as seq
            from user_import_changes where job_id = ${target.id}::uuid and undone_by is null) x
      group by seq`);
    return row!;
  });
  wakeJobWorker();
  return job;
}

type Change = {
  user_id: string;
  kind: "created" | "updated";
  before: UserChangeBefore | null;
  after_version: string | null;
  row_number: number | null;
  username: string | null;
  population_id: string | null;
  version: string | null;
  updated_at: string | null;
};

type Refusal = { row: number; username: string | null; target: string | null; code: string; message: string };

/**
 * One claimed chunk of an undo job: each user is checked (still as the job left it, within the
 * actor's reach and roles) and deleted or restored, in ONE transaction that only the lease holder
 * may commit, with the refusals, audit events and progress. The deletes and restores re-check
 * the row version in SQL, so a user changed between the check and the write is refused too.
 */
export async function processUndoChunk(owner: string, chunk: ClaimedChunk, job: UserImportJobRow): Promise<boolean> {
  const db = await getDb();
  if (job.status === "QUEUED") {
    await db
      .update(userImportJobs)
      .set({ status: "RUNNING", startedAt: job.startedAt ?? new Date() })
      .where(and(eq(userImportJobs.id, job.id), eq(userImportJobs.status, "QUEUED")));
  }
  const actor: Actor = {
    type: job.actorType,
    id: job.actorId,
    assignments: await loadAssignments(job.actorType === "APPLICATION" ? { applicationId: job.actorId } : { userId: job.actorId }),
    via: "BULK",
  };
  const writeReach = reach(actor, "users:write", job.environmentId);
  const ids = chunk.data.split("\n").filter(Boolean);

  return db.transaction(async (tx) => {
    const [held] = rows<{ done: boolean; lease_owner: string | null }>(
      await tx.execute(sql`select done, lease_owner from user_import_chunks where job_id = ${chunk.jobId} and seq = ${chunk.seq} for update`),
    );
    if (!held || held.done || held.lease_owner !== owner) return false;

    const idArray = `{${ids.join(",")}}`;
    // The users as they are now, locked until this transaction ends (in id order: no deadlock).
    await tx.execute(sql`select id from users where id in (select unnest(${idArray}::uuid[])) order by id for update`);
    const changes = rows<Change>(
      await tx.execute(sql`
        select c.user_id, c.kind, c.before, c.after_version, c.row_number,
               u.username, u.population_id, u.xmin::text as version, u.updated_at::text as updated_at
        from user_import_changes c
        left join users u on u.id = c.user_id and u.environment_id = ${job.environmentId}::uuid
        where c.job_id = ${job.undoesJobId}::uuid and c.user_id in (select unnest(${idArray}::uuid[]))
        order by c.user_id`),
    );
    const roles = await loadUserAssignments(tx, changes.filter((c) => c.version !== null).map((c) => c.user_id));
    const refusals: Refusal[] = [];
    const refuse = (c: Change, code: string, message: string) =>
      refusals.push({ row: c.row_number ?? 0, username: c.username, target: "user", code, message: `${message} (user ${c.user_id})` });
    const deletes: Change[] = [];
    const restores: Change[] = [];
    // A batch that has crashed its process again and again: reported instead of tried forever.
    const poisoned = chunk.attempts > MAX_ATTEMPTS;
    for (const c of changes) {
      if (poisoned) refuse(c, "UNEXPECTED_ERROR", "The undo of this user failed more than once: it is left as it is.");
      else if (c.version === null) refuse(c, "NOT_FOUND", c.kind === "created" ? "The user was deleted since the import: nothing to undo." : "The user was deleted since the import: its profile cannot be restored.");
      else if (c.version !== c.after_version) {
        refuse(c, "CHANGED_SINCE", c.kind === "created" ? `The user was changed after the import (last change ${c.updated_at}): it is kept, not deleted.` : `The user was changed after the import (last change ${c.updated_at}): its profile is not restored.`);
      } else if (!reaches(writeReach, c.population_id!)) refuse(c, "ACCESS_FAILED", "You may not change users of this user's population.");
      else if (!coversAll(actor, roles.get(c.user_id) ?? [])) refuse(c, "ACCESS_FAILED", "The user holds roles that you do not hold yourself.");
      else (c.kind === "created" ? deletes : restores).push(c);
    }

    const versions = (list: Change[]) => JSON.stringify(list.map((c) => ({ id: c.user_id, version: c.version })));
    const deleted = deletes.length
      ? rows<{ id: string }>(
          await tx.execute(sql`
            delete from users u using json_to_recordset(${versions(deletes)}::json) as v(id uuid, version text)
            where u.id = v.id and u.xmin::text = v.version returning u.id`),
        )
      : [];
    const restored = restores.length
      ? rows<{ id: string }>(
          await tx.execute(sql`
            update users u set
              email = c.before->>'email',
              profile = c.before->'profile',
              enabled = (c.before->>'enabled')::boolean,
              email_verified = (c.before->>'emailVerified')::boolean,
              mfa_enabled = (c.before->>'mfaEnabled')::boolean,
              updated_at = now()
            from json_to_recordset(${versions(restores)}::json) as v(id uuid, version text)
            join user_import_changes c on c.job_id = ${job.undoesJobId}::uuid and c.user_id = v.id
            where u.id = v.id and u.xmin::text = v.version returning u.id`),
        )
      : [];
    // The rows are locked above, so this finds nothing unless a writer bypassed the lock; then it is reported, not lost.
    const done = new Set([...deleted, ...restored].map((r) => r.id));
    for (const c of [...deletes, ...restores]) if (!done.has(c.user_id)) refuse(c, "CHANGED_SINCE", "The user was changed while the undo ran: it is left as it is.");

    if (done.size) {
      await tx.execute(sql`update user_import_changes set undone_by = ${job.id}::uuid
        where job_id = ${job.undoesJobId}::uuid and user_id in (select unnest(${`{${[...done].join(",")}}`}::uuid[]))`);
    }
    const audit = [
      ...deletes.filter((c) => done.has(c.user_id)).map((c) => auditRow(actor, job.environmentId, "USER.DELETED", { type: "USER", id: c.user_id }, { jobId: job.id, undoes: job.undoesJobId })),
      ...restores.filter((c) => done.has(c.user_id)).map((c) => auditRow(actor, job.environmentId, "USER.UPDATED", { type: "USER", id: c.user_id }, { jobId: job.id, undoes: job.undoesJobId, restored: true })),
    ];
    if (audit.length) {
      await tx.execute(sql`
        insert into audit_events (id, environment_id, action, actor_type, actor_id, resource_type, resource_id, via, details)
        select a.id, a."environmentId", a.action, a."actorType", a."actorId", a."resourceType", a."resourceId", a.via, a.details
        from json_to_recordset(${JSON.stringify(audit)}::json)
          as a(id uuid, "environmentId" uuid, action text, "actorType" text, "actorId" uuid, "resourceType" text, "resourceId" uuid, via text, details jsonb)`);
    }
    if (refusals.length) {
      await tx.execute(sql`
        insert into user_import_errors (job_id, row_number, username, target, code, message)
        select ${job.id}::uuid, e.row, e.username, e.target, e.code, e.message
        from json_to_recordset(${JSON.stringify(refusals)}::json) as e("row" int, username text, target text, code text, message text)
        on conflict do nothing`);
    }
    await tx.execute(sql`update user_import_chunks set done = true, data = '', lease_expires_at = null where job_id = ${chunk.jobId} and seq = ${chunk.seq}`);
    const deletedCount = deletes.filter((c) => done.has(c.user_id)).length;
    const restoredCount = restores.filter((c) => done.has(c.user_id)).length;
    await tx.execute(sql`
      update user_import_jobs set
        chunks_done = chunks_done + 1,
        processed_rows = processed_rows + ${ids.length},
        deleted_count = deleted_count + ${deletedCount},
        restored_count = restored_count + ${restoredCount},
        failed_count = failed_count + ${ids.length - deletedCount - restoredCount},
        updated_at = now(),
        status = case when chunks_done + 1 >= chunks_total and status in ('QUEUED', 'RUNNING') then 'COMPLETED' else status end,
        finished_at = case when chunks_done + 1 >= chunks_total and status in ('QUEUED', 'RUNNING') then now() else finished_at end
      where id = ${job.id}`);
    return true;
  });
}
