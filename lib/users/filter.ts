import { invalidData } from "@/lib/api/errors";

/**
 * PingOne's SCIM filter language for the user list (issue 14.4): comparisons `attr op value`
 * with `eq`, `sw`, `ew`, `co` on text, `eq`, `gt`, `ge`, `lt`, `le` on dates and `eq` on
 * booleans, joined by `and` (binding tighter) and `or`, grouped with parentheses. Keywords and
 * attribute names are case-insensitive; text compares case-insensitively, as PingOne's does.
 * Anything else is 400 INVALID_DATA with an INVALID_FILTER detail that names the attribute,
 * operator or place at fault. A small recursive-descent parser into an AST; filter-sql.ts turns
 * the AST into one parameterised SQL condition.
 */
export type FilterType = "text" | "date" | "boolean" | "id";

/** The attributes PingOne lists for user filters that this server keeps, with their type. */
export const FILTER_ATTRIBUTES = {
  username: "text",
  email: "text",
  "name.given": "text",
  "name.family": "text",
  "name.middle": "text",
  "name.formatted": "text",
  "name.honorificPrefix": "text",
  "name.honorificSuffix": "text",
  nickname: "text",
  title: "text",
  externalId: "text",
  "address.streetAddress": "text",
  "address.locality": "text",
  "address.region": "text",
  "address.postalCode": "text",
  "address.countryCode": "text",
  primaryPhone: "text",
  mobilePhone: "text",
  locale: "text",
  preferredLanguage: "text",
  timezone: "text",
  enabled: "boolean",
  "population.id": "id",
  "lifecycle.status": "text",
  createdAt: "date",
  updatedAt: "date",
} as const satisfies Record<string, FilterType>;

export type FilterAttribute = keyof typeof FILTER_ATTRIBUTES;

export const TEXT_OPERATORS = ["eq", "sw", "ew", "co"] as const;
export const DATE_OPERATORS = ["eq", "gt", "ge", "lt", "le"] as const;
export type FilterOperator = (typeof TEXT_OPERATORS)[number] | (typeof DATE_OPERATORS)[number];

const OPERATORS_OF: Record<FilterType, readonly FilterOperator[]> = {
  text: TEXT_OPERATORS,
  id: TEXT_OPERATORS,
  date: DATE_OPERATORS,
  boolean: ["eq"],
};

export type FilterComparison = { kind: "cmp"; attribute: FilterAttribute; op: FilterOperator; value: string | boolean };
export type FilterNode = FilterComparison | { kind: "and" | "or"; items: FilterNode[] };

/** Limits that keep a filter's query small: comparisons, nesting, length. */
export const MAX_COMPARISONS = 50;
export const MAX_DEPTH = 10;
export const MAX_FILTER_LENGTH = 4096;

/** Attributes PingOne documents that this server does not keep: named as such in the error. */
const NOT_KEPT = new Set(["accountid", "account.id"]);

const byLowerName = new Map(Object.keys(FILTER_ATTRIBUTES).map((k) => [k.toLowerCase(), k as FilterAttribute]));

type Token = { type: "word" | "string" | "open" | "close"; text: string; at: number };

function fail(why: string): never {
  throw invalidData([{ code: "INVALID_FILTER", target: "filter", message: `The filter is not valid: ${why}` }], "The filter is not valid.");
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      out.push({ type: c === "(" ? "open" : "close", text: c, at: i });
      i++;
    } else if (c === '"') {
      const at = i++;
      let value = "";
      let closed = false;
      while (i < s.length) {
        const d = s[i++]!;
        if (d === "\\") {
          if (i >= s.length) break;
          value += s[i++];
        } else if (d === '"') {
          closed = true;
          break;
        } else value += d;
      }
      if (!closed) fail(`the quoted value at position ${at + 1} is not closed.`);
      // PostgreSQL text cannot hold U+0000: a 400 here rather than a failed query.
      if (value.includes("\u0000")) fail("a value contains a NUL character.");
      out.push({ type: "string", text: value, at });
    } else if (/[A-Za-z0-9_.\-:+]/.test(c)) {
      const at = i;
      while (i < s.length && /[A-Za-z0-9_.\-:+]/.test(s[i]!)) i++;
      out.push({ type: "word", text: s.slice(at, i), at });
    } else {
      fail(`unexpected character ${JSON.stringify(c)} at position ${i + 1}.`);
    }
  }
  return out;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A date value as an exact ISO instant (the database gets this, never the text as given). */
