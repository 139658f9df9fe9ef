import "server-only";
import { eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { environments } from "@/db/schema";
import { checkPasswordPolicy, classifyPassword, DEFAULT_PASSWORD_POLICY, hashPassword, type PasswordPolicy } from "@/lib/passwords";

/**
 * The one password-value rule of import and Set Password (spec 3.1-3.3): a cleartext value must
 * meet the environment's policy and is stored as a fresh argon2id hash; a pre-encoded value
 * bypasses the policy and is stored as given. Split in two so that an import decides (and a dry
 * run reports) the policy without paying for the hash, and hashes only what it will write.
 */
export type PasswordDecision = {
  value: string;
  cleartext: boolean;
  /** What the audit records: "cleartext" or the pre-encoded scheme. Never the value. */
  kind: string;
  /** The policy rule a cleartext value breaks, as a sentence; null when it is acceptable. */
  problem: string | null;
};

/** The audit label of a password value: "none", "cleartext" or its scheme (e.g. SSHA512). */
export function passwordKind(value: string | null | undefined): string {
  if (value === null || value === undefined) return "none";
  const c = classifyPassword(value);
  return c.kind === "encoded" ? c.scheme : "cleartext";
}

/** `policy` null: the policy is bypassed (Set Password's bypassPolicy). */
export function decidePassword(value: string, who: { username: string; email?: string | null }, policy: PasswordPolicy | null): PasswordDecision {
  const kind = passwordKind(value);
  const cleartext = kind === "cleartext";
  const problem = cleartext && policy ? checkPasswordPolicy(value, { username: who.username, email: who.email }, policy) : null;
  return { value, cleartext, kind, problem };
}

/** What is stored for an accepted value: argon2id of cleartext (through `hash`), a pre-encoded value as given. */
export function storedPasswordValue(decision: PasswordDecision, hash: (cleartext: string) => Promise<string> = hashPassword): Promise<string> {
  return decision.cleartext ? hash(decision.value) : Promise.resolve(decision.value);
}

/** An environment's password policy as stored (null: the default policy). */
export function policyOf(stored: PasswordPolicy | null | undefined): PasswordPolicy {
  return stored ?? DEFAULT_PASSWORD_POLICY;
}

/** The environment's password policy; null when the environment does not exist. */
export async function environmentPasswordPolicy(db: Executor, environmentId: string): Promise<PasswordPolicy | null> {
  const [env] = await db.select({ policy: environments.passwordPolicy }).from(environments).where(eq(environments.id, environmentId));
  return env ? policyOf(env.policy) : null;
}
