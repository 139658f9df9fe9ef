/**
 * HTTP helpers for the contract suites: a client that keeps a transcript of every response
 * (status line, headers and body) so that a suite can assert at the end that no password,
 * hash or secret ever left the server, and checks of PingOne's error envelope (spec 7).
 */
import { expect } from "vitest";
import { ERROR_CODES } from "@/lib/api/errors";
import { FIXED, type TestApp } from "./app";

export const IMPORT_TYPE = "application/vnd.pingidentity.user.import+json";
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export type ApiResponse<T = Json> = { status: number; headers: Headers; body: T; text: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export type ErrorDetail = { code: string; target?: string; message: string; innerError?: Record<string, unknown> };
export type ErrorEnvelope = { id: string; code: string; message: string; details?: ErrorDetail[] };


/** Asserts spec 7's envelope exactly: {id (uuid), code, message, details?}, nothing else. */
export function expectEnvelope(body: unknown, code?: string): asserts body is ErrorEnvelope {
  expect(body, "error body").toBeTypeOf("object");
  expect(body).not.toBeNull();
  const b = body as Record<string, unknown>;
  expect(Object.keys(b).filter((k) => !["id", "code", "message", "details"].includes(k)), "extra envelope keys").toEqual([]);
  expect(b.id).toMatch(UUID_RE);
  expect(ERROR_CODES).toContain(b.code);
  if (code) expect(b.code).toBe(code);
  expect(typeof b.message).toBe("string");
  expect((b.message as string).length).toBeGreaterThan(0);
  if (b.details !== undefined) {
    expect(Array.isArray(b.details)).toBe(true);
    expect((b.details as unknown[]).length).toBeGreaterThan(0);
    for (const d of b.details as Record<string, unknown>[]) {
      expect(Object.keys(d).filter((k) => !["code", "target", "message", "innerError"].includes(k))).toEqual([]);
      expect(typeof d.code).toBe("string");
      expect(typeof d.message).toBe("string");
      if (d.target !== undefined) expect(typeof d.target).toBe("string");
    }
  }
}

/** An error response: status, envelope, top-level code; returns the envelope. */
export function expectError(res: ApiResponse, status: number, code: string): ErrorEnvelope {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expectEnvelope(res.body, code);
  return res.body;
}

/** A 400 INVALID_DATA whose details are exactly these (code, target) pairs, in any order. */
export function expectInvalidData(res: ApiResponse, problems: [code: string, target: string][]): ErrorEnvelope {
  const body = expectError(res, 400, "INVALID_DATA");
  const got = (body.details ?? []).map((d) => [d.code, d.target]);
  expect(sortPairs(got as [string, string][]), res.text).toEqual(sortPairs(problems));
  return body;
}

const sortPairs = (p: [string, string][]) => [...p].sort((a, b) => (a.join("\0") < b.join("\0") ? -1 : 1));

/** The same error for two callers: everything but the fresh id. */
export function withoutId(body: ErrorEnvelope) {
  const { id: _id, ...rest } = body;
  return rest;
}

/** An HTTP client bound to one app and (optionally) one bearer token, recording a transcript. */
export class Client {
  constructor(
    readonly app: TestApp,
    private bearer?: string,
    readonly transcript: string[] = [],
  ) {}

  /** Another caller; the transcript is shared, so one leak check per suite covers every client. */
  withToken(token: string | undefined): Client {
    return new Client(this.app, token, this.transcript);
  }

  async request<T = Json>(path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
    const headers = new Headers(init.headers);
    if (this.bearer && !headers.has("authorization")) headers.set("authorization", `Bearer ${this.bearer}`);
    const res = await this.app.fetch(path, { ...init, headers });
    const text = await res.text();
    this.transcript.push(`${init.method ?? "GET"} ${path} -> ${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${text}`);
    let body: Json = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, headers: res.headers, body, text };
  }

  get<T = Json>(path: string, init: RequestInit = {}) {
    return this.request<T>(path, { ...init, method: "GET" });
  }

  /** POST a user body (any JSON value, or raw text/bytes) to the users collection. */
  postUser(
    body: unknown,
    opts: { contentType?: string | null; envId?: string; prefix?: string; raw?: boolean; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    const contentType = opts.contentType === undefined ? IMPORT_TYPE : opts.contentType;
    if (contentType !== null) headers["content-type"] = contentType;
    const payload = opts.raw ? (body as BodyInit) : JSON.stringify(body);
    return this.request(`${opts.prefix ?? ""}/environments/${opts.envId ?? FIXED.demoEnvId}/users`, {
      method: "POST",
      headers,
      // A Uint8Array body makes undici send no content-type of its own.
      body: typeof payload === "string" && contentType === null ? new TextEncoder().encode(payload) : payload,
    });
  }

  /** Asserts that no response so far contained any of these strings. */
  expectNoLeak(secrets: Iterable<string>) {
    const all = this.transcript.join("\n\n");
    for (const s of secrets) {
      if (!s) continue;
      expect(all.includes(s), `a response contained a secret: ${s.slice(0, 12)}…`).toBe(false);
      // Also JSON-escaped, in case the secret has characters JSON escapes.
      const escaped = JSON.stringify(s).slice(1, -1);
      if (escaped !== s) expect(all.includes(escaped), `a response contained a secret (escaped): ${escaped.slice(0, 12)}…`).toBe(false);
    }
  }
}

let counter = 0;
/** A username unique within a test file. */
export function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
