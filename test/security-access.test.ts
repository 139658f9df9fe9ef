/**
 * Security review 2026-12, findings F1, F2, F3 and F5, written as the attacks: each test is the
 * review's reproduction through the HTTP API, and passes only because the attack now fails.
 *
 * F1: a users:write role that reaches the administrators' environment must not write a user who
 *     holds more than it does (password set/check/force change, verification, bulk update).
 * F2: an Environment Admin must not rotate, disable or delete an application holding more.
 * F3: a POPULATION-scoped Environment Admin manages nothing environment-wide, and can no longer
 *     be assigned.
 * F5: a token stops working within seconds once its application is deleted, disabled, its secret
 *     rotated, or a role removed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName } from "./support/http";

let app: TestApp;
let root: Client; // the bootstrap worker: Identity Data Admin over the demo environment
let refs: DemoRefs;
let adminUserId: string; // the first administrator: Environment Admin over the organization
const A = FIXED.adminEnvId;
const D = FIXED.demoEnvId;

const SET = "application/vnd.pingidentity.password.set+json";
const CHECK = "application/vnd.pingidentity.password.check+json";
const FORCE = "application/vnd.pingidentity.password.forceChange";

beforeAll(async () => {
  app = await startTestApp();
  root = new Client(app, await app.token());
  refs = await app.refs();
  const orgAdmin = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
  const admins = await orgAdmin.get(`/environments/${A}/users?limit=100`);
  adminUserId = (admins.body._embedded.users as { id: string; username: string }[]).find((u) => u.username === FIXED.adminUsername)!.id;
});

afterAll(async () => {
  await app?.close();
});

const put = (c: Client, path: string, type: string, body: unknown) =>
  c.request(path, { method: "PUT", headers: { "content-type": type }, body: JSON.stringify(body) });
const post = (c: Client, path: string, type: string, body?: unknown) =>
  c.request(path, { method: "POST", headers: { "content-type": type }, body: body === undefined ? undefined : JSON.stringify(body) });

async function tokenOf(envId: string, id: string, secret: string): Promise<Response> {
  return app.fetch(`/${envId}/as/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${id}:${secret}`).toString("base64") },
    body: "grant_type=client_credentials",
  });
}
async function bearer(envId: string, id: string, secret: string): Promise<string> {
  const res = await tokenOf(envId, id, secret);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Polls until `probe` gives `status` or three seconds pass: revocation is "within seconds". */
async function eventually(probe: () => Promise<{ status: number }>, status: number): Promise<number> {
  const deadline = Date.now() + 3000;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await probe()).status;
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

