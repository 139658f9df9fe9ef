/**
 * Runs once when a Next.js server process starts (`next start`, `next dev`): migrate, create
 * the first administrator on an empty database, print the credentials once, then only the URL
 * on later starts; then work bulk import jobs and the email outbox, as the production server does.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Under our production server (lib/server/main.ts) start-up has already run, and it starts
  // the background work itself.
  if (process.env.IDENTITY_IMPORT_SERVER === "1") return;
  const { startup } = await import("./lib/bootstrap/startup");
  await startup();
  const { startBackgroundWork } = await import("./lib/server/background");
  await startBackgroundWork();
}
