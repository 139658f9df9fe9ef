/**
 * Password operations, spec 3.4 (and 5 for gateway users): every shared pre-encoded vector,
 * imported through the API, passes Check Password with its own password and fails with another;
 * the first match quietly replaces the stored value with a fresh argon2id hash, which passes
 * too. Set, force change and read state, who may call them, and what they refuse.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { needsRehash, verifyPassword } from "@/lib/passwords";
import { SECOND_WAVE } from "@/lib/passwords/testdata/vectors";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, ISO_MS_RE, uniqueName } from "./support/http";

type Vector = { form: string; encoded: string; password: string; madeBy: string };
const vectors = (JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../shared/vectors/passwords.json"), "utf8")) as { vectors: Vector[] }).vectors;

const SET = "application/vnd.pingidentity.password.set+json";
const CHECK = "application/vnd.pingidentity.password.check+json";
const FORCE = "application/vnd.pingidentity.password.forceChange";
const D = FIXED.demoEnvId;

let app: TestApp;
let api: Client;
let refs: DemoRefs;
const secrets = new Set<string>([FIXED.workerSecret]);

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => {
  api?.expectNoLeak(secrets);
  await app?.close();
});

const pw = (userId: string) => `/environments/${D}/users/${userId}/password`;
const check = (c: Client, userId: string, password: unknown) =>
  c.request(pw(userId), { method: "POST", headers: { "content-type": CHECK }, body: JSON.stringify({ password }) });
const setPw = (c: Client, userId: string, body: unknown, contentType = SET) =>
  c.request(pw(userId), { method: "PUT", headers: { "content-type": contentType }, body: JSON.stringify(body) });
const force = (c: Client, userId: string) => c.request(pw(userId), { method: "POST", headers: { "content-type": FORCE } });

async function importUser(over: Record<string, unknown> = {}): Promise<string> {
  const res = await api.postUser({ username: uniqueName("pwop"), population: { id: refs.defaultPopulationId }, ...over });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

function isCurrentArgon2id(stored: string | null | undefined): boolean {
  return !!stored && stored.startsWith("$argon2id$v=19$") && !needsRehash(stored);
}

/**
 * Imports each vector, then: a wrong password fails and changes nothing; the right one matches
 * and leaves current argon2id behind; that matches again without a second rehash.
 */
async function checkEveryVector(list: readonly Vector[]) {
  for (const v of list) {
    secrets.add(v.encoded).add(v.password);
    const id = await importUser({ password: { value: v.encoded } });
    const label = `${v.form} by ${v.madeBy}`;

    const wrong = await check(api, id, v.password + "x");
    expectInvalidData(wrong, [["INVALID_VALUE", "password"]]);
    // A failed check changes nothing.
    expect((await app.passwordRow(id))?.passwordHash, label).toBe(v.encoded);

    const ok = await check(api, id, v.password);
    expect(ok.status, `${label}: ${ok.text}`).toBe(200);
    expect(ok.body.status).toBe("OK");

    const after = (await app.passwordRow(id))!.passwordHash!;
    secrets.add(after);
    expect(isCurrentArgon2id(after), `${label} stored as current argon2id after the match`).toBe(true);
    expect(await verifyPassword(after, v.password), label).toBe(true);
    // A value that was already current argon2id is left as it was; anything else is new.
    if (isCurrentArgon2id(v.encoded)) expect(after).toBe(v.encoded);
    else expect(after, label).not.toBe(v.encoded);

    const again = await check(api, id, v.password);
    expect(again.status, label).toBe(200);
    expect((await app.passwordRow(id))!.passwordHash, `${label}: no second rehash`).toBe(after);
    expectInvalidData(await check(api, id, "correct horse battery stapler"), [["INVALID_VALUE", "password"]]);
  }
}

