/**
 * Messages between the server's worker processes and their supervisor (lib/server/main.ts), over
 * the cluster's IPC channel. Plain strings, in a module of their own so that the supervisor, which
 * loads nothing of the application, can read them.
 */

/** A worker queued a bulk job: the supervisor passes it on to every other worker, whose job loops then start at once instead of at their next poll. */
export const JOB_QUEUED = "identity-import:job-queued";
