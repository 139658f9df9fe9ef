import "server-only";
import { Readable } from "node:stream";
import busboy from "busboy";
import { ApiError, invalidRequest } from "@/lib/api/errors";
import { formatOfFileName } from "./options";
import type { BulkFormat } from "./parse";

/**
 * Adapts an upload request to a bulk job's input: the file as a stream (never buffered whole),
 * its format, and the option fields (query string, plus form fields sent before the file).
 * Accepts multipart/form-data (field "file"), or a raw text/csv, application/x-ndjson or
 * application/json body.
 */
export type UploadSource = { file: Readable; format: BulkFormat | null; fields: Record<string, string | undefined> };

const FORMAT_OF_TYPE: Record<string, BulkFormat> = {
  "text/csv": "csv",
  "application/csv": "csv",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/x-jsonlines": "ndjson",
  "application/json": "json",
};

export async function uploadSource(req: Request, type: string | null): Promise<UploadSource> {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  if (!req.body) throw invalidRequest("The request has no body: send the file.");
  if (type && FORMAT_OF_TYPE[type]) {
    return { file: Readable.fromWeb(req.body as import("node:stream/web").ReadableStream), format: FORMAT_OF_TYPE[type], fields: query };
  }
  if (type !== "multipart/form-data") {
    throw new ApiError(415, "INVALID_REQUEST", "Unsupported Content-Type: send multipart/form-data with a file, or a text/csv, application/x-ndjson or application/json body.");
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
    let found = false;
    bb.on("field", (name, value) => {
      if (!found) fields[name] = value;
    });
    bb.on("file", (_name, stream, info) => {
      if (found) {
        stream.resume();
        return;
      }
      found = true;
      fields.fileName ??= info.filename;
      resolve({ file: stream, format: FORMAT_OF_TYPE[info.mimeType?.toLowerCase()] ?? formatOfFileName(info.filename), fields });
    });
    bb.on("error", () => reject(invalidRequest("The multipart body is not valid.")));
    bb.on("close", () => {
      if (!found) reject(invalidRequest("The multipart body has no file: send it in a field named file, after the option fields."));
    });
    body.on("error", (err) => bb.destroy(err));
    body.pipe(bb);
  });
}
