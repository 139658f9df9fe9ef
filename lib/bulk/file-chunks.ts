import type { Readable } from "node:stream";
import { invalidData } from "@/lib/api/errors";
import { isCleartextForm } from "@/lib/passwords/classify";
import { parseRows, type BulkFormat, type ParseOptions, type ParsedRow } from "./parse";
import { encodeRow } from "./stored-rows";

/**
 * A bulk file as the chunks its job stores: read row by row (lib/bulk/parse.ts), each row encoded
 * for its chunk (lib/bulk/stored-rows.ts), cut every `perChunk` rows, and refused past `maxRows`.
 * The one way an uploaded file becomes chunks, whether it runs on the upload's own thread or on a
 * parser thread (lib/bulk/upload-chunks.ts). Loads nothing server-only: it is a thread's entry too.
 */
export type FileChunkOptions = ParseOptions & { format: BulkFormat; perChunk: number; maxRows: number };

export type FileChunk = { rowCount: number; data: string };

/**
 * A chunk closes earlier once it holds this many cleartext passwords, which take about a minute
 * to hash, so that progress and leases stay short.
 */
const CLEARTEXT_CHUNK_ROWS = 1000;

/** Whether a parsed row carries a cleartext password (hashed with argon2id when worked). */
function hasCleartext(row: ParsedRow): boolean {
  if (!("body" in row) || !row.body || typeof row.body !== "object") return false;
  const value = (row.body as { password?: { value?: unknown } }).password?.value;
  return typeof value === "string" && isCleartextForm(value);
}

export async function* fileChunks(file: Readable | AsyncIterable<Uint8Array>, options: FileChunkOptions): AsyncGenerator<FileChunk> {
  let rows = 0;
  let lines: string[] = [];
  let cleartext = 0;
  for await (const r of parseRows(options.format, file, { columns: options.columns, ldif: options.ldif })) {
    if (++rows > options.maxRows) {
      throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target: "file", message: `The file has more than ${options.maxRows.toLocaleString("en")} rows: split it.` }]);
    }
    lines.push(encodeRow(r));
    if (hasCleartext(r)) cleartext++;
    if (lines.length >= options.perChunk || cleartext >= CLEARTEXT_CHUNK_ROWS) {
      yield { rowCount: lines.length, data: lines.join("\n") };
      lines = [];
      cleartext = 0;
    }
  }
  if (lines.length) yield { rowCount: lines.length, data: lines.join("\n") };
}
