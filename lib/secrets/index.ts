import "server-only";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { settings } from "@/db/schema";

/**
 * Secrets this product must be able to read back (a gateway's bind password), encrypted at rest
 * with AES-256-GCM under one server key: GATEWAY_SECRET_KEY when set, otherwise a random key
 * made on first use and kept in the `settings` table (as lib/auth/signing-key.ts keeps the token
 * secret), so that every instance on the same database reads what the others wrote.
 *
 * A sealed value is bound to what it belongs to (`context`, e.g. "gateway:<id>:bindPassword") as
 * GCM additional data, so a ciphertext copied onto another row does not decrypt.
 */
const KEY_SETTING = "gateway_secret_key";
const FORMAT = "v1";
const globalForKey = globalThis as unknown as { __identityImportSecretKey?: Promise<Buffer> };

function serverKey(): Promise<Buffer> {
  globalForKey.__identityImportSecretKey ??= load().catch((err) => {
    globalForKey.__identityImportSecretKey = undefined;
    throw err;
  });
  return globalForKey.__identityImportSecretKey;
}

async function load(): Promise<Buffer> {
  const configured = process.env.GATEWAY_SECRET_KEY;
  const material = configured && configured.length > 0 ? configured : await storedKey();
  // Domain-separated, so the same string used elsewhere (AUTH_SECRET, say) gives another key.
  return createHash("sha256").update(`identity-import secrets at rest\0${material}`).digest();
}

async function storedKey(): Promise<string> {
  const db = await getDb();
  await db.insert(settings).values({ key: KEY_SETTING, value: randomBytes(32).toString("base64url") }).onConflictDoNothing();
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, KEY_SETTING));
  if (!row) throw new Error("secret key missing after insert");
  return row.value;
}

export async function sealSecret(plaintext: string, context: string): Promise<string> {
  const key = await serverKey();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [FORMAT, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(":");
}

/** The plaintext, or an Error that names no part of the value (a wrong key, a moved row). */
export async function openSecret(sealed: string, context: string): Promise<string> {
  const [format, iv, tag, body] = sealed.split(":");
  if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error("sealed secret has an unknown format");
  const key = await serverKey();
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("sealed secret does not open under the server key (GATEWAY_SECRET_KEY changed?)");
  }
}
