/**
 * The gateway through the production server (issue 12.6): a gateway created over real HTTP,
 * its users checked (right and wrong passwords, a lazy migration), a password changed in the
 * directory, an outage answered with 503; then, after the server has stopped, its whole log is
 * scanned for the bind password and every user password that was sent. Needs `npm run build`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { PEOPLE, removeSlapd, startSlapd, type DirectoryUser, type Slapd } from "./support/slapd";

const driver = process.env.TEST_DRIVER ?? "pglite";
const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: randomBytes(24).toString("base64url") };
const admin = { id: "", secret: "" };
const USERS: DirectoryUser[] = [
  { uid: "ada", password: "Ada-log-pass-" + randomBytes(6).toString("hex") },
  { uid: "mig", password: "Mig-log-pass-" + randomBytes(6).toString("hex") },
  { uid: "chg", password: "Chg-log-pass-" + randomBytes(6).toString("hex") },
];
const NEW_PASSWORD = "Chg-new-log-pass-" + randomBytes(6).toString("hex");
const WRONG = "Wrong-log-pass-" + randomBytes(6).toString("hex");

let ldap: Slapd;
let env: Record<string, string | undefined>;
let cleanup: () => Promise<void>;
let server: RunningServer | undefined;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  ldap = await startSlapd({ users: USERS });
  if (driver === "postgres") {
    const adminUrl = process.env.TEST_DATABASE_URL!;
    const name = `ii_gw_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
    const pg = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await pg.unsafe(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    env = { DATABASE_URL: url.toString(), DATA_DIR: undefined };
    cleanup = async () => {
      await pg.unsafe(`drop database if exists ${name} with (force)`);
      await pg.end();
    };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ii-gw-server-"));
    env = { DATABASE_URL: undefined, DATA_DIR: dir };
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  // First start, done here so that an Environment Admin application can be added before the
  // server opens the database (a PGlite folder has one process at a time).
  Object.assign(process.env, { ...env, ADMIN_ENV_ID: ids.admin, DEMO_ENV_ID: ids.demo, WORKER_CLIENT_ID: ids.worker, WORKER_CLIENT_SECRET: ids.secret, ADMIN_PASSWORD: randomBytes(12).toString("hex") });
  if (!env.DATABASE_URL) delete process.env.DATABASE_URL;
  const { bootstrap } = await import("@/lib/bootstrap");
  const { insertApplication, insertRoleAssignment } = await import("@/lib/environments");
  const { getDb, closeDb } = await import("@/db");
  await bootstrap();
  const db = await getDb();
  const app = await insertApplication(db, { environmentId: ids.admin, name: "gateway admin" });
  await insertRoleAssignment(db, { role: "ENVIRONMENT_ADMIN", subject: { applicationId: app.id }, scopeType: "ENVIRONMENT", scopeId: ids.demo, scopeEnvironmentId: ids.demo });
  Object.assign(admin, { id: app.id, secret: app.secret });
  await closeDb();
  server = await startServer({ ...env, LOG_LEVEL: "info" });
});

afterAll(async () => {
  await server?.stop();
  await removeSlapd(ldap);
  await cleanup?.();
});

describe("the gateway through the production server", () => {
  it("checks, migrates and changes passwords in the directory, answers 503 while it is down, and logs none of the secrets", async () => {
    const base = server!.url;
    const tokenRes = await fetch(`${base}/${ids.admin}/as/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${admin.id}:${admin.secret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const call = async (p: string, method: string, type: string | null, body?: unknown) => {
      const res = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, ...(type ? { "content-type": type } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
    };
    const gw = await call(`/v1/environments/${ids.demo}/gateways`, "POST", "application/json", {
      name: "Directory",
      type: "LDAP",
      servers: [ldap.server],
      bindDN: ldap.serviceDn,
      bindPassword: ldap.servicePassword,
      userTypes: [
        { name: "People", passwordAuthority: "LDAP", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"], allowPasswordChanges: true },
        { name: "Migrate", passwordAuthority: "PING_ONE", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] },
      ],
    });
    expect(gw.status, gw.text).toBe(201);
    expect(gw.text).not.toContain(ldap.servicePassword);
    const [people, migrate] = gw.body.userTypes as { id: string }[];
    const pops = await call(`/environments/${ids.demo}/populations`, "GET", null);
    const populationId = (pops.body._embedded.populations as { id: string; default: boolean }[]).find((p) => p.default)!.id;
    const link = async (userTypeId: string, uid: string) => {
      const res = await call(`/environments/${ids.demo}/users`, "POST", "application/vnd.pingidentity.user.import+json", {
        username: `${uid}-${randomBytes(3).toString("hex")}`,
        population: { id: populationId },
        password: { external: { gateway: { id: gw.body.id, userType: { id: userTypeId }, correlationAttributes: { uid } } } },
      });
      expect(res.status, res.text).toBe(201);
      return `/environments/${ids.demo}/users/${res.body.id}/password`;
    };
    const CHECK = "application/vnd.pingidentity.password.check+json";
    const ada = await link(people!.id, "ada");
    const mig = await link(migrate!.id, "mig");
    const chg = await link(people!.id, "chg");

    expect((await call(ada, "POST", CHECK, { password: USERS[0]!.password })).status).toBe(200);
    expect((await call(ada, "POST", CHECK, { password: WRONG })).status).toBe(400);
    expect((await call(mig, "POST", CHECK, { password: USERS[1]!.password })).body.status).toBe("OK");
    expect((await call(mig, "POST", CHECK, { password: USERS[1]!.password })).status).toBe(200);
    expect((await call(chg, "PUT", "application/vnd.pingidentity.password.set+json", { value: NEW_PASSWORD })).status).toBe(200);
    expect((await call(chg, "PUT", "application/vnd.pingidentity.password.set+json", { value: "short" })).status).toBe(400);
    expect((await call(chg, "POST", CHECK, { password: NEW_PASSWORD })).status).toBe(200);

    await ldap.stop();
    const down = await call(ada, "POST", CHECK, { password: USERS[0]!.password });
    expect(down.status, down.text).toBe(503);
    await ldap.start();
    expect((await call(ada, "POST", CHECK, { password: USERS[0]!.password })).status).toBe(200);

    await server!.stop();
    const log = server!.output();
    expect(log).toMatch(/gateway directory unavailable/);
    for (const secret of [ldap.servicePassword, ...USERS.map((u) => u.password), NEW_PASSWORD, WRONG]) {
      expect(log.includes(secret), `the log holds a secret starting ${secret.slice(0, 8)}`).toBe(false);
      expect(log.includes(Buffer.from(secret).toString("base64")), "the log holds a secret in base64").toBe(false);
    }
  });
});
