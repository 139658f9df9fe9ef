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

const PREFIX = /^(sha1|md5)\$/;

export const djangoDigest: PasswordFamily<DjangoDigestHash> = {
  family: "django-digest",
  prefixes: ["sha1$", "md5$"],
  parse(value) {
    const algorithm = PREFIX.exec(value)![1] as "sha1" | "md5";
    const length = algorithm === "sha1" ? 20 : 16;
    const parts = value.split("$");
    if (parts.length !== 3) return invalid(`The Django ${algorithm} value must have the form ${algorithm}$<salt>$<hex digest>.`);
    const digest = decodeHex(parts[2]!);
    if (!digest || digest.length !== length) return invalid(`The Django ${algorithm} digest must be ${length * 2} hex digits.`);
    return { family: "django-digest", scheme: algorithm === "sha1" ? "DJANGO-SHA1" : "DJANGO-MD5", algorithm, salt: parts[1]!, digest };
  },
  verify: (hash, candidate, p) => p.equal(p.digest(hash.algorithm, hash.salt, candidate), hash.digest),
  needsUpgrade: () => true,
  placement: () => "inline",
};
