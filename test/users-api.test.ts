/**
 * The single-user operations after an import (issue 14.3): Update User (PATCH merges, null
 * clears; PUT replaces the profile, username and population stay), Delete User (204, the audit
 * trail stays), Update User Population (write access to both populations), Read/Update User
 * Enabled and Read User Identity Provider. Each with the import's validation and uniqueness rules
 * and the caller's scope: 404 for a user out of read reach, 403 without write access or for a user
 * holding more rights than the caller (F1), and no partial write after any refusal.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, ISO_MS_RE, uniqueName, withoutId, type Json } from "./support/http";

const A = FIXED.adminEnvId;
const D = FIXED.demoEnvId;
const MISSING = "0f000000-0000-4000-8000-00000000dead";

let app: TestApp;
let refs: DemoRefs;
let admin: Client; // Identity Data Admin over the demo environment
let readOnly: Client; // Identity Data Read Only over the demo environment
let popAdmin: Client; // Identity Data Admin of Contractors only
let twoPopAdmin: Client; // Identity Data Admin of Contractors and Partners
let adminEnvDataAdmin: Client; // Identity Data Admin over the administrators' environment
let partnersId: string; // a third population of the demo environment
let rootAdminId: string; // the first administrator: Environment Admin over the organization

const users = `/environments/${D}/users`;
const send = (method: string, value: unknown, type = "application/json") => ({ method, headers: { "content-type": type }, body: typeof value === "string" ? value : JSON.stringify(value) });
const patch = (c: Client, id: string, value: unknown, type?: string) => c.request(`${users}/${id}`, send("PATCH", value, type));
const put = (c: Client, id: string, value: unknown, type?: string) => c.request(`${users}/${id}`, send("PUT", value, type));
const move = (c: Client, id: string, to: unknown, type?: string) => c.request(`${users}/${id}/population`, send("PUT", to, type));
const setEnabled = (c: Client, id: string, value: unknown, type?: string) => c.request(`${users}/${id}/enabled`, send("PUT", value, type));

async function newUser(extra: Record<string, unknown> = {}, population = refs.defaultPopulationId): Promise<Json> {
  const res = await admin.postUser({ username: uniqueName(), population: { id: population }, ...extra });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function auditOf(resourceId: string) {
  const { getDb } = await import("@/db");
  const { auditEvents } = await import("@/db/schema");
  return (await getDb())
    .select({ action: auditEvents.action, details: auditEvents.details })
    .from(auditEvents)
    .where(eq(auditEvents.resourceId, resourceId))
    .orderBy(auditEvents.id);
}

/** A refused write leaves the user exactly as it was. */
async function expectUnchanged(before: Json) {
  const now = await admin.get(`${users}/${before.id}`);
  expect(now.status).toBe(200);
  expect(now.body).toEqual(before);
}

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
  const envAdmin = new Client(app, await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  const created = await envAdmin.request(`/environments/${D}/populations`, send("POST", { name: "Partners" }));
  expect(created.status, created.text).toBe(201);
  partnersId = created.body.id;
  admin = envAdmin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  readOnly = admin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]));
  popAdmin = admin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
  twoPopAdmin = admin.withToken(
    await app.tokenFor([
      { role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId },
      { role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: partnersId },
    ]),
  );
  adminEnvDataAdmin = admin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: A }]));
  const orgAdmin = admin.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
  const admins = await orgAdmin.get(`/environments/${A}/users?limit=100`);
  rootAdminId = (admins.body._embedded.users as { id: string; username: string }[]).find((u) => u.username === FIXED.adminUsername)!.id;
});

afterAll(async () => {
  admin?.expectNoLeak([FIXED.workerSecret, FIXED.adminPassword, "Imported-Pass-123!"]);
  await app?.close();
});

