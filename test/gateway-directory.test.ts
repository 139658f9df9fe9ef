/**
 * The LDAP gateway against a real directory (issue 12, spec 5.2, 5.3): Check Password goes to
 * Debian's slapd (LDAP authority binds every time, PING_ONE migrates once), the same 400 for a
 * wrong password, an unknown entry and several entries, injection in correlation values, the
 * outage and recovery (slapd stopped and started mid-test), failover, pooled connections and a
 * changed gateway, Set Password written to the directory under its own policy, setGateway, a
 * change of authority, the profile refresh, TLS, and the console's Test connection.
 */
import net from "node:net";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client as Http, expectError, expectInvalidData, uniqueName, withoutId } from "./support/http";
import { dnOf, PEOPLE, removeSlapd, startSlapd, VAULT, type DirectoryUser, type Slapd } from "./support/slapd";

const D = FIXED.demoEnvId;
const USERS: DirectoryUser[] = [
  { uid: "ada", password: "Ada-pass-1", mail: "ada@example.com" },
  { uid: "bob", password: "Bob-pass-1", mail: "bob@example.com" },
  { uid: "twin1", password: "Twin-pass-1", mail: "twin@example.com" },
  { uid: "twin2", password: "Twin-pass-1", mail: "twin@example.com" },
  { uid: "st*r", password: "Star-pass-1" },
  { uid: "back\\slash", password: "Back-pass-1" },
  { uid: "mig", password: "Mig-pass-1" },
  { uid: "mig2", password: "Mig2-pass-1" },
  { uid: "chg", password: "Chg-pass-1" },
  { uid: "cy", password: "Cy-pass-1", mail: "cy@example.com", givenName: "Cyrus", sn: "Smith", extra: { telephoneNumber: "+1 555 0100" } },
  { uid: "val", password: "Val-pass-1", branch: "vault" },
  { uid: "lnk", password: "Lnk-pass-1" },
];
const pw = (uid: string) => USERS.find((u) => u.uid === uid)!.password;

let app: TestApp;
let refs: DemoRefs;
let api: Http;
let ldap: Slapd;
let tlsLdap: Slapd;
let gatewayId: string;
const types: Record<string, string> = {};

const CHECK = "application/vnd.pingidentity.password.check+json";
const SET = "application/vnd.pingidentity.password.set+json";
const SET_GATEWAY = "application/vnd.pingidentity.password.setGateway+json";

