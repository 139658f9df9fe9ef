import "server-only";

import { argon2id, hash } from "argon2";

import { checkOnPool } from "./checks";
import { needsUpgrade, resolvePasswordValue } from "./classify";
import { ARGON2ID_PARAMS } from "./families/argon2";
import { serverParseContext } from "./settings";
import { verifyResolved } from "./verify";

export {
  classifyPassword,
  isPreEncoded,
  parsePasswordValue,
  type ParsedPasswordHash,
  type PasswordClassification,
  type PasswordScheme,
  type PasswordValue,
} from "./classify";
export {
  checkPasswordPolicy,
  DEFAULT_PASSWORD_POLICY,
  type PasswordPolicy,
  type PasswordPolicyContext,
} from "./policy";
export { COST_LIMIT_SETTINGS, DEFAULT_COST_LIMITS, type CostLimits } from "./limits";
export { closePasswordChecks, passwordCheckLoad } from "./checks";
export { passwordSettings, PASSWORD_CHECK_SETTINGS } from "./settings";
export { ARGON2ID_PARAMS };

/** Hashes a cleartext password for storage: argon2id with ARGON2ID_PARAMS, PHC string form. */
export function hashPassword(cleartext: string): Promise<string> {
  return hash(cleartext, { type: argon2id, ...ARGON2ID_PARAMS });
}

/**
 * Checks a candidate password against a stored hash of any accepted scheme. A stored value that
 * is cleartext, malformed or beyond this server's cost limits (imported before they existed, or
 * before they were lowered) does not match and is never computed.
 *
 * Cheap checks (salted digests, Argon2 no dearer than our own) run here; every other family
 * runs on the bounded check pool, and rejects with a 503 ApiError when the pool cannot start it
 * within its time budget. Otherwise it never throws.
 */
export function verifyPassword(stored: string, candidate: string): Promise<boolean> {
  if (typeof stored !== "string" || typeof candidate !== "string") return Promise.resolve(false);
  let resolved: ReturnType<typeof resolvePasswordValue>;
  try {
    resolved = resolvePasswordValue(stored, serverParseContext());
  } catch (err) {
    return Promise.reject(err);
  }
  if (resolved.kind !== "encoded") return Promise.resolve(false);
  // Not async: a microtask less on the checks that cost a few microseconds.
  if (resolved.family.placement(resolved.hash) === "inline") return verifyResolved(resolved, candidate);
  return checkOnPool(stored, candidate);
}

/** True unless the stored value is a bare argon2id PHC string at least as strong as ARGON2ID_PARAMS. */
export function needsRehash(stored: string): boolean {
  return needsUpgrade(stored, serverParseContext());
}
