/**
 * Access management through the API (issue 6.6): worker applications, their role assignments
 * and the role list, as PingOne has them. An Environment Admin hands out only what it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName, UUID_RE } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
let envAdmin: Client; // Environment Admin + Identity Data Admin, ENVIRONMENT demo
let dataAdmin: Client; // Identity Data Admin, ENVIRONMENT demo (no Environment Admin)
const D = FIXED.demoEnvId;

const ROLE_IDS = {
  ENVIRONMENT_ADMIN: "6f4b3c2a-0e1d-4a5b-9c01-000000000001",
  IDENTITY_DATA_ADMIN: "6f4b3c2a-0e1d-4a5b-9c01-000000000002",
  IDENTITY_DATA_READ_ONLY: "6f4b3c2a-0e1d-4a5b-9c01-000000000003",
};

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
  envAdmin = api.withToken(
    await app.tokenFor([
      { role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D },
      { role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D },
    ]),
  );
  dataAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
});

afterAll(async () => {
  await app?.close();
});

const post = (c: Client, path: string, body: unknown, contentType = "application/json") =>
  c.request(path, { method: "POST", headers: { "content-type": contentType }, body: JSON.stringify(body) });

async function tokenOf(envId: string, id: string, secret: string) {
  return app.fetch(`/${envId}/as/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${id}:${secret}`).toString("base64") },
    body: "grant_type=client_credentials",
  });
}

describe("GET /roles", () => {
  it("lists the three roles with fixed ids and needs a token", async () => {
    const res = await api.get("/roles");
    expect(res.status).toBe(200);
    const roles = res.body._embedded.roles as { id: string; name: string }[];
    expect(Object.fromEntries(roles.map((r) => [r.name, r.id]))).toEqual({
      "Environment Admin": ROLE_IDS.ENVIRONMENT_ADMIN,
      "Identity Data Admin": ROLE_IDS.IDENTITY_DATA_ADMIN,
      "Identity Data Read Only": ROLE_IDS.IDENTITY_DATA_READ_ONLY,
    });
    expectError(await api.withToken(undefined).get("/roles"), 401, "ACCESS_FAILED");
  });
});

describe("applications", () => {
  it("creates a worker application whose secret is shown once and works at the token endpoint", async () => {
    const res = await post(envAdmin, `/environments/${D}/applications`, { name: "sync job" });
    expect(res.status, res.text).toBe(201);
    expect(res.body.id).toMatch(UUID_RE);
    expect(res.body).toMatchObject({ name: "sync job", type: "WORKER", environment: { id: D }, enabled: true });
    expect(res.headers.get("location")).toBe(res.body._links.self.href);
    const secret = res.body.clientSecret as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);

    const one = await envAdmin.get(`/environments/${D}/applications/${res.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body.clientSecret).toBeUndefined();
    const list = await envAdmin.get(`/environments/${D}/applications`);
    expect(list.body._embedded.applications.map((a: { id: string }) => a.id)).toContain(res.body.id);
    expect(list.text.includes(secret) || one.text.includes(secret)).toBe(false);

    expect((await tokenOf(D, res.body.id, secret)).status).toBe(200);
    expect((await tokenOf(D, res.body.id, secret + "x")).status).toBe(401);
  });

  it("refuses callers without Environment Admin, bad bodies and other content types", async () => {
    expectError(await post(dataAdmin, `/environments/${D}/applications`, { name: "x" }), 403, "ACCESS_FAILED");
    expectError(await dataAdmin.get(`/environments/${D}/applications`), 403, "ACCESS_FAILED");
    expectInvalidData(await post(envAdmin, `/environments/${D}/applications`, {}), [["REQUIRED_VALUE", "name"]]);
    expectError(await post(envAdmin, `/environments/${D}/applications`, { name: "x" }, "text/plain"), 415, "INVALID_REQUEST");
    expectError(await post(envAdmin, `/environments/${FIXED.adminEnvId}/applications`, { name: "x" }), 403, "ACCESS_FAILED");
    expectError(await envAdmin.get(`/environments/${D}/applications/${crypto.randomUUID()}`), 404, "NOT_FOUND");
  });

  it("deletes an application: its secret stops working", async () => {
    const created = await post(envAdmin, `/environments/${D}/applications`, { name: "short-lived" });
    const id = created.body.id as string;
    const del = await envAdmin.request(`/environments/${D}/applications/${id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await tokenOf(D, id, created.body.clientSecret)).status).toBe(401);
    expectError(await envAdmin.get(`/environments/${D}/applications/${id}`), 404, "NOT_FOUND");
  });

  it("rotates the secret: the new one works, the old one no longer", async () => {
    const created = await post(envAdmin, `/environments/${D}/applications`, { name: "rotating" });
    const rotated = await envAdmin.request(`/environments/${D}/applications/${created.body.id}/secret`, { method: "POST" });
    expect(rotated.status).toBe(200);
    expect(rotated.body.clientSecret).not.toBe(created.body.clientSecret);
    expect((await tokenOf(D, created.body.id, rotated.body.clientSecret)).status).toBe(200);
    expect((await tokenOf(D, created.body.id, created.body.clientSecret)).status).toBe(401);
  });
});

describe("role assignments", () => {
  it("assigns a held role by id or name; the application can then import; delete takes it away", async () => {
    const created = await post(envAdmin, `/environments/${D}/applications`, { name: "importer" });
    const appId = created.body.id as string;
    const base = `/environments/${D}/applications/${appId}/roleAssignments`;

    const byId = await post(envAdmin, base, { role: { id: ROLE_IDS.IDENTITY_DATA_ADMIN }, scope: { type: "POPULATION", id: refs.defaultPopulationId } });
    expect(byId.status, byId.text).toBe(201);
    expect(byId.body).toMatchObject({ role: { id: ROLE_IDS.IDENTITY_DATA_ADMIN }, scope: { type: "POPULATION", id: refs.defaultPopulationId } });
    // Read Only's permissions are within the caller's Identity Data Admin over the environment.
    const byName = await post(envAdmin, base, { role: { name: "Identity Data Read Only" }, scope: { type: "ENVIRONMENT", id: D } });
    expect(byName.status, byName.text).toBe(201);
    expect(byName.body.role.id).toBe(ROLE_IDS.IDENTITY_DATA_READ_ONLY);

    const list = await envAdmin.get(base);
    expect(list.body._embedded.roleAssignments.map((r: { id: string }) => r.id)).toEqual([byId.body.id, byName.body.id]);
    expect((await envAdmin.request(`${base}/${byName.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await envAdmin.get(`${base}/${byId.body.id}`)).status).toBe(200);

    const tokenRes = await tokenOf(D, appId, created.body.clientSecret);
    const worker = api.withToken(((await tokenRes.json()) as { access_token: string }).access_token);
    const imported = await worker.postUser({ username: uniqueName(), population: { id: refs.defaultPopulationId } });
    expect(imported.status, imported.text).toBe(201);
    const other = await worker.postUser({ username: uniqueName(), population: { id: refs.contractorsPopulationId } });
    expectError(other, 403, "ACCESS_FAILED");

    expect((await envAdmin.request(`${base}/${byId.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await envAdmin.get(base)).body._embedded.roleAssignments).toEqual([]);
    expectError(await envAdmin.get(`${base}/${byId.body.id}`), 404, "NOT_FOUND");
  });

  it("refuses what the caller does not hold, unknown roles and bad scopes", async () => {
    const created = await post(envAdmin, `/environments/${D}/applications`, { name: "greedy" });
    const base = `/environments/${D}/applications/${created.body.id}/roleAssignments`;
    const org = await app.organizationId();
    expectError(await post(envAdmin, base, { role: { name: "Identity Data Admin" }, scope: { type: "ORGANIZATION", id: org } }), 403, "ACCESS_FAILED");
    expectError(await post(envAdmin, base, { role: { name: "Environment Admin" }, scope: { type: "ENVIRONMENT", id: FIXED.adminEnvId } }), 403, "ACCESS_FAILED");
    expectInvalidData(await post(envAdmin, base, { role: { id: crypto.randomUUID() }, scope: { type: "ENVIRONMENT", id: D } }), [["INVALID_VALUE", "role.id"]]);
    expectInvalidData(await post(envAdmin, base, { role: { name: "Identity Data Admin" }, scope: { type: "GALAXY", id: D } }), [["INVALID_VALUE", "scope.type"]]);
    expectInvalidData(await post(envAdmin, base, { scope: { type: "ENVIRONMENT", id: D } }), [["REQUIRED_VALUE", "role"]]);
    // An Environment Admin can hand out Environment Admin over its own environment.
    const ok = await post(envAdmin, base, { role: { name: "Environment Admin" }, scope: { type: "ENVIRONMENT", id: D } });
    expect(ok.status, ok.text).toBe(201);
  });
});