const userTypeBodies = () => [
  { name: "People", passwordAuthority: "LDAP", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid", "mail"], allowPasswordChanges: true },
  { name: "Migrate", passwordAuthority: "PING_ONE", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] },
  { name: "Fixed", passwordAuthority: "LDAP", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"], allowPasswordChanges: false },
  { name: "ByMail", passwordAuthority: "LDAP", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["mail"] },
  { name: "Vault", passwordAuthority: "LDAP", searchBaseDn: VAULT, orderedCorrelationAttributes: ["uid"], allowPasswordChanges: true },
  {
    name: "Refresh",
    passwordAuthority: "LDAP",
    searchBaseDn: PEOPLE,
    orderedCorrelationAttributes: ["uid"],
    updateUserOnSuccessfulAuthentication: true,
    newUserLookup: {
      ldapFilterPattern: "(objectClass=inetOrgPerson)",
      population: { id: refs.defaultPopulationId },
      attributeMappings: [
        { name: "username", value: "${ldapAttributes.uid}" },
        { name: "email", value: "${ldapAttributes.mail}" },
        { name: "name.given", value: "${ldapAttributes.givenName}" },
        { name: "name.family", value: "${ldapAttributes.sn}" },
        { name: "name.formatted", value: "${ldapAttributes.givenName} ${ldapAttributes.sn}" },
        { name: "primaryPhone", value: "${ldapAttributes.telephoneNumber}" },
      ],
    },
  },
];

async function createGateway(over: Record<string, unknown> = {}) {
  const body = { name: uniqueName("LDAP"), type: "LDAP", servers: [ldap.server], bindDN: ldap.serviceDn, bindPassword: ldap.servicePassword, vendor: "OpenDJ Directory", userTypes: userTypeBodies(), ...over };
  const res = await api.request(`/environments/${D}/gateways`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, res.text).toBe(201);
  // What a PUT sends back: user types left out are kept (sent without ids, they would be new ones).
  const { userTypes: _userTypes, ...fields } = body;
  return { id: res.body.id as string, body: fields, types: Object.fromEntries((res.body.userTypes as { id: string; name: string }[]).map((t) => [t.name, t.id])) };
}

async function putGateway(id: string, body: Record<string, unknown>) {
  const res = await api.request(`/environments/${D}/gateways/${id}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function importLinked(userType: string, correlationAttributes: Record<string, string>, gw = gatewayId, typeId = types[userType]!) {
  const res = await api.postUser({ username: uniqueName("gw"), population: { id: refs.defaultPopulationId }, password: { external: { gateway: { id: gw, userType: { id: typeId }, correlationAttributes } } } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

const pwPath = (id: string) => `/environments/${D}/users/${id}/password`;
const check = (id: string, password: unknown) => api.request(pwPath(id), { method: "POST", headers: { "content-type": CHECK }, body: JSON.stringify({ password }) });
const setPw = (id: string, body: Record<string, unknown>) => api.request(pwPath(id), { method: "PUT", headers: { "content-type": SET }, body: JSON.stringify(body) });
const setGateway = (id: string, body: unknown) => api.request(pwPath(id), { method: "PUT", headers: { "content-type": SET_GATEWAY }, body: JSON.stringify(body) });

async function auditActions(userId: string): Promise<string[]> {
  const { getDb } = await import("@/db");
  const { auditEvents } = await import("@/db/schema");
  const rows = await (await getDb()).select({ action: auditEvents.action, details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.resourceId, userId));
  return rows.map((r) => r.action);
}

/** A TCP server that accepts and never answers: a hung directory. */
async function blackHole(): Promise<{ server: string; close: () => Promise<void> }> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  return { server: `127.0.0.1:${port}`, close: () => new Promise((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }) };
}

async function closedPort(): Promise<string> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  // One after the other, so that afterAll stops whichever started if the other fails.
  ldap = await startSlapd({ users: USERS });
  tlsLdap = await startSlapd({ users: [{ uid: "tls", password: "Tls-pass-1" }], tls: true });
  app = await startTestApp();
  refs = await app.refs();
  api = new Http(app, await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  const gw = await createGateway();
  gatewayId = gw.id;
  Object.assign(types, gw.types);
});

afterAll(async () => {
  const { closeDirectories } = await import("@/lib/gateways/directory");
  closeDirectories();
  await app?.close();
  await removeSlapd(ldap);
  await removeSlapd(tlsLdap);
});

describe("Check Password through the directory (5.2)", () => {
  it("LDAP authority: a right password is 200 and stays EXTERNAL with nothing stored; each check is one search and one bind", async () => {
    const id = await importLinked("People", { uid: "ada" });
    const first = await check(id, pw("ada"));
    expect(first.status, first.text).toBe(200);
    expect(first.body.status).toBe("EXTERNAL");
    expect(await app.passwordRow(id)).toMatchObject({ passwordHash: null, passwordStatus: "EXTERNAL" });

    const idle = [await ldap.operationCounts(), await ldap.operationCounts()];
    const overhead = { bind: idle[1]!.bind - idle[0]!.bind, search: idle[1]!.search - idle[0]!.search };
    const before = await ldap.operationCounts();
    for (let i = 0; i < 3; i++) expect((await check(id, pw("ada"))).status).toBe(200);
    const after = await ldap.operationCounts();
    expect(after.bind - before.bind - overhead.bind).toBe(3);
    expect(after.search - before.search - overhead.search).toBe(3);
    expect(await app.passwordRow(id)).toMatchObject({ passwordHash: null, passwordStatus: "EXTERNAL" });
  });

  it("answers a wrong password, an unknown entry and several entries with the same 400", async () => {
    const ada = await importLinked("People", { uid: "ada" });
    const nobody = await importLinked("People", { uid: "nobody-here" });
    const twins = await importLinked("ByMail", { mail: "twin@example.com" });
    const wrong = expectInvalidData(await check(ada, "not-her-password"), [["INVALID_VALUE", "password"]]);
    const unknown = expectInvalidData(await check(nobody, "whatever-1"), [["INVALID_VALUE", "password"]]);
    const several = expectInvalidData(await check(twins, pw("twin1")), [["INVALID_VALUE", "password"]]);
    expect(withoutId(unknown)).toEqual(withoutId(wrong));
    expect(withoutId(several)).toEqual(withoutId(wrong));
    // And the same work: a search and a refused bind, whichever it was (no timing oracle).
    const binds = async (id: string) => {
      const idle = [await ldap.operationCounts(), await ldap.operationCounts()];
      await check(id, "not-her-password");
      const after = await ldap.operationCounts();
      return after.bind - idle[1]!.bind - (idle[1]!.bind - idle[0]!.bind);
    };
    expect(await binds(ada)).toBe(1);
    expect(await binds(nobody)).toBe(1);
    expect(await binds(twins)).toBe(1);
  });

  it("searches by the first link attribute the user has a value for", async () => {
    const byMail = await importLinked("People", { mail: "bob@example.com" });
    expect((await check(byMail, pw("bob"))).status).toBe(200);
    // uid comes first: a wrong uid is not rescued by a right mail.
    const wrongUid = await importLinked("People", { uid: "nobody-here", mail: "bob@example.com" });
    expectInvalidData(await check(wrongUid, pw("bob")), [["INVALID_VALUE", "password"]]);
  });

  it("never sends an empty password (it would be an anonymous bind)", async () => {
    const id = await importLinked("People", { uid: "ada" });
    await check(id, pw("ada"));
    const before = await ldap.operationCounts();
    const idle = await ldap.operationCounts();
    const res = await check(id, "");
    const after = await ldap.operationCounts();
    expectInvalidData(res, [["EMPTY_VALUE", "password"]]);
    // Between the two reads: only the reads' own bind; no search, no bind for the check.
    expect(after.bind - idle.bind).toBe(idle.bind - before.bind);
    expect(after.search - idle.search).toBe(idle.search - before.search);
  });

  it("matches a correlation value only as itself: *, a filter fragment, a backslash", async () => {
    for (const value of ["*", "ada)(uid=*", "*)(|(uid=*", "ada*", "\\2a", "ad\\61"]) {
      const id = await importLinked("People", { uid: value });
      expectInvalidData(await check(id, pw("ada")), [["INVALID_VALUE", "password"]]);
    }
    // Entries whose uid holds these characters are found by exactly that value.
    expect((await check(await importLinked("People", { uid: "st*r" }), pw("st*r"))).status).toBe(200);
    expect((await check(await importLinked("People", { uid: "back\\slash" }), pw("back\\slash"))).status).toBe(200);
    // NUL cannot be stored as a correlation value at all.
    const nul = await api.postUser({ username: uniqueName("nul"), population: { id: refs.defaultPopulationId }, password: { external: { gateway: { id: gatewayId, userType: { id: types.People }, correlationAttributes: { uid: "ada\u0000" } } } } });
    expectInvalidData(nul, [["INVALID_VALUE", "password.external.gateway.correlationAttributes.uid"]]);
    // And the directory layer itself sends NUL as an octet of the value, matching nothing.
    const { directoryFor } = await import("@/lib/gateways/directory");
    const dir = await directoryFor("injection-probe", 1, async () => ({ gatewayId: "injection-probe", version: 1, servers: [ldap.server], connectionSecurity: "None", validateTlsCertificates: true, bindDn: ldap.serviceDn, bindPassword: ldap.servicePassword }));
    expect(await dir.findBy(PEOPLE, "uid", "ada\u0000", { limit: 2 })).toEqual([]);
    expect(await dir.findBy(PEOPLE, "uid", "*", { limit: 2 })).toEqual([]);
    expect((await dir.findBy(PEOPLE, "uid", "ada", { limit: 2 })).map((e) => e.dn)).toEqual([dnOf({ uid: "ada" })]);
  });

  it("PING_ONE authority: the first success stores argon2id, status OK, PASSWORD.MIGRATED; later checks are local", async () => {
    const id = await importLinked("Migrate", { uid: "mig" });
    expectInvalidData(await check(id, "wrong-password-1"), [["INVALID_VALUE", "password"]]);
    expect((await app.passwordRow(id))?.passwordStatus).toBe("EXTERNAL");
    const res = await check(id, pw("mig"));
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("OK");
    const row = await app.passwordRow(id);
    expect(row?.passwordStatus).toBe("OK");
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row?.externalPassword).toMatchObject({ correlationAttributes: { uid: "mig" } });
    expect(await auditActions(id)).toContain("PASSWORD.MIGRATED");
    // Local from now on: no directory bind.
    const before = await ldap.operationCounts();
    const idle = await ldap.operationCounts();
    expect((await check(id, pw("mig"))).status).toBe(200);
    expectInvalidData(await check(id, "wrong-password-1"), [["INVALID_VALUE", "password"]]);
    const after = await ldap.operationCounts();
    expect(after.bind - idle.bind).toBe(idle.bind - before.bind);
    // The correlation attributes stay on the user.
    expect((await api.get(pwPath(id))).body.external.gateway.correlationAttributes).toEqual({ uid: "mig" });
  });
});

describe("the directory down and back (5.2.6)", () => {
  it("answers 503 with Retry-After within a few seconds, local users still check, and the next check after the restart works", async () => {
    const ldapUser = await importLinked("People", { uid: "ada" });
    const migrated = await importLinked("Migrate", { uid: "mig2" });
    expect((await check(ldapUser, pw("ada"))).status).toBe(200);
    expect((await check(migrated, pw("mig2"))).status).toBe(200);

    await ldap.stop();
    try {
      const started = Date.now();
      const down = await check(ldapUser, pw("ada"));
      expect(Date.now() - started).toBeLessThan(3000);
      const e = expectError(down, 503, "SERVICE_UNAVAILABLE");
      expect(e.message).toMatch(/external directory/);
      expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
      // A user whose password migrated signs on with no directory at all.
      expect((await check(migrated, pw("mig2"))).status).toBe(200);
    } finally {
      await ldap.start();
    }
    const back = await check(ldapUser, pw("ada"));
    expect(back.status, back.text).toBe(200);
  });

  it("gives up on a server that does not answer after the timeout (a setting), and fails over in order", async () => {
    const hole = await blackHole();
    const refused = await closedPort();
    process.env.GATEWAY_TIMEOUT_MS = "1000";
    try {
      const gw = await createGateway({ servers: [hole.server] });
      const id = await importLinked("People", { uid: "ada" }, gw.id, gw.types.People);
      const started = Date.now();
      expectError(await check(id, pw("ada")), 503, "SERVICE_UNAVAILABLE");
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(4000);

      await putGateway(gw.id, { ...gw.body, servers: [refused, hole.server, ldap.server] });
      const ok = await check(id, pw("ada"));
      expect(ok.status, ok.text).toBe(200);
    } finally {
      delete process.env.GATEWAY_TIMEOUT_MS;
      await hole.close();
    }
  });
});

describe("pooled connections (5.2.7) and a changed gateway", () => {
  it("reuses connections across checks", async () => {
    const id = await importLinked("People", { uid: "bob" });
    expect((await check(id, pw("bob"))).status).toBe(200);
    const before = await ldap.connectionsTotal();
    for (let i = 0; i < 20; i++) expect((await check(id, pw("bob"))).status).toBe(200);
    const after = await ldap.connectionsTotal();
    // Only the two monitor reads' own connections: no check opened one.
    expect(after - before).toBe(1);
  });

  it("drops the pool when the gateway changes, through the API or as another server process would see it in the row", async () => {
    const gw = await createGateway();
    const id = await importLinked("People", { uid: "ada" }, gw.id, gw.types.People);
    expect((await check(id, pw("ada"))).status).toBe(200);

    await putGateway(gw.id, { ...gw.body, bindPassword: "not-the-service-password" });
    const refused = expectError(await check(id, pw("ada")), 503, "SERVICE_UNAVAILABLE");
    expect(refused.message).toMatch(/service account/);
    // A PUT without bindPassword keeps the stored (wrong) one.
    const { bindPassword: _omit, ...withoutPassword } = gw.body;
    await putGateway(gw.id, withoutPassword);
    expectError(await check(id, pw("ada")), 503, "SERVICE_UNAVAILABLE");
    await putGateway(gw.id, gw.body);
    expect((await check(id, pw("ada"))).status).toBe(200);

    // Another process's change reaches this one through the row's version alone.
    const { getDb } = await import("@/db");
    const { gateways } = await import("@/db/schema");
    const dead = await closedPort();
    await (await getDb()).update(gateways).set({ servers: [dead], version: sql`${gateways.version} + 1` }).where(eq(gateways.id, gw.id));
    expectError(await check(id, pw("ada")), 503, "SERVICE_UNAVAILABLE");
  });
});

describe("Set Password of a gateway user (5.3)", () => {
  it("writes the directory when the user type allows it; nothing is stored for LDAP authority", async () => {
    const id = await importLinked("People", { uid: "chg" });
    const res = await setPw(id, { value: "Chg-new-pass-2" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("EXTERNAL");
    expect(ldap.canBind(dnOf({ uid: "chg" }), "Chg-new-pass-2")).toBe(true);
    expect(ldap.canBind(dnOf({ uid: "chg" }), pw("chg"))).toBe(false);
    expect(await app.passwordRow(id)).toMatchObject({ passwordHash: null, passwordStatus: "EXTERNAL" });
    expect((await check(id, "Chg-new-pass-2")).status).toBe(200);
  });

  it("is checked against the directory's own policy, and refuses what the directory cannot take", async () => {
    const id = await importLinked("People", { uid: "chg" });
    const short = expectInvalidData(await setPw(id, { value: "short" }), [["INVALID_VALUE", "value"]]);
    expect(short.details![0]!.message).toMatch(/refused the new password.*quality/i);
    expectInvalidData(await setPw(id, { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" }), [["INVALID_VALUE", "value"]]);
    expectInvalidData(await setPw(id, { value: "Chg-new-pass-3", forceChange: true }), [["INVALID_VALUE", "forceChange"]]);
    const vault = await importLinked("Vault", { uid: "val" });
    const denied = expectInvalidData(await setPw(vault, { value: "Val-new-pass-2" }), [["INVALID_VALUE", "value"]]);
    expect(denied.details![0]!.message).toMatch(/may not change passwords/);
    expect(ldap.canBind(dnOf({ uid: "val", branch: "vault" }), pw("val"))).toBe(true);
  });

  it("is a clear 400 REQUEST_FAILED when the user type does not allow password changes", async () => {
    const id = await importLinked("Fixed", { uid: "bob" });
    const e = expectError(await setPw(id, { value: "Bob-new-pass-2" }), 400, "REQUEST_FAILED");
    expect(e.message).toMatch(/external directory/);
    expect(ldap.canBind(dnOf({ uid: "bob" }), pw("bob"))).toBe(true);
  });
});

describe("setGateway links an existing user (5.3)", () => {
  it("makes a local user EXTERNAL, removes its stored hash, and the directory then checks it", async () => {
    const created = await api.postUser({ username: uniqueName("local"), population: { id: refs.defaultPopulationId }, password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" } });
    const id = created.body.id as string;
    expect((await app.passwordRow(id))?.passwordStatus).toBe("OK");
    const res = await setGateway(id, { id: gatewayId, userType: { id: types.People }, correlationAttributes: { uid: "lnk" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: "EXTERNAL", external: { gateway: { id: gatewayId, userType: { id: types.People }, correlationAttributes: { uid: "lnk" } } } });
    expect(await app.passwordRow(id)).toMatchObject({ passwordHash: null, passwordStatus: "EXTERNAL" });
    expect((await check(id, pw("lnk"))).status).toBe(200);
    expect(await auditActions(id)).toContain("USER.PASSWORD_GATEWAY_SET");
  });

  it("refuses an unknown gateway, user type or link attribute, a bad body, and a provider's user", async () => {
    const id = (await api.postUser({ username: uniqueName("local"), population: { id: refs.defaultPopulationId } })).body.id as string;
    expectInvalidData(await setGateway(id, { id: refs.userTypeId, userType: { id: types.People } }), [["INVALID_VALUE", "id"]]);
    expectInvalidData(await setGateway(id, { id: gatewayId, userType: { id: refs.userTypeId } }), [["INVALID_VALUE", "userType.id"]]);
    expectInvalidData(await setGateway(id, { id: gatewayId, userType: { id: types.People }, correlationAttributes: { cn: "x" } }), [["INVALID_VALUE", "correlationAttributes.cn"]]);
    expectInvalidData(await setGateway(id, { userType: { id: types.People } }), [["REQUIRED_VALUE", "id"]]);
    expectError(await setGateway(id, [1]), 400, "INVALID_DATA");
    expect((await app.passwordRow(id))?.externalPassword).toBeNull();
    const idp = (await api.postUser({ username: uniqueName("idp"), population: { id: refs.defaultPopulationId }, identityProvider: { id: refs.googleIdpId } })).body.id as string;
    expectError(await setGateway(idp, { id: gatewayId, userType: { id: types.People }, correlationAttributes: { uid: "lnk" } }), 400, "REQUEST_FAILED");
    expectError(await api.request(pwPath(id), { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" }), 415, "INVALID_REQUEST");
  });
});

describe("changing a user type's password authority (5.3)", () => {
  it("PING_ONE → LDAP removes the migrated hashes of its users; LDAP → PING_ONE migrates at the next check", async () => {
    const gw = await createGateway();
    const id = await importLinked("Migrate", { uid: "ada" }, gw.id, gw.types.Migrate);
    const other = await importLinked("People", { uid: "ada" }, gw.id, gw.types.People);
    expect((await check(id, pw("ada"))).body.status).toBe("OK");
    const typesNow = (await api.get(`/environments/${D}/gateways/${gw.id}`)).body.userTypes as Record<string, unknown>[];
    const toLdap = typesNow.map((t) => (t.name === "Migrate" ? { ...t, passwordAuthority: "LDAP" } : t));
    await putGateway(gw.id, { ...gw.body, userTypes: toLdap });
    expect(await app.passwordRow(id)).toMatchObject({ passwordHash: null, passwordStatus: "EXTERNAL" });
    expect((await app.passwordRow(other))?.passwordStatus).toBe("EXTERNAL");
    const again = await check(id, pw("ada"));
    expect(again.body.status).toBe("EXTERNAL");

    const { updateGatewayUserType } = await import("@/lib/gateways/manage");
    const admin = { type: "APPLICATION" as const, id: "00000000-0000-4000-8000-0000000000aa", via: "API" as const, assignments: [{ role: "ENVIRONMENT_ADMIN" as const, scopeType: "ENVIRONMENT" as const, scopeId: D, environmentId: D }] };
    const migrate = toLdap.find((t) => t.name === "Migrate")!;
    await updateGatewayUserType(admin, D, gw.id, String(migrate.id), { ...migrate, passwordAuthority: "PING_ONE" });
    expect((await check(id, pw("ada"))).body.status).toBe("OK");
    expect((await app.passwordRow(id))?.passwordHash).toMatch(/^\$argon2id\$/);
  });
});

describe("updateUserOnSuccessfulAuthentication (5.2.5)", () => {
  it("refreshes the mapped attributes from the entry after a successful bind, and keeps them when a mapped value is invalid", async () => {
    const id = await importLinked("Refresh", { uid: "cy" });
    expect((await check(id, pw("cy"))).status).toBe(200);
    const user = (await api.get(`/environments/${D}/users/${id}`)).body;
    expect(user).toMatchObject({ email: "cy@example.com", name: { given: "Cyrus", family: "Smith", formatted: "Cyrus Smith" }, primaryPhone: "+1 555 0100" });
    expect(user.username).not.toBe("cy");

    const root = await ldap.rootClient();
    const { Change, Attribute } = await import("ldapts");
    try {
      await root.modify(dnOf({ uid: "cy" }), new Change({ operation: "replace", modification: new Attribute({ type: "mail", values: ["cyrus@example.com"] }) }));
      expect((await check(id, pw("cy"))).status).toBe(200);
      expect((await api.get(`/environments/${D}/users/${id}`)).body.email).toBe("cyrus@example.com");
      await root.modify(dnOf({ uid: "cy" }), new Change({ operation: "replace", modification: new Attribute({ type: "mail", values: ["not an email"] }) }));
      expect((await check(id, pw("cy"))).status).toBe(200);
      expect((await api.get(`/environments/${D}/users/${id}`)).body.email).toBe("cyrus@example.com");
    } finally {
      await root.unbind();
    }
    expect(await auditActions(id)).toContain("USER.UPDATED");
  });
});

describe("TLS", () => {
  const tlsGateway = (connectionSecurity: string, validateTlsCertificates: boolean) =>
    createGateway({ servers: [connectionSecurity === "TLS" ? tlsLdap.tlsServer : `localhost:${tlsLdap.port}`], bindDN: tlsLdap.serviceDn, bindPassword: tlsLdap.servicePassword, connectionSecurity, validateTlsCertificates });

  it("refuses a self-signed certificate when validateTlsCertificates is true, over ldaps and StartTLS, and connects when it is false", async () => {
    for (const security of ["TLS", "StartTLS"]) {
      const strict = await tlsGateway(security, true);
      const strictUser = await importLinked("People", { uid: "tls" }, strict.id, strict.types.People);
      const e = expectError(await check(strictUser, "Tls-pass-1"), 503, "SERVICE_UNAVAILABLE");
      expect(e.message).toMatch(/TLS/);
      const lax = await tlsGateway(security, false);
      const laxUser = await importLinked("People", { uid: "tls" }, lax.id, lax.types.People);
      const ok = await check(laxUser, "Tls-pass-1");
      expect(ok.status, `${security}: ${ok.text}`).toBe(200);
      expectInvalidData(await check(laxUser, "Tls-pass-2"), [["INVALID_VALUE", "password"]]);
    }
  });
});

describe("Test connection (console)", () => {
  const admin = () => ({ type: "APPLICATION" as const, id: "00000000-0000-4000-8000-0000000000ab", via: "CONSOLE" as const, assignments: [{ role: "ENVIRONMENT_ADMIN" as const, scopeType: "ENVIRONMENT" as const, scopeId: D, environmentId: D }] });

  it("says in plain words what failed: host unreachable, TLS, bad bind DN or password, base DN not found", async () => {
    const { testGatewayConnection } = await import("@/lib/gateways/test-connection");
    const dead = await closedPort();
    const gw = await createGateway({
      servers: [ldap.server, dead],
      userTypes: [
        { name: "Good", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] },
        { name: "Missing", searchBaseDn: "ou=nowhere,dc=example,dc=com", orderedCorrelationAttributes: ["uid"] },
        { name: "NoBase", orderedCorrelationAttributes: ["uid"] },
      ],
    });
    const report = await testGatewayConnection(admin(), D, gw.id);
    expect(report.ok).toBe(false);
    const by = (title: string) => report.steps.find((s) => s.title.includes(title))!;
    expect(by(ldap.server)).toMatchObject({ ok: true });
    expect(by(dead).message).toMatch(/^Host unreachable: .*refused the connection/);
    expect(by("Good")).toMatchObject({ ok: true, message: expect.stringMatching(/Found an entry/) });
    expect(by("Missing").message).toMatch(/^Base DN not found: .*ou=nowhere/);
    expect(by("NoBase").message).toMatch(/No base DN/);

    await putGateway(gw.id, { ...gw.body, servers: [ldap.server], bindPassword: "wrong-password", userTypes: undefined });
    const bad = await testGatewayConnection(admin(), D, gw.id);
    expect(bad.steps[0]!.message).toMatch(/^Bad bind DN or password/);
    expect(JSON.stringify(bad)).not.toContain("wrong-password");

    const strict = await createGateway({ servers: [tlsLdap.tlsServer], bindDN: tlsLdap.serviceDn, bindPassword: tlsLdap.servicePassword, connectionSecurity: "TLS", validateTlsCertificates: true, userTypes: [] });
    const tlsReport = await testGatewayConnection(admin(), D, strict.id);
    expect(tlsReport.steps[0]!.message).toMatch(/^TLS failed: .*self-signed/);

    const ok = await createGateway({ userTypes: [{ name: "Good", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] }] });
    expect((await testGatewayConnection(admin(), D, ok.id)).ok).toBe(true);

    const reader = { ...admin(), assignments: [{ role: "IDENTITY_DATA_ADMIN" as const, scopeType: "ENVIRONMENT" as const, scopeId: D, environmentId: D }] };
    await expect(testGatewayConnection(reader, D, ok.id)).rejects.toMatchObject({ status: 403 });
  });
});

describe("the demo environment's bootstrap gateway", () => {
  it("has no servers: a check answers 503 saying it is not configured", async () => {
    const id = await importLinked("x", { [refs.correlationAttributes[0]!]: "ada" }, refs.gatewayId, refs.userTypeId);
    const e = expectError(await check(id, "Ada-pass-1"), 503, "SERVICE_UNAVAILABLE");
    expect(e.message).toMatch(/not configured/);
    const rows = await app.passwordRow(id);
    expect(rows?.passwordStatus).toBe("EXTERNAL");
  });
});

afterAll(() => {
  api?.expectNoLeak([ldap?.servicePassword ?? "", tlsLdap?.servicePassword ?? "", ...USERS.map((u) => u.password), "Chg-new-pass-2", "Val-new-pass-2", "Tls-pass-1"]);
});
