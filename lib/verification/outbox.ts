import "server-only";
import { sql } from "drizzle-orm";
import { rows, type Db } from "@/db";

export const DELIVERED_NOTE = "(Delivered by SMTP: the body is not kept after delivery.)";

export type LeasedMessage = {
  id: string;
  toAddress: string;
  subject: string;
  textBody: string;
  htmlBody: string;
  attempts: number;
};

/**
 * Leases up to `limit` due messages for `senderId` until now + leaseMs. FOR UPDATE SKIP LOCKED
 * lets several senders (one per server worker) poll together without taking the same row; the
 * lease (not a held lock) is what keeps a row taken while it is being sent, so no transaction
 * stays open across the SMTP conversation, and a crashed sender's rows come due again once
 * their lease runs out.
 */
export async function leaseDueMessages(db: Db, senderId: string, limit: number, leaseMs: number): Promise<LeasedMessage[]> {
  type Row = { id: string; to_address: string; subject: string; text_body: string; html_body: string; attempts: number };
  const result = await db.execute(sql`
    update email_outbox o
    set lease_until = now() + ${`${leaseMs} milliseconds`}::interval, leased_by = ${senderId}, attempts = o.attempts + 1
    where o.id in (
      select id from email_outbox
      where status = 'PENDING' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
      order by next_attempt_at, id
      limit ${limit}
      for update skip locked
    )
    returning o.id, o.to_address, o.subject, o.text_body, o.html_body, o.attempts`);
  return rows<Row>(result).map((r) => ({
    id: r.id,
    toAddress: r.to_address,
    subject: r.subject,
    textBody: r.text_body,
    htmlBody: r.html_body,
    attempts: Number(r.attempts),
  }));
}

/**
 * Marks a leased message sent and releases its lease in one statement. Only the holder of a
 * live lease may do so: a sender whose lease ran out (and whose row another sender may have
 * taken) changes nothing, and learns so from the result. The body (which holds a verification
 * code in clear) is not kept once delivered: the code then exists only in the recipient's mailbox.
 */
export async function markSent(db: Db, id: string, senderId: string): Promise<boolean> {
  const result = await db.execute(sql`
    update email_outbox set status = 'SENT', sent_at = now(), lease_until = null, leased_by = null, last_error = null,
      text_body = ${DELIVERED_NOTE}, html_body = ''
    where id = ${id} and leased_by = ${senderId} and status = 'PENDING'
    returning id`);
  return rows(result).length === 1;
}

/** Releases the lease after a failed attempt: due again after `retryInMs`, or FAILED for good. */
export async function markFailed(db: Db, id: string, senderId: string, error: string, retryInMs: number | null): Promise<void> {
  await db.execute(sql`
    update email_outbox
    set lease_until = null, leased_by = null, last_error = ${error.slice(0, 500)},
      status = ${retryInMs === null ? "FAILED" : "PENDING"},
      next_attempt_at = now() + ${`${retryInMs ?? 0} milliseconds`}::interval
    where id = ${id} and leased_by = ${senderId}`);
}
