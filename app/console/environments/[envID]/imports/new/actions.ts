"use server";
import { z } from "zod";
import { requireConsoleActor } from "@/lib/auth/console";
import { ApiError } from "@/lib/api/errors";
import { cancelImportJob, getImportJob, importErrors, importFromDryRun, ON_CONFLICT, toJobResource, type ImportErrorLine } from "@/lib/bulk/jobs";

/**
 * The bulk import wizard's steps after the upload (whose bytes stream through the jobs API, as
 * server action bodies are size-limited): the job's progress, its first failed rows, cancel, and
 * the import of a completed dry run's rows without a second upload. Each is a public POST
 * endpoint: the administrator is read fresh from the database here, and the domain function
 * checks role and scope. Answers are plain data (never a password or hash); an ApiError is
 * answered as { message }, anything else is re-thrown.
 */

export type JobView = Omit<ReturnType<typeof toJobResource>, "_links">;
export type Failure = { message: string };

/** Rows of the error report shown in the wizard's table (the CSV download has them all). */
const ERROR_ROWS = 200;

const ids = z.object({ envId: z.uuid(), jobId: z.uuid() });
const importInput = z.object({ envId: z.uuid(), jobId: z.uuid(), onConflict: z.enum(ON_CONFLICT) });

function view(job: Parameters<typeof toJobResource>[0]): JobView {
  // The links would name the API's origin; the wizard builds its own from the ids.
  const { _links: _ignored, ...rest } = toJobResource(job, "");
  return rest;
}

function failure(err: unknown): Failure {
  if (err instanceof z.ZodError) return { message: "The request is not valid: environment and job ids must be UUIDs, onConflict fail, skip or update." };
  if (err instanceof ApiError) return { message: err.message };
  throw err;
}

export async function jobStatus(envId: string, jobId: string): Promise<{ job: JobView } | Failure> {
  const actor = await requireConsoleActor();
  try {
    const input = ids.parse({ envId, jobId });
    return { job: view(await getImportJob(actor, input.envId.toLowerCase(), input.jobId)) };
  } catch (err) {
    return failure(err);
  }
}

export async function jobErrors(envId: string, jobId: string): Promise<{ errors: ImportErrorLine[] } | Failure> {
  const actor = await requireConsoleActor();
  try {
    const input = ids.parse({ envId, jobId });
    const errors: ImportErrorLine[] = [];
    for await (const line of importErrors(actor, input.envId.toLowerCase(), input.jobId, ERROR_ROWS)) {
      errors.push({ row: line.row, username: line.username, target: line.target, code: line.code, message: line.message });
      if (errors.length >= ERROR_ROWS) break;
    }
    return { errors };
  } catch (err) {
    return failure(err);
  }
}

export async function cancelJob(envId: string, jobId: string): Promise<{ job: JobView } | Failure> {
  const actor = await requireConsoleActor();
  try {
    const input = ids.parse({ envId, jobId });
    return { job: view(await cancelImportJob(actor, input.envId.toLowerCase(), input.jobId)) };
  } catch (err) {
    return failure(err);
  }
}

export async function importAfterDryRun(envId: string, dryRunJobId: string, onConflict: string): Promise<{ job: JobView } | Failure> {
  const actor = await requireConsoleActor();
  try {
    const input = importInput.parse({ envId, jobId: dryRunJobId, onConflict });
    return { job: view(await importFromDryRun(actor, input.envId.toLowerCase(), input.jobId, { onConflict: input.onConflict })) };
  } catch (err) {
    return failure(err);
  }
}
