import "server-only";
import { ApiError, asApiError, invalidRequest, newErrorId, notFound } from "./errors";
import { log, safeError } from "@/lib/log";
import { hitLimit, requestLimited, type LimitName } from "@/lib/rate-limit";
import { API_SECURITY_HEADERS, HSTS, isHttps } from "@/lib/server/security-headers";
import { noteRequest, requestNotes } from "./request-notes";

export const MAX_BODY_BYTES = 64 * 1024;

type RouteContext<P> = { params: Promise<P> };
type Handler = (req: Request, ctx: RouteContext<never>) => Promise<Response>;

export type RouteOptions = {
  /**
   * Limits counted for each request to this handler, keyed by the caller's address. Bound to
   * the handler, not to a path pattern, so no spelling of the path can skip them (security
   * review F7). Default: the API's per-IP limit; the token endpoint adds its own; probes none.
   */
  limits?: LimitName[];
};

/**
 * Wraps a route handler; every API handler goes through it, under our server's fast path, the
 * test harness and `next start` / `next dev` alike. Before the handler: the rate limits, and
 * an encoded slash in the path refused. After: every thrown ApiError becomes PingOne's error
 * envelope (and a database that cannot be reached a 503 with Retry-After, lib/api/errors.ts),
 * anything else a 500 UNEXPECTED_ERROR whose id is also in the log; the API's
 * security headers; one log line for the request. No handler builds an error body itself.
 */
export function route<P>(fn: (req: Request, params: P) => Promise<Response>, options: RouteOptions = {}) {
  const limits = options.limits ?? ["apiPerIp"];
  return async (req: Request, ctx: RouteContext<P>): Promise<Response> => {
    const started = performance.now();
    let res: Response;
    try {
      if (ENCODED_SEPARATOR.test(new URL(req.url).pathname)) throw nonCanonicalPath();
      for (const name of limits) {
        const r = await hitLimit(name, clientIpOf(req));
        if (!r.allowed) throw requestLimited(r.retryAfterSeconds);
      }
      res = await fn(req, await ctx.params);
    } catch (err) {
      res = errorResponse(err, req);
    }
    res = withApiHeaders(res, req);
    logRequest(req, res.status, started);
    return res;
  };
}

const HTTP_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"] as const;
type Method = (typeof HTTP_METHODS)[number];

/**
 * The methods a route module does not implement itself, answered as Next.js would but through
 * route(): HEAD is GET without a body, OPTIONS is 204 with `Allow`, any other method 405 in
 * PingOne's envelope with `Allow`. Each API route module exports them
 * (`export const { HEAD, OPTIONS, PUT, PATCH, DELETE } = otherMethods({ GET, POST })`), so that
 * Next.js finds every method implemented and never answers with its own bare 405.
 */
export function otherMethods(implemented: Partial<Record<Method, unknown>>): Record<Method, Handler> {
  const made = (m: Method, h: Handler) => {
    GENERATED.add(h);
    out[m] = h;
  };
  const has = (m: Method) => typeof implemented[m] === "function";
  const allowed = HTTP_METHODS.filter((m) => has(m) || m === "OPTIONS" || (m === "HEAD" && has("GET")));
  const allow = [...allowed].sort().join(", ");
  const get = implemented.GET as Handler | undefined;
  const out = {} as Record<Method, Handler>;
  for (const m of HTTP_METHODS) {
    if (has(m)) out[m] = implemented[m] as Handler;
    else if (m === "HEAD" && get) {
      made("HEAD", async (req, ctx) => {
        const res = await get(req, ctx);
        await res.body?.cancel();
        return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
      });
    } else if (m === "OPTIONS") {
      made("OPTIONS", route(async () => new Response(null, { status: 204, headers: { allow } })) as Handler);
    } else {
      const use = allowed.filter((a) => a !== "OPTIONS" && a !== "HEAD").join(" or ");
      made(m, route(async (req) => {
        throw new ApiError(405, "INVALID_REQUEST", `${req.method} is not allowed on this resource: use ${use}.`, undefined, { allow });
      }) as Handler);
    }
  }
  return out;
}

const GENERATED = new WeakSet<object>();

/** The methods a route module implements itself (what the API reference documents), not those otherMethods() answers. */
export function implementedMethods(mod: Record<string, unknown>): Method[] {
  return HTTP_METHODS.filter((m) => typeof mod[m] === "function" && !GENERATED.has(mod[m] as object));
}

/** Any other path under an API prefix: the API's 404 envelope, never an HTML page. For the catch-all routes. */
export const unknownApiPath = otherMethods({
  GET: route(async () => {
    throw notFound("No such resource: check the path against the API reference.");
  }),
});
for (const m of HTTP_METHODS) if (m !== "GET" && m !== "HEAD") unknownApiPath[m] = unknownApiPath.GET;

/** A path segment holding an encoded slash, backslash or NUL: no identifier here has one (security review F7). */
export const ENCODED_SEPARATOR = /%(2f|5c|00)/i;

export function nonCanonicalPath(): ApiError {
  return notFound("No such resource: the path holds an encoded slash, backslash or NUL.");
}

function withApiHeaders(res: Response, req: Request): Response {
  const extra: Record<string, string> = { ...API_SECURITY_HEADERS };
  if (isHttps(req.headers.get("x-forwarded-proto"))) extra["strict-transport-security"] = HSTS;
  try {
    for (const [k, v] of Object.entries(extra)) if (!res.headers.has(k)) res.headers.set(k, v);
    return res;
  } catch {
    // Immutable headers (a Response from fetch): copy them into a new one.
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(extra)) if (!headers.has(k)) headers.set(k, v);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}

