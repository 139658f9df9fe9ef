import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/db";
import { emailOutbox, users, verificationCodes } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { invalidData, requestFailed } from "@/lib/api/errors";
import { exactLimiter, requestLimited } from "@/lib/rate-limit";
import { recordAudit } from "@/lib/audit";
import { codeMatches } from "@/lib/verification/codes";
import { nudgeOutboxSender } from "@/lib/verification/nudge";
import { prepareVerification } from "@/lib/verification/prepare";
import { getUser } from "./queries";
import type { UserResourceSource } from "./resource";
import { findTargetUser } from "./target";

/** Attempts allowed per user within the window (our choice); the next attempt is 429. */
export const VERIFY_MAX_ATTEMPTS = 5;
export const VERIFY_WINDOW_SECONDS = 15 * 60;
const verifyAttempts = exactLimiter("verify-code", () => ({ points: VERIFY_MAX_ATTEMPTS, seconds: VERIFY_WINDOW_SECONDS }));

/**
 * Codes sent per user within an hour (VERIFICATION_RESEND_PER_HOUR, default 5): an administrator
 * cannot mail-bomb an address through the outbox (finding F15).
 */
const resends = exactLimiter("verify-resend", () => {
  const n = Number(process.env.VERIFICATION_RESEND_PER_HOUR);
  return { points: Number.isInteger(n) && n >= 0 ? n : 5, seconds: 3600 };
});

export const verifyBodySchema = z.object({
  verificationCode: z.string({ error: "verificationCode is required: send the code from the verification email." }).min(1).max(64),
});

/**
 * Verify User (spec 4): the latest unexpired code of the user turns lifecycle.status to
 * ACCOUNT_OK and, if it was sent to the user's current address, emailVerified to true.
 * Every attempt counts against a per-user limit kept in the database (so every server worker
 * shares it) before the code is looked at; a success clears the count.
 */
export async function verifyUser(actor: Actor, environmentId: string, userId: string, body: unknown): Promise<UserResourceSource> {
  const parsed = verifyBodySchema.safeParse(body ?? {});
  const db = await getDb();
  const user = await findTargetUser(db, actor, environmentId, userId, "users:write");
  if (!parsed.success) {
    throw invalidData([{ code: "REQUIRED_VALUE", target: "verificationCode", message: "verificationCode is required: send the code from the verification email (a string)." }]);
  }
  const attempt = await verifyAttempts.consume(user.id);
  if (!attempt.allowed) throw requestLimited(attempt.retryAfterSeconds, "Too many verification attempts for this user");

  const [stored] = await db
    .select({ codeHash: verificationCodes.codeHash, email: verificationCodes.email, expiresAt: verificationCodes.expiresAt })
    .from(verificationCodes)
    .where(eq(verificationCodes.userId, user.id));
  const valid = stored && stored.expiresAt.getTime() > Date.now() && (await codeMatches(user.id, parsed.data.verificationCode, stored.codeHash));
  if (!valid) throw wrongCode();

  const verified = await db.transaction(async (tx) => {
    // Single use: only the transaction that deletes this very code goes on.
    const [used] = await tx
      .delete(verificationCodes)
      .where(and(eq(verificationCodes.userId, user.id), eq(verificationCodes.codeHash, stored.codeHash)))
      .returning({ email: verificationCodes.email });
    if (!used) return false;
    await tx
      .update(users)
      .set({
        lifecycleStatus: "ACCOUNT_OK",
        emailVerified: sql`${users.emailVerified} or coalesce(lower(${users.email}) = lower(${used.email}), false)`,
        updatedAt: new Date(),
      })
      .where(eq(users.id, user.id));
    await recordAudit(tx, actor, environmentId, "USER.VERIFIED", { type: "USER", id: user.id }, {});
    return true;
  });
  if (!verified) throw wrongCode();
  await verifyAttempts.forget(user.id);
  return getUser(actor, environmentId, user.id);
}

/**
 * Send/Resend User Verification Code (spec 4): a new code replaces any earlier one (only the
 * latest is valid), its email is queued in the same transaction, and lifecycle.status becomes
 * VERIFICATION_REQUIRED.
 */
export async function sendVerificationCode(actor: Actor, environmentId: string, userId: string): Promise<void> {
  const db = await getDb();
  const user = await findTargetUser(db, actor, environmentId, userId, "users:write");
  if (!user.email) throw requestFailed("The user has no email address to send a verification code to: set an email first.");
  const sent = await resends.consume(user.id);
  if (!sent.allowed) throw requestLimited(sent.retryAfterSeconds, "Too many verification codes sent to this user");
  const now = new Date();
  const v = await prepareVerification(user.id, user.username, user.email, now);
  await db.transaction(async (tx) => {
    await tx
      .insert(verificationCodes)
      .values({ userId: user.id, codeHash: v.codeHash, email: user.email!, expiresAt: v.expiresAt, createdAt: now })
      .onConflictDoUpdate({
        target: verificationCodes.userId,
        set: { codeHash: v.codeHash, email: user.email!, expiresAt: v.expiresAt, createdAt: now },
      });
    await tx.insert(emailOutbox).values({
      id: v.outbox.id,
      environmentId,
      userId: user.id,
      toAddress: v.outbox.to,
      subject: v.outbox.subject,
      textBody: v.outbox.text,
      htmlBody: v.outbox.html,
      nextAttemptAt: now,
      createdAt: now,
    });
    await tx.update(users).set({ lifecycleStatus: "VERIFICATION_REQUIRED", updatedAt: now }).where(eq(users.id, user.id));
    await recordAudit(tx, actor, environmentId, "USER.VERIFICATION_CODE_SENT", { type: "USER", id: user.id }, { messageId: v.outbox.id });
  });
  nudgeOutboxSender();
}

const wrongCode = () =>
  invalidData([{ code: "INVALID_VALUE", target: "verificationCode", message: "The verification code is not valid: it is wrong, expired or replaced by a newer one." }]);
