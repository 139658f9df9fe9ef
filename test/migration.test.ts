/**
 * The migration cockpit's API (issue 16): GET /environments/{envID}/migration counts users by
 * password state from the one aggregate, per-day upgrades and gateway migrations from the audit
 * events, import jobs, and who is left; GET .../migration/remainingUsers exports those as CSV.
 * Users arrive through the real import API and a real bulk job, passwords are checked through
 * Check Password (a legacy hash upgraded, a gateway user migrated through a real slapd), and
 * every figure is compared with what those calls did. Scope and roles as for reading users.
 */
import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainImportJobs } from "@/lib/bulk/worker";
import { migrationSchema } from "@/lib/openapi/resources";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName } from "./support/http";
import { PEOPLE, removeSlapd, startSlapd, type Slapd } from "./support/slapd";
import { ssha } from "./support/ssha";

type Vector = { form: string; encoded: string; password: string };
const vectors = (JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../shared/vectors/passwords.json"), "utf8")) as { vectors: Vector[] }).vectors;
const vector = (form: string) => vectors.find((v) => v.form === form)!;

const D = FIXED.demoEnvId;
const CHECK = "application/vnd.pingidentity.password.check+json";
const SET_GATEWAY = "application/vnd.pingidentity.password.setGateway+json";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
let ldap: Slapd;
let gatewayId: string;
const types: Record<string, string> = {};
const secrets = new Set<string>([FIXED.workerSecret]);

type Overview = {
  users: {
    total: number;
    current: number;
    legacy: { scheme: string; count: number }[];
    external: { gateway: { id: string; name: string | null }; userType: { id: string; name: string | null }; count: number; neverChecked: number }[];
    noPassword: number;
    mustChange: number;
  };
  migrations: { upgraded: number; migrated: number; days: { day: string; upgraded: number; migrated: number }[] };
  importJobs: { id: string; status: string; created: number; failed: number; totalRows: number; _links: { self: { href: string } } }[];
  remaining: { neverChecked: number };
};

async function overview(c: Client = api, query = ""): Promise<Overview> {
  const res = await c.get(`/environments/${D}/migration${query}`);
  expect(res.status, res.text).toBe(200);
  // Every answer as the OpenAPI document describes it.
  const parsed = migrationSchema.safeParse(res.body);
  expect(parsed.success, parsed.error?.message).toBe(true);
  return res.body as Overview;
}

const legacy = (o: Overview, scheme: string) => o.users.legacy.find((l) => l.scheme === scheme)?.count ?? 0;
const external = (o: Overview, typeId: string) => o.users.external.find((e) => e.gateway.id === gatewayId && e.userType.id === typeId);
const today = () => new Date().toISOString().slice(0, 10);
const todayOf = (o: Overview) => o.migrations.days.find((d) => d.day === today())!;

async function importUser(over: Record<string, unknown>, populationId = refs.defaultPopulationId): Promise<string> {
  const res = await api.postUser({ username: uniqueName("mig"), population: { id: populationId }, ...over });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

const check = (c: Client, userId: string, password: string) =>
  c.request(`/environments/${D}/users/${userId}/password`, { method: "POST", headers: { "content-type": CHECK }, body: JSON.stringify({ password }) });

async function csv(c: Client = api): Promise<{ status: number; lines: string[]; type: string | null }> {
  const res = await c.get(`/environments/${D}/migration/remainingUsers`);
  return { status: res.status, lines: res.text.trimEnd().split("\r\n"), type: res.headers.get("content-type") };
}

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  refs = await app.refs();
  ldap = await startSlapd({
    users: [
      { uid: "mig-ping", password: "Mig-ping-pass-1" },
      { uid: "mig-ldap", password: "Mig-ldap-pass-1" },
    ],
  });
  secrets.add(ldap.servicePassword).add("Mig-ping-pass-1").add("Mig-ldap-pass-1");
  const res = await api.request(`/environments/${D}/gateways`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: uniqueName("Cockpit LDAP"),
      type: "LDAP",
      servers: [ldap.server],
      bindDN: ldap.serviceDn,
      bindPassword: ldap.servicePassword,
      userTypes: [
        { name: "Migrate", passwordAuthority: "PING_ONE", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] },
        { name: "Directory", passwordAuthority: "LDAP", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] },
      ],
    }),
  });
  expect(res.status, res.text).toBe(201);
  gatewayId = res.body.id;
  for (const t of res.body.userTypes as { id: string; name: string }[]) types[t.name] = t.id;
});
afterAll(async () => {
  api?.expectNoLeak(secrets);
  await removeSlapd(ldap);
  await app?.close();
});