/**
 * One JSON line per API request, when its handler has answered: method, path (never the query
 * string, which may hold a filter on emails), status, duration, the caller's address, the actor
 * and the error envelope's id. Headers are not logged, so neither is any Authorization or Cookie.
 */
function logRequest(req: Request, status: number, started: number) {
  const notes = requestNotes(req);
  if (notes?.logged) return;
  noteRequest(req, { logged: true });
  log.info("request", {
    method: req.method,
    path: new URL(req.url).pathname,
    status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    ip: clientIpOf(req),
    ...(notes?.actor ? { actor: `${notes.actor.type}:${notes.actor.id}` } : {}),
    ...(notes?.errorId ? { errorId: notes.errorId, errorCode: notes.errorCode } : {}),
  });
}

/** TRUST_PROXY=true (or 1): a load balancer in front sets the X-Forwarded-* headers. */
export function trustProxy(): boolean {
  return process.env.TRUST_PROXY === "true" || process.env.TRUST_PROXY === "1";
}

/**
 * The caller's address, the key of the per-IP limits: the socket's peer as our server saw it
 * (noted by the dispatcher); with TRUST_PROXY, the address the balancer appended last to
 * X-Forwarded-For (earlier entries are the client's own claims and could be forged to dodge a
 * limit). Under `next start` / `next dev` there is no socket to see: Next.js puts the peer into
 * X-Forwarded-For unless the client sent one, so run the production server or a proxy there.
 */
export function clientIpOf(req: Request): string {
  const noted = requestNotes(req)?.clientIp;
  if (noted) return noted;
  const list = (req.headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (!list.length) return "unknown";
  return trustProxy() ? list[list.length - 1]! : list[0]!;
}

export function errorResponse(err: unknown, req?: Request): Response {
  const id = newErrorId();
  const path = req ? new URL(req.url).pathname : undefined;
  const known = asApiError(err);
  if (req) noteRequest(req, { errorId: id, errorCode: known ? known.code : "UNEXPECTED_ERROR" });
  if (known) {
    if (known === err) log.info("request failed", { errorId: id, status: known.status, code: known.code, method: req?.method, path });
    else log.warn("request failed: database unavailable", { errorId: id, status: known.status, code: known.code, method: req?.method, path, ...safeError(err) });
    return json(known.toBody(id), known.status, known.headers);
  }
  log.error("unexpected error", { errorId: id, method: req?.method, path, ...safeError(err) });
  return json(
    { id, code: "UNEXPECTED_ERROR", message: "An unexpected error occurred. Quote the id when reporting it." },
    500,
  );
}

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The media type without parameters, lower-cased; a charset other than UTF-8 is refused. */
export function mediaType(req: Request): string | null {
  const raw = req.headers.get("content-type");
  if (!raw) return null;
  const [type, ...params] = raw.split(";");
  for (const p of params) {
    const [k, v] = p.split("=").map((s) => s.trim().toLowerCase());
    if (k === "charset" && v && v.replace(/"/g, "") !== "utf-8" && v.replace(/"/g, "") !== "utf8") {
      throw new ApiError(415, "INVALID_REQUEST", "Only the UTF-8 charset is supported.");
    }
  }
  return type!.trim().toLowerCase();
}

/** Reads the body as UTF-8 text, refusing more than `limit` bytes without buffering them all. */
export async function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.");
  }
}

function tooLarge(limit: number) {
  const message = `The request body exceeds the limit of ${limit / 1024} KB.`;
  return new ApiError(413, "INVALID_REQUEST", message, [{ code: "SIZE_LIMIT_EXCEEDED", message }]);
}

/** Parses a JSON body; malformed JSON is INVALID_REQUEST as PingOne answers it. */
export async function readJson(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text.trim() === "") throw invalidRequest("The request body is empty: send a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest("The request body is not valid JSON.");
  }
}

/**
 * This server's own origin, for links when nothing else is configured: its listen address
 * (HOST, PORT), `localhost` when it listens on every interface; the address the start-up banner
 * prints.
 */
export function ownOrigin(): string {
  let host = process.env.HOST || process.env.HOSTNAME_BIND || "";
  if (!host || host === "0.0.0.0" || host === "::") host = "localhost";
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  return `http://${host}:${process.env.PORT || 3000}`;
}

/**
 * The origin clients reach this API at, for `_links`, `Location` and the token's `iss`:
 * PUBLIC_URL when set; behind a proxy (TRUST_PROXY) the X-Forwarded-Proto / X-Forwarded-Host
 * (else Host) it sends; otherwise this server's own address. Host and X-Forwarded-* are a
 * client's say-so and are never used without TRUST_PROXY (security review F13): a shared cache
 * in front could otherwise keep a link to any host a client named.
 */
export function publicOrigin(req: Request): string {
  const fromEnv = process.env.PUBLIC_URL?.replace(/\/+$/, "");
  if (fromEnv) return fromEnv;
  if (!trustProxy()) return ownOrigin();
  const url = new URL(req.url);
  const first = (name: string) => req.headers.get(name)?.split(",")[0]?.trim() || undefined;
  const proto = first("x-forwarded-proto") ?? url.protocol.replace(":", "");
  const host = first("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  return `${proto}://${host}`;
}

/** Absolute base of the API for links: publicOrigin, with /v1 when the request came under /v1. */
export function apiBase(req: Request): string {
  return publicOrigin(req) + (new URL(req.url).pathname.startsWith("/v1/") ? "/v1" : "");
}
