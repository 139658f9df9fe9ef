// fast-check generators of password values for the property tests: random text behind every
// accepted prefix (and some near ones), and real vectors mutated (characters changed, inserted,
// dropped, fields cut, numbers blown up). Plus an oracle, written apart from the families, of
// what "within the cost limits" means for a parsed value.
import fc from "fast-check";

import type { ParsedPasswordHash } from "../registry";
import type { CostLimits } from "../limits";
import { EXTRA, FIRST_WAVE, FIRST_WAVE_REJECTED, SECOND_WAVE, SECOND_WAVE_REJECTED } from "./vectors";

export const PREFIXES = [
  "{SSHA}", "{SSHA256}", "{SSHA512}", "{SHA}", "{SMD5}", "{MD5}", "{ssha}", "{BCRYPT}", "{ARGON2}", "{PBKDF2}", "{PBKDF2-SHA256}",
  "{PBKDF2-SHA512}", "{PKCS5S2}", "{CRYPT}", "{CRYPT}$", "{SCRYPT}", "{", "}", "{}", "$", "$$", "$2a$", "$2b$", "$2y$", "$2x$",
  "$argon2id$", "$argon2i$", "$argon2d$", "$argon2id$v=19$", "$5$", "$6$", "$6$rounds=", "$1$", "$apr1$", "$y$", "$gy$", "$y$j",
  "$7$", "$scrypt$", "$scrypt$ln=", "$P$", "$H$", "$sha1$", "$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$", "$firescrypt$",
  "$fbscrypt$", "$fbscrypt$v=1,", "pbkdf2_sha256$", "pbkdf2_sha1$", "pbkdf2:", "pbkdf2:sha256:", "pbkdf2:sha512:", "argon2$",
  "argon2$argon2id$", "bcrypt$", "bcrypt_sha256$", "bcrypt_sha256$$2b$", "sha1$", "md5$", "",
];

const SEEDS = [...FIRST_WAVE, ...SECOND_WAVE, ...EXTRA].map((v) => v.encoded).concat([...FIRST_WAVE_REJECTED, ...SECOND_WAVE_REJECTED].map((r) => r.encoded));

const CHARS = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+=$,:{}-_ ";
const hashChar = fc.constantFrom(...CHARS.split(""));
const hashText = fc.array(hashChar, { maxLength: 120 }).map((cs) => cs.join(""));
const anyText = fc.string({ maxLength: 120, unit: "grapheme" });
const bigNumber = fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.constantFrom("0", "00", "-1", "4294967295", "4294967296", "2147483648", "999999999"));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), char: hashChar }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: hashText }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("number" as const), which: fc.nat(), to: bigNumber }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 20 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(value: string, m: Mutation): string {
  const at = (n: number) => (value.length === 0 ? 0 : n % (value.length + 1));
  switch (m.kind) {
    case "replace":
      return value.slice(0, at(m.at)) + m.char + value.slice(at(m.at) + 1);
    case "insert":
      return value.slice(0, at(m.at)) + m.text + value.slice(at(m.at));
    case "delete":
      return value.slice(0, at(m.at)) + value.slice(at(m.at) + m.count);
    case "truncate":
      return value.slice(0, at(m.at));
    case "duplicate":
      return value.slice(0, at(m.at)) + value.slice(at(m.at), at(m.at) + m.count).repeat(2) + value.slice(at(m.at) + m.count);
    case "number": {
      const runs = [...value.matchAll(/\d+/g)];
      if (runs.length === 0) return value;
      const run = runs[m.which % runs.length]!;
      return value.slice(0, run.index) + m.to + value.slice(run.index! + run[0].length);
    }
  }
}

/** Values of every kind: mutated vectors, and random bodies behind every prefix. */
export const passwordValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([seed, ms]) => ms.reduce(mutate, seed)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), hashText).map(([p, body]) => p + body) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), anyText).map(([p, body]) => p + body) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), fc.constantFrom(...SEEDS)).map(([p, seed]) => p + seed) },
);

/** The oracle: is an accepted value's work within the limits? Written from the contract, not from the family modules. */
export function withinLimits(h: ParsedPasswordHash, limits: CostLimits): boolean {
  const scryptOk = (log2N: number, r: number, p: number) => 128 * 2 ** log2N * r <= limits.scryptMemoryMiB * 2 ** 20 && p <= limits.scryptParallelism;
  switch (h.family) {
    case "salted-digest":
    case "django-digest":
    case "md5-crypt":
      return true;
    case "bcrypt":
      return h.cost <= limits.bcryptCost;
    case "argon2":
      return h.memoryCost <= limits.argon2MemoryMiB * 1024 && h.timeCost <= limits.argon2Passes && h.parallelism <= limits.argon2Lanes;
    case "pbkdf2":
      return h.iterations <= limits.pbkdf2Iterations;
    case "sha-crypt":
      return h.rounds <= limits.shaCryptRounds;
    case "sha1-crypt":
      return h.rounds <= limits.sha1CryptRounds;
    case "phpass":
      return h.rounds <= limits.phpassRounds;
    case "scrypt":
      return scryptOk(h.log2N, h.r, h.p);
    case "yescrypt":
      return scryptOk(h.log2N, h.r, h.p) && h.t <= limits.yescryptTime;
  }
}
