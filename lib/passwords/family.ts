// What every password family module provides (passlib's CryptContext handlers and Ory Kratos'
// hash package are the models): identify a value by its prefix, parse it and check its
// parameters against the cost limits without computing anything, verify a candidate, and say
// whether a match should be re-hashed. Browser-safe: verification receives the cryptographic
// primitives as an argument (lib/passwords/node-primitives.ts on the server), so a family is one
// file that the console form can import for its live hint without pulling in node:crypto.

import type { CostLimits } from "./limits";

export type DigestAlgorithm = "md5" | "sha1" | "sha256" | "sha384" | "sha512";

/** The cryptography a family may use. Everything is synchronous except Argon2 (native, async). */
export interface Primitives {
  /** Strings are hashed as UTF-8. */
  digest(algorithm: DigestAlgorithm, ...parts: (Uint8Array | string)[]): Uint8Array;
  hmac(algorithm: DigestAlgorithm, key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array;
  pbkdf2(algorithm: DigestAlgorithm, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array;
  scrypt(password: Uint8Array, salt: Uint8Array, length: number, params: { N: number; r: number; p: number }): Uint8Array;
  aes256CtrEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** Verifies a PHC Argon2 string (argon2id, argon2i, argon2d). */
  argon2Verify(phc: string, password: Uint8Array): Promise<boolean>;
  /** bcrypt of `password` (UTF-8) with the salt and cost of `setting` ("$2b$10$" + 22 salt characters): the whole hash string. */
  bcrypt(password: string, setting: string): string;
  /** libxcrypt's crypt: the whole hash string, or null when the platform has no libxcrypt or it refuses the setting. */
  crypt(password: Uint8Array, setting: string): string | null;
  /** Constant-time comparison (early return on a length mismatch: lengths come from the stored format). */
  equal(a: Uint8Array, b: Uint8Array): boolean;
  utf8(text: string): Uint8Array;
}

/** What the server's environment decides: the cost limits and which optional families it can verify. */
export type ParseContext = {
  limits: CostLimits;
  /** False where the libxcrypt addon did not build or load: `$y$`/`$gy$` are then refused. */
  yescrypt: boolean;
};

export type Invalid = { kind: "invalid"; message: string };
export const invalid = (message: string): Invalid => ({ kind: "invalid", message });
export const isInvalid = (x: object): x is Invalid => (x as { kind?: unknown }).kind === "invalid";

/**
 * Where a check runs. "inline": on the calling thread, because it costs microseconds or is
 * already asynchronous and no dearer than the argon2id we write ourselves (the token endpoint's
 * client secrets, every hash made here). "pool": on the bounded worker pool (lib/passwords/checks.ts).
 */
export type CheckPlacement = "inline" | "pool";

export interface PasswordFamily<H extends { family: string; scheme: string } = { family: string; scheme: string }> {
  readonly family: H["family"];
  /**
   * The prefixes that claim a value for this family: a braced name ("{SSHA}", matched
   * case-insensitively as OpenLDAP does), a modular-crypt id ("$2b$"), or a word ending in "$"
   * or ":" ("pbkdf2_sha256$", "pbkdf2:"). A claimed value that does not parse is refused, never
   * taken as cleartext.
   */
  readonly prefixes: readonly string[];
  /** True when the form is a modular crypt string that OpenLDAP may export wrapped as `{CRYPT}…`. */
  readonly cryptForm?: boolean;
  /** Well-formedness and the cost limits; computes nothing. */
  parse(value: string, ctx: ParseContext): H | Invalid;
  verify(hash: H, candidate: string, p: Primitives): boolean | Promise<boolean>;
  /** False only for what hashPassword would write today (or stronger): everything else is upgraded after a match. */
  needsUpgrade(hash: H): boolean;
  placement(hash: H): CheckPlacement;
}

/** A decimal without sign or leading zeros, as every format here writes counts. */
export function parseCount(text: string, maxDigits = 10): number | null {
  if (!new RegExp(`^(0|[1-9]\\d{0,${maxDigits - 1}})$`).test(text)) return null;
  return Number(text);
}
