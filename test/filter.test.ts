/**
 * The user list's SCIM filter (issue 14.4) through HTTP, with fast-check: any filter string is a
 * 200 or a 400, never a 5xx; a generated valid filter returns exactly the users that the same
 * predicate, evaluated here in memory, picks from a small seeded set; strings made to break out
 * of SQL are only ever values (a quote, a comment or a statement in a value matches nothing and
 * changes nothing).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, type Json } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
const D = FIXED.demoEnvId;
const USERS = `/environments/${D}/users`;
const PREFIX = "fx-";

type User = Json;
let seeded: User[] = [];

// Values from a small alphabet on which JavaScript's and PostgreSQL's lower() agree, with LIKE's
// wildcards and SQL's quote characters among them.
const ALPHABET = ["a", "B", "c", "x", "-", "_", "%", "\\", "'", '"', " ", ".", "@", ";"];

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
  const rnd = fc.sample(
    fc.record({
      tail: fc.array(fc.constantFrom(...ALPHABET.filter((c) => c !== '"' && c !== "\\" && c !== " ")), { minLength: 1, maxLength: 5 }),
      email: fc.boolean(),
      given: fc.option(fc.constantFrom("Ann", "ann", "BOB", "b%b", "x_y", "O'Neil"), { nil: undefined }),
      title: fc.option(fc.constantFrom("Dr", "dr.", "Chief; drop", "a\\b"), { nil: undefined }),
      nickname: fc.option(fc.constantFrom("ax", "XA", "a"), { nil: undefined }),
      locality: fc.option(fc.constantFrom("Lyon", "lyonnais", "Paris"), { nil: undefined }),
      enabled: fc.boolean(),
      contractors: fc.boolean(),
    }),
    { numRuns: 24, seed: 14 },
  );
  const seen = new Set<string>();
  for (const [i, r] of rnd.entries()) {
    const username = `${PREFIX}${i}${r.tail.join("")}`;
    if (seen.has(username.toLowerCase())) continue;
    seen.add(username.toLowerCase());
    const body: Record<string, unknown> = {
      username,
      enabled: r.enabled,
      population: { id: r.contractors ? refs.contractorsPopulationId : refs.defaultPopulationId },
      ...(r.email ? { email: `u${i}@Ex${i % 3}.example.com` } : {}),
      ...(r.given ? { name: { given: r.given, family: i % 2 ? "Lee" : "lee-smith" } } : {}),
      ...(r.title ? { title: r.title } : {}),
      ...(r.nickname ? { nickname: r.nickname } : {}),
      ...(r.locality ? { address: { locality: r.locality } } : {}),
    };
    const res = await api.postUser(body);
    expect(res.status, res.text).toBe(201);
  }
  const all = await api.get(`${USERS}?limit=1000&filter=${encodeURIComponent(`username sw "${PREFIX}"`)}`);
  seeded = all.body._embedded.users;
  expect(seeded.length).toBeGreaterThan(15);
});
afterAll(async () => {
  await app?.close();
});

type Cmp = { attribute: string; op: string; value: string | boolean };
type Node = { kind: "cmp"; c: Cmp } | { kind: "and" | "or"; items: Node[] };

const TEXT = ["username", "email", "name.given", "name.family", "title", "nickname", "address.locality", "lifecycle.status", "population.id"];

function attr(u: User, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), u);
}

function holds(u: User, n: Node): boolean {
  if (n.kind !== "cmp") return n.kind === "and" ? n.items.every((i) => holds(u, i)) : n.items.some((i) => holds(u, i));
  const { attribute, op, value } = n.c;
  const v = attr(u, attribute);
  if (v === undefined || v === null) return false;
  if (attribute === "enabled") return v === value;
  if (attribute === "createdAt" || attribute === "updatedAt") {
    const [a, b] = [Date.parse(String(v)), Date.parse(String(value))];
    return { eq: a === b, gt: a > b, ge: a >= b, lt: a < b, le: a <= b }[op as "eq"]!;
  }
  const [s, w] = [String(v).toLowerCase(), String(value).toLowerCase()];
  return op === "eq" ? s === w : op === "sw" ? s.startsWith(w) : op === "ew" ? s.endsWith(w) : s.includes(w);
}

const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function text(n: Node): string {
  if (n.kind === "cmp") return `${n.c.attribute} ${n.c.op} ${typeof n.c.value === "boolean" ? String(n.c.value) : quote(n.c.value)}`;
  return n.items.map((i) => (i.kind === "cmp" ? text(i) : `(${text(i)})`)).join(` ${n.kind} `);
}

/** A value worth comparing with: a piece of some seeded user's attribute (so that some match), or noise. */
function valueFor(attribute: string): fc.Arbitrary<string> {
  const known = seeded.map((u) => attr(u, attribute)).filter((v): v is string => typeof v === "string");
  const noise = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 4 }).map((a) => a.join(""));
  if (!known.length) return noise;
  const piece = fc.tuple(fc.constantFrom(...known), fc.nat(), fc.nat()).map(([s, i, j]) => {
    const a = i % (s.length + 1);
    const b = a + (j % (s.length - a + 1));
    return j % 3 === 0 ? s : s.slice(a, b);
  });
  return fc.oneof(piece, piece.map((s) => s.toUpperCase()), noise);
}

