/**
 * Access, spec 2.2 rule 5, 2.2 rule 8 (what a conflict may reveal) and 6: roles and scopes of
 * worker applications, each with its own token from the real token endpoint.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName, withoutId, type ErrorEnvelope } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;

// Callers, each a worker application holding exactly the named assignments.
let contractorsAdmin: Client; // Identity Data Admin, POPULATION Contractors
let envReadOnly: Client; // Identity Data Read Only, ENVIRONMENT demo
let contractorsReader: Client; // Identity Data Read Only, POPULATION Contractors
let envAdmin: Client; // Environment Admin, ENVIRONMENT demo
let orgDataAdmin: Client; // Identity Data Admin, ORGANIZATION
let adminEnvOnly: Client; // Identity Data Admin, ENVIRONMENT of the administrators' environment
let noRoles: Client;
let contractorsAdminDefaultReader: Client; // Identity Data Admin on Contractors + Read Only on Default

const D = FIXED.demoEnvId;

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
  const pop = (populationId: string) => ({ scope: "POPULATION" as const, environmentId: D, populationId });
  contractorsAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", ...pop(refs.contractorsPopulationId) }]));
  envReadOnly = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]));
  contractorsReader = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", ...pop(refs.contractorsPopulationId) }]));
  envAdmin = api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  orgDataAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]));
  adminEnvOnly = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: FIXED.adminEnvId }]));
  noRoles = api.withToken(await app.tokenFor([]));
  contractorsAdminDefaultReader = api.withToken(
    await app.tokenFor([
      { role: "IDENTITY_DATA_ADMIN", ...pop(refs.contractorsPopulationId) },
      { role: "IDENTITY_DATA_READ_ONLY", ...pop(refs.defaultPopulationId) },
    ]),
  );
});
afterAll(async () => {
  api?.expectNoLeak([FIXED.workerSecret]);
  await app?.close();
});

const body = (populationId: string, over: Record<string, unknown> = {}) => ({ username: uniqueName("acc"), population: { id: populationId }, ...over });

function expect403(res: Awaited<ReturnType<Client["postUser"]>>): ErrorEnvelope {
  const e = expectError(res, 403, "ACCESS_FAILED");
  expect(e.details?.map((d) => d.code)).toEqual(["INSUFFICIENT_PERMISSIONS"]);
  return e;
}

describe("rule 5: who may import", () => {
  it("lets Identity Data Admin (environment, organization) and Environment Admin import", async () => {
    for (const caller of [api, orgDataAdmin, envAdmin]) {
      const res = await caller.postUser(body(refs.defaultPopulationId));
      expect(res.status, res.text).toBe(201);
    }
  });

  it("refuses Identity Data Read Only with 403 and writes nothing", async () => {
    const before = await app.countUsers();
    expect403(await envReadOnly.postUser(body(refs.defaultPopulationId)));
    expect403(await envReadOnly.postUser({ username: uniqueName() }, { contentType: "application/json" }));
    expect403(await contractorsReader.postUser(body(refs.contractorsPopulationId)));
    expect(await app.countUsers()).toBe(before);
  });

  it("refuses a caller with no role, or roles only in another environment", async () => {
    expect403(await noRoles.postUser(body(refs.defaultPopulationId)));
    expect403(await adminEnvOnly.postUser(body(refs.defaultPopulationId)));
  });

  it("checks the body (rule 4) before access (rule 5)", async () => {
    expectInvalidData(await envReadOnly.postUser({ population: { id: refs.defaultPopulationId } }), [["REQUIRED_VALUE", "username"]]);
    expectInvalidData(await noRoles.postUser({ username: "x", population: { id: "nope" } }), [["INVALID_VALUE", "population.id"]]);
  });

  it("lets a population-scoped Identity Data Admin import into its population only", async () => {
    const ok = await contractorsAdmin.postUser(body(refs.contractorsPopulationId));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.population).toEqual({ id: refs.contractorsPopulationId });
    const before = await app.countUsers();
    expect403(await contractorsAdmin.postUser(body(refs.defaultPopulationId)));
    // Plain create without population.id means the default population: not its own.
    expect403(await contractorsAdmin.postUser({ username: uniqueName() }, { contentType: "application/json" }));
    expect(await app.countUsers()).toBe(before);
  });

  it("gives a population-scoped caller the same 403 whether the target population exists or not", async () => {
    const existing = expect403(await contractorsAdmin.postUser(body(refs.defaultPopulationId)));
    const missing = expect403(await contractorsAdmin.postUser(body(randomUUID())));
    const otherEnv = await api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }])).get(`/environments/${FIXED.adminEnvId}/populations`);
    const foreign = expect403(await contractorsAdmin.postUser(body(otherEnv.body._embedded.populations[0].id)));
    expect(withoutId(missing)).toEqual(withoutId(existing));
    expect(withoutId(foreign)).toEqual(withoutId(existing));
    // Also when other parts of the body refer to things that do not exist (rule 5 before 6).
    const withBadIdp = expect403(await contractorsAdmin.postUser(body(randomUUID(), { identityProvider: { id: randomUUID() } })));
    expect(withoutId(withBadIdp)).toEqual(withoutId(existing));
  });

  it("refuses before the uniqueness check: a forbidden caller does not learn that a username is taken", async () => {
    const taken = body(refs.defaultPopulationId);
    expect((await api.postUser(taken)).status).toBe(201);
    const a = expect403(await contractorsAdmin.postUser({ ...taken }));
    const b = expect403(await contractorsAdmin.postUser(body(refs.defaultPopulationId)));
    expect(withoutId(a)).toEqual(withoutId(b));
  });
});

describe("rule 8 across populations: what a conflict reveals", () => {
  it("gives a caller who cannot read the existing user the same error, without its id or population", async () => {
    const existing = await api.postUser(body(refs.defaultPopulationId, { username: uniqueName("Hidden") }));
    expect(existing.status).toBe(201);
    const before = await app.countUsers();

    const res = await contractorsAdmin.postUser(body(refs.contractorsPopulationId, { username: existing.body.username.toUpperCase() }));
    const hidden = expectInvalidData(res, [["UNIQUENESS_VIOLATION", "username"]]);
    expect(hidden.details![0]).not.toHaveProperty("innerError");
    expect(res.text).not.toContain(existing.body.id);
    expect(res.text).not.toContain(refs.defaultPopulationId);
    expect(res.text).not.toContain(existing.body.username);

    // A caller who may read the user gets the same error plus innerError.existingId.
    const visible = expectInvalidData(await api.postUser(body(refs.contractorsPopulationId, { username: existing.body.username })), [
      ["UNIQUENESS_VIOLATION", "username"],
    ]);
    expect(visible.details![0]!.innerError).toEqual({ existingId: existing.body.id });
    const { innerError: _inner, ...visibleDetail } = visible.details![0]!;
    expect(hidden.details![0]).toEqual(visibleDetail);
    expect(hidden.message).toBe(visible.message);
    expect(await app.countUsers()).toBe(before);
  });

  it("gives existingId to a population-scoped caller who may read the other population", async () => {
    const existing = await api.postUser(body(refs.defaultPopulationId));
    const e = expectInvalidData(
      await contractorsAdminDefaultReader.postUser(body(refs.contractorsPopulationId, { username: existing.body.username })),
      [["UNIQUENESS_VIOLATION", "username"]],
    );
    expect(e.details![0]!.innerError).toEqual({ existingId: existing.body.id });
  });

  it("gives existingId to a population-scoped caller when the existing user is in its own population", async () => {
    const existing = await contractorsAdmin.postUser(body(refs.contractorsPopulationId));
    const e = expectInvalidData(await contractorsAdmin.postUser(body(refs.contractorsPopulationId, { username: existing.body.username })), [
      ["UNIQUENESS_VIOLATION", "username"],
    ]);
    expect(e.details![0]!.innerError).toEqual({ existingId: existing.body.id });
  });

  it("hides the existing user also when the username clash comes with a weak password (rule 8 before 9)", async () => {
    const existing = await api.postUser(body(refs.defaultPopulationId));
    const e = expectInvalidData(
      await contractorsAdmin.postUser(body(refs.contractorsPopulationId, { username: existing.body.username, password: { value: "short" } })),
      [["UNIQUENESS_VIOLATION", "username"]],
    );
    expect(e.details![0]).not.toHaveProperty("innerError");
  });
});

describe("reading users in scope", () => {
  let inDefault: string;
  let inContractors: string;

  beforeAll(async () => {
    inDefault = (await api.postUser(body(refs.defaultPopulationId, { username: uniqueName("read-d") }))).body.id;
    inContractors = (await api.postUser(body(refs.contractorsPopulationId, { username: uniqueName("read-c") }))).body.id;
  });

  it("lets a population-scoped reader read its population's users and answers 404 for the others", async () => {
    expect((await contractorsReader.get(`/environments/${D}/users/${inContractors}`)).status).toBe(200);
    const other = await contractorsReader.get(`/environments/${D}/users/${inDefault}`);
    const missing = await contractorsReader.get(`/environments/${D}/users/${randomUUID()}`);
    expect(withoutId(expectError(other, 404, "NOT_FOUND"))).toEqual(withoutId(expectError(missing, 404, "NOT_FOUND")));
  });

  it("lists only the reader's populations", async () => {
    const all = await api.get(`/environments/${D}/users?limit=1000`);
    const scoped = await contractorsReader.get(`/environments/${D}/users?limit=1000`);
    expect(scoped.status).toBe(200);
    const pops = new Set(scoped.body._embedded.users.map((u: { population: { id: string } }) => u.population.id));
    expect([...pops]).toEqual([refs.contractorsPopulationId]);
    const expected = all.body._embedded.users.filter((u: { population: { id: string } }) => u.population.id === refs.contractorsPopulationId);
    expect(scoped.body._embedded.users).toEqual(expected);
    // Asking for another population by filter gives nothing, not an error that confirms it.
    const filtered = await contractorsReader.get(`/environments/${D}/users?filter=${encodeURIComponent(`population.id eq "${refs.defaultPopulationId}"`)}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body._embedded.users).toEqual([]);
    expect(filtered.body.size).toBe(0);
  });

  it("lets every user-reading role read, and refuses callers without one", async () => {
    for (const caller of [api, envReadOnly, envAdmin, orgDataAdmin]) {
      expect((await caller.get(`/environments/${D}/users/${inDefault}`)).status).toBe(200);
      expect((await caller.get(`/environments/${D}/users?limit=1`)).status).toBe(200);
    }
    for (const caller of [noRoles, adminEnvOnly]) {
      expectError(await caller.get(`/environments/${D}/users`), 403, "ACCESS_FAILED");
      expectError(await caller.get(`/environments/${D}/users/${inDefault}`), 403, "ACCESS_FAILED");
    }
  });

  it("shows each caller only the environments it holds a role in", async () => {
    const ids = async (c: Client) => {
      const res = await c.get("/environments");
      expect(res.status).toBe(200);
      return res.body._embedded.environments.map((e: { id: string }) => e.id).sort();
    };
    expect(await ids(api)).toEqual([D]);
    expect(await ids(contractorsReader)).toEqual([D]);
    expect(await ids(adminEnvOnly)).toEqual([FIXED.adminEnvId]);
    expect(await ids(orgDataAdmin)).toEqual([FIXED.adminEnvId, D].sort());
    expect(await ids(noRoles)).toEqual([]);
  });

  it("refuses environment listings (populations, providers, gateways) to callers without a role there", async () => {
    for (const name of ["populations", "identityProviders", "gateways"]) {
      expectError(await noRoles.get(`/environments/${D}/${name}`), 403, "ACCESS_FAILED");
      expectError(await adminEnvOnly.get(`/environments/${D}/${name}`), 403, "ACCESS_FAILED");
      expect((await envReadOnly.get(`/environments/${D}/${name}`)).status).toBe(200);
    }
  });
});
