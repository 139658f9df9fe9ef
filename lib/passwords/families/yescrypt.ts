// yescrypt `$y$` (Debian 11+, Fedora, Ubuntu 22.04+ /etc/shadow) and GOST yescrypt `$gy$`, as
// libxcrypt writes them. No JavaScript implementation exists: verification calls the system's
// libxcrypt through a small addon (native/xcrypt.c). Where the addon is missing, the server
// refuses these values at import rather than store hashes it can never check.
//
// $y$<flavor><log2 N><r>[<have><p><t>]$<salt>$<43-character hash>; each parameter is one of
// yescrypt's variable-length crypt64 numbers (decode64_uint32 in libxcrypt's yescrypt-common.c).

import { crypt64Value, isCanonicalCrypt64 } from "../codec";
import { invalid, type PasswordFamily } from "../family";
import { overLimit } from "../limits";
import { checkScryptCost } from "./scrypt";

export type YescryptHash = {
  family: "yescrypt";
  scheme: "YESCRYPT" | "GOST-YESCRYPT";
  log2N: number;
  r: number;
  p: number;
  t: number;
  /** The whole modular-crypt string: libxcrypt takes it as the setting and returns it on a match. */
  value: string;
};

/**
 * One variable-length number at `pos`: a first digit below 48 stands alone; higher first digits
 * announce one, two, … more digits (libxcrypt's tiers 48-55, 56-59, …). Numbers of more than
 * three digits are far beyond any limit here and are refused as such.
 */
function decodeNumber(text: string, pos: number, min: number): { value: number; next: number } | null {
  const first = crypt64Value(text[pos]);
  if (first < 0) return null;
  const tiers = [[0, 48], [48, 56], [56, 60]] as const;
  const tier = tiers.findIndex(([start, end]) => first >= start && first < end);
  if (tier < 0) return null;
  let value = min;
  for (let i = 0; i < tier; i++) value += (tiers[i]![1] - tiers[i]![0]) * 64 ** i;
  value += (first - tiers[tier]![0]) * 64 ** tier;
  for (let i = tier - 1; i >= 0; i--) {
    const digit = crypt64Value(text[++pos]);
    if (digit < 0) return null;
    value += digit * 64 ** i;
  }
  return { value, next: pos + 1 };
}

const NOT_AVAILABLE =
  "yescrypt hashes ($y$, $gy$) cannot be checked on this server: its libxcrypt binding is not available on this platform. Import these users with a password gateway, or install libxcrypt and rebuild (npm rebuild).";
const PREFIX = /^\$(y|gy)\$/;

export const yescrypt: PasswordFamily<YescryptHash> = {
  family: "yescrypt",
  cryptForm: true,
  prefixes: ["$y$", "$gy$"],
  parse(value, ctx) {
    const id = PREFIX.exec(value)![1]!;
    const form = `$${id}$`;
    const match = /^\$g?y\$([./0-9A-Za-z]+)\$([./0-9A-Za-z]{0,86})\$([./0-9A-Za-z]{43})$/.exec(value);
    if (!match) return invalid(`The ${form} value must have the form ${form}<parameters>$<salt>$<43-character hash>, all from ./0-9A-Za-z.`);
    if (!isCanonicalCrypt64(match[2]!) || !isCanonicalCrypt64(match[3]!)) {
      return invalid(`The ${form} salt or hash is not valid crypt64: libxcrypt would never match it.`);
    }
    const params = match[1]!;
    const malformed = invalid(`The ${form} parameters are malformed or beyond every limit.`);
    // libxcrypt knows three flavours: classic scrypt ("."), its WORM mode ("/") and yescrypt proper ("j").
    if (!".j/".includes(params[0]!)) return malformed;
    const n = decodeNumber(params, 1, 1);
    const r = n && decodeNumber(params, n.next, 1);
    if (!r) return malformed;
    let p = 1;
    let t = 0;
    let next = r.next;
    if (next < params.length) {
      const have = decodeNumber(params, next, 1);
      // libxcrypt's crypt accepts p (bit 1) and t (bit 2); upgrades and ROMs (bits 4, 8) it refuses.
      if (!have || (have.value & ~3) !== 0) return malformed;
      next = have.next;
      if (have.value & 1) {
        const pField = decodeNumber(params, next, 2);
        if (!pField) return malformed;
        p = pField.value;
        next = pField.next;
      }
      if (have.value & 2) {
        const tField = decodeNumber(params, next, 1);
        if (!tField) return malformed;
        t = tField.value;
        next = tField.next;
      }
    }
    if (next !== params.length) return malformed;
    const cost = checkScryptCost(n.value, r.value, p, ctx, "yescrypt");
    if (cost) return cost;
    if (t > ctx.limits.yescryptTime) return invalid(overLimit("yescrypt time factor", t, "yescryptTime", ctx.limits));
    if (!ctx.yescrypt) return invalid(NOT_AVAILABLE);
    return { family: "yescrypt", scheme: id === "y" ? "YESCRYPT" : "GOST-YESCRYPT", log2N: n.value, r: r.value, p, t, value };
  },
  verify(hash, candidate, p) {
    const computed = p.crypt(p.utf8(candidate), hash.value);
    return computed !== null && p.equal(p.utf8(computed), p.utf8(hash.value));
  },
  needsUpgrade: () => true,
  placement: () => "pool",
};
