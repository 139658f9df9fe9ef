import "server-only";
import cluster from "node:cluster";
import type { Readable } from "node:stream";
import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { JOB_QUEUED } from "@/lib/server/messages";
import {
  BULK_FORMATS,
  ON_CONFLICT,
  populations,
  userImportChunks,
  userImportErrors,
  userImportJobs,
  type UserImportJobRow,
  type UserImportJobSource,
  type UserImportOnConflict,
} from "@/db/schema";
import { entryMappingOf, loadSourceUserType } from "./source-user-type";
import type { JobPhase } from "@/db/enums";
import { reach, requireEnvironmentAccess, type Actor } from "@/lib/access";
import { invalidData, invalidRequest, notFound, requestFailed } from "@/lib/api/errors";
import { isUuid, uuidv7 } from "@/lib/ids";
import type { BulkFormat } from "./parse";
import type { FileChunkOptions } from "./file-chunks";
import { uploadChunks } from "./upload-chunks";

/**
 * Rows per stored chunk: the unit of work a process claims and writes in one transaction. 5,000
 * by default: each batch costs a dozen statements whatever its size, which at 1,000 rows was a
 * fifth of a pre-encoded job's time. A chunk of cleartext passwords closes earlier
 * (lib/bulk/file-chunks.ts).
 */
export function chunkRows(): number {
  const configured = Number(process.env.BULK_CHUNK_ROWS);
  return Number.isInteger(configured) && configured > 0 && configured <= 10_000 ? configured : 5000;
}
export function maxRows(): number {
  const configured = Number(process.env.BULK_MAX_ROWS);
  return Number.isInteger(configured) && configured > 0 ? configured : 1_000_000;
}

export type JobOptions = {
  format: BulkFormat;
  dryRun: boolean;
  onConflict: UserImportOnConflict;
  defaultPopulationId: string | null;
  fileName: string | null;
  /** CSV: the attribute path of each header column (null: ignored), applied as the file is read. */
  columns?: (string | null)[] | null;
  /** LDIF (spec 9.2): the gateway user type whose attribute mappings (and gateway link) map the entries; null: the default mapping. */
  userTypeId?: string | null;
};

export { ON_CONFLICT };

const oneOf = (values: readonly string[]) => values.join(", ").replace(/, ([^,]*)$/, " or $1");
const onConflictProblem = () => ({ code: "INVALID_VALUE" as const, target: "onConflict", message: `onConflict must be ${oneOf(ON_CONFLICT)}.` });

/** The `columns` option: a JSON array with one attribute path (or null, to ignore it) per header column. */
function parseColumns(text: string | undefined): { columns: (string | null)[] | null; problem: string | null } {
  if (text === undefined || text.trim() === "") return { columns: null, problem: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { columns: null, problem: "columns must be a JSON array of attribute paths (null or \"\" for a column to ignore)." };
  }
  if (!Array.isArray(value) || !value.every((v) => v === null || typeof v === "string")) {
    return { columns: null, problem: "columns must be a JSON array of attribute paths (null or \"\" for a column to ignore)." };
  }
  return { columns: value as (string | null)[], problem: null };
}

