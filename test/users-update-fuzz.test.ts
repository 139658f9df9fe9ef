/**
 * Property (issue 14.3): whatever body reaches PATCH or PUT /environments/{envID}/users/{userID},
 * PUT .../population or PUT .../enabled, the answer is never a 5xx; a refusal is a 4xx in
 * PingOne's envelope and leaves the user exactly as it was. Bodies: random JSON values, a valid
 * body with one attribute made wrong (wrong type, control characters, lone surrogates, too long),
 * and prototype-pollution keys.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectEnvelope, uniqueName, type Json } from "./support/http";

const D = FIXED.demoEnvId;

let app: TestApp;
let api: Client;
let refs: DemoRefs;
let userId: string;

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
  const res = await api.postUser({ username: uniqueName("fuzz"), population: { id: refs.defaultPopulationId }, email: "fuzz@example.com", name: { given: "Fuzz", family: "Tester" }, nickname: "fz" });
  expect(res.status, res.text).toBe(201);
  userId = res.body.id;
});

afterAll(async () => {
  await app?.close();
});

const user = () => `/environments/${D}/users/${userId}`;
const read = async (): Promise<Json> => (await api.get(user())).body;

const controlChar = fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const garbage = fc.array(fc.oneof(controlChar, loneSurrogate, fc.string({ maxLength: 3 }), fc.constantFrom("\u0000", "\ufeff", "\\", '"')), { maxLength: 12 }).map((a) => a.join(""));
const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.string(), garbage, fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.constant("x".repeat(2000)));
const ATTRIBUTES = [
  "username", "email", "emailVerified", "enabled", "mfaEnabled", "nickname", "title", "locale", "externalId", "primaryPhone",
  "name", "name.given", "address", "address.countryCode", "photo.href", "population", "population.id", "identityProvider.id", "lifecycle.status", "password",
];

function set(body: Record<string, unknown>, path: string, value: unknown) {
  const [head, tail] = path.split(".") as [string, string | undefined];
  if (tail) body[head] = { ...(typeof body[head] === "object" && body[head] ? (body[head] as object) : {}), [tail]: value };
  else body[head] = value;
  return body;
}

const mutated = fc.tuple(fc.constantFrom(...ATTRIBUTES), wrong).map(([path, value]) => set({ title: "fuzzed" }, path, value));
const pollution = fc.constantFrom<unknown>(
  JSON.parse('{"__proto__": {"enabled": false, "title": "polluted"}}'),
  JSON.parse('{"constructor": {"prototype": {"title": "polluted"}}}'),
  JSON.parse('{"name": {"__proto__": {"given": "polluted"}}}'),
);
const anyBody = fc.oneof(fc.jsonValue({ maxDepth: 3 }), mutated, pollution);

/** Sends `body`; a 5xx fails; a refusal must leave the user unchanged. */
async function check(method: string, path: string, body: unknown, raw = false): Promise<void> {
  const before = await read();
  const res = await api.request(path, { method, headers: { "content-type": "application/json" }, body: raw ? (body as string) : JSON.stringify(body) });
  expect(res.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expectEnvelope(res.body);
    expect(await read()).toEqual(before);
  } else {
    // Nothing a body says reaches the prototype of what the server builds.
    expect(({} as Record<string, unknown>).title).toBeUndefined();
  }
}

describe("no 5xx and no partial write, whatever the body", () => {
  it("PATCH and PUT on the user", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom("PATCH", "PUT"), anyBody, (method, body) => check(method, user(), body)), { numRuns: 150 });
    // The user still exists and still has its username.
    expect((await read()).id).toBe(userId);
  });

  it("PUT .../population and PUT .../enabled", async () => {
    const bodies = fc.oneof(fc.jsonValue({ maxDepth: 3 }), wrong.map((v) => ({ id: v })), wrong.map((v) => ({ enabled: v })), pollution);
    await fc.assert(fc.asyncProperty(fc.constantFrom("population", "enabled"), bodies, (sub, body) => check("PUT", `${user()}/${sub}`, body)), { numRuns: 100 });
  });

  it("truncated and malformed JSON", async () => {
    const text = JSON.stringify({ name: { given: "A" }, title: "t", address: { locality: "x" } });
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: text.length - 1 }), (n) => check("PATCH", user(), text.slice(0, n), true)), { numRuns: 40 });
  });
});
