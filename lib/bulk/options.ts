import { BULK_FORMATS, ON_CONFLICT, type BulkFormat, type UserImportJobStatus, type UserImportOnConflict } from "@/db/enums";

/**
 * A bulk job's choices and states as the jobs API and the console wizard both read them.
 * Browser-safe: no server imports.
 */
export { BULK_FORMATS, ON_CONFLICT };

/** The wizard's wording for each onConflict choice. */
export const ON_CONFLICT_LABELS: Record<UserImportOnConflict, string> = {
  fail: "Report the row as an error",
  skip: "Skip the row",
  update: "Update the user's profile, email and flags (never the password)",
};

/** The format a file's name says it has: .csv, .ndjson or .jsonl, .json, .ldif; null for any other. */
export function formatOfFileName(name: string | undefined): BulkFormat | null {
  const ext = name?.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  return ext === "csv" ? "csv" : ext === "ndjson" || ext === "jsonl" ? "ndjson" : ext === "json" ? "json" : ext === "ldif" ? "ldif" : null;
}

const ACTIVE: readonly UserImportJobStatus[] = ["UPLOADING", "QUEUED", "RUNNING"];

/** Whether a job has ended (completed, failed or canceled): it will change no more. */
export function jobHasEnded(status: UserImportJobStatus): boolean {
  return !ACTIVE.includes(status);
}
