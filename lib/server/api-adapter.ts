import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { randomUUID } from "node:crypto";
import { requestNotes, type RequestNotes } from "@/lib/api/request-notes";
import { hitLimit, requestLimited, type LimitName } from "@/lib/rate-limit";
import { API_CSP, COMMON_SECURITY_HEADERS, HSTS, isHttps } from "./security-headers";
import { routeParams } from "./routes";

export type RouteModule = Record<string, unknown>;
export type ApiRoute = { pattern: RegExp; names: string[]; catchAll: string[]; module: RouteModule };
type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

const BUFFERED_BODY_LIMIT = 1024 * 1024;

/**
 * Serves the API's route handlers straight from Node's HTTP server: the very handlers Next.js
 * serves (same modules, same Request/Response contract), without Next's per-request routing,
 * rendering and tracing machinery, which costs more CPU than an import itself. Returns false
 * for anything that is not an API route, which then goes to Next.js.
 */
export function createApiAdapter(routes: ApiRoute[], stripPrefix: (p: string) => string) {
  return async function serveApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const pathname = stripPrefix(q >= 0 ? rawUrl.slice(0, q) : rawUrl);
    let route: ApiRoute | undefined;
    let match: RegExpMatchArray | null = null;
    for (const r of routes) {
      match = pathname.match(r.pattern);
      if (match) {
        route = r;
        break;
      }
    }
    if (!route || !match) return false;

    for (const [k, v] of Object.entries(securityHeaders(req))) res.setHeader(k, v);

    // Per source IP; the token endpoint has its own, tighter limit. Probes are never limited.
    if (!UNLIMITED.test(pathname)) {
      const limits: LimitName[] = TOKEN_PATH.test(pathname) ? ["apiPerIp", "token"] : ["apiPerIp"];
      for (const name of limits) {
        const r = await hitLimit(name, clientIp(req));
        if (!r.allowed) {
          const id = randomUUID();
          const err = requestLimited(r.retryAfterSeconds);
          notesByResponse.set(res, { errorId: id, errorCode: err.code });
          res.writeHead(429, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...err.headers });
          res.end(JSON.stringify(err.toBody(id)));
          return true;
        }
      }
    }

    const method = req.method ?? "GET";
    const handler = route.module[method] as Handler | undefined;
    if (typeof handler !== "function") {
      const allow = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => typeof route!.module[m] === "function");
      res.writeHead(405, { allow: allow.join(", ") }).end();
      return true;
    }

    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const host = headers.get("host") ?? "localhost";
    const url = `http://${host}${rawUrl}`;

    let body: BodyInit | undefined;
    if (method !== "GET" && method !== "HEAD") {
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared <= BUFFERED_BODY_LIMIT) {
        body = new Uint8Array(await readAll(req));
      } else {
        body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
      }
    }

    let params: Record<string, string | string[]>;
    try {
      params = routeParams(route, match);
    } catch {
      res.writeHead(400, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ id: crypto.randomUUID(), code: "INVALID_REQUEST", message: "The URL is not valid." }));
      return true;
    }
    const request = new Request(url, {
      method,
      headers,
      body,
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    const response = await handler(request, { params: Promise.resolve(params) });
    const notes = requestNotes(request);
    if (notes) notesByResponse.set(res, notes);

    const outHeaders: Record<string, string | string[]> = {};
    response.headers.forEach((v, k) => {
      if (k === "set-cookie") return;
      outHeaders[k] = v;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length) outHeaders["set-cookie"] = cookies;
    const payload = method === "HEAD" || !response.body ? null : Buffer.from(await response.arrayBuffer());
    if (payload) outHeaders["content-length"] = String(payload.byteLength);
    res.writeHead(response.status, outHeaders);
    res.end(payload);
    return true;
  };
}

const TOKEN_PATH = /^\/[^/]+\/as\/token\/?$/;
const UNLIMITED = /^\/(healthz|readyz)\/?$/;

const notesByResponse = new WeakMap<ServerResponse, RequestNotes>();

/** What the API handler noted about the request answered by `res` (actor, error id), for the log line. */
export function responseNotes(res: ServerResponse): RequestNotes | undefined {
  return notesByResponse.get(res);
}

function securityHeaders(req: IncomingMessage): Record<string, string> {
  const h: Record<string, string> = { ...COMMON_SECURITY_HEADERS, "content-security-policy": API_CSP };
  if (isHttps(req.headers["x-forwarded-proto"] as string | undefined)) h["strict-transport-security"] = HSTS;
  return h;
}

/**
 * The caller's address: the socket's peer, or, with TRUST_PROXY=true behind a load balancer,
 * the address that balancer appended last to X-Forwarded-For (earlier entries are the
 * client's own claims and could be forged to dodge a per-IP limit).
 */
export function clientIp(req: IncomingMessage): string {
  if (process.env.TRUST_PROXY === "true" || process.env.TRUST_PROXY === "1") {
    const xff = req.headers["x-forwarded-for"];
    const list = (Array.isArray(xff) ? xff.join(",") : xff ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length) return list[list.length - 1]!;
  }
  return req.socket.remoteAddress ?? "unknown";
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
