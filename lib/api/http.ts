import "server-only";
import { ApiError, invalidRequest, newErrorId } from "./errors";
import { log, safeError } from "@/lib/log";
import { noteRequest } from "./request-notes";

export const MAX_BODY_BYTES = 64 * 1024;

type RouteContext<P> = { params: Promise<P> };

/**
 * Wraps a route handler: every thrown ApiError becomes PingOne's error envelope, anything else
 * a 500 UNEXPECTED_ERROR whose id is also in the log. No handler builds an error body itself.
 */
export function route<P>(fn: (req: Request, params: P) => Promise<Response>) {
  return async (req: Request, ctx: RouteContext<P>): Promise<Response> => {
    try {
      return await fn(req, await ctx.params);
    } catch (err) {
      return errorResponse(err, req);
    }
  };
}

export function errorResponse(err: unknown, req?: Request): Response {
  const id = newErrorId();
  const path = req ? new URL(req.url).pathname : undefined;
  if (req) noteRequest(req, { errorId: id, errorCode: err instanceof ApiError ? err.code : "UNEXPECTED_ERROR" });
  if (err instanceof ApiError) {
    log.info("request failed", { errorId: id, status: err.status, code: err.code, method: req?.method, path });
    return json(err.toBody(id), err.status, err.headers);
  }
  log.error("unexpected error", { errorId: id, method: req?.method, path, ...safeError(err) });
  return json(
    { id, code: "UNEXPECTED_ERROR", message: "An unexpected error occurred. Quote the id when reporting it." },
    500,
  );
}

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The media type without parameters, lower-cased; a charset other than UTF-8 is refused. */
export function mediaType(req: Request): string | null {
  const raw = req.headers.get("content-type");
  if (!raw) return null;
  const [type, ...params] = raw.split(";");
  for (const p of params) {
    const [k, v] = p.split("=").map((s) => s.trim().toLowerCase());
    if (k === "charset" && v && v.replace(/"/g, "") !== "utf-8" && v.replace(/"/g, "") !== "utf8") {
      throw new ApiError(415, "INVALID_REQUEST", "Only the UTF-8 charset is supported.");
    }
  }
  return type!.trim().toLowerCase();
}

/** Reads the body as UTF-8 text, refusing more than `limit` bytes without buffering them all. */
export async function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.");
  }
}

function tooLarge(limit: number) {
  const message = `The request body exceeds the limit of ${limit / 1024} KB.`;
  return new ApiError(413, "INVALID_REQUEST", message, [{ code: "SIZE_LIMIT_EXCEEDED", message }]);
}

/** Parses a JSON body; malformed JSON is INVALID_REQUEST as PingOne answers it. */
export async function readJson(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text.trim() === "") throw invalidRequest("The request body is empty: send a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest("The request body is not valid JSON.");
  }
}

/** Absolute base of the API for links: PUBLIC_URL if set, else the request's own origin. */
export function apiBase(req: Request): string {
  const fromEnv = process.env.PUBLIC_URL?.replace(/\/+$/, "");
  if (fromEnv) return fromEnv;
  const url = new URL(req.url);
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || url.protocol.replace(":", "");
  const host = req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || req.headers.get("host") || url.host;
  const v1 = req.headers.get("x-api-prefix") === "/v1" || url.pathname.startsWith("/v1/") ? "/v1" : "";
  return `${proto}://${host}${v1}`;
}
