import "server-only";

import bcrypt from "bcryptjs";

import type { BcryptHash } from "./classify";
import { textEqual } from "./constant-time";

const SETTING_LENGTH = "$2b$10$".length + 22;

export async function verifyBcrypt(hash: BcryptHash, candidate: string): Promise<boolean> {
  // $2a$, $2b$ and $2y$ differ only in bugs of old C implementations, not in the algorithm.
  // Only the 31-character digest is compared: bcryptjs re-encodes the salt, which would turn a
  // harmless non-canonical last salt character into a false mismatch.
  const computed = await bcrypt.hash(candidate, hash.value.slice(0, SETTING_LENGTH));
  return textEqual(computed.slice(SETTING_LENGTH), hash.value.slice(SETTING_LENGTH));
}
