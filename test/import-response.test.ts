/**
 * Create User (Import), spec 2.3-2.5 and 5: what a successful import writes and answers, plain
 * create, the /v1 prefix, ignored attributes, identity providers and gateway users.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, ISO_MS_RE, UUID_RE, uniqueName } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
const secrets = new Set<string>();

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => {
  api?.expectNoLeak([...secrets, FIXED.workerSecret]);
  await app?.close();
});

const USER_KEYS_ALWAYS = [
  "_links", "id", "environment", "population", "username", "emailVerified", "enabled", "mfaEnabled",
  "lifecycle", "identityProvider", "account", "verifyStatus", "createdAt", "updatedAt",
];

function expectUserResource(u: Record<string, unknown>, expectedOptional: string[] = []) {
  expect(Object.keys(u).sort()).toEqual([...USER_KEYS_ALWAYS, ...expectedOptional].sort());
  const self = `${app.base}/environments/${FIXED.demoEnvId}/users/${u.id}`;
  expect(u._links).toEqual({
    self: { href: self },
    password: { href: `${self}/password` },
    "password.set": { href: `${self}/password` },
    "password.check": { href: `${self}/password` },
    "account.sendVerificationCode": { href: self },
    population: { href: `${app.base}/environments/${FIXED.demoEnvId}/populations/${(u.population as { id: string }).id}` },
    "population.update": { href: `${self}/population` },
    enabled: { href: `${self}/enabled` },
    identityProvider: { href: `${self}/identityProvider` },
  });
  expect(u.id).toMatch(UUID_RE);
  expect(u.environment).toEqual({ id: FIXED.demoEnvId });
  expect(u.verifyStatus).toBe("NOT_INITIATED");
  expect(u.account).toEqual({ canAuthenticate: u.enabled, status: "OK" });
  expect(u.createdAt).toMatch(ISO_MS_RE);
  expect(u.updatedAt).toMatch(ISO_MS_RE);
  expect(["PING_ONE", "GOOGLE"]).toContain((u.identityProvider as { type: string }).type);
  // Nothing about the password is part of the resource.
  expect(u).not.toHaveProperty("password");
  expect(JSON.stringify(u)).not.toMatch(/hash|\$argon2|\{SSHA/i);
}

describe("201 and the user resource (2.4, 2.5)", () => {
  it("answers 201 with a Location equal to _links.self.href and every listed field", async () => {
    const password = "Full-resource-pass-1";
    secrets.add(password);
    const body = {
      username: uniqueName("full"),
      email: "Full.Resource@Example.com",
      population: { id: refs.contractorsPopulationId },
      password: { value: password, forceChange: true },
      emailVerified: true,
      mfaEnabled: true,
      enabled: false,
      lifecycle: { status: "ACCOUNT_OK" },
      name: { given: "Ada", family: "Lovelace", middle: "King", formatted: "Ada King Lovelace", honorificPrefix: "Countess", honorificSuffix: "FRS" },
      nickname: "Ada",
      title: "Analyst",
      locale: "en-GB",
      preferredLanguage: "en",
      timezone: "Europe/London",
      externalId: "ext-42",
      primaryPhone: "+44 20 7946 0000",
      mobilePhone: "+44 7700 900000",
      address: { streetAddress: "12 St James's Square", locality: "London", region: "Greater London", postalCode: "SW1Y 4JH", countryCode: "GB" },
      photo: { href: "https://example.com/ada.png" },
    };
    const res = await api.postUser(body);
    expect(res.status, res.text).toBe(201);
    const u = res.body;
    expect(res.headers.get("location")).toBe(u._links.self.href);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expectUserResource(u, [
      "email", "name", "nickname", "title", "locale", "preferredLanguage", "timezone", "externalId",
      "primaryPhone", "mobilePhone", "address", "photo",
    ]);
    expect(u).toMatchObject({
      population: { id: refs.contractorsPopulationId },
      username: body.username,
      email: body.email,
      emailVerified: true,
      mfaEnabled: true,
      enabled: false,
      lifecycle: { status: "ACCOUNT_OK" },
      identityProvider: { type: "PING_ONE" },
      account: { canAuthenticate: false, status: "OK" },
      name: body.name,
      address: body.address,
      photo: body.photo,
      externalId: "ext-42",
    });
    expect(u.identityProvider).toEqual({ type: "PING_ONE" });
    expect(u.createdAt).toBe(u.updatedAt);
    expect(Math.abs(Date.parse(u.createdAt) - Date.now())).toBeLessThan(60_000);

    // forceChange is stored, not shown.
    const row = await app.passwordRow(u.id);
    expect(row?.passwordStatus).toBe("MUST_CHANGE_PASSWORD");
    secrets.add(row!.passwordHash!);
  });

  it("gives the documented defaults for a minimal body", async () => {
    const res = await api.postUser({ username: uniqueName("min"), population: { id: refs.defaultPopulationId } });
    expect(res.status, res.text).toBe(201);
    expectUserResource(res.body);
    expect(res.body).toMatchObject({
      emailVerified: false,
      enabled: true,
      mfaEnabled: false,
      lifecycle: { status: "ACCOUNT_OK" },
      identityProvider: { type: "PING_ONE" },
      account: { canAuthenticate: true, status: "OK" },
    });
    const row = await app.passwordRow(res.body.id);
    expect(row).toEqual({ passwordHash: null, passwordStatus: "NO_PASSWORD", externalPassword: null });
  });

  it("omits attributes sent as null and keeps the others as sent", async () => {
    const res = await api.postUser({
      username: uniqueName("nulls"),
      population: { id: refs.defaultPopulationId },
      email: null,
      nickname: null,
      name: { given: "Only", family: null },
      address: null,
    });
    expect(res.status, res.text).toBe(201);
    expectUserResource(res.body, ["name"]);
    expect(res.body.name).toEqual({ given: "Only" });
  });

  it("returns the same resource from GET by id, also in the list", async () => {
    const created = await api.postUser({
      username: uniqueName("same"),
      email: "same@example.com",
      population: { id: refs.defaultPopulationId },
      name: { given: "Same" },
      identityProvider: { id: refs.googleIdpId },
    });
    expect(created.status).toBe(201);
    const got = await api.get(created.headers.get("location")!);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    const list = await api.get(`/environments/${FIXED.demoEnvId}/users?filter=${encodeURIComponent(`username eq "${created.body.username}"`)}`);
    expect(list.body._embedded.users).toEqual([created.body]);
  });

  it("records the stored password state: OK for a password, MUST_CHANGE_PASSWORD with forceChange", async () => {
    const a = await api.postUser({ username: uniqueName("pw-ok"), population: { id: refs.defaultPopulationId }, password: { value: "Stored-state-pass-1" } });
    const b = await api.postUser({
      username: uniqueName("pw-mc"),
      population: { id: refs.defaultPopulationId },
      password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93", forceChange: true },
    });
    const c = await api.postUser({ username: uniqueName("pw-none"), population: { id: refs.defaultPopulationId }, password: { forceChange: true } });
    secrets.add("Stored-state-pass-1").add("{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93").add("+uWzzjAkOVO9cuH389YvyFAUk96OHx93");
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect((await app.passwordRow(a.body.id))?.passwordStatus).toBe("OK");
    expect((await app.passwordRow(b.body.id))?.passwordStatus).toBe("MUST_CHANGE_PASSWORD");
    expect((await app.passwordRow(c.body.id))?.passwordStatus).toBe("NO_PASSWORD");
  });
});

describe("identity providers (2.3, 5)", () => {
  it("answers identityProvider.type of the referenced provider", async () => {
    const res = await api.postUser({ username: uniqueName("idp"), population: { id: refs.defaultPopulationId }, identityProvider: { id: refs.googleIdpId } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.identityProvider).toEqual({ type: "GOOGLE", id: refs.googleIdpId });
  });

  it("ignores an identityProvider.type sent by the caller", async () => {
    const withId = await api.postUser({
      username: uniqueName("idp-type"),
      population: { id: refs.defaultPopulationId },
      identityProvider: { id: refs.googleIdpId, type: "FACEBOOK" },
    });
    expect(withId.status, withId.text).toBe(201);
    expect(withId.body.identityProvider).toEqual({ type: "GOOGLE", id: refs.googleIdpId });
    const typeOnly = await api.postUser({ username: uniqueName("idp-type"), population: { id: refs.defaultPopulationId }, identityProvider: { type: "SAML" } });
    expect(typeOnly.status, typeOnly.text).toBe(201);
    expect(typeOnly.body.identityProvider).toEqual({ type: "PING_ONE" });
  });
});

describe("unknown attributes", () => {
  it("ignores unknown top-level attributes and does not store them", async () => {
    const res = await api.postUser({
      username: uniqueName("unknown"),
      population: { id: refs.defaultPopulationId },
      favouriteColour: "blue",
      id: "11111111-1111-4111-8111-111111111111",
      createdAt: "2000-01-01T00:00:00.000Z",
      verifyStatus: "COMPLETED",
      account: { status: "LOCKED" },
      _links: { self: { href: "https://evil.example" } },
      passwordHash: "{SSHA}AAAA",
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.favouriteColour).toBeUndefined();
    expect(res.body.id).not.toBe("11111111-1111-4111-8111-111111111111");
    expect(res.body.createdAt).not.toBe("2000-01-01T00:00:00.000Z");
    expect(res.body.verifyStatus).toBe("NOT_INITIATED");
    expect(res.body.account.status).toBe("OK");
    expect(res.body._links.self.href).toMatch(/^http:\/\/localhost:3000\//);
    const got = await api.get(res.body._links.self.href);
    expect(got.body.favouriteColour).toBeUndefined();
    expect((await app.passwordRow(res.body.id))?.passwordHash).toBeNull();
  });

  it("ignores unknown attributes inside known objects", async () => {
    const res = await api.postUser({ username: uniqueName("inner"), population: { id: refs.defaultPopulationId, name: "Default" }, name: { given: "In", nick: "x" } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.name).toEqual({ given: "In" });
    expect(res.body.population).toEqual({ id: refs.defaultPopulationId });
  });
});

describe("plain create (application/json)", () => {
  const create = (body: unknown) => api.postUser(body, { contentType: "application/json" });

  it("puts the user in the default population when population.id is left out", async () => {
    const res = await create({ username: uniqueName("plain") });
    expect(res.status, res.text).toBe(201);
    expectUserResource(res.body);
    expect(res.body.population).toEqual({ id: refs.defaultPopulationId });
    expect(res.headers.get("location")).toBe(res.body._links.self.href);
    expect((await app.passwordRow(res.body.id))?.passwordStatus).toBe("NO_PASSWORD");
  });

  it("honours an explicit population and the charset parameter", async () => {
    const res = await api.postUser(
      { username: uniqueName("plain"), population: { id: refs.contractorsPopulationId }, email: "p@example.com", emailVerified: false },
      { contentType: "application/json; charset=utf-8" },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.population).toEqual({ id: refs.contractorsPopulationId });
    expect(res.body.emailVerified).toBe(false);
  });

  it("refuses a password, a lifecycle and emailVerified: true", async () => {
    const before = await app.countUsers();
    expectInvalidData(await create({ username: uniqueName(), password: { value: "Plain-create-pass-1" } }), [["INVALID_VALUE", "password"]]);
    expectInvalidData(await create({ username: uniqueName(), password: null }), [["INVALID_VALUE", "password"]]);
    expectInvalidData(await create({ username: uniqueName(), lifecycle: { status: "ACCOUNT_OK" } }), [["INVALID_VALUE", "lifecycle"]]);
    expectInvalidData(await create({ username: uniqueName(), emailVerified: true }), [["INVALID_VALUE", "emailVerified"]]);
    expectInvalidData(await create({ username: uniqueName(), population: { id: "x" } }), [["INVALID_VALUE", "population.id"]]);
    expectInvalidData(await create({}), [["REQUIRED_VALUE", "username"]]);
    expect(await app.countUsers()).toBe(before);
    secrets.add("Plain-create-pass-1");
  });
});

describe("the /v1 prefix", () => {
  it("imports, reads and lists under /v1/environments with /v1 links", async () => {
    const res = await api.postUser({ username: uniqueName("v1"), population: { id: refs.defaultPopulationId } }, { prefix: "/v1" });
    expect(res.status, res.text).toBe(201);
    const self = res.body._links.self.href as string;
    expect(self).toBe(`${app.base}/v1/environments/${FIXED.demoEnvId}/users/${res.body.id}`);
    expect(res.headers.get("location")).toBe(self);
    const got = await api.get(self);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    const list = await api.get(`/v1/environments/${FIXED.demoEnvId}/users?limit=1`);
    expect(list.status).toBe(200);
    expect(list.body._links.self.href).toMatch(new RegExp(`^${app.base}/v1/environments/`));
    const envs = await api.get("/v1/environments");
    expect(envs.status).toBe(200);
    expect(envs.body._embedded.environments.map((e: { id: string }) => e.id)).toContain(FIXED.demoEnvId);
  });

  it("gives the same errors under /v1", async () => {
    expectError(await api.postUser({}, { prefix: "/v1", contentType: "text/plain" }), 415, "INVALID_REQUEST");
    expectInvalidData(await api.postUser({ population: { id: refs.defaultPopulationId } }, { prefix: "/v1" }), [["REQUIRED_VALUE", "username"]]);
  });
});

describe("gateway users (5)", () => {
  const gatewayBody = (correlationAttributes?: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
    username: uniqueName("gw"),
    population: { id: refs.defaultPopulationId },
    password: { external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, ...(correlationAttributes ? { correlationAttributes } : {}) } } },
    ...over,
  });

  it("stores password status EXTERNAL with the gateway, user type and link attributes", async () => {
    expect(refs.correlationAttributes).toEqual(["uid", "mail", "employeeNumber"]);
    const attrs = { uid: "jdoe", mail: "jdoe@corp.example", employeeNumber: "E-1001" };
    const res = await api.postUser(gatewayBody(attrs));
    expect(res.status, res.text).toBe(201);
    expect(res.body.identityProvider).toEqual({ type: "PING_ONE" });
    expect(res.body).not.toHaveProperty("password");
    const row = await app.passwordRow(res.body.id);
    expect(row).toEqual({
      passwordHash: null,
      passwordStatus: "EXTERNAL",
      externalPassword: { gatewayId: refs.gatewayId, userTypeId: refs.userTypeId, correlationAttributes: attrs },
    });
  });

  it("accepts a subset of the link attributes, or none", async () => {
    for (const attrs of [{ uid: "only-uid" }, {}, undefined]) {
      const res = await api.postUser(gatewayBody(attrs));
      expect(res.status, res.text).toBe(201);
      expect((await app.passwordRow(res.body.id))?.passwordStatus).toBe("EXTERNAL");
    }
  });

  it("refuses correlationAttributes keys outside the user type's list, one detail each", async () => {
    const before = await app.countUsers();
    expectInvalidData(await api.postUser(gatewayBody({ uid: "x", sAMAccountName: "y" })), [
      ["INVALID_VALUE", "password.external.gateway.correlationAttributes.sAMAccountName"],
    ]);
    expectInvalidData(await api.postUser(gatewayBody({ UID: "x", cn: "y" })), [
      ["INVALID_VALUE", "password.external.gateway.correlationAttributes.UID"],
      ["INVALID_VALUE", "password.external.gateway.correlationAttributes.cn"],
    ]);
    for (const key of ["constructor", "toString", "hasOwnProperty", "prototype"]) {
      const raw = JSON.stringify(gatewayBody({ uid: "x" })).replace('"uid":"x"', `"uid":"x","${key}":"y"`);
      const res = await api.postUser(raw, { raw: true });
      expectError(res, 400, "INVALID_DATA");
    }
    expect(await app.countUsers()).toBe(before);
  });

  it("refuses link attribute values that are not strings", async () => {
    expectInvalidData(await api.postUser(gatewayBody({ uid: 42 })), [["INVALID_VALUE", "password.external.gateway.correlationAttributes.uid"]]);
    expectInvalidData(await api.postUser(gatewayBody({ uid: "u".repeat(1025) })), [["SIZE_LIMIT_EXCEEDED", "password.external.gateway.correlationAttributes.uid"]]);
    expectError(await api.postUser(gatewayBody(["uid"] as unknown as Record<string, unknown>)), 400, "INVALID_DATA");
  });
});
