/**
 * The command-line importer (`bin/identity-import.mjs`, `npx identity-import`), run as a real
 * command against the real production server (`npm run build` first): it streams a file to the
 * jobs API, follows the job, writes the error report, and exits 0 (all rows in), 2 (some rows
 * failed) or 1 (nothing ran), so that a CI job can gate on it. It never prints the secret.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { tokenFrom } from "./support/tokens";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/identity-import.mjs");

const ids = {
  admin: randomUUID(),
  demo: randomUUID(),
  worker: randomUUID(),
  workerSecret: "cli-worker-secret-" + randomBytes(12).toString("hex"),
};

let server: RunningServer;
let dir: string;
let db: FreshDb;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ii-cli-"));
  db = await freshDatabase({ prefix: "cli" });
  server = await startServer({
    ...db.env,
    LOG_LEVEL: "silent",
    ADMIN_ENV_ID: ids.admin,
    DEMO_ENV_ID: ids.demo,
    WORKER_CLIENT_ID: ids.worker,
    WORKER_CLIENT_SECRET: ids.workerSecret,
  });
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Run = { code: number | null; stdout: string; stderr: string };

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...env } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The flags every command needs: the worker lives in the admin environment, imports into the demo one. */
const connection = () => ["--url", server.url, "--env", ids.demo, "--auth-env", ids.admin, "--client-id", ids.worker, "--client-secret", ids.workerSecret];

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function usernames(): Promise<string[]> {
  const token = await tokenFrom(server.url, ids.admin, ids.worker, ids.workerSecret);
  const res = await fetch(`${server.url}/environments/${ids.demo}/users?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { _embedded: { users: { username: string }[] } })._embedded.users.map((u) => u.username);
}

const noSecret = (r: Run) => {
  expect(r.stdout).not.toContain(ids.workerSecret);
  expect(r.stderr).not.toContain(ids.workerSecret);
};

describe("identity-import import", () => {
  it("imports a CSV, follows the job and exits 0 when every row is in", async () => {
    const rows = Array.from({ length: 250 }, (_, i) => `cli-ok-${i},cli-ok-${i}@example.com,{SSHA}${Buffer.from(randomBytes(28)).toString("base64")}`);
    const file = write("ok.csv", `username,email,password\n${rows.join("\n")}\n`);
    const r = await run(["import", file, ...connection()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/completed: 250 rows, 250 created, 0 updated, 0 skipped, 0 failed/);
    // Not a terminal: progress comes as plain lines, not a bar.
    expect(r.stderr).toContain("uploading");
    expect(r.stderr).not.toMatch(/\u001b\[/);
    noSecret(r);
    expect((await usernames()).filter((u) => u.startsWith("cli-ok-"))).toHaveLength(250);
  });

  it("exits 2 when some rows failed, and writes the error report to the file asked for", async () => {
    const file = write("some-bad.ndjson", [
      JSON.stringify({ username: "cli-bad-ok" }),
      JSON.stringify({ username: "cli-bad-email", email: "not an address" }),
      "{not json",
      JSON.stringify({ username: "cli-ok-0" }),
    ].join("\n") + "\n");
    const report = path.join(dir, "errors.csv");
    const r = await run(["import", file, ...connection(), "--errors", report]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/4 rows, 1 created, 0 updated, 0 skipped, 3 failed/);
    const csv = fs.readFileSync(report, "utf8");
    expect(csv.split(/\r?\n/).filter(Boolean)).toHaveLength(4); // header + 3 rows
    expect(csv).toContain("UNIQUENESS_VIOLATION");
    expect(csv).toContain("email");
    noSecret(r);
  });

  it("takes everything from the environment, supports --dry-run and --on-conflict, and writes nothing on a dry run", async () => {
    const file = write("dry.csv", "username,email\ncli-dry-1,dry1@example.com\ncli-ok-1,changed@example.com\n");
    const env = {
      IDENTITY_IMPORT_URL: server.url,
      IDENTITY_IMPORT_ENV: ids.demo,
      IDENTITY_IMPORT_AUTH_ENV: ids.admin,
      IDENTITY_IMPORT_CLIENT_ID: ids.worker,
      IDENTITY_IMPORT_CLIENT_SECRET: ids.workerSecret,
    };
    const r = await run(["import", file, "--dry-run", "--on-conflict", "skip", "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(job).toMatchObject({ dryRun: true, onConflict: "skip", status: "COMPLETED" });
    expect(job.counts).toMatchObject({ total: 2, created: 1, skipped: 1, failed: 0 });
    expect(await usernames()).not.toContain("cli-dry-1");
    noSecret(r);
  });

  it("exits 1, saying why, when nothing can run: bad secret, missing file, unknown format, missing options, bad population", async () => {
    const file = write("one.csv", "username\ncli-never\n");
    const badSecret = await run(["import", file, ...connection().slice(0, -1), "not-the-secret"]);
    expect(badSecret.code).toBe(1);
    expect(badSecret.stderr).toMatch(/authentication failed: 401 invalid_client/);
    expect(badSecret.stderr).not.toContain("not-the-secret");

    const missing = await run(["import", path.join(dir, "nope.csv"), ...connection()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read");

    const unknown = await run(["import", write("users.txt", "x"), ...connection()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("--format");

    const noOptions = await run(["import", file]);
    expect(noOptions.code).toBe(1);
    expect(noOptions.stderr).toContain("--url");

    const badPop = await run(["import", file, ...connection(), "--population", randomUUID()]);
    expect(badPop.code).toBe(1);
    expect(badPop.stderr).toMatch(/job was not created: 400 INVALID_DATA.*defaultPopulationId/);
    expect(await usernames()).not.toContain("cli-never");
  });
});

describe("identity-import jobs", () => {
  it("lists the environment's jobs, newest first", async () => {
    const r = await run(["jobs", ...connection()]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^JOB\s+CREATED \(UTC\)\s+STATUS/);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(r.stdout).toContain("dry.csv");
    expect(r.stdout).toContain("COMPLETED (dry run)");
    noSecret(r);
  });
});

describe("identity-import undo", () => {
  const importJson = async (name: string, csv: string) => {
    const r = await run(["import", write(name, csv), ...connection(), "--json", "-q"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { id: string };
  };

  it("undoes a job: follows the undo job, deletes the users it created and exits 0", async () => {
    const job = await importJson("undo.csv", `username\n${Array.from({ length: 30 }, (_, i) => `cli-undo-${i}`).join("\n")}\n`);
    expect((await usernames()).filter((u) => u.startsWith("cli-undo-"))).toHaveLength(30);
    const r = await run(["undo", job.id, ...connection()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^undo completed: 30 users, 30 deleted, 0 restored, 0 left as they are \(job [0-9a-f-]{36}\)$/m);
    expect((await usernames()).filter((u) => u.startsWith("cli-undo-"))).toEqual([]);
    noSecret(r);

    const again = await run(["undo", job.id, ...connection()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the undo was not started: 400 INVALID_REQUEST.*already been undone/);
    const listed = await run(["jobs", ...connection()]);
    expect(listed.stdout).toContain("COMPLETED (undo)");
  });

  it("exits 2 and writes the undo's report when users changed since the job are left as they are", async () => {
    const job = await importJson("undo-changed.csv", "username\ncli-undo-keep\ncli-undo-go\n");
    const token = await tokenFrom(server.url, ids.admin, ids.worker, ids.workerSecret);
    const found = await fetch(`${server.url}/environments/${ids.demo}/users?filter=${encodeURIComponent('username eq "cli-undo-keep"')}`, { headers: { authorization: `Bearer ${token}` } });
    const userId = ((await found.json()) as { _embedded: { users: { id: string }[] } })._embedded.users[0]!.id;
    const set = await fetch(`${server.url}/environments/${ids.demo}/users/${userId}/password`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.password.set+json" },
      body: JSON.stringify({ value: "Changed-since-1" }),
    });
    expect(set.status).toBe(200);
    const report = path.join(dir, "undo-report.csv");
    const r = await run(["undo", job.id, ...connection(), "--errors", report]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/undo completed: 2 users, 1 deleted, 0 restored, 1 left as they are/);
    expect(fs.readFileSync(report, "utf8")).toMatch(/cli-undo-keep,user,CHANGED_SINCE,/);
    const left = await usernames();
    expect(left).toContain("cli-undo-keep");
    expect(left).not.toContain("cli-undo-go");
  });

  it("exits 1 for a job id that is no UUID or no job", async () => {
    const bad = await run(["undo", "nope", ...connection()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("must be a UUID");
    const unknown = await run(["undo", randomUUID(), ...connection()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/cannot undo: 404/);
  });
});