/** Reads the job's options from strings (query or form fields); every bad value is a clear 400. */
export function parseJobOptions(fields: Record<string, string | undefined>, formatFromType: BulkFormat | null): JobOptions {
  const problems: { code: "INVALID_VALUE"; target: string; message: string }[] = [];
  const dry = fields.dryRun?.trim().toLowerCase();
  if (dry !== undefined && dry !== "" && dry !== "true" && dry !== "false") {
    problems.push({ code: "INVALID_VALUE", target: "dryRun", message: "dryRun must be true or false." });
  }
  const onConflict = (fields.onConflict?.trim() || "fail") as UserImportOnConflict;
  if (!ON_CONFLICT.includes(onConflict)) problems.push(onConflictProblem());
  const format = (fields.format?.trim().toLowerCase() || formatFromType) as BulkFormat | null;
  if (!format || !BULK_FORMATS.includes(format)) {
    problems.push({ code: "INVALID_VALUE", target: "format", message: `format must be ${oneOf(BULK_FORMATS)} (or send the matching Content-Type).` });
  }
  const columns = parseColumns(fields.columns);
  if (columns.problem) problems.push({ code: "INVALID_VALUE", target: "columns", message: columns.problem });
  else if (columns.columns && format !== "csv") problems.push({ code: "INVALID_VALUE", target: "columns", message: "columns maps the header of a CSV file: send it with a CSV file only." });
  const userTypeId = fields.userTypeId?.trim() || null;
  if (userTypeId !== null && !isUuid(userTypeId)) problems.push({ code: "INVALID_VALUE", target: "userTypeId", message: "userTypeId must be a UUID." });
  else if (userTypeId !== null && format !== "ldif") problems.push({ code: "INVALID_VALUE", target: "userTypeId", message: "userTypeId maps the entries of an LDIF file: send it with an LDIF file only." });
  const pop = fields.defaultPopulationId?.trim() || null;
  if (pop !== null && !isUuid(pop)) {
    problems.push({ code: "INVALID_VALUE", target: "defaultPopulationId", message: "defaultPopulationId must be a UUID." });
  }
  if (problems.length) throw invalidData(problems);
  return {
    format: format!,
    dryRun: dry === "true",
    onConflict,
    defaultPopulationId: pop?.toLowerCase() ?? null,
    fileName: fields.fileName ?? null,
    columns: columns.columns,
    userTypeId: userTypeId?.toLowerCase() ?? null,
  };
}

type Waker = () => void;
let wake: Waker = () => {};
/** The local job worker registers here, so that a new job starts at once in this process. */
export function onNewJob(fn: Waker): void {
  wake = fn;
}

/**
 * Tells this process's job worker that a job was queued (an upload, an undo), so that it starts
 * now; in a server of several workers, the others too, through the supervisor (JOB_QUEUED). They
 * would otherwise find the job only at their next idle poll, up to a second later, while this
 * process worked it alone.
 */
export function wakeJobWorker(): void {
  wake();
  if (cluster.isWorker && process.connected) {
    try {
      process.send?.(JOB_QUEUED);
    } catch {
      // The supervisor is going away: the other workers are stopping too.
    }
  }
}

/**
 * Starts a bulk import: checks the actor may import into the environment, then streams the file
 * into the database chunk by chunk (never whole in memory) and queues the job. Per-row access is
 * checked later, row by row, by the job worker.
 */