function dateValue(attribute: string, text: string): string {
  const m = ISO_DATE.exec(text);
  const iso = text.replace(" ", "T");
  const d = m ? new Date(m[4] && !m[8] ? `${iso}Z` : iso) : null;
  if (!m || !d || Number.isNaN(d.getTime()) || Number(m[1]) < 1) {
    fail(`${attribute} compares with a date such as "2026-12-01" or "2026-12-01T10:00:00Z", not ${JSON.stringify(text.slice(0, 40))}.`);
  }
  return d.toISOString();
}

export function parseUserFilter(filter: string): FilterNode {
  if (filter.length > MAX_FILTER_LENGTH) fail(`it is longer than ${MAX_FILTER_LENGTH} characters.`);
  const tokens = tokenize(filter);
  if (tokens.length === 0) fail("it is empty.");
  let pos = 0;
  let comparisons = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token | undefined, w: string) => t?.type === "word" && t.text.toLowerCase() === w;
  const where = (t: Token | undefined) => (t ? `at position ${t.at + 1}` : "at the end");

  const comparison = (): FilterNode => {
    const t = tokens[pos];
    if (t?.type !== "word") fail(`an attribute name is expected ${where(t)}.`);
    pos++;
    const name = t.text;
    if (NOT_KEPT.has(name.toLowerCase())) fail(`"${name}" cannot be filtered on: this server keeps no account id.`);
    if (name.toLowerCase() === "not") fail(`"not" is not supported: use eq, sw, ew, co, gt, ge, lt or le joined by and and or.`);
    const attribute = byLowerName.get(name.toLowerCase());
    if (!attribute) fail(`"${name}" cannot be filtered on (use ${Object.keys(FILTER_ATTRIBUTES).join(", ")}).`);
    const type = FILTER_ATTRIBUTES[attribute];
    const o = tokens[pos];
    if (o?.type !== "word") fail(`an operator is expected after ${attribute} ${where(o)}.`);
    pos++;
    const op = o.text.toLowerCase() as FilterOperator;
    const allowed = OPERATORS_OF[type];
    if (!allowed.includes(op)) {
      const known = ([...TEXT_OPERATORS, ...DATE_OPERATORS] as string[]).includes(op);
      fail(known ? `the operator "${o.text}" does not apply to ${attribute} (use ${allowed.join(", ")}).` : `the operator "${o.text}" is not supported (use eq, sw, ew, co, gt, ge, lt or le).`);
    }
    const v = tokens[pos];
    if (!v || (v.type !== "string" && v.type !== "word")) fail(`a value is expected after ${attribute} ${o.text} ${where(v)}.`);
    pos++;
    if (++comparisons > MAX_COMPARISONS) fail(`at most ${MAX_COMPARISONS} comparisons are allowed.`);
    if (type === "boolean") {
      const b = v.text.toLowerCase();
      if (b !== "true" && b !== "false") fail(`${attribute} compares with true or false, not ${JSON.stringify(v.text.slice(0, 40))}.`);
      return { kind: "cmp", attribute, op, value: b === "true" };
    }
    if (v.type !== "string") fail(`the value of ${attribute} must be in double quotes ${where(v)}.`);
    return { kind: "cmp", attribute, op, value: type === "date" ? dateValue(attribute, v.text) : v.text };
  };

  const primary = (depth: number): FilterNode => {
    if (peek()?.type === "open") {
      if (depth >= MAX_DEPTH) fail(`parentheses nest at most ${MAX_DEPTH} deep.`);
      pos++;
      const inner = or(depth + 1);
      if (peek()?.type !== "close") fail(`a closing parenthesis is expected ${where(peek())}.`);
      pos++;
      return inner;
    }
    return comparison();
  };
  const joined = (kind: "and" | "or", next: () => FilterNode): FilterNode => {
    const items = [next()];
    while (isWord(peek(), kind)) {
      pos++;
      items.push(next());
    }
    return items.length === 1 ? items[0]! : { kind, items };
  };
  const and = (depth: number) => joined("and", () => primary(depth));
  const or = (depth: number): FilterNode => joined("or", () => and(depth));

  const tree = or(0);
  const rest = peek();
  if (rest) fail(rest.type === "close" ? `an unmatched closing parenthesis ${where(rest)}.` : `"and" or "or" is expected ${where(rest)}, not ${JSON.stringify(rest.text.slice(0, 40))}.`);
  return tree;
}
