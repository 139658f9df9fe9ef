/**
 * The console's domain functions through their real callers' paths: administrator sign-in
 * (lib/auth/sign-in.ts), worker applications and role assignments (lib/applications), the
 * environment's own resources (lib/environments/manage.ts), and the API accepting a console
 * session cookie (lib/auth/request-actor.ts) — on a fresh, bootstrapped database.
 */
import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { ssha } from "./support/ssha";
import type { Actor } from "@/lib/access";
import type { ApiError } from "@/lib/api/errors";

let app: TestApp;
let refs: DemoRefs;
let admin: Actor;
let adminPopulationId: string;

const mods = async () => ({
  signIn: await import("@/lib/auth/sign-in"),
  apps: await import("@/lib/applications"),
  roles: await import("@/lib/roles/assignments"),
  access: await import("@/lib/access/assignments"),
  sessions: await import("@/lib/auth/sessions"),
  manage: await import("@/lib/environments/manage"),
  gateways: await import("@/lib/gateways/manage"),
  tokens: await import("@/lib/auth/tokens"),
  keys: await import("@/lib/auth/signing-key"),
  users: await import("@/lib/users/import-user"),
  db: await import("@/db"),
  schema: await import("@/db/schema"),
});
let m: Awaited<ReturnType<typeof mods>>;

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

/** A new administrator (user of the admin environment) holding exactly these assignments. */
async function administrator(username: string, password: string, grants: Omit<Parameters<typeof m.roles.createRoleAssignment>[2], "subject">[] = []): Promise<Actor & { id: string }> {
  const u = await m.users.importUser(admin, FIXED.adminEnvId, { username, population: { id: adminPopulationId }, password: { value: password } });
  for (const g of grants) await m.roles.createRoleAssignment(admin, FIXED.adminEnvId, { ...g, subject: { userId: u.id } });
  return { type: "USER", id: u.id, via: "CONSOLE", assignments: await m.access.loadAssignments({ userId: u.id }) };
}

beforeAll(async () => {
  // The sign-in floor against timing (F10) is tested on the real server; here it would only slow the suite.
  process.env.SIGN_IN_MIN_MS = "0";
  app = await startTestApp();
  refs = await app.refs();
  m = await mods();
  const db = await m.db.getDb();
  const [row] = await db.select({ id: m.schema.users.id, populationId: m.schema.users.populationId }).from(m.schema.users).where(eq(m.schema.users.username, FIXED.adminUsername));
  admin = { type: "USER", id: row!.id, via: "CONSOLE", assignments: await m.access.loadAssignments({ userId: row!.id }) };
  adminPopulationId = row!.populationId;
});

afterAll(async () => {
  await app?.close();
});

