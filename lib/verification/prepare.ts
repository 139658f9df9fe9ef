import "server-only";
import { uuidv7 } from "@/lib/ids";
import { newVerificationCode } from "./codes";
import { verificationEmail } from "./email";

/**
 * The verification code and email of a VERIFICATION_REQUIRED import (spec 4), written by the
 * same statement as the user, so that a rolled-back import leaves neither behind.
 */
export type UserVerificationWrite = {
  codeHash: string;
  expiresAt: Date;
  outbox: { id: string; to: string; subject: string; text: string; html: string };
};

/**
 * A new code for a user and the email carrying it, ready to be written with the user (import)
 * or by sendVerificationCode. The cleartext code leaves this function only inside the email.
 */
export async function prepareVerification(userId: string, username: string, email: string, now = new Date()): Promise<UserVerificationWrite> {
  const { code, codeHash, expiresAt } = await newVerificationCode(userId, now);
  const mail = verificationEmail(email, username, code);
  return { codeHash, expiresAt, outbox: { id: uuidv7(), to: mail.to, subject: mail.subject, text: mail.text, html: mail.html } };
}
