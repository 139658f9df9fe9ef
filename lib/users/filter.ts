import { invalidData } from "@/lib/api/errors";

/**
 * PingOne's SCIM-style user filter: `attr op "value"` over username, email and population.id,
 * with `eq` and `sw`, joined by `and` (spec 2.6). Comparison is case-insensitive, as SCIM
 * defines it for these attributes. Anything else is 400 INVALID_FILTER.
 */
export type FilterAttribute = "username" | "email" | "population.id";
export type FilterClause = { attribute: FilterAttribute; op: "eq" | "sw"; value: string };

const ATTRIBUTES: Record<string, FilterAttribute> = {
  username: "username",
  email: "email",
  "population.id": "population.id",
};

export function parseUserFilter(filter: string): FilterClause[] {
  const clauses: FilterClause[] = [];
  let i = 0;
  const s = filter;
  const fail = (why: string): never => {
    throw invalidData([{ code: "INVALID_FILTER", target: "filter", message: `The filter is not valid: ${why}` }], "The filter is not valid.");
  };
  const skipSpaces = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const word = () => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9_.]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };

  skipSpaces();
  if (i >= s.length) fail("it is empty.");
  for (;;) {
    skipSpaces();
    const attrName = word();
    const attribute = ATTRIBUTES[attrName] ?? ATTRIBUTES[attrName.toLowerCase()];
    if (!attribute) fail(attrName ? `"${attrName}" cannot be filtered on (use username, email or population.id).` : "an attribute name is expected.");
    skipSpaces();
    const op = word().toLowerCase();
    if (op !== "eq" && op !== "sw") fail(op ? `the operator "${op}" is not supported (use eq or sw).` : "an operator is expected.");
    skipSpaces();
    if (s[i] !== '"') fail("values must be in double quotes.");
    i++;
    let value = "";
    let closed = false;
    while (i < s.length) {
      const c = s[i++]!;
      if (c === "\\") {
        if (i >= s.length) break;
        value += s[i++];
      } else if (c === '"') {
        closed = true;
        break;
      } else value += c;
    }
    if (!closed) fail("a quoted value is not closed.");
    // PostgreSQL text cannot hold U+0000: a 400 here rather than a failed query.
    if (value.includes("\u0000")) fail("a value contains a NUL character.");
    clauses.push({ attribute: attribute!, op: op as "eq" | "sw", value });
    skipSpaces();
    if (i >= s.length) break;
    const joiner = word().toLowerCase();
    if (joiner !== "and") fail(joiner ? `"${joiner}" is not supported: clauses are joined with "and".` : "unexpected characters.");
    if (!/\s/.test(s[i] ?? "")) fail("a clause is expected after \"and\".");
  }
  if (clauses.length > 10) fail("at most 10 clauses are allowed.");
  return clauses;
}