describe("F1: no takeover of an administrator through their password", () => {
  it("an organization-wide Identity Data Admin can no longer set, check or expire an Environment Admin's password", async () => {
    const orgIda = root.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]));
    // It still reads the administrators (users:read) ...
    expect((await orgIda.get(`/environments/${A}/users/${adminUserId}`)).status).toBe(200);
    // ... but the review's takeover is refused at its first step.
    const set = await put(orgIda, `/environments/${A}/users/${adminUserId}/password`, SET, { value: "Pwned-by-IDA-42!", bypassPolicy: true });
    expectError(set, 403, "ACCESS_FAILED");
    // Check Password would be a guessing oracle that skips the sign-in throttle.
    expectError(await post(orgIda, `/environments/${A}/users/${adminUserId}/password`, CHECK, { password: FIXED.adminPassword }), 403, "ACCESS_FAILED");
    expectError(await post(orgIda, `/environments/${A}/users/${adminUserId}/password`, CHECK, { password: "wrong" }), 403, "ACCESS_FAILED");
    expectError(await post(orgIda, `/environments/${A}/users/${adminUserId}/password`, FORCE), 403, "ACCESS_FAILED");
    expectError(await post(orgIda, `/environments/${A}/users/${adminUserId}`, "application/vnd.pingidentity.user.sendVerificationCode+json"), 403, "ACCESS_FAILED");
    // The administrator's password is unchanged: the bootstrap password still works.
    const row = await app.passwordRow(adminUserId);
    expect(row?.passwordStatus).toBe("OK");
  });

  it("an Environment Admin of the administrators' environment alone cannot reset an organization-wide administrator", async () => {
    const admEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: A }]));
    expectError(await put(admEa, `/environments/${A}/users/${adminUserId}/password`, SET, { value: "Pwned-by-EA-42!" }), 403, "ACCESS_FAILED");
  });

  it("an administrator whose roles cover the target's may still reset it", async () => {
    const orgEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    // A console administrator with a population-scoped role, made by the org admin.
    const username = uniqueName("helpdesk");
    const made = await post(orgEa, `/environments/${A}/users`, "application/vnd.pingidentity.user.import+json", {
      username,
      population: { id: (await orgEa.get(`/environments/${A}/populations`)).body._embedded.populations[0].id },
      password: { value: "Helpdesk-pass-1" },
    });
    expect(made.status, made.text).toBe(201);
    const { createRoleAssignment } = await import("@/lib/roles/assignments");
    const { loadAssignments } = await import("@/lib/access/assignments");
    const orgAdminActor = { type: "USER" as const, id: adminUserId, via: "CONSOLE" as const, assignments: await loadAssignments({ userId: adminUserId }) };
    await createRoleAssignment(orgAdminActor, A, { subject: { userId: made.body.id }, role: "IDENTITY_DATA_ADMIN", scope: { type: "POPULATION", id: refs.contractorsPopulationId } });

    // An Identity Data Admin of the demo environment does not reach the administrators' environment at all.
    const demoIda = root.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
    expect((await put(demoIda, `/environments/${A}/users/${made.body.id}/password`, SET, { value: "Another-pass-1" })).status).toBe(403);
    // An org-wide Identity Data Admin covers "Identity Data Admin over Contractors": allowed.
    const orgIda = root.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]));
    const ok = await put(orgIda, `/environments/${A}/users/${made.body.id}/password`, SET, { value: "Another-pass-1" });
    expect(ok.status, ok.text).toBe(200);
    // A Contractors-only Identity Data Admin covers the same role, but does not reach the admin environment.
    const popIda = root.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
    expect((await put(popIda, `/environments/${A}/users/${made.body.id}/password`, SET, { value: "Third-pass-1" })).status).toBe(403);
  });

  it("a bulk update cannot rewrite an administrator's profile either", async () => {
    const orgIda = root.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]));
    const res = await orgIda.request(`/environments/${A}/userImportJobs?onConflict=update`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: JSON.stringify({ username: FIXED.adminUsername, email: "attacker@evil.example" }) + "\n",
    });
    expect(res.status, res.text).toBe(202);
    const { drainImportJobs } = await import("@/lib/bulk/worker");
    await drainImportJobs();
    const job = await orgIda.get(`/environments/${A}/userImportJobs/${res.body.id}`);
    expect(job.body.counts).toMatchObject({ updated: 0, failed: 1 });
    const errors = await orgIda.get(`/environments/${A}/userImportJobs/${res.body.id}/errors`);
    expect(errors.text).toContain("INSUFFICIENT_PERMISSIONS");
    const orgEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    expect((await orgEa.get(`/environments/${A}/users/${adminUserId}`)).body.email).toBeUndefined();
  });
});

