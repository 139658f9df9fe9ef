/**
 * A directory job (issue 13, spec 9.1) on two production servers over one PostgreSQL database,
 * reading a real slapd: both servers work the job's chunks, and when the server reading the
 * directory is killed (SIGKILL) mid-read, the other takes the reading over from its stored
 * position once the lease has run out: every entry imported once, none twice, none left out.
 * PostgreSQL only: an embedded PGlite folder belongs to one process.
 */
import fs from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import argon2 from "argon2";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, testDriver, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { ldifLine, removeSlapd, ssha, startSlapd, SUFFIX, type Slapd } from "./support/slapd";
import { tokenFrom } from "./support/tokens";

const driver = testDriver();
const SMALL_BASE = `ou=small,${SUFFIX}`;
const BIG_BASE = `ou=big,${SUFFIX}`;
const SMALL = 1500;
const BIG = 15000;
const MID_BASE = `ou=mid,${SUFFIX}`;
const MID = 8000;

function branch(base: string, name: string, prefix: string, n: number): string {
  const out = [`dn: ${base}\nobjectClass: organizationalUnit\nou: ${name}\n\n`];
  const hash = ssha("Same-pass-1");
  for (let i = 0; i < n; i++) {
    const uid = `${prefix}${i}`;
    out.push([ldifLine("dn", `uid=${uid},${base}`), "objectClass: inetOrgPerson", ldifLine("uid", uid), ldifLine("cn", `P ${i}`), ldifLine("sn", "P"), ldifLine("mail", `${uid}@example.com`), ldifLine("userPassword", hash)].join("\n") + "\n\n");
  }
  return out.join("");
}

type Job = { id: string; status: string; counts: Record<string, number> };

