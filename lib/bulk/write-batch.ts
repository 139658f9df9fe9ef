import "server-only";
import type { Executor } from "@/db";
import { auditEvents } from "@/db/schema";
import { batchAuditRow, type AuditActor } from "@/lib/audit";
import { createAuditDetails, type PreparedCreate } from "@/lib/users/import-user";
import { insertUsersOfBatch } from "@/lib/users/insert-users";
import { updateUsersWithAudit, type UserUpdate } from "@/lib/users/update-users";
import { timed } from "./profile";

/**
 * The write of one decided batch of a bulk job, inside the batch's transaction: the users to
 * create (with their verification codes and emails) in one set-based statement, which fails with
 * a unique violation (23505) when a username was taken since the decision (the caller rolls the
 * batch back and decides it again), ONE audit event for the batch naming every user it created
 * (lib/audit batchAuditRow), then the updates (each with its own event; ConcurrentUserChange when
 * a user changed since the decision). Whoever needs to see a batch's writes (undo records,
 * outage retries) hooks in here: input decided rows, output what became of them.
 */
export type DecidedBatch = {
  job: { id: string; batch: number; environmentId: string; actor: AuditActor; action: string };
  creates: readonly { row: number; insert: PreparedCreate }[];
  updates: readonly { row: number; update: UserUpdate }[];
};

export type BatchResult = {
  /** Ids of the users written. */
  created: string[];
  /** Ids of the users updated. */
  updated: string[];
};

export async function writeBatch(tx: Executor, batch: DecidedBatch): Promise<BatchResult> {
  await timed("w.users", () => insertUsersOfBatch(tx, batch.creates.map((c) => c.insert)));
  if (batch.creates.length) {
    const users = batch.creates.map(({ row, insert }) => ({ id: insert.row.id, ...createAuditDetails(insert), row }));
    const createdAt = batch.creates[0]!.insert.row.createdAt;
    await timed("w.audit", () => tx.insert(auditEvents).values({ ...batchAuditRow(batch.job.actor, batch.job.environmentId, batch.job.action, batch.job, users), createdAt }));
  }
  await updateUsersWithAudit(tx, batch.updates.map((u) => u.update));
  return { created: batch.creates.map((c) => c.insert.row.id), updated: batch.updates.map((u) => u.update.values.id) };
}
