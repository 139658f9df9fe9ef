// PBKDF2 in the five layouts that migrations bring. They differ only in how the parameters,
// salt and key are written down; the verification is one.
//   PingOne / OpenLDAP pw-pbkdf2  {PBKDF2-SHA256}<iterations>$<salt>$<key>        adapted base64
//   Django                        pbkdf2_sha256$<iterations>$<salt text>$<key>     base64; the salt is text
//   passlib                       $pbkdf2-sha256$<rounds>$<salt>$<key>             adapted base64
//   Atlassian (Jira, Confluence)  {PKCS5S2}base64(16-byte salt ‖ 32-byte key)      SHA-1, 10,000 iterations
//   Werkzeug (Flask)              pbkdf2:sha256:<iterations>$<salt text>$<hex key>

import { ADAPTED_BASE64_ALPHABET, BASE64_ALPHABET, decodeBase64, decodeHex, utf8Bytes } from "../codec";
import { invalid, parseCount, type DigestAlgorithm, type Invalid, type ParseContext, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

type Pbkdf2Algorithm = Extract<DigestAlgorithm, "sha1" | "sha256" | "sha512">;

type Scheme =
  | "PBKDF2-SHA1"
  | "PBKDF2-SHA256"
  | "PBKDF2-SHA512"
  | "DJANGO-PBKDF2-SHA256"
  | "DJANGO-PBKDF2-SHA1"
  | "PASSLIB-PBKDF2-SHA1"
  | "PASSLIB-PBKDF2-SHA256"
  | "PASSLIB-PBKDF2-SHA512"
  | "ATLASSIAN-PBKDF2-SHA1"
  | "WERKZEUG-PBKDF2-SHA1"
  | "WERKZEUG-PBKDF2-SHA256"
  | "WERKZEUG-PBKDF2-SHA512";

export type Pbkdf2Hash = {
  family: "pbkdf2";
  scheme: Scheme;
  algorithm: Pbkdf2Algorithm;
  iterations: number;
  salt: Uint8Array;
  derivedKey: Uint8Array;
};

const DIGEST_LENGTH = { sha1: 20, sha256: 32, sha512: 64 } as const;
const DIGEST_LABEL = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" } as const;

// Node's pbkdf2 takes a signed 32-bit iteration count.
const MAX_ITERATIONS = 2 ** 31 - 1;
const ITERATIONS_MESSAGE = `The PBKDF2 iteration count must be a whole number from 1 to ${MAX_ITERATIONS}.`;

function iterationsOf(text: string, ctx: ParseContext): number | Invalid {
  const n = parseCount(text);
  if (n === null || n < 1 || n > MAX_ITERATIONS) return invalid(ITERATIONS_MESSAGE);
  if (n > ctx.limits.pbkdf2Iterations) return invalid(overLimit("PBKDF2 iteration count", n, "pbkdf2Iterations", ctx.limits));
  return n;
}

function shared(parse: PasswordFamily<Pbkdf2Hash>["parse"], prefixes: readonly string[]): PasswordFamily<Pbkdf2Hash> {
  return {
    family: "pbkdf2",
    prefixes,
    parse,
    verify: (hash, candidate, p) =>
      p.equal(p.pbkdf2(hash.algorithm, p.utf8(candidate), hash.salt, hash.iterations, hash.derivedKey.length), hash.derivedKey),
    needsUpgrade: () => true,
    placement: () => "pool",
  };
}

// pw-pbkdf2 names SHA-1 both "{PBKDF2}" and "{PBKDF2-SHA1}".
const LDAP_SCHEMES = {
  PBKDF2: { algorithm: "sha1", scheme: "PBKDF2-SHA1" },
  "PBKDF2-SHA1": { algorithm: "sha1", scheme: "PBKDF2-SHA1" },
  "PBKDF2-SHA256": { algorithm: "sha256", scheme: "PBKDF2-SHA256" },
  "PBKDF2-SHA512": { algorithm: "sha512", scheme: "PBKDF2-SHA512" },
} as const satisfies Record<string, { algorithm: Pbkdf2Algorithm; scheme: Scheme }>;
const LDAP_PREFIX = /^\{(PBKDF2|PBKDF2-SHA1|PBKDF2-SHA256|PBKDF2-SHA512)\}/i;

export const ldapPbkdf2 = shared((value, ctx) => {
  const match = LDAP_PREFIX.exec(value)!;
  const name = match[1]!.toUpperCase() as keyof typeof LDAP_SCHEMES;
  const { algorithm, scheme } = LDAP_SCHEMES[name];
  const parts = value.slice(match[0].length).split("$");
  if (parts.length !== 3) return invalid(`The {${name}} value must have the form <iterations>$<salt>$<derived key>.`);
  const [iterationText, saltText, keyText] = parts as [string, string, string];
  const iterations = iterationsOf(iterationText, ctx);
  if (typeof iterations !== "number") return iterations;
  const salt = decodeBase64(saltText, ADAPTED_BASE64_ALPHABET, "forbidden");
  if (!salt || salt.length === 0) return invalid(`The {${name}} salt must be non-empty adapted base64 (A-Za-z0-9./, no padding).`);
  const derivedKey = decodeBase64(keyText, ADAPTED_BASE64_ALPHABET, "forbidden");
  if (!derivedKey) return invalid(`The {${name}} derived key must be adapted base64 (A-Za-z0-9./, no padding).`);
  if (derivedKey.length !== DIGEST_LENGTH[algorithm]) {
    return invalid(`The {${name}} derived key must be ${DIGEST_LENGTH[algorithm]} bytes, the size of a ${DIGEST_LABEL[algorithm]} digest.`);
  }
  return { family: "pbkdf2", scheme, algorithm, iterations, salt, derivedKey };
}, Object.keys(LDAP_SCHEMES).map((name) => `{${name}}`));

const DJANGO_PREFIX = /^(pbkdf2_sha256|pbkdf2_sha1)\$/;

export const djangoPbkdf2 = shared((value, ctx) => {
  const name = DJANGO_PREFIX.exec(value)![1] as "pbkdf2_sha256" | "pbkdf2_sha1";
  const algorithm = name === "pbkdf2_sha256" ? "sha256" : "sha1";
  const length = DIGEST_LENGTH[algorithm];
  const parts = value.split("$");
  if (parts.length !== 4) return invalid(`The Django ${name} value must have the form ${name}$<iterations>$<salt>$<base64 key>.`);
  const [, iterationText, saltText, keyText] = parts as [string, string, string, string];
  const iterations = iterationsOf(iterationText, ctx);
  if (typeof iterations !== "number") return iterations;
  if (saltText.length === 0) return invalid(`The Django ${name} salt must not be empty.`);
  const derivedKey = decodeBase64(keyText, BASE64_ALPHABET, "optional");
  if (!derivedKey || derivedKey.length !== length) return invalid(`The Django ${name} key must be the base64 of exactly ${length} bytes.`);
  return {
    family: "pbkdf2",
    scheme: algorithm === "sha256" ? "DJANGO-PBKDF2-SHA256" : "DJANGO-PBKDF2-SHA1",
    algorithm,
    iterations,
    // Django feeds its salt to PBKDF2 as text, not as decoded bytes.
    salt: utf8Bytes(saltText),
    derivedKey,
  };
}, ["pbkdf2_sha256$", "pbkdf2_sha1$"]);

const PASSLIB_PREFIX = /^\$(pbkdf2|pbkdf2-sha256|pbkdf2-sha512)\$/;

export const passlibPbkdf2 = shared((value, ctx) => {
  const id = PASSLIB_PREFIX.exec(value)![1]!;
  const algorithm: Pbkdf2Algorithm = id === "pbkdf2" ? "sha1" : id === "pbkdf2-sha256" ? "sha256" : "sha512";
  const parts = value.slice(id.length + 2).split("$");
  if (parts.length !== 3) return invalid(`The $${id}$ value must have the form $${id}$<rounds>$<salt>$<key>.`);
  const [roundsText, saltText, keyText] = parts as [string, string, string];
  const iterations = iterationsOf(roundsText, ctx);
  if (typeof iterations !== "number") return iterations;
  const salt = decodeBase64(saltText, ADAPTED_BASE64_ALPHABET, "forbidden");
  if (!salt) return invalid(`The $${id}$ salt must be adapted base64 (A-Za-z0-9./, no padding).`);
  const derivedKey = decodeBase64(keyText, ADAPTED_BASE64_ALPHABET, "forbidden");
  if (!derivedKey || derivedKey.length !== DIGEST_LENGTH[algorithm]) {
    return invalid(`The $${id}$ key must be ${DIGEST_LENGTH[algorithm]} bytes in adapted base64 (A-Za-z0-9./, no padding).`);
  }
  const scheme = `PASSLIB-PBKDF2-${algorithm.toUpperCase()}` as Scheme;
  return { family: "pbkdf2", scheme, algorithm, iterations, salt, derivedKey };
}, ["$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$"]);

export const atlassianPbkdf2 = shared((value, ctx) => {
  const bytes = decodeBase64(value.slice("{PKCS5S2}".length), BASE64_ALPHABET, "optional");
  if (!bytes || bytes.length !== 48) {
    return invalid("The {PKCS5S2} value must be the base64 of 48 bytes: a 16-byte salt and a 32-byte PBKDF2-SHA1 key.");
  }
  // The format fixes the count; a server configured below it still refuses these.
  const iterations = iterationsOf("10000", ctx);
  if (typeof iterations !== "number") return iterations;
  return { family: "pbkdf2", scheme: "ATLASSIAN-PBKDF2-SHA1", algorithm: "sha1", iterations, salt: bytes.slice(0, 16), derivedKey: bytes.slice(16) };
}, ["{PKCS5S2}"]);

export const werkzeugPbkdf2 = shared((value, ctx) => {
  const dollar = value.indexOf("$");
  const method = dollar === -1 ? value : value.slice(0, dollar);
  const parts = value.split("$");
  const args = /^pbkdf2:(sha1|sha256|sha512)(?::(.*))?$/.exec(method);
  if (!args || parts.length !== 3) {
    return invalid("The Werkzeug value must have the form pbkdf2:sha256:<iterations>$<salt>$<hex key> (sha1, sha256 or sha512).");
  }
  const algorithm = args[1] as Pbkdf2Algorithm;
  // Without a count Werkzeug uses its own version's default, which has changed with nearly every release.
  if (args[2] === undefined) {
    return invalid("The Werkzeug value names no iteration count: write it as pbkdf2:<hash>:<iterations>$…, with the count of the Werkzeug version that made it.");
  }
  const iterations = iterationsOf(args[2], ctx);
  if (typeof iterations !== "number") return iterations;
  const [, saltText, keyText] = parts as [string, string, string];
  const derivedKey = decodeHex(keyText);
  if (!derivedKey || derivedKey.length !== DIGEST_LENGTH[algorithm]) {
    return invalid(`The Werkzeug key must be ${DIGEST_LENGTH[algorithm] * 2} hex digits, a ${DIGEST_LABEL[algorithm]} digest.`);
  }
  const scheme = `WERKZEUG-PBKDF2-${algorithm.toUpperCase()}` as Scheme;
  return { family: "pbkdf2", scheme, algorithm, iterations, salt: utf8Bytes(saltText), derivedKey };
}, ["pbkdf2:"]);
