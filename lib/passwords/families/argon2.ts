// Argon2 in PHC form: bare `$argon2id$`, `$argon2i$`, `$argon2d$` (what we write ourselves, and
// node argon2, argon2-cffi, libsodium), PingOne's `{ARGON2}$argon2id$…` (as OpenLDAP's argon2
// module writes it) and Django's `argon2$argon2id$…`.

import { BASE64_ALPHABET, decodeBase64 } from "../codec";
import { invalid, type Invalid, type ParseContext, type PasswordFamily } from "../family";
import { overLimit } from "../limits";

/** Parameters for new hashes: OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane). */
export const ARGON2ID_PARAMS = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

export type Argon2Type = "argon2id" | "argon2i" | "argon2d";
type Scheme = "ARGON2ID" | "ARGON2I" | "ARGON2D" | "DJANGO-ARGON2";

export type Argon2Hash = {
  family: "argon2";
  scheme: Scheme;
  type: Argon2Type;
  version: 16 | 19;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** True when the value carried a {ARGON2} or Django prefix. */
  prefixed: boolean;
  /** The PHC string without any prefix. */
  value: string;
};

const PREFIXES: readonly [prefix: RegExp, strip: number, django: boolean][] = [
  [/^\$argon2(id|i|d)\$/, 0, false],
  [/^\{ARGON2\}/i, "{ARGON2}".length, false],
  [/^argon2\$/, "argon2".length, true],
];

const PHC_MESSAGE =
  "The Argon2 value is not a well-formed PHC string: expected $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.";

export function parsePhc(value: string, ctx: ParseContext): Omit<Argon2Hash, "scheme" | "prefixed"> | Invalid {
  const match = /^\$(argon2id|argon2i|argon2d)\$v=(\d+)\$([^$]*)\$([^$]*)\$([^$]*)$/.exec(value);
  if (!match) return invalid(PHC_MESSAGE);
  const type = match[1] as Argon2Type;
  const [versionText, paramText, saltText, hashText] = match.slice(2) as [string, string, string, string];
  if (versionText !== "16" && versionText !== "19") return invalid("Argon2 version must be v=16 or v=19.");

  const params: Partial<Record<"m" | "t" | "p", number>> = {};
  for (const part of paramText.split(",")) {
    // PHC decimals have no sign and no leading zeros.
    const param = /^([mtp])=(0|[1-9]\d{0,9})$/.exec(part);
    if (!param) return invalid(PHC_MESSAGE);
    const key = param[1] as "m" | "t" | "p";
    if (params[key] !== undefined) return invalid(PHC_MESSAGE);
    params[key] = Number(param[2]);
  }
  const { m, t, p } = params;
  if (m === undefined || t === undefined || p === undefined) return invalid(PHC_MESSAGE);
  // The limits of the Argon2 specification (RFC 9106 §3.1).
  if (t < 1 || t > 2 ** 32 - 1 || p < 1 || p > 2 ** 24 - 1 || m < 8 * p || m > 2 ** 32 - 1) {
    return invalid("Argon2 parameters are out of range: t must be at least 1, p from 1 to 16777215, and m at least 8 × p.");
  }

  const salt = decodeBase64(saltText, BASE64_ALPHABET, "forbidden");
  const hash = decodeBase64(hashText, BASE64_ALPHABET, "forbidden");
  if (!salt || !hash) return invalid("The Argon2 salt and hash must be unpadded base64.");
  if (salt.length < 8) return invalid("The Argon2 salt must be at least 8 bytes.");
  if (hash.length < 4) return invalid("The Argon2 hash must be at least 4 bytes.");

  const { limits } = ctx;
  if (m > limits.argon2MemoryMiB * 1024) return invalid(overLimit("Argon2 memory", `${Math.ceil(m / 1024)}`, "argon2MemoryMiB", limits, " MiB"));
  if (t > limits.argon2Passes) return invalid(overLimit("Argon2 pass count", t, "argon2Passes", limits));
  if (p > limits.argon2Lanes) return invalid(overLimit("Argon2 lane count", p, "argon2Lanes", limits));

  return { family: "argon2", type, version: versionText === "16" ? 16 : 19, memoryCost: m, timeCost: t, parallelism: p, value };
}

export const argon2: PasswordFamily<Argon2Hash> = {
  family: "argon2",
  cryptForm: true,
  prefixes: ["$argon2id$", "$argon2i$", "$argon2d$", "{ARGON2}", "argon2$"],
  parse(value, ctx) {
    const [, strip, django] = PREFIXES.find(([prefix]) => prefix.test(value))!;
    const parsed = parsePhc(value.slice(strip), ctx);
    if ("kind" in parsed) return parsed;
    const scheme: Scheme = django ? "DJANGO-ARGON2" : (parsed.type.toUpperCase() as Scheme);
    return { ...parsed, scheme, prefixed: strip > 0 };
  },
  // The argon2 package handles argon2i/d/id alike and compares in constant time.
  verify: (hash, candidate, p) => p.argon2Verify(hash.value, p.utf8(candidate)),
  needsUpgrade: (hash) =>
    hash.prefixed ||
    hash.type !== "argon2id" ||
    hash.version !== 19 ||
    hash.memoryCost < ARGON2ID_PARAMS.memoryCost ||
    hash.timeCost < ARGON2ID_PARAMS.timeCost ||
    hash.parallelism < ARGON2ID_PARAMS.parallelism,
  // Native and asynchronous already; no dearer than what we write, so client secrets and
  // every hash made here never wait behind imported ones.
  placement: (hash) =>
    hash.memoryCost <= ARGON2ID_PARAMS.memoryCost && hash.timeCost <= ARGON2ID_PARAMS.timeCost && hash.parallelism <= ARGON2ID_PARAMS.parallelism
      ? "inline"
      : "pool",
};
