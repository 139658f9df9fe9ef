import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

export type RouteModule = Record<string, unknown>;
export type ApiRoute = { pattern: RegExp; names: string[]; module: RouteModule };
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

const BUFFERED_BODY_LIMIT = 1024 * 1024;

/**
 * Serves the API's route handlers straight from Node's HTTP server: the very handlers Next.js
 * serves (same modules, same Request/Response contract), without Next's per-request routing,
 * rendering and tracing machinery, which costs more CPU than an import itself. Returns false
 * for anything that is not an API route, which then goes to Next.js.
 */
export function createApiAdapter(routes: ApiRoute[], stripPrefix: (p: string) => string) {
  return async function serveApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const pathname = stripPrefix(q >= 0 ? rawUrl.slice(0, q) : rawUrl);
    let route: ApiRoute | undefined;
    let match: RegExpMatchArray | null = null;
    for (const r of routes) {
      match = pathname.match(r.pattern);
      if (match) {
        route = r;
        break;
      }
    }
    if (!route || !match) return false;

    const method = req.method ?? "GET";
    const handler = route.module[method] as Handler | undefined;
    if (typeof handler !== "function") {
      const allow = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => typeof route!.module[m] === "function");
      res.writeHead(405, { allow: allow.join(", ") }).end();
      return true;
    }

    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const host = headers.get("host") ?? "localhost";
    const url = `http://${host}${rawUrl}`;

    let body: BodyInit | undefined;
    if (method !== "GET" && method !== "HEAD") {
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared <= BUFFERED_BODY_LIMIT) {
        body = new Uint8Array(await readAll(req));
      } else {
        body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
      }
    }

    let params: Record<string, string>;
    try {
      params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match![i + 1]!)]));
    } catch {
      res.writeHead(400, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ id: crypto.randomUUID(), code: "INVALID_REQUEST", message: "The URL is not valid." }));
      return true;
    }
    const request = new Request(url, {
      method,
      headers,
      body,
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    const response = await handler(request, { params: Promise.resolve(params) });

    const outHeaders: Record<string, string | string[]> = {};
    response.headers.forEach((v, k) => {
      if (k === "set-cookie") return;
      outHeaders[k] = v;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length) outHeaders["set-cookie"] = cookies;
    const payload = method === "HEAD" || !response.body ? null : Buffer.from(await response.arrayBuffer());
    if (payload) outHeaders["content-length"] = String(payload.byteLength);
    res.writeHead(response.status, outHeaders);
    res.end(payload);
    return true;
  };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
