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
const REDACT = [
  ...SECRET_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`]),
  ...SECRET_FIELDS.map((f) => `*.*["${f}"]`),
];

function createLogger() {
  return pino({
    level: process.env.LOG_LEVEL || "info",
    base: undefined,
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: "[redacted]" },
  });
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
  if (err.name === "DrizzleQueryError" && err.cause instanceof Error) {
    const cause = err.cause as Error & { code?: string; constraint_name?: string };
    return { error: "DrizzleQueryError", cause: cause.name, causeMessage: cause.message, sqlState: cause.code };
  }
  return { error: err.name, message: err.message, stack: err.stack?.split("\n").slice(0, 6).join("\n") };
}