describe("Check Password over every imported vector (3.2, 3.4)", () => {
  it("matches with its password only, upgrades to argon2id on the first match, and still matches", async () => {
    expect(vectors.length).toBeGreaterThan(20);
    await checkEveryVector(vectors);
  });

  it("does the same for every second-wave vector (yescrypt, scrypt, phpass, Django, Werkzeug, Firebase, ...)", async () => {
    expect(SECOND_WAVE.length).toBe(46);
    await checkEveryVector(SECOND_WAVE);
  });

  it("keeps MUST_CHANGE_PASSWORD through a successful check", async () => {
    const v = vectors.find((x) => x.form === "{SSHA}")!;
    const id = await importUser({ password: { value: v.encoded, forceChange: true } });
    const res = await check(api, id, v.password);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("MUST_CHANGE_PASSWORD");
    expect((await app.passwordRow(id))?.passwordStatus).toBe("MUST_CHANGE_PASSWORD");
  });

  it("answers 400 for a user without a password, and for a malformed body", async () => {
    const id = await importUser();
    expectError(await check(api, id, "whatever-password"), 400, "REQUEST_FAILED");
    const bad = await api.request(pw(id), { method: "POST", headers: { "content-type": CHECK }, body: JSON.stringify({ pass: "x" }) });
    expectInvalidData(bad, [["REQUIRED_VALUE", "password"]]);
  });
});

describe("Set Password (3.4)", () => {
  it("hashes cleartext with argon2id, and answers the password state", async () => {
    const id = await importUser({ email: "set-me@example.com" });
    secrets.add("a fine new password");
    const res = await setPw(api, id, { value: "a fine new password" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("OK");
    expect(res.body.lastChangedAt).toMatch(ISO_MS_RE);
    expect(res.body.user).toEqual({ id });
    const row = (await app.passwordRow(id))!;
    secrets.add(row.passwordHash!);
    expect(isCurrentArgon2id(row.passwordHash)).toBe(true);
    expect((await check(api, id, "a fine new password")).status).toBe(200);
  });

  it("applies the policy to cleartext unless bypassPolicy, and never to pre-encoded values", async () => {
    const id = await importUser({ email: "policy@example.com" });
    expectInvalidData(await setPw(api, id, { value: "short" }), [["INVALID_VALUE", "value"]]);
    expectInvalidData(await setPw(api, id, { value: "policy@example.com" }), [["INVALID_VALUE", "value"]]);
    expect((await app.passwordRow(id))?.passwordStatus).toBe("NO_PASSWORD");

    const bypassed = await setPw(api, id, { value: "short", bypassPolicy: true });
    expect(bypassed.status, bypassed.text).toBe(200);
    expect((await check(api, id, "short")).status).toBe(200);

    const v = vectors.find((x) => x.form === "$6$")!;
    const pre = await setPw(api, id, { value: v.encoded, forceChange: true });
    expect(pre.status, pre.text).toBe(200);
    expect(pre.body.status).toBe("MUST_CHANGE_PASSWORD");
    expect((await app.passwordRow(id))?.passwordHash).toBe(v.encoded);

    expectInvalidData(await setPw(api, id, { value: "{SSHA}!!not base64!!" }), [["INVALID_VALUE", "value"]]);
    expectInvalidData(await setPw(api, id, {}), [["REQUIRED_VALUE", "value"]]);
    expectInvalidData(await setPw(api, id, { value: "long enough value", forceChange: "yes" }), [["INVALID_VALUE", "forceChange"]]);
    expect((await app.passwordRow(id))?.passwordHash).toBe(v.encoded);
  });

  it("refuses other content types with 415", async () => {
    const id = await importUser();
    expectError(await setPw(api, id, { value: "a fine new password" }, "application/json"), 415, "INVALID_REQUEST");
    expectError(await api.request(pw(id), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), 415, "INVALID_REQUEST");
  });
});

describe("Force Change and read state (3.4)", () => {
  it("sets MUST_CHANGE_PASSWORD, and GET tells status and lastChangedAt", async () => {
    const v = vectors.find((x) => x.form === "$2b$")!;
    const id = await importUser({ password: { value: v.encoded } });
    const before = await api.get(pw(id));
    expect(before.status).toBe(200);
    expect(before.body.status).toBe("OK");
    expect(before.body.lastChangedAt).toMatch(ISO_MS_RE);
    expect(before.body._links.self.href).toMatch(new RegExp(`/users/${id}/password$`));

    const forced = await force(api, id);
    expect(forced.status, forced.text).toBe(200);
    expect(forced.body.status).toBe("MUST_CHANGE_PASSWORD");
    expect((await api.get(pw(id))).body.status).toBe("MUST_CHANGE_PASSWORD");
    expect((await app.passwordRow(id))?.passwordHash).toBe(v.encoded);
  });

  it("refuses to force a change on a user without a password", async () => {
    const id = await importUser();
    expectError(await force(api, id), 400, "REQUEST_FAILED");
    expect((await api.get(pw(id))).body).toMatchObject({ status: "NO_PASSWORD" });
  });
});

describe("users that cannot have a password here (3.4, 5)", () => {
  it("refuses every operation for an external identity provider's user with REQUEST_FAILED", async () => {
    const id = await importUser({ identityProvider: { id: refs.googleIdpId } });
    expectError(await check(api, id, "anything at all"), 400, "REQUEST_FAILED");
    expectError(await setPw(api, id, { value: "a fine new password" }), 400, "REQUEST_FAILED");
    expectError(await force(api, id), 400, "REQUEST_FAILED");
    expectError(await api.get(pw(id)), 400, "REQUEST_FAILED");
  });

  it("tells gateway users' callers that the external directory holds the password, and shows the link", async () => {
    const attr = refs.correlationAttributes[0]!;
    const id = await importUser({
      password: { external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, correlationAttributes: { [attr]: "uid=ada,ou=people" } } } },
    });
    for (const res of [await setPw(api, id, { value: "a fine new password" }), await force(api, id)]) {
      const e = expectError(res, 400, "REQUEST_FAILED");
      expect(e.message).toMatch(/external directory/);
    }
    // Check Password goes to the directory (spec 5.2): the demo gateway names no servers yet.
    expect(expectError(await check(api, id, "anything at all"), 503, "SERVICE_UNAVAILABLE").message).toMatch(/not configured/);
    const state = await api.get(pw(id));
    expect(state.status).toBe(200);
    expect(state.body.status).toBe("EXTERNAL");
    expect(state.body.external).toEqual({
      gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, correlationAttributes: { [attr]: "uid=ada,ou=people" } },
    });
    expect((await app.passwordRow(id))?.passwordStatus).toBe("EXTERNAL");
  });
});

