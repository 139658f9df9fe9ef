/**
 * bench:directory — a directory imported end to end (issue 13, spec 9.1), on PostgreSQL, through
 * the production server, beside a bare paged search of the same directory through ldapts and an
 * LDIF file import of as many entries, all in the same run.
 *
 *   npm run bench:directory [-- --no-build --entries 100000 --small 10000]
 *
 * A throwaway slapd holds `entries` people under ou=people ({SSHA} hashes the service account
 * reads, one in ten with a cleartext userPassword: linked) and `small` under ou=vault (hashes it
 * cannot read: linked). Prints, for each: rows/s and the peak RSS of the server's processes
 * (from /proc), so that memory can be compared between `small` and `entries`; the bare search
 * rate; the LDIF file import rate; and the directory job's rate as a ratio of the lower of the
 * two (target 0.5). Asserts nothing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import argon2 from "argon2";
import { Client } from "ldapts";
import postgres from "postgres";
import type { RunningServer } from "../test/support/server";
import { ldifLine, PEOPLE, removeSlapd, ssha, startSlapd, SUFFIX, VAULT } from "../test/support/slapd";
import { benchServer } from "./harness.mjs";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ENTRIES = arg("entries", 100_000);
const SMALL = arg("small", 10_000);
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

function person(uid: string, base: string, i: number): string {
  const password = i % 10 === 9 ? `Clear-${i}-pw` : ssha(`Pw-${i}`);
  return [
    ldifLine("dn", `uid=${uid},${base}`),
    "objectClass: inetOrgPerson",
    ldifLine("uid", uid),
    ldifLine("cn", `Person ${i} Ünïcode`),
    ldifLine("sn", `Family${i}`),
    ldifLine("givenName", `Given${i}`),
    ldifLine("mail", `${uid}@example.com`),
    ldifLine("mail", `${uid}.alt@example.org`),
    ldifLine("userPassword", password),
  ].join("\n") + "\n\n";
}

function ldifOf(prefix: string, base: string, n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(person(`${prefix}${i}`, base, i));
  return parts.join("");
}

function serverPids(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = fs.readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, "utf8").trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      /* gone */
    }
  }
  return out;
}
function rssKb(pid: number): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
/** Samples every 50 ms: the peak RSS of the largest server process and of all of them together. */
function sampleMemory(server: RunningServer) {
  let maxProcess = 0;
  let maxTotal = 0;
  const tick = () => {
    let total = 0;
    for (const p of serverPids(server.child.pid!)) {
      const rss = rssKb(p);
      total += rss;
      maxProcess = Math.max(maxProcess, rss);
    }
    maxTotal = Math.max(maxTotal, total);
  };
  tick();
  const t = setInterval(tick, 50);
  return { stop: () => (clearInterval(t), tick(), { maxProcess, maxTotal }) };
}

type Job = { id: string; status: string; counts: Record<string, number>; failure?: unknown };

