// Syntax of every accepted pre-encoded password form (contract §3.2).
// This file is imported by browser code for live form feedback, so it must stay free of
// Node-only imports; verification lives in the per-family modules.
// Messages never echo the value: it may be a real password someone mistyped.

import { ADAPTED_BASE64_ALPHABET, BASE64_ALPHABET, decodeBase64, utf8Bytes } from "./codec";

export type PasswordScheme =
  | "SSHA"
  | "SSHA256"
  | "SSHA384"
  | "SSHA512"
  | "SHA"
  | "SMD5"
  | "MD5"
  | "BCRYPT"
  | "ARGON2ID"
  | "ARGON2I"
  | "ARGON2D"
  | "PBKDF2-SHA1"
  | "PBKDF2-SHA256"
  | "PBKDF2-SHA512"
  | "SHA512-CRYPT"
  | "SHA256-CRYPT"
  | "MD5-CRYPT"
  | "DJANGO-PBKDF2-SHA256"
  | "DJANGO-PBKDF2-SHA1";

export type PasswordClassification =
  | { kind: "cleartext" }
  | { kind: "encoded"; scheme: PasswordScheme }
  | { kind: "invalid"; message: string };

export type DigestAlgorithm = "md5" | "sha1" | "sha256" | "sha384" | "sha512";
export type Argon2Type = "argon2id" | "argon2i" | "argon2d";

export type SaltedDigestHash = {
  family: "salted-digest";
  scheme: PasswordScheme;
  algorithm: DigestAlgorithm;
  digest: Uint8Array;
  /** Empty for the unsalted {SHA} and {MD5}. */
  salt: Uint8Array;
};

export type BcryptHash = {
  family: "bcrypt";
  scheme: "BCRYPT";
  cost: number;
  /** The modular-crypt string without any {BCRYPT} prefix. */
  value: string;
};

export type Argon2Hash = {
  family: "argon2";
  scheme: "ARGON2ID" | "ARGON2I" | "ARGON2D";
  type: Argon2Type;
  version: 16 | 19;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** True when the value carried the {ARGON2} prefix. */
  prefixed: boolean;
  /** The PHC string without any {ARGON2} prefix. */
  value: string;
};

export type Pbkdf2Hash = {
  family: "pbkdf2";
  scheme: "PBKDF2-SHA1" | "PBKDF2-SHA256" | "PBKDF2-SHA512" | "DJANGO-PBKDF2-SHA256" | "DJANGO-PBKDF2-SHA1";
  algorithm: "sha1" | "sha256" | "sha512";
  iterations: number;
  salt: Uint8Array;
  derivedKey: Uint8Array;
};

export type ShaCryptHash = {
  family: "sha-crypt";
  scheme: "SHA512-CRYPT" | "SHA256-CRYPT";
  algorithm: "sha256" | "sha512";
  rounds: number;
  salt: string;
  /** The crypt64 text after the last "$". */
  hash: string;
};

export type Md5CryptHash = {
  family: "md5-crypt";
  scheme: "MD5-CRYPT";
  salt: string;
  hash: string;
};

export type ParsedPasswordHash =
  | SaltedDigestHash
  | BcryptHash
  | Argon2Hash
  | Pbkdf2Hash
  | ShaCryptHash
  | Md5CryptHash;

export type PasswordValue =
  | { kind: "cleartext" }
  | { kind: "encoded"; hash: ParsedPasswordHash }
  | { kind: "invalid"; message: string };

type Invalid = { kind: "invalid"; message: string };

const invalid = (message: string): Invalid => ({ kind: "invalid", message });
const encoded = (hash: ParsedPasswordHash): PasswordValue => ({ kind: "encoded", hash });

const DIGESTS = {
  md5: { length: 16, label: "MD5" },
  sha1: { length: 20, label: "SHA-1" },
  sha256: { length: 32, label: "SHA-256" },
  sha384: { length: 48, label: "SHA-384" },
  sha512: { length: 64, label: "SHA-512" },
} as const satisfies Record<DigestAlgorithm, { length: number; label: string }>;

const SALTED_DIGEST_SCHEMES = {
  SSHA: { algorithm: "sha1", salted: true },
  SSHA256: { algorithm: "sha256", salted: true },
  SSHA384: { algorithm: "sha384", salted: true },
  SSHA512: { algorithm: "sha512", salted: true },
  SHA: { algorithm: "sha1", salted: false },
  SMD5: { algorithm: "md5", salted: true },
  MD5: { algorithm: "md5", salted: false },
} as const satisfies Record<string, { algorithm: DigestAlgorithm; salted: boolean }>;

