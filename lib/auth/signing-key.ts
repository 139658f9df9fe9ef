import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { settings } from "@/db/schema";

const KEY_NAME = "token_signing_secret";
const globalForKey = globalThis as unknown as { __identityImportSigningKey?: Promise<Uint8Array> };

/**
 * The HS256 key for API access tokens. AUTH_SECRET when set; otherwise a random secret made on
 * first use and kept in the database, so that tokens survive restarts and every instance on the
 * same database accepts the others' tokens.
 */
export function signingKey(): Promise<Uint8Array> {
  globalForKey.__identityImportSigningKey ??= load().catch((err) => {
    globalForKey.__identityImportSigningKey = undefined;
    throw err;
  });
  return globalForKey.__identityImportSigningKey;
}

async function load(): Promise<Uint8Array> {
  const configured = process.env.AUTH_SECRET;
  const secret = configured && configured.length > 0 ? configured : await storedSecret();
  // Domain-separated from Auth.js's own use of AUTH_SECRET.
  return new Uint8Array(createHash("sha256").update(`identity-import api tokens\0${secret}`).digest());
}

async function storedSecret(): Promise<string> {
  const db = await getDb();
  await db.insert(settings).values({ key: KEY_NAME, value: randomBytes(32).toString("base64url") }).onConflictDoNothing();
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, KEY_NAME));
  if (!row) throw new Error("token signing secret missing after insert");
  return row.value;
}

const globalForSession = globalThis as unknown as { __identityImportSessionSecret?: Promise<string> };

/**
 * The secret of console sessions (Auth.js): AUTH_SECRET when set, as Auth.js itself would use
 * it; otherwise derived from the same database-kept secret as the token key, domain-separated,
 * so that `npm start` needs no configuration and every instance accepts the others' cookies.
 */
export function consoleSessionSecret(): Promise<string> {
  const configured = process.env.AUTH_SECRET;
  if (configured && configured.length > 0) return Promise.resolve(configured);
  globalForSession.__identityImportSessionSecret ??= storedSecret()
    .then((s) => createHash("sha256").update(`identity-import console sessions\0${s}`).digest("base64url"))
    .catch((err) => {
      globalForSession.__identityImportSessionSecret = undefined;
      throw err;
    });
  return globalForSession.__identityImportSessionSecret;
}
