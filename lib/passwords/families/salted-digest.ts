// {SSHA}, {SSHA256}, {SSHA384}, {SSHA512} (PingOne, OpenLDAP) and the legacy {SHA}, {SMD5}, {MD5}:
// base64(digest(password ‖ salt) ‖ salt), the unsalted ones simply with an empty salt.

import { BASE64_ALPHABET, decodeBase64 } from "../codec";
import { invalid, type DigestAlgorithm, type Invalid, type PasswordFamily } from "../family";

const DIGESTS = {
  md5: { length: 16, label: "MD5" },
  sha1: { length: 20, label: "SHA-1" },
  sha256: { length: 32, label: "SHA-256" },
  sha384: { length: 48, label: "SHA-384" },
  sha512: { length: 64, label: "SHA-512" },
} as const satisfies Record<DigestAlgorithm, { length: number; label: string }>;

const SCHEMES = {
  SSHA: { algorithm: "sha1", salted: true },
  SSHA256: { algorithm: "sha256", salted: true },
  SSHA384: { algorithm: "sha384", salted: true },
  SSHA512: { algorithm: "sha512", salted: true },
  SHA: { algorithm: "sha1", salted: false },
  SMD5: { algorithm: "md5", salted: true },
  MD5: { algorithm: "md5", salted: false },
} as const satisfies Record<string, { algorithm: DigestAlgorithm; salted: boolean }>;

type Scheme = keyof typeof SCHEMES;

export type SaltedDigestHash = {
  family: "salted-digest";
  scheme: Scheme;
  algorithm: DigestAlgorithm;
  digest: Uint8Array;
  /** Empty for the unsalted {SHA} and {MD5}. */
  salt: Uint8Array;
};

// Each braced prefix in upper case (the common spelling), with its scheme and digest: a
// verification parses the stored value every time, so finding the scheme must not build strings.
const PREFIXES = (Object.keys(SCHEMES) as Scheme[]).map((scheme) => ({ prefix: `{${scheme}}`, scheme, ...SCHEMES[scheme], ...DIGESTS[SCHEMES[scheme].algorithm] }));

function schemeOf(value: string): (typeof PREFIXES)[number] {
  for (const p of PREFIXES) if (value.startsWith(p.prefix)) return p;
  // Scheme names are case-insensitive (OpenLDAP): "{ssha}" is looked up in upper case.
  const upper = value.slice(0, value.indexOf("}") + 1).toUpperCase();
  return PREFIXES.find((p) => p.prefix === upper)!;
}

export const saltedDigest: PasswordFamily<SaltedDigestHash> = {
  family: "salted-digest",
  prefixes: PREFIXES.map((p) => p.prefix),
  parse(value): SaltedDigestHash | Invalid {
    const { prefix, scheme, algorithm, salted, length, label } = schemeOf(value);
    const bytes = decodeBase64(value, BASE64_ALPHABET, "optional", prefix.length);
    if (!bytes) return invalid(`The {${scheme}} value is not valid base64.`);
    if (salted) {
      // OpenLDAP refuses a salted value with no salt bytes at all; so do we.
      if (bytes.length <= length) return invalid(`The {${scheme}} value is too short to hold a ${label} digest and salt.`);
    } else if (bytes.length !== length) {
      return invalid(`The {${scheme}} value must decode to exactly ${length} bytes, the size of a ${label} digest.`);
    }
    return { family: "salted-digest", scheme, algorithm, digest: bytes.subarray(0, length), salt: bytes.subarray(length) };
  },
  verify: (hash, candidate, p) => p.equal(p.digest(hash.algorithm, candidate, hash.salt), hash.digest),
  needsUpgrade: () => true,
  placement: () => "inline",
};