export async function createImportJob(actor: Actor, environmentId: string, file: Readable | AsyncIterable<Uint8Array>, options: JobOptions): Promise<UserImportJobRow> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const db = await getDb();
  if (options.defaultPopulationId) {
    const [pop] = await db
      .select({ id: populations.id })
      .from(populations)
      .where(and(eq(populations.id, options.defaultPopulationId), eq(populations.environmentId, environmentId)));
    if (!pop) throw invalidData([{ code: "INVALID_VALUE", target: "defaultPopulationId", message: "No population with this id exists in the environment." }]);
  }

  // An LDIF file mapped by a user type: its mappings and population, and its gateway for the users linked.
  const userType = options.format === "ldif" && options.userTypeId ? await loadSourceUserType(environmentId, options.userTypeId, null, { gateway: "userTypeId", userType: "userTypeId" }) : null;
  const ldif = options.format === "ldif" && userType ? entryMappingOf(userType) : null;

  const id = uuidv7();
  await db.insert(userImportJobs).values({
    id,
    environmentId,
    actorType: actor.type,
    actorId: actor.id,
    format: options.format,
    fileName: options.fileName?.slice(0, 255) ?? null,
    source: userType ? { type: "LDIF", gatewayId: userType.gateway.id, userTypeId: userType.userType.id } : null,
    dryRun: options.dryRun,
    onConflict: options.onConflict,
    defaultPopulationId: options.defaultPopulationId,
    status: "UPLOADING",
  });

  // One chunk is written while the next is parsed: at most two chunks are in memory (three with
  // the parser thread, which reads one chunk ahead of the chunk waiting here).
  let writing: Promise<unknown> = Promise.resolve();
  try {
    let rows = 0;
    let seq = 0;
    const chunking: FileChunkOptions = { format: options.format, columns: options.columns, ldif, perChunk: chunkRows(), maxRows: maxRows() };
    for await (const chunk of uploadChunks(file, chunking)) {
      await writing;
      const values = { jobId: id, seq: seq++, rowCount: chunk.rowCount, data: chunk.data };
      rows += chunk.rowCount;
      // A real promise: a Drizzle query runs again each time it is awaited.
      writing = (async () => void (await db.insert(userImportChunks).values(values)))();
      // Handled here so that a failed write is not an unhandled rejection; awaited at the next chunk.
      writing.catch(() => {});
    }
    await writing;
    const now = new Date();
    const [job] = await db
      .update(userImportJobs)
      .set({
        status: rows === 0 ? "COMPLETED" : "QUEUED",
        totalRows: rows,
        chunksTotal: seq,
        updatedAt: now,
        ...(rows === 0 ? { startedAt: now, finishedAt: now } : {}),
      })
      .where(and(eq(userImportJobs.id, id), eq(userImportJobs.status, "UPLOADING")))
      .returning();
    if (!job) throw requestFailed("The job was canceled during its upload.");
    wakeJobWorker();
    return job;
  } catch (err) {
    // An upload that failed leaves nothing behind: no job, no chunk, no user.
    await writing.catch(() => {});
    await db.delete(userImportJobs).where(eq(userImportJobs.id, id)).catch(() => {});
    // None of its rows was worked, so it has no such lines; but they keep no foreign key to it.
    await db.execute(sql`delete from user_import_keys where job_id = ${id}`).catch(() => {});
    await db.execute(sql`delete from user_import_changes where job_id = ${id}`).catch(() => {});
    throw err;
  }
}

/**
 * Imports the rows of a completed dry run without a second upload: a new (not dry-run) job is
 * made from the dry run's stored file, its chunks copied inside the database by one
 * INSERT ... SELECT in the same transaction as the job (no file byte passes through Node).
 * Same access as creating a job; the dry run must be visible to the actor and of the same
 * environment (else 404), and a dry run that has completed (else 400). Rows are checked again,
 * one by one, as the new job's actor, when the job runs.
 */
export async function importFromDryRun(
  actor: Actor,
  environmentId: string,
  dryRunJobId: string,
  options: { onConflict: UserImportOnConflict },
): Promise<UserImportJobRow> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  if (!ON_CONFLICT.includes(options.onConflict)) throw invalidData([onConflictProblem()]);
  const dry = await getImportJob(actor, environmentId, dryRunJobId);
  if (!dry.dryRun) throw invalidRequest("This job is not a dry run: only a dry run's rows can be imported from it.");
  if (dry.status !== "COMPLETED") throw invalidRequest(`The dry run has not completed (${dry.status}): import from a completed dry run.`);
  const db = await getDb();
  const id = uuidv7();
  const job = await db.transaction(async (tx) => {
    // A dry run made before its chunks were kept has nothing left to import from.
    const [cleared] = await tx
      .select({ seq: userImportChunks.seq })
      .from(userImportChunks)
      .where(and(eq(userImportChunks.jobId, dry.id), eq(userImportChunks.data, "")))
      .limit(1);
    if (cleared) throw invalidRequest("The dry run's file is no longer stored: upload the file again.");
    const now = new Date();
    const empty = dry.totalRows === 0;
    const [created] = await tx
      .insert(userImportJobs)
      .values({
        id,
        environmentId: dry.environmentId,
        actorType: actor.type,
        actorId: actor.id,
        format: dry.format,
        fileName: dry.fileName,
        source: dry.source,
        dryRun: false,
        onConflict: options.onConflict,
        defaultPopulationId: dry.defaultPopulationId,
        status: empty ? "COMPLETED" : "QUEUED",
        totalRows: dry.totalRows,
        chunksTotal: dry.chunksTotal,
        ...(empty ? { startedAt: now, finishedAt: now } : {}),
      })
      .returning();
    await tx.execute(sql`
      insert into user_import_chunks (job_id, seq, row_count, data)
      select ${id}::uuid, seq, row_count, data from user_import_chunks where job_id = ${dry.id}::uuid`);
    return created!;
  });
  wakeJobWorker();
  return job;
}