describe("the user resource's links (14.3)", () => {
  it("names the new operations, and each answers", async () => {
    const u = await newUser();
    const self = `${app.base}${users}/${u.id}`;
    expect(u._links).toMatchObject({
      population: { href: `${app.base}/environments/${D}/populations/${refs.defaultPopulationId}` },
      "population.update": { href: `${self}/population` },
      enabled: { href: `${self}/enabled` },
      identityProvider: { href: `${self}/identityProvider` },
    });
    for (const name of ["population", "enabled", "identityProvider"]) {
      const res = await admin.get(new URL(u._links[name].href).pathname);
      expect(res.status, `${name}: ${res.text}`).toBe(200);
    }
  });
});

describe("PATCH: merge (14.3)", () => {
  it("changes only what the body names; null clears, inside objects too; the answer is the stored user", async () => {
    const u = await newUser({
      email: "merge@example.com",
      emailVerified: true,
      name: { given: "Ada", family: "Lovelace", middle: "King" },
      nickname: "ada",
      title: "Countess",
      address: { locality: "London", countryCode: "GB" },
      password: { value: "Imported-Pass-123!" },
    });
    const res = await patch(admin, u.id, { name: { given: "Augusta", middle: null }, nickname: null, title: "Analyst", mfaEnabled: true });
    expect(res.status, res.text).toBe(200);
    const v = res.body;
    expect(v.name).toEqual({ given: "Augusta", family: "Lovelace" });
    expect(v).not.toHaveProperty("nickname");
    expect(v.title).toBe("Analyst");
    expect(v.address).toEqual({ locality: "London", countryCode: "GB" });
    expect(v).toMatchObject({ email: "merge@example.com", emailVerified: true, mfaEnabled: true, enabled: true, username: u.username, population: { id: refs.defaultPopulationId } });
    expect(v.createdAt).toBe(u.createdAt);
    expect(v.updatedAt).toMatch(ISO_MS_RE);
    expect(v.updatedAt >= u.updatedAt).toBe(true);
    expect((await admin.get(`${users}/${u.id}`)).body).toEqual(v);
    // The password is untouched.
    expect((await app.passwordRow(u.id))?.passwordStatus).toBe("OK");
    const events = await auditOf(u.id);
    expect(events.map((e) => e.action)).toEqual(["USER.IMPORTED", "USER.UPDATED"]);
    expect(events[1]!.details).toEqual({ attributes: expect.arrayContaining(["name", "nickname", "title", "mfaEnabled"]), mode: "PATCH" });
    expect(JSON.stringify(events[1]!.details)).not.toContain("Augusta");
  });

  it("clears the email with null, and a changed email is no longer verified unless the body says so", async () => {
    const u = await newUser({ email: "first@example.com", emailVerified: true });
    const changed = await patch(admin, u.id, { email: "second@example.com" });
    expect(changed.body).toMatchObject({ email: "second@example.com", emailVerified: false });
    const verified = await patch(admin, u.id, { email: "third@example.com", emailVerified: true });
    expect(verified.body).toMatchObject({ email: "third@example.com", emailVerified: true });
    const sameInCapitals = await patch(admin, u.id, { email: "THIRD@example.com" });
    expect(sameInCapitals.body.emailVerified).toBe(true);
    const cleared = await patch(admin, u.id, { email: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty("email");
    expect(cleared.body.emailVerified).toBe(false);
  });

  it("renames under the import's username rules: unique case-insensitively, the holder named only to a caller who may read it", async () => {
    const a = await newUser();
    const b = await newUser();
    const renamed = uniqueName("renamed");
    const ok = await patch(admin, a.id, { username: renamed });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.username).toBe(renamed);
    // Its own name in other capitals is no conflict.
    expect((await patch(admin, a.id, { username: renamed.toUpperCase() })).body.username).toBe(renamed.toUpperCase());

    const before = (await admin.get(`${users}/${b.id}`)).body;
    const taken = expectInvalidData(await patch(admin, b.id, { username: renamed }), [["UNIQUENESS_VIOLATION", "username"]]);
    expect(taken.details![0]!.innerError).toEqual({ existingId: a.id });
    await expectUnchanged(before);

    // A Contractors admin renaming its user to a name held in Default: the same error, no id.
    const c = await newUser({}, refs.contractorsPopulationId);
    const hidden = expectInvalidData(await patch(popAdmin, c.id, { username: renamed }), [["UNIQUENESS_VIOLATION", "username"]]);
    expect(hidden.details![0]).not.toHaveProperty("innerError");
    expect(withoutId(hidden).details![0]!.message).toBe(taken.details![0]!.message);
    expect(JSON.stringify(hidden)).not.toContain(a.id);
  });

  it("gives one of two concurrent renames to the same username the name, the other UNIQUENESS_VIOLATION", async () => {
    const a = await newUser();
    const b = await newUser();
    const name = uniqueName("race");
    const answers = await Promise.all([patch(admin, a.id, { username: name }), patch(admin, b.id, { username: name.toUpperCase() })]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    expectInvalidData(answers.find((r) => r.status === 400)!, [["UNIQUENESS_VIOLATION", "username"]]);
  });

  it("validates with the import's schema: one detail per problem, nothing written", async () => {
    const u = await newUser({ email: "valid@example.com" });
    expectInvalidData(await patch(admin, u.id, { email: "not-an-email", username: "", address: { countryCode: "usa" }, primaryPhone: "1".repeat(33), enabled: "yes" }), [
      ["INVALID_VALUE", "email"],
      ["EMPTY_VALUE", "username"],
      ["INVALID_VALUE", "address.countryCode"],
      ["SIZE_LIMIT_EXCEEDED", "primaryPhone"],
      ["INVALID_VALUE", "enabled"],
    ]);
    expectInvalidData(await patch(admin, u.id, { username: null }), [["INVALID_VALUE", "username"]]);
    expectInvalidData(await patch(admin, u.id, { password: { value: "Another-Pass-1!" } }), [["INVALID_VALUE", "password"]]);
    expectInvalidData(await patch(admin, u.id, { title: "x", nickname: "\u0000" }), [["INVALID_VALUE", "nickname"]]);
    expectInvalidData(await patch(admin, u.id, [1, 2]), [["INVALID_VALUE", "body"]]);
    // Unknown attributes are ignored, as on import.
    expect((await patch(admin, u.id, { favouriteColour: "blue" })).status).toBe(200);
    expect((await admin.get(`${users}/${u.id}`)).body).not.toHaveProperty("favouriteColour");
    expectError(await patch(admin, u.id, "{nope"), 400, "INVALID_REQUEST");
    expectError(await patch(admin, u.id, { title: "x".repeat(70 * 1024) }), 413, "INVALID_REQUEST");
    expectError(await patch(admin, u.id, { title: "x" }, "text/plain"), 415, "INVALID_REQUEST");
    expectError(await patch(admin, u.id, { title: "x" }, "application/vnd.pingidentity.user.import+json"), 415, "INVALID_REQUEST");
  });

  it("refuses a profile over 16 KB, counting what is stored with what the body merges in", async () => {
    const u = await newUser();
    const fill = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, "😀".repeat(256)]));
    // About 9 KB: accepted.
    const first = await patch(admin, u.id, { name: fill(["given", "family", "middle", "formatted", "honorificPrefix", "honorificSuffix"]), address: fill(["streetAddress", "locality", "region"]) });
    expect(first.status, first.text).toBe(200);
    // About 9 KB more, each attribute within its own limit: the merged profile is over 16 KB.
    const before = first.body;
    const res = await patch(admin, u.id, { ...fill(["nickname", "title", "locale", "preferredLanguage", "timezone"]), externalId: "😀".repeat(1024) });
    expectInvalidData(res, [["SIZE_LIMIT_EXCEEDED", "body"]]);
    await expectUnchanged(before);
    // The same body alone, on PUT (which replaces), fits.
    expect((await put(admin, u.id, { ...fill(["nickname", "title", "locale", "preferredLanguage", "timezone"]), externalId: "😀".repeat(1024) })).status).toBe(200);
  });

  it("takes read-only attributes back unchanged, and refuses a change of population, identity provider or lifecycle", async () => {
    const u = await newUser({ identityProvider: { id: refs.googleIdpId } });
    const same = await patch(admin, u.id, { population: u.population, identityProvider: { id: refs.googleIdpId }, lifecycle: { status: "ACCOUNT_OK" }, title: "kept" });
    expect(same.status, same.text).toBe(200);
    expect(same.body.title).toBe("kept");
    const before = same.body;
    expectInvalidData(await patch(admin, u.id, { population: { id: refs.contractorsPopulationId }, identityProvider: null, lifecycle: { status: "VERIFICATION_REQUIRED" }, title: "no" }), [
      ["INVALID_VALUE", "population.id"],
      ["INVALID_VALUE", "identityProvider.id"],
      ["INVALID_VALUE", "lifecycle.status"],
    ]);
    await expectUnchanged(before);
  });
});

