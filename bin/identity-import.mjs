#!/usr/bin/env node
// @ts-check
/**
 * identity-import: the command-line importer. It streams a file to the bulk jobs API, follows
 * the job with a progress bar, writes the error report when asked, and exits with a code a CI
 * job can gate on: 0 when every row was imported, 2 when some rows failed, 1 when nothing ran
 * (bad arguments, credentials, file, or an API error before the job started).
 *
 *   identity-import import users.csv --url https://ids.example.com --env <envID> \
 *     --client-id <id> --client-secret <secret> [--auth-env <envID>] [--dry-run] \
 *     [--on-conflict fail|skip|update] [--population <id>] [--errors errors.csv]
 *   identity-import jobs [--limit 20]
 *   identity-import undo <jobID>
 *
 * Credentials may come from IDENTITY_IMPORT_URL, IDENTITY_IMPORT_ENV, IDENTITY_IMPORT_AUTH_ENV,
 * IDENTITY_IMPORT_CLIENT_ID and IDENTITY_IMPORT_CLIENT_SECRET instead; the secret is never
 * printed. Plain JavaScript, so that it runs from `npx identity-import` without a build.
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";

const EXIT_OK = 0;
const EXIT_NOT_RUN = 1;
const EXIT_ROWS_FAILED = 2;

/** An error that ends the command before or outside a job: printed as one line, exit 1. */
class CliError extends Error {}

const TYPES = /** @type {Record<string, string>} */ ({
  ".csv": "text/csv",
  ".ndjson": "application/x-ndjson",
  ".jsonl": "application/x-ndjson",
  ".json": "application/json",
  ".ldif": "text/ldif",
});

/** @param {string} v */
function uuid(v) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new InvalidArgumentError("must be a UUID.");
  return v.toLowerCase();
}

/** @param {string} v */
function positive(v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of at least 1.");
  return n;
}

/**
 * @typedef {{ url: string; env: string; authEnv?: string; clientId: string; clientSecret: string; quiet?: boolean }} Connection
 * @typedef {{ id: string; kind?: string; status: string; dryRun: boolean; counts: Record<string, number>; progress: { percent: number; rowsPerSecond: number; estimatedSecondsLeft: number | null; totalRows: number; rowsDone: number }; _links: Record<string, { href: string }> }} Job
 */

/** The connection options, from flags first, then the environment. @param {Record<string, unknown>} o @returns {Connection} */
function connection(o) {
  const pick = (/** @type {string} */ flag, /** @type {string} */ variable) => /** @type {string | undefined} */ (o[flag]) ?? process.env[variable];
  const url = pick("url", "IDENTITY_IMPORT_URL");
  const env = pick("env", "IDENTITY_IMPORT_ENV");
  const clientId = pick("clientId", "IDENTITY_IMPORT_CLIENT_ID");
  const clientSecret = pick("clientSecret", "IDENTITY_IMPORT_CLIENT_SECRET");
  const missing = [
    !url && "--url (or IDENTITY_IMPORT_URL)",
    !env && "--env (or IDENTITY_IMPORT_ENV)",
    !clientId && "--client-id (or IDENTITY_IMPORT_CLIENT_ID)",
    !clientSecret && "--client-secret (or IDENTITY_IMPORT_CLIENT_SECRET)",
  ].filter(Boolean);
  if (missing.length) throw new CliError(`missing ${missing.join(", ")}`);
  let base;
  try {
    base = new URL(/** @type {string} */ (url)).toString().replace(/\/+$/, "");
  } catch {
    throw new CliError("--url must be an absolute URL such as https://ids.example.com");
  }
  return {
    url: base.replace(/\/v1$/, ""),
    env: uuid(/** @type {string} */ (env)),
    authEnv: uuid(pick("authEnv", "IDENTITY_IMPORT_AUTH_ENV") ?? /** @type {string} */ (env)),
    clientId: /** @type {string} */ (clientId),
    clientSecret: /** @type {string} */ (clientSecret),
    quiet: Boolean(o.quiet),
  };
}

