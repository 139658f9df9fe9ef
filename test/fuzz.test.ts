/**
 * Property: whatever malformed body reaches POST /environments/{envID}/users (import media
 * type), the answer is a 4xx in PingOne's error envelope, never a 5xx, and no user row is
 * written. Bodies: random JSON values, valid bodies with wrong types in chosen fields, raw
 * strings and bytes, deep nesting, huge strings, unicode garbage, truncated JSON and
 * prototype-pollution keys.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectEnvelope } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => {
  // The bodies carry a pre-encoded password; no answer to them may.
  api?.expectNoLeak(["{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93", "+uWzzjAkOVO9cuH389YvyFAUk96OHx93"]);
  await app?.close();
});

type Body = Record<string, unknown>;

/** A body that imports (checked below), with a value at every attribute the fuzzer mutates. */
function validBody(username: string): Body {
  return { ...validBodyShape(), username, population: { id: refs.defaultPopulationId } };
}

function validBodyShape(): Body {
  return {
    username: "",
    population: {},
    email: "fuzz@example.com",
    emailVerified: false,
    mfaEnabled: false,
    enabled: true,
    name: { given: "Fuzz", family: "Tester", middle: "Q", formatted: "Fuzz Q Tester", honorificPrefix: "Dr", honorificSuffix: "PhD" },
    nickname: "fuzzy",
    title: "Tester",
    locale: "en-US",
    preferredLanguage: "en",
    timezone: "UTC",
    externalId: "ext",
    primaryPhone: "+1 555 0100",
    mobilePhone: "+1 555 0101",
    address: { streetAddress: "1 Main St", locality: "Springfield", region: "IL", postalCode: "62701", countryCode: "US" },
    photo: { href: "https://example.com/p.png" },
    identityProvider: { id: null },
    lifecycle: { status: "ACCOUNT_OK", suppressVerificationCode: false },
    password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93", forceChange: false },
  };
}

// ---- Values that are wrong for a kind of attribute (never null: null is "not set" for most).

// No NaN or Infinity: JSON.stringify turns them into null, which is a valid "not set".
const scalarJunk = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
const containerJunk = fc.oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }));
const notAString = fc.oneof(scalarJunk, containerJunk);
const notABoolean = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), containerJunk);
const notAnObject = fc.oneof(scalarJunk, fc.string(), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }));
const notAUuid = fc.oneof(notAString, fc.string().filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)));
const controlChar = fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Strings rich in what breaks storage and parsers: control characters, lone surrogates, any code point. */
const garbageString = fc
  .array(fc.oneof(controlChar, loneSurrogate, fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.constantFrom("\u0000", "\ufeff", "\u202e", "\\", '"')), { maxLength: 20 })
  .map((a) => a.join(""));

/** [path, wrong value] for one attribute; each is refused by rule 4 whatever else the body holds. */
type Mutation = { path: string; value: unknown };
const m = (path: string, arb: fc.Arbitrary<unknown>) => arb.map((value): Mutation => ({ path, value }));

const TEXT_FIELDS = ["nickname", "title", "locale", "preferredLanguage", "timezone", "externalId", "primaryPhone", "mobilePhone"];
const NESTED_TEXT = [
  "name.given", "name.family", "name.middle", "name.formatted", "name.honorificPrefix", "name.honorificSuffix",
  "address.streetAddress", "address.locality", "address.region", "address.postalCode", "photo.href",
];
const BOOLEANS = ["emailVerified", "mfaEnabled", "enabled", "password.forceChange", "lifecycle.suppressVerificationCode"];
const OBJECTS = ["population", "name", "address", "photo", "password", "lifecycle", "identityProvider"];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  m(
    "username",
    fc.oneof(
      notAString,
      fc.constant(null),
      fc.constant(""),
      fc.string({ minLength: 129, maxLength: 300 }).filter((s) => [...s].length > 128),
      fc.tuple(fc.string({ maxLength: 10 }), controlChar, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b),
      fc.tuple(fc.string({ maxLength: 10 }), loneSurrogate).map(([a, s]) => a + s + "x"),
    ),
  ),
  m("population.id", fc.oneof(notAUuid, fc.constant(null))),
  m("email", fc.oneof(notAString, fc.string({ maxLength: 40 }).filter((s) => !s.includes("@")))),
  m("address.countryCode", fc.oneof(notAString, fc.string({ maxLength: 4 }).filter((s) => !/^[A-Z]{2}$/.test(s)))),
  m("lifecycle.status", fc.oneof(notAString, fc.string({ maxLength: 20 }).filter((s) => s !== "ACCOUNT_OK" && s !== "VERIFICATION_REQUIRED"))),
  m("identityProvider.id", notAUuid),
  m("password.value", fc.oneof(notAString, fc.constantFrom("", "{NOPE}x", "$zz$abc", "{SSHA}!!", "$2b$99$x", " ".repeat(5000)))),
  ...TEXT_FIELDS.map((f) => m(f, notAString)),
  ...NESTED_TEXT.map((f) => m(f, notAString)),
  ...BOOLEANS.map((f) => m(f, notABoolean)),
  ...OBJECTS.map((f) => m(f, notAnObject)),
);

