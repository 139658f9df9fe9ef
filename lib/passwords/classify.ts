// Which accepted form a password value is in, if any, and whether it is well-formed and within
// the cost limits (contract §3.2). Imported by browser code for live form feedback, so it and
// everything it imports stay free of Node-only modules; verification is in index.ts.
// Messages never echo the value: it may be a real password someone mistyped.

import type { Invalid, ParseContext, PasswordFamily } from "./family";
import { DEFAULT_COST_LIMITS } from "./limits";
import { PASSWORD_FAMILIES, type ParsedPasswordHash, type PasswordScheme } from "./registry";

export type { ParsedPasswordHash, PasswordScheme } from "./registry";

export type PasswordClassification = { kind: "cleartext" } | { kind: "encoded"; scheme: PasswordScheme } | Invalid;

export type PasswordValue = { kind: "cleartext" } | { kind: "encoded"; hash: ParsedPasswordHash } | Invalid;

/** A value resolved to the family that parsed it (what verification needs). */
export type ResolvedPasswordValue =
  | { kind: "cleartext" }
  | Invalid
  | { kind: "encoded"; hash: ParsedPasswordHash; family: PasswordFamily<ParsedPasswordHash>; wrapped: boolean };

// Until the server installs its configured context (lib/passwords/settings.ts), and always in
// the browser: the default limits, and yescrypt presumed available (the server re-checks both).
const DEFAULT_CONTEXT: ParseContext = { limits: DEFAULT_COST_LIMITS, yescrypt: true };
// On globalThis: Next.js may evaluate this module once per bundle layer, and dev reloads it.
const CONTEXT_KEY = Symbol.for("identity-import.passwords.parse-context");
type ContextHolder = { [CONTEXT_KEY]?: () => ParseContext };

/** Installs where the server's limits and platform come from (called by lib/passwords/settings.ts). */
export function installParseContext(provider: () => ParseContext): void {
  (globalThis as ContextHolder)[CONTEXT_KEY] = provider;
}

export function currentParseContext(): ParseContext {
  return (globalThis as ContextHolder)[CONTEXT_KEY]?.() ?? DEFAULT_CONTEXT;
}

// PingOne accepts these, but their byte layouts are not public, so we cannot verify them.
const NOT_YET_SUPPORTED = new Set(["SCRYPT", "SCRYPT_RFC7914", "MSKCC_PBKDF2"]);

// The unknown name is never echoed: "{Summer2024}" may well be somebody's password.
const NO_KNOWN_SCHEME = (lead: "{" | "$") =>
  `The value starts with "${lead}" but names no supported password scheme; a cleartext password cannot start with "{" or "$".`;

// One lookup instead of asking every family: the prefix a value is claimed by, to its family.
const BY_PREFIX = new Map<string, PasswordFamily<ParsedPasswordHash>>();
for (const family of PASSWORD_FAMILIES as readonly PasswordFamily<ParsedPasswordHash>[]) {
  for (const prefix of family.prefixes) {
    const key = prefix.startsWith("{") ? prefix.toUpperCase() : prefix;
    if (BY_PREFIX.has(key)) throw new Error(`two password families claim ${prefix}`);
    BY_PREFIX.set(key, family);
  }
}

/** The prefix that could claim a value: its braced name (upper-cased), its modular-crypt id, or its first word up to "$" or ":". */
function claimKey(value: string): string | null {
  const first = value.charCodeAt(0);
  if (first === 0x7b /* { */) {
    const end = value.indexOf("}");
    return end < 0 ? null : value.slice(0, end + 1).toUpperCase();
  }
  if (first === 0x24 /* $ */) {
    const end = value.indexOf("$", 1);
    return end < 0 ? null : value.slice(0, end + 1);
  }
  // The longest word prefix is "bcrypt_sha256$".
  for (let i = 1; i < value.length && i < 16; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x24 /* $ */ || c === 0x3a /* : */) return value.slice(0, i + 1);
  }
  return null;
}

function parseWith(family: PasswordFamily<ParsedPasswordHash>, value: string, ctx: ParseContext, wrapped: boolean): ResolvedPasswordValue {
  const hash = family.parse(value, ctx);
  if ("kind" in hash) return hash;
  return { kind: "encoded", hash, family, wrapped };
}

/**
 * Splits a value into cleartext, a parsed pre-encoded hash with its family, or a rejection.
 * Always parses: verification must check the stored value as it is (only what classification
 * needs of an accepted value is remembered, below).
 */