// pw-pbkdf2 names SHA-1 both "{PBKDF2}" and "{PBKDF2-SHA1}".
const LDAP_PBKDF2_SCHEMES = {
  PBKDF2: { algorithm: "sha1", scheme: "PBKDF2-SHA1" },
  "PBKDF2-SHA1": { algorithm: "sha1", scheme: "PBKDF2-SHA1" },
  "PBKDF2-SHA256": { algorithm: "sha256", scheme: "PBKDF2-SHA256" },
  "PBKDF2-SHA512": { algorithm: "sha512", scheme: "PBKDF2-SHA512" },
} as const satisfies Record<string, { algorithm: Pbkdf2Hash["algorithm"]; scheme: Pbkdf2Hash["scheme"] }>;

// PingOne accepts these, but their byte layouts are not public, so we cannot verify them.
const NOT_YET_SUPPORTED = new Set(["SCRYPT", "SCRYPT_RFC7914", "MSKCC_PBKDF2"]);

// The unknown name is never echoed: "{Summer2024}" may well be somebody's password.
const NO_KNOWN_SCHEME = (lead: "{" | "$") =>
  `The value starts with "${lead}" but names no supported password scheme; a cleartext password cannot start with "{" or "$".`;


// Node's pbkdf2 takes a signed 32-bit iteration count.
const MAX_PBKDF2_ITERATIONS = 2 ** 31 - 1;
const PBKDF2_ITERATIONS_MESSAGE = `The PBKDF2 iteration count must be a whole number from 1 to ${MAX_PBKDF2_ITERATIONS}.`;

/**
 * Splits a password value into cleartext, a parsed pre-encoded hash, or a rejection.
 * Scheme names in braces are matched case-insensitively, as OpenLDAP does.
 */
export function parsePasswordValue(value: string): PasswordValue {
  if (value.startsWith("{")) return parseBraced(value);
  if (value.startsWith("$")) return parseModularCrypt(value);
  if (value.startsWith("pbkdf2_sha256$") || value.startsWith("pbkdf2_sha1$")) return parseDjango(value);
  return { kind: "cleartext" };
}

export function classifyPassword(value: string): PasswordClassification {
  const parsed = parsePasswordValue(value);
  return parsed.kind === "encoded" ? { kind: "encoded", scheme: parsed.hash.scheme } : parsed;
}

/** True when the value is an accepted pre-encoded hash (and so bypasses the password policy). */
export function isPreEncoded(value: string): boolean {
  return parsePasswordValue(value).kind === "encoded";
}

function parseBraced(value: string): PasswordValue {
  // A "{" with no closing brace is still rejected: the contract keys on the leading character,
  // and storing "{SSHA512" typos as someone's literal password would be worse than asking again.
  const match = /^\{([^}]*)\}/.exec(value);
  if (!match) return invalid(NO_KNOWN_SCHEME("{"));
  const given = match[1]!;
  const name = given.toUpperCase();
  const body = value.slice(match[0].length);

  if (name in SALTED_DIGEST_SCHEMES) return parseSaltedDigest(name as keyof typeof SALTED_DIGEST_SCHEMES, body);
  if (name in LDAP_PBKDF2_SCHEMES) return parseLdapPbkdf2(name as keyof typeof LDAP_PBKDF2_SCHEMES, body);
  if (name === "BCRYPT") return parseBcrypt(body);
  if (name === "ARGON2") return parseArgon2(body, true);
  // OpenLDAP exports wrap /etc/shadow-style hashes as {CRYPT}$6$...: the same modular crypt forms.
  if (name === "CRYPT") {
    return body.startsWith("$")
      ? parseModularCrypt(body)
      : invalid("Inside {CRYPT} only modular crypt forms are supported ($1$, $5$, $6$, $2a$, $2b$, $2y$); traditional DES crypt is not.");
  }
  if (NOT_YET_SUPPORTED.has(name)) {
    return invalid(`The {${name}} scheme is not supported yet: its byte layout is not public.`);
  }
  return invalid(NO_KNOWN_SCHEME("{"));
}

function parseModularCrypt(value: string): PasswordValue {
  const match = /^\$([^$]*)\$/.exec(value);
  const id = match?.[1];
  switch (id) {
    case "2a":
    case "2b":
    case "2y":
      return parseBcrypt(value);
    case "argon2id":
    case "argon2i":
    case "argon2d":
      return parseArgon2(value, false);
    case "5":
    case "6":
      return parseShaCrypt(value, id);
    case "1":
      return parseMd5Crypt(value);
  }
  return invalid(NO_KNOWN_SCHEME("$"));
}

