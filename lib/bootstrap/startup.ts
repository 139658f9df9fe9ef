import "server-only";
import { bootstrap, firstStartBanner } from "./index";
import { databaseDriver, getDb } from "@/db";
import { log, safeError } from "@/lib/log";
import { passwordSettings } from "@/lib/passwords";
import { backfillPasswordSchemes } from "@/lib/migration";

export async function startup(opts: { announce?: boolean } = {}): Promise<void> {
  const port = process.env.PORT || "3000";
  const baseUrl = (process.env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, "");
  try {
    // A malformed PASSWORD_* setting stops the start, rather than the first password check.
    passwordSettings();
    await getDb();
    const result = await bootstrap();
    // Rows stored before password_scheme existed (migration 0004): classified once, here.
    const classified = await backfillPasswordSchemes(await getDb());
    if (classified) log.info("password schemes recorded for existing users", { users: classified });
    if (result.created) process.stdout.write(firstStartBanner(result, baseUrl) + "\n");
    if (opts.announce !== false) process.stdout.write(`identity-import ready on ${baseUrl} (database: ${databaseDriver() === "postgres" ? "PostgreSQL" : "embedded PGlite"})\n`);
  } catch (err) {
    log.error("startup failed", safeError(err));
    throw err;
  }
}