async function follow(server: RunningServer, envId: string, token: string, start: () => Promise<Response>) {
  const mem = sampleMemory(server);
  const started = performance.now();
  const res = await start();
  const job = (await res.json()) as Job;
  if (res.status !== 202) throw new Error(`job refused: ${res.status} ${JSON.stringify(job)}`);
  for (;;) {
    const r = await fetch(`${server.url}/environments/${envId}/userImportJobs/${job.id}`, { headers: { authorization: `Bearer ${token}` } });
    const j = (await r.json()) as Job;
    if (!["UPLOADING", "QUEUED", "RUNNING"].includes(j.status)) {
      const seconds = (performance.now() - started) / 1000;
      return { seconds, job: j, memory: mem.stop() };
    }
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

/** The same directory read by ldapts alone: bind as the service account, page through, count. */
async function bareSearch(url: string, dn: string, password: string, attributes: string[]): Promise<{ entries: number; rate: number }> {
  const client = new Client({ url });
  await client.bind(dn, password);
  const started = performance.now();
  let entries = 0;
  for await (const page of client.searchPaginated(PEOPLE, { scope: "sub", filter: "(objectClass=person)", attributes, paged: { pageSize: 500 } })) entries += page.searchEntries.length;
  const rate = entries / ((performance.now() - started) / 1000);
  await client.unbind();
  return { entries, rate };
}

async function main() {
  console.log(`generating and loading ${fmt(ENTRIES + SMALL)} entries into slapd ...`);
  const ldap = await startSlapd({ ldif: ldifOf("d", PEOPLE, ENTRIES) + ldifOf("v", VAULT, SMALL) });
  const fileLdif = ldifOf("f", PEOPLE, ENTRIES);
  const { server, dbUrl, ids, token, done } = await benchServer("directory", args);
  try {
    // An Environment Admin application for the gateway (the first-start worker is Identity Data Admin).
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const adminApp = { id: randomUUID(), secret: randomBytes(24).toString("base64url") };
    await sql`insert into applications (id, environment_id, name, secret_hash) values (${adminApp.id}, ${ids.admin}, 'bench directory admin', ${await argon2.hash(adminApp.secret, { type: argon2.argon2id })})`;
    await sql`insert into role_assignments (id, role, application_id, scope_type, scope_id, scope_environment_id) values (${randomUUID()}, 'ENVIRONMENT_ADMIN', ${adminApp.id}, 'ENVIRONMENT', ${ids.demo}, ${ids.demo})`;
    await sql.end();
    const tokenRes = await fetch(`${server.url}/${ids.admin}/as/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${adminApp.id}:${adminApp.secret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    const adminToken = ((await tokenRes.json()) as { access_token: string }).access_token;
    const pops = (await (await fetch(`${server.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } })).json()) as { _embedded: { populations: { id: string; default: boolean }[] } };
    const populationId = pops._embedded.populations.find((p) => p.default)!.id;
    const attributeMappings = [
      { name: "username", value: "${ldapAttributes.uid}" },
      { name: "email", value: "${ldapAttributes.mail}" },
      { name: "name.given", value: "${ldapAttributes.givenName}" },
      { name: "name.family", value: "${ldapAttributes.sn}" },
      { name: "name.formatted", value: "${ldapAttributes.cn}" },
    ];
    const userType = (name: string, searchBaseDn: string) => ({ name, passwordAuthority: "LDAP", searchBaseDn, orderedCorrelationAttributes: ["uid"], newUserLookup: { ldapFilterPattern: "(objectClass=person)", population: { id: populationId }, attributeMappings } });
    const gwRes = await fetch(`${server.url}/environments/${ids.demo}/gateways`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Bench directory", type: "LDAP", servers: [ldap.server], bindDN: ldap.serviceDn, bindPassword: ldap.servicePassword, userTypes: [userType("People", PEOPLE), userType("Vault", VAULT)] }),
    });
    const gw = (await gwRes.json()) as { id: string; userTypes: { id: string; name: string }[] };
    if (gwRes.status !== 201) throw new Error(`gateway: ${gwRes.status} ${JSON.stringify(gw)}`);
    const typeId = (name: string) => gw.userTypes.find((t) => t.name === name)!.id;
    const attrs = ["uid", "mail", "givenName", "sn", "cn", "userPassword"];

    console.log(`server: ${serverPids(server.child.pid!).length} processes on ${os.availableParallelism()} cores; idle RSS ${mb(serverPids(server.child.pid!).reduce((s, p) => s + rssKb(p), 0))} in all; suffix ${SUFFIX}\n`);

    const bare = await bareSearch(`ldap://${ldap.server}`, ldap.serviceDn, ldap.servicePassword, attrs);
    console.log(`bare paged search (ldapts, pages of 500, as the service account): ${fmt(bare.entries)} entries, ${fmt(bare.rate)} entries/s`);

    const directoryJob = (userTypeId: string) => () =>
      fetch(`${server.url}/environments/${ids.demo}/userImportJobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ source: { type: "LDAP", gateway: { id: gw.id }, userType: { id: userTypeId } } }),
      });

    const small = await follow(server, ids.demo, token, directoryJob(typeId("Vault")));
    console.log(`directory job, ${fmt(SMALL)} entries (ou=vault): ${small.seconds.toFixed(2)} s, ${fmt(SMALL / small.seconds)} rows/s; ${JSON.stringify(small.job.counts)}`);
    console.log(`  peak RSS: largest server process ${mb(small.memory.maxProcess)}, all together ${mb(small.memory.maxTotal)}`);

    const big = await follow(server, ids.demo, token, directoryJob(typeId("People")));
    const bigRate = ENTRIES / big.seconds;
    console.log(`directory job, ${fmt(ENTRIES)} entries (ou=people): ${big.seconds.toFixed(2)} s, ${fmt(bigRate)} rows/s; ${JSON.stringify(big.job.counts)}${big.job.failure ? " " + JSON.stringify(big.job.failure) : ""}`);
    console.log(`  peak RSS: largest server process ${mb(big.memory.maxProcess)}, all together ${mb(big.memory.maxTotal)}`);

    const file = await follow(server, ids.demo, token, () =>
      fetch(`${server.url}/environments/${ids.demo}/userImportJobs?userTypeId=${typeId("People")}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/ldif" },
        body: fileLdif,
      }),
    );
    const fileRate = ENTRIES / file.seconds;
    console.log(`LDIF file import, ${fmt(ENTRIES)} entries (${mb(Buffer.byteLength(fileLdif) / 1024)}), same user type: ${file.seconds.toFixed(2)} s, ${fmt(fileRate)} rows/s; ${JSON.stringify(file.job.counts)}`);
    console.log(`  peak RSS: largest server process ${mb(file.memory.maxProcess)}, all together ${mb(file.memory.maxTotal)}`);

    const baseline = Math.min(bare.rate, fileRate);
    console.log(`\ndirectory job rate / min(bare search, file import) = ${fmt(bigRate)} / ${fmt(baseline)} = ${(bigRate / baseline).toFixed(2)} (target ≥ 0.5)`);
    console.log(`memory: ${fmt(SMALL)} → ${fmt(ENTRIES)} entries: all server processes ${mb(small.memory.maxTotal)} → ${mb(big.memory.maxTotal)}`);
  } finally {
    await done();
    await removeSlapd(ldap);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