describe("access (6)", () => {
  it("lets readers read but not write, hides users outside the scope, and 403s callers without a role", async () => {
    const v = vectors.find((x) => x.form === "{SSHA256}")!;
    const id = await importUser({ password: { value: v.encoded } });
    const pop = (populationId: string) => ({ scope: "POPULATION" as const, environmentId: D, populationId });
    const reader = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]));
    const contractorsAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", ...pop(refs.contractorsPopulationId) }]));
    const noRoles = api.withToken(await app.tokenFor([]));

    expect((await reader.get(pw(id))).status).toBe(200);
    for (const res of [await check(reader, id, v.password), await setPw(reader, id, { value: "a fine new password" }), await force(reader, id)]) {
      expectError(res, 403, "ACCESS_FAILED");
    }
    for (const res of [await contractorsAdmin.get(pw(id)), await check(contractorsAdmin, id, v.password), await force(contractorsAdmin, id)]) {
      expectError(res, 404, "NOT_FOUND");
    }
    expectError(await noRoles.get(pw(id)), 403, "ACCESS_FAILED");
    expectError(await api.withToken(undefined).get(pw(id)), 401, "ACCESS_FAILED");
    expectError(await api.get(pw("not-a-uuid")), 404, "NOT_FOUND");
    // Nothing changed through the refused calls.
    expect(await app.passwordRow(id)).toMatchObject({ passwordHash: v.encoded, passwordStatus: "OK" });

    // A population-scoped admin can operate on users of its population.
    const own = (await api.postUser({ username: uniqueName("c"), population: { id: refs.contractorsPopulationId }, password: { value: v.encoded } })).body.id;
    expect((await check(contractorsAdmin, own, v.password)).status).toBe(200);
  });
});
