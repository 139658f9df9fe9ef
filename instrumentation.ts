/**
 * Runs once when the server process starts: migrate, create the first administrator on an
 * empty database, print the credentials once, then only the URL on later starts.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Under our production server (lib/server/main.ts) start-up has already run.
  if (process.env.IDENTITY_IMPORT_SERVER === "1") return;
  const { startup } = await import("./lib/bootstrap/startup");
  await startup();
}