describe("GET /environments/{envID}/migration", () => {
  it("counts users by password state after imports of several families, a bulk job and a must-change", async () => {
    const before = await overview();
    const sshaValue = ssha("Ssha-pass-1");
    const families = [vector("$2b$"), vector("pbkdf2_sha256$"), vector("{SSHA512}"), vector("$6$")];
    for (const v of [...families, { encoded: sshaValue, password: "Ssha-pass-1" }]) secrets.add(v.encoded).add(v.password);

    await importUser({ password: { value: sshaValue } });
    await importUser({ password: { value: sshaValue } });
    for (const v of families) await importUser({ password: { value: v.encoded } });
    await importUser({ password: { value: "Cleartext-pass-1" } });
    await importUser({ password: { value: "Cleartext-pass-2", forceChange: true } });
    await importUser({});
    // A bulk job: a phpass row, a row without a password and a bad one.
    const phpass = "$P$6/eDJ5GDjUhN7IPhYQQB.3VHrAqoTy1";
    secrets.add(phpass);
    const body = `username,email,password\n${uniqueName("bulk")},b1@example.com,${phpass}\n${uniqueName("bulk")},not-an-email,\n${uniqueName("bulk")},b3@example.com,\n`;
    const job = await app.fetch(`/environments/${D}/userImportJobs`, { method: "POST", headers: { authorization: `Bearer ${await app.token()}`, "content-type": "text/csv" }, body });
    expect(job.status).toBe(202);
    const jobId = ((await job.json()) as { id: string }).id;
    await drainImportJobs();

    const after = await overview();
    expect(after.users.total - before.users.total).toBe(11);
    expect(legacy(after, "SSHA") - legacy(before, "SSHA")).toBe(2);
    expect(legacy(after, "BCRYPT") - legacy(before, "BCRYPT")).toBe(1);
    expect(legacy(after, "DJANGO-PBKDF2-SHA256") - legacy(before, "DJANGO-PBKDF2-SHA256")).toBe(1);
    expect(legacy(after, "SSHA512") - legacy(before, "SSHA512")).toBe(1);
    expect(legacy(after, "SHA512-CRYPT") - legacy(before, "SHA512-CRYPT")).toBe(1);
    expect(legacy(after, "PHPASS") - legacy(before, "PHPASS")).toBe(1);
    expect(after.users.current - before.users.current).toBe(2);
    expect(after.users.mustChange - before.users.mustChange).toBe(1);
    expect(after.users.noPassword - before.users.noPassword).toBe(2);
    expect(after.remaining.neverChecked - before.remaining.neverChecked).toBe(11);
    // The parts add up to the whole (must-change overlaps the hashed states).
    const parts = after.users.current + after.users.noPassword + after.users.legacy.reduce((a, l) => a + l.count, 0) + after.users.external.reduce((a, e) => a + e.count, 0);
    expect(parts).toBe(after.users.total);

    const listed = after.importJobs.find((j) => j.id === jobId)!;
    expect(listed).toMatchObject({ status: "COMPLETED", totalRows: 3, created: 2, failed: 1 });
    expect(listed._links.self.href).toMatch(new RegExp(`/environments/${D}/userImportJobs/${jobId}$`));
    // A day per day of the window, today last, nothing migrated yet.
    expect(after.migrations.days).toHaveLength(30);
    expect(after.migrations.days.at(-1)!.day).toBe(today());
  });

  it("a check that upgrades a legacy hash moves the user to argon2id and counts an upgrade today; a check of argon2id only marks the user checked", async () => {
    const v = vector("{SSHA256}");
    secrets.add(v.encoded).add(v.password);
    const id = await importUser({ password: { value: v.encoded } });
    const clear = await importUser({ password: { value: "Checked-pass-9" } });
    const before = await overview();

    expect((await check(api, id, v.password + "x")).status).toBe(400);
    const unchanged = await overview();
    expect(legacy(unchanged, "SSHA256")).toBe(legacy(before, "SSHA256"));
    expect(unchanged.remaining.neverChecked).toBe(before.remaining.neverChecked);

    expect((await check(api, id, v.password)).status).toBe(200);
    expect((await check(api, clear, "Checked-pass-9")).status).toBe(200);
    const after = await overview();
    expect(legacy(before, "SSHA256") - legacy(after, "SSHA256")).toBe(1);
    expect(after.users.current - before.users.current).toBe(1);
    expect(todayOf(after).upgraded - todayOf(before).upgraded).toBe(1);
    expect(after.migrations.upgraded - before.migrations.upgraded).toBe(1);
    expect(before.remaining.neverChecked - after.remaining.neverChecked).toBe(2);

    // A second check writes nothing new.
    expect((await check(api, id, v.password)).status).toBe(200);
    const again = await overview();
    expect(again.migrations.upgraded).toBe(after.migrations.upgraded);
    expect(again.remaining.neverChecked).toBe(after.remaining.neverChecked);
  });

  it("counts gateway-linked users by gateway and user type; a PING_ONE check migrates one, an LDAP check only marks it checked", async () => {
    const before = await overview();
    const linked = await importUser({ password: { external: { gateway: { id: gatewayId, userType: { id: types.Migrate }, correlationAttributes: { uid: "mig-ping" } } } } });
    // An existing user with a legacy hash, linked afterwards (setGateway): the local hash goes.
    const sshaValue = ssha("Old-local-pass-1");
    secrets.add(sshaValue);
    const later = await importUser({ password: { value: sshaValue } });
    const link = await api.request(`/environments/${D}/users/${later}/password`, {
      method: "PUT",
      headers: { "content-type": SET_GATEWAY },
      body: JSON.stringify({ id: gatewayId, userType: { id: types.Directory }, correlationAttributes: { uid: "mig-ldap" } }),
    });
    expect(link.status, link.text).toBe(200);

    const mid = await overview();
    expect(external(mid, types.Migrate!)).toMatchObject({ count: (external(before, types.Migrate!)?.count ?? 0) + 1, userType: { name: "Migrate" } });
    expect(external(mid, types.Directory!)).toMatchObject({ count: (external(before, types.Directory!)?.count ?? 0) + 1, userType: { name: "Directory" } });
    expect(external(mid, types.Directory!)!.gateway.name).toMatch(/^Cockpit LDAP/);
    expect(legacy(mid, "SSHA")).toBe(legacy(before, "SSHA"));

    expect((await check(api, linked, "Mig-ping-pass-1")).status).toBe(200);
    expect((await check(api, later, "Mig-ldap-pass-1")).status).toBe(200);
    const after = await overview();
    expect(external(after, types.Migrate!)?.count ?? 0).toBe((external(mid, types.Migrate!)?.count ?? 0) - 1);
    expect(external(after, types.Directory!)).toMatchObject({ count: external(mid, types.Directory!)!.count, neverChecked: external(mid, types.Directory!)!.neverChecked - 1 });
    expect(after.users.current - mid.users.current).toBe(1);
    expect(todayOf(after).migrated - todayOf(mid).migrated).toBe(1);
    expect(mid.remaining.neverChecked - after.remaining.neverChecked).toBe(2);
  });

  it("shows a population-scoped reader only its populations, and only its own jobs", async () => {
    const v = vector("{SSHA384}");
    secrets.add(v.encoded).add(v.password);
    const reader = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
    const before = await overview(reader);
    const everything = await overview();
    expect(before.users.total).toBeLessThan(everything.users.total);
    expect(before.importJobs).toEqual([]);

    const inside = await importUser({ password: { value: v.encoded } }, refs.contractorsPopulationId);
    await importUser({ password: { value: v.encoded } });
    const mid = await overview(reader);
    expect(mid.users.total - before.users.total).toBe(1);
    expect(legacy(mid, "SSHA384") - legacy(before, "SSHA384")).toBe(1);
    expect(mid.remaining.neverChecked - before.remaining.neverChecked).toBe(1);

    // Upgrades outside its populations are not its business; inside they are.
    const outside = await importUser({ password: { value: v.encoded } });
    expect((await check(api, outside, v.password)).status).toBe(200);
    expect((await overview(reader)).migrations.upgraded).toBe(mid.migrations.upgraded);
    expect((await check(api, inside, v.password)).status).toBe(200);
    expect((await overview(reader)).migrations.upgraded).toBe(mid.migrations.upgraded + 1);
  });

  it("is open to Identity Data Read Only and up, 403 without a role in the environment, 401 without a token, 400 for a bad days", async () => {
    for (const role of ["IDENTITY_DATA_READ_ONLY", "IDENTITY_DATA_ADMIN", "ENVIRONMENT_ADMIN"] as const) {
      const c = api.withToken(await app.tokenFor([{ role, scope: "ENVIRONMENT", environmentId: D }]));
      expect((await c.get(`/environments/${D}/migration`)).status).toBe(200);
    }
    const elsewhere = api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: FIXED.adminEnvId }]));
    expectError(await elsewhere.get(`/environments/${D}/migration`), 403, "ACCESS_FAILED");
    expectError(await elsewhere.get(`/environments/${D}/migration/remainingUsers`), 403, "ACCESS_FAILED");
    expect((await api.withToken(undefined).get(`/environments/${D}/migration`)).status).toBe(401);
    expectInvalidData(await api.get(`/environments/${D}/migration?days=0`), [["INVALID_VALUE", "days"]]);
    expectInvalidData(await api.get(`/environments/${D}/migration?days=abc`), [["INVALID_VALUE", "days"]]);
    const week = await overview(api, "?days=7");
    expect(week.migrations.days).toHaveLength(7);
    expect((await api.request(`/environments/${D}/migration`, { method: "POST" })).status).toBe(405);
    expect((await api.get(`/v1/environments/${D}/migration`)).status).toBe(200);
  });
});

