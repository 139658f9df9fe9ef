/**
 * Import from where the users are today (issue 13, spec 9) against a real slapd holding a few
 * thousand entries: a directory job pages through it (several branches, one whose userPassword
 * the service account cannot read, entries outside the base, entries that cannot map, unicode
 * and base64 values, multi-valued mail), dry run then import, counts of copied and linked
 * passwords, error rows naming DNs, resume of a job whose reader died, the directory down; then
 * Check Password of copied users with slapd stopped and of linked users with it running; and
 * LDIF files made by slapcat and ldapsearch -L from the same slapd, through the jobs API.
 */
import { execFileSync } from "node:child_process";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/access";
import { listDirectorySources, previewDirectorySource, resumeStalledDirectoryFeeds, settleDirectoryFeeds } from "@/lib/bulk/directory-source";
import { drainImportJobs } from "@/lib/bulk/worker";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client as Http, expectError, uniqueName, type Json } from "./support/http";
import { ldifLine, removeSlapd, ssha, startSlapd, SUFFIX, type Slapd } from "./support/slapd";

const D = FIXED.demoEnvId;
const ORG = `ou=org,${SUFFIX}`;
const ENG = `ou=eng,${ORG}`;
const SALES = `ou=sales,${ORG}`;
const SECRET = `ou=secret,${ORG}`;
const OUTSIDE = `ou=outside,${SUFFIX}`;
const N_ENG = 1500;
const N_SALES = 900;
const N_SECRET = 400;
const N_CLEAR = 50;
const N_NO_UID = 20;
const N_BAD_MAIL = 10;
const N_OUTSIDE = 60;
const pw = (uid: string) => `Pw-${uid}-1x`;

function ou(dn: string, name: string) {
  return `dn: ${dn}\nobjectClass: organizationalUnit\nou: ${name}\n\n`;
}

/** The test directory, as LDIF for slapadd: written here, so its shape is plain to read. */
function seed(): string {
  const out: string[] = [ou(ORG, "org"), ou(ENG, "eng"), ou(SALES, "sales"), ou(SECRET, "secret"), ou(OUTSIDE, "outside")];
  const person = (base: string, uid: string | null, lines: string[]) =>
    [ldifLine("dn", `${uid ? `uid=${uid}` : `cn=${lines.length}-${Math.random().toString(36).slice(2)}`},${base}`), "objectClass: inetOrgPerson", ...(uid ? [ldifLine("uid", uid)] : []), ...lines].join("\n") + "\n\n";
  for (let i = 0; i < N_ENG; i++) {
    const uid = `eng${i}`;
    out.push(person(ENG, uid, ["cn: Eng " + i, "sn: Eng", `mail: ${uid}@example.com`, `userPassword: ${ssha(pw(uid))}`]));
  }
  for (let i = 0; i < N_SALES; i++) {
    const uid = `sales${i}`;
    // Unicode names (base64 in LDIF) and two mails: the first is the user's email.
    out.push(person(SALES, uid, [ldifLine("cn", `Zoë Ünïcode ${i} 名前`), ldifLine("sn", "Ünïcode"), ldifLine("givenName", "Zoë"), `mail: ${uid}@example.com`, `mail: ${uid}.alt@example.org`, `userPassword: ${ssha(pw(uid))}`]));
  }
  for (let i = 0; i < N_SECRET; i++) {
    const uid = `sec${i}`;
    out.push(person(SECRET, uid, [`cn: Sec ${i}`, "sn: Sec", `mail: ${uid}@example.com`, `userPassword: ${ssha(pw(uid))}`]));
  }
  for (let i = 0; i < N_CLEAR; i++) {
    // A cleartext userPassword is no pre-encoded form: linked, never copied.
    const uid = `clear${i}`;
    out.push(person(ENG, uid, [`cn: Clear ${i}`, "sn: Clear", `userPassword: ${pw(uid)}`]));
  }
  for (let i = 0; i < N_NO_UID; i++) out.push(person(ENG, null, [`cn: Nouid ${i}`, "sn: Nouid"]));
  for (let i = 0; i < N_BAD_MAIL; i++) out.push(person(SALES, `badmail${i}`, [`cn: Bad ${i}`, "sn: Bad", "mail: not-an-email"]));
  for (let i = 0; i < N_OUTSIDE; i++) out.push(person(OUTSIDE, `out${i}`, [`cn: Out ${i}`, "sn: Out", `userPassword: ${ssha(pw(`out${i}`))}`]));
  return out.join("");
}

