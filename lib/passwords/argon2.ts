import "server-only";

import { argon2id, hash, verify } from "argon2";

import type { Argon2Hash } from "./classify";

/** Parameters for new hashes: OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane). */
export const ARGON2ID_PARAMS = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

export function hashArgon2id(cleartext: string): Promise<string> {
  return hash(cleartext, { type: argon2id, ...ARGON2ID_PARAMS });
}

export function verifyArgon2(parsed: Argon2Hash, candidate: string): Promise<boolean> {
  // The argon2 package handles argon2i/d/id alike and compares in constant time.
  return verify(parsed.value, candidate);
}

/** True unless the hash is already what hashArgon2id would produce, or stronger. */
export function argon2NeedsRehash(parsed: Argon2Hash): boolean {
  return (
    parsed.prefixed ||
    parsed.type !== "argon2id" ||
    parsed.version !== 19 ||
    parsed.memoryCost < ARGON2ID_PARAMS.memoryCost ||
    parsed.timeCost < ARGON2ID_PARAMS.timeCost ||
    parsed.parallelism < ARGON2ID_PARAMS.parallelism
  );
}
