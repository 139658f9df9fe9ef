// NetBSD's SHA1-crypt `$sha1$<rounds>$<salt>$<28 characters>`, as passlib's sha1_crypt writes it:
// HMAC-SHA1 keyed with the password, first over "<salt>$sha1$<rounds>", then over its own
// output, `rounds` times in all; the 20 bytes are shuffled and written in crypt64.

import { encodeCrypt64 } from "../codec";
import { invalid, parseCount, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

export type Sha1CryptHash = {
  family: "sha1-crypt";
  scheme: "SHA1-CRYPT";
  rounds: number;
  salt: string;
  hash: string;
};

// passlib's _chk_offsets: the byte order of the output (the last group is padded with byte 0).
const OFFSETS = [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 17, 16, 15, 0, 19, 18];


export const sha1Crypt: PasswordFamily<Sha1CryptHash> = {
  family: "sha1-crypt",
  cryptForm: true,
  prefixes: ["$sha1$"],
  parse(value, ctx) {
    const parts = value.slice("$sha1$".length).split("$");
    if (parts.length !== 3) return invalid("The $sha1$ value must have the form $sha1$<rounds>$<salt>$<hash>.");
    const [roundsText, salt, hash] = parts as [string, string, string];
    const rounds = parseCount(roundsText);
    if (rounds === null || rounds < 1 || rounds > 2 ** 32 - 1) return invalid("The $sha1$ rounds must be a whole number from 1 to 4294967295, without leading zeros.");
    if (!/^[./0-9A-Za-z]{1,64}$/.test(salt)) return invalid("The $sha1$ salt must be 1 to 64 characters from ./0-9A-Za-z.");
    if (!/^[./0-9A-Za-z]{28}$/.test(hash)) return invalid("The $sha1$ hash must be exactly 28 characters from ./0-9A-Za-z.");
    if (rounds > ctx.limits.sha1CryptRounds) return invalid(overLimit("SHA1-crypt round count", rounds, "sha1CryptRounds", ctx.limits));
    return { family: "sha1-crypt", scheme: "SHA1-CRYPT", rounds, salt, hash };
  },
  verify(hash, candidate, p) {
    const key = p.utf8(candidate);
    let result = p.utf8(`${hash.salt}$sha1$${hash.rounds}`);
    for (let i = 0; i < hash.rounds; i++) result = p.hmac("sha1", key, result);
    const shuffled = Uint8Array.from(OFFSETS, (o) => result[o]!);
    return p.equal(p.utf8(encodeCrypt64(shuffled)), p.utf8(hash.hash));
  },
  needsUpgrade: () => true,
  placement: () => "pool",
};