describe.skipIf(driver !== "postgres")("a directory job on two servers", () => {
  let db: FreshDb;
  let sql: postgres.Sql;
  let a: RunningServer;
  let b: RunningServer;
  let ldap: Slapd;
  let token: string;
  let gatewayId: string;
  const types: Record<string, string> = {};
  const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: "dir-" + randomBytes(12).toString("hex") };

  beforeAll(async () => {
    if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
    ldap = await startSlapd({ ldif: branch(SMALL_BASE, "small", "s", SMALL) + branch(BIG_BASE, "big", "b", BIG) + branch(MID_BASE, "mid", "m", MID) });
    db = await freshDatabase({ prefix: "dirscale" });
    sql = db.sql!;
    const env = {
      ...db.env,
      WEB_CONCURRENCY: "1",
      LOG_LEVEL: "silent",
      BULK_CHUNK_ROWS: "50",
      BULK_BATCH_PAUSE_MS: "20",
      BULK_LEASE_SECONDS: "3",
      ADMIN_ENV_ID: ids.admin,
      DEMO_ENV_ID: ids.demo,
      WORKER_CLIENT_ID: ids.worker,
      WORKER_CLIENT_SECRET: ids.secret,
      ADMIN_PASSWORD: randomBytes(16).toString("base64url"),
    };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    token = await tokenFrom(a.url, ids.admin, ids.worker, ids.secret);
    // An Environment Admin application for the gateway (the first-start worker is Identity Data Admin).
    const adminApp = { id: randomUUID(), secret: randomBytes(24).toString("base64url") };
    await sql`insert into applications (id, environment_id, name, secret_hash) values (${adminApp.id}, ${ids.admin}, 'directory admin', ${await argon2.hash(adminApp.secret, { type: argon2.argon2id })})`;
    await sql`insert into role_assignments (id, role, application_id, scope_type, scope_id, scope_environment_id) values (${randomUUID()}, 'ENVIRONMENT_ADMIN', ${adminApp.id}, 'ENVIRONMENT', ${ids.demo}, ${ids.demo})`;
    const adminToken = await tokenFrom(a.url, ids.admin, adminApp.id, adminApp.secret);
    const pops = (await (await fetch(`${b.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } })).json()) as { _embedded: { populations: { id: string; default: boolean }[] } };
    const populationId = pops._embedded.populations.find((p) => p.default)!.id;
    const attributeMappings = [
      { name: "username", value: "${ldapAttributes.uid}" },
      { name: "email", value: "${ldapAttributes.mail}" },
    ];
    const userType = (name: string, searchBaseDn: string) => ({ name, passwordAuthority: "LDAP", searchBaseDn, orderedCorrelationAttributes: ["uid"], newUserLookup: { ldapFilterPattern: "(objectClass=person)", population: { id: populationId }, attributeMappings } });
    const res = await fetch(`${a.url}/environments/${ids.demo}/gateways`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Directory", type: "LDAP", servers: [ldap.server], bindDN: ldap.serviceDn, bindPassword: ldap.servicePassword, userTypes: [userType("Small", SMALL_BASE), userType("Big", BIG_BASE), userType("Mid", MID_BASE)] }),
    });
    const gw = (await res.json()) as { id: string; userTypes: { id: string; name: string }[] };
    expect(res.status, JSON.stringify(gw)).toBe(201);
    gatewayId = gw.id;
    for (const t of gw.userTypes) types[t.name] = t.id;
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await removeSlapd(ldap);
  });

  const start = (server: RunningServer, userType: string) =>
    fetch(`${server.url}/environments/${ids.demo}/userImportJobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ source: { type: "LDAP", gateway: { id: gatewayId }, userType: { id: types[userType] } } }),
    });

  async function until(server: RunningServer, id: string, seconds: number): Promise<Job> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const res = await fetch(`${server.url}/environments/${ids.demo}/userImportJobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
      const job = (await res.json()) as Job;
      if (!["UPLOADING", "QUEUED", "RUNNING"].includes(job.status) || Date.now() > deadline) return job;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("is worked by both servers, every entry imported once with its hash", async () => {
    const res = await start(a, "Small");
    expect(res.status).toBe(202);
    const job = await until(b, ((await res.json()) as Job).id, 120);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts).toMatchObject({ total: SMALL, created: SMALL, failed: 0, passwordsCopied: SMALL, linked: 0 });
    const owners = await sql<{ owner: string }[]>`select distinct lease_owner as owner from user_import_chunks where job_id = ${job.id}`;
    expect(new Set(owners.map((o) => Number(o.owner.split("-")[0])))).toEqual(new Set([a.child.pid, b.child.pid]));
  }, 180_000);

  it("survives the death of the server reading the directory: the other takes over from the stored position", async () => {
    const res = await start(a, "Big");
    expect(res.status).toBe(202);
    const id = ((await res.json()) as Job).id;
    // Killed once it has stored some entries, long before it has read them all.
    for (;;) {
      const [row] = await sql<{ chunks: number; status: string }[]>`select chunks_total as chunks, status from user_import_jobs where id = ${id}`;
      if (row!.chunks >= 4) {
        expect(row!.status).toBe("UPLOADING");
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    a.child.kill("SIGKILL");
    const [atKill] = await sql<{ total: number }[]>`select total_rows as total from user_import_jobs where id = ${id}`;
    expect(atKill!.total).toBeLessThan(BIG);
    const job = await until(b, id, 240);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts).toMatchObject({ total: BIG, processed: BIG, created: BIG, failed: 0, passwordsCopied: BIG });
    const [users] = await sql<{ n: number; distinct_names: number }[]>`select count(*)::int as n, count(distinct lower(username))::int as distinct_names from users where username ~ '^b[0-9]+$' and environment_id = ${ids.demo}`;
    expect(users).toEqual({ n: BIG, distinct_names: BIG });
  }, 300_000);

  it("waits for a directory that goes down mid-read and goes on where it was when it is back", async () => {
    const res = await start(b, "Mid");
    expect(res.status).toBe(202);
    const id = ((await res.json()) as Job).id;
    for (;;) {
      const [row] = await sql<{ chunks: number }[]>`select chunks_total as chunks from user_import_jobs where id = ${id}`;
      if (row!.chunks >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await ldap.stop();
    const [atStop] = await sql<{ total: number; status: string }[]>`select total_rows as total, status from user_import_jobs where id = ${id}`;
    expect(atStop!.status).toBe("UPLOADING");
    expect(atStop!.total).toBeLessThan(MID);
    await new Promise((r) => setTimeout(r, 3000));
    const [waiting] = await sql<{ status: string }[]>`select status from user_import_jobs where id = ${id}`;
    expect(waiting!.status).toBe("UPLOADING");
    await ldap.start();
    const job = await until(b, id, 240);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts).toMatchObject({ total: MID, processed: MID, created: MID, failed: 0 });
    const [users] = await sql<{ n: number }[]>`select count(*)::int as n from users where username ~ '^m[0-9]+$' and environment_id = ${ids.demo}`;
    expect(users!.n).toBe(MID);
  }, 300_000);
});