/** PingOne's error envelope as one readable line. @param {Response} res */
async function apiProblem(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (body.error) return `${res.status} ${body.error}: ${body.error_description ?? ""}`.trim();
    const details = (body.details ?? []).map((/** @type {{target?: string, message: string}} */ d) => `${d.target ? `${d.target}: ` : ""}${d.message}`);
    return `${res.status} ${body.code}: ${body.message}${details.length > 1 || (details[0] && details[0] !== body.message) ? ` (${details.join("; ")})` : ""}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/** A client_credentials token from the application's environment. @param {Connection} c */
async function accessToken(c) {
  let res;
  try {
    res = await fetch(`${c.url}/${c.authEnv}/as/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "Basic " + Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString("base64"),
      },
      body: "grant_type=client_credentials",
    });
  } catch (err) {
    throw new CliError(`cannot reach ${c.url}: ${/** @type {Error} */ (err).cause ?? /** @type {Error} */ (err).message}`);
  }
  if (res.status !== 200) throw new CliError(`authentication failed: ${await apiProblem(res)}`);
  return /** @type {{access_token: string}} */ (await res.json()).access_token;
}

/**
 * An API call that waits and tries again on 429 and 503 (Retry-After), a few times.
 * @param {string} url @param {RequestInit} init
 */
async function call(url, init = {}) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    if ((res.status === 429 || res.status === 503) && attempt < 20 && !init.body) {
      const wait = Math.min(Number(res.headers.get("retry-after")) || 2, 30);
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    return res;
  }
}

