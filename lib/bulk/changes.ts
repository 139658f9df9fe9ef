import "server-only";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "@/db";
import { canCopy, copyRows } from "@/db/copy";
import { userImportChanges } from "@/db/schema";
import { timed } from "./profile";

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
  const list = (users: readonly WrittenUser[]) => JSON.stringify(users.map((u) => ({ id: u.id, row: u.row })));
  if (updated.length) {
    // What the update replaces: the columns update-users.ts may change, as they are now. The
    // version the write will leave is this transaction's id (checked below).
    await tx.execute(sql`
      insert into user_import_changes (job_id, user_id, kind, before, after_version, row_number)
      select ${jobId}::uuid, u.id, 'updated',
        jsonb_build_object('email', u.email, 'profile', u.profile, 'enabled', u.enabled,
          'emailVerified', u.email_verified, 'mfaEnabled', u.mfa_enabled, 'updatedAt', u.updated_at),
        pg_current_xact_id()::xid::text, r.row
      from json_to_recordset(${list(updated)}::json) as r(id uuid, "row" int)
      join users u on u.id = r.id
      on conflict (job_id, user_id) do nothing`);
  }
  const result = await write();
  // Every user of the batch was written by this (sub)transaction: one row's version is theirs.
  const [written] = rows<{ version: string; xact: string }>(
    await timed("c.xmin", () => tx.execute(sql`select xmin::text as version, pg_current_xact_id()::xid::text as xact from users where id = ${(created[0] ?? updated[0])!.id}::uuid`)),
  );
  if (!written) return result;
  if (created.length && canCopy()) {
    // The users were created by this write, with ids made for it: no line of this job names them
    // yet (on either driver a duplicate would fail the batch as a unique violation, and the batch
    // be decided again). COPY costs PostgreSQL half of the statement below: 12 against 21-27 ms
    // for 5,000 users (psql, this machine).
    const lines = created.map((u) => ({ jobId, userId: u.id, kind: "created" as const, afterVersion: written.version, rowNumber: u.row }));
    await timed("c.created", () => copyRows(tx, userImportChanges, lines, ["jobId", "userId", "kind", "afterVersion", "rowNumber"]));
  } else if (created.length) {
    await timed("c.created", () => tx.execute(sql`
      insert into user_import_changes (job_id, user_id, kind, after_version, row_number)
      select ${jobId}::uuid, r.id, 'created', ${written.version}, r.row
      from json_to_recordset(${list(created)}::json) as r(id uuid, "row" int)`));
  }
  if (updated.length && written.version !== written.xact) {
    // Written inside a savepoint: its version is the savepoint's, not the transaction's.
    await tx.execute(sql`update user_import_changes set after_version = ${written.version}
      where job_id = ${jobId}::uuid and user_id in (select r.id from json_to_recordset(${list(updated)}::json) as r(id uuid, "row" int))`);
  }
  return result;
}