function parseSaltedDigest(name: keyof typeof SALTED_DIGEST_SCHEMES, body: string): PasswordValue {
  const { algorithm, salted } = SALTED_DIGEST_SCHEMES[name];
  const { length, label } = DIGESTS[algorithm];
  const bytes = decodeBase64(body, BASE64_ALPHABET, "optional");
  if (!bytes) return invalid(`The {${name}} value is not valid base64.`);
  if (salted) {
    // OpenLDAP refuses a salted value with no salt bytes at all; so do we.
    if (bytes.length <= length) return invalid(`The {${name}} value is too short to hold a ${label} digest and salt.`);
  } else if (bytes.length !== length) {
    return invalid(`The {${name}} value must decode to exactly ${length} bytes, the size of a ${label} digest.`);
  }
  return encoded({
    family: "salted-digest",
    scheme: name,
    algorithm,
    digest: bytes.slice(0, length),
    salt: bytes.slice(length),
  });
}

function parseBcrypt(value: string): PasswordValue {
  const match = /^\$2[aby]\$(\d\d)\$(.*)$/.exec(value);
  if (!match) {
    return invalid(
      "The bcrypt value is malformed: expected $2a$, $2b$ or $2y$, a two-digit cost, \"$\", then 53 characters of salt and hash.",
    );
  }
  const cost = Number(match[1]);
  if (cost < 4 || cost > 31) return invalid("bcrypt cost must be between 4 and 31.");
  if (!/^[./A-Za-z0-9]{53}$/.test(match[2]!)) {
    return invalid("The bcrypt salt and hash must be exactly 53 characters from ./A-Za-z0-9.");
  }
  return encoded({ family: "bcrypt", scheme: "BCRYPT", cost, value });
}

const PHC_MESSAGE =
  "The Argon2 value is not a well-formed PHC string: expected $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.";

function parseArgon2(value: string, prefixed: boolean): PasswordValue {
  const match = /^\$(argon2id|argon2i|argon2d)\$v=(\d+)\$([^$]*)\$([^$]*)\$([^$]*)$/.exec(value);
  if (!match) return invalid(PHC_MESSAGE);
  const type = match[1] as Argon2Type;
  const [versionText, paramText, saltText, hashText] = match.slice(2) as [string, string, string, string];
  if (versionText !== "16" && versionText !== "19") return invalid("Argon2 version must be v=16 or v=19.");

  const params: Partial<Record<"m" | "t" | "p", number>> = {};
  for (const part of paramText.split(",")) {
    // PHC decimals have no sign and no leading zeros.
    const param = /^([mtp])=(0|[1-9]\d{0,9})$/.exec(part);
    if (!param) return invalid(PHC_MESSAGE);
    const key = param[1] as "m" | "t" | "p";
    if (params[key] !== undefined) return invalid(PHC_MESSAGE);
    params[key] = Number(param[2]);
  }
  const { m, t, p } = params;
  if (m === undefined || t === undefined || p === undefined) return invalid(PHC_MESSAGE);
  // The limits of the Argon2 specification (RFC 9106 §3.1).
  if (t < 1 || t > 2 ** 32 - 1 || p < 1 || p > 2 ** 24 - 1 || m < 8 * p || m > 2 ** 32 - 1) {
    return invalid("Argon2 parameters are out of range: t must be at least 1, p from 1 to 16777215, and m at least 8 × p.");
  }

  const salt = decodeBase64(saltText, BASE64_ALPHABET, "forbidden");
  const hash = decodeBase64(hashText, BASE64_ALPHABET, "forbidden");
  if (!salt || !hash) return invalid("The Argon2 salt and hash must be unpadded base64.");
  if (salt.length < 8) return invalid("The Argon2 salt must be at least 8 bytes.");
  if (hash.length < 4) return invalid("The Argon2 hash must be at least 4 bytes.");

  return encoded({
    family: "argon2",
    scheme: type.toUpperCase() as Argon2Hash["scheme"],
    type,
    version: versionText === "16" ? 16 : 19,
    memoryCost: m,
    timeCost: t,
    parallelism: p,
    prefixed,
    value,
  });
}

function parseIterations(text: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_PBKDF2_ITERATIONS ? n : null;
}

