/**
 * The production server (`npm start`): Next.js for the console, and the API's route handlers
 * served straight from Node's HTTP server through the dispatcher (dispatch.ts), by Next's own
 * route table: the very handlers Next serves, without Next's per-request routing, rendering
 * and tracing machinery, which costs more CPU than an import itself. On PostgreSQL it runs one
 * worker per core (WEB_CONCURRENCY); on the embedded PGlite database exactly one process,
 * since only one process may open its folder.
 */
import cluster from "node:cluster";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { CLIENT_IP_HEADER } from "@/lib/auth/client-ip";
import { errorResponse, nonCanonicalPath, trustProxy } from "@/lib/api/http";
import { requestNotes } from "@/lib/api/request-notes";
import { log } from "@/lib/log";
import { createDispatcher, normalisePath } from "./dispatch";
import { sendResponse, toRequest } from "./node-http";
import { API_SECURITY_HEADERS } from "./security-headers";
import { startBackgroundWork } from "./background";

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
 * The log line of a request that no API handler logged (route() in lib/api/http.ts logs
 * those): console pages, Auth.js, redirects and refusals. Same fields: method, path (never the
 * query string, which may hold a filter on emails), status, duration, caller. Headers are not
 * logged, so neither is any Authorization or Cookie value.
 */
function logRequest(req: http.IncomingMessage, res: http.ServerResponse, path: string, isLogged: () => boolean) {
  const start = performance.now();
  res.once("finish", () => {
    if (isLogged()) return;
    const q = path.indexOf("?");
    log.info("request", {
      method: req.method,
      path: q >= 0 ? path.slice(0, q) : path,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - start) * 10) / 10,
      ip: clientIp(req),
    });
  });
}

/**
 * The caller's address: the socket's peer, or, with TRUST_PROXY=true behind a load balancer,
 * the address that balancer appended last to X-Forwarded-For (earlier entries are the
 * client's own claims and could be forged to dodge a per-IP limit).
 */
function clientIp(req: http.IncomingMessage): string {
  if (trustProxy()) {
    const xff = req.headers["x-forwarded-for"];
    const list = (Array.isArray(xff) ? xff.join(",") : xff ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length) return list[list.length - 1]!;
  }
  return req.socket.remoteAddress ?? "unknown";
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
  // Next's own route table with the API's route modules, bundled by lib/server/build.mts.
  const { apiRoutes } = await import("virtual:api-routes");
  const app = next({ dev: false, dir: ROOT, hostname: "localhost", port });
  const handle = app.getRequestHandler();
  await app.prepare();
  const { match, serve: serveRoute } = createDispatcher(apiRoutes);
  const server = http.createServer((req, res) => {
    // One normalisation, before routing, limits and the log line (security review F7).
    const normal = normalisePath(req.url ?? "/");
    const path = normal.kind === "path" ? normal.path : (req.url ?? "/");
    const seen: { request?: Request } = {};
    logRequest(req, res, path, () => !!(seen.request && requestNotes(seen.request)?.logged));
    if (normal.kind === "refused") {
      void sendResponse(res, withHeaders(errorResponse(nonCanonicalPath())), req.method);
      return;
    }
    if (normal.kind === "redirect") {
      res.writeHead(308, { ...API_SECURITY_HEADERS, location: normal.location, refresh: `0;url=${normal.location}` }).end(normal.location);
      return;
    }
    req.url = normal.path;
    const ip = clientIp(req);
    // The caller's address as this server determined it, for console sign-in throttling under
    // Next.js; always overwritten, so a client cannot choose it.
    req.headers[CLIENT_IP_HEADER] = ip;
    const target = match(normal.path);
    if (!target) {
      void handle(req, res);
      return;
    }
    seen.request = toRequest(req);
    serveRoute(target, seen.request, { clientIp: ip })
      .then((response) => sendResponse(res, response, req.method))
      .catch((err) => {
        process.stderr.write(JSON.stringify({ level: "error", msg: "unhandled request error", error: String(err?.name ?? err) }) + "\n");
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ id: crypto.randomUUID(), code: "UNEXPECTED_ERROR", message: "An unexpected error occurred." }));
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  await startBackgroundWork();
  const { closePasswordChecks } = await import("@/lib/passwords");
  if (cluster.isWorker) process.send?.("listening");
  else announce(1);
  // Exit through process.exit so that buffered log lines are flushed (lib/log.ts). Password
  // checks still waiting get a 503 at once, and running checker processes are stopped, so that a
  // long check never holds the shutdown.
  const stop = () => {
    setTimeout(() => process.exit(0), 5000).unref();
    void closePasswordChecks().catch(() => {});
    server.close(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function withHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) response.headers.set(k, v);
  return response;
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
