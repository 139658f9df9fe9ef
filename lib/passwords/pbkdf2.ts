import "server-only";

import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";

import type { Pbkdf2Hash } from "./classify";
import { bytesEqual } from "./constant-time";

const pbkdf2Async = promisify(pbkdf2);

// Serves both OpenLDAP pw-pbkdf2 and Django layouts: they differ only in how salt and key are
// written down, which classify.ts has already undone.
export async function verifyPbkdf2(hash: Pbkdf2Hash, candidate: string): Promise<boolean> {
  const derived = await pbkdf2Async(
    Buffer.from(candidate, "utf8"),
    hash.salt,
    hash.iterations,
    hash.derivedKey.length,
    hash.algorithm,
  );
  return bytesEqual(derived, hash.derivedKey);
}