/** Progress on a terminal (a bar) or as plain lines (CI logs). */
function progress(/** @type {boolean} */ quiet) {
  const tty = Boolean(process.stderr.isTTY) && !quiet;
  /** @type {cliProgress.SingleBar | null} */
  let bar = null;
  let lastLine = 0;
  let phase = "";
  return {
    /** @param {string} name @param {number} total @param {string} unit */
    phase(name, total, unit) {
      bar?.stop();
      bar = null;
      phase = name;
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: `${name.padEnd(9)} {bar} {percentage}% | {value}/{total} ${unit} | {rate} | {eta_text} | {extra}`, hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total, 1), 0, { rate: "", eta_text: "", extra: "" });
      } else if (!quiet) {
        process.stderr.write(`${name}...\n`);
      }
    },
    /** @param {number} value @param {number} total @param {{rate?: string, eta?: string, extra?: string}} info */
    update(value, total, info = {}) {
      if (bar) {
        bar.setTotal(Math.max(total, 1));
        bar.update(value, { rate: info.rate ?? "", eta_text: info.eta ?? "", extra: info.extra ?? "" });
      } else if (!quiet && Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        const pct = total ? Math.floor((value / total) * 100) : 0;
        process.stderr.write(`${phase}: ${pct}% ${value}/${total}${info.rate ? `, ${info.rate}` : ""}${info.eta ? `, ${info.eta}` : ""}${info.extra ? `, ${info.extra}` : ""}\n`);
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** @param {number | null} s */
const eta = (s) => (s === null || s === undefined ? "" : s < 60 ? `${s} s left` : `${Math.floor(s / 60)} min ${s % 60} s left`);

/**
 * Follows a job until it ends, showing its progress; cancels it on Ctrl-C.
 * @param {Connection} c @param {string} token @param {Job} job @param {ReturnType<typeof progress>} bar
 * @returns {Promise<Job>}
 */
async function follow(c, token, job, bar) {
  const auth = { authorization: `Bearer ${token}` };
  let canceling = false;
  const onInterrupt = () => {
    if (canceling) process.exit(130);
    canceling = true;
    process.stderr.write("\ncanceling the job (Ctrl-C again to leave it running)...\n");
    void fetch(job._links.cancel.href, { method: "POST", headers: auth }).catch(() => {});
  };
  process.on("SIGINT", onInterrupt);
  try {
    bar.phase(job.dryRun ? "dry run" : "importing", job.progress.totalRows, "rows");
    for (;;) {
      const p = job.progress;
      bar.update(p.rowsDone, p.totalRows, {
        rate: `${p.rowsPerSecond} rows/s`,
        eta: eta(p.estimatedSecondsLeft),
        extra: `failed ${job.counts.failed}`,
      });
      if (!["UPLOADING", "QUEUED", "RUNNING"].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 500));
      const res = await call(job._links.self.href, { headers: auth });
      if (res.status !== 200) throw new CliError(`could not read the job: ${await apiProblem(res)}`);
      job = /** @type {Job} */ (await res.json());
    }
    return job;
  } finally {
    process.off("SIGINT", onInterrupt);
    bar.stop();
  }
}

/** @param {Job} job */
function summary(job) {
  const k = job.counts;
  if (job.kind === "undo") return `undo ${job.status.toLowerCase()}: ${k.total} users, ${k.deleted} deleted, ${k.restored} restored, ${k.failed} left as they are (job ${job.id})`;
  return `${job.dryRun ? "dry run " : ""}${job.status.toLowerCase()}: ${k.total} rows, ${k.created} created, ${k.updated} updated, ${k.skipped} skipped, ${k.failed} failed (job ${job.id})`;
}

/** @param {Job} job */
function exitCodeOf(job) {
  if (job.counts.failed > 0) return EXIT_ROWS_FAILED;
  return job.status === "COMPLETED" ? EXIT_OK : EXIT_NOT_RUN;
}

/** @param {Connection} c @param {string} token @param {Job} job @param {string} file */
async function writeErrors(c, token, job, file) {
  const res = await call(`${job._links.errors.href}?format=csv`, { headers: { authorization: `Bearer ${token}`, accept: "text/csv" } });
  if (res.status !== 200) throw new CliError(`could not read the error report: ${await apiProblem(res)}`);
  await fs.promises.writeFile(file, Buffer.from(await res.arrayBuffer()));
}

/** @param {string} file @param {Record<string, unknown>} o */
async function importCommand(file, o) {
  const c = connection(o);
  let stat;
  try {
    stat = await fs.promises.stat(file);
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  if (!stat.isFile()) throw new CliError(`${file} is not a file`);
  const format = /** @type {string | undefined} */ (o.format);
  const type = format ? TYPES[`.${format}`] : TYPES[path.extname(file).toLowerCase()];
  if (!type) throw new CliError(`cannot tell the format of ${file}: name it .csv, .ndjson, .jsonl, .json or .ldif, or pass --format`);

  const token = await accessToken(c);
  const query = new URLSearchParams();
  if (o.dryRun) query.set("dryRun", "true");
  if (o.onConflict) query.set("onConflict", /** @type {string} */ (o.onConflict));
  if (o.population) query.set("defaultPopulationId", /** @type {string} */ (o.population));
  query.set("fileName", path.basename(file));

  const bar = progress(Boolean(o.quiet));
  bar.phase("uploading", stat.size, "bytes");
  let sent = 0;
  const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  source.on("data", (chunk) => {
    sent += chunk.length;
    bar.update(sent, stat.size);
  });
  let res;
  try {
    res = await fetch(`${c.url}/environments/${c.env}/userImportJobs?${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": type, "content-length": String(stat.size) },
      body: /** @type {ReadableStream} */ (Readable.toWeb(source)),
      // @ts-expect-error: Node's fetch needs duplex for a streamed body.
      duplex: "half",
    });
  } catch (err) {
    bar.stop();
    throw new CliError(`the upload failed: ${/** @type {Error} */ (err).cause ?? /** @type {Error} */ (err).message}`);
  }
  bar.stop();
  if (res.status !== 202) throw new CliError(`the job was not created: ${await apiProblem(res)}`);
  const job = await follow(c, token, /** @type {Job} */ (await res.json()), bar);
  if (o.errors) await writeErrors(c, token, job, /** @type {string} */ (o.errors));
  if (o.json) process.stdout.write(JSON.stringify(job) + "\n");
  else process.stdout.write(summary(job) + (o.errors && job.counts.failed ? `; errors in ${o.errors}` : "") + "\n");
  return exitCodeOf(job);
}

/** @param {Record<string, unknown>} o */
async function jobsCommand(o) {
  const c = connection(o);
  const token = await accessToken(c);
  const res = await call(`${c.url}/environments/${c.env}/userImportJobs?limit=${o.limit ?? 20}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new CliError(`could not list the jobs: ${await apiProblem(res)}`);
  const jobs = /** @type {{_embedded: {userImportJobs: (Job & {createdAt: string, fileName: string | null})[]}}} */ (await res.json())._embedded.userImportJobs;
  if (o.json) {
    process.stdout.write(JSON.stringify(jobs) + "\n");
    return EXIT_OK;
  }
  const rows = jobs.map((j) => [j.id, j.createdAt.slice(0, 19).replace("T", " "), j.status + (j.dryRun ? " (dry run)" : j.kind === "undo" ? " (undo)" : ""), String(j.counts.total), String(j.counts.created), String(j.counts.updated), String(j.counts.failed), j.fileName ?? ""]);
  const head = ["JOB", "CREATED (UTC)", "STATUS", "ROWS", "CREATED", "UPDATED", "FAILED", "FILE"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) process.stdout.write(r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd() + "\n");
  return EXIT_OK;
}

/** @param {string} jobId @param {Record<string, unknown>} o */
async function undoCommand(jobId, o) {
  const c = connection(o);
  const token = await accessToken(c);
  const res = await call(`${c.url}/environments/${c.env}/userImportJobs/${jobId}/undo`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  if (res.status === 404 || res.status === 405) throw new CliError(`cannot undo: ${await apiProblem(res)}`);
  if (res.status !== 202 && res.status !== 200) throw new CliError(`the undo was not started: ${await apiProblem(res)}`);
  const job = await follow(c, token, /** @type {Job} */ (await res.json()), progress(Boolean(o.quiet)));
  if (o.errors) await writeErrors(c, token, job, /** @type {string} */ (o.errors));
  process.stdout.write((o.json ? JSON.stringify(job) : summary(job)) + "\n");
  return exitCodeOf(job);
}

/** @param {Command} cmd */
function withConnection(cmd) {
  return cmd
    .addOption(new Option("--url <url>", "base URL of the server (IDENTITY_IMPORT_URL)"))
    .addOption(new Option("--env <envID>", "environment to import into (IDENTITY_IMPORT_ENV)"))
    .addOption(new Option("--auth-env <envID>", "environment of the worker application, if not --env (IDENTITY_IMPORT_AUTH_ENV)"))
    .addOption(new Option("--client-id <id>", "worker application's client id (IDENTITY_IMPORT_CLIENT_ID)"))
    .addOption(new Option("--client-secret <secret>", "worker application's client secret (IDENTITY_IMPORT_CLIENT_SECRET)"))
    .option("--json", "print the job as JSON instead of a summary")
    .option("-q, --quiet", "no progress output");
}

const program = new Command()
  .name("identity-import")
  .description("Bulk import users into identity-import from a file, and manage import jobs.")
  .showHelpAfterError()
  .exitOverride();

withConnection(
  program
    .command("import")
    .description("stream FILE (CSV, JSON Lines, JSON array or LDIF) to the bulk jobs API and follow the job")
    .argument("<file>", "the file to import")
    .option("--dry-run", "check every row, write nothing")
    .addOption(new Option("--on-conflict <mode>", "what to do with a username that exists").choices(["fail", "skip", "update"]))
    .addOption(new Option("--population <id>", "population for rows without population.id").argParser(uuid))
    .addOption(new Option("--format <format>", "the file's format, when its name does not tell").choices(["csv", "ndjson", "jsonl", "json", "ldif"]))
    .option("--errors <file>", "write the error report (CSV) to this file"),
).action(async (file, o) => (process.exitCode = await importCommand(file, o)));

withConnection(program.command("jobs").description("list the environment's recent import jobs").addOption(new Option("--limit <n>", "how many").argParser(positive))).action(
  async (o) => (process.exitCode = await jobsCommand(o)),
);

withConnection(program.command("undo").description("undo an import job: delete the users it created, restore those it updated").argument("<jobID>", "the import job to undo", uuid).option("--errors <file>", "write the undo's report (CSV) to this file")).action(
  async (jobId, o) => (process.exitCode = await undoCommand(jobId, o)),
);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`identity-import: ${err.message}\n`);
    process.exitCode = EXIT_NOT_RUN;
  } else if (err && typeof err === "object" && "exitCode" in err && "code" in err && String(err.code).startsWith("commander.")) {
    // commander has printed its own message (help, a bad option).
    process.exitCode = err.code === "commander.helpDisplayed" || err.code === "commander.version" ? EXIT_OK : EXIT_NOT_RUN;
  } else {
    process.stderr.write(`identity-import: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_NOT_RUN;
  }
}
