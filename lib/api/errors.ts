import { randomUUID } from "node:crypto";

/** PingOne's detail codes (spec 7): the one list, read by the OpenAPI document. */
export const DETAIL_CODES = [
  "REQUIRED_VALUE",
  "INVALID_VALUE",
  "EMPTY_VALUE",
  "SIZE_LIMIT_EXCEEDED",
  "OUT_OF_RANGE",
  "UNIQUENESS_VIOLATION",
  "INVALID_FILTER",
  "INVALID_TOKEN",
  "INSUFFICIENT_PERMISSIONS",
  "LIMIT_EXCEEDED",
] as const;
export type DetailCode = (typeof DETAIL_CODES)[number];

/** PingOne's top-level error codes (spec 7): the one list, read by the OpenAPI document and the tests. */
export const ERROR_CODES = [
  "INVALID_DATA",
  "INVALID_REQUEST",
  "REQUEST_FAILED",
  "ACCESS_FAILED",
  "NOT_FOUND",
  "REQUEST_LIMITED",
  "SERVICE_UNAVAILABLE",
  "UNEXPECTED_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetail = {
  code: DetailCode;
  target?: string;
  message: string;
  innerError?: Record<string, unknown>;
};

export type ErrorBody = {
  id: string;
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
};

/** An error that knows its HTTP answer. Messages are written for the caller: no internals. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(id: string): ErrorBody {
    return { id, code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export const invalidData = (details: ErrorDetail[], message?: string) =>
  new ApiError(
    400,
    "INVALID_DATA",
    message ?? (details.length === 1 ? details[0]!.message : "The request has invalid data: see details."),
    details,
  );

export const invalidRequest = (message: string, status = 400, details?: ErrorDetail[]) =>
  new ApiError(status, "INVALID_REQUEST", message, details);

export const unauthenticated = (message = "The request could not be authenticated: send a valid bearer token.") =>
  new ApiError(401, "ACCESS_FAILED", message, [{ code: "INVALID_TOKEN", message }], {
    "WWW-Authenticate": 'Bearer realm="identity-import"',
  });

/** 403; `target` names the attribute the refusal is about (population.id for a write into a population). */
export const forbidden = (message = "The actor attempting to perform the request is not authorized.", target?: string) =>
  new ApiError(403, "ACCESS_FAILED", message, [{ code: "INSUFFICIENT_PERMISSIONS", ...(target ? { target } : {}), message }]);

export const notFound = (message = "The requested resource was not found.") =>
  new ApiError(404, "NOT_FOUND", message);

export const requestFailed = (message: string, details?: ErrorDetail[]) =>
  new ApiError(400, "REQUEST_FAILED", message, details);

/**
 * 503 SERVICE_UNAVAILABLE with Retry-After (spec 7): a dependency (the database, an external
 * directory, the password-check workers) cannot serve the request now; the client may retry.
 */
export const serviceUnavailable = (message: string, retryAfterSeconds = 5) =>
  new ApiError(503, "SERVICE_UNAVAILABLE", message, undefined, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/** The same error, its details naming `target` (a domain function says which attribute a refusal is about). */
export function withTarget(err: ApiError, target: string): ApiError {
  return new ApiError(err.status, err.code, err.message, err.details?.map((d) => ({ ...d, target })), err.headers);
}

export function uniquenessViolation(innerError?: Record<string, unknown>): ApiError {
  const message = "A user with this username already exists in the environment.";
  return invalidData([
    { code: "UNIQUENESS_VIOLATION", target: "username", message, ...(innerError ? { innerError } : {}) },
  ]);
}

export function newErrorId(): string {
  return randomUUID();
}

/** The driver error behind a Drizzle query error (`cause`), or the error itself. */
export function driverError(err: unknown): { code?: string; constraint?: string } | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const o = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown; cause?: unknown };
    if (typeof o.code === "string" && /^[0-9A-Z]{5}$/.test(o.code)) {
      const constraint = typeof o.constraint === "string" ? o.constraint : typeof o.constraint_name === "string" ? o.constraint_name : undefined;
      return { code: o.code, constraint };
    }
    e = o.cause;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const d = driverError(err);
  return d?.code === "23505" && (constraint === undefined || d.constraint === constraint);
}

/** Socket errors of a connection that could not be made or was lost: the peer is down or unreachable. */
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** The `postgres` driver's own codes for a connection it could not open or that went away. */
const DRIVER_CONNECTION_CODES = new Set(["CONNECTION_ENDED", "CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);

/**
 * Whether an error (or its `cause`, as DrizzleQueryError wraps the driver's) says the database
 * cannot be reached now, rather than that the query was wrong: a refused or reset socket, the
 * driver's connection codes, SQLSTATE class 08 (connection exception), 57P01-57P03 (the server
 * shutting down, crashed or still starting) and 53300 (too many connections). The request that
 * met it may be retried once the database is back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (CONNECTION_ERRNOS.has(code) || DRIVER_CONNECTION_CODES.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/.test(code) || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300") return true;
    }
    // An AggregateError (a host that resolves to several addresses, none answering) holds the socket errors.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((x) => isDatabaseUnavailable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before retrying while the database is down: about the time it takes to come back. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export const databaseUnavailable = () =>
  serviceUnavailable("The database is unavailable at the moment: retry shortly.", DATABASE_RETRY_AFTER_SECONDS);

/**
 * Any thrown value as the ApiError it answers with, or undefined for an unexpected error (a
 * 500 UNEXPECTED_ERROR): the one place that decides which failures are the caller's to retry.
 */
export function asApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  return undefined;
}
