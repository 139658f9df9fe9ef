import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/**
 * Node's HTTP objects to the standard Request/Response that route handlers take and give, for
 * the production server's fast path.
 */

const HOST = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * A Request for a node request whose url is already normalised (dispatch.ts normalisePath).
 * The body is streamed, never buffered here: a handler authenticates the caller before it reads
 * a byte of it (security review F15), and reads at most its own limit.
 */
export function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const host = req.headers.host && HOST.test(req.headers.host) ? req.headers.host : "localhost";
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(`http://${host}${req.url ?? "/"}`, {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

export async function sendResponse(res: ServerResponse, response: Response, method: string | undefined): Promise<void> {
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== "set-cookie") out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  const payload = method === "HEAD" || !response.body ? null : Buffer.from(await response.arrayBuffer());
  if (payload) out["content-length"] = String(payload.byteLength);
  res.writeHead(response.status, out);
  res.end(payload);
}
