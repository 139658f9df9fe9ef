import { pipeline, Readable } from "node:stream";
import { CsvError, parse as parseCsv } from "csv-parse";
import { parse as parseCsvSync } from "csv-parse/sync";
import type { BulkFormat } from "@/db/enums";
import { invalidData, type DetailCode } from "@/lib/api/errors";
import { BOOLEAN_ATTRIBUTE_PATHS } from "@/lib/users/attributes";
import { columnPath } from "./columns";
import { entryRow, isPersonEntry, type EntryMapping } from "./entry-rows";
import { readLdif } from "@/lib/ldif/reader";

/**
 * Streaming readers of a bulk file: CSV (header of attribute paths), JSON Lines, or a JSON array
 * of spec 2.1 bodies. Each yields one ParsedRow at a time, so memory does not grow with the file.
 * A row that cannot become a body (bad JSON, wrong number of CSV fields) carries a problem and is
 * reported in the job's error report; a file that cannot be read at all is a 400.
 */
export type { BulkFormat };

export type RowProblem = { code: DetailCode; target: string; message: string };

/** `row` is the number a person finds the row by: a spreadsheet's row (CSV), a line (JSON Lines), an element (JSON array). */
/**
 * `body` is whatever JSON value the row holds: a row that is valid JSON but no object is judged by
 * the import's own rule 4, as the API judges such a body.
 */
export type ParsedRow =
  | { row: number; body: unknown; source?: RowSource }
  | { row: number; problem: RowProblem; username?: string; source?: RowSource };

/**
 * Where a directory or LDIF row came from (spec 9): its entry's DN, named by its error rows, and
 * what became of the entry's password (copied: userPassword as password.value; linked:
 * password.external.gateway), counted for the users the job creates.
 */
export type RowSource = { dn: string | null; password?: "copied" | "linked" | "none" };

/** The longest a single row may be: a body is at most a few KB (spec 2.1's profile limit is 16 KB). */
export const MAX_ROW_BYTES = 64 * 1024;

const PATH = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

const fileError = (message: string) => invalidData([{ code: "INVALID_VALUE", target: "file", message }]);

export type ParseOptions = {
  /** LDIF only: how an entry becomes a body (a user type's mappings and link, or the default mapping). */
  ldif?: EntryMapping | null;
  /**
   * CSV only: the attribute path of each column of the header, in order (null: ignore the
   * column), instead of the header's own names. How the console wizard maps a file's columns.
   */
  columns?: readonly (string | null)[] | null;
};

export function parseRows(format: BulkFormat, input: Readable | AsyncIterable<Uint8Array>, options: ParseOptions = {}): AsyncGenerator<ParsedRow> {
  const source = input instanceof Readable ? input : Readable.from(input);
  if (format === "csv") return csvRows(source, options.columns ?? null);
  if (format === "ndjson") return ndjsonRows(source);
  if (format === "ldif") return ldifRows(source, options.ldif ?? null);
  return jsonArrayRows(source);
}

/**
 * Maps the header row (or the columns given for it) to attribute paths, null for an ignored
 * column; refuses a header that cannot describe a user.
 */
export function headerPaths(header: string[], columns: readonly (string | null)[] | null = null): (string | null)[] {
  // A mapping sent with the file is the caller's input: its problems name it, not the file.
  const refuse = (message: string) => invalidData([{ code: "INVALID_VALUE", target: columns ? "columns" : "file", message }]);
  if (columns && columns.length !== header.length) {
    throw refuse(`The column mapping names ${columns.length} column${columns.length === 1 ? "" : "s"} but the file's header has ${header.length}.`);
  }
  const paths = (columns ?? header).map((name) => (name === null || name.trim() === "" ? null : columnPath(name)));
  const seen = new Set<string>();
  for (const [i, p] of paths.entries()) {
    if (p === null) continue;
    if (!PATH.test(p)) {
      throw refuse(`${columns ? "The mapping of column" : "Column"} ${i + 1} ("${(columns ? p : header[i]!).slice(0, 64)}") is not an attribute path such as name.given.`);
    }
    if (seen.has(p)) throw refuse(`${columns ? "The mapping" : "The header"} names "${p}" twice.`);
    for (const q of seen) {
      if (q.startsWith(p + ".") || p.startsWith(q + ".")) throw refuse(`${columns ? "The mapping" : "The header"} names both "${q}" and "${p}".`);
    }
    seen.add(p);
  }
  if (!seen.has("username")) throw refuse(columns ? "No column is mapped to username." : "The header has no username column.");
  return paths;
}

