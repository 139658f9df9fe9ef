/**
 * The user filter's grammar (filter.ts) and its SQL (filter-sql.ts): what parses into which tree,
 * what is refused with a message naming the attribute or operator, and that no value of a filter
 * ever appears in the SQL text (only as a bound parameter).
 */
import fc from "fast-check";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { FILTER_ATTRIBUTES, parseUserFilter, type FilterNode } from "./filter";
import { filterSql } from "./filter-sql";

const cmp = (attribute: string, op: string, value: string | boolean) => ({ kind: "cmp", attribute, op, value });

function refusal(filter: string): string {
  try {
    parseUserFilter(filter);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(400);
    expect(e.details?.map((d) => [d.code, d.target])).toEqual([["INVALID_FILTER", "filter"]]);
    return e.details![0]!.message;
  }
  throw new Error(`accepted: ${filter}`);
}

describe("parseUserFilter", () => {
  it("parses comparisons over every listed attribute, keywords and names in any case", () => {
    expect(parseUserFilter('username eq "a"')).toEqual(cmp("username", "eq", "a"));
    expect(parseUserFilter('USERNAME SW "Ab"')).toEqual(cmp("username", "sw", "Ab"));
    expect(parseUserFilter('name.GIVEN co "x"')).toEqual(cmp("name.given", "co", "x"));
    expect(parseUserFilter('enabled eq false')).toEqual(cmp("enabled", "eq", false));
    expect(parseUserFilter('enabled eq "TRUE"')).toEqual(cmp("enabled", "eq", true));
    expect(parseUserFilter('createdAt gt "2026-12-01"')).toEqual(cmp("createdAt", "gt", "2026-12-01T00:00:00.000Z"));
    expect(parseUserFilter('updatedAt le "2026-12-01T10:20:30+01:00"')).toEqual(cmp("updatedAt", "le", "2026-12-01T09:20:30.000Z"));
    expect(parseUserFilter('createdAt ge "2026-12-01T10:20"')).toEqual(cmp("createdAt", "ge", "2026-12-01T10:20:00.000Z"));
    expect(parseUserFilter('username eq "a \\"quoted\\" \\\\ back"')).toEqual(cmp("username", "eq", 'a "quoted" \\ back'));
    for (const attribute of Object.keys(FILTER_ATTRIBUTES)) expect(() => parseUserFilter(`${attribute} eq ${attribute === "enabled" ? "true" : attribute.endsWith("At") ? '"2026-01-01"' : '"v"'}`)).not.toThrow();
  });

  it("binds and tighter than or, and parentheses group", () => {
    const [a, b, c] = [cmp("username", "eq", "a"), cmp("email", "sw", "b"), cmp("title", "ew", "c")];
    expect(parseUserFilter('username eq "a" or email sw "b" and title ew "c"')).toEqual({ kind: "or", items: [a, { kind: "and", items: [b, c] }] });
    expect(parseUserFilter('(username eq "a" or email sw "b") and title ew "c"')).toEqual({ kind: "and", items: [{ kind: "or", items: [a, b] }, c] });
    expect(parseUserFilter('username eq "a" and email sw "b" and title ew "c"')).toEqual({ kind: "and", items: [a, b, c] });
    expect(parseUserFilter('((username eq "a"))')).toEqual(a);
    expect(parseUserFilter('(username eq "a")or(email sw "b")')).toEqual({ kind: "or", items: [a, b] });
  });

  it("names the attribute or operator it refuses", () => {
    expect(refusal('password eq "x"')).toContain('"password" cannot be filtered on');
    expect(refusal('accountId eq "x"')).toContain("accountId");
    expect(refusal('username gt "x"')).toContain('the operator "gt" does not apply to username');
    expect(refusal('createdAt sw "2026"')).toContain('"sw" does not apply to createdAt');
    expect(refusal('enabled co "t"')).toContain('"co" does not apply to enabled');
    expect(refusal('username pr')).toContain('"pr" is not supported');
    expect(refusal('username like "x"')).toContain('"like" is not supported');
    expect(refusal('not (username eq "a")')).toContain('"not" is not supported');
    expect(refusal('createdAt gt "tomorrow"')).toContain("createdAt compares with a date");
    expect(refusal('createdAt gt "0000-01-01"')).toContain("createdAt compares with a date");
    expect(refusal('enabled eq yes')).toContain("enabled compares with true or false");
    expect(refusal("username eq a")).toContain("double quotes");
  });

  it("refuses what is malformed, too long or too deep", () => {
    for (const bad of ["", " ", "(", ")", '(username eq "a"', 'username eq "a")', 'username eq "a" and', 'username eq "a" xor email eq "b"', 'username eq "a', "username eq 'a'", 'username eq "a" username eq "b"', "username", "username eq", 'username eq "\u0000"', "username eq \"a\" ; drop table users"]) {
      refusal(bad);
    }
    refusal(Array.from({ length: 51 }, () => 'username eq "a"').join(" or "));
    expect(() => parseUserFilter(Array.from({ length: 50 }, () => 'username eq "a"').join(" or "))).not.toThrow();
    refusal("(".repeat(11) + 'username eq "a"' + ")".repeat(11));
    expect(() => parseUserFilter("(".repeat(10) + 'username eq "a"' + ")".repeat(10))).not.toThrow();
    refusal(`username eq "${"x".repeat(5000)}"`);
  });

  it("never throws anything but its 400 on any input", () => {
    const piece = fc.oneof(
      fc.constantFrom("username", "email", "name.given", "createdAt", "enabled", "eq", "sw", "gt", "and", "or", "not", "(", ")", '"', "\\", " ", "true", '"2026-01-01"', "population.id"),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 25 }), (pieces) => {
        try {
          parseUserFilter(pieces.join(" "));
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError);
          expect((err as ApiError).status).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("filterSql", () => {
  const dialect = new PgDialect();
  const compile = (node: FilterNode) => dialect.sqlToQuery(filterSql(node));

  it("puts every value in a parameter, never in the SQL text", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(FILTER_ATTRIBUTES).filter((a) => FILTER_ATTRIBUTES[a as keyof typeof FILTER_ATTRIBUTES] === "text")),
        fc.constantFrom("eq", "sw", "ew", "co"),
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes("\u0000")),
        (attribute, op, value) => {
          const filter = `${attribute} ${op} "${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
          const q = compile(parseUserFilter(filter));
          // The SQL text is the same whatever the value: the value never reaches it.
          expect(q.sql).toBe(compile(parseUserFilter(`${attribute} ${op} "x"`)).sql);
          expect(q.sql).toMatch(/ (=|like) lower\(\$1\)$/);
          expect(q.params).toHaveLength(1);
          expect(String(q.params[0])).toContain(op === "eq" ? value : value.replace(/[\\%_]/g, (c) => `\\${c}`));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("escapes LIKE's wildcards and compiles dates and booleans to typed parameters", () => {
    expect(compile(parseUserFilter('username sw "a_%\\\\"')).params).toEqual(["a\\_\\%\\\\%"]);
    expect(compile(parseUserFilter('email ew "x"')).params).toEqual(["%x"]);
    expect(compile(parseUserFilter('title co "x"')).params).toEqual(["%x%"]);
    const d = compile(parseUserFilter('createdAt ge "2026-01-01"'));
    expect(d.sql).toBe('"users"."created_at" >= $1::timestamptz');
    expect(d.params).toEqual(["2026-01-01T00:00:00.000Z"]);
    expect(compile(parseUserFilter("enabled eq true")).sql).toBe('"users"."enabled" = $1');
    const pop = compile(parseUserFilter('population.id eq "0D000000-0000-4000-8000-000000000002"'));
    expect(pop.sql).toBe('"users"."population_id" = $1::uuid');
    expect(pop.params).toEqual(["0d000000-0000-4000-8000-000000000002"]);
    expect(compile(parseUserFilter('population.id eq "nope"')).sql).toBe("false");
    expect(compile(parseUserFilter('username eq "a" or (email sw "b" and enabled eq false)')).sql).toBe(
      '(lower("users"."username") = lower($1) or (lower("users"."email") like lower($2) and "users"."enabled" = $3))',
    );
  });
});
