// phpass portable hashes: WordPress `$P$` and phpBB `$H$` (the same algorithm).
// $P$ <one crypt64 digit: log2 of the rounds> <8 salt characters> <22 characters: crypt64 of an MD5>
// hash = md5(salt ‖ password), then 2^n times hash = md5(hash ‖ password).

import { crypt64Value, encodeCrypt64, isCanonicalCrypt64 } from "../codec";
import { invalid, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

export type PhpassHash = {
  family: "phpass";
  scheme: "PHPASS";
  rounds: number;
  salt: string;
  hash: string;
};


export const phpass: PasswordFamily<PhpassHash> = {
  family: "phpass",
  prefixes: ["$P$", "$H$"],
  parse(value, ctx) {
    const id = value.slice(0, 3);
    if (!/^\$[PH]\$[./0-9A-Za-z]{31}$/.test(value)) {
      return invalid(`The ${id} value must be 34 characters: ${id}, one rounds digit, an 8-character salt and a 22-character hash, all from ./0-9A-Za-z.`);
    }
    const log2 = crypt64Value(value[3]);
    // phpass itself refuses counts outside 2^7 … 2^30.
    if (log2 < 7 || log2 > 30) return invalid(`The ${id} rounds digit must stand for 2^7 to 2^30 rounds.`);
    if (!isCanonicalCrypt64(value.slice(12))) return invalid(`The ${id} hash is not valid crypt64: no password would ever match it.`);
    const rounds = 2 ** log2;
    if (rounds > ctx.limits.phpassRounds) return invalid(overLimit("phpass round count", rounds, "phpassRounds", ctx.limits));
    return { family: "phpass", scheme: "PHPASS", rounds, salt: value.slice(4, 12), hash: value.slice(12) };
  },
  verify(hash, candidate, p) {
    const password = p.utf8(candidate);
    let digest = p.digest("md5", p.utf8(hash.salt), password);
    for (let i = 0; i < hash.rounds; i++) digest = p.digest("md5", digest, password);
    return p.equal(p.utf8(encodeCrypt64(digest)), p.utf8(hash.hash));
  },
  needsUpgrade: () => true,
  placement: () => "pool",
};
