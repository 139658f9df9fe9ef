/**
 * One serving process of the production server (main.ts starts them): the API's route handlers
 * straight from Node's HTTP server through the dispatcher (dispatch.ts), by Next's own route
 * table, and, by role:
 * - "full": also Next.js for the console, and the background work (bulk jobs, outbox). The one
 *   process of PGlite or WEB_CONCURRENCY=1.
 * - "console": also Next.js, the background work, and a private socket on which the lean
 *   processes hand it what only Next serves (pages, Auth.js, static files).
 * - "api": lean, no Next.js: API routes and the background work; every other request is handed
 *   to the console process over its socket.
 */
import cluster from "node:cluster";
import fs from "node:fs";
import http from "node:http";
import { CLIENT_IP_HEADER } from "@/lib/auth/client-ip";
import { errorResponse, nonCanonicalPath, trustProxy } from "@/lib/api/http";
import { requestNotes } from "@/lib/api/request-notes";
import { log } from "@/lib/log";
import { createDispatcher, normalisePath } from "./dispatch";
import { sendResponse, toRequest } from "./node-http";
import { API_SECURITY_HEADERS } from "./security-headers";
import { startBackgroundWork } from "./background";
import { announce } from "./announce";

export type Role = "full" | "console" | "api";

const ROOT = () => process.env.IDENTITY_IMPORT_ROOT!;
const port = Number(process.env.PORT || 3000);
const hostname = process.env.HOST || process.env.HOSTNAME_BIND || "0.0.0.0";

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
function clientIp(req: http.IncomingMessage, internal = false): string {
  // Handed over by a lean process of this server, which determined the address itself.
  if (internal) return String(req.headers[CLIENT_IP_HEADER] ?? "unknown");
  if (trustProxy()) {
    const xff = req.headers["x-forwarded-for"];
    const list = (Array.isArray(xff) ? xff.join(",") : xff ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length) return list[list.length - 1]!;
  }
  return req.socket.remoteAddress ?? "unknown";
}


export async function serve(role: Role, startup?: (o?: { announce?: boolean }) => Promise<void>) {
  process.env.IDENTITY_IMPORT_SERVER = "1";
  if (startup) await startup({ announce: false });
  // Next's own route table with the API's route modules, bundled by lib/server/build.mts.
  const { apiRoutes } = await import("virtual:api-routes");
  let handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;
  if (role === "api") {
    handle = proxyTo(consoleSocket());
  } else {
    // Loaded only here: a lean process does not carry Next.js in memory.
    const { default: next } = await import("next");
    const app = next({ dev: false, dir: ROOT(), hostname: "localhost", port });
    handle = app.getRequestHandler();
    await app.prepare();
  }
  const { match, serve: serveRoute } = createDispatcher(apiRoutes);
  const listener = (internal: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    // One normalisation, before routing, limits and the log line (security review F7).
    const normal = normalisePath(req.url ?? "/");
    const path = normal.kind === "path" ? normal.path : (req.url ?? "/");
    const seen: { request?: Request } = {};
    // A request handed over by a lean process was logged there.
    if (!internal) logRequest(req, res, path, () => !!(seen.request && requestNotes(seen.request)?.logged));
    if (normal.kind === "refused") {
      void sendResponse(res, withHeaders(errorResponse(nonCanonicalPath())), req.method);
      return;
    }
    if (normal.kind === "redirect") {
      res.writeHead(308, { ...API_SECURITY_HEADERS, location: normal.location, refresh: `0;url=${normal.location}` }).end(normal.location);
      return;
    }
    req.url = normal.path;
    const ip = clientIp(req, internal);
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
  };
  const server = http.createServer(listener(false));
  server.keepAliveTimeout = 65_000;
  if (role === "console") {
    const socket = consoleSocket();
    fs.rmSync(socket, { force: true });
    const internal = http.createServer(listener(true));
    internal.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => internal.listen({ path: socket, exclusive: true }, resolve));
  }
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  // Every worker works bulk jobs and the outbox: on a two-core machine the job's decisions then
  // run in two processes, as they did before lean workers. One batch at a time in each of
  // several workers (BULK_WORKER_CONCURRENCY overrides): as many batches as cores, each
  // overlapping the other's database time. Two each held twice the rows in every heap, which
  // cost more in garbage collection (and 60 MB more in all) than the overlap gained.
  await startBackgroundWork({ bulkConcurrency: role === "full" ? undefined : Number(process.env.BULK_WORKER_CONCURRENCY) || 1 });
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

/** The console process's private socket (main.ts names it per server). */
function consoleSocket(): string {
  const socket = process.env.IDENTITY_IMPORT_CONSOLE_SOCKET;
  if (!socket) throw new Error("IDENTITY_IMPORT_CONSOLE_SOCKET is not set");
  return socket;
}

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "upgrade"];

/**
 * A lean process hands what only Next.js serves to the console process, streaming both ways.
 * While the console process is (re)starting, the caller gets a 503 with Retry-After.
 */
function proxyTo(socketPath: string) {
  const agent = new http.Agent({ keepAlive: true });
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    const upstream = http.request({ socketPath, agent, method: req.method, path: req.url, headers }, (answer) => {
      const out = { ...answer.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) {
        res.writeHead(503, { ...API_SECURITY_HEADERS, "retry-after": "1", "content-type": "text/plain; charset=utf-8" });
        res.end("The console is starting: try again in a moment.");
      } else res.destroy();
    });
    req.pipe(upstream);
  };
}

function withHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) response.headers.set(k, v);
  return response;
}
