import "server-only";
import { and, desc, eq, inArray, or, type SQL } from "drizzle-orm";
import { getDb } from "@/db";
import { emailOutbox, environments, users } from "@/db/schema";
import { reach, reaches, type Actor } from "@/lib/access";
import { notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/ids";

/**
 * The development mailbox (spec 4): the email outbox as the console shows it when no SMTP
 * server is configured. A message holds a verification code in clear, so it is shown only to
 * administrators who may act on its user (users:write on the user's population: the same right
 * that verifying with the code or resending it needs); read-only roles see no mail.
 */
const MAILBOX_PERMISSION = "users:write" as const;
export type MailboxEntry = {
  id: string;
  environmentId: string;
  environmentName: string;
  userId: string | null;
  username: string | null;
  toAddress: string;
  subject: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
};

const columns = {
  id: emailOutbox.id,
  environmentId: emailOutbox.environmentId,
  environmentName: environments.name,
  userId: emailOutbox.userId,
  username: users.username,
  populationId: users.populationId,
  toAddress: emailOutbox.toAddress,
  subject: emailOutbox.subject,
  status: emailOutbox.status,
  attempts: emailOutbox.attempts,
  lastError: emailOutbox.lastError,
  createdAt: emailOutbox.createdAt,
  sentAt: emailOutbox.sentAt,
};

/**
 * SQL for "the actor may write this message's user": undefined for no restriction (an
 * organization-wide role that grants users:write), null when it may see none.
 */
function visibleTo(actor: Actor): SQL | null | undefined {
  const envIds = new Set(actor.assignments.map((a) => a.environmentId).filter((e): e is string => !!e));
  // reach() answers "all" for an organization-wide grant whatever the environment id.
  if (reach(actor, MAILBOX_PERMISSION, "00000000-0000-0000-0000-000000000000")?.all) return undefined;
  const ors: SQL[] = [];
  for (const envId of envIds) {
    const r = reach(actor, MAILBOX_PERMISSION, envId);
    if (!r) continue;
    ors.push(r.all ? eq(emailOutbox.environmentId, envId) : and(eq(emailOutbox.environmentId, envId), inArray(users.populationId, [...r.populations]))!);
  }
  return ors.length ? or(...ors)! : null;
}

export async function listMailbox(actor: Actor, opts: { limit?: number } = {}): Promise<MailboxEntry[]> {
  const where = visibleTo(actor);
  if (where === null) return [];
  const db = await getDb();
  const rows = await db
    .select(columns)
    .from(emailOutbox)
    .innerJoin(environments, eq(environments.id, emailOutbox.environmentId))
    .leftJoin(users, eq(users.id, emailOutbox.userId))
    .where(where)
    .orderBy(desc(emailOutbox.createdAt), desc(emailOutbox.id))
    .limit(Math.min(opts.limit ?? 100, 500));
  return rows.map(({ populationId: _p, ...r }) => r);
}

export type MailboxMessage = MailboxEntry & { textBody: string; htmlBody: string };

export async function getMailboxMessage(actor: Actor, id: string): Promise<MailboxMessage> {
  if (!isUuid(id)) throw notFound("The message was not found.");
  const db = await getDb();
  const [row] = await db
    .select({ ...columns, textBody: emailOutbox.textBody, htmlBody: emailOutbox.htmlBody })
    .from(emailOutbox)
    .innerJoin(environments, eq(environments.id, emailOutbox.environmentId))
    .leftJoin(users, eq(users.id, emailOutbox.userId))
    .where(eq(emailOutbox.id, id));
  if (!row || !row.populationId || !reaches(reach(actor, MAILBOX_PERMISSION, row.environmentId), row.populationId)) {
    throw notFound("The message was not found.");
  }
  const { populationId: _p, ...message } = row;
  return message;
}