/** Whether the actor may see a job: its creator, or anyone who may read every user of the environment. */
function canSee(actor: Actor, job: { actorId: string; environmentId: string }): boolean {
  if (job.actorId === actor.id) return true;
  return reach(actor, "users:read", job.environmentId)?.all === true;
}

export async function getImportJob(actor: Actor, environmentId: string, jobId: string): Promise<UserImportJobRow> {
  requireEnvironmentAccess(actor, "users:read", environmentId);
  if (!isUuid(jobId)) throw notFound("The import job was not found.");
  const db = await getDb();
  const [job] = await db
    .select()
    .from(userImportJobs)
    .where(and(eq(userImportJobs.id, jobId.toLowerCase()), eq(userImportJobs.environmentId, environmentId)));
  if (!job || !canSee(actor, job)) throw notFound("The import job was not found.");
  return job;
}

export async function listImportJobs(actor: Actor, environmentId: string, limit = 100): Promise<UserImportJobRow[]> {
  const r = requireEnvironmentAccess(actor, "users:read", environmentId);
  const db = await getDb();
  return db
    .select()
    .from(userImportJobs)
    .where(and(eq(userImportJobs.environmentId, environmentId), r.all ? undefined : eq(userImportJobs.actorId, actor.id)))
    .orderBy(desc(userImportJobs.createdAt), desc(userImportJobs.id))
    .limit(limit);
}

export async function cancelImportJob(actor: Actor, environmentId: string, jobId: string): Promise<UserImportJobRow> {
  const job = await getImportJob(actor, environmentId, jobId);
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const db = await getDb();
  const [canceled] = await db
    .update(userImportJobs)
    .set({ status: "CANCELED", finishedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(userImportJobs.id, job.id), inArray(userImportJobs.status, ["UPLOADING", "QUEUED", "RUNNING"])))
    .returning();
  if (!canceled) throw requestFailed(`The job has already ended (${job.status}).`);
  return canceled;
}

export type ImportErrorLine = { row: number; username: string | null; target: string | null; code: string; message: string };

/** The job's error report, in row order, a page at a time (keyset on the row number). */
export async function* importErrors(actor: Actor, environmentId: string, jobId: string, pageSize = 5000): AsyncGenerator<ImportErrorLine> {
  const job = await getImportJob(actor, environmentId, jobId);
  const db = await getDb();
  let after = 0;
  for (;;) {
    const page = await db
      .select({
        row: userImportErrors.rowNumber,
        username: userImportErrors.username,
        target: userImportErrors.target,
        code: userImportErrors.code,
        message: userImportErrors.message,
      })
      .from(userImportErrors)
      .where(and(eq(userImportErrors.jobId, job.id), gt(userImportErrors.rowNumber, after)))
      .orderBy(asc(userImportErrors.rowNumber))
      .limit(pageSize);
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.row;
  }
}

function sourceOf(source: UserImportJobSource | null) {
  if (!source) return null;
  return {
    type: source.type,
    gateway: { id: source.gatewayId },
    userType: { id: source.userTypeId },
    ...(source.type === "LDAP" ? { filter: source.filter ?? null } : {}),
  };
}

/**
 * What the job is doing: its file arriving (uploading), rows decided with nothing written yet (a
 * dry run throughout, or an import before its first batch), batches being written (importing),
 * or every row done, so that its counts and error report are final (reporting).
 */
export function jobPhase(job: Pick<UserImportJobRow, "status" | "dryRun" | "chunksDone">): JobPhase {
  if (job.status === "UPLOADING") return "uploading";
  if (job.status === "QUEUED" || job.status === "RUNNING") return job.dryRun || job.chunksDone === 0 ? "validating" : "importing";
  return "reporting";
}

