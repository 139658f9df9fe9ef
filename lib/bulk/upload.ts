import "server-only";
import { Readable, Transform } from "node:stream";
import busboy from "busboy";
import { ApiError, invalidRequest } from "@/lib/api/errors";
import { formatOfFileName } from "./options";
import type { BulkFormat } from "./parse";

/**
 * The most bytes one upload may carry (BULK_MAX_BYTES, default 512 MiB: a million typical rows
 * are 150-300 MB as CSV or JSON Lines). Counted while the file streams, so an oversized upload
 * is refused with 413 as soon as it passes the cap, and its job is removed (finding F8).
 */
export function maxUploadBytes(): number {
  const configured = Number(process.env.BULK_MAX_BYTES);
  return Number.isInteger(configured) && configured > 0 ? configured : 512 * 1024 * 1024;
}

export function uploadTooLarge(limit = maxUploadBytes()): ApiError {
  const message = `The file is larger than ${formatBytes(limit)}: split it into several jobs.`;
  return new ApiError(413, "INVALID_REQUEST", message, [{ code: "SIZE_LIMIT_EXCEEDED", target: "file", message }]);
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * The file's bytes as they arrive, failing with 413 past the cap. An upload that ends early (a
 * truncated multipart body, a client that went away) fails with a 400, never a 500 (F14).
 */
function capped(source: Readable, limit: number): Readable {
  let seen = 0;
  let failed = false;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (failed) return done();
      seen += chunk.byteLength;
      if (seen <= limit) return done(null, chunk);
      failed = true;
      done(uploadTooLarge(limit));
    },
  });
  const fail = (err: ApiError) => {
    failed = true;
    counter.destroy(err);
  };
  source.on("error", (err) => fail(err instanceof ApiError ? err : invalidRequest("The upload ended before the file was complete: send it again.")));
  // Whoever reads the file sees the error; past that, the rest of the upload is drained and dropped.
  counter.on("error", () => {
    source.unpipe(counter);
    source.resume();
  });
  source.pipe(counter);
  return counter;
}

export type UploadSource = { file: Readable; format: BulkFormat | null; fields: Record<string, string | undefined> };

const FORMAT_OF_TYPE: Record<string, BulkFormat> = {
  "text/csv": "csv",
  "application/csv": "csv",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/x-jsonlines": "ndjson",
  "application/json": "json",
  "text/ldif": "ldif",
  "text/x-ldif": "ldif",
  "application/ldif": "ldif",
};

export async function uploadSource(req: Request, type: string | null): Promise<UploadSource> {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  if (!req.body) throw invalidRequest("The request has no body: send the file.");
  const limit = maxUploadBytes();
  const declared = Number(req.headers.get("content-length"));
  // A multipart body carries a little more than its file: boundaries and the option fields.
  if (Number.isFinite(declared) && declared > limit + 64 * 1024) throw uploadTooLarge(limit);
  if (type && FORMAT_OF_TYPE[type]) {
    return { file: capped(Readable.fromWeb(req.body as import("node:stream/web").ReadableStream), limit), format: FORMAT_OF_TYPE[type], fields: query };
  }
  if (type !== "multipart/form-data") {
    throw new ApiError(415, "INVALID_REQUEST", "Unsupported Content-Type: send multipart/form-data with a file, or a text/csv, application/x-ndjson, application/json or text/ldif body.");
  }
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => (headers[k] = v));
  let bb: busboy.Busboy;
  try {
    // Option fields are short; `columns` (the wizard's column mapping) is the longest, at a few KB.
    bb = busboy({ headers, limits: { files: 1, fields: 20, fieldSize: 16 * 1024 } });
  } catch {
    throw invalidRequest("The multipart body is not valid.");
  }
  const fields: Record<string, string | undefined> = { ...query };
  const body = Readable.fromWeb(req.body as import("node:stream/web").ReadableStream);
  return new Promise<UploadSource>((resolve, reject) => {
    let file: Readable | null = null;
    bb.on("field", (name, value) => {
      if (!file) fields[name] = value;
    });
    bb.on("file", (_name, stream, info) => {
      if (file) {
        stream.resume();
        return;
      }
      file = capped(stream, limit);
      fields.fileName ??= info.filename;
      resolve({ file, format: FORMAT_OF_TYPE[info.mimeType?.toLowerCase()] ?? formatOfFileName(info.filename), fields });
    });
    // After the file has begun, a broken body (say, no closing boundary) fails the file's stream.
    bb.on("error", () => {
      const err = invalidRequest("The multipart body is not valid: it ended before its closing boundary.");
      if (file) file.destroy(err);
      else reject(err);
    });
    bb.on("close", () => {
      if (!file) reject(invalidRequest("The multipart body has no file: send it in a field named file, after the option fields."));
    });
    body.on("error", (err) => bb.destroy(err));
    body.pipe(bb);
  });
}

/**
 * An application/json body is either a file (a JSON array of bodies) or a directory job
 * (`{source: {type: "LDAP", ...}}`, spec 9.1): told apart by its first character, without reading
 * a file whole. A directory job's body (an object, at most 64 KB) comes back parsed; a file comes
 * back as a request whose body is the whole stream again.
 */
export async function jsonJobOrFile(req: Request): Promise<{ job: unknown } | { file: Request }> {
  if (!req.body) throw invalidRequest("The request has no body: send the file.");
  const reader = req.body.getReader();
  const seen: Uint8Array[] = [];
  let first: number | undefined;
  while (first === undefined) {
    const { value, done } = await reader.read();
    if (done) break;
    seen.push(value);
    first = value.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  }
  if (first === 0x7b /* { */) {
    let size = seen.reduce((n, c) => n + c.byteLength, 0);
    for (;;) {
      if (size > 64 * 1024) {
        await reader.cancel().catch(() => {});
        throw new ApiError(413, "INVALID_REQUEST", "The body is larger than 64 KB.", [{ code: "SIZE_LIMIT_EXCEEDED", target: "body", message: "The body is larger than 64 KB." }]);
      }
      const { value, done } = await reader.read();
      if (done) break;
      seen.push(value);
      size += value.byteLength;
    }
    try {
      return { job: JSON.parse(Buffer.concat(seen).toString("utf8")) };
    } catch {
      throw invalidRequest("The body is not valid JSON.");
    }
  }
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of seen) controller.enqueue(c);
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { file: new Request(req.url, { method: req.method, headers: req.headers, body: rest, duplex: "half" } as RequestInit) };
}
