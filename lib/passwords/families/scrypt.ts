// scrypt in three layouts:
//   libxcrypt / libsodium  $7$<N digit><r: 5 digits><p: 5 digits><salt>$<43 characters>   crypt64, the salt is text
//   passlib                $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>                 base64 without padding
//   Firebase               scrypt(password, salt ‖ salt separator), whose first 32 bytes are
//                          the AES-256-CTR key that encrypts the project's signer key; in Ory
//                          Kratos' layout $firescrypt$ln=…,r=…,p=1$<salt>$<hash>$<separator>$<signer key>
//                          and Supabase's $fbscrypt$v=1,n=…,r=…,p=1,ss=<separator>,sk=<signer key>$<salt>$<hash>

import { BASE64_ALPHABET, concatBytes, crypt64Value, decodeBase64, encodeCrypt64, isCanonicalCrypt64, utf8Bytes } from "../codec";
import { invalid, parseCount, type Invalid, type ParseContext, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

type Scheme = "SCRYPT-CRYPT" | "PASSLIB-SCRYPT" | "FIREBASE-SCRYPT";

export type ScryptHash = {
  family: "scrypt";
  scheme: Scheme;
  log2N: number;
  r: number;
  p: number;
  salt: Uint8Array;
  /** The derived key, or for Firebase the encrypted signer key. */
  key: Uint8Array;
  /** Firebase only. */
  signerKey?: Uint8Array;
  /** `$7$` compares the crypt64 text, as libxcrypt does. */
  encodedKey?: string;
};

/** 128 · N · r bytes, the memory scrypt needs, and the parallelism: within the limits, or why not. */
export function checkScryptCost(log2N: number, r: number, p: number, ctx: ParseContext, what = "scrypt"): Invalid | null {
  if (log2N < 1 || log2N > 63 || r < 1 || p < 1 || r * p >= 2 ** 30) {
    return invalid(`The ${what} parameters are out of range: N must be a power of two above 1, r and p at least 1, and r × p below 2^30.`);
  }
  const mib = 2 ** (log2N + 7 - 20) * r;
  if (mib > ctx.limits.scryptMemoryMiB) return invalid(overLimit(`${what} memory (128 · N · r)`, `${mib}`, "scryptMemoryMiB", ctx.limits, " MiB"));
  if (p > ctx.limits.scryptParallelism) return invalid(overLimit(`${what} parallelism`, p, "scryptParallelism", ctx.limits));
  return null;
}

/** A little-endian number of `chars` crypt64 digits, or -1. */
function crypt64Fixed(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = crypt64Value(text[i]);
    if (digit < 0) return -1;
    value += digit * 2 ** (6 * i);
  }
  return value;
}

const scryptShared = {
  family: "scrypt" as const,
  needsUpgrade: () => true,
  placement: () => "pool" as const,
};

export const scryptCrypt: PasswordFamily<ScryptHash> = {
  ...scryptShared,
  cryptForm: true,
  prefixes: ["$7$"],
  parse(value, ctx) {
    const match = /^\$7\$([./0-9A-Za-z])([./0-9A-Za-z]{5})([./0-9A-Za-z]{5})([./0-9A-Za-z]{1,64})\$([./0-9A-Za-z]{43})$/.exec(value);
    if (!match) {
      return invalid("The $7$ value must have the form $7$<N><r: 5 characters><p: 5 characters><salt>$<43-character hash>, all from ./0-9A-Za-z.");
    }
    const [, nDigit, rText, pText, salt, key] = match as unknown as [string, string, string, string, string, string];
    if (!isCanonicalCrypt64(key)) return invalid("The $7$ hash is not valid crypt64: no password would ever match it.");
    const log2N = crypt64Value(nDigit);
    const r = crypt64Fixed(rText);
    const p = crypt64Fixed(pText);
    const cost = checkScryptCost(log2N, r, p, ctx);
    if (cost) return cost;
    return { family: "scrypt", scheme: "SCRYPT-CRYPT", log2N, r, p, salt: utf8Bytes(salt), key: new Uint8Array(0), encodedKey: key };
  },
  verify(hash, candidate, p) {
    const derived = p.scrypt(p.utf8(candidate), hash.salt, 32, { N: 2 ** hash.log2N, r: hash.r, p: hash.p });
    return p.equal(p.utf8(encodeCrypt64(derived)), p.utf8(hash.encodedKey!));
  },
};