describe("PUT: replace the profile (14.3)", () => {
  it("clears what the body leaves out; username, population and the booleans stay", async () => {
    const u = await newUser({ email: "put@example.com", name: { given: "Grace", family: "Hopper" }, nickname: "amazing", mfaEnabled: true, enabled: false }, refs.contractorsPopulationId);
    const res = await put(admin, u.id, { title: "Rear Admiral", name: { family: "Hopper" } });
    expect(res.status, res.text).toBe(200);
    const v = res.body;
    expect(v).toMatchObject({ username: u.username, population: { id: refs.contractorsPopulationId }, title: "Rear Admiral", name: { family: "Hopper" }, mfaEnabled: true, enabled: false, emailVerified: false });
    expect(v.name).toEqual({ family: "Hopper" });
    expect(v).not.toHaveProperty("email");
    expect(v).not.toHaveProperty("nickname");
    expect((await admin.get(`${users}/${u.id}`)).body).toEqual(v);
    expect((await auditOf(u.id)).at(-1)).toMatchObject({ action: "USER.UPDATED", details: { mode: "PUT" } });
  });

  it("accepts the user's own resource back (a read-modify-write round trip) and changes only what was modified", async () => {
    const u = await newUser({ email: "trip@example.com", nickname: "trip", address: { locality: "Oslo" } });
    const read = (await admin.get(`${users}/${u.id}`)).body;
    const res = await put(admin, u.id, { ...read, nickname: "round" });
    expect(res.status, res.text).toBe(200);
    const { updatedAt: _a, ...after } = res.body;
    const { updatedAt: _b, ...expected } = { ...read, nickname: "round" };
    expect(after).toEqual(expected);
  });

  it("has PATCH's validation, uniqueness and media type", async () => {
    const a = await newUser();
    const b = await newUser();
    expectInvalidData(await put(admin, b.id, { username: a.username.toUpperCase() }), [["UNIQUENESS_VIOLATION", "username"]]);
    expectInvalidData(await put(admin, b.id, { email: "nope" }), [["INVALID_VALUE", "email"]]);
    expectError(await put(admin, b.id, { title: "x" }, "text/csv"), 415, "INVALID_REQUEST");
    expectError(await put(admin, b.id, ""), 400, "INVALID_REQUEST");
  });
});

