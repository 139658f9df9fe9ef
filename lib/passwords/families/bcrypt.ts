// bcrypt: bare `$2a$`, `$2b$`, `$2y$`, PingOne's `{BCRYPT}$2b$…`, and Django's `bcrypt$$2b$…` and
// `bcrypt_sha256$$2b$…` (bcrypt of the lower-case hex SHA-256 of the password, Django 1.6+).

import { bytesToHex } from "../codec";
import { invalid, type Invalid, type ParseContext, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

type Scheme = "BCRYPT" | "DJANGO-BCRYPT" | "DJANGO-BCRYPT-SHA256";

export type BcryptHash = {
  family: "bcrypt";
  scheme: Scheme;
  cost: number;
  /** The modular-crypt string without any prefix. */
  value: string;
  /** Django's bcrypt_sha256 pre-hash. */
  preHash: "sha256-hex" | null;
};

const SETTING_LENGTH = "$2b$10$".length + 22;

const PREFIXES: readonly [prefix: RegExp, scheme: Scheme, strip: number][] = [
  [/^\$2[aby]\$/, "BCRYPT", 0],
  [/^\{BCRYPT\}/i, "BCRYPT", "{BCRYPT}".length],
  [/^bcrypt\$/, "DJANGO-BCRYPT", "bcrypt$".length],
  [/^bcrypt_sha256\$/, "DJANGO-BCRYPT-SHA256", "bcrypt_sha256$".length],
];

/** Parses the modular-crypt part; shared by every spelling. */
export function parseBcryptString(value: string, ctx: ParseContext): { cost: number } | Invalid {
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
  if (cost > ctx.limits.bcryptCost) return invalid(overLimit("bcrypt cost", cost, "bcryptCost", ctx.limits));
  return { cost };
}

export const bcrypt: PasswordFamily<BcryptHash> = {
  family: "bcrypt",
  cryptForm: true,
  prefixes: ["$2a$", "$2b$", "$2y$", "{BCRYPT}", "bcrypt$", "bcrypt_sha256$"],
  parse(value, ctx) {
    const [, scheme, strip] = PREFIXES.find(([prefix]) => prefix.test(value))!;
    const inner = value.slice(strip);
    const parsed = parseBcryptString(inner, ctx);
    if ("kind" in parsed) return parsed;
    return { family: "bcrypt", scheme, cost: parsed.cost, value: inner, preHash: scheme === "DJANGO-BCRYPT-SHA256" ? "sha256-hex" : null };
  },
  verify(hash, candidate, p) {
    const password = hash.preHash ? bytesToHex(p.digest("sha256", p.utf8(candidate))) : candidate;
    // $2a$, $2b$ and $2y$ differ only in bugs of old C implementations, not in the algorithm.
    // Only the 31-character digest is compared: bcryptjs re-encodes the salt, which would turn a
    // harmless non-canonical last salt character into a false mismatch.
    const computed = p.bcrypt(password, hash.value.slice(0, SETTING_LENGTH));
    return p.equal(p.utf8(computed.slice(SETTING_LENGTH)), p.utf8(hash.value.slice(SETTING_LENGTH)));
  },
  needsUpgrade: () => true,
  placement: () => "pool",
};
