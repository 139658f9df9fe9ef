/** The line that says the server is ready, printed once by whichever process knows it is. */
export function announce(workers: number) {
  const port = Number(process.env.PORT || 3000);
  const baseUrl = (process.env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, "");
  const driver = process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite";
  process.stdout.write(`identity-import ready on ${baseUrl} (database: ${driver}, ${workers} worker${workers > 1 ? "s" : ""})\n`);
}
