/**
 * Structured JSON log lines on stdout. Callers pass only what is safe to keep: never a
 * password, hash, code, secret or token. Errors are reduced by `safeError`, which drops the
 * query text and parameters that Drizzle puts into its error messages.
 */
type Fields = Record<string, unknown>;

function write(level: "info" | "warn" | "error", msg: string, fields: Fields) {
  if (process.env.LOG_LEVEL === "silent") return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields });
  if (level === "error") process.stderr.write(line + "\n");
  else process.stdout.write(line + "\n");
}

export const log = {
  info: (msg: string, fields: Fields = {}) => write("info", msg, fields),
  warn: (msg: string, fields: Fields = {}) => write("warn", msg, fields),
  error: (msg: string, fields: Fields = {}) => write("error", msg, fields),
};

export function safeError(err: unknown): Fields {
  if (!(err instanceof Error)) return { error: typeof err };
  // DrizzleQueryError's own message is "Failed query: <sql> params: <values>": values may be hashes.
  if (err.name === "DrizzleQueryError" && err.cause instanceof Error) {
    const cause = err.cause as Error & { code?: string; constraint_name?: string };
    return { error: "DrizzleQueryError", cause: cause.name, causeMessage: cause.message, sqlState: cause.code };
  }
  return { error: err.name, message: err.message, stack: err.stack?.split("\n").slice(0, 6).join("\n") };
}