describe("administrator sign-in", () => {
  it("accepts the first administrator and returns their role assignments", async () => {
    const r = await m.signIn.authenticateAdministrator(FIXED.adminUsername, FIXED.adminPassword, "192.0.2.1");
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.administrator.assignments).toEqual([expect.objectContaining({ role: "ENVIRONMENT_ADMIN", scopeType: "ORGANIZATION" })]);
  });

  it("accepts an administrator imported with a legacy {SSHA} hash, and upgrades it to argon2id", async () => {
    const legacy = await administrator("legacy-admin", ssha("Legacy-pass-1"));
    expect((await app.passwordRow(legacy.id))?.passwordHash).toMatch(/^\{SSHA\}/);
    const r = await m.signIn.authenticateAdministrator("LEGACY-admin", "Legacy-pass-1", "192.0.2.2");
    expect(r.ok).toBe(true);
    expect((await app.passwordRow(legacy.id))?.passwordHash).toMatch(/^\$argon2id\$/);
    const again = await m.signIn.authenticateAdministrator("legacy-admin", "Legacy-pass-1", "192.0.2.2");
    expect(again.ok).toBe(true);
  });

  it("answers an unknown user and a wrong password alike", async () => {
    const unknown = await m.signIn.authenticateAdministrator("no-such-admin", "whatever", "192.0.2.3");
    const wrong = await m.signIn.authenticateAdministrator(FIXED.adminUsername, "wrong-password", "192.0.2.3");
    expect(unknown).toEqual({ ok: false, reason: "invalid" });
    expect(wrong).toEqual(unknown);
  });

  it("does not let users of other environments sign in to the console", async () => {
    await m.users.importUser(admin, FIXED.demoEnvId, { username: "demo-person", population: { id: refs.defaultPopulationId }, password: { value: "Demo-person-pass-1" } });
    expect(await m.signIn.authenticateAdministrator("demo-person", "Demo-person-pass-1", "192.0.2.4")).toEqual({ ok: false, reason: "invalid" });
  });

  it("slows down an account from one address after repeated failures, even with the right password, but not from another address", async () => {
    await administrator("target-admin", "Target-pass-1");
    for (let i = 0; i < 5; i++) expect(await m.signIn.authenticateAdministrator("target-admin", `guess-${i}`, "198.51.100.1")).toMatchObject({ ok: false, reason: "invalid" });
    const r = await m.signIn.authenticateAdministrator("target-admin", "Target-pass-1", "198.51.100.1");
    expect(r).toMatchObject({ ok: false, reason: "throttled" });
    if (!r.ok && r.reason === "throttled") expect(r.retryAfter).toBeGreaterThan(0);
    // A stranger's failures do not lock the administrator out of their own address (finding F9).
    expect((await m.signIn.authenticateAdministrator("target-admin", "Target-pass-1", "198.51.100.99")).ok).toBe(true);
  });

  it("counts attempts before checking them: a burst of concurrent guesses gets no more tries than a sequence", async () => {
    await administrator("burst-admin", "Burst-pass-1");
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => m.signIn.authenticateAdministrator("burst-admin", `guess-${i}`, "198.51.100.50")));
    expect(results.filter((r) => !r.ok && r.reason === "invalid").length).toBeLessThanOrEqual(5);
    expect(results.filter((r) => !r.ok && r.reason === "throttled").length).toBeGreaterThanOrEqual(25);
  });

  it("slows down an address after repeated failures across accounts", async () => {
    for (let i = 0; i < 20; i++) await m.signIn.authenticateAdministrator(`spray-${i}`, "guess", "203.0.113.7");
    expect(await m.signIn.authenticateAdministrator(FIXED.adminUsername, FIXED.adminPassword, "203.0.113.7")).toMatchObject({ ok: false, reason: "throttled" });
    expect((await m.signIn.authenticateAdministrator(FIXED.adminUsername, FIXED.adminPassword, "203.0.113.8")).ok).toBe(true);
  });
});

describe("worker applications", () => {
  it("shows the client secret once, and it works at the token endpoint until rotated", async () => {
    const { application, clientSecret } = await m.apps.createApplication(admin, FIXED.adminEnvId, { name: "Console-made worker" });
    expect(JSON.stringify(await m.apps.listApplications(admin, FIXED.adminEnvId))).not.toContain(clientSecret);
    await expect(app.token(application.id, clientSecret)).resolves.toBeTruthy();

    const rotated = await m.apps.rotateApplicationSecret(admin, FIXED.adminEnvId, application.id);
    expect(rotated.clientSecret).not.toBe(clientSecret);
    await expect(app.token(application.id, clientSecret)).rejects.toThrow(/401/);
    await expect(app.token(application.id, rotated.clientSecret)).resolves.toBeTruthy();

    await m.apps.deleteApplication(admin, FIXED.adminEnvId, application.id);
    await expect(app.token(application.id, rotated.clientSecret)).rejects.toThrow(/401/);
  });

  it("refuses anyone but an Environment Admin of the environment", async () => {
    const dataAdmin = await administrator("data-admin", "Data-admin-pass-1", [{ role: "IDENTITY_DATA_ADMIN", scope: { type: "ENVIRONMENT", id: FIXED.adminEnvId } }]);
    expect((await rejection(m.apps.createApplication(dataAdmin, FIXED.adminEnvId, { name: "x" }))).status).toBe(403);
    expect((await rejection(m.apps.listApplications(dataAdmin, FIXED.adminEnvId))).status).toBe(403);
  });
});

