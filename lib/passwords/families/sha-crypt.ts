// SHA-crypt `$5$` (SHA-256) and `$6$` (SHA-512), as glibc and libxcrypt write them, implemented
// from Drepper's specification (akkadia.org/drepper/SHA-crypt.txt). Not the unixcrypt package:
// unixcrypt 3.0.4 computes wrong hashes for passwords whose byte length is a multiple of the
// digest size (32 for $5$, 64 for $6$).

import { CRYPT64_ALPHABET } from "../codec";
import { invalid, type Primitives, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

export type ShaCryptHash = {
  family: "sha-crypt";
  scheme: "SHA512-CRYPT" | "SHA256-CRYPT";
  algorithm: "sha256" | "sha512";
  rounds: number;
  salt: string;
  /** The crypt64 text after the last "$". */
  hash: string;
};

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

/** crypt's base64: little-endian 6-bit groups of a 24-bit word, least significant first. */
export function crypt64Word(b2: number, b1: number, b0: number, chars: number): string {
  let word = (b2 << 16) | (b1 << 8) | b0;
  let out = "";
  for (let i = 0; i < chars; i++) {
    out += CRYPT64_ALPHABET[word & 0x3f];
    word >>= 6;
  }
  return out;
}

export function encodeShuffled(digest: Uint8Array, order: readonly (readonly [number, number, number])[]): string {
  return order.map(([a, b, c]) => crypt64Word(digest[a]!, digest[b]!, digest[c]!, 4)).join("");
}

/** `length` bytes made of `block` repeated, the last copy cut short. */
export function repeatTo(block: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += block.length) out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
  return out;
}

export function shaCrypt(p: Primitives, algorithm: "sha256" | "sha512", password: Uint8Array, salt: Uint8Array, rounds: number): string {
  const size = algorithm === "sha256" ? 32 : 64;
  const digestB = p.digest(algorithm, password, salt, password);

  const aParts = [password, salt, repeatTo(digestB, password.length)];
  for (let n = password.length; n > 0; n >>= 1) aParts.push(n & 1 ? digestB : password);
  let c = p.digest(algorithm, ...aParts);

  const p2 = repeatTo(p.digest(algorithm, ...Array<Uint8Array>(password.length).fill(password)), password.length);
  const s = repeatTo(p.digest(algorithm, ...Array<Uint8Array>(16 + c[0]!).fill(salt)), salt.length);

  for (let i = 0; i < rounds; i++) {
    const parts: Uint8Array[] = [i & 1 ? p2 : c];
    if (i % 3) parts.push(s);
    if (i % 7) parts.push(p2);
    parts.push(i & 1 ? c : p2);
    c = p.digest(algorithm, ...parts);
  }

  if (size === 32) return encodeShuffled(c, SHA256_ORDER) + crypt64Word(0, c[31]!, c[30]!, 3);
  return encodeShuffled(c, SHA512_ORDER) + crypt64Word(0, 0, c[63]!, 2);
}

const PREFIX = /^\$([56])\$/;
const CRYPT64 = "./0-9A-Za-z";

export const shaCryptFamily: PasswordFamily<ShaCryptHash> = {
  family: "sha-crypt",
  cryptForm: true,
  prefixes: ["$5$", "$6$"],
  parse(value, ctx) {
    const id = PREFIX.exec(value)![1] as "5" | "6";
    const hashLength = id === "5" ? 43 : 86;
    const parts = value.slice(3).split("$");
    let rounds = 5000;
    if (parts[0]?.startsWith("rounds=")) {
      const roundsText = parts.shift()!.slice("rounds=".length);
      // glibc would clamp an out-of-range count when hashing, so a stored one can never be outside it.
      if (!/^[1-9]\d{3,8}$/.test(roundsText)) return invalid("SHA-crypt rounds must be a whole number from 1000 to 999999999.");
      rounds = Number(roundsText);
    }
    if (parts.length !== 2) return invalid(`The $${id}$ value must have the form $${id}$[rounds=<n>$]<salt>$<hash>.`);
    const [salt, hash] = parts as [string, string];
    if (!/^[./0-9A-Za-z]{0,16}$/.test(salt)) return invalid(`The $${id}$ salt must be at most 16 characters from ${CRYPT64}.`);
    if (hash.length !== hashLength || !/^[./0-9A-Za-z]*$/.test(hash)) {
      return invalid(`The $${id}$ hash must be exactly ${hashLength} characters from ${CRYPT64}.`);
    }
    if (rounds > ctx.limits.shaCryptRounds) return invalid(overLimit("SHA-crypt round count", rounds, "shaCryptRounds", ctx.limits));
    return { family: "sha-crypt", scheme: id === "5" ? "SHA256-CRYPT" : "SHA512-CRYPT", algorithm: id === "5" ? "sha256" : "sha512", rounds, salt, hash };
  },
  verify: (hash, candidate, p) =>
    p.equal(p.utf8(shaCrypt(p, hash.algorithm, p.utf8(candidate), p.utf8(hash.salt), hash.rounds)), p.utf8(hash.hash)),
  needsUpgrade: () => true,
  placement: () => "pool",
};