const EXPECTED_ROWS = N_ENG + N_SALES + N_SECRET + N_CLEAR + N_NO_UID + N_BAD_MAIL;

let app: TestApp;
let refs: DemoRefs;
let api: Http;
let ldap: Slapd;
let gatewayId: string;
let userTypeId: string;

const mappings = [
  { name: "username", value: "${ldapAttributes.uid}" },
  { name: "email", value: "${ldapAttributes.mail}" },
  { name: "name.given", value: "${ldapAttributes.givenName}" },
  { name: "name.family", value: "${ldapAttributes.sn}" },
  { name: "name.formatted", value: "${ldapAttributes.cn}" },
];

const jobs = `/environments/${D}/userImportJobs`;
const postJob = (body: unknown) => api.request(jobs, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const source = (over: Record<string, unknown> = {}) => ({ type: "LDAP", gateway: { id: gatewayId }, userType: { id: userTypeId }, ...over });

async function finish(id: string): Promise<Json> {
  await settleDirectoryFeeds();
  await drainImportJobs();
  const res = await api.request(`${jobs}/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function errorsOf(id: string): Promise<Json[]> {
  const res = await api.request(`${jobs}/${id}/errors?limit=10000`);
  expect(res.status, res.text).toBe(200);
  return res.body._embedded.errors as Json[];
}

async function userByName(username: string): Promise<Json> {
  const res = await api.request(`/environments/${D}/users?filter=${encodeURIComponent(`username eq "${username}"`)}`);
  expect(res.status, res.text).toBe(200);
  return res.body._embedded.users[0];
}

const check = (id: string, password: string) =>
  api.request(`/environments/${D}/users/${id}/password`, { method: "POST", headers: { "content-type": "application/vnd.pingidentity.password.check+json" }, body: JSON.stringify({ password }) });

beforeAll(async () => {
  process.env.BULK_DIRECTORY_RETRY_SECONDS = "2";
  // Chunks smaller than the directory, so that a reader can die between two of them.
  process.env.BULK_CHUNK_ROWS = "500";
  ldap = await startSlapd({ ldif: seed(), hiddenPasswords: [SECRET] });
  app = await startTestApp();
  refs = await app.refs();
  api = new Http(app, await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D }]));
  const res = await api.request(`/environments/${D}/gateways`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: uniqueName("Directory"),
      type: "LDAP",
      servers: [ldap.server],
      bindDN: ldap.serviceDn,
      bindPassword: ldap.servicePassword,
      vendor: "OpenDJ Directory",
      userTypes: [
        {
          name: "Org",
          passwordAuthority: "LDAP",
          searchBaseDn: ORG,
          orderedCorrelationAttributes: ["uid", "mail"],
          newUserLookup: { ldapFilterPattern: "(objectClass=inetOrgPerson)", population: { id: refs.defaultPopulationId }, attributeMappings: mappings },
        },
        { name: "NoMapping", passwordAuthority: "LDAP", searchBaseDn: ORG, orderedCorrelationAttributes: ["uid"] },
      ],
    }),
  });
  expect(res.status, res.text).toBe(201);
  gatewayId = res.body.id;
  userTypeId = (res.body.userTypes as Json[]).find((t) => t.name === "Org").id;
}, 120_000);

afterAll(async () => {
  await settleDirectoryFeeds().catch(() => {});
  await app?.close();
  await removeSlapd(ldap);
  delete process.env.BULK_DIRECTORY_RETRY_SECONDS;
  delete process.env.BULK_CHUNK_ROWS;
});

describe("the wizard's directory choice", () => {
  const actor = (role: "ENVIRONMENT_ADMIN" | "IDENTITY_DATA_ADMIN" | "IDENTITY_DATA_READ_ONLY", scope: { type: "ENVIRONMENT" } | { type: "POPULATION"; id: string }): Actor => ({
    type: "USER",
    id: crypto.randomUUID(),
    via: "CONSOLE",
    assignments: [{ role, scopeType: scope.type, scopeId: scope.type === "POPULATION" ? scope.id : D, environmentId: D }],
  });

  it("lists the LDAP gateways' user types, without any connection detail, for whoever may import", async () => {
    const sources = await listDirectorySources(actor("IDENTITY_DATA_ADMIN", { type: "ENVIRONMENT" }), D);
    const ours = sources.find((g) => g.gatewayId === gatewayId)!;
    expect(ours.userTypes.map((t) => [t.name, t.mapsUsername])).toEqual([["NoMapping", false], ["Org", true]]);
    expect(JSON.stringify(sources)).not.toContain(ldap.servicePassword);
    expect(JSON.stringify(sources)).not.toContain(ldap.serviceDn);
    await expect(listDirectorySources(actor("IDENTITY_DATA_READ_ONLY", { type: "ENVIRONMENT" }), D)).rejects.toMatchObject({ status: 403 });
  });

  it("previews the first entries from the directory, mapped, without a hash, and writes nothing", async () => {
    const before = await app.countUsers(D);
    const entries = await previewDirectorySource(actor("IDENTITY_DATA_ADMIN", { type: "POPULATION", id: refs.defaultPopulationId }), D, { gatewayId, userTypeId }, 5);
    expect(entries).toHaveLength(5);
    for (const e of entries) {
      expect(e.dn.endsWith(ORG)).toBe(true);
      expect(e.user).not.toHaveProperty("password");
      expect(["copied", "linked", "none"]).toContain(e.password);
    }
    expect(entries[0]!.user).toMatchObject({ username: "eng0", email: "eng0@example.com", population: { id: refs.defaultPopulationId } });
    expect(entries[0]!.password).toBe("copied");
    expect(JSON.stringify(entries)).not.toMatch(/SSHA/);
    const secret = await previewDirectorySource(actor("ENVIRONMENT_ADMIN", { type: "ENVIRONMENT" }), D, { gatewayId, userTypeId, filter: "(uid=sec1)" });
    expect(secret.map((e) => [e.user.username, e.password])).toEqual([["sec1", "linked"]]);
    expect(await app.countUsers(D)).toBe(before);
    // Someone who may import into another population only does not read this one's directory.
    await expect(previewDirectorySource(actor("IDENTITY_DATA_ADMIN", { type: "POPULATION", id: refs.contractorsPopulationId }), D, { gatewayId, userTypeId })).rejects.toMatchObject({ status: 403 });
  });
});

describe("a directory job (spec 9.1)", () => {
  let dryRunId: string;

  it("refuses a bad source with a 400 naming the field, and needs a user type that maps username", async () => {
    expectError(await postJob({ source: { type: "LDAP", gateway: { id: gatewayId } } }), 400, "INVALID_DATA");
    const badFilter = await postJob({ source: source({ filter: "(uid=" }) });
    expectError(badFilter, 400, "INVALID_DATA");
    expect(badFilter.body.details[0].target).toBe("source.filter");
    const other = await postJob({ source: source({ userType: { id: "00000000-0000-4000-8000-000000000000" } }) });
    expectError(other, 400, "INVALID_DATA");
    expect(other.body.details[0].target).toBe("source.userType.id");
    const noMapping = (await api.request(`/environments/${D}/gateways/${gatewayId}`)).body.userTypes.find((t: Json) => t.name === "NoMapping").id;
    const unmapped = await postJob({ source: source({ userType: { id: noMapping } }) });
    expectError(unmapped, 400, "INVALID_DATA");
    expect(unmapped.body.details[0].message).toMatch(/username/);
  });

  it("a dry run pages through every branch under the base and writes no user", async () => {
    const res = await postJob({ source: source(), dryRun: true });
    expect(res.status, res.text).toBe(202);
    expect(res.body.source).toEqual({ type: "LDAP", gateway: { id: gatewayId }, userType: { id: userTypeId }, filter: "(objectClass=person)" });
    dryRunId = res.body.id;
    const job = await finish(dryRunId);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts.total).toBe(EXPECTED_ROWS);
    expect(job.counts.created).toBe(N_ENG + N_SALES + N_SECRET + N_CLEAR);
    expect(job.counts.failed).toBe(N_NO_UID + N_BAD_MAIL);
    expect(job.counts.passwordsCopied).toBe(N_ENG + N_SALES);
    expect(job.counts.linked).toBe(N_SECRET + N_CLEAR);
    expect(await userByName("eng0")).toBeUndefined();
  }, 120_000);

  it("imports: hashes copied where readable, the rest linked, unmappable entries are error rows naming their DN", async () => {
    const res = await postJob({ source: source() });
    expect(res.status, res.text).toBe(202);
    const job = await finish(res.body.id);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts).toMatchObject({ total: EXPECTED_ROWS, created: N_ENG + N_SALES + N_SECRET + N_CLEAR, failed: N_NO_UID + N_BAD_MAIL, passwordsCopied: N_ENG + N_SALES, linked: N_SECRET + N_CLEAR });
    expect(job.progress.percent).toBe(100);

    const errors = await errorsOf(res.body.id);
    expect(errors).toHaveLength(N_NO_UID + N_BAD_MAIL);
    const noUid = errors.filter((e) => e.target === "username");
    expect(noUid).toHaveLength(N_NO_UID);
    for (const e of noUid) expect(e.message).toMatch(new RegExp(`\\(DN: cn=[^,]+,${ENG}\\)$`));
    const badMail = errors.filter((e) => e.target === "email");
    expect(badMail).toHaveLength(N_BAD_MAIL);
    expect(badMail[0].message).toMatch(new RegExp(`DN: uid=badmail\\d+,${SALES}`));

    const eng = await userByName("eng7");
    expect(eng.email).toBe("eng7@example.com");
    expect(eng.population.id).toBe(refs.defaultPopulationId);
    const sales = await userByName("sales3");
    expect(sales.name).toMatchObject({ given: "Zoë", family: "Ünïcode", formatted: "Zoë Ünïcode 3 名前" });
    expect(sales.email).toBe("sales3@example.com");
    expect(await userByName("out1")).toBeUndefined();
    const sec = await userByName("sec5");
    const { getDb } = await import("@/db");
    const { users } = await import("@/db/schema");
    const stored = async (id: string) => (await (await getDb()).select({ status: users.passwordStatus, hash: users.passwordHash, link: users.externalPassword }).from(users).where(eq(users.id, id)))[0]!;
    const copiedRow = await stored(eng.id);
    expect(copiedRow.status).toBe("OK");
    expect(copiedRow.hash).toMatch(/^\{SSHA\}/);
    expect(copiedRow.link).toBeNull();
    const linkedRow = await stored(sec.id);
    expect(linkedRow.status).toBe("EXTERNAL");
    expect(linkedRow.hash).toBeNull();
    expect(linkedRow.link).toEqual({ gatewayId, userTypeId, correlationAttributes: { uid: "sec5", mail: "sec5@example.com" } });
    // No hash ever leaves the server.
    expect(JSON.stringify([eng, sales, sec, job, errors])).not.toMatch(/\{SSHA\}/);
  }, 180_000);

  it("a second run with onConflict skip skips everyone it imported", async () => {
    const res = await postJob({ source: source({ filter: "(uid=eng1*)" }), onConflict: "skip" });
    expect(res.status, res.text).toBe(202);
    const job = await finish(res.body.id);
    expect(job.counts.created).toBe(0);
    expect(job.counts.skipped).toBe(job.counts.total);
    expect(job.counts.total).toBeGreaterThan(100);
  }, 60_000);

  it("a job whose reader died is taken over from its stored position: no entry twice, none left out", async () => {
    const { getDb, rows } = await import("@/db");
    const db = await getDb();
    // As the dry run's reader would have left it after its first three chunks, had its process died there.
    const [{ chunks }] = rows<{ chunks: number }>(await db.execute(sql`select count(*)::int as chunks from user_import_chunks where job_id = ${dryRunId}::uuid`)) as [{ chunks: number }];
    expect(chunks).toBeGreaterThan(3);
    const id = crypto.randomUUID();
    await db.execute(sql`insert into user_import_jobs (id, environment_id, actor_type, actor_id, format, source, dry_run, on_conflict, default_population_id, status, total_rows, chunks_total, started_at, updated_at)
      select ${id}::uuid, environment_id, actor_type, actor_id, format, source, true, on_conflict, default_population_id, 'UPLOADING',
        (select sum(row_count) from user_import_chunks where job_id = ${dryRunId}::uuid and seq < 3), 3, now(), now() - interval '1 hour'
      from user_import_jobs where id = ${dryRunId}::uuid`);
    await db.execute(sql`insert into user_import_chunks (job_id, seq, row_count, data) select ${id}::uuid, seq, row_count, data from user_import_chunks where job_id = ${dryRunId}::uuid and seq < 3`);
    expect(await resumeStalledDirectoryFeeds()).toBe(1);
    const job = await finish(id);
    expect(job.status).toBe("COMPLETED");
    // A dry run now: every imported user is taken, so each row is a conflict, counted once.
    expect(job.counts.total).toBe(EXPECTED_ROWS);
    expect(job.counts.processed).toBe(EXPECTED_ROWS);
    const errors = await errorsOf(id);
    expect(errors.filter((e) => /already on row/.test(e.message))).toEqual([]);
    expect(new Set(errors.map((e) => e.row)).size).toBe(errors.length);
  }, 120_000);

  it("the directory down: 503 with Retry-After when the job is asked for; a job whose directory stays down fails, one whose directory comes back completes", async () => {
    await ldap.stop();
    try {
      const res = await postJob({ source: source(), dryRun: true });
      expectError(res, 503, "SERVICE_UNAVAILABLE");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(res.text).not.toContain(ldap.servicePassword);

      const { getDb } = await import("@/db");
      const db = await getDb();
      const stalled = async () => {
        const id = crypto.randomUUID();
        await db.execute(sql`insert into user_import_jobs (id, environment_id, actor_type, actor_id, format, source, dry_run, on_conflict, status, started_at, updated_at)
          select ${id}::uuid, environment_id, actor_type, actor_id, format, source, true, 'skip', 'UPLOADING', now(), now() - interval '1 hour'
          from user_import_jobs where id = ${dryRunId}::uuid`);
        return id;
      };
      const down = await stalled();
      await resumeStalledDirectoryFeeds();
      const failed = await finish(down);
      expect(failed.status).toBe("FAILED");
      expect(failed.failure.code).toBe("SERVICE_UNAVAILABLE");
      expect(failed.failure.message).toMatch(/unavailable/);

      process.env.BULK_DIRECTORY_RETRY_SECONDS = "30";
      const back = await stalled();
      await resumeStalledDirectoryFeeds();
      await new Promise((r) => setTimeout(r, 1500));
      await ldap.start();
      const job = await finish(back);
      expect(job.status).toBe("COMPLETED");
      expect(job.counts.total).toBe(EXPECTED_ROWS);
    } finally {
      process.env.BULK_DIRECTORY_RETRY_SECONDS = "2";
      if (!ldap.pid()) await ldap.start();
    }
  }, 120_000);

  it("cancel stops the reading", async () => {
    const res = await postJob({ source: source(), dryRun: true });
    expect(res.status).toBe(202);
    const canceled = await api.request(`${jobs}/${res.body.id}/cancel`, { method: "POST" });
    expect(canceled.status, canceled.text).toBe(200);
    const job = await finish(res.body.id);
    expect(job.status).toBe("CANCELED");
    expect(job.counts.total).toBeLessThan(EXPECTED_ROWS);
  });

  it("Check Password: copied users pass with the directory stopped; linked users are checked against it", async () => {
    const copied = await userByName("eng11");
    const unicode = await userByName("sales12");
    const linked = await userByName("sec13");
    const clear = await userByName("clear4");
    await ldap.stop();
    try {
      expect((await check(copied.id, pw("eng11"))).status).toBe(200);
      expect((await check(unicode.id, pw("sales12"))).status).toBe(200);
      expectError(await check(copied.id, "wrong-password"), 400, "INVALID_DATA");
      expectError(await check(linked.id, pw("sec13")), 503, "SERVICE_UNAVAILABLE");
    } finally {
      await ldap.start();
    }
    expect((await check(linked.id, pw("sec13"))).status).toBe(200);
    expect((await check(clear.id, pw("clear4"))).status).toBe(200);
    expectError(await check(linked.id, "wrong-password"), 400, "INVALID_DATA");
  }, 60_000);
});

describe("LDIF files from the same directory (spec 9.2)", () => {
  const upload = (body: string, query: string, type = "text/ldif") =>
    api.request(`${jobs}?${query}`, { method: "POST", headers: { "content-type": type }, body });

  it("slapcat's file, mapped by the user type: people only, hashes copied or linked as in the directory job", async () => {
    const text = ldap.slapcat();
    expect(text).toMatch(/^dn: /m);
    const res = await upload(text, `dryRun=true&userTypeId=${userTypeId}`);
    expect(res.status, res.text).toBe(202);
    expect(res.body.format).toBe("ldif");
    expect(res.body.source).toMatchObject({ type: "LDIF", userType: { id: userTypeId } });
    const job = await finish(res.body.id);
    expect(job.status).toBe("COMPLETED");
    // slapcat holds everything, passwords of ou=secret included (it reads the database, not LDAP):
    // the people under ou=org and ou=outside, and the policy entry (a person without uid).
    expect(job.counts.total).toBe(EXPECTED_ROWS + N_OUTSIDE + 1);
    expect(job.counts.passwordsCopied).toBe(N_OUTSIDE);
    const errors = await errorsOf(res.body.id);
    expect(errors.filter((e) => e.target === "username").some((e) => /DN: cn=default,ou=policies/.test(e.message))).toBe(true);
  }, 120_000);

  it("ldapsearch -L as the service account, with the default mapping and with a changetype other than add", async () => {
    const text = execFileSync("ldapsearch", ["-L", "-x", "-H", `ldap://${ldap.server}`, "-D", ldap.serviceDn, "-w", ldap.servicePassword, "-b", ORG, "-E", "pr=500/noprompt", "(objectClass=person)"], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(text).toMatch(/^version: 1$/m);
    expect(text).toMatch(/^cn:: /m);
    const modify = "\ndn: uid=changed,ou=eng,ou=org,dc=example,dc=com\nchangetype: modify\nreplace: mail\nmail: x@example.com\n-\n";
    const res = await upload(text + modify, "dryRun=true&onConflict=skip", "application/ldif");
    expect(res.status, res.text).toBe(202);
    const job = await finish(res.body.id);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts.total).toBe(EXPECTED_ROWS + 1);
    expect(job.counts.skipped).toBe(N_ENG + N_SALES + N_SECRET + N_CLEAR);
    const errors = await errorsOf(res.body.id);
    const changetype = errors.find((e) => /changetype/.test(e.message));
    expect(changetype.message).toMatch(/DN: uid=changed,ou=eng/);
  }, 120_000);

  it("a new user from an LDIF file with a base64 userPassword keeps it", async () => {
    const hash = ssha("Ldif-pass-1");
    const name = uniqueName("ldif").toLowerCase();
    const text = `version: 1\n# made by hand\ndn: uid=${name},ou=eng,ou=org,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: ${name}\ncn:: ${Buffer.from("Jörg Fold").toString("base64")}\nsn: Fold\nmail: ${name}@exa\n mple.com\nuserPassword:: ${Buffer.from(hash).toString("base64")}\n`;
    const res = await upload(text, "");
    expect(res.status, res.text).toBe(202);
    const job = await finish(res.body.id);
    expect(job.counts).toMatchObject({ created: 1, passwordsCopied: 1, failed: 0 });
    const user = await userByName(name);
    expect(user.email).toBe(`${name}@example.com`);
    expect(user.name.formatted).toBe("Jörg Fold");
    expect((await check(user.id, "Ldif-pass-1")).status).toBe(200);
  });
});


