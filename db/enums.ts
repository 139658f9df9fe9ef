/**
 * The closed lists of values the tables store, each written once. The schema types its columns
 * with them; the API validates, the OpenAPI document describes and the console offers them from
 * here. Plain data with no imports, so that browser code may use it too.
 */

export const PASSWORD_STATUSES = [
  "NO_PASSWORD", "OK", "MUST_CHANGE_PASSWORD", "PASSWORD_EXPIRED", "PASSWORD_LOCKED_OUT", "EXTERNAL",
] as const;
export type PasswordStatus = (typeof PASSWORD_STATUSES)[number];

export const LIFECYCLE_STATUSES = ["ACCOUNT_OK", "VERIFICATION_REQUIRED"] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

export const ROLES = ["ENVIRONMENT_ADMIN", "IDENTITY_DATA_ADMIN", "IDENTITY_DATA_READ_ONLY"] as const;
export type RoleName = (typeof ROLES)[number];

export const SCOPE_TYPES = ["ORGANIZATION", "ENVIRONMENT", "POPULATION"] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

export const USER_IMPORT_JOB_STATUSES = ["UPLOADING", "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELED"] as const;
export type UserImportJobStatus = (typeof USER_IMPORT_JOB_STATUSES)[number];

/** A bulk job imports a file's rows, or undoes an earlier import job. */
export const USER_IMPORT_JOB_KINDS = ["import", "undo"] as const;
export type UserImportJobKind = (typeof USER_IMPORT_JOB_KINDS)[number];

/** What a bulk job does with a row whose username is taken: report it, skip it, or update that user. */
export const ON_CONFLICT = ["fail", "skip", "update"] as const;
export type UserImportOnConflict = (typeof ON_CONFLICT)[number];

export const BULK_FORMATS = ["csv", "ndjson", "json", "ldif"] as const;
export type BulkFormat = (typeof BULK_FORMATS)[number];

/** What a job reads its rows from: a file in one of the formats, or a live directory (spec 9.1). */
export const JOB_FORMATS = [...BULK_FORMATS, "ldap"] as const;
export type JobFormat = (typeof JOB_FORMATS)[number];
/** What a bulk import job is doing (lib/bulk/jobs.ts jobPhase), as its resource shows it. */
export const JOB_PHASES = ["uploading", "validating", "importing", "reporting"] as const;
export type JobPhase = (typeof JOB_PHASES)[number];
