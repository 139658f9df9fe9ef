"use server";
import { z } from "zod";
import { requireEnvironmentAccess } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { asApiError } from "@/lib/api/errors";
import { CSV_HEADER_BYTES, guessColumn } from "@/lib/bulk/columns";
import { cancelImportJob, getImportJob, importErrors, importFromDryRun, ON_CONFLICT, toJobResource, type ImportErrorLine } from "@/lib/bulk/jobs";
import { csvHeader } from "@/lib/bulk/parse";
import { createDirectoryJob, previewDirectorySource, type DirectoryPreviewEntry } from "@/lib/bulk/directory-source";
import { environmentIdFrom } from "@/lib/environments";

/**
 * The bulk import wizard's server side, apart from the upload (whose bytes stream through the
 * jobs API, as server action bodies are size-limited): the CSV header of a chosen file read by
 * the jobs' own CSV parser, the job's progress, its first failed rows, cancel, and the import of
 * a completed dry run's rows without a second upload. Each is a public POST endpoint: the
 * administrator is read fresh from the database here, and the domain function checks role and
 * scope. Answers are plain data (never a password or hash); an ApiError is answered as
 * { message }, anything else is re-thrown.
 */

export type JobView = Omit<ReturnType<typeof toJobResource>, "_links">;
export type Failure = { message: string };
export type CsvColumn = { name: string; suggestion: string | null };

/** Rows of the error report shown in the wizard's table (the CSV download has them all). */
const ERROR_ROWS = 200;

const ids = z.object({ envId: z.uuid(), jobId: z.uuid() });
const importInput = z.object({ envId: z.uuid(), jobId: z.uuid(), onConflict: z.enum(ON_CONFLICT) });
const headInput = z.object({ envId: z.uuid(), head: z.string().max(CSV_HEADER_BYTES) });
const directoryInput = z.object({ envId: z.uuid(), gatewayId: z.uuid(), userTypeId: z.uuid(), filter: z.string().max(4096).optional() });

export type DirectoryChoice = { gatewayId: string; userTypeId: string; filter?: string };

function view(job: Parameters<typeof toJobResource>[0]): JobView {
  // The links would name the API's origin; the wizard builds its own from the ids.
  const { _links: _ignored, ...rest } = toJobResource(job, "");
  return rest;
}

function failure(err: unknown): Failure {
  if (err instanceof z.ZodError) return { message: `The request is not valid: environment and job ids must be UUIDs, onConflict ${ON_CONFLICT.join(", ")}.` };
  const known = asApiError(err);
  if (known) return { message: known.message };
  throw err;
}

/**
 * The header row of a CSV file from its first bytes, and the attribute each column looks like:
 * the wizard shows these for its column mapping and sends the mapping with the file (`columns`),
 * so that the file itself is read by one CSV parser, on the server.
 */
export async function csvColumns(envId: string, head: string): Promise<{ columns: CsvColumn[] } | Failure> {
  try {
    // Inside the try: the database being down is an answer for the wizard too.
    const actor = await requireConsoleActor();
    const input = headInput.parse({ envId, head });
    requireEnvironmentAccess(actor, "users:write", environmentIdFrom(input.envId));
    return { columns: csvHeader(input.head).map((name) => ({ name, suggestion: guessColumn(name) })) };
  } catch (err) {
    return failure(err);
  }
}

export async function jobStatus(envId: string, jobId: string): Promise<{ job: JobView } | Failure> {
  try {
    const actor = await requireConsoleActor();
    const input = ids.parse({ envId, jobId });
    return { job: view(await getImportJob(actor, environmentIdFrom(input.envId), input.jobId)) };
  } catch (err) {
    return failure(err);
  }
}

export async function jobErrors(envId: string, jobId: string): Promise<{ errors: ImportErrorLine[] } | Failure> {
  try {
    const actor = await requireConsoleActor();
    const input = ids.parse({ envId, jobId });
    const errors: ImportErrorLine[] = [];
    for await (const line of importErrors(actor, environmentIdFrom(input.envId), input.jobId, ERROR_ROWS)) {
      errors.push({ row: line.row, username: line.username, target: line.target, code: line.code, message: line.message });
      if (errors.length >= ERROR_ROWS) break;
    }
    return { errors };
  } catch (err) {
    return failure(err);
  }
}

export async function cancelJob(envId: string, jobId: string): Promise<{ job: JobView } | Failure> {
  try {
    const actor = await requireConsoleActor();
    const input = ids.parse({ envId, jobId });
    return { job: view(await cancelImportJob(actor, environmentIdFrom(input.envId), input.jobId)) };
  } catch (err) {
    return failure(err);
  }
}

export async function importAfterDryRun(envId: string, dryRunJobId: string, onConflict: string): Promise<{ job: JobView } | Failure> {
  try {
    const actor = await requireConsoleActor();
    const input = importInput.parse({ envId, jobId: dryRunJobId, onConflict });
    return { job: view(await importFromDryRun(actor, environmentIdFrom(input.envId), input.jobId, { onConflict: input.onConflict })) };
  } catch (err) {
    return failure(err);
  }
}

/**
 * "From a directory": the first entries of the chosen gateway user type as the job would map
 * them, read from the directory now and written nowhere (never a hash: only whether it would be
 * copied or linked).
 */
export async function previewDirectory(envId: string, choice: DirectoryChoice): Promise<{ entries: DirectoryPreviewEntry[] } | Failure> {
  const actor = await requireConsoleActor();
  try {
    const input = directoryInput.parse({ envId, ...choice });
    return { entries: await previewDirectorySource(actor, environmentIdFrom(input.envId), { gatewayId: input.gatewayId, userTypeId: input.userTypeId, filter: input.filter || null }) };
  } catch (err) {
    return failure(err);
  }
}

/** Starts a directory job (dry run or import), as POST /environments/{envID}/userImportJobs with a source does. */
export async function startDirectoryJob(envId: string, choice: DirectoryChoice, dryRun: boolean, onConflict: string): Promise<{ job: JobView } | Failure> {
  const actor = await requireConsoleActor();
  try {
    const input = directoryInput.parse({ envId, ...choice });
    const body = { source: { type: "LDAP", gateway: { id: input.gatewayId }, userType: { id: input.userTypeId }, filter: input.filter || undefined }, dryRun: dryRun === true, onConflict };
    return { job: view(await createDirectoryJob(actor, environmentIdFrom(input.envId), body)) };
  } catch (err) {
    return failure(err);
  }
}