/** How a header's attribute paths write a record's cells: each path's keys and whether it holds a boolean, worked out once per file. */
type CellTarget = { keys: readonly string[]; boolean: boolean } | null;
const targetsOf = (paths: readonly (string | null)[]): CellTarget[] => paths.map((p) => (p ? { keys: p.split("."), boolean: BOOLEAN_ATTRIBUTE_PATHS.has(p) } : null));

/** One CSV record as a body: empty cells and ignored columns are left out; booleans are read from true/false. */
export function recordToBody(paths: readonly (string | null)[], record: string[]): Record<string, unknown> {
  return bodyOf(targetsOf(paths), record);
}

function bodyOf(targets: readonly CellTarget[], record: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (let i = 0; i < targets.length; i++) {
    const cell = record[i];
    const target = targets[i];
    if (cell === undefined || cell === "" || !target) continue;
    let value: unknown = cell;
    if (target.boolean) {
      const lower = cell.trim().toLowerCase();
      value = lower === "true" ? true : lower === "false" ? false : cell;
    }
    const { keys } = target;
    let into = body;
    for (let k = 0; k < keys.length - 1; k++) {
      const next = into[keys[k]!];
      into = (next && typeof next === "object" ? next : (into[keys[k]!] = {})) as Record<string, unknown>;
    }
    into[keys[keys.length - 1]!] = value;
  }
  return body;
}

// Blank lines are kept (as one empty field) so that row numbers match a spreadsheet's; a quoted
// field spanning several lines stays one record, hence one row.
const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: false,
  max_record_size: MAX_ROW_BYTES,
  // Files that mix CRLF and LF (edited by hand, or concatenated) are read line by line too.
  record_delimiter: ["\r\n", "\n"],
};

/**
 * The header row of a CSV file from its first bytes, read by the same parser and options as a
 * job reads the file: what the wizard shows for its column mapping (quoted cells, commas inside
 * quotes, a byte order mark). Later rows, even cut off, are not read.
 */
export function csvHeader(head: string): string[] {
  let records: string[][];
  try {
    records = parseCsvSync(head, { ...CSV_OPTIONS, to: 1 }) as string[][];
  } catch (err) {
    if (err instanceof CsvError) throw fileError(`The first line of the file is not a CSV header row: ${err.message.split(":")[0]}.`);
    throw err;
  }
  const header = records[0];
  if (!header || (header.length === 1 && header[0]!.trim() === "")) throw fileError("The first line of the file must be the header row.");
  return header;
}

async function* csvRows(source: Readable, columns: readonly (string | null)[] | null): AsyncGenerator<ParsedRow> {
  const parser = parseCsv(CSV_OPTIONS);
  // pipeline, not pipe: a source that failed before the parser was attached (an upload cut
  // short while the job was being created) still fails the parser instead of leaving it waiting.
  pipeline(source, parser, () => {});
  let paths: (string | null)[] | null = null;
  let targets: CellTarget[] = [];
  let usernameAt = -1;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      const blank = record.length === 1 && record[0]!.trim() === "";
      if (!paths) {
        if (blank) throw fileError("The first line of the file must be the header row.");
        paths = headerPaths(record, columns);
        targets = targetsOf(paths);
        usernameAt = paths.indexOf("username");
        continue;
      }
      if (blank) continue;
      if (record.length !== paths.length) {
        const message = `The row has ${record.length} field${record.length === 1 ? "" : "s"} but the header has ${paths.length}.`;
        yield { row, problem: { code: "INVALID_VALUE", target: "row", message }, username: record[usernameAt]?.slice(0, 128) };
        continue;
      }
      yield { row, body: bodyOf(targets, record) };
    }
  } catch (err) {
    if (err instanceof CsvError) {
      // The parser reads ahead of the rows handed out: its own record count says where it stopped.
      const records = (err as { records?: number }).records;
      const near = typeof records === "number" ? records + 1 : row + 1;
      throw fileError(`The file is not valid CSV near row ${near}: ${err.message.split(":")[0]}.`);
    }
    throw err;
  }
  if (!paths) throw fileError("The file is empty: the first line must be the header row.");
}

