// MD5-crypt `$1$` (Poul-Henning Kamp's, as glibc and libxcrypt write it) and Apache's `$apr1$`
// (`htpasswd -m`), which is the same algorithm with "$apr1$" as its magic string.

import { invalid, type Primitives, type PasswordFamily } from "../family";
import { crypt64Word, encodeShuffled, repeatTo } from "./sha-crypt";

export type Md5CryptHash = {
  family: "md5-crypt";
  scheme: "MD5-CRYPT" | "APR1-MD5";
  magic: "$1$" | "$apr1$";
  salt: string;
  hash: string;
};

const MD5_ORDER = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const;
const ZERO = Uint8Array.of(0);

export function md5Crypt(p: Primitives, magic: string, password: Uint8Array, salt: Uint8Array): string {
  const alternate = p.digest("md5", password, salt, password);
  const parts = [password, p.utf8(magic), salt, repeatTo(alternate, password.length)];
  // Poul-Henning Kamp's original quirk: a zero byte for set bits, the first password byte otherwise.
  for (let n = password.length; n > 0; n >>= 1) parts.push(n & 1 ? ZERO : password.subarray(0, 1));
  let digest = p.digest("md5", ...parts);

  for (let i = 0; i < 1000; i++) {
    const round: Uint8Array[] = [i & 1 ? password : digest];
    if (i % 3) round.push(salt);
    if (i % 7) round.push(password);
    round.push(i & 1 ? digest : password);
    digest = p.digest("md5", ...round);
  }
  return encodeShuffled(digest, MD5_ORDER) + crypt64Word(0, 0, digest[11]!, 2);
}

const PREFIX = /^\$(1|apr1)\$/;

export const md5CryptFamily: PasswordFamily<Md5CryptHash> = {
  family: "md5-crypt",
  cryptForm: true,
  prefixes: ["$1$", "$apr1$"],
  parse(value) {
    const magic = PREFIX.exec(value)![0] as Md5CryptHash["magic"];
    const parts = value.slice(magic.length).split("$");
    if (parts.length !== 2) return invalid(`The ${magic} value must have the form ${magic}<salt>$<hash>.`);
    const [salt, hash] = parts as [string, string];
    if (!/^[./0-9A-Za-z]{0,8}$/.test(salt)) return invalid(`The ${magic} salt must be at most 8 characters from ./0-9A-Za-z.`);
    if (!/^[./0-9A-Za-z]{22}$/.test(hash)) return invalid(`The ${magic} hash must be exactly 22 characters from ./0-9A-Za-z.`);
    return { family: "md5-crypt", scheme: magic === "$1$" ? "MD5-CRYPT" : "APR1-MD5", magic, salt, hash };
  },
  verify: (hash, candidate, p) => p.equal(p.utf8(md5Crypt(p, hash.magic, p.utf8(candidate), p.utf8(hash.salt))), p.utf8(hash.hash)),
  needsUpgrade: () => true,
  placement: () => "pool",
};