describe("scope of the updates (spec 6, F1)", () => {
  it("answers 404 for a user out of read reach or unknown, 403 to a reader, 401 without a token", async () => {
    const inDefault = await newUser({ title: "t" });
    for (const call of [
      (c: Client) => patch(c, inDefault.id, { title: "x" }),
      (c: Client) => put(c, inDefault.id, { title: "x" }),
      (c: Client) => c.request(`${users}/${inDefault.id}`, { method: "DELETE" }),
      (c: Client) => move(c, inDefault.id, { id: refs.contractorsPopulationId }),
      (c: Client) => setEnabled(c, inDefault.id, { enabled: false }),
    ]) {
      expectError(await call(popAdmin), 404, "NOT_FOUND");
      expectError(await call(readOnly), 403, "ACCESS_FAILED");
      expectError(await call(admin.withToken(undefined)), 401, "ACCESS_FAILED");
    }
    expectError(await popAdmin.get(`${users}/${inDefault.id}/enabled`), 404, "NOT_FOUND");
    expectError(await popAdmin.get(`${users}/${inDefault.id}/identityProvider`), 404, "NOT_FOUND");
    for (const id of [MISSING, "not-a-uuid"]) {
      expectError(await patch(admin, id, { title: "x" }), 404, "NOT_FOUND");
      expectError(await admin.request(`${users}/${id}`, { method: "DELETE" }), 404, "NOT_FOUND");
      expectError(await move(admin, id, { id: partnersId }), 404, "NOT_FOUND");
      expectError(await setEnabled(admin, id, { enabled: true }), 404, "NOT_FOUND");
      expectError(await admin.get(`${users}/${id}/enabled`), 404, "NOT_FOUND");
      expectError(await admin.get(`${users}/${id}/identityProvider`), 404, "NOT_FOUND");
    }
    expectError(await admin.request(`/environments/${MISSING}/users/${inDefault.id}`, send("PATCH", { title: "x" })), 404, "NOT_FOUND");
    // A user of another environment is not reached through this one.
    expectError(await patch(admin, rootAdminId, { title: "x" }), 404, "NOT_FOUND");
    expect((await admin.get(`${users}/${inDefault.id}`)).body.title).toBe("t");
  });

  it("lets a population admin change its own population's users", async () => {
    const u = await newUser({}, refs.contractorsPopulationId);
    expect((await patch(popAdmin, u.id, { title: "contractor" })).body.title).toBe("contractor");
    expect((await setEnabled(popAdmin, u.id, { enabled: false })).body.enabled).toBe(false);
  });

  it("F1: nobody updates, moves, disables or deletes a user holding more rights than their own", async () => {
    const before = (await adminEnvDataAdmin.get(`/environments/${A}/users/${rootAdminId}`)).body;
    const path = `/environments/${A}/users/${rootAdminId}`;
    expectError(await adminEnvDataAdmin.request(path, send("PATCH", { title: "owned" })), 403, "ACCESS_FAILED");
    expectError(await adminEnvDataAdmin.request(path, send("PUT", { title: "owned" })), 403, "ACCESS_FAILED");
    expectError(await adminEnvDataAdmin.request(path, { method: "DELETE" }), 403, "ACCESS_FAILED");
    expectError(await adminEnvDataAdmin.request(`${path}/enabled`, send("PUT", { enabled: false })), 403, "ACCESS_FAILED");
    expectError(await adminEnvDataAdmin.request(`${path}/population`, send("PUT", { id: before.population.id })), 403, "ACCESS_FAILED");
    const after = (await adminEnvDataAdmin.get(path)).body;
    expect(after).toEqual(before);
    // It still reads it, and the enabled state.
    expect((await adminEnvDataAdmin.get(`${path}/enabled`)).body.enabled).toBe(true);
  });
});

