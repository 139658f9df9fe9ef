import type { ParsedRow, RowProblem } from "./parse";

/**
 * How a parsed row of a job's file is kept in its chunk (one JSON line per row) until the job
 * works it: short keys, because a million-row file is stored whole. Written by createImportJob,
 * read by the chunk worker; chunks of a dry run are copied as they are by importFromDryRun.
 */
type StoredRow = {
  /** The row's number in the file (spreadsheet row, line or array element). */
  r: number;
  /** The body, for a row that could be read (any JSON value: rule 4 judges it). */
  b?: unknown;
  /** Why the row could not be read (wrong number of CSV fields, bad JSON), instead of a body. */
  p?: RowProblem;
  /** The username cell of an unreadable row, for the error report. */
  u?: string;
};

export function encodeRow(parsed: ParsedRow): string {
  const stored: StoredRow = "body" in parsed ? { r: parsed.row, b: parsed.body } : { r: parsed.row, p: parsed.problem, u: parsed.username };
  return JSON.stringify(stored);
}

export function decodeChunk(data: string): ParsedRow[] {
  return data.split("\n").map((line) => {
    const s = JSON.parse(line) as StoredRow;
    if ("b" in s) return { row: s.r, body: s.b };
    return { row: s.r, problem: s.p ?? { code: "INVALID_VALUE", target: "row", message: "The row is empty." }, username: s.u };
  });
}
