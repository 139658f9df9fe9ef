import fs from "node:fs";
import path from "node:path";

/**
 * The route table as Next.js built it, read from its own build output: `routes-manifest.json`
 * (every route's regex and parameter names, in Next's matching order; redirects; rewrites) and
 * `app-path-routes-manifest.json` (which app entry serves which route). Nothing here reads
 * `app/`: the production bundle (build.mts) and the test harness both take their routes from
 * this, so neither can disagree with Next about which route a path reaches.
 *
 * Only the parts of Next's routing that this project uses are accepted; anything else (a
 * conditional rewrite, afterFiles or fallback rewrites, a basePath) is refused when the table
 * is read, so that the fast path can never silently route differently from Next.
 */
export type TableRoute = {
  /** Next's page, e.g. `/environments/[envID]/users`. */
  page: string;
  regex: string;
  /** Parameter names in the order of the regex's capture groups. */
  keys: string[];
  /** Those of `keys` that are catch-all segments (`[...x]`, `[[...x]]`): arrays of segments. */
  catchAll: string[];
  /** A route handler (route.ts) or a page rendered by Next. */
  kind: "route" | "page";
  /** Source file of a route handler, relative to the project root. */
  file?: string;
};

export type TableRewrite = { regex: string; keys: string[]; destination: string; caseSensitive: boolean };
export type TableRedirect = TableRewrite & { statusCode: number };
export type RouteTable = { routes: TableRoute[]; rewrites: TableRewrite[]; redirects: TableRedirect[] };

type ManifestRoute = { page: string; regex: string; routeKeys?: Record<string, string> };
type ManifestRewrite = { source: string; destination: string; regex: string; has?: unknown; missing?: unknown; statusCode?: number; permanent?: boolean };
type RoutesManifest = {
  version: number;
  basePath: string;
  caseSensitive: boolean;
  redirects: ManifestRewrite[];
  rewrites: ManifestRewrite[] | { beforeFiles: ManifestRewrite[]; afterFiles: ManifestRewrite[]; fallback: ManifestRewrite[] };
  staticRoutes: ManifestRoute[];
  dynamicRoutes: ManifestRoute[];
};

/** Route handlers that stay with Next.js: Auth.js reads Next's request-scoped APIs. */
export const NEXT_ONLY_ROUTES: readonly string[] = ["/api/auth/[...nextauth]"];

const SOURCE_EXTENSIONS = [".ts", ".tsx", ".js", ".mjs", ".jsx"];

export function readRouteTable(root: string, distDir = process.env.NEXT_DIST_DIR || ".next"): RouteTable {
  const dist = path.resolve(root, distDir);
  const manifestPath = path.join(dist, "routes-manifest.json");
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`${path.relative(root, manifestPath)} is missing: run \`npm run build\` (or \`next build\`) first.`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as RoutesManifest;
  const appPaths = JSON.parse(fs.readFileSync(path.join(dist, "app-path-routes-manifest.json"), "utf8")) as Record<string, string>;
  if (manifest.version !== 3) throw new Error(`routes-manifest.json version ${manifest.version} is not supported (expected 3)`);
  if (manifest.basePath) throw new Error("a basePath is not supported by the API fast path");

  const entryOf = new Map<string, string>();
  for (const [entry, page] of Object.entries(appPaths)) entryOf.set(page, entry);

  const routes: TableRoute[] = [...manifest.staticRoutes, ...manifest.dynamicRoutes].map((r) => {
    const entry = entryOf.get(r.page);
    const kind = entry?.endsWith("/route") ? "route" : "page";
    const keys = Object.keys(r.routeKeys ?? {}).map((k) => r.routeKeys![k]!.replace(/^nxtP/, ""));
    const catchAll = [...r.page.matchAll(/\[\[?\.\.\.([^\]]+)\]\]?/g)].map((m) => m[1]!);
    return { page: r.page, regex: r.regex, keys, catchAll, kind, ...(kind === "route" ? { file: sourceFile(root, entry!) } : {}) };
  });

  const rewriteGroups = Array.isArray(manifest.rewrites) ? { beforeFiles: [], afterFiles: manifest.rewrites, fallback: [] } : manifest.rewrites;
  if (rewriteGroups.afterFiles.length || rewriteGroups.fallback.length) {
    throw new Error("afterFiles and fallback rewrites are not supported by the API fast path: use beforeFiles rewrites");
  }
  const rewrites = rewriteGroups.beforeFiles.map((r) => simple(r, manifest.caseSensitive));
  const redirects = manifest.redirects.map((r) => ({ ...simple(r, manifest.caseSensitive), statusCode: r.statusCode ?? (r.permanent ? 308 : 307) }));
  return { routes, rewrites, redirects };
}

/** A rewrite or redirect from a plain path pattern to a plain path, which is all the fast path applies. */
function simple(r: ManifestRewrite, caseSensitive: boolean): TableRewrite {
  if (r.has || r.missing) throw new Error(`${r.source}: conditional rewrites and redirects are not supported by the API fast path`);
  if (!r.destination.startsWith("/") || r.destination.includes("?")) {
    throw new Error(`${r.source}: only same-origin destinations without a query are supported by the API fast path`);
  }
  const keys = [...r.source.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return { regex: r.regex, keys, destination: r.destination, caseSensitive };
}

function sourceFile(root: string, entry: string): string {
  for (const ext of SOURCE_EXTENSIONS) {
    const file = path.join("app", entry + ext);
    if (fs.existsSync(path.join(root, file))) return file;
  }
  throw new Error(`app${entry}: no source file; the build output is older than app/ (run \`npm run build\`)`);
}
