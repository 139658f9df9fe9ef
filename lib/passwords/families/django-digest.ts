// Django's salted digests `sha1$<salt>$<hex>` and `md5$<salt>$<hex>`: hex(digest(salt ‖ password)).
// An empty salt is Django's unsalted form (`sha1$$<hex>`), the same formula.

import { decodeHex } from "../codec";
import { invalid, type PasswordFamily } from "../family";

export type DjangoDigestHash = {
  family: "django-digest";
  scheme: "DJANGO-SHA1" | "DJANGO-MD5";
  algorithm: "sha1" | "md5";
  salt: string;
  digest: Uint8Array;
};


export const djangoDigest: PasswordFamily<DjangoDigestHash> = {
  family: "django-digest",
  prefixes: ["sha1$", "md5$"],
  parse(value) {
    // Parsed with indexOf rather than a regular expression and split: a verification parses the
    // stored value every time, and this digest costs only a couple of microseconds itself.
    const algorithm = value.startsWith("sha1$") ? "sha1" : "md5";
    const length = algorithm === "sha1" ? 20 : 16;
    const saltStart = algorithm.length + 1;
    const saltEnd = value.indexOf("$", saltStart);
    if (saltEnd < 0 || value.indexOf("$", saltEnd + 1) >= 0) return invalid(`The Django ${algorithm} value must have the form ${algorithm}$<salt>$<hex digest>.`);
    const digest = value.length - saltEnd - 1 === length * 2 ? decodeHex(value, saltEnd + 1) : null;
    if (!digest) return invalid(`The Django ${algorithm} digest must be ${length * 2} hex digits.`);
    return { family: "django-digest", scheme: algorithm === "sha1" ? "DJANGO-SHA1" : "DJANGO-MD5", algorithm, salt: value.slice(saltStart, saltEnd), digest };
  },
  verify: (hash, candidate, p) => p.equal(p.digest(hash.algorithm, hash.salt, candidate), hash.digest),
  needsUpgrade: () => true,
  placement: () => "inline",
};
