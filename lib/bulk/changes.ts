import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";

/**
 * What a bulk job wrote, kept for its undo (issue 14.6, lib/bulk/undo.ts) in user_import_changes,
 * inside the batch's own transaction: the ids of the users it created, and for the users it
 * updated the attributes it replaced. Each line also gets the row version (xmin) the batch left
 * the user at, so that an undo can tell a user changed since.
 *
 * The one hook into the bulk write path: `recordJobWrites(tx, jobId, created, updated, write)`
 * runs the batch's writes (`write`) between two set-based statements, so a rewritten write path
 * (COPY into a staging table, say) keeps it by wrapping its own writes the same way.
 */
export type WrittenUser = { id: string; row: number };

export async function recordJobWrites<T>(
  tx: Executor,
  jobId: string,
  created: readonly WrittenUser[],
  updated: readonly WrittenUser[],
  write: () => Promise<T>,
): Promise<T> {
  if (created.length === 0 && updated.length === 0) return write();
  const list = (users: readonly WrittenUser[], kind: "created" | "updated") => users.map((u) => ({ id: u.id, row: u.row, kind }));
  if (updated.length) {
    // What the update replaces: the columns update-users.ts may change, as they are now.
    await tx.execute(sql`
      insert into user_import_changes (job_id, user_id, kind, before, row_number)
      select ${jobId}::uuid, u.id, 'updated',
        jsonb_build_object('email', u.email, 'profile', u.profile, 'enabled', u.enabled,
          'emailVerified', u.email_verified, 'mfaEnabled', u.mfa_enabled, 'updatedAt', u.updated_at),
        r.row
      from json_to_recordset(${JSON.stringify(list(updated, "updated"))}::json) as r(id uuid, "row" int)
      join users u on u.id = r.id
      on conflict (job_id, user_id) do nothing`);
  }
  const result = await write();
  await tx.execute(sql`
    insert into user_import_changes (job_id, user_id, kind, after_version, row_number)
    select ${jobId}::uuid, u.id, r.kind, u.xmin::text, r.row
    from json_to_recordset(${JSON.stringify([...list(created, "created"), ...list(updated, "updated")])}::json) as r(id uuid, "row" int, kind text)
    join users u on u.id = r.id
    on conflict (job_id, user_id) do update set after_version = excluded.after_version`);
  return result;
}