function setPath(body: Body, path: string, value: unknown) {
  const keys = path.split(".");
  let o = body;
  for (const k of keys.slice(0, -1)) o = o[k] as Body;
  o[keys[keys.length - 1]!] = value;
}

/** JSON text of `body` plus own keys JSON.parse will create as given (e.g. "__proto__"). */
function withRawKeys(body: Body, extra: [string, unknown][]): string {
  const text = JSON.stringify(body);
  if (!extra.length) return text;
  const more = extra.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",");
  return text === "{}" ? `{${more}}` : `${text.slice(0, -1)},${more}}`;
}

type Case = { kind: string; raw: string | Uint8Array; mutations?: Mutation[] };

let n = 0;
const freshName = () => `fuzz-${++n}`;

// Never an attribute of the body: a repeated key wins in JSON.parse and could undo a mutation.
const ATTRIBUTES = new Set(Object.keys(validBodyShape()));
const unknownKeys = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"), fc.string({ maxLength: 8 }).filter((k) => !ATTRIBUTES.has(k))),
    fc.jsonValue({ maxDepth: 3 }),
  ),
  { maxLength: 3 },
);
const noise = fc.array(fc.tuple(fc.constantFrom(...TEXT_FIELDS, ...NESTED_TEXT), garbageString), { maxLength: 3 });

const mutated: fc.Arbitrary<Case> = fc
  .tuple(fc.uniqueArray(mutation, { minLength: 1, maxLength: 4, selector: (x) => x.path.split(".")[0] }), noise, unknownKeys)
  .map(([mutations, noisy, extra]) => {
    const body = validBody(freshName());
    const roots = new Set(mutations.map((x) => x.path.split(".")[0]));
    for (const [path, value] of noisy) if (!roots.has(path.split(".")[0])) setPath(body, path, value);
    for (const x of mutations) setPath(body, x.path, x.value);
    return { kind: "mutated", raw: withRawKeys(body, extra), mutations };
  });

const missingRequired: fc.Arbitrary<Case> = fc.tuple(fc.constantFrom("username", "population"), unknownKeys).map(([drop, extra]) => {
  const body = validBody(freshName());
  delete body[drop];
  return { kind: "missing", raw: withRawKeys(body, extra), mutations: [{ path: drop, value: undefined }] };
});

/** If JSON.parse or a merge let "__proto__" through, the missing attributes would be inherited and the body would import. */
const pollution: fc.Arbitrary<Case> = fc.constantFrom("__proto__", "constructor").map((key) => {
  const body = validBody(freshName());
  const { username, population } = body;
  delete body.username;
  delete body.population;
  const payload = { username, population, isAdmin: true };
  const raw = withRawKeys(body, [[key, key === "constructor" ? { prototype: payload } : payload]]);
  return { kind: "pollution", raw };
});

/**
 * Well-formed bodies that refer to things that do not exist, with unicode garbage in their
 * strings: they get past rule 4 when the garbage is acceptable, and reach the database.
 */
const danglingReferences: fc.Arbitrary<Case> = fc
  .tuple(
    fc.constantFrom("population.id", "identityProvider.id", "password.external.gateway.id"),
    fc.uuid(),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
    fc.array(fc.tuple(fc.constantFrom(...TEXT_FIELDS, ...NESTED_TEXT), garbageString), { maxLength: 4 }),
  )
  .map(([ref, id, username, garbage]) => {
    const body = validBody(`${freshName()}-${username}`);
    for (const [path, value] of garbage) setPath(body, path, value);
    if (ref === "password.external.gateway.id") body.password = { external: { gateway: { id, userType: { id: refs.userTypeId }, correlationAttributes: { uid: username } } } };
    else setPath(body, ref, id);
    return { kind: "dangling", raw: JSON.stringify(body) };
  });

