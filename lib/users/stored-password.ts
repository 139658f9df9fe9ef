import "server-only";
import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "@/db";
import { environments, users } from "@/db/schema";
import { checkPasswordPolicy, classifyPassword, DEFAULT_PASSWORD_POLICY, hashPassword, needsRehash, type PasswordPolicy } from "@/lib/passwords";

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

/** The scheme recorded for what hashPassword writes today: every other stored value is upgraded at its first successful check. */
export const CURRENT_PASSWORD_SCHEME = "ARGON2ID";
/** An argon2id value weaker than what hashPassword writes today (imported): upgraded like any legacy value. */
export const WEAKER_ARGON2ID_SCHEME = "ARGON2ID-WEAKER";

/**
 * The `password_scheme` column of a stored value: its scheme as the registry names it (SSHA512,
 * BCRYPT, DJANGO-PBKDF2-SHA256, ...), CURRENT_PASSWORD_SCHEME when it needs no upgrade, null for
 * none. The migration cockpit counts these (lib/migration).
 */
export function passwordScheme(stored: string | null | undefined): string | null {
  if (stored === null || stored === undefined) return null;
  const c = classifyPassword(stored);
  // Only accepted values are ever stored; a value the server's limits now refuse never matches.
  if (c.kind !== "encoded") return "UNVERIFIABLE";
  if (!needsRehash(stored)) return CURRENT_PASSWORD_SCHEME;
  return c.scheme === "ARGON2ID" ? WEAKER_ARGON2ID_SCHEME : c.scheme;
}

/** The columns every write of a stored password sets together: the value and its scheme. */
export function storedPasswordColumns(stored: string | null): { passwordHash: string | null; passwordScheme: string | null } {
  return { passwordHash: stored, passwordScheme: passwordScheme(stored) };
}

/** A successful check (Check Password, console sign-in, a gateway bind): the first one is recorded, later ones write nothing. */
export async function noteSuccessfulCheck(db: Executor, userId: string, at: Date = new Date()): Promise<void> {
  await db.update(users).set({ passwordCheckedAt: at }).where(and(eq(users.id, userId), isNull(users.passwordCheckedAt)));
}