function parseLdapPbkdf2(name: keyof typeof LDAP_PBKDF2_SCHEMES, body: string): PasswordValue {
  const { algorithm, scheme } = LDAP_PBKDF2_SCHEMES[name];
  const { length, label } = DIGESTS[algorithm];
  const parts = body.split("$");
  if (parts.length !== 3) return invalid(`The {${name}} value must have the form <iterations>$<salt>$<derived key>.`);
  const [iterationText, saltText, keyText] = parts as [string, string, string];

  const iterations = parseIterations(iterationText);
  if (iterations === null) return invalid(PBKDF2_ITERATIONS_MESSAGE);
  const salt = decodeBase64(saltText, ADAPTED_BASE64_ALPHABET, "forbidden");
  if (!salt || salt.length === 0) return invalid(`The {${name}} salt must be non-empty adapted base64 (A-Za-z0-9./, no padding).`);
  const derivedKey = decodeBase64(keyText, ADAPTED_BASE64_ALPHABET, "forbidden");
  if (!derivedKey) return invalid(`The {${name}} derived key must be adapted base64 (A-Za-z0-9./, no padding).`);
  if (derivedKey.length !== length) {
    return invalid(`The {${name}} derived key must be ${length} bytes, the size of a ${label} digest.`);
  }
  return encoded({ family: "pbkdf2", scheme, algorithm, iterations, salt, derivedKey });
}

const CRYPT64 = "./0-9A-Za-z";

function parseShaCrypt(value: string, id: "5" | "6"): PasswordValue {
  const algorithm = id === "5" ? "sha256" : "sha512";
  const hashLength = id === "5" ? 43 : 86;
  const parts = value.slice(3).split("$");
  let rounds = 5000;
  if (parts[0]?.startsWith("rounds=")) {
    const roundsText = parts.shift()!.slice("rounds=".length);
    // glibc would clamp an out-of-range count when hashing, so a stored one can never be outside it.
    if (!/^[1-9]\d{3,8}$/.test(roundsText)) {
      return invalid("SHA-crypt rounds must be a whole number from 1000 to 999999999.");
    }
    rounds = Number(roundsText);
  }
  if (parts.length !== 2) return invalid(`The $${id}$ value must have the form $${id}$[rounds=<n>$]<salt>$<hash>.`);
  const [salt, hash] = parts as [string, string];
  if (!/^[./0-9A-Za-z]{0,16}$/.test(salt)) return invalid(`The $${id}$ salt must be at most 16 characters from ${CRYPT64}.`);
  if (hash.length !== hashLength || !/^[./0-9A-Za-z]*$/.test(hash)) {
    return invalid(`The $${id}$ hash must be exactly ${hashLength} characters from ${CRYPT64}.`);
  }
  return encoded({
    family: "sha-crypt",
    scheme: id === "5" ? "SHA256-CRYPT" : "SHA512-CRYPT",
    algorithm,
    rounds,
    salt,
    hash,
  });
}

function parseMd5Crypt(value: string): PasswordValue {
  const parts = value.slice(3).split("$");
  if (parts.length !== 2) return invalid("The $1$ value must have the form $1$<salt>$<hash>.");
  const [salt, hash] = parts as [string, string];
  if (!/^[./0-9A-Za-z]{0,8}$/.test(salt)) return invalid(`The $1$ salt must be at most 8 characters from ${CRYPT64}.`);
  if (!/^[./0-9A-Za-z]{22}$/.test(hash)) return invalid(`The $1$ hash must be exactly 22 characters from ${CRYPT64}.`);
  return encoded({ family: "md5-crypt", scheme: "MD5-CRYPT", salt, hash });
}

function parseDjango(value: string): PasswordValue {
  const parts = value.split("$");
  const algorithmName = parts[0] as "pbkdf2_sha256" | "pbkdf2_sha1";
  const algorithm = algorithmName === "pbkdf2_sha256" ? "sha256" : "sha1";
  const { length } = DIGESTS[algorithm];
  if (parts.length !== 4) {
    return invalid(`The Django ${algorithmName} value must have the form ${algorithmName}$<iterations>$<salt>$<base64 key>.`);
  }
  const [, iterationText, saltText, keyText] = parts as [string, string, string, string];
  const iterations = parseIterations(iterationText);
  if (iterations === null) return invalid(PBKDF2_ITERATIONS_MESSAGE);
  if (saltText.length === 0) return invalid(`The Django ${algorithmName} salt must not be empty.`);
  const derivedKey = decodeBase64(keyText, BASE64_ALPHABET, "optional");
  if (!derivedKey || derivedKey.length !== length) {
    return invalid(`The Django ${algorithmName} key must be the base64 of exactly ${length} bytes.`);
  }
  return encoded({
    family: "pbkdf2",
    scheme: algorithm === "sha256" ? "DJANGO-PBKDF2-SHA256" : "DJANGO-PBKDF2-SHA1",
    algorithm,
    iterations,
    // Django feeds its salt to PBKDF2 as text, not as decoded bytes.
    salt: utf8Bytes(saltText),
    derivedKey,
  });
}
