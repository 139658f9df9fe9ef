import "server-only";

import { createHash } from "node:crypto";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";

import { CRYPT64_ALPHABET } from "./codec";
import type { Md5CryptHash, ShaCryptHash } from "./classify";
import { textEqual } from "./constant-time";

// SHA-crypt is implemented here from Drepper's specification (akkadia.org/drepper/SHA-crypt.txt)
// rather than with the unixcrypt package: unixcrypt 3.0.4 computes wrong hashes for passwords
// whose byte length is a multiple of the digest size (32 for $5$, 64 for $6$).

// Rounds run synchronously; yielding this often keeps a stored rounds=999999999 from stalling
// every other request while it is checked.
const ROUNDS_PER_SLICE = 20_000;

// Byte order of the final digest in the crypt64 output, three bytes per group (spec step 22).
const SHA256_ORDER = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
] as const;
const SHA512_ORDER = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4],
  [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51],
  [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35],
  [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19],
  [62, 20, 41],
] as const;
const MD5_ORDER = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const;

/** crypt's base64: little-endian 6-bit groups of a 24-bit word, least significant first. */
function crypt64(b2: number, b1: number, b0: number, chars: number): string {
  let word = (b2 << 16) | (b1 << 8) | b0;
  let out = "";
  for (let i = 0; i < chars; i++) {
    out += CRYPT64_ALPHABET[word & 0x3f];
    word >>= 6;
  }
  return out;
}

function encodeDigest(digest: Buffer, order: readonly (readonly [number, number, number])[]): string {
  return order.map(([a, b, c]) => crypt64(digest[a]!, digest[b]!, digest[c]!, 4)).join("");
}

/** `length` bytes made of `block` repeated, the last copy cut short. */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset);
  return out;
}

export async function shaCrypt(
  algorithm: "sha256" | "sha512",
  password: Buffer,
  salt: Buffer,
  rounds: number,
): Promise<string> {
  const size = algorithm === "sha256" ? 32 : 64;
  const digestB = createHash(algorithm).update(password).update(salt).update(password).digest();

  const a = createHash(algorithm).update(password).update(salt);
  a.update(repeatTo(digestB, password.length));
  for (let n = password.length; n > 0; n >>= 1) a.update(n & 1 ? digestB : password);
  let c = a.digest();

  const dp = createHash(algorithm);
  for (let i = 0; i < password.length; i++) dp.update(password);
  const p = repeatTo(dp.digest(), password.length);

  const ds = createHash(algorithm);
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);

  for (let i = 0; i < rounds; i++) {
    const h = createHash(algorithm);
    h.update(i & 1 ? p : c);
    if (i % 3) h.update(s);
    if (i % 7) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
    if (i % ROUNDS_PER_SLICE === ROUNDS_PER_SLICE - 1) await yieldToEventLoop();
  }

  if (size === 32) return encodeDigest(c, SHA256_ORDER) + crypt64(0, c[31]!, c[30]!, 3);
  return encodeDigest(c, SHA512_ORDER) + crypt64(0, 0, c[63]!, 2);
}

export function md5Crypt(password: Buffer, salt: Buffer): string {
  const magic = Buffer.from("$1$");
  const alternate = createHash("md5").update(password).update(salt).update(password).digest();

  const ctx = createHash("md5").update(password).update(magic).update(salt);
  ctx.update(repeatTo(alternate, password.length));
  // Poul-Henning Kamp's original quirk: a zero byte for set bits, the first password byte otherwise.
  for (let n = password.length; n > 0; n >>= 1) ctx.update(n & 1 ? Buffer.of(0) : password.subarray(0, 1));
  let digest = ctx.digest();

  for (let i = 0; i < 1000; i++) {
    const h = createHash("md5");
    h.update(i & 1 ? password : digest);
    if (i % 3) h.update(salt);
    if (i % 7) h.update(password);
    h.update(i & 1 ? digest : password);
    digest = h.digest();
  }
  return encodeDigest(digest, MD5_ORDER) + crypt64(0, 0, digest[11]!, 2);
}

export async function verifyShaCrypt(hash: ShaCryptHash, candidate: string): Promise<boolean> {
  const computed = await shaCrypt(hash.algorithm, Buffer.from(candidate, "utf8"), Buffer.from(hash.salt), hash.rounds);
  return textEqual(computed, hash.hash);
}

export function verifyMd5Crypt(hash: Md5CryptHash, candidate: string): boolean {
  return textEqual(md5Crypt(Buffer.from(candidate, "utf8"), Buffer.from(hash.salt)), hash.hash);
}
