import "server-only";

import { ARGON2ID_PARAMS, argon2NeedsRehash, hashArgon2id, verifyArgon2 } from "./argon2";
import { verifyBcrypt } from "./bcrypt";
import { parsePasswordValue, type ParsedPasswordHash } from "./classify";
import { verifyPbkdf2 } from "./pbkdf2";
import { verifySaltedDigest } from "./ssha";
import { verifyMd5Crypt, verifyShaCrypt } from "./unix-crypt";

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
export { ARGON2ID_PARAMS };

/** Hashes a cleartext password for storage: argon2id with ARGON2ID_PARAMS, PHC string form. */
export function hashPassword(cleartext: string): Promise<string> {
  return hashArgon2id(cleartext);
}

function verifyParsed(hash: ParsedPasswordHash, candidate: string): boolean | Promise<boolean> {
  switch (hash.family) {
    case "salted-digest":
      return verifySaltedDigest(hash, candidate);
    case "bcrypt":
      return verifyBcrypt(hash, candidate);
    case "argon2":
      return verifyArgon2(hash, candidate);
    case "pbkdf2":
      return verifyPbkdf2(hash, candidate);
    case "sha-crypt":
      return verifyShaCrypt(hash, candidate);
    case "md5-crypt":
      return verifyMd5Crypt(hash, candidate);
  }
}

/**
 * Checks a candidate password against a stored hash of any accepted scheme.
 * Never throws: a stored value that is cleartext or malformed simply does not match.
 */
export async function verifyPassword(stored: string, candidate: string): Promise<boolean> {
  try {
    const parsed = parsePasswordValue(stored);
    if (parsed.kind !== "encoded") return false;
    return await verifyParsed(parsed.hash, candidate);
  } catch {
    return false;
  }
}

/** True unless the stored value is a bare argon2id PHC string at least as strong as ARGON2ID_PARAMS. */
export function needsRehash(stored: string): boolean {
  const parsed = parsePasswordValue(stored);
  return parsed.kind !== "encoded" || parsed.hash.family !== "argon2" || argon2NeedsRehash(parsed.hash);
}
