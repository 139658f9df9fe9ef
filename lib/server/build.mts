// Bundles the production server (lib/server/main.ts) with the API's route handlers into
// .next/identity-import/server.mjs. Runs after `next build` (see package.json "build"), with tsx.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { NEXT_ONLY_ROUTES, readRouteTable } from "./route-table";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const distDir = process.env.NEXT_DIST_DIR || ".next";

// Next's own route table, from the build that just ran. Every route handler is bundled for the
// fast path except those that need Next's request-scoped APIs; pages stay in the table without
// a module, so that matching keeps Next's order and hands them to Next.js.
const table = readRouteTable(root, distDir);
const fast = table.routes.filter((r) => r.kind === "route" && !NEXT_ONLY_ROUTES.includes(r.page));

const virtualRoutes: Plugin = {
  name: "api-routes",
  setup(b) {
    b.onResolve({ filter: /^virtual:api-routes$/ }, () => ({ path: "api-routes", namespace: "virtual" }));
    b.onLoad({ filter: /.*/, namespace: "virtual" }, () => ({
      resolveDir: root,
      loader: "ts",
      contents:
        fast.map((r, i) => `import * as m${i} from ${JSON.stringify("./" + r.file)};`).join("\n") +
        `\nexport const apiRoutes = {\n  routes: [\n` +
        table.routes.map((r) => `    { ...${JSON.stringify(r)}${fast.includes(r) ? `, module: m${fast.indexOf(r)}` : ""} },`).join("\n") +
        `\n  ],\n  rewrites: ${JSON.stringify(table.rewrites)},\n  redirects: ${JSON.stringify(table.redirects)},\n};\n`,
    }));
  },
};

await build({
  // Split at dynamic imports, so that the cluster's supervisor (main.ts) loads none of the
  // application and a lean worker never loads Next.js.
  entryPoints: { server: path.join(root, "lib/server/main.ts") },
  outdir: path.join(root, distDir, "identity-import"),
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  // `server-only` guards against client bundles; this bundle is server code by definition.
  alias: { "server-only": path.join(root, "lib/server/server-only-marker.ts") },
  tsconfig: path.join(root, "tsconfig.json"),
  plugins: [virtualRoutes],
  sourcemap: true,
  logLevel: "warning",
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
// The password checker processes (lib/passwords/checks.ts) and the bulk parser thread
// (lib/bulk/upload-chunks.ts) need plain JavaScript entries (lib/server/entries.ts).
const entries = { "password-checker.mjs": "lib/passwords/check-process.ts", "bulk-parser.mjs": "lib/bulk/parser-thread.ts" };
for (const [outfile, entry] of Object.entries(entries)) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, distDir, "identity-import", outfile),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    tsconfig: path.join(root, "tsconfig.json"),
    sourcemap: true,
    logLevel: "warning",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
console.log(`server bundle: ${distDir}/identity-import/server.mjs (${fast.length} API routes on the fast path), ${Object.keys(entries).join(" and ")}`);
