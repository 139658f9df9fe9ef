import { ENCODED_SEPARATOR } from "@/lib/api/http";
import { noteRequest } from "@/lib/api/request-notes";
import { API_SECURITY_HEADERS } from "./security-headers";
import type { TableRedirect, TableRewrite, TableRoute } from "./route-table";

/**
 * The API's dispatcher: a standard Request in, a Response out (or null: not ours, Next.js
 * answers it). It routes by Next's own route table (route-table.ts: same regexes, same order,
 * the same redirects and rewrites from next.config.ts) and calls the very route modules Next
 * serves. Used by the production server's fast path (main.ts) and by the test harness; it
 * loads nothing of Next.js, so a lean API process can use it as it is.
 *
 * What every API request gets (rate limits, security headers, the log line, HEAD, OPTIONS and
 * 405) is not added here but by the route modules themselves (`route()` and `otherMethods()`
 * in lib/api/http.ts), so that it holds the same under `next start` and `next dev`.
 */
export type RouteModule = Record<string, unknown>;
export type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[] | undefined>> }) => Promise<Response> | Response;
export type DispatchRoute = TableRoute & { module?: RouteModule | (() => Promise<RouteModule>) };
export type DispatchTable = { routes: DispatchRoute[]; rewrites: TableRewrite[]; redirects: TableRedirect[] };

type Compiled<T> = T & { re: RegExp };

export function createDispatcher(table: DispatchTable) {
  const routes = table.routes.map((r) => ({ ...r, re: new RegExp(r.regex) }));
  const rewrites = table.rewrites.map((r) => ({ ...r, re: new RegExp(r.regex, r.caseSensitive ? "" : "i") }));
  const redirects = table.redirects.map((r) => ({ ...r, re: new RegExp(r.regex, r.caseSensitive ? "" : "i") }));
  const loaded = new Map<DispatchRoute, Promise<RouteModule>>();

  const load = (r: DispatchRoute): Promise<RouteModule> => {
    let m = loaded.get(r);
    if (!m) {
      m = typeof r.module === "function" ? r.module() : Promise.resolve(r.module!);
      loaded.set(r, m);
    }
    return m;
  };

  /** The route a canonical pathname reaches after Next's rewrites, or undefined. */
  const resolve = (pathname: string) => {
    const rewritten = applyFirst(rewrites, pathname) ?? pathname;
    for (const r of routes) {
      const m = rewritten.match(r.re);
      if (m) return { route: r, match: m };
    }
    return undefined;
  };

  /**
   * What a canonical path (with its query) leads to: one of our routes, a redirect Next would
   * answer (only towards one of our routes), or null (Next.js answers it: a page, Auth.js).
   */
  const match = (pathWithQuery: string): Target | null => {
    const q = pathWithQuery.indexOf("?");
    const pathname = q >= 0 ? pathWithQuery.slice(0, q) : pathWithQuery;
    const redirect = redirects.find((r) => r.re.test(pathname));
    if (redirect) {
      const location = applyFirst([redirect], pathname)!;
      if (!resolve(location)?.route.module) return null;
      return { kind: "redirect", status: redirect.statusCode, location: location + (q >= 0 ? pathWithQuery.slice(q) : "") };
    }
    const target = resolve(pathname);
    if (!target?.route.module) return null;
    return { kind: "route", route: target.route, match: target.match };
  };

  /** Answers a request that `match` gave a target for. */
  const serve = async (target: Target, request: Request, opts: { clientIp?: string } = {}): Promise<Response> => {
    if (target.kind === "redirect") {
      const to = target.location;
      return new Response(to, { status: target.status, headers: { ...API_SECURITY_HEADERS, location: to, refresh: `0;url=${to}` } });
    }
    let params: Record<string, string | string[] | undefined>;
    try {
      params = routeParams(target.route, target.match);
    } catch {
      return new Response(JSON.stringify({ id: crypto.randomUUID(), code: "INVALID_REQUEST", message: "The URL is not valid: a percent-escape in the path is malformed." }), {
        status: 400,
        headers: { ...API_SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    }
    if (opts.clientIp) noteRequest(request, { clientIp: opts.clientIp });
    const mod = await load(target.route);
    const handler = mod[request.method] as Handler | undefined;
    if (typeof handler !== "function") throw new Error(`${target.route.page}: the module exports no ${request.method} (add otherMethods(), lib/api/http.ts)`);
    return handler(request, { params: Promise.resolve(params) });
  };

  /** match, then serve: a Request in, a Response out, or null for Next.js. */
  const dispatch = async (request: Request, opts: { clientIp?: string } = {}): Promise<Response | null> => {
    const url = new URL(request.url);
    const target = match(url.pathname + url.search);
    return target ? serve(target, request, opts) : null;
  };

  return { match, serve, dispatch };
}

export type Target =
  | { kind: "route"; route: Compiled<DispatchRoute>; match: RegExpMatchArray }
  | { kind: "redirect"; status: number; location: string };

function applyFirst(list: Compiled<TableRewrite>[], pathname: string): string | undefined {
  for (const r of list) {
    const m = pathname.match(r.re);
    if (!m) continue;
    const values = new Map(r.keys.map((k, i) => [k, m[i + 1] ?? ""]));
    return r.destination.replace(/:([A-Za-z0-9_]+)[*+?]?/g, (_, k: string) => values.get(k) ?? "");
  }
  return undefined;
}

/**
 * A matched route's params as Next.js hands them to a route handler: a catch-all segment is an
 * array of decoded segments (undefined when an optional one is empty), any other a decoded
 * string. Throws URIError on a malformed escape.
 */
export function routeParams(route: Pick<TableRoute, "keys" | "catchAll">, match: RegExpMatchArray): Record<string, string | string[] | undefined> {
  return Object.fromEntries(
    route.keys.map((k, i) => {
      const raw = match[i + 1];
      if (raw === undefined) return [k, undefined];
      return [k, route.catchAll.includes(k) ? raw.split("/").map(decodeURIComponent) : decodeURIComponent(raw)];
    }),
  );
}

export type NormalisedPath = { kind: "path"; path: string } | { kind: "redirect"; location: string } | { kind: "refused" };

/**
 * The one normalisation of a request path, done once before routing, rate limiting and logging
 * (security review F7): dot segments (`.`, `..`, `%2e`) are resolved as URL parsers and Next.js
 * resolve them, so `/x/../environments/…` IS `/environments/…` with its limits; repeated
 * slashes are redirected to the single-slash path (Next's own answer, 308); a backslash, NUL or
 * an encoded slash, backslash or NUL (`%2F`, `%5C`, `%00`) is refused, since no identifier of this API holds one
 * and such a segment would mean one thing to a proxy and another to a router.
 */
export function normalisePath(rawPath: string): NormalisedPath {
  const q = rawPath.indexOf("?");
  const pathOnly = q >= 0 ? rawPath.slice(0, q) : rawPath;
  const query = q >= 0 ? rawPath.slice(q) : "";
  if (ENCODED_SEPARATOR.test(pathOnly) || /[\\\0]/.test(pathOnly)) return { kind: "refused" };
  const withSlash = pathOnly.startsWith("/") ? pathOnly : `/${pathOnly}`;
  const collapsed = withSlash.replace(/\/{2,}/g, "/");
  const resolved = new URL(collapsed, "http://n").pathname;
  if (collapsed !== withSlash) return { kind: "redirect", location: resolved + query };
  return { kind: "path", path: resolved + query };
}
