/**
 * A database outage under load, through the production server (issue 15, item 3): the test runs
 * its own PostgreSQL cluster (initdb into a temporary folder, its own port), starts the built
 * server on it, runs a bulk job and a stream of API imports, crashes the cluster
 * (`pg_ctl stop -m immediate`), starts it again and checks: the job completes with every row
 * written exactly once, every 201 is a user, no username twice, only 201 or 503 (with
 * Retry-After) answers and no dropped connection, /readyz 503 while the database is down, and
 * the first 201 within 2 s of the database accepting connections again (the time is printed),
 * and the email outbox delivering each verification message exactly once across the crash.
 * PostgreSQL only: an embedded PGlite database cannot be taken away from its process.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDriver } from "./support/fresh-db";
import { SERVER_BUNDLE, freePort, startServer, type RunningServer } from "./support/server";
import { smtpPeer, type SmtpPeer } from "./support/smtp";
import { tokenFrom } from "./support/tokens";

const onPostgres = testDriver() === "postgres";
const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";
const ids = { admin: randomUUID(), demo: randomUUID(), worker: randomUUID(), secret: randomBytes(16).toString("hex"), adminPassword: randomBytes(12).toString("hex") };

/** A throwaway PostgreSQL cluster, run as the `postgres` user when the tests run as root (initdb refuses root). */
class Cluster {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "ii-outage-pg-"));
  readonly data = path.join(this.dir, "data");
  constructor(readonly port: number) {}

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(bin: string, args: string[]): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const [cmd, argv] = asRoot
      ? ["su", ["postgres", "-c", [path.join(PG_BIN, bin), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ")]]
      : [path.join(PG_BIN, bin), args];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd as string, argv as string[], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(" ")} failed (${code}):\n${out}`))));
    });
  }

  async init() {
    if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres", this.dir]);
    await this.run("initdb", ["-D", this.data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  }

  start() {
    return this.run("pg_ctl", ["-D", this.data, "-l", path.join(this.dir, "log"), "-w", "-o", `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=100`, "start"]);
  }

  /** A crash: every backend killed at once, no checkpoint; the next start runs crash recovery. */
  crash() {
    return this.run("pg_ctl", ["-D", this.data, "-m", "immediate", "stop"]);
  }

  async destroy() {
    if (fs.existsSync(path.join(this.data, "postmaster.pid"))) await this.crash().catch(() => {});
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves at the first moment a new connection to `url` runs a query. */
async function acceptingConnections(url: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
    try {
      await probe`select 1`;
      return performance.now();
    } catch {
      if (Date.now() > deadline) throw new Error("the database did not come back");
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      await probe.end({ timeout: 1 }).catch(() => {});
    }
  }
}

/** A console session cookie for the administrator, through Auth.js's credentials callback. */
async function consoleCookie(base: string, password: string): Promise<string> {
  const jar = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = jar(csrf);
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, username: "admin", password }).toString(),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
  if (!session) throw new Error(`console sign-in failed: ${res.status} ${res.headers.get("location")}`);
  return `${csrfCookie}; ${session.split(";")[0]}`;
}

/**
 * Calls a console server action as the browser does: its id from the build's manifest, its
 * arguments encoded with React's own encodeReply, POSTed to the page with `next-action`.
 */
async function callAction(base: string, file: string, exportedName: string, args: unknown[], cookie: string, page: string): Promise<Response> {
  const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(SERVER_BUNDLE), "..", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  const id = Object.entries(manifest.node).find(([, v]) => v.filename === file && v.exportedName === exportedName)?.[0];
  if (!id) throw new Error(`no server action ${exportedName} in ${file}`);
  const { encodeReply } = createRequire(import.meta.url)("next/dist/compiled/react-server-dom-webpack/client.node.js") as {
    encodeReply: (v: unknown[]) => Promise<string | FormData>;
  };
  const encoded = await encodeReply(args);
  return fetch(base + page, { method: "POST", redirect: "manual", headers: { cookie, origin: base, "next-action": id }, body: encoded });
}

type Answer = { username: string; sentAt: number; at: number; status: number | "dropped"; id?: string; code?: string; retryAfter?: string | null };
type Job = { id: string; status: string; counts: { total: number; processed: number; created: number; failed: number } };

let cluster: Cluster | undefined;
let server: RunningServer | undefined;
let peer: SmtpPeer | undefined;

beforeAll(async () => {
  if (!onPostgres) return;
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  cluster = new Cluster(await freePort());
  await cluster.init();
  await cluster.start();
  peer = await smtpPeer();
  server = await startServer({
    SMTP_URL: peer.url,
    OUTBOX_POLL_MS: "200",
    OUTBOX_RETRY_BASE_MS: "200",
    OUTBOX_RETRY_MAX_MS: "1000",
    DATABASE_URL: cluster.url,
    DATA_DIR: undefined,
    LOG_LEVEL: "warn",
    WEB_CONCURRENCY: "2",
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.secret,
    ADMIN_PASSWORD: ids.adminPassword,
    // Small batches with a pause after each, so that the job is still running when the database goes.
    BULK_CHUNK_ROWS: "50",
    BULK_BATCH_PAUSE_MS: "40",
    BULK_LEASE_SECONDS: "5",
  });
});

afterAll(async () => {
  await server?.stop("SIGKILL").catch(() => {});
  await peer?.stop().catch(() => {});
  await cluster?.destroy();
});

describe.skipIf(!onPostgres)("a database crash under load (own PostgreSQL cluster)", () => {
  it("answers only 201 or 503 while it is down, serves again within 2 s of its return, and the job writes every row once", async () => {
    const base = server!.url;
    const token = await tokenFrom(base, ids.admin, ids.worker, ids.secret);
    const auth = { authorization: `Bearer ${token}` };
    const pops = (await (await fetch(`${base}/environments/${ids.demo}/populations`, { headers: auth })).json()) as {
      _embedded: { populations: { id: string; name: string }[] };
    };
    const populationId = pops._embedded.populations.find((p) => p.name === "Default")!.id;

    // The bulk job: N distinct users, an invalid row and a duplicate of row 2.
    const prefix = `bulk${randomBytes(2).toString("hex")}`;
    const n = 3000;
    const hash = bcrypt.hashSync("pw", 4);
    const lines = ["username,email,password"];
    for (let i = 0; i < n; i++) lines.push(`${prefix}-${i},${prefix}-${i}@example.com,${hash}`);
    lines.push(`${prefix}-bad,not-an-email,`, `${prefix.toUpperCase()}-0,dup@example.com,`);
    const upload = await fetch(`${base}/environments/${ids.demo}/userImportJobs`, {
      method: "POST",
      headers: { ...auth, "content-type": "text/csv" },
      body: lines.join("\n") + "\n",
    });
    expect(upload.status).toBe(202);
    const job = (await upload.json()) as Job;
    const total = n + 2;

    // The stream of API imports: four clients, a new username each request; 503 is retried at once.
    // Client 0's users need their email verified: the outbox sends one message to each.
    const answers: Answer[] = [];
    let streaming = true;
    const stream = async (client: number) => {
      for (let i = 0; streaming; i++) {
        const username = `api${prefix}-${client}-${i}`;
        const sentAt = performance.now();
        try {
          const res = await fetch(`${base}/environments/${ids.demo}/users`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/vnd.pingidentity.user.import+json" },
            body: JSON.stringify({
              username,
              email: `${username}@example.com`,
              population: { id: populationId },
              password: { value: hash },
              ...(client === 0 ? { lifecycle: { status: "VERIFICATION_REQUIRED" } } : {}),
            }),
          });
          const body = (await res.json().catch(() => ({}))) as { id?: string; code?: string };
          answers.push({ username, sentAt, at: performance.now(), status: res.status, id: body.id, code: body.code, retryAfter: res.headers.get("retry-after") });
          if (res.status !== 201) await new Promise((r) => setTimeout(r, 20));
        } catch {
          answers.push({ username, sentAt, at: performance.now(), status: "dropped" });
        }
      }
    };
    // /readyz, every 100 ms.
    const probes: { at: number; status: number | "dropped" }[] = [];
    const probe = async () => {
      while (streaming) {
        const at = performance.now();
        const status = await fetch(`${base}/readyz`).then((r) => r.status, () => "dropped" as const);
        probes.push({ at, status });
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const clients = [...[0, 1, 2, 3].map(stream), probe()];

    const jobNow = async () => (await (await fetch(`${base}/environments/${ids.demo}/userImportJobs/${job.id}`, { headers: auth })).json()) as Job;
    const deadline = Date.now() + 120_000;
    while ((await jobNow()).counts.processed < 300) {
      if (Date.now() > deadline) throw new Error("the job did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await jobNow()).counts.processed).toBeLessThan(total);

    const cookie = await consoleCookie(base, ids.adminPassword);
    expect((await fetch(`${base}/console/environments`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);
    const progress = await callAction(base, "app/console/environments/[envID]/imports/new/actions.ts", "jobStatus", [ids.demo, job.id], cookie, `/console/environments/${ids.demo}/imports/new`);
    expect(await progress.text()).toContain(job.id);

    await cluster!.crash();
    // From here on (pg_ctl has seen the postmaster exit) nothing can be written until the restart.
    const crashedAt = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const consoleStarted = performance.now();
    // The console says what is wrong instead of failing.
    const page = await fetch(`${base}/console/environments`, { headers: { cookie }, redirect: "manual" });
    const html = await page.text();
    expect(page.status, html.slice(0, 500)).toBe(200);
    expect(html).toContain("The database is unavailable");
    // And a server action (the import wizard's progress poll) answers with that message rather than failing.
    const action = await callAction(base, "app/console/environments/[envID]/imports/new/actions.ts", "jobStatus", [ids.demo, job.id], cookie, `/console/environments/${ids.demo}/imports/new`);
    const actionBody = await action.text();
    expect(action.status, actionBody.slice(0, 500)).toBe(200);
    expect(actionBody).toContain("The database is unavailable");
    const consoleMs = Math.round(performance.now() - consoleStarted);
    await new Promise((r) => setTimeout(r, 4000));
    const starting = cluster!.start();
    const backAt = await acceptingConnections(cluster!.url);
    await starting;
    // Keep the stream going a little after the return, then stop it.
    await new Promise((r) => setTimeout(r, 3000));
    streaming = false;
    await Promise.all(clients);

    const firstOk = answers.filter((a) => a.status === 201 && a.sentAt > crashedAt).sort((a, b) => a.at - b.at)[0];
    expect(firstOk, "a 201 after the database came back").toBeTruthy();
    const recoveryMs = Math.round(firstOk!.at - backAt);
    const during = answers.filter((a) => a.sentAt > crashedAt && a.at < backAt);
    process.stdout.write(
      `db-outage: ${answers.length} API imports (${answers.filter((a) => a.status === 201).length} created, ${answers.filter((a) => a.status === 503).length} 503) ` +
        `with ${during.length} during the outage; first 201 ${recoveryMs} ms after PostgreSQL accepted connections again; ` +
        `${server!.output().match(/bulk import paused/g)?.length ?? 0} bulk batch pause(s) logged; database down ${Math.round(backAt - crashedAt)} ms; ` +
        `console page and action during it ${consoleMs} ms\n`,
    );

    // Only 201 or 503, never a 500 or a dropped connection; every 503 says when to retry.
    const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 503);
    const exits = server!.output().split("\n").filter((l) => /exited|FATAL|heap|uncaught|unhandled/i.test(l));
    // No worker died of the outage (a driver exception escaping once took one down mid-request).
    expect(exits.filter((l) => /exited \(|uncaughtException/.test(l))).toEqual([]);
    expect(unexpected, `${JSON.stringify(unexpected.slice(0, 5))}; crashed at ${Math.round(crashedAt)} ms; server log: ${exits.join("\n").slice(-3000)}`).toEqual([]);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.code).toBe("SERVICE_UNAVAILABLE");
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }
    expect(during.length, "requests were answered during the outage").toBeGreaterThan(0);
    expect(during.every((a) => a.status === 503)).toBe(true);
    // /readyz said 503 while the database was down, and 200 again afterwards.
    expect(probes.some((p) => p.at > crashedAt + 200 && p.at < backAt && p.status === 503)).toBe(true);
    const droppedProbes = probes.filter((p) => p.status === "dropped");
    expect(droppedProbes, `crashed at ${Math.round(crashedAt)} ms, back at ${Math.round(backAt)} ms; server log: ${server!.output().slice(-3000)}`).toEqual([]);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(recoveryMs).toBeLessThan(2000);
    // The failed queries' log lines name no parameter: the password hash of every import was one.
    expect(server!.output()).not.toContain(hash);

    // The job went on by itself and wrote every row exactly once.
    for (;;) {
      const j = await jobNow();
      if (j.status !== "RUNNING" && j.status !== "QUEUED") {
        expect(j.status).toBe("COMPLETED");
        expect(j.counts).toMatchObject({ total, processed: total, created: n, failed: 2 });
        break;
      }
      if (Date.now() > deadline + 60_000) throw new Error(`the job did not finish: ${JSON.stringify(j)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const sql = postgres(cluster!.url, { max: 1, onnotice: () => {} });
    try {
      const [bulk] = await sql`select count(*)::int as n, count(distinct lower(username))::int as d from users
        where environment_id = ${ids.demo} and lower(username) like ${prefix + "-%"}`;
      expect(bulk).toEqual({ n, d: n });
      // Every 201 is a user with the username it was created with.
      const created = answers.filter((a) => a.status === 201);
      const found = await sql<{ id: string; username: string }[]>`select id, username from users where id = any(${created.map((a) => a.id!)}::uuid[])`;
      expect(new Map(found.map((u) => [u.id, u.username]))).toEqual(new Map(created.map((a) => [a.id!, a.username])));
      // No username twice in the environment.
      const twice = await sql`select lower(username) as u from users where environment_id = ${ids.demo} group by 1 having count(*) > 1`;
      expect(twice).toEqual([]);
    } finally {
      await sql.end({ timeout: 5 });
    }

    // The outbox went on too: one message to each verifying user created, none sent twice.
    const verifying = answers.filter((a) => a.status === 201 && a.username.startsWith(`api${prefix}-0-`));
    expect(verifying.length).toBeGreaterThan(0);
    const received = (address: string) => peer!.messages.filter((m) => m.to.includes(address)).length;
    const waitUntil = Date.now() + 60_000;
    while (verifying.some((a) => received(`${a.username}@example.com`) === 0) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    for (const a of verifying) expect(received(`${a.username}@example.com`), a.username).toBe(1);
    const perAddress = new Map<string, number>();
    for (const m of peer!.messages) for (const t of m.to) perAddress.set(t, (perAddress.get(t) ?? 0) + 1);
    expect([...perAddress].filter(([, k]) => k > 1)).toEqual([]);
  });

  it("starts while the database is down: waits for it instead of exiting, and serves once it is up", async () => {
    // Down (again): the test before left it running, unless it failed on the way.
    await cluster!.crash().catch(() => {});
    const waiting = startServer(
      {
        DATABASE_URL: cluster!.url,
        DATA_DIR: undefined,
        LOG_LEVEL: "warn",
        WEB_CONCURRENCY: "1",
        ADMIN_ENV_ID: ids.admin,
        DEMO_ENV_ID: ids.demo,
        WORKER_CLIENT_ID: ids.worker,
        WORKER_CLIENT_SECRET: ids.secret,
      },
      { timeoutMs: 90_000 },
    );
    let second: RunningServer | undefined;
    try {
      // Not ready (and not gone) while there is no database.
      await new Promise((r) => setTimeout(r, 3000));
      await cluster!.start();
      second = await waiting;
      expect(second.output()).toMatch(/waiting for the database/);
      const token = await tokenFrom(second.url, ids.admin, ids.worker, ids.secret);
      const res = await fetch(`${second.url}/environments/${ids.demo}/populations`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      await (second ?? (await waiting.catch(() => undefined)))?.stop("SIGKILL");
    }
  });
});
