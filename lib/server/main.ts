/**
 * The production server (`npm start`): Next.js for the console, and the API's route handlers
 * served directly by Node (see api-adapter.ts). On PostgreSQL it runs one worker per core
 * (WEB_CONCURRENCY); on the embedded PGlite database exactly one process, since only one
 * process may open its folder.
 */
import cluster from "node:cluster";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { clientIp, createApiAdapter, responseNotes } from "./api-adapter";
import { CLIENT_IP_HEADER } from "@/lib/auth/client-ip";
import { log } from "@/lib/log";
import { stripV1 } from "./routes";

// The bundle lives in .next/identity-import/: the project root is two folders up.
const ROOT = process.env.IDENTITY_IMPORT_ROOT ?? path.resolve(import.meta.dirname, "../..");
process.env.IDENTITY_IMPORT_ROOT = ROOT;
const port = Number(process.env.PORT || 3000);
const hostname = process.env.HOST || process.env.HOSTNAME_BIND || "0.0.0.0";

function workerCount(): number {
  if (!process.env.DATABASE_URL) return 1;
  const configured = Number(process.env.WEB_CONCURRENCY);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return Math.max(1, os.availableParallelism());
}

async function primary() {
  process.env.IDENTITY_IMPORT_SERVER = "1";
  // Migrate and bootstrap once, before any worker serves, so the banner is printed once.
  const { startup } = await import("@/lib/bootstrap/startup");
  const workers = workerCount();
  if (workers === 1) {
    await serve(startup);
    return;
  }
  const { closeDb } = await import("@/db");
  await startup({ announce: false });
  await closeDb();
  for (let i = 0; i < workers; i++) cluster.fork();
  let ready = 0;
  cluster.on("message", (_w, msg) => {
    if (msg === "listening" && ++ready === workers) announce(workers);
  });
  cluster.on("exit", (w, code, signal) => {
    if (shuttingDown) return;
    process.stderr.write(`worker ${w.process.pid} exited (${signal ?? code}); starting another\n`);
    cluster.fork();
  });
  const stop = () => {
    shuttingDown = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    setTimeout(() => process.exit(0), 5000).unref();
    cluster.disconnect(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

let shuttingDown = false;

/**
 * One JSON line per request, API and console alike, when the response is finished: method,
 * path (never the query string, which may hold a filter on emails), status, duration, the
 * actor and the error envelope's id when the API handler noted them. Headers are not logged,
 * so neither is any Authorization or Cookie value.
 */
function logRequest(req: http.IncomingMessage, res: http.ServerResponse) {
  const start = performance.now();
  res.once("finish", () => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const notes = responseNotes(res);
    log.info("request", {
      method: req.method,
      path: q >= 0 ? url.slice(0, q) : url,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - start) * 10) / 10,
      ip: clientIp(req),
      ...(notes?.actor ? { actor: `${notes.actor.type}:${notes.actor.id}` } : {}),
      ...(notes?.errorId ? { errorId: notes.errorId, errorCode: notes.errorCode } : {}),
    });
  });
}

function announce(workers: number) {
  const baseUrl = (process.env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, "");
  const driver = process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite";
  process.stdout.write(`identity-import ready on ${baseUrl} (database: ${driver}, ${workers} worker${workers > 1 ? "s" : ""})\n`);
}

async function serve(startup?: (o?: { announce?: boolean }) => Promise<void>) {
  process.env.IDENTITY_IMPORT_SERVER = "1";
  if (startup) await startup({ announce: false });
  // Loaded here, not at the top: the cluster primary only forks and supervises, and should not
  // carry Next.js and every route module in memory.
  const { default: next } = await import("next");
  // Generated at build time from the app/ tree (lib/server/build.mts).
  const { apiRoutes } = await import("virtual:api-routes");
  const app = next({ dev: false, dir: ROOT, hostname: "localhost", port });
  const handle = app.getRequestHandler();
  await app.prepare();
  const serveApi = createApiAdapter(apiRoutes, stripV1);
  const server = http.createServer((req, res) => {
    logRequest(req, res);
    // The caller's address as this server determined it (TRUST_PROXY rules), for console
    // sign-in throttling under Next.js; always overwritten, so a client cannot choose it.
    req.headers[CLIENT_IP_HEADER] = clientIp(req);
    serveApi(req, res)
      .then((served) => (served ? undefined : handle(req, res)))
      .catch((err) => {
        process.stderr.write(JSON.stringify({ level: "error", msg: "unhandled request error", error: String(err?.name ?? err) }) + "\n");
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ id: crypto.randomUUID(), code: "UNEXPECTED_ERROR", message: "An unexpected error occurred." }));
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  // Every serving process also works bulk import jobs (lib/bulk/worker.ts: leased batches).
  const { startBulkWorker } = await import("@/lib/bulk/worker");
  startBulkWorker();
  // And delivers the email outbox when SMTP_URL is set (lib/verification/sender.ts: leased rows).
  const { startOutboxSender } = await import("@/lib/verification/sender");
  startOutboxSender();
  if (cluster.isWorker) process.send?.("listening");
  else announce(1);
  // Exit through process.exit so that buffered log lines are flushed (lib/log.ts).
  const stop = () => {
    setTimeout(() => process.exit(0), 5000).unref();
    server.close(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (cluster.isPrimary) {
  primary().catch((err) => {
    process.stderr.write(`identity-import failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
} else {
  serve().catch((err) => {
    process.stderr.write(`worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
