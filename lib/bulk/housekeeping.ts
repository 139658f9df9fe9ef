import "server-only";
import { sql } from "drizzle-orm";
import { getDb, rows } from "@/db";

/**
 * An upload whose server died mid-file never reaches QUEUED: after an hour it is marked FAILED
 * and its stored chunks are dropped (its rows were never imported: a job runs only once whole).
 * A directory job is no upload: another server takes over its reading (directory-source.ts).
 */
export async function expireStaleUploads(maxAgeSeconds = 3600): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const stale = rows<{ id: string }>(
      await tx.execute(sql`update user_import_jobs set status = 'FAILED', finished_at = now(), updated_at = now()
        where status = 'UPLOADING' and format <> 'ldap' and created_at < now() - ${`${maxAgeSeconds} seconds`}::interval returning id`),
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
  const purged = rows<{ job_id: string }>(
    await db.execute(sql`update user_import_chunks c set data = ''
      from user_import_jobs j
      where c.job_id = j.id and c.data <> ''
        and (j.status in ('CANCELED', 'FAILED')
             or (j.dry_run and j.status = 'COMPLETED' and j.finished_at < now() - ${`${dryRunRetentionSeconds} seconds`}::interval))
      returning c.job_id`),
  );
  return purged.length;
}
