import pino from "pino";

/**
 * Structured JSON log lines (pino) on stdout: one object per line with `level`, `time` (ISO)
 * and `msg`. Callers pass only what is safe to keep: never a password, hash, code, secret or
 * token. As a second line of defence, fields with a secret's name are censored whatever their
 * depth (see REDACT). Errors are reduced by `safeError`, which drops the query text and
 * parameters that Drizzle puts into its error messages. LOG_LEVEL: trace ... fatal, or silent.
 */
type Fields = Record<string, unknown>;

const SECRET_FIELDS = [
  "password", "passwordHash", "newPassword", "currentPassword", "value", "secret", "clientSecret", "client_secret",
  "token", "access_token", "accessToken", "refresh_token", "authorization", "cookie", "set-cookie",
  "verificationCode", "codeHash", "hash",
];
// Top level and one level down: log calls pass flat objects, and every extra wildcard level
// costs measurable CPU on each request line.
const REDACT = SECRET_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`]);

function createLogger() {
  // Buffered, asynchronous writes: one write(2) per request line cost a fifth of an import's CPU
  // under load. The buffer is flushed every 200 ms and synchronously when the process exits.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 8 * 1024 });
  setInterval(() => destination.flush(), 200).unref();
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // nothing left to do at exit
    }
  });
  return pino({
    level: process.env.LOG_LEVEL || "info",
    base: undefined,
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: "[redacted]" },
  }, destination);
}

// One logger per process, also across dev-mode module reloads.
const globalForLog = globalThis as unknown as { __identityImportLog?: pino.Logger };
function logger(): pino.Logger {
  globalForLog.__identityImportLog ??= createLogger();
  return globalForLog.__identityImportLog;
}

export const log = {
  info: (msg: string, fields: Fields = {}) => logger().info(fields, msg),
  warn: (msg: string, fields: Fields = {}) => logger().warn(fields, msg),
  error: (msg: string, fields: Fields = {}) => logger().error(fields, msg),
};

export function safeError(err: unknown): Fields {
  if (!(err instanceof Error)) return { error: typeof err };
  // DrizzleQueryError's own message is "Failed query: <sql> params: <values>": values may be hashes.
  // Its name is plain "Error" (drizzle-orm 0.45 does not set it), so it is known by its message.
  if ((err.name === "DrizzleQueryError" || err.message.startsWith("Failed query: ")) && err.cause instanceof Error) {
    const cause = err.cause as Error & { code?: string; constraint_name?: string };
    return { error: "DrizzleQueryError", cause: cause.name, causeMessage: cause.message, sqlState: cause.code };
  }
  return { error: err.name, message: err.message, stack: err.stack?.split("\n").slice(0, 6).join("\n") };
}
