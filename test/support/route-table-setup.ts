/**
 * The in-process harness routes by Next's route table (test/support/app.ts), which `next build`
 * writes. Without any build output yet (a fresh clone, `npm run test:fast`), build once first.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export default function setup() {
  const root = path.resolve(import.meta.dirname, "../..");
  const manifest = path.join(root, process.env.NEXT_DIST_DIR || ".next", "routes-manifest.json");
  if (fs.existsSync(manifest)) return;
  process.stderr.write("No Next.js build output yet: running `next build` once for the route table...\n");
  execFileSync(path.join(root, "node_modules/.bin/next"), ["build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
}