/** Rows processed at time `t` (epoch ms), read off the job's samples (linear between two). */
function processedAt(samples: readonly [number, number][], t: number): number {
  if (!samples.length || t <= samples[0]![0]) return samples[0]?.[1] ?? 0;
  for (let i = 1; i < samples.length; i++) {
    const [t1, n1] = samples[i]!;
    if (t <= t1) {
      const [t0, n0] = samples[i - 1]!;
      return t1 === t0 ? n1 : n0 + ((n1 - n0) * (t - t0)) / (t1 - t0);
    }
  }
  return samples[samples.length - 1]![1];
}

/**
 * Rows per second over the last minute of the job's work: up to now while it runs, up to its
 * last batch once it has ended. Over the time it has worked when that is shorter than a minute.
 */
export function rowsPerSecondLastMinute(job: Pick<UserImportJobRow, "status" | "processedRows" | "progressSamples">, now = Date.now()): number {
  const samples = job.progressSamples ?? [];
  if (!samples.length) return 0;
  const running = job.status === "RUNNING" || job.status === "QUEUED";
  const end: [number, number] = running ? [Math.max(now, samples[samples.length - 1]![0]), job.processedRows] : samples[samples.length - 1]!;
  const from = Math.max(end[0] - 60_000, samples[0]![0]);
  const seconds = (end[0] - from) / 1000;
  return seconds > 0 ? Math.round((end[1] - processedAt(samples, from)) / seconds) : 0;
}

/** The job as the API shows it, with its progress (rows done, rows/s, estimated time left). */
export function toJobResource(job: UserImportJobRow, base: string) {
  const self = `${base}/environments/${job.environmentId}/userImportJobs/${job.id}`;
  const reading = job.status === "UPLOADING" && job.format === "ldap";
  const running = job.status === "RUNNING" || job.status === "QUEUED" || reading;
  const end = job.finishedAt ?? new Date();
  const seconds = job.startedAt ? Math.max((end.getTime() - job.startedAt.getTime()) / 1000, 0.001) : 0;
  const rate = seconds > 0 ? job.processedRows / seconds : 0;
  const left = job.totalRows - job.processedRows;
  const undo = job.kind === "undo";
  return {
    id: job.id,
    environment: { id: job.environmentId },
    kind: job.kind,
    undoes: job.undoesJobId ? { id: job.undoesJobId } : null,
    status: job.status,
    phase: jobPhase(job),
    format: job.format,
    fileName: job.fileName,
    source: sourceOf(job.source),
    dryRun: job.dryRun,
    onConflict: job.onConflict,
    defaultPopulation: job.defaultPopulationId ? { id: job.defaultPopulationId } : null,
    counts: {
      total: job.totalRows,
      processed: job.processedRows,
      created: job.createdCount,
      updated: job.updatedCount,
      skipped: job.skippedCount,
      failed: job.failedCount,
      deleted: job.deletedCount,
      restored: job.restoredCount,
      passwordsCopied: job.passwordsCopiedCount,
      linked: job.linkedCount,
    },
    failure: job.failure ?? null,
    progress: {
      rowsDone: job.processedRows,
      totalRows: job.totalRows,
      percent: job.totalRows ? Math.floor((job.processedRows / job.totalRows) * 100) : job.status === "COMPLETED" ? 100 : 0,
      rowsPerSecond: Math.round(rate),
      rowsPerSecondLastMinute: rowsPerSecondLastMinute(job),
      /** [seconds since the job started, rows processed], over the job's life (the wizard's chart). */
      history: (job.progressSamples ?? []).map(([t, n]) => [Math.max(0, Math.round((t - (job.startedAt?.getTime() ?? t)) / 100) / 10), n] as [number, number]),
      // A directory job's total is not known until the directory has been read.
      estimatedSecondsLeft: reading ? null : running && rate > 0 ? Math.ceil(left / rate) : running ? null : 0,
    },
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    _links: {
      self: { href: self },
      environment: { href: `${base}/environments/${job.environmentId}` },
      errors: { href: `${self}/errors` },
      cancel: { href: `${self}/cancel` },
      ...(undo || job.dryRun ? {} : { undo: { href: `${self}/undo` } }),
    },
  };
}
