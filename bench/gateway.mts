/**
 * bench:gateway — Check Password of LDAP-authority gateway users through the production server,
 * against a local slapd, beside the rate of bare binds through ldapts to the same server.
 *
 *   npm run bench:gateway [-- --duration 15 --connections 32 --users 1000 --no-build]
 *
 * Starts Debian's slapd (test/support/slapd.ts) with `--users` entries, builds and starts the
 * server on a fresh PostgreSQL database, creates a gateway and its users through the API, then
 * drives Check Password at 32 connections with autocannon (each request a random user, right
 * password). Then 32 ldapts clients bind as random users for the same time, bare: the baseline.
 * Prints figures beside the targets (500 checks/s, 0.5 of the bare bind rate); asserts nothing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import argon2 from "argon2";
import autocannon from "autocannon";
import { Client } from "ldapts";
import postgres from "postgres";
import { benchServer } from "./harness.mjs";
import { dnOf, PEOPLE, removeSlapd, startSlapd, type DirectoryUser } from "../test/support/slapd";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const DURATION = arg("duration", 15);
const CONNECTIONS = arg("connections", 32);
const USERS = arg("users", 1000);

const users: DirectoryUser[] = Array.from({ length: USERS }, (_, i) => ({ uid: `bench${i}`, password: `Bench-pass-${i}-${randomBytes(4).toString("hex")}` }));

async function bareBinds(server: string, seconds: number): Promise<{ rate: number; errors: number }> {
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const c = new Client({ url: `ldap://${server}` });
      await c.bind(dnOf(users[0]!), users[0]!.password);
      return c;
    }),
  );
  let done = 0;
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < until) {
        const u = users[Math.floor(Math.random() * users.length)]!;
        try {
          await c.bind(dnOf(u), u.password);
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  await Promise.all(clients.map((c) => c.unbind()));
  return { rate: done / seconds, errors };
}

async function main() {
  console.log(`starting slapd with ${USERS} entries ...`);
  const ldap = await startSlapd({ users });
  const { server, dbUrl, ids, token, done } = await benchServer("gateway", args);
  try {
    // An Environment Admin application for the set-up calls (the first-start worker is Identity Data Admin).
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const adminApp = { id: randomUUID(), secret: randomBytes(24).toString("base64url") };
    await sql`insert into applications (id, environment_id, name, secret_hash) values (${adminApp.id}, ${ids.admin}, 'bench gateway admin', ${await argon2.hash(adminApp.secret, { type: argon2.argon2id })})`;
    await sql`insert into role_assignments (id, role, application_id, scope_type, scope_id, scope_environment_id) values (${randomUUID()}, 'ENVIRONMENT_ADMIN', ${adminApp.id}, 'ENVIRONMENT', ${ids.demo}, ${ids.demo})`;
    await sql.end();
    const tokenRes = await fetch(`${server.url}/${ids.admin}/as/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${adminApp.id}:${adminApp.secret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    const adminToken = ((await tokenRes.json()) as { access_token: string }).access_token;

    const gwRes = await fetch(`${server.url}/environments/${ids.demo}/gateways`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "Bench directory",
        type: "LDAP",
        servers: [ldap.server],
        bindDN: ldap.serviceDn,
        bindPassword: ldap.servicePassword,
        userTypes: [{ name: "People", passwordAuthority: "LDAP", searchBaseDn: PEOPLE, orderedCorrelationAttributes: ["uid"] }],
      }),
    });
    const gw = (await gwRes.json()) as { id: string; userTypes: { id: string }[] };
    if (gwRes.status !== 201) throw new Error(`gateway: ${gwRes.status} ${JSON.stringify(gw)}`);
    const pops = (await (await fetch(`${server.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } })).json()) as { _embedded: { populations: { id: string; default: boolean }[] } };
    const populationId = pops._embedded.populations.find((p) => p.default)!.id;

    console.log(`linking ${USERS} gateway users ...`);
    const paths: string[] = [];
    for (let i = 0; i < users.length; i += 32) {
      const batch = await Promise.all(
        users.slice(i, i + 32).map(async (u) => {
          const res = await fetch(`${server.url}/environments/${ids.demo}/users`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.user.import+json" },
            body: JSON.stringify({ username: u.uid, population: { id: populationId }, password: { external: { gateway: { id: gw.id, userType: { id: gw.userTypes[0]!.id }, correlationAttributes: { uid: u.uid } } } } }),
          });
          const body = (await res.json()) as { id: string };
          if (res.status !== 201) throw new Error(`import: ${res.status} ${JSON.stringify(body)}`);
          return `/environments/${ids.demo}/users/${body.id}/password`;
        }),
      );
      paths.push(...batch);
    }

    // Context: the same operation for a local user whose stored hash is a cheap {SSHA}: the server's own cost.
    const localUser = await fetch(`${server.url}/environments/${ids.demo}/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.user.import+json" },
      body: JSON.stringify({ username: "bench-local", population: { id: populationId }, password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" } }),
    });
    const localPath = `/environments/${ids.demo}/users/${((await localUser.json()) as { id: string }).id}/password`;
    const localChecks = (duration: number) =>
      autocannon({
        url: server.url + localPath,
        connections: CONNECTIONS,
        duration,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.password.check+json" },
        body: JSON.stringify({ password: "wrong password" }),
      });

    const checks = (duration: number) =>
      autocannon({
        url: server.url,
        connections: CONNECTIONS,
        duration,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.password.check+json" },
        requests: [
          {
            setupRequest: (req) => {
              const i = Math.floor(Math.random() * paths.length);
              return { ...req, path: paths[i]!, body: JSON.stringify({ password: users[i]!.password }) };
            },
          },
        ],
      });
    await checks(3); // warm-up: JIT, pools on every worker
    const result = await checks(DURATION);
    const bare = await bareBinds(ldap.server, DURATION);
    const local = await localChecks(Math.min(DURATION, 5));

    const rate = result.requests.average;
    const ratio = rate / bare.rate;
    console.log("");
    console.log(`Check Password (LDAP authority, one search + one bind each), ${CONNECTIONS} connections, ${DURATION} s:`);
    console.log(`  ${rate.toFixed(0)} checks/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`);
    console.log(`bare ldapts binds to the same slapd, ${CONNECTIONS} clients: ${bare.rate.toFixed(0)} binds/s (errors ${bare.errors})`);
    console.log(`context: Check Password of a local {SSHA} user (no directory): ${local.requests.average.toFixed(0)}/s, p99 ${local.latency.p99} ms`);
    console.log(`ratio: ${ratio.toFixed(2)} of the bare bind rate (target >= 0.5); ${rate >= 500 ? "meets" : "misses"} the 500 checks/s target`);
  } finally {
    await done();
    await removeSlapd(ldap);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
