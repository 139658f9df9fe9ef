/**
 * Populations and identity providers through the API (issue 14.1, 14.2, 14.5): create, read,
 * replace and delete with PingOne's fields; a population name unique in the environment; exactly
 * one default population, moved in one transaction; a population holding users or being the
 * default cannot be deleted; an identity provider in use cannot be deleted. Environment Admin over
 * the environment only. The environment resource names its organization.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, IMPORT_TYPE, ISO_MS_RE, uniqueName, UUID_RE } from "./support/http";

const D = FIXED.demoEnvId;
const MISSING = "0f000000-0000-4000-8000-00000000dead";

let app: TestApp;
let refs: DemoRefs;
let admin: Client; // Environment Admin + Identity Data Admin over the demo environment
let dataAdmin: Client; // Identity Data Admin over the demo environment (no Environment Admin)
let popAdmin: Client; // Identity Data Admin of the Contractors population
let otherEnvAdmin: Client; // Environment Admin of the administrators' environment only

const body = (method: string, value: unknown, type = "application/json") => ({ method, headers: { "content-type": type }, body: typeof value === "string" ? value : JSON.stringify(value) });
const pops = `/environments/${D}/populations`;
const idps = `/environments/${D}/identityProviders`;

async function defaults(): Promise<string[]> {
  const { getDb } = await import("@/db");
  const { populations } = await import("@/db/schema");
  const rows = await (await getDb()).select({ id: populations.id }).from(populations).where(and(eq(populations.environmentId, D), eq(populations.isDefault, true)));
  return rows.map((r) => r.id);
}

async function auditActions(resourceId: string): Promise<string[]> {
  const { getDb } = await import("@/db");
  const { auditEvents } = await import("@/db/schema");
  const rows = await (await getDb()).select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.resourceId, resourceId));
  return rows.map((r) => r.action);
}

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
  admin = new Client(
    app,
    await app.tokenFor([
      { role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D },
      { role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D },
    ]),
  );
  dataAdmin = admin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  popAdmin = admin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
  otherEnvAdmin = admin.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: FIXED.adminEnvId }]));
});

afterAll(async () => {
  admin?.expectNoLeak([FIXED.workerSecret]);
  await app?.close();
});

describe("populations (14.1)", () => {
  it("creates with 201 and Location, reads it back the same, and lists it", async () => {
    const name = uniqueName("Sales");
    const res = await admin.request(pops, body("POST", { name, description: "The sales team" }));
    expect(res.status, res.text).toBe(201);
    const p = res.body;
    expect(p.id).toMatch(UUID_RE);
    expect(res.headers.get("location")).toBe(`${app.base}${pops}/${p.id}`);
    expect(p).toEqual({
      _links: { self: { href: `${app.base}${pops}/${p.id}` }, environment: { href: `${app.base}/environments/${D}` } },
      id: p.id,
      name,
      environment: { id: D },
      description: "The sales team",
      default: false,
      createdAt: expect.stringMatching(ISO_MS_RE),
      updatedAt: expect.stringMatching(ISO_MS_RE),
    });
    const read = await admin.get(`${pops}/${p.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(p);
    // Capitals name the same population.
    expect((await admin.get(`${pops}/${p.id.toUpperCase()}`)).body.id).toBe(p.id);
    const list = await admin.get(pops);
    expect(list.body._embedded.populations.map((x: { id: string }) => x.id)).toContain(p.id);
    expect(await auditActions(p.id)).toEqual(["POPULATION.CREATED"]);
  });

  it("refuses a name used in the environment, compared case-insensitively, on create and on update", async () => {
    const name = uniqueName("Dup");
    expect((await admin.request(pops, body("POST", { name }))).status).toBe(201);
    expectInvalidData(await admin.request(pops, body("POST", { name: name.toUpperCase() })), [["UNIQUENESS_VIOLATION", "name"]]);
    const other = await admin.request(pops, body("POST", { name: uniqueName("Other") }));
    expectInvalidData(await admin.request(`${pops}/${other.body.id}`, body("PUT", { name })), [["UNIQUENESS_VIOLATION", "name"]]);
  });

  it("answers 400 with one detail per problem, 400 for malformed JSON and 415 for another media type", async () => {
    expectInvalidData(await admin.request(pops, body("POST", {})), [["REQUIRED_VALUE", "name"]]);
    expectInvalidData(await admin.request(pops, body("POST", { name: 5, description: [], default: "yes" })), [
      ["INVALID_VALUE", "name"],
      ["INVALID_VALUE", "description"],
      ["INVALID_VALUE", "default"],
    ]);
    expectInvalidData(await admin.request(pops, body("POST", { name: "   " })), [["REQUIRED_VALUE", "name"]]);
    expectInvalidData(await admin.request(pops, body("POST", { name: "x".repeat(257) })), [["SIZE_LIMIT_EXCEEDED", "name"]]);
    expectInvalidData(await admin.request(pops, body("POST", [])), [["INVALID_VALUE", "body"]]);
    expectError(await admin.request(pops, body("POST", "{not json")), 400, "INVALID_REQUEST");
    expectError(await admin.request(pops, body("POST", { name: "x", description: "y".repeat(70 * 1024) })), 413, "INVALID_REQUEST");
    expectError(await admin.request(pops, body("POST", { name: "x" }, "text/plain")), 415, "INVALID_REQUEST");
    expectError(await admin.request(`${pops}/${refs.contractorsPopulationId}`, body("PUT", { name: "x" }, "text/plain")), 415, "INVALID_REQUEST");
  });

  it("keeps exactly one default: making one the default unsets the other, and the default stays until another is made default", async () => {
    const before = await defaults();
    expect(before).toEqual([refs.defaultPopulationId]);
    const res = await admin.request(pops, body("POST", { name: uniqueName("New default"), default: true }));
    expect(res.status).toBe(201);
    expect(res.body.default).toBe(true);
    expect(await defaults()).toEqual([res.body.id]);
    expect((await admin.get(`${pops}/${refs.defaultPopulationId}`)).body.default).toBe(false);

    // default: false on the default population does not leave the environment without one.
    const kept = await admin.request(`${pops}/${res.body.id}`, body("PUT", { name: res.body.name, default: false }));
    expect(kept.status).toBe(200);
    expect(kept.body.default).toBe(true);

    // PUT default: true moves it back.
    const back = await admin.request(`${pops}/${refs.defaultPopulationId}`, body("PUT", { name: "Default", default: true }));
    expect(back.status, back.text).toBe(200);
    expect(back.body.default).toBe(true);
    expect(await defaults()).toEqual([refs.defaultPopulationId]);
    // A plain create (no population) lands in the default.
    const u = await dataAdmin.postUser({ username: uniqueName() }, { contentType: "application/json" });
    expect(u.body.population.id).toBe(refs.defaultPopulationId);
  });

  it("ends with exactly one default when several populations are made the default at once", async () => {
    const made = await Promise.all(Array.from({ length: 6 }, () => admin.request(pops, body("POST", { name: uniqueName("Race") }))));
    const answers = await Promise.all(made.map((m) => admin.request(`${pops}/${m.body.id}`, body("PUT", { name: m.body.name, default: true }))));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const now = await defaults();
    expect(now).toHaveLength(1);
    expect(made.map((m) => m.body.id)).toContain(now[0]);
    // Put the bootstrap default back for the other tests.
    expect((await admin.request(`${pops}/${refs.defaultPopulationId}`, body("PUT", { name: "Default", default: true }))).status).toBe(200);
    expect(await defaults()).toEqual([refs.defaultPopulationId]);
  });

  it("replaces the fields on PUT: a description left out is cleared", async () => {
    const res = await admin.request(pops, body("POST", { name: uniqueName("Edit"), description: "old" }));
    const name = uniqueName("Edited");
    const put = await admin.request(`${pops}/${res.body.id}`, body("PUT", { name }));
    expect(put.status, put.text).toBe(200);
    expect(put.body.name).toBe(name);
    expect(put.body).not.toHaveProperty("description");
    expect((await admin.get(`${pops}/${res.body.id}`)).body).toEqual(put.body);
    expect(await auditActions(res.body.id)).toEqual(["POPULATION.CREATED", "POPULATION.UPDATED"]);
  });

  it("deletes an empty population (204, then 404), and refuses one holding users with their count, and the default", async () => {
    const empty = await admin.request(pops, body("POST", { name: uniqueName("Empty") }));
    const del = await admin.request(`${pops}/${empty.body.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expectError(await admin.get(`${pops}/${empty.body.id}`), 404, "NOT_FOUND");
    expectError(await admin.request(`${pops}/${empty.body.id}`, { method: "DELETE" }), 404, "NOT_FOUND");
    expect(await auditActions(empty.body.id)).toEqual(["POPULATION.CREATED", "POPULATION.DELETED"]);

    const full = await admin.request(pops, body("POST", { name: uniqueName("Full") }));
    for (let i = 0; i < 3; i++) {
      const u = await dataAdmin.postUser({ username: uniqueName(), population: { id: full.body.id } });
      expect(u.status, u.text).toBe(201);
    }
    const refused = expectError(await admin.request(`${pops}/${full.body.id}`, { method: "DELETE" }), 400, "REQUEST_FAILED");
    expect(refused.message).toContain("3 users");
    expect((await admin.get(`${pops}/${full.body.id}`)).status).toBe(200);

    const def = expectError(await admin.request(`${pops}/${refs.defaultPopulationId}`, { method: "DELETE" }), 400, "REQUEST_FAILED");
    expect(def.message).toMatch(/default/);
  });

  it("answers 404 for an unknown or malformed id, and for another environment's population", async () => {
    expectError(await admin.get(`${pops}/${MISSING}`), 404, "NOT_FOUND");
    expectError(await admin.get(`${pops}/not-a-uuid`), 404, "NOT_FOUND");
    expectError(await admin.request(`${pops}/${MISSING}`, body("PUT", { name: "x" })), 404, "NOT_FOUND");
    expectError(await admin.request(`/environments/${MISSING}/populations`, body("POST", { name: "x" })), 404, "NOT_FOUND");
    const adminEnvPops = await otherEnvAdmin.get(`/environments/${FIXED.adminEnvId}/populations`);
    const foreign = adminEnvPops.body._embedded.populations[0].id as string;
    expectError(await admin.get(`${pops}/${foreign}`), 404, "NOT_FOUND");
  });

  it("needs Environment Admin over the environment: Identity Data Admins read but do not write, a population scope and another environment neither", async () => {
    const target = `${pops}/${refs.contractorsPopulationId}`;
    expect((await dataAdmin.get(target)).status).toBe(200);
    expect((await popAdmin.get(target)).status).toBe(200);
    for (const c of [dataAdmin, popAdmin]) {
      expectError(await c.request(pops, body("POST", { name: uniqueName() })), 403, "ACCESS_FAILED");
      expectError(await c.request(target, body("PUT", { name: "Contractors", default: true })), 403, "ACCESS_FAILED");
      expectError(await c.request(target, { method: "DELETE" }), 403, "ACCESS_FAILED");
    }
    expectError(await otherEnvAdmin.get(target), 403, "ACCESS_FAILED");
    expectError(await otherEnvAdmin.request(target, { method: "DELETE" }), 403, "ACCESS_FAILED");
    expectError(await admin.withToken(undefined).get(target), 401, "ACCESS_FAILED");
    expectError(await admin.withToken(undefined).request(pops, body("POST", { name: "x" })), 401, "ACCESS_FAILED");
    expect(await defaults()).toEqual([refs.defaultPopulationId]);
    expect((await admin.get(target)).body.name).toBe("Contractors");
  });

  it("answers 405 with Allow for a method the resource does not have", async () => {
    const res = await admin.request(`${pops}/${refs.contractorsPopulationId}`, { method: "POST" });
    expectError(res, 405, "INVALID_REQUEST");
    expect(res.headers.get("allow")).toBe("DELETE, GET, HEAD, OPTIONS, PUT");
  });
});

describe("identity providers (14.2)", () => {
  it("creates, reads, replaces and deletes, with type, name and enabled", async () => {
    const name = uniqueName("Corp OIDC");
    const res = await admin.request(idps, body("POST", { type: "OPENID_CONNECT", name }));
    expect(res.status, res.text).toBe(201);
    const p = res.body;
    expect(res.headers.get("location")).toBe(`${app.base}${idps}/${p.id}`);
    expect(p).toEqual({
      _links: { self: { href: `${app.base}${idps}/${p.id}` }, environment: { href: `${app.base}/environments/${D}` } },
      id: expect.stringMatching(UUID_RE),
      type: "OPENID_CONNECT",
      name,
      enabled: true,
      environment: { id: D },
      createdAt: expect.stringMatching(ISO_MS_RE),
      updatedAt: expect.stringMatching(ISO_MS_RE),
    });
    expect((await admin.get(`${idps}/${p.id}`)).body).toEqual(p);
    expect((await admin.get(idps)).body._embedded.identityProviders.map((x: { id: string }) => x.id)).toContain(p.id);

    const put = await admin.request(`${idps}/${p.id}`, body("PUT", { type: "SAML", name: "Corp SAML", enabled: false }));
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ id: p.id, type: "SAML", name: "Corp SAML", enabled: false });
    expect((await admin.get(`${idps}/${p.id}`)).body).toEqual(put.body);

    expect((await admin.request(`${idps}/${p.id}`, { method: "DELETE" })).status).toBe(204);
    expectError(await admin.get(`${idps}/${p.id}`), 404, "NOT_FOUND");
    expect(await auditActions(p.id)).toEqual(["IDENTITY_PROVIDER.CREATED", "IDENTITY_PROVIDER.UPDATED", "IDENTITY_PROVIDER.DELETED"]);
  });

  it("gives its users the provider's new type after a PUT, and refuses to delete a provider users sign on with", async () => {
    const p = await admin.request(idps, body("POST", { type: "GITHUB", name: uniqueName("GitHub") }));
    const u = await dataAdmin.postUser({ username: uniqueName(), population: { id: refs.defaultPopulationId }, identityProvider: { id: p.body.id } }, { contentType: IMPORT_TYPE });
    expect(u.status, u.text).toBe(201);
    expect(u.body.identityProvider).toEqual({ type: "GITHUB", id: p.body.id });
    await admin.request(`${idps}/${p.body.id}`, body("PUT", { type: "MICROSOFT", name: "Microsoft" }));
    expect((await dataAdmin.get(`/environments/${D}/users/${u.body.id}`)).body.identityProvider).toEqual({ type: "MICROSOFT", id: p.body.id });
    expectError(await admin.request(`${idps}/${p.body.id}`, { method: "DELETE" }), 400, "REQUEST_FAILED");
    expect((await admin.get(`${idps}/${p.body.id}`)).status).toBe(200);
  });

  it("validates the body and the media type", async () => {
    expectInvalidData(await admin.request(idps, body("POST", {})), [
      ["REQUIRED_VALUE", "type"],
      ["REQUIRED_VALUE", "name"],
    ]);
    expectInvalidData(await admin.request(idps, body("POST", { type: "MYSPACE", name: "x", enabled: "no" })), [
      ["INVALID_VALUE", "type"],
      ["INVALID_VALUE", "enabled"],
    ]);
    expectInvalidData(await admin.request(idps, body("POST", { type: "GOOGLE", name: "" })), [["REQUIRED_VALUE", "name"]]);
    expectInvalidData(await admin.request(`${idps}/${refs.googleIdpId}`, body("PUT", { name: "Google" })), [["REQUIRED_VALUE", "type"]]);
    expectError(await admin.request(idps, body("POST", { type: "GOOGLE", name: "x" }, "text/plain")), 415, "INVALID_REQUEST");
    expectError(await admin.request(idps, body("POST", "nope")), 400, "INVALID_REQUEST");
  });

  it("answers 404 for unknown ids and needs Environment Admin to write", async () => {
    expectError(await admin.get(`${idps}/${MISSING}`), 404, "NOT_FOUND");
    expectError(await admin.request(`${idps}/${MISSING}`, body("PUT", { type: "GOOGLE", name: "x" })), 404, "NOT_FOUND");
    expectError(await admin.request(`${idps}/${MISSING}`, { method: "DELETE" }), 404, "NOT_FOUND");
    expectError(await admin.get(`${idps}/nope`), 404, "NOT_FOUND");
    const google = `${idps}/${refs.googleIdpId}`;
    expect((await dataAdmin.get(google)).body.type).toBe("GOOGLE");
    for (const c of [dataAdmin, popAdmin]) {
      expectError(await c.request(idps, body("POST", { type: "GOOGLE", name: "x" })), 403, "ACCESS_FAILED");
      expectError(await c.request(google, body("PUT", { type: "APPLE", name: "x" })), 403, "ACCESS_FAILED");
      expectError(await c.request(google, { method: "DELETE" }), 403, "ACCESS_FAILED");
    }
    expectError(await otherEnvAdmin.get(google), 403, "ACCESS_FAILED");
    expectError(await admin.withToken(undefined).get(google), 401, "ACCESS_FAILED");
    expect((await admin.get(google)).body).toMatchObject({ type: "GOOGLE", enabled: true });
  });
});

describe("environment (14.5)", () => {
  it("carries organization {id}, in the list as in the single read", async () => {
    const org = await app.organizationId();
    const one = await admin.get(`/environments/${D}`);
    expect(one.status).toBe(200);
    expect(one.body.organization).toEqual({ id: org });
    const list = await admin.get("/environments");
    expect(list.body._embedded.environments.find((e: { id: string }) => e.id === D).organization).toEqual({ id: org });
  });
});