describe("DELETE (14.3)", () => {
  it("answers 204, the user is gone, its audit trail stays", async () => {
    const u = await newUser({ password: { value: "Imported-Pass-123!" } });
    const res = await admin.request(`${users}/${u.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expectError(await admin.get(`${users}/${u.id}`), 404, "NOT_FOUND");
    expectError(await admin.request(`${users}/${u.id}`, { method: "DELETE" }), 404, "NOT_FOUND");
    expect(await app.passwordRow(u.id)).toBeUndefined();
    const events = await auditOf(u.id);
    expect(events.map((e) => e.action)).toEqual(["USER.IMPORTED", "USER.DELETED"]);
    expect(events[1]!.details).toEqual({ username: u.username, populationId: refs.defaultPopulationId });
    // The username is free again.
    expect((await admin.postUser({ username: u.username, population: { id: refs.defaultPopulationId } })).status).toBe(201);
  });

  it("lets a population admin delete its own population's users only", async () => {
    const mine = await newUser({}, refs.contractorsPopulationId);
    expect((await popAdmin.request(`${users}/${mine.id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("PUT .../population: move (14.3)", () => {
  it("moves a user, answering the user; the audit event names both populations", async () => {
    const u = await newUser({ title: "mover" });
    const res = await move(admin, u.id, { id: partnersId });
    expect(res.status, res.text).toBe(200);
    expect(res.body.population).toEqual({ id: partnersId });
    expect(res.body.title).toBe("mover");
    expect(res.body._links.population.href).toBe(`${app.base}/environments/${D}/populations/${partnersId}`);
    expect((await admin.get(`${users}/${u.id}`)).body.population).toEqual({ id: partnersId });
    expect((await auditOf(u.id)).at(-1)).toEqual({ action: "USER.MOVED", details: { from: refs.defaultPopulationId, to: partnersId } });
    // To where it already is: nothing changes.
    expect((await move(admin, u.id, { id: partnersId.toUpperCase() })).body.population).toEqual({ id: partnersId });
    expect((await auditOf(u.id)).filter((e) => e.action === "USER.MOVED")).toHaveLength(1);
  });

  it("validates the body: a UUID of a population of this environment", async () => {
    const u = await newUser();
    expectInvalidData(await move(admin, u.id, {}), [["REQUIRED_VALUE", "id"]]);
    expectInvalidData(await move(admin, u.id, { id: "Partners" }), [["INVALID_VALUE", "id"]]);
    expectInvalidData(await move(admin, u.id, { id: MISSING }), [["INVALID_VALUE", "id"]]);
    const foreign = (await adminEnvDataAdmin.get(`/environments/${A}/populations`)).body._embedded.populations[0].id;
    expectInvalidData(await move(admin, u.id, { id: foreign }), [["INVALID_VALUE", "id"]]);
    expectError(await move(admin, u.id, { id: partnersId }, "text/plain"), 415, "INVALID_REQUEST");
    expect((await admin.get(`${users}/${u.id}`)).body.population).toEqual({ id: refs.defaultPopulationId });
  });

  it("a population admin cannot move a user out of its reach, nor into a population it cannot see (403 whether it exists or not)", async () => {
    const u = await newUser({}, refs.contractorsPopulationId);
    const outOfReach = expectError(await move(popAdmin, u.id, { id: refs.defaultPopulationId }), 403, "ACCESS_FAILED");
    const unknown = expectError(await move(popAdmin, u.id, { id: MISSING }), 403, "ACCESS_FAILED");
    expect(withoutId(unknown)).toEqual(withoutId(outOfReach));
    expect((await admin.get(`${users}/${u.id}`)).body.population).toEqual({ id: refs.contractorsPopulationId });
    // With write access to both populations it may.
    const moved = await move(twoPopAdmin, u.id, { id: partnersId });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.population).toEqual({ id: partnersId });
    // ... and then the Contractors-only admin no longer sees the user.
    expectError(await popAdmin.get(`${users}/${u.id}`), 404, "NOT_FOUND");
    expectError(await move(popAdmin, u.id, { id: refs.contractorsPopulationId }), 404, "NOT_FOUND");
  });

  it("answers 405 for other methods", async () => {
    const u = await newUser();
    const res = await admin.get(`${users}/${u.id}/population`);
    expectError(res, 405, "INVALID_REQUEST");
    expect(res.headers.get("allow")).toBe("OPTIONS, PUT");
  });
});

describe("enabled and identityProvider (14.3)", () => {
  it("reads and sets enabled; a disabled user cannot authenticate", async () => {
    const u = await newUser();
    const self = `${app.base}${users}/${u.id}`;
    const read = await readOnly.get(`${users}/${u.id}/enabled`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ _links: { self: { href: `${self}/enabled` }, user: { href: self } }, enabled: true });
    const off = await setEnabled(admin, u.id, { enabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body).toEqual({ _links: { self: { href: `${self}/enabled` }, user: { href: self } }, enabled: false });
    expect((await admin.get(`${users}/${u.id}`)).body).toMatchObject({ enabled: false, account: { canAuthenticate: false } });
    expect((await admin.get(`${users}/${u.id}/enabled`)).body.enabled).toBe(false);
    expect((await setEnabled(admin, u.id, { enabled: true })).body.enabled).toBe(true);
    expect((await auditOf(u.id)).map((e) => e.action)).toEqual(["USER.IMPORTED", "USER.DISABLED", "USER.ENABLED"]);
  });

  it("validates {enabled}", async () => {
    const u = await newUser();
    expectInvalidData(await setEnabled(admin, u.id, {}), [["REQUIRED_VALUE", "enabled"]]);
    expectInvalidData(await setEnabled(admin, u.id, { enabled: "false" }), [["INVALID_VALUE", "enabled"]]);
    expectInvalidData(await setEnabled(admin, u.id, { enabled: null }), [["INVALID_VALUE", "enabled"]]);
    expectError(await setEnabled(admin, u.id, "x"), 400, "INVALID_REQUEST");
    expectError(await setEnabled(admin, u.id, { enabled: false }, "text/plain"), 415, "INVALID_REQUEST");
    expect((await admin.get(`${users}/${u.id}/enabled`)).body.enabled).toBe(true);
  });

  it("reads the identity provider: PING_ONE, or the provider's type and id", async () => {
    const local = await newUser();
    const social = await newUser({ identityProvider: { id: refs.googleIdpId } });
    const a = await readOnly.get(`${users}/${local.id}/identityProvider`);
    expect(a.body).toEqual({ _links: { self: { href: `${app.base}${users}/${local.id}/identityProvider` }, user: { href: `${app.base}${users}/${local.id}` } }, type: "PING_ONE" });
    const b = await readOnly.get(`${users}/${social.id}/identityProvider`);
    expect(b.body).toMatchObject({ type: "GOOGLE", id: refs.googleIdpId });
    expectError(await admin.request(`${users}/${social.id}/identityProvider`, send("PUT", { id: null })), 405, "INVALID_REQUEST");
  });
});

describe("a console administrator and their own account", () => {
  it("cannot delete or disable themselves (the session would end mid-work); other changes are fine", async () => {
    const { loadAssignments } = await import("@/lib/access/assignments");
    const { deleteUser, setUserEnabled, updateUser } = await import("@/lib/users/manage");
    const me = { type: "USER" as const, id: rootAdminId, via: "CONSOLE" as const, assignments: await loadAssignments({ userId: rootAdminId }) };
    await expect(deleteUser(me, A, rootAdminId)).rejects.toMatchObject({ status: 400, code: "REQUEST_FAILED" });
    await expect(setUserEnabled(me, A, rootAdminId, { enabled: false })).rejects.toMatchObject({ status: 400, code: "REQUEST_FAILED" });
    expect((await updateUser(me, A, rootAdminId, { title: "Root" }, "merge")).profile).toMatchObject({ title: "Root" });
    expect((await setUserEnabled(me, A, rootAdminId, { enabled: true })).enabled).toBe(true);
    const still = await adminEnvDataAdmin.get(`/environments/${A}/users/${rootAdminId}`);
    expect(still.body).toMatchObject({ enabled: true, title: "Root" });
  });
});