const comparison: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom(...TEXT).chain((attribute) =>
    fc.record({ attribute: fc.constant(attribute), op: fc.constantFrom("eq", "sw", "ew", "co"), value: valueFor(attribute) }),
  ),
  fc.record({ attribute: fc.constant("enabled"), op: fc.constant("eq"), value: fc.boolean() }),
  fc.constantFrom("createdAt", "updatedAt").chain((attribute) =>
    fc.record({
      attribute: fc.constant(attribute),
      op: fc.constantFrom("eq", "gt", "ge", "lt", "le"),
      value: fc.constantFrom(...seeded.map((u) => String(attr(u, attribute)))),
    }),
  ),
).map((c) => ({ kind: "cmp" as const, c }));

const tree: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    comparison,
    fc.record({ kind: fc.constantFrom("and" as const, "or" as const), items: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) }),
  ),
})).node;

async function list(filter: string) {
  return api.get(`${USERS}?limit=1000&filter=${encodeURIComponent(filter)}`);
}

describe("GET users?filter= (property)", () => {
  it("a generated filter gives exactly the users the same predicate picks in memory", async () => {
    let matched = 0;
    await fc.assert(
      fc.asyncProperty(tree, async (node) => {
        // Scoped to the seeded users, whatever else the environment holds.
        const res = await list(`username sw "${PREFIX}" and (${text(node)})`);
        expect(res.status, `${text(node)}: ${res.text}`).toBe(200);
        const got = (res.body._embedded.users as User[]).map((u) => u.username).sort();
        const want = seeded.filter((u) => holds(u, node)).map((u) => u.username).sort();
        expect(got, text(node)).toEqual(want);
        if (want.length) matched++;
      }),
      { numRuns: 250, seed: 1414 },
    );
    // The generator is worth something only if many of its filters pick someone.
    expect(matched).toBeGreaterThan(50);
  });

  it("any string is a 200 or a 400 INVALID_FILTER, never a 5xx", async () => {
    const piece = fc.oneof(
      fc.constantFrom("username", "email", "name.given", "createdAt", "enabled", "population.id", "accountId", "eq", "sw", "co", "gt", "and", "or", "not", "(", ")", '"', "\\", "true", '"2026-01-01"', "'", ";", "--", "/*"),
      fc.string({ maxLength: 8, unit: "binary" }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 20 }), fc.constantFrom(" ", ""), async (pieces, sep) => {
        const res = await list(pieces.join(sep));
        expect([200, 400], res.text).toContain(res.status);
        if (res.status === 400) expect(res.body.details[0]).toMatchObject({ code: "INVALID_FILTER", target: "filter" });
      }),
      { numRuns: 300, seed: 1415 },
    );
  });

  it("strings made to break out of SQL are values: they match nothing and change nothing", async () => {
    const before = await app.countUsers(D);
    for (const evil of [
      `x' or '1'='1`,
      `x" or "1"="1`,
      `'; delete from users; --`,
      `%' or 1=1 --`,
      `\\'; drop table users; --`,
      `$1) or (1=1`,
      `x'::text); select pg_sleep(1); --`,
      `*/ or true /*`,
    ]) {
      for (const op of ["eq", "sw", "ew", "co"]) {
        const res = await list(`username ${op} ${quote(evil)}`);
        expect(res.status, res.text).toBe(200);
        expect(res.body._embedded.users).toEqual([]);
      }
      const res = await list(`createdAt gt ${quote(evil)}`);
      expect(res.status).toBe(400);
    }
    expect(await app.countUsers(D)).toBe(before);
  });
});
