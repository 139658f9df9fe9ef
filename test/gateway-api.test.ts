/**
 * The gateway resource through the API (issue 12.1, spec 5.1): create, read, list, replace and
 * delete with PingOne's field names; the bind password write-only, sealed at rest under the
 * server key and found in no response or audit event; PUT's rules for bindPassword and user
 * types; validation with one detail per problem; Environment Admin over the whole environment.
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, ISO_MS_RE, uniqueName } from "./support/http";

const D = FIXED.demoEnvId;
const BIND_PASSWORD = "bind-secret-" + randomUUID();
const OTHER_PASSWORD = "other-secret-" + randomUUID();

let app: TestApp;
let refs: DemoRefs;
let api: Client;

const json = (method: string, body: unknown) => ({ method, headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
const post = (body: unknown, c: Client = api) => c.request(`/environments/${D}/gateways`, json("POST", body));
const put = (id: string, body: unknown, c: Client = api) => c.request(`/environments/${D}/gateways/${id}`, json("PUT", body));

const full = () => ({
  name: uniqueName("Corp LDAP"),
  description: "The old directory",
  type: "LDAP",
  enabled: true,
  servers: ["ldap1.example.com:636", "[::1]:1636", "10.0.0.7:389"],
  bindDN: "cn=svc,dc=example,dc=com",
  bindPassword: BIND_PASSWORD,
  connectionSecurity: "TLS",
  validateTlsCertificates: true,
  vendor: "PingDirectory",
  userTypes: [
    {
      name: "Staff",
      passwordAuthority: "PING_ONE",
      searchBaseDn: "ou=people,dc=example,dc=com",
      orderedCorrelationAttributes: ["uid", "mail"],
      allowPasswordChanges: true,
      updateUserOnSuccessfulAuthentication: true,
      newUserLookup: {
        ldapFilterPattern: "(&(objectClass=inetOrgPerson)(uid=${identifier}))",
        population: { id: refs.defaultPopulationId },
        attributeMappings: [
          { name: "username", value: "${ldapAttributes.uid}" },
          { name: "email", value: "${ldapAttributes.mail}" },
          { name: "name.formatted", value: "${ldapAttributes.givenName} ${ldapAttributes.sn}" },
        ],
      },
    },
    { name: "Contractors", searchBaseDn: "ou=contractors,dc=example,dc=com", orderedCorrelationAttributes: ["employeeNumber"] },
  ],
});

async function storedRow(id: string) {
  const { getDb } = await import("@/db");
  const { gateways } = await import("@/db/schema");
  const [row] = await (await getDb()).select().from(gateways).where(eq(gateways.id, id));
  return row!;
}

async function opened(id: string, context = `gateway:${id}:bindPassword`) {
  const { openSecret } = await import("@/lib/secrets");
  const row = await storedRow(id);
  return row.bindPasswordCiphertext ? openSecret(row.bindPasswordCiphertext, context) : null;
}

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
  api = new Client(app, await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
});

afterAll(async () => {
  api?.expectNoLeak([BIND_PASSWORD, OTHER_PASSWORD]);
  await app?.close();
});

describe("create and read (5.1)", () => {
  it("creates with 201 and Location, answers every field but the bind password, and reads it back the same", async () => {
    const body = full();
    const res = await post(body);
    expect(res.status, res.text).toBe(201);
    const g = res.body;
    expect(res.headers.get("location")).toBe(g._links.self.href);
    expect(g).toMatchObject({
      type: "LDAP",
      name: body.name,
      description: "The old directory",
      enabled: true,
      environment: { id: D },
      servers: body.servers,
      bindDN: "cn=svc,dc=example,dc=com",
      connectionSecurity: "TLS",
      validateTlsCertificates: true,
      vendor: "PingDirectory",
    });
    expect(g).not.toHaveProperty("bindPassword");
    expect(g.createdAt).toMatch(ISO_MS_RE);
    expect(g.userTypes).toHaveLength(2);
    const [staff, contractors] = g.userTypes;
    expect(staff).toEqual({
      id: expect.any(String),
      name: "Staff",
      passwordAuthority: "PING_ONE",
      searchBaseDn: "ou=people,dc=example,dc=com",
      orderedCorrelationAttributes: ["uid", "mail"],
      allowPasswordChanges: true,
      updateUserOnSuccessfulAuthentication: true,
      newUserLookup: body.userTypes[0]!.newUserLookup,
    });
    expect(contractors).toMatchObject({ name: "Contractors", passwordAuthority: "LDAP", allowPasswordChanges: false, updateUserOnSuccessfulAuthentication: false });
    expect(contractors).not.toHaveProperty("newUserLookup");

    const read = await api.get(`/environments/${D}/gateways/${g.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(g);
    const list = await api.get(`/environments/${D}/gateways`);
    expect(list.body._embedded.gateways.map((x: { id: string }) => x.id)).toContain(g.id);
  });

  it("takes a gateway with defaults: no servers, no bind DN, None, certificates validated", async () => {
    const res = await post({ name: uniqueName("Bare"), type: "LDAP" });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ servers: [], connectionSecurity: "None", validateTlsCertificates: true, enabled: true, userTypes: [] });
    expect(res.body).not.toHaveProperty("bindDN");
  });

  it("keeps the bind password sealed at rest, bound to its gateway", async () => {
    const { body } = await post(full());
    const row = await storedRow(body.id);
    expect(row.bindPasswordCiphertext).toMatch(/^v1:/);
    expect(row.bindPasswordCiphertext).not.toContain(BIND_PASSWORD);
    expect(row.bindPasswordCiphertext).not.toContain(Buffer.from(BIND_PASSWORD).toString("base64").slice(0, 16));
    expect(await opened(body.id)).toBe(BIND_PASSWORD);
    // Copied onto another gateway, it does not open.
    await expect(opened(body.id, `gateway:${randomUUID()}:bindPassword`)).rejects.toThrow(/does not open/);
  });
});

describe("replace (PUT)", () => {
  it("keeps the stored bind password when left out, replaces it when sent, removes it for an empty string; each change is a new version", async () => {
    const created = (await post(full())).body;
    const { bindPassword: _omit, userTypes: _types, ...fields } = full();
    const v1 = (await storedRow(created.id)).version;

    const kept = await put(created.id, { ...fields, name: created.name, servers: ["ldap2.example.com:636"] });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.body.servers).toEqual(["ldap2.example.com:636"]);
    expect(await opened(created.id)).toBe(BIND_PASSWORD);
    const v2 = (await storedRow(created.id)).version;
    expect(v2).toBeGreaterThan(v1);

    expect((await put(created.id, { ...fields, bindPassword: OTHER_PASSWORD })).status).toBe(200);
    expect(await opened(created.id)).toBe(OTHER_PASSWORD);
    expect((await put(created.id, { ...fields, bindPassword: null })).status).toBe(200);
    expect(await opened(created.id)).toBe(OTHER_PASSWORD);
    expect((await put(created.id, { ...fields, bindPassword: "" })).status).toBe(200);
    expect(await opened(created.id)).toBeNull();
    expect((await storedRow(created.id)).version).toBeGreaterThan(v2);
  });

  it("keeps user types left out; sent, they become exactly these: by id updated, without id added, the rest deleted", async () => {
    const created = (await post(full())).body;
    const [staff, contractors] = created.userTypes as { id: string; name: string }[];
    const { userTypes: _types, ...fields } = full();
    expect((await put(created.id, fields)).body.userTypes.map((t: { id: string }) => t.id)).toEqual([staff!.id, contractors!.id]);

    const res = await put(created.id, {
      ...fields,
      userTypes: [
        { ...staff, name: "Staff (renamed)", orderedCorrelationAttributes: ["mail"] },
        { name: "Interns", orderedCorrelationAttributes: ["uid"] },
      ],
    });
    expect(res.status, res.text).toBe(200);
    const names = res.body.userTypes.map((t: { id: string; name: string }) => [t.name, t.id === staff!.id]);
    expect(names).toEqual([
      ["Staff (renamed)", true],
      ["Interns", false],
    ]);
    expect(res.body.userTypes[0].orderedCorrelationAttributes).toEqual(["mail"]);

    expectInvalidData(await put(created.id, { ...fields, userTypes: [{ id: randomUUID(), name: "X", orderedCorrelationAttributes: ["uid"] }] }), [["INVALID_VALUE", "userTypes.0.id"]]);
    // Nothing of the refused PUT was written.
    expect((await api.get(`/environments/${D}/gateways/${created.id}`)).body.userTypes).toHaveLength(2);
  });

  it("answers 404 for an unknown or malformed id", async () => {
    expectError(await put(randomUUID(), { name: "x", type: "LDAP" }), 404, "NOT_FOUND");
    expectError(await put("not-a-uuid", { name: "x", type: "LDAP" }), 404, "NOT_FOUND");
    expectError(await api.get(`/environments/${D}/gateways/${randomUUID()}`), 404, "NOT_FOUND");
  });
});

describe("validation: one detail per problem, the secret never echoed", () => {
  it("refuses bad fields with their attribute paths", async () => {
    expectInvalidData(await post({ type: "LDAP" }), [["REQUIRED_VALUE", "name"]]);
    expectInvalidData(await post({ name: "x", type: "LDAPS" }), [["INVALID_VALUE", "type"]]);
    expectInvalidData(await post({ name: "x", type: "LDAP", servers: ["ldap.example.com", "host:0", "ok.example.com:389", "a b:1"] }), [
      ["INVALID_VALUE", "servers.0"],
      ["INVALID_VALUE", "servers.1"],
      ["INVALID_VALUE", "servers.3"],
    ]);
    expectInvalidData(await post({ name: "x", type: "LDAP", connectionSecurity: "SSL", validateTlsCertificates: "yes", vendor: "Novell" }), [
      ["INVALID_VALUE", "connectionSecurity"],
      ["INVALID_VALUE", "validateTlsCertificates"],
      ["INVALID_VALUE", "vendor"],
    ]);
    const secretish = await post({ name: "x", type: "LDAP", bindPassword: ["a", BIND_PASSWORD] });
    expectInvalidData(secretish, [["INVALID_VALUE", "bindPassword"]]);
    const nul = await post({ name: "x", type: "LDAP", bindPassword: `${OTHER_PASSWORD}\u0000` });
    expectInvalidData(nul, [["INVALID_VALUE", "bindPassword"]]);
    expectInvalidData(
      await post({
        name: "x",
        type: "LDAP",
        userTypes: [
          { name: "", orderedCorrelationAttributes: [], passwordAuthority: "AD" },
          {
            name: "ok",
            orderedCorrelationAttributes: ["uid", "bad name"],
            newUserLookup: { population: { id: randomUUID() }, attributeMappings: [{ name: "password", value: "${ldapAttributes.userPassword}" }, { name: "email", value: "mail" }] },
          },
        ],
      }),
      [
        ["EMPTY_VALUE", "userTypes.0.name"],
        ["INVALID_VALUE", "userTypes.0.orderedCorrelationAttributes"],
        ["INVALID_VALUE", "userTypes.0.passwordAuthority"],
        ["INVALID_VALUE", "userTypes.1.orderedCorrelationAttributes"],
        ["INVALID_VALUE", "userTypes.1.newUserLookup.attributeMappings.0.name"],
        ["INVALID_VALUE", "userTypes.1.newUserLookup.attributeMappings.1.value"],
      ],
    );
    expectInvalidData(
      await post({ name: "x", type: "LDAP", userTypes: [{ name: "ok", orderedCorrelationAttributes: ["uid"], newUserLookup: { population: { id: randomUUID() } } }] }),
      [["INVALID_VALUE", "userTypes.0.newUserLookup.population.id"]],
    );
    expectError(await post("[1, 2]"), 400, "INVALID_DATA");
  });

  it("answers 415 for another content type and 400 INVALID_REQUEST for malformed JSON", async () => {
    expectError(await api.request(`/environments/${D}/gateways`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }), 415, "INVALID_REQUEST");
    expectError(await post("{not json"), 400, "INVALID_REQUEST");
  });
});

describe("delete", () => {
  it("deletes with 204; the gateway is then gone", async () => {
    const { body } = await post(full());
    const del = await api.request(`/environments/${D}/gateways/${body.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expectError(await api.get(`/environments/${D}/gateways/${body.id}`), 404, "NOT_FOUND");
    expectError(await api.request(`/environments/${D}/gateways/${body.id}`, { method: "DELETE" }), 404, "NOT_FOUND");
  });
});

describe("a user whose link points at what was deleted", () => {
  it("answers Check Password with a 400 naming what is gone, the user type and then the gateway, without going to any directory", async () => {
    const { body: gw } = await post(full());
    const staff = gw.userTypes.find((t: { name: string }) => t.name === "Staff").id;
    const contractors = gw.userTypes.find((t: { name: string }) => t.name === "Contractors").id;
    const linked = async (typeId: string, correlationAttributes: Record<string, string>) => {
      const res = await api.postUser({ username: uniqueName("gone"), population: { id: refs.defaultPopulationId }, password: { external: { gateway: { id: gw.id, userType: { id: typeId }, correlationAttributes } } } });
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    const check = (userId: string) =>
      api.request(`/environments/${D}/users/${userId}/password`, { method: "POST", headers: { "content-type": "application/vnd.pingidentity.password.check+json" }, body: JSON.stringify({ password: "anything" }) });
    const onStaff = await linked(staff, { uid: "x" });
    const onContractors = await linked(contractors, { employeeNumber: "7" });

    // A PUT whose userTypes leave Contractors out deletes that user type.
    const { bindPassword: _kept, ...rest } = full();
    const replaced = await put(gw.id, { ...rest, name: gw.name, userTypes: [{ ...rest.userTypes[0], id: staff }] });
    expect(replaced.status, replaced.text).toBe(200);
    const typeGone = expectError(await check(onContractors), 400, "REQUEST_FAILED");
    expect(typeGone.message).toMatch(/user type this user is linked to no longer exists/);

    expect((await api.request(`/environments/${D}/gateways/${gw.id}`, { method: "DELETE" })).status).toBe(204);
    for (const id of [onStaff, onContractors]) {
      const gone = expectError(await check(id), 400, "REQUEST_FAILED");
      expect(gone.message).toMatch(/gateway this user is linked to no longer exists/);
    }
  });
});

describe("access (6)", () => {
  it("lets readers read; only an Environment Admin over the whole environment writes", async () => {
    const { body } = await post(full());
    const dataAdmin = api.withToken(await app.token());
    const populationAdmin = api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.defaultPopulationId }]));
    const noRoles = api.withToken(await app.tokenFor([]));
    const otherEnvAdmin = api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: FIXED.adminEnvId }]));

    expect((await dataAdmin.get(`/environments/${D}/gateways/${body.id}`)).status).toBe(200);
    for (const c of [dataAdmin, populationAdmin, noRoles, otherEnvAdmin]) {
      expectError(await post(full(), c), 403, "ACCESS_FAILED");
      expectError(await put(body.id, { name: "taken over", type: "LDAP", bindPassword: "x" }, c), 403, "ACCESS_FAILED");
      expectError(await c.request(`/environments/${D}/gateways/${body.id}`, { method: "DELETE" }), 403, "ACCESS_FAILED");
    }
    expectError(await noRoles.get(`/environments/${D}/gateways/${body.id}`), 403, "ACCESS_FAILED");
    expectError(await api.withToken(undefined).get(`/environments/${D}/gateways/${body.id}`), 401, "ACCESS_FAILED");
    expectError(await api.get(`/environments/${randomUUID()}/gateways/${body.id}`), 404, "NOT_FOUND");
    // Another environment's admin cannot reach it through its own environment either.
    expectError(await otherEnvAdmin.get(`/environments/${FIXED.adminEnvId}/gateways/${body.id}`), 404, "NOT_FOUND");
    expect(await opened(body.id)).toBe(BIND_PASSWORD);
  });

  it("writes audit events that never hold the bind password", async () => {
    const { getDb } = await import("@/db");
    const { auditEvents } = await import("@/db/schema");
    const rows = await (await getDb()).select().from(auditEvents).where(eq(auditEvents.resourceType, "GATEWAY"));
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(["GATEWAY.CREATED", "GATEWAY.UPDATED", "GATEWAY.DELETED"]));
    const text = JSON.stringify(rows);
    expect(text).not.toContain(BIND_PASSWORD);
    expect(text).not.toContain(OTHER_PASSWORD);
  });
});
