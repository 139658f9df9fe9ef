import "server-only";
import { and, desc, eq, inArray, or, type SQL } from "drizzle-orm";
import { getDb } from "@/db";
import { emailOutbox, environments, users } from "@/db/schema";
import { reach, reaches, visibleEnvironments, type Actor } from "@/lib/access";
import { notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/ids";

/**
 * The development mailbox (spec 4): the email outbox as the console shows it when no SMTP
 * server is configured. A message holds a verification code in clear, so it is shown only to
 * administrators who may read its user (users:read on the user's population).
 */
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
 * SQL for "the actor may read this message's user": undefined for no restriction (an
 * organization-wide role: every role grants users:read), null when it may read none.
 */
function readableBy(actor: Actor): SQL | null | undefined {
  const visible = visibleEnvironments(actor);
  if (visible === "all") return undefined;
  const ors: SQL[] = [];
  for (const envId of visible) {
    const r = reach(actor, "users:read", envId);
    if (!r) continue;
    ors.push(r.all ? eq(emailOutbox.environmentId, envId) : and(eq(emailOutbox.environmentId, envId), inArray(users.populationId, [...r.populations]))!);
  }
  return ors.length ? or(...ors)! : null;
}

export async function listMailbox(actor: Actor, opts: { limit?: number } = {}): Promise<MailboxEntry[]> {
  const where = readableBy(actor);
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
  if (!row || !row.populationId || !reaches(reach(actor, "users:read", row.environmentId), row.populationId)) {
    throw notFound("The message was not found.");
  }
  const { populationId: _p, ...message } = row;
  return message;
}
