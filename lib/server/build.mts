// Bundles the production server (lib/server/main.ts) with the API's route handlers into
// .next/identity-import/server.mjs. Runs after `next build` (see package.json "build"), with tsx.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { discoverRouteFiles } from "./routes";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const distDir = process.env.NEXT_DIST_DIR || ".next";

// The API routes, read from app/ like Next.js reads them (see routes.ts).
// Only the API: console pages, server actions and Auth.js stay with Next.js.
// Also the operators' probes, the OpenAPI document and the role list (issue 6).
const FAST_PATH = ["^/environments", "^/([^/]+)/as/", "^/healthz", "^/readyz", "^/openapi\\.json", "^/roles"];
const routes = discoverRouteFiles(path.join(root, "app")).filter((r) => FAST_PATH.some((p) => r.pattern.startsWith(p)));

const virtualRoutes: Plugin = {
  name: "api-routes",
  setup(b) {
    b.onResolve({ filter: /^virtual:api-routes$/ }, () => ({ path: "api-routes", namespace: "virtual" }));
    b.onLoad({ filter: /.*/, namespace: "virtual" }, () => ({
      resolveDir: root,
      loader: "ts",
      contents:
        routes.map((r, i) => `import * as m${i} from ${JSON.stringify(r.file)};`).join("\n") +
        `\nexport const apiRoutes = [\n` +
        routes.map((r, i) => `  { pattern: new RegExp(${JSON.stringify(r.pattern)}), names: ${JSON.stringify(r.names)}, catchAll: ${JSON.stringify(r.catchAll)}, module: m${i} },`).join("\n") +
        `\n];\n`,
    }));
  },
};

await build({
  entryPoints: [path.join(root, "lib/server/main.ts")],
  outfile: path.join(root, distDir, "identity-import/server.mjs"),
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
// The password checker processes (lib/passwords/checks.ts) need a plain JavaScript entry.
await build({
  entryPoints: [path.join(root, "lib/passwords/check-process.ts")],
  outfile: path.join(root, distDir, "identity-import/password-checker.mjs"),
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
console.log(`server bundle: ${distDir}/identity-import/server.mjs (${routes.length} API routes) and password-checker.mjs`);
