import "server-only";
import { randomUUID } from "node:crypto";
import os from "node:os";
import nodemailer from "nodemailer";
import { getDb } from "@/db";
import { isDatabaseUnavailable } from "@/lib/api/errors";
import { log, safeError } from "@/lib/log";
import { leaseDueMessages, markFailed, markSent, type LeasedMessage } from "./outbox";
import { onOutboxNudge } from "./nudge";

export type Transport = { send: (m: LeasedMessage & { messageId: string }) => Promise<void> };

export type SenderOptions = {
  /** Where mail goes; default: SMTP_URL through nodemailer. */
  transport?: Transport;
  pollMs?: number;
  leaseMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxAttempts?: number;
  batch?: number;
  from?: string;
};

const num = (v: string | undefined, d: number) => (v && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : d);

/** Exponential backoff with full jitter: attempt n waits up to base·2^(n-1), capped. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * A failure that says nothing about the message: the SMTP server could not be reached, the
 * connection broke, or it answered 4xx ("try again later"). nodemailer's codes: ECONNECTION,
 * ETIMEDOUT, ESOCKET, EDNS; a response carries responseCode.
 */
export function isTransientSmtpError(err: unknown): boolean {
  const e = err as { code?: unknown; responseCode?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  if (typeof e.responseCode === "number") return e.responseCode >= 400 && e.responseCode < 500;
  return typeof e.code === "string" && ["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET"].includes(e.code);
}

/** `fn` again, after 100 ms doubling to 2 s, while the database cannot be reached (until `stopped()`). */
async function untilDatabaseAnswers<T>(fn: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || stopped()) throw err;
      if (attempt === 1) log.warn("outbox sender waiting: database unavailable", safeError(err));
      await new Promise((r) => setTimeout(r, retryDelay(attempt, 100, 2000)));
    }
  }
}

export function smtpTransport(url: string, from: string): Transport {
  const transporter = nodemailer.createTransport(url);
  return {
    send: async (m) => {
      await transporter.sendMail({
        from,
        to: m.toAddress,
        subject: m.subject,
        text: m.textBody,
        html: m.htmlBody,
        // The same Message-ID on every attempt lets a receiving system drop a duplicate.
        messageId: m.messageId,
      });
    },
  };
}

/**
 * Delivers the email outbox after commit (spec 4). Without SMTP_URL (and no transport given)
 * nothing is started: messages stay in the outbox, readable on the console's mailbox page.
 *
 * Delivery is at-least-once, not exactly-once: a message is marked SENT only after the SMTP
 * server accepted it, so a crash between that acceptance and the mark (a window of one
 * UPDATE) sends it again once the lease runs out. Every other crash (before or during the
 * SMTP conversation) loses nothing and sends nothing twice. The fixed Message-ID
 * (<outbox id@identity-import>) lets receivers discard the rare duplicate.
 *
 * Returns a stop function that waits for the send in progress, for tests and for shutdown.
 */
export function startOutboxSender(opts: SenderOptions = {}): (() => Promise<void>) | null {
  const from = opts.from ?? process.env.SMTP_FROM ?? "identity-import <no-reply@identity-import.local>";
  const url = process.env.SMTP_URL;
  const transport = opts.transport ?? (url ? smtpTransport(url, from) : null);
  if (!transport) return null;
  const pollMs = opts.pollMs ?? num(process.env.OUTBOX_POLL_MS, 2000);
  const leaseMs = opts.leaseMs ?? num(process.env.OUTBOX_LEASE_MS, 60_000);
  const retryBaseMs = opts.retryBaseMs ?? num(process.env.OUTBOX_RETRY_BASE_MS, 5_000);
  const retryMaxMs = opts.retryMaxMs ?? num(process.env.OUTBOX_RETRY_MAX_MS, 15 * 60_000);
  const maxAttempts = opts.maxAttempts ?? num(process.env.OUTBOX_MAX_ATTEMPTS, 10);
  const batch = opts.batch ?? 20;
  const senderId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;

  const runOnce = async () => {
    const db = await getDb();
    for (;;) {
      const leased = await leaseDueMessages(db, senderId, batch, leaseMs);
      for (const m of leased) {
        if (stopped) return;
        try {
          await transport.send({ ...m, messageId: `<${m.id}@identity-import>` });
        } catch (err) {
          const reason = err instanceof Error ? `${err.name}: ${(err as { code?: string }).code ?? err.message}` : "send failed";
          // An SMTP server that cannot be reached (or says "try later") loses nothing: such
          // attempts never make a message FAILED; only refusals count towards maxAttempts.
          const retryIn = m.attempts >= maxAttempts && !isTransientSmtpError(err) ? null : retryDelay(m.attempts, retryBaseMs, retryMaxMs);
          await markFailed(db, m.id, senderId, reason, retryIn);
          log.warn("email delivery failed", { messageId: m.id, attempts: m.attempts, retryInMs: retryIn, reason });
          continue;
        }
        // Accepted by the SMTP server: marking it sent must not fail with the database, or the
        // lease would run out and the message go out twice. Hold on until the database answers.
        const sent = await untilDatabaseAnswers(() => markSent(db, m.id, senderId), () => stopped);
        if (!sent) log.warn("outbox lease lost before marking sent", { messageId: m.id });
        else log.info("email sent", { messageId: m.id, attempts: m.attempts });
      }
      if (leased.length < batch || stopped) return;
    }
  };

  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = runOnce()
      .catch((err) => {
        // The database down: the next poll tries again; the outbox keeps every message meanwhile.
        if (isDatabaseUnavailable(err)) log.warn("outbox sender waiting: database unavailable", safeError(err));
        else log.error("outbox sender failed", { error: err instanceof Error ? err.name : String(err) });
      })
      .finally(() => {
        running = null;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(tick);
        } else {
          timer = setTimeout(tick, pollMs);
          timer.unref();
        }
      });
  };

  onOutboxNudge(tick);
  setImmediate(tick);
  return async () => {
    stopped = true;
    onOutboxNudge(undefined);
    clearTimeout(timer);
    await running;
  };
}
