import "server-only";
import { bootstrap, firstStartBanner } from "./index";
import { databaseDriver, getDb } from "@/db";
import { isDatabaseUnavailable } from "@/lib/api/errors";
import { log, safeError } from "@/lib/log";
import { passwordSettings } from "@/lib/passwords";
import { backfillPasswordSchemes } from "@/lib/migration";

export async function startup(opts: { announce?: boolean } = {}): Promise<void> {
  const port = process.env.PORT || "3000";
  const baseUrl = (process.env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, "");
  try {
    // A malformed PASSWORD_* setting stops the start, rather than the first password check.
    passwordSettings();
    const result = await waitingForDatabase(async () => {
      await getDb();
      return bootstrap();
    });
    // Rows stored before password_scheme existed (migration 0006): classified once, here.
    const classified = await backfillPasswordSchemes(await getDb());
    if (classified) log.info("password schemes recorded for existing users", { users: classified });
    if (result.created) process.stdout.write(firstStartBanner(result, baseUrl) + "\n");
    if (opts.announce !== false) process.stdout.write(`identity-import ready on ${baseUrl} (database: ${databaseDriver() === "postgres" ? "PostgreSQL" : "embedded PGlite"})\n`);
  } catch (err) {
    log.error("startup failed", safeError(err));
    throw err;
  }
}

/**
 * Runs `work` until the database lets it, for up to DATABASE_STARTUP_WAIT_SECONDS (default 300):
 * a server started before its database (a host booting, a compose file) waits for it instead
 * of exiting, and says so once every few seconds. Any other failure stops the start at once.
 */
async function waitingForDatabase<T>(work: () => Promise<T>): Promise<T> {
  const waitSeconds = Number(process.env.DATABASE_STARTUP_WAIT_SECONDS);
  const deadline = Date.now() + (Number.isFinite(waitSeconds) && waitSeconds >= 0 ? waitSeconds : 300) * 1000;
  let lastSaid = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() >= deadline) throw err;
      if (Date.now() - lastSaid >= 5000) {
        lastSaid = Date.now();
        log.warn("waiting for the database", { attempt, ...safeError(err) });
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
    }
  }
}