describe("role assignments", () => {
  it("lets an admin grant only what it holds, over a scope it holds it on", async () => {
    const demoAdmin = await administrator("demo-env-admin", "Demo-env-admin-1", [{ role: "ENVIRONMENT_ADMIN", scope: { type: "ENVIRONMENT", id: FIXED.demoEnvId } }]);
    const worker = await m.apps.createApplication(admin, FIXED.demoEnvId, { name: "demo worker" });
    const granted = await m.roles.createRoleAssignment(demoAdmin, FIXED.demoEnvId, {
      subject: { applicationId: worker.application.id },
      role: "IDENTITY_DATA_ADMIN",
      scope: { type: "POPULATION", id: refs.contractorsPopulationId },
    });
    expect(granted.scope).toMatchObject({ type: "POPULATION", name: "Contractors", environmentId: FIXED.demoEnvId });

    const orgId = await app.organizationId();
    const wider = await rejection(
      m.roles.createRoleAssignment(demoAdmin, FIXED.demoEnvId, { subject: { applicationId: worker.application.id }, role: "IDENTITY_DATA_ADMIN", scope: { type: "ORGANIZATION", id: orgId } }),
    );
    expect(wider.status).toBe(403);
    const elsewhere = await rejection(
      m.roles.createRoleAssignment(demoAdmin, FIXED.demoEnvId, { subject: { applicationId: worker.application.id }, role: "ENVIRONMENT_ADMIN", scope: { type: "ENVIRONMENT", id: FIXED.adminEnvId } }),
    );
    expect(elsewhere.status).toBe(403);

    const listed = await m.roles.listRoleAssignments(demoAdmin, FIXED.demoEnvId, { subject: { applicationId: worker.application.id } });
    expect(listed.map((a) => a.id)).toEqual([granted.id]);
    await m.roles.deleteRoleAssignment(demoAdmin, FIXED.demoEnvId, granted.id);
    expect(await m.roles.listRoleAssignments(demoAdmin, FIXED.demoEnvId, { subject: { applicationId: worker.application.id } })).toEqual([]);
  });

  it("refuses an unknown role or scope with a clear 400", async () => {
    const worker = await m.apps.createApplication(admin, FIXED.adminEnvId, { name: "w" });
    const badRole = await rejection(m.roles.createRoleAssignment(admin, FIXED.adminEnvId, { subject: { applicationId: worker.application.id }, role: "ROOT" as never, scope: { type: "ENVIRONMENT", id: FIXED.demoEnvId } }));
    expect(badRole).toMatchObject({ status: 400, details: [expect.objectContaining({ target: "role" })] });
    const badScope = await rejection(m.roles.createRoleAssignment(admin, FIXED.adminEnvId, { subject: { applicationId: worker.application.id }, role: "IDENTITY_DATA_ADMIN", scope: { type: "POPULATION", id: "00000000-0000-4000-8000-000000000000" } }));
    expect(badScope).toMatchObject({ status: 400, details: [expect.objectContaining({ target: "scope.id" })] });
  });
});

describe("environment resources", () => {
  it("creates, renames and deletes a population, refusing a duplicate name and a population with users", async () => {
    const p = await m.manage.createPopulation(admin, FIXED.demoEnvId, { name: "Interns" });
    const dup = await rejection(m.manage.createPopulation(admin, FIXED.demoEnvId, { name: "interns" }));
    expect(dup).toMatchObject({ status: 400, details: [expect.objectContaining({ code: "UNIQUENESS_VIOLATION", target: "name" })] });
    await m.manage.updatePopulation(admin, FIXED.demoEnvId, p.id, { name: "Summer interns" });
    await m.users.importUser(admin, FIXED.demoEnvId, { username: "intern-1", population: { id: p.id } });
    expect((await rejection(m.manage.deletePopulation(admin, FIXED.demoEnvId, p.id))).status).toBe(400);
    expect((await rejection(m.manage.deletePopulation(admin, FIXED.demoEnvId, refs.defaultPopulationId))).status).toBe(400);
  });

  it("keeps gateway user types' link attributes in order and refuses a read-only administrator", async () => {
    const gw = await m.gateways.createGateway(admin, FIXED.demoEnvId, { name: "Second LDAP", type: "LDAP" });
    const ut = await m.gateways.createGatewayUserType(admin, FIXED.demoEnvId, gw.id, { name: "Staff", orderedCorrelationAttributes: ["mail", "uid"] });
    expect(ut.orderedCorrelationAttributes).toEqual(["mail", "uid"]);
    const reader = await administrator("reader", "Reader-pass-1", [{ role: "IDENTITY_DATA_READ_ONLY", scope: { type: "ENVIRONMENT", id: FIXED.demoEnvId } }]);
    expect((await rejection(m.gateways.deleteGateway(reader, FIXED.demoEnvId, gw.id))).status).toBe(403);
    await m.gateways.deleteGateway(admin, FIXED.demoEnvId, gw.id);
  });
});