export const passlibScrypt: PasswordFamily<ScryptHash> = {
  ...scryptShared,
  prefixes: ["$scrypt$"],
  parse(value, ctx) {
    const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]*)\$([^$]*)$/.exec(value);
    if (!match) return invalid("The $scrypt$ value must have the form $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>.");
    const [log2N, r, p] = [match[1]!, match[2]!, match[3]!].map((t) => parseCount(t) ?? -1) as [number, number, number];
    const cost = checkScryptCost(log2N, r, p, ctx);
    if (cost) return cost;
    const salt = decodeBase64(match[4]!, BASE64_ALPHABET, "forbidden");
    const key = decodeBase64(match[5]!, BASE64_ALPHABET, "forbidden");
    if (!salt || !key) return invalid("The $scrypt$ salt and key must be base64 without padding.");
    if (key.length < 16 || key.length > 64) return invalid("The $scrypt$ key must be 16 to 64 bytes.");
    return { family: "scrypt", scheme: "PASSLIB-SCRYPT", log2N, r, p, salt, key };
  },
  verify(hash, candidate, p) {
    return p.equal(p.scrypt(p.utf8(candidate), hash.salt, hash.key.length, { N: 2 ** hash.log2N, r: hash.r, p: hash.p }), hash.key);
  },
};

const FIREBASE_FORM =
  "Firebase scrypt values have the form $firescrypt$ln=<mem_cost>,r=<rounds>,p=1$<salt>$<hash>$<salt separator>$<signer key> or $fbscrypt$v=1,n=<mem_cost>,r=<rounds>,p=1,ss=<salt separator>,sk=<signer key>$<salt>$<hash>, in standard base64.";

type FirebaseFields = { memCost: string; rounds: string; p: string; salt: string; hash: string; separator: string; signerKey: string };

function firebaseFields(value: string): FirebaseFields | null {
  const parts = value.split("$");
  if (value.startsWith("$firescrypt$")) {
    const params = /^ln=(\d+),r=(\d+),p=(\d+)$/.exec(parts[2] ?? "");
    if (parts.length !== 7 || !params) return null;
    return { memCost: params[1]!, rounds: params[2]!, p: params[3]!, salt: parts[3]!, hash: parts[4]!, separator: parts[5]!, signerKey: parts[6]! };
  }
  if (parts.length !== 5) return null;
  const params = new Map<string, string>();
  for (const pair of parts[2]!.split(",")) {
    const eq = pair.indexOf("=");
    if (eq < 1 || params.has(pair.slice(0, eq))) return null;
    params.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const names = ["v", "n", "r", "p", "ss", "sk"];
  if (params.size !== names.length || !names.every((n) => params.has(n)) || params.get("v") !== "1") return null;
  return { memCost: params.get("n")!, rounds: params.get("r")!, p: params.get("p")!, salt: parts[3]!, hash: parts[4]!, separator: params.get("ss")!, signerKey: params.get("sk")! };
}

export const firebaseScrypt: PasswordFamily<ScryptHash> = {
  ...scryptShared,
  prefixes: ["$firescrypt$", "$fbscrypt$"],
  parse(value, ctx) {
    const fields = firebaseFields(value);
    if (!fields) return invalid(FIREBASE_FORM);
    const log2N = parseCount(fields.memCost) ?? -1;
    const r = parseCount(fields.rounds) ?? -1;
    if (fields.p !== "1") return invalid("Firebase scrypt always uses p=1.");
    const cost = checkScryptCost(log2N, r, 1, ctx, "Firebase scrypt");
    if (cost) return cost;
    const [salt, hash, separator, signerKey] = [fields.salt, fields.hash, fields.separator, fields.signerKey].map((t) =>
      decodeBase64(t, BASE64_ALPHABET, "optional"),
    );
    if (!salt || !hash || !separator || !signerKey) return invalid(`The Firebase scrypt salt, hash, salt separator and signer key must be standard base64. ${FIREBASE_FORM}`);
    if (signerKey.length === 0 || hash.length !== signerKey.length) {
      return invalid("The Firebase scrypt hash must be as long as the signer key: it is the signer key, encrypted.");
    }
    return { family: "scrypt", scheme: "FIREBASE-SCRYPT", log2N, r, p: 1, salt: concatBytes(salt, separator), key: hash, signerKey };
  },
  verify(hash, candidate, p) {
    const derived = p.scrypt(p.utf8(candidate), hash.salt, 32, { N: 2 ** hash.log2N, r: hash.r, p: 1 });
    return p.equal(p.aes256CtrEncrypt(derived, new Uint8Array(16), hash.signerKey!), hash.key);
  },
};
