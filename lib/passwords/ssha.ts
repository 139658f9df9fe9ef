import "server-only";

import { createHash } from "node:crypto";

import type { SaltedDigestHash } from "./classify";
import { bytesEqual } from "./constant-time";

// Covers {SSHA}, {SSHA256}, {SSHA384}, {SSHA512} and the legacy {SHA}, {SMD5}, {MD5}:
// all are digest(password ‖ salt), the unsalted ones simply with an empty salt.
export function verifySaltedDigest(hash: SaltedDigestHash, candidate: string): boolean {
  const digest = createHash(hash.algorithm).update(candidate, "utf8").update(hash.salt).digest();
  return bytesEqual(digest, hash.digest);
}