describe("the API with a console session", () => {
  /** A session cookie as sign-in makes it: the JWT names a server-side session row. */
  async function sessionCookie(userId: string, sid?: string) {
    const sessionId = sid ?? (await m.sessions.createAdminSession(userId));
    const token = await encode({ token: { sub: userId, sid: sessionId }, secret: await m.keys.consoleSessionSecret(), salt: "authjs.session-token" });
    return `authjs.session-token=${token}`;
  }

  it("refuses a session whose server-side row has ended, and a cookie with no session row", async () => {
    const reader = await administrator("session-ended", "Session-pass-2", [{ role: "IDENTITY_DATA_READ_ONLY", scope: { type: "ENVIRONMENT", id: FIXED.demoEnvId } }]);
    const sid = await m.sessions.createAdminSession(reader.id);
    const cookie = await sessionCookie(reader.id, sid);
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`, { headers: { cookie } })).status).toBe(200);
    await m.sessions.endAdminSession(sid);
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`, { headers: { cookie } })).status).toBe(401);
    const noRow = await encode({ token: { sub: reader.id }, secret: await m.keys.consoleSessionSecret(), salt: "authjs.session-token" });
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`, { headers: { cookie: `authjs.session-token=${noRow}` } })).status).toBe(401);
  });

  it("accepts a console session, re-reading its roles so that a revoked role stops at once", async () => {
    const reader = await administrator("session-reader", "Session-pass-1", [{ role: "IDENTITY_DATA_READ_ONLY", scope: { type: "ENVIRONMENT", id: FIXED.demoEnvId } }]);
    const cookie = await sessionCookie(reader.id);
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`, { headers: { cookie } })).status).toBe(200);
    const [assignment] = await m.roles.listRoleAssignments(admin, FIXED.adminEnvId, { subject: { userId: reader.id } });
    await m.roles.deleteRoleAssignment(admin, FIXED.adminEnvId, assignment!.id);
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`, { headers: { cookie } })).status).toBe(403);
  });

  it("refuses a forged or missing session with 401", async () => {
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`, { headers: { cookie: "authjs.session-token=forged" } })).status).toBe(401);
    expect((await app.fetch(`/environments/${FIXED.demoEnvId}/users`)).status).toBe(401);
  });

  it("refuses a cross-origin write made with a console session", async () => {
    const cookie = await sessionCookie(admin.id);
    const res = await app.fetch(`/environments/${FIXED.demoEnvId}/users`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example", "content-type": "application/vnd.pingidentity.user.import+json" },
      body: JSON.stringify({ username: "csrf-victim", population: { id: refs.defaultPopulationId } }),
    });
    expect(res.status).toBe(403);
  });

  it("refuses Origin: null and a malformed Origin with a console session as 403, not a 500 (security review F12)", async () => {
    const cookie = await sessionCookie(admin.id);
    const before = await app.countUsers(FIXED.demoEnvId);
    for (const origin of ["null", "http://[", "not a url"]) {
      const res = await app.fetch(`/environments/${FIXED.demoEnvId}/users`, {
        method: "POST",
        headers: { cookie, origin, "content-type": "application/vnd.pingidentity.user.import+json" },
        body: JSON.stringify({ username: `origin-${origin.length}`, population: { id: refs.defaultPopulationId } }),
      });
      const body = (await res.json()) as { code: string };
      expect(res.status, origin).toBe(403);
      expect(body.code).toBe("ACCESS_FAILED");
    }
    expect(await app.countUsers(FIXED.demoEnvId)).toBe(before);
  });

  it("accepts a console write from the console's own origin", async () => {
    const cookie = await sessionCookie(admin.id);
    const res = await app.fetch(`/environments/${FIXED.demoEnvId}/users`, {
      method: "POST",
      headers: { cookie, origin: app.base, "content-type": "application/vnd.pingidentity.user.import+json" },
      body: JSON.stringify({ username: "same-origin-import", population: { id: refs.defaultPopulationId } }),
    });
    expect(res.status).toBe(201);
  });
});
