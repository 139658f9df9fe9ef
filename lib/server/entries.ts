import { existsSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "@/lib/passwords/settings";

/**
 * A plain JavaScript entry that lib/server/build.mts bundled beside the production server (the
 * password checker processes, the bulk parser thread), under that server and `next start`; null
 * under Vitest, `next dev` and scripts, which run such entries from the sources, as a bundle
 * there may be stale.
 */
export function bundledEntry(name: string): string | null {
  const bundled = path.join(projectRoot(), process.env.NEXT_DIST_DIR || ".next", "identity-import", name);
  const production = process.env.IDENTITY_IMPORT_SERVER === "1" || process.env.NODE_ENV === "production";
  return production && existsSync(bundled) ? bundled : null;
}