describe("GET /environments/{envID}/migration/remainingUsers", () => {
  it("streams the never-checked users as CSV, formula cells escaped, checked users left out, scoped to the reader's populations", async () => {
    const formula = await importUser({ username: `=cmd${Date.now()}`, email: "f@example.com" });
    const clear = await importUser({ password: { value: "Csv-pass-1" } });
    const scoped = await importUser({}, refs.contractorsPopulationId);
    const all = await csv();
    expect(all.status).toBe(200);
    expect(all.type).toMatch(/^text\/csv/);
    expect(all.lines[0]).toBe("id,username,email,populationId,populationName,passwordStatus,passwordScheme,createdAt");
    const o = await overview();
    expect(all.lines).toHaveLength(o.remaining.neverChecked + 1);
    expect(all.lines.find((l) => l.startsWith(formula))).toMatch(new RegExp(`^${formula},'=cmd\\d+,f@example.com,`));
    const clearLine = all.lines.find((l) => l.startsWith(clear))!;
    expect(clearLine.split(",").slice(5, 7)).toEqual(["OK", "ARGON2ID"]);

    expect((await check(api, clear, "Csv-pass-1")).status).toBe(200);
    const after = await csv();
    expect(after.lines.some((l) => l.startsWith(clear))).toBe(false);
    expect(after.lines).toHaveLength(all.lines.length - 1);

    const reader = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
    const mine = await csv(reader);
    expect(mine.lines.some((l) => l.startsWith(scoped))).toBe(true);
    expect(mine.lines.slice(1).every((l) => l.split(",")[3] === refs.contractorsPopulationId)).toBe(true);
    expect(mine.lines).toHaveLength((await overview(reader)).remaining.neverChecked + 1);
  });
});

describe("password_scheme backfill", () => {
  it("classifies rows stored before the column existed with the one classifier, and leaves others alone", async () => {
    const { getDb } = await import("@/db");
    const { users } = await import("@/db/schema");
    const { backfillPasswordSchemes } = await import("@/lib/migration");
    const db = await getDb();
    const v = vector("{SMD5}");
    secrets.add(v.encoded);
    const id = await importUser({ password: { value: v.encoded } });
    const before = await overview();
    await db.execute(sql`update users set password_scheme = null where environment_id = ${D} and password_hash is not null`);
    const cleared = await overview();
    expect(legacy(cleared, "SMD5")).toBe(0);
    expect(await backfillPasswordSchemes(db, 3)).toBeGreaterThan(3);
    const [row] = await db.select({ scheme: users.passwordScheme }).from(users).where(eq(users.id, id));
    expect(row?.scheme).toBe("SMD5");
    expect((await overview()).users).toEqual(before.users);
    expect(await backfillPasswordSchemes(db)).toBe(0);
  });
});