export function resolvePasswordValue(value: string, ctx: ParseContext = currentParseContext()): ResolvedPasswordValue {
  const key = claimKey(value);
  const family = key === null ? undefined : BY_PREFIX.get(key);
  if (family) return parseWith(family, value, ctx, false);
  if (value.startsWith("$")) return { kind: "invalid", message: NO_KNOWN_SCHEME("$") };
  if (!value.startsWith("{")) return { kind: "cleartext" };

  // A "{" with no closing brace is still rejected: the contract keys on the leading character,
  // and storing "{SSHA512" typos as someone's literal password would be worse than asking again.
  // OpenLDAP exports wrap /etc/shadow-style hashes as {CRYPT}$6$...: the same modular crypt forms.
  if (key === "{CRYPT}") {
    const body = value.slice("{CRYPT}".length);
    const innerKey = body.startsWith("$") ? claimKey(body) : null;
    const inner = innerKey === null ? undefined : BY_PREFIX.get(innerKey);
    if (inner?.cryptForm) return parseWith(inner, body, ctx, true);
    return {
      kind: "invalid",
      message: body.startsWith("$")
        ? NO_KNOWN_SCHEME("$")
        : "Inside {CRYPT} only modular crypt forms are supported ($1$, $5$, $6$, $2b$, $y$, …); traditional DES crypt is not.",
    };
  }
  const name = key?.slice(1, -1);
  if (name && NOT_YET_SUPPORTED.has(name)) {
    return { kind: "invalid", message: `The {${name}} scheme is not supported yet: its byte layout is not public.` };
  }
  return { kind: "invalid", message: NO_KNOWN_SCHEME("{") };
}

/**
 * Whether a value is in cleartext form (claimed by no scheme, starting with neither "{" nor "$"),
 * without parsing it: what an upload counts to size its chunks by the hashing they will need. A
 * value claimed by a scheme but malformed is no cleartext: it fails, unhashed.
 */
export function isCleartextForm(value: string): boolean {
  const key = claimKey(value);
  if (key !== null && BY_PREFIX.has(key)) return false;
  return !value.startsWith("$") && !value.startsWith("{");
}

/**
 * Splits a password value into cleartext, a parsed pre-encoded hash, or a rejection.
 * Scheme names in braces are matched case-insensitively, as OpenLDAP does.
 */
export function parsePasswordValue(value: string, ctx?: ParseContext): PasswordValue {
  const resolved = resolvePasswordValue(value, ctx);
  return resolved.kind === "encoded" ? { kind: "encoded", hash: resolved.hash } : resolved;
}

// A bulk row's pre-encoded value is classified four times on its way (the body's schema, the
// decision's password rule, the stored scheme and its upgrade check), and parsing a hash (base64,
// cost fields) was most of what validating a row cost: what those need of an accepted value
// (its scheme, whether it needs an upgrade) is kept here, for the context it was parsed in.
// Accepted pre-encoded values only: never a cleartext password, nor a rejected value (which may
// be one mistyped). Bounded (a batch or two of rows), emptied when full.
type Accepted = { ctx: ParseContext; scheme: PasswordScheme; upgrade: boolean };
const ACCEPTED_MAX = 16_384;
const accepted = new Map<string, Accepted>();

function acceptedFacts(value: string, ctx: ParseContext): Accepted | PasswordClassification {
  const known = accepted.get(value);
  if (known && known.ctx === ctx) return known;
  const resolved = resolvePasswordValue(value, ctx);
  if (resolved.kind !== "encoded") return resolved;
  const facts: Accepted = { ctx, scheme: resolved.hash.scheme, upgrade: resolved.wrapped || resolved.family.needsUpgrade(resolved.hash) };
  if (accepted.size >= ACCEPTED_MAX) accepted.clear();
  accepted.set(value, facts);
  return facts;
}

export function classifyPassword(value: string, ctx: ParseContext = currentParseContext()): PasswordClassification {
  const facts = acceptedFacts(value, ctx);
  return "ctx" in facts ? { kind: "encoded", scheme: facts.scheme } : facts;
}

/** True unless the value is an accepted pre-encoded value as strong as what we write today (lib/passwords needsRehash). */
export function needsUpgrade(value: string, ctx: ParseContext = currentParseContext()): boolean {
  const facts = acceptedFacts(value, ctx);
  return "ctx" in facts ? facts.upgrade : true;
}

/** True when the value is an accepted pre-encoded hash (and so bypasses the password policy). */
export function isPreEncoded(value: string, ctx?: ParseContext): boolean {
  return resolvePasswordValue(value, ctx).kind === "encoded";
}