const randomJson: fc.Arbitrary<Case> = fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: "json", raw: JSON.stringify(v) ?? "null" }));

const randomText: fc.Arbitrary<Case> = fc
  .oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ maxLength: 200 }))
  .map((s) => ({ kind: "text", raw: s }));

const randomBytes: fc.Arbitrary<Case> = fc.uint8Array({ maxLength: 300 }).map((b) => ({ kind: "bytes", raw: b }));

const truncated: fc.Arbitrary<Case> = fc.integer({ min: 0, max: 1000 }).map((k) => {
  const text = JSON.stringify(validBody(freshName()));
  return { kind: "truncated", raw: text.slice(0, k % text.length) };
});

const deep: fc.Arbitrary<Case> = fc
  .tuple(fc.integer({ min: 50, max: 25_000 }), fc.constantFrom("array", "object", "unbalanced", "inField"))
  .map(([depth, shape]) => {
    const arrays = "[".repeat(depth) + "]".repeat(depth);
    const objects = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    if (shape === "array") return { kind: "deep", raw: arrays };
    if (shape === "object") return { kind: "deep", raw: objects };
    if (shape === "unbalanced") return { kind: "deep", raw: "[".repeat(depth) };
    // A deeply nested value in an attribute that wants a string, of an otherwise valid body.
    const body = JSON.stringify(validBody(freshName()));
    return { kind: "deep", raw: body.replace('"nickname":"fuzzy"', `"nickname":${arrays.slice(0, 40_000)}`), mutations: [{ path: "nickname", value: [] }] };
  });

const huge: fc.Arbitrary<Case> = fc
  .tuple(fc.integer({ min: 129, max: 80_000 }), fc.constantFrom("a", "é", "😀", "\u0000", " "), fc.constantFrom("username", "nickname", "unknownAttribute"))
  .map(([len, ch, field]) => {
    const body = validBody(freshName());
    body[field] = ch.repeat(len);
    if (field !== "username") delete body.username;
    return { kind: "huge", raw: JSON.stringify(body) };
  });

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { arbitrary: mutated, weight: 8 },
  { arbitrary: missingRequired, weight: 1 },
  { arbitrary: pollution, weight: 1 },
  { arbitrary: randomJson, weight: 2 },
  { arbitrary: randomText, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  { arbitrary: truncated, weight: 1 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: danglingReferences, weight: 2 },
);

describe("malformed import bodies", () => {
  it("the unmutated body imports (so a mutation, not the base, is what is refused)", async () => {
    const res = await api.postUser(validBody("fuzz-control"));
    expect(res.status, res.text).toBe(201);
  });

  it("answer 4xx in the error envelope, never 5xx, and write no user row (2,000 runs)", async () => {
    const before = await app.countUsers();
    const statuses = new Map<string, number>();
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        const res = await api.postUser(c.raw, { raw: true });
        expect(res.status, `${c.kind}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${c.kind}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expectEnvelope(res.body);
        if (c.mutations && res.status === 400 && res.body.code === "INVALID_DATA") {
          const targets = new Set((res.body.details ?? []).map((d) => d.target));
          // A problem is reported on the mutated attribute or, for a missing object, on the attribute inside it to send.
          for (const x of c.mutations) {
            const hit = [...targets].some((t) => t === x.path || !!t?.startsWith(`${x.path}.`));
            expect(hit, `${x.path} in ${res.text.slice(0, 300)}`).toBe(true);
          }
        }
        expect(await app.countUsers()).toBe(before);
        statuses.set(`${res.status} ${res.body.code}`, (statuses.get(`${res.status} ${res.body.code}`) ?? 0) + 1);
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      }),
      { numRuns: 2000 },
    );
    // The generator reached every kind and the interesting answers (not just one easy 400).
    expect([...kinds.keys()].sort()).toEqual(["bytes", "dangling", "deep", "huge", "json", "missing", "mutated", "pollution", "text", "truncated"]);
    for (const s of ["400 INVALID_DATA", "400 INVALID_REQUEST", "413 INVALID_REQUEST"]) expect(statuses.get(s), s).toBeGreaterThan(0);
    // Nothing leaked onto the shared prototypes.
    expect(Object.prototype).not.toHaveProperty("username");
    expect(Object.prototype).not.toHaveProperty("isAdmin");
    expect(({} as Record<string, unknown>).population).toBeUndefined();
    expect(await app.countUsers()).toBe(before);
  });
});
