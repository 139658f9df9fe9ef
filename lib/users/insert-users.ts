import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { auditEvents, emailOutbox, users, verificationCodes, type UserRow } from "@/db/schema";
import type { UserVerificationWrite } from "@/lib/verification/prepare";
import { canCopy, copyRows } from "@/db/copy";
import { recordset } from "./recordset";

export type { UserVerificationWrite };

export type AuditEventRow = typeof auditEvents.$inferSelect;

/** One user to write: its complete row (newUserRow), its audit event and any verification email. */
export type UserInsert = { row: UserRow; audit: AuditEventRow; verification: UserVerificationWrite | null };

const OUTBOX_KEYS = ["id", "environmentId", "userId", "toAddress", "subject", "textBody", "htmlBody", "nextAttemptAt", "createdAt"] as const;

/** The verification codes and outbox emails of the users that get one, as recordsets. */
function verificationRecordsets(verifying: readonly { row: UserRow; verification: UserVerificationWrite }[]) {
  const codes = recordset(
    verificationCodes,
    "c",
    verifying.map(({ row, verification: v }) => ({ userId: row.id, codeHash: v.codeHash, email: row.email ?? v.outbox.to, expiresAt: v.expiresAt, createdAt: row.createdAt })),
  );
  const mails = recordset(
    emailOutbox,
    "m",
    verifying.map(({ row, verification: v }) => ({
      id: v.outbox.id,
      environmentId: row.environmentId,
      userId: row.id,
      toAddress: v.outbox.to,
      subject: v.outbox.subject,
      textBody: v.outbox.text,
      htmlBody: v.outbox.html,
      nextAttemptAt: row.createdAt,
      createdAt: row.createdAt,
    })),
    OUTBOX_KEYS,
  );
  return { codes, mails };
}

/**
 * Writes users (one or a whole batch), their audit events and their verification codes and
 * emails in ONE statement, so that all are written or none: the rows of each table travel as one
 * JSON parameter (recordset). Data-modifying CTEs run exactly once with the statement they
 * prefix, and the foreign keys of the code and email rows are checked at its end, after the users.
 */
export async function insertUsersWithAudit(db: Executor, entries: readonly UserInsert[]): Promise<void> {
  if (entries.length === 0) return;
  const u = recordset(users, "u", entries.map((e) => e.row));
  const a = recordset(auditEvents, "a", entries.map((e) => e.audit));
  const verifying = entries.filter((e): e is UserInsert & { verification: UserVerificationWrite } => e.verification !== null);
  let verification = sql``;
  if (verifying.length) {
    const { codes, mails } = verificationRecordsets(verifying);
    verification = sql`verification_code_rows as (
        insert into verification_codes (${codes.columns}) select ${codes.values} from ${codes.from}
      ), verification_mail_rows as (
        insert into email_outbox (${mails.columns}) select ${mails.values} from ${mails.from}
      ),`;
  }
  await db.execute(sql`
    with ${verification} inserted as (
      insert into users (${u.columns}) select ${u.values} from ${u.from}
      returning id
    )
    insert into audit_events (${a.columns})
    select ${a.values} from ${a.from} join inserted on inserted.id = a.resource_id`);
}

/**
 * A batch's users and their verification codes and emails, inside the batch's transaction (the
 * audit is the caller's: a bulk batch writes one event for the batch). On PostgreSQL the users go
 * in by COPY (db/copy.ts: a third less of PostgreSQL's work than the JSON recordset), then the
 * codes and emails in one statement; on PGlite all in ONE statement. A username taken since the
 * decision fails the write with the unique index's violation (23505), and with it the batch's
 * transaction, which the caller decides again. Not ON CONFLICT DO NOTHING (which COPY cannot
 * do either): its speculative insertion (a probe of every unique index before each row) cost a
 * tenth of the insert, for what happens only when a username is taken between a batch's
 * decision and its write.
 */
export async function insertUsersOfBatch(db: Executor, entries: readonly Omit<UserInsert, "audit">[]): Promise<void> {
  if (entries.length === 0) return;
  const verifying = entries.filter((e): e is Omit<UserInsert, "audit"> & { verification: UserVerificationWrite } => e.verification !== null);
  if (canCopy()) {
    // PostgreSQL: the users by COPY (db/copy.ts), then their codes and emails in one statement.
    await copyRows(db, users, entries.map((e) => e.row));
    if (verifying.length) {
      const { codes, mails } = verificationRecordsets(verifying);
      await db.execute(sql`with verification_code_rows as (
          insert into verification_codes (${codes.columns}) select ${codes.values} from ${codes.from}
        ) insert into email_outbox (${mails.columns}) select ${mails.values} from ${mails.from}`);
    }
    return;
  }
  const u = recordset(users, "u", entries.map((e) => e.row));
  let verification = sql``;
  if (verifying.length) {
    const { codes, mails } = verificationRecordsets(verifying);
    verification = sql`with verification_code_rows as (
        insert into verification_codes (${codes.columns}) select ${codes.values} from ${codes.from}
      ), verification_mail_rows as (
        insert into email_outbox (${mails.columns}) select ${mails.values} from ${mails.from}
      )`;
  }
  await db.execute(sql`${verification} insert into users (${u.columns}) select ${u.values} from ${u.from}`);
}
