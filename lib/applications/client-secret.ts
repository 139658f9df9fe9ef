import "server-only";
import { randomBytes } from "node:crypto";
import { hashPassword } from "@/lib/passwords";

/**
 * A worker application's client secret and the argon2id hash that is all we keep of it. The
 * one place secrets are made: first start (with WORKER_CLIENT_SECRET, `given`), creation and
 * rotation. The secret itself is shown once and never stored.
 */
export async function clientSecret(given?: string): Promise<{ secret: string; secretHash: string }> {
  const secret = given ?? randomBytes(32).toString("base64url");
  return { secret, secretHash: await hashPassword(secret) };
}
