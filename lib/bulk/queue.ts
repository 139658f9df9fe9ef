import "server-only";
import { sql } from "drizzle-orm";
import { getDb, rows } from "@/db";

/**
 * The bulk jobs' work queue: stored chunks of a job's file, claimed one at a time under a lease
 * (FOR UPDATE SKIP LOCKED), so that any number of processes can work one database's jobs. A
 * process that dies leaves its chunk to be claimed again once the lease runs out. A directory
 * job's chunks are worked while its feeder is still reading the directory (directory-source.ts).
 */
export type ClaimedChunk = { jobId: string; seq: number; data: string; attempts: number };

export const leaseSeconds = () => Number(process.env.BULK_LEASE_SECONDS) || 30;

export async function claimChunk(owner: string): Promise<ClaimedChunk | null> {
  const db = await getDb();
  const result = await db.execute(sql`
    update user_import_chunks c
    set lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseSeconds()} seconds`}::interval, attempts = c.attempts + 1
    from (
      select c2.job_id, c2.seq from user_import_chunks c2
      join user_import_jobs j on j.id = c2.job_id
      where not c2.done and (j.status in ('QUEUED', 'RUNNING') or (j.status = 'UPLOADING' and j.format = 'ldap'))
        and (c2.lease_expires_at is null or c2.lease_expires_at < now())
      order by j.created_at, c2.job_id, c2.seq
      limit 1
      for update of c2 skip locked
    ) pick
    where c.job_id = pick.job_id and c.seq = pick.seq
    returning c.job_id, c.seq, c.data, c.attempts`);
  const [row] = rows<{ job_id: string; seq: number; data: string; attempts: number }>(result);
  if (!row) return null;
  return { jobId: row.job_id, seq: Number(row.seq), data: row.data, attempts: Number(row.attempts) };
}

/** Runs `work` on a claimed chunk while renewing its lease (cleartext rows take seconds to hash). */
export async function withLease<T>(owner: string, chunk: ClaimedChunk, work: () => Promise<T>): Promise<T> {
  const db = await getDb();
  const renew = setInterval(() => {
    db.execute(sql`update user_import_chunks set lease_expires_at = now() + ${`${leaseSeconds()} seconds`}::interval
      where job_id = ${chunk.jobId} and seq = ${chunk.seq} and lease_owner = ${owner} and not done`).catch(() => {});
  }, (leaseSeconds() * 1000) / 3);
  renew.unref();
  try {
    return await work();
  } finally {
    clearInterval(renew);
  }
}
