import "server-only";
import type { Executor } from "@/db";
import { auditEvents } from "@/db/schema";
import { batchAuditRow, type AuditActor } from "@/lib/audit";
import { insertUsersSkippingTaken, type UserInsert } from "@/lib/users/insert-users";
import { updateUsersWithAudit, type UserUpdate } from "@/lib/users/update-users";

/**
 * The write of one decided batch of a bulk job, inside the batch's transaction: the users to
 * create (with their verification codes and emails) in one set-based statement that skips a
 * username taken since the decision, ONE audit event for the batch naming every user it created
 * (lib/audit batchAuditRow), then the updates (each with its own event; ConcurrentUserChange when
 * a user changed since the decision). Whoever needs to see a batch's writes (undo records,
 * outage retries) hooks in here: input decided rows, output what became of them.
 */
export type DecidedBatch = {
  job: { id: string; batch: number; environmentId: string; actor: AuditActor };
  creates: readonly { row: number; insert: UserInsert }[];
  updates: readonly { row: number; update: UserUpdate }[];
};

export type BatchResult = {
  /** Ids of the users written. */
  created: string[];
  /** File rows whose username was taken between the decision and the write: nothing of the batch may be kept. */
  taken: number[];
  /** Ids of the users updated. */
  updated: string[];
};

export async function writeBatch(tx: Executor, batch: DecidedBatch): Promise<BatchResult> {
  const written = await insertUsersSkippingTaken(tx, batch.creates.map((c) => c.insert));
  const taken = batch.creates.filter((c) => !written.has(c.insert.row.id)).map((c) => c.row);
  if (taken.length) return { created: [], taken, updated: [] };
  if (batch.creates.length) {
    const users = batch.creates.map(({ insert }) => {
      const { jobId: _job, ...details } = insert.audit.details as Record<string, unknown>;
      return { id: insert.row.id, ...details };
    });
    const first = batch.creates[0]!.insert.audit;
    await tx.insert(auditEvents).values({ ...batchAuditRow(batch.job.actor, batch.job.environmentId, first.action, batch.job, users), createdAt: first.createdAt });
  }
  await updateUsersWithAudit(tx, batch.updates.map((u) => u.update));
  return { created: [...written], taken: [], updated: batch.updates.map((u) => u.update.values.id) };
}
