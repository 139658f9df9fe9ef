/**
 * Security review 2026-12, "What was tried and held", re-run as tests so that it keeps holding.
 * Each describe block is one line of the review's list, as the attacker tried it. (Server-level
 * items, such as cookie flags and throttle spoofing, are in security-console.test.ts; log leaks
 * in operations.test.ts; rendering in the e2e specs.)
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName } from "./support/http";

let app: TestApp;
let worker: Client; // Identity Data Admin over the demo environment, issued by the admin environment
let refs: DemoRefs;
let orgEa: Client;
const A = FIXED.adminEnvId;
const D = FIXED.demoEnvId;
const IMPORT = "application/vnd.pingidentity.user.import+json";

beforeAll(async () => {
  app = await startTestApp();
  worker = new Client(app, await app.token());
  refs = await app.refs();
  orgEa = worker.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
});

afterAll(async () => {
  await app?.close();
});

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("JWT: forged and tampered tokens are 401", () => {
  it("alg none, a wrong key, HS512, an all-zero key, tampered roles and garbage", async () => {
    const real = await app.token();
    const [h, p, s] = real.split(".") as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    const sign = (alg: string, key: Uint8Array) =>
      new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
    const tampered = { ...payload, roles: [{ role: "ENVIRONMENT_ADMIN", scope: { type: "ORGANIZATION", id: await app.organizationId() }, env: null }] };
    const tokens = [
      `${b64url({ alg: "none", typ: "JWT" })}.${p}.`,
      await sign("HS256", new TextEncoder().encode("not the key, not the key, not the key")),
      await sign("HS512", new TextEncoder().encode("x".repeat(64))),
      await sign("HS256", new Uint8Array(32)),
      `${h}.${b64url(tampered)}.${s}`,
      "garbage",
    ];
    for (const t of tokens) expectError(await worker.withToken(t).get(`/environments/${D}/users`), 401, "ACCESS_FAILED");
  });
});

describe("token environment versus URL environment", () => {
  it("a token issued by one environment grants only its roles, wherever they are", async () => {
    // The bootstrap worker lives in the admin environment and holds a role on the demo one only.
    expectError(await worker.get(`/environments/${A}/users`), 403, "ACCESS_FAILED");
    // It is not a client of the demo environment's token endpoint.
    const res = await app.fetch(`/${D}/as/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${FIXED.workerId}:${FIXED.workerSecret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
  });
});

describe("no IDOR across environments", () => {
  it("another environment's population, gateway or identity provider in an import is a 400", async () => {
    const base = { username: uniqueName("idor"), population: { id: refs.defaultPopulationId } };
    const adminPop = (await orgEa.get(`/environments/${A}/populations`)).body._embedded.populations[0].id as string;
    expectInvalidData(await orgEa.postUser(base, { envId: A }), [["INVALID_VALUE", "population.id"]]);
    expectInvalidData(await orgEa.postUser({ ...base, population: { id: adminPop }, identityProvider: { id: refs.googleIdpId } }, { envId: A }), [["INVALID_VALUE", "identityProvider.id"]]);
    expectInvalidData(
      await orgEa.postUser({ ...base, population: { id: adminPop }, password: { external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId } } } } }, { envId: A }),
      [["INVALID_VALUE", "password.external.gateway.id"]],
    );
  });

  it("another environment's user, application, job and role assignment are 404 through this environment's URLs", async () => {
    const user = await worker.postUser({ username: uniqueName("idor-user"), population: { id: refs.defaultPopulationId } });
    expect(user.status).toBe(201);
    expectError(await orgEa.get(`/environments/${A}/users/${user.body.id}`), 404, "NOT_FOUND");
    const set = await orgEa.request(`/environments/${A}/users/${user.body.id}/password`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.pingidentity.password.set+json" },
      body: JSON.stringify({ value: "Idor-pass-1234" }),
    });
    expectError(set, 404, "NOT_FOUND");

    const demoApp = await orgEa.request(`/environments/${D}/applications`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "demo app" }) });
    expect(demoApp.status).toBe(201);
    expectError(await orgEa.request(`/environments/${A}/applications/${demoApp.body.id}/secret`, { method: "POST" }), 404, "NOT_FOUND");
    const grant = await orgEa.request(`/environments/${D}/applications/${demoApp.body.id}/roleAssignments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: { name: "IDENTITY_DATA_READ_ONLY" }, scope: { type: "ENVIRONMENT", id: D } }),
    });
    expect(grant.status, grant.text).toBe(201);
    expectError(await orgEa.request(`/environments/${A}/applications/${demoApp.body.id}/roleAssignments/${grant.body.id}`, { method: "DELETE" }), 404, "NOT_FOUND");

    const job = await worker.request(`/environments/${D}/userImportJobs?dryRun=true`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: '{"username":"x"}\n' });
    expect(job.status).toBe(202);
    for (const suffix of ["", "/errors"]) expectError(await orgEa.get(`/environments/${A}/userImportJobs/${job.body.id}${suffix}`), 404, "NOT_FOUND");
    expectError(await orgEa.request(`/environments/${A}/userImportJobs/${job.body.id}/cancel`, { method: "POST" }), 404, "NOT_FOUND");
  });
});

describe("population scope", () => {
  let pop: Client;
  beforeAll(async () => {
    pop = worker.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
  });

  it("import into another population and into a population that does not exist: the same 403", async () => {
    const a = expectError(await pop.postUser({ username: uniqueName("p"), population: { id: refs.defaultPopulationId } }), 403, "ACCESS_FAILED");
    const b = expectError(await pop.postUser({ username: uniqueName("p"), population: { id: "0e000000-0000-4000-8000-000000000000" } }), 403, "ACCESS_FAILED");
    expect(a.message).toBe(b.message);
  });

  it("a user of another population is 404 for reads, password sets and verification codes", async () => {
    const other = await worker.postUser({ username: uniqueName("default-user"), email: "d@example.com", population: { id: refs.defaultPopulationId } });
    expectError(await pop.get(`/environments/${D}/users/${other.body.id}`), 404, "NOT_FOUND");
    expectError(
      await pop.request(`/environments/${D}/users/${other.body.id}/password`, { method: "PUT", headers: { "content-type": "application/vnd.pingidentity.password.set+json" }, body: JSON.stringify({ value: "Pop-pass-12345" }) }),
      404,
      "NOT_FOUND",
    );
    expectError(
      await pop.request(`/environments/${D}/users/${other.body.id}`, { method: "POST", headers: { "content-type": "application/vnd.pingidentity.user.sendVerificationCode+json" } }),
      404,
      "NOT_FOUND",
    );
    const list = await pop.get(`/environments/${D}/users?filter=${encodeURIComponent(`population.id eq "${refs.defaultPopulationId}"`)}`);
    expect(list.status).toBe(200);
    expect(list.body._embedded.users).toEqual([]);
  });

  it("a taken username in another population gives no existingId", async () => {
    const name = uniqueName("taken");
    expect((await worker.postUser({ username: name, population: { id: refs.defaultPopulationId } })).status).toBe(201);
    const res = await pop.postUser({ username: name, population: { id: refs.contractorsPopulationId } });
    const e = expectInvalidData(res, [["UNIQUENESS_VIOLATION", "username"]]);
    expect(e.details![0]!.innerError).toBeUndefined();
  });

  it("sees only its own import jobs", async () => {
    const theirs = await worker.request(`/environments/${D}/userImportJobs?dryRun=true`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: '{"username":"y"}\n' });
    const list = await pop.get(`/environments/${D}/userImportJobs`);
    expect(list.status).toBe(200);
    expect((list.body._embedded.userImportJobs as { id: string }[]).map((j) => j.id)).not.toContain(theirs.body.id);
    expectError(await pop.get(`/environments/${D}/userImportJobs/${theirs.body.id}`), 404, "NOT_FOUND");
  });
});

describe("read-only role", () => {
  it("every write is 403; reading password state is allowed", async () => {
    const ro = worker.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]));
    const u = await worker.postUser({ username: uniqueName("ro-target"), email: "ro@example.com", population: { id: refs.defaultPopulationId }, password: { value: "Ro-target-pass-1" } });
    const path = `/environments/${D}/users/${u.body.id}`;
    expectError(await ro.postUser({ username: uniqueName("ro"), population: { id: refs.defaultPopulationId } }), 403, "ACCESS_FAILED");
    const writes: [string, string, string, unknown][] = [
      ["PUT", `${path}/password`, "application/vnd.pingidentity.password.set+json", { value: "Ro-pass-12345" }],
      ["POST", `${path}/password`, "application/vnd.pingidentity.password.check+json", { password: "Ro-target-pass-1" }],
      ["POST", `${path}/password`, "application/vnd.pingidentity.password.forceChange", undefined],
      ["POST", path, "application/vnd.pingidentity.user.verify+json", { verificationCode: "AAAAAAAA" }],
      ["POST", `/environments/${D}/userImportJobs`, "application/x-ndjson", undefined],
    ];
    for (const [method, p, type, body] of writes) {
      const res = await ro.request(p, { method, headers: { "content-type": type }, body: body === undefined ? (type.includes("ndjson") ? '{"username":"z"}\n' : undefined) : JSON.stringify(body) });
      expectError(res, 403, "ACCESS_FAILED");
    }
    expectError(await ro.get(`/environments/${D}/applications`), 403, "ACCESS_FAILED");
    expect((await ro.get(`${path}/password`)).status).toBe(200);
  });
});

describe("role escalation", () => {
  it("an Environment Admin of one environment cannot grant the organization, another environment or its populations", async () => {
    const demoEa = worker.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
    const made = await demoEa.request(`/environments/${D}/applications`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "escalator" }) });
    expect(made.status).toBe(201);
    const adminPop = (await orgEa.get(`/environments/${A}/populations`)).body._embedded.populations[0].id as string;
    const grant = (scope: unknown, role: unknown = { name: "IDENTITY_DATA_ADMIN" }) =>
      demoEa.request(`/environments/${D}/applications/${made.body.id}/roleAssignments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ role, scope }) });
    expectError(await grant({ type: "ORGANIZATION", id: await app.organizationId() }), 403, "ACCESS_FAILED");
    expectError(await grant({ type: "ENVIRONMENT", id: A }), 403, "ACCESS_FAILED");
    expectError(await grant({ type: "POPULATION", id: adminPop }), 403, "ACCESS_FAILED");
    // A role given by id with a name that does not match it.
    expectError(await grant({ type: "ENVIRONMENT", id: D }, { id: "6f4b3c2a-0e1d-4a5b-9c01-000000000003", name: "ENVIRONMENT_ADMIN" }), 400, "INVALID_DATA");
  });
});

describe("CSRF with a console cookie", () => {
  it("a cross-origin JSON or CSV write with a session cookie is refused", async () => {
    const { createAdminSession } = await import("@/lib/auth/sessions");
    const { encode } = await import("next-auth/jwt");
    const { consoleSessionSecret } = await import("@/lib/auth/signing-key");
    const admins = await orgEa.get(`/environments/${A}/users`);
    const adminId = (admins.body._embedded.users as { id: string; username: string }[]).find((u) => u.username === FIXED.adminUsername)!.id;
    const token = await encode({ token: { sub: adminId, sid: await createAdminSession(adminId) }, secret: await consoleSessionSecret(), salt: "authjs.session-token" });
    const cookie = `authjs.session-token=${token}`;
    for (const origin of ["http://evil.example", "http://localhost:3001"]) {
      const json = await app.fetch(`/environments/${D}/users`, {
        method: "POST",
        headers: { cookie, origin, "content-type": IMPORT },
        body: JSON.stringify({ username: uniqueName("csrf"), population: { id: refs.defaultPopulationId } }),
      });
      expect(json.status).toBe(403);
      const csv = await app.fetch(`/environments/${D}/userImportJobs`, { method: "POST", headers: { cookie, origin, "content-type": "text/csv" }, body: "username\ncsrf-bulk\n" });
      expect(csv.status).toBe(403);
    }
  });
});

describe("SCIM filter", () => {
  it("quotes, wildcards and SQL-looking values are parameterised or refused, never a 5xx", async () => {
    const values = [`a'b`, "%", "_", "\\\\", `x" or "1"="1`, "(", ")", `'); drop table users; --`];
    for (const v of values) {
      const res = await worker.get(`/environments/${D}/users?filter=${encodeURIComponent(`username sw "${v.replace(/"/g, '\\"')}"`)}`);
      expect([200, 400]).toContain(res.status);
      if (res.status === 200) expect(res.body._embedded.users).toEqual([]);
    }
    for (const f of [`username pr`, Array.from({ length: 11 }, () => `username eq "a"`).join(" and ")]) {
      const res = await worker.get(`/environments/${D}/users?filter=${encodeURIComponent(f)}`);
      expect([200, 400]).toContain(res.status);
      if (res.status === 400) expect(res.body.details?.[0]?.code).toBe("INVALID_FILTER");
    }
    expect(await app.countUsers()).toBeGreaterThan(0);
  });
});

describe("body limits", () => {
  it("a 2 MB body is 413 (declared or chunked), the token endpoint 413 past 8 KB, and deep nesting under an unknown key is harmless", async () => {
    const big = "x".repeat(2 * 1024 * 1024);
    expectError(await worker.postUser(big, { raw: true }), 413, "INVALID_REQUEST");
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    expectError(await worker.request(`/environments/${D}/users`, { method: "POST", headers: { "content-type": IMPORT }, body: chunked, duplex: "half" } as RequestInit), 413, "INVALID_REQUEST");
    const token = await app.fetch(`/${A}/as/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&pad=" + "x".repeat(9000) });
    expect(token.status).toBe(413);
    const nested = `{"username":"${uniqueName("deep")}","population":{"id":"${refs.defaultPopulationId}"},"junk":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
    expect((await worker.postUser(nested, { raw: true })).status).toBe(201);
  });
});

describe("bulk file names and headers", () => {
  it("a multipart file name with a path is kept as its last part; __proto__ cannot be a CSV column", async () => {
    const form = new FormData();
    form.set("dryRun", "true");
    form.set("file", new Blob(["username\nann\n"], { type: "text/csv" }), "../../etc/passwd.csv");
    const res = await worker.request(`/environments/${D}/userImportJobs`, { method: "POST", body: form });
    expect(res.status).toBe(202);
    expect(res.body.fileName).toBe("passwd.csv");
    const proto = await worker.request(`/environments/${D}/userImportJobs`, { method: "POST", headers: { "content-type": "text/csv" }, body: "username,__proto__.polluted\nann,yes\n" });
    expectError(proto, 400, "INVALID_DATA");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("no leaks", () => {
  it("no response carried a secret", () => {
    worker.expectNoLeak([FIXED.workerSecret, FIXED.adminPassword, "Ro-target-pass-1", "Idor-pass-1234", "Pop-pass-12345"]);
  });
});