describe("F2: no takeover of an application that holds more than you", () => {
  it("an Environment Admin of the administrators' environment cannot rotate, disable or delete an organization-wide application", async () => {
    const orgIdaApp = await app.createWorker([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]);
    const admEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: A }]));
    // The review's repro: it cannot read the demo users itself ...
    expectError(await admEa.get(`/environments/${D}/users`), 403, "ACCESS_FAILED");
    // ... and can no longer rotate its way into an application that can.
    const rotated = await post(admEa, `/environments/${A}/applications/${orgIdaApp.id}/secret`, "application/json");
    expectError(rotated, 403, "ACCESS_FAILED");
    expect(rotated.text).not.toContain("clientSecret");
    expectError(await admEa.request(`/environments/${A}/applications/${orgIdaApp.id}`, { method: "DELETE" }), 403, "ACCESS_FAILED");
    // Its original secret still works: nothing was changed.
    expect((await tokenOf(A, orgIdaApp.id, orgIdaApp.secret)).status).toBe(200);
  });

  it("still rotates and deletes an application whose roles the admin covers", async () => {
    const small = await app.createWorker([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: A }]);
    const admEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: A }]));
    const rotated = await post(admEa, `/environments/${A}/applications/${small.id}/secret`, "application/json");
    expect(rotated.status, rotated.text).toBe(200);
    expect((await admEa.request(`/environments/${A}/applications/${small.id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("F3: Environment Admin means the whole environment", () => {
  it("a POPULATION-scoped Environment Admin cannot list or rotate the environment's applications, or manage its resources", async () => {
    // An existing row from before such assignments were refused.
    const popEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
    const demoEa = await app.createWorker([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: A }]);
    expectError(await popEa.get(`/environments/${D}/applications`), 403, "ACCESS_FAILED");
    expectError(await post(popEa, `/environments/${A}/applications/${demoEa.id}/secret`, "application/json"), 403, "ACCESS_FAILED");
    expectError(await post(popEa, `/environments/${D}/applications`, "application/json", { name: "mine" }), 403, "ACCESS_FAILED");
    // It keeps what an Identity Data Admin of its population may do.
    const imported = await post(popEa, `/environments/${D}/users`, "application/vnd.pingidentity.user.import+json", {
      username: uniqueName("pop-ea-user"),
      population: { id: refs.contractorsPopulationId },
    });
    expect(imported.status, imported.text).toBe(201);
  });

  it("refuses to assign Environment Admin over a population, naming scope.type", async () => {
    const orgEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    const target = await app.createWorker([]);
    const res = await post(orgEa, `/environments/${A}/applications/${target.id}/roleAssignments`, "application/json", {
      role: { name: "ENVIRONMENT_ADMIN" },
      scope: { type: "POPULATION", id: refs.contractorsPopulationId },
    });
    expectInvalidData(res, [["INVALID_VALUE", "scope.type"]]);
    // The role list says where each role applies.
    const roles = await orgEa.get("/roles");
    const ea = (roles.body._embedded.roles as { name: string; applicableTo: string[] }[]).find((r) => r.name === "Environment Admin")!;
    expect(ea.applicableTo).toEqual(["ORGANIZATION", "ENVIRONMENT"]);
  });
});

describe("F5: revoked credentials stop working within seconds", () => {
  const readUsers = (token: string) => app.fetch(`/environments/${D}/users?limit=1`, { headers: { authorization: `Bearer ${token}` } });

  it("a deleted application's token stops working", async () => {
    const w = await app.createWorker([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]);
    const token = await bearer(A, w.id, w.secret);
    expect((await readUsers(token)).status).toBe(200);
    const orgEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    expect((await orgEa.request(`/environments/${A}/applications/${w.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await eventually(() => readUsers(token), 401)).toBe(401);
  });

  it("a disabled application's token stops working, and does not come back when it is enabled again", async () => {
    const w = await app.createWorker([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]);
    const token = await bearer(A, w.id, w.secret);
    expect((await readUsers(token)).status).toBe(200);
    const { updateApplication } = await import("@/lib/applications");
    const { loadAssignments } = await import("@/lib/access/assignments");
    const orgAdmin = { type: "USER" as const, id: adminUserId, via: "CONSOLE" as const, assignments: await loadAssignments({ userId: adminUserId }) };
    await updateApplication(orgAdmin, A, w.id, { enabled: false });
    expect(await eventually(() => readUsers(token), 401)).toBe(401);
    await updateApplication(orgAdmin, A, w.id, { enabled: true });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await readUsers(token)).status).toBe(401);
    // A new token works again.
    expect((await readUsers(await bearer(A, w.id, w.secret))).status).toBe(200);
  });

  it("a token issued before a secret rotation stops working; one issued after works", async () => {
    const w = await app.createWorker([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]);
    const before = await bearer(A, w.id, w.secret);
    const orgEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    const rotated = await post(orgEa, `/environments/${A}/applications/${w.id}/secret`, "application/json");
    expect(rotated.status).toBe(200);
    expect(await eventually(() => readUsers(before), 401)).toBe(401);
    expect((await tokenOf(A, w.id, w.secret)).status).toBe(401);
    expect((await readUsers(await bearer(A, w.id, rotated.body.clientSecret))).status).toBe(200);
  });

  it("a removed role stops working for tokens already issued", async () => {
    const w = await app.createWorker([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]);
    const token = await bearer(A, w.id, w.secret);
    expect((await readUsers(token)).status).toBe(200);
    const orgEa = root.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    const list = await orgEa.get(`/environments/${A}/applications/${w.id}/roleAssignments`);
    const [assignment] = list.body._embedded.roleAssignments as { id: string }[];
    expect((await orgEa.request(`/environments/${A}/applications/${w.id}/roleAssignments/${assignment!.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await eventually(() => readUsers(token), 403)).toBe(403);
  });
});

describe("no leaks", () => {
  it("no response carried a password or a client secret", () => {
    root.expectNoLeak([FIXED.adminPassword, FIXED.workerSecret, "Pwned-by-IDA-42!", "Pwned-by-EA-42!", "Helpdesk-pass-1", "Another-pass-1"]);
  });
});
