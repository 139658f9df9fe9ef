import fs from "node:fs";
import path from "node:path";

/**
 * The API's route table, read from the `app/` tree the way Next.js reads it: a folder per
 * segment, `[name]` for a parameter, static segments before dynamic ones. Used by the
 * production server's API fast path (at build time) and by the test harness, so neither keeps
 * a second hand-written list of routes.
 */
export type RouteFile = { pattern: string; names: string[]; catchAll: string[]; file: string; staticSegments: number };

export function discoverRouteFiles(appDir: string, under: string[] = []): RouteFile[] {
  const out: RouteFile[] = [];
  const walk = (dir: string, segs: string[]) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), [...segs, e.name]);
      else if (e.name === "route.ts") {
        const names: string[] = [];
        const catchAll: string[] = [];
        const parts = segs
          .filter((s) => !/^\(.*\)$/.test(s))
          .map((s) => {
            const all = s.match(/^\[\.\.\.(.+)\]$/);
            if (all) {
              names.push(all[1]!);
              catchAll.push(all[1]!);
              return "(.+)";
            }
            const m = s.match(/^\[(.+)\]$/);
            if (m) {
              names.push(m[1]!);
              return "([^/]+)";
            }
            return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          });
        out.push({
          pattern: `^/${parts.join("/")}/?$`,
          names,
          catchAll,
          file: path.join(dir, e.name),
          staticSegments: segs.filter((s) => !s.startsWith("[")).length,
        });
      }
    }
  };
  walk(path.join(appDir, ...under), under);
  // Catch-all routes last, then more static segments first.
  const catchAll = (r: RouteFile) => (r.pattern.includes("(.+)") ? 1 : 0);
  return out.sort((a, b) => catchAll(a) - catchAll(b) || b.staticSegments - a.staticSegments);
}

/** next.config.ts rewrites /v1/environments/... onto /environments/...: the same here. */
export function stripV1(pathname: string): string {
  if (pathname === "/v1/roles" || pathname.startsWith("/v1/roles/")) return pathname.slice(3);
  return pathname === "/v1/environments" || pathname.startsWith("/v1/environments/") ? pathname.slice(3) : pathname;
}

/**
 * A matched route's params as Next.js hands them to a route handler: a catch-all segment is an
 * array of decoded segments, any other a decoded string. Throws URIError on a malformed escape.
 */
export function routeParams(
  route: { names: string[]; catchAll?: readonly string[] },
  match: RegExpMatchArray,
): Record<string, string | string[]> {
  return Object.fromEntries(
    route.names.map((n, i) => {
      const raw = match[i + 1]!;
      return [n, route.catchAll?.includes(n) ? raw.split("/").map(decodeURIComponent) : decodeURIComponent(raw)];
    }),
  );
}