/** Splits a byte stream into lines (LF or CRLF), refusing a line longer than MAX_ROW_BYTES. */
async function* lines(source: Readable): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let first = true;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    pending += decoder.decode(chunk, { stream: true });
    if (first && pending.length > 0) {
      if (pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
      first = false;
    }
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl).replace(/\r$/, "");
      pending = pending.slice(nl + 1);
    }
    if (pending.length > MAX_ROW_BYTES) throw fileError(`A line of the file is longer than ${MAX_ROW_BYTES / 1024} KB.`);
  }
  pending += decoder.decode();
  if (pending.length > 0) yield pending.replace(/\r$/, "");
}

async function* ndjsonRows(source: Readable): AsyncGenerator<ParsedRow> {
  let row = 0;
  for await (const line of lines(source)) {
    row++;
    if (line.trim() === "") continue;
    yield jsonRow(row, line);
  }
}

function jsonRow(row: number, text: string): ParsedRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { row, problem: { code: "INVALID_VALUE", target: "row", message: "The row is not valid JSON." } };
  }
  return { row, body: value };
}

/**
 * A JSON array read element by element: this only finds where each top-level element begins
 * and ends (tracking strings, escapes and nesting); JSON.parse reads each element.
 */
async function* jsonArrayRows(source: Readable): AsyncGenerator<ParsedRow> {
  const decoder = new TextDecoder("utf-8");
  // start: expects "["; first: an element or "]"; next: an element; value: inside an element;
  // end: only whitespace.
  type State = "start" | "first" | "next" | "value" | "end";
  let state = "start" as State;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = "";
  let row = 0;
  let first = true;
  const bad = () => fileError(`The file is not a JSON array of user objects (near element ${row + 1}).`);

  for await (const chunk of source as AsyncIterable<Buffer>) {
    let text = decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let begin = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === "value") {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
          continue;
        }
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--;
        else if ((c === 0x2c || c === 0x5d) && depth === 0) {
          // The element ends before a comma or the array's closing bracket.
          element += text.slice(begin, i);
          row++;
          yield jsonRow(row, element);
          element = "";
          state = c === 0x2c ? "next" : "end";
        }
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (state === "start") {
        if (c !== 0x5b) throw bad();
        state = "first";
      } else if (state === "first" && c === 0x5d) {
        state = "end";
      } else if (state === "first" || state === "next") {
        if (c === 0x5d) throw bad();
        state = "value";
        begin = i;
        depth = 0;
        i--;
      } else {
        throw bad();
      }
    }
    if (state === "value") {
      element += text.slice(begin);
      if (element.length > MAX_ROW_BYTES) throw fileError(`Element ${row + 1} of the array is longer than ${MAX_ROW_BYTES / 1024} KB.`);
    }
  }
  if (state !== "end") throw bad();
}

/**
 * An LDIF file (spec 9.2), entry by entry through the streaming reader: each person entry mapped
 * as a directory entry is (entry-rows.ts), numbered by its record's first line; a record the
 * reader refuses (another changetype, a value by URL) is an error row naming its DN.
 */
async function* ldifRows(source: Readable, mapping: EntryMapping | null): AsyncGenerator<ParsedRow> {
  for await (const item of readLdif(source)) {
    if (item.type === "error") {
      const where = item.dn ? ` (DN: ${item.dn.slice(0, 512)})` : "";
      yield { row: item.line, problem: { code: "INVALID_VALUE", target: "entry", message: item.message + where }, source: { dn: item.dn } };
      continue;
    }
    if (isPersonEntry(item.attributes)) yield entryRow(item.line, item.dn, item.attributes, mapping);
  }
}
