import "server-only";
import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { settings } from "@/db/schema";

/**
 * Verification codes (spec 4): 8 characters from A-Z and 0-9, drawn with crypto.randomInt
 * (uniform, no modulo bias): 36^8, about 41 bits.
 *
 * Stored as HMAC-SHA256(server key, userId ‖ code), not argon2id, because:
 * - a code is short-lived (24 h), single-use and guarded by a per-user wrong-code limit, so
 *   online guessing is hopeless whatever the hash;
 * - offline guessing needs the key, which lives in `settings` (or VERIFICATION_CODE_SECRET),
 *   not next to the code; and the email in the outbox holds the code in clear until delivered
 *   anyway, so a slow hash would protect nothing that a database thief could not read directly;
 * - argon2id would cost ~35 ms of CPU per VERIFICATION_REQUIRED import, on the bulk path too.
 * Binding the user id into the MAC makes a code useless for any other user.
 */
export const CODE_LENGTH = 8;
export const CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const CODE_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_NAME = "verification_code_key";
const globalForKey = globalThis as unknown as { __identityImportCodeKey?: Promise<Buffer> };

export function generateCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Codes are compared case-insensitively and without surrounding spaces: people retype them. */
export function normaliseCode(candidate: string): string {
  return candidate.trim().toUpperCase();
}

function codeKey(): Promise<Buffer> {
  globalForKey.__identityImportCodeKey ??= loadKey().catch((err) => {
    globalForKey.__identityImportCodeKey = undefined;
    throw err;
  });
  return globalForKey.__identityImportCodeKey;
}

async function loadKey(): Promise<Buffer> {
  const configured = process.env.VERIFICATION_CODE_SECRET;
  if (configured) return Buffer.from(configured, "utf8");
  const db = await getDb();
  await db.insert(settings).values({ key: KEY_NAME, value: randomBytes(32).toString("base64url") }).onConflictDoNothing();
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, KEY_NAME));
  if (!row) throw new Error("verification code key missing after insert");
  return Buffer.from(row.value, "base64url");
}

export async function hashCode(userId: string, code: string): Promise<string> {
  const mac = createHmac("sha256", await codeKey());
  mac.update(`${userId.toLowerCase()}\0${normaliseCode(code)}`);
  return mac.digest("base64url");
}

export async function codeMatches(userId: string, candidate: string, storedHash: string): Promise<boolean> {
  const a = Buffer.from(await hashCode(userId, candidate));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh code for a user, its hash for storage and its expiry. The code goes into the email only. */
export async function newVerificationCode(userId: string, now = new Date()) {
  const code = generateCode();
  return { code, codeHash: await hashCode(userId, code), expiresAt: new Date(now.getTime() + CODE_TTL_MS) };
}
