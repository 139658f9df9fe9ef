import type { ParsedRow, RowProblem, RowSource } from "./parse";

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
  /** A directory or LDIF row: its entry's DN and what became of its password (c copied, l linked). */
  d?: string | null;
  k?: "c" | "l";
};

export function encodeRow(parsed: ParsedRow): string {
  const stored: StoredRow = "body" in parsed ? { r: parsed.row, b: parsed.body } : { r: parsed.row, p: parsed.problem, u: parsed.username };
  if (parsed.source) {
    stored.d = parsed.source.dn;
    if (parsed.source.password === "copied") stored.k = "c";
    else if (parsed.source.password === "linked") stored.k = "l";
  }
  return JSON.stringify(stored);
}

function sourceOf(s: StoredRow): RowSource | undefined {
  if (s.d === undefined) return undefined;
  return s.k ? { dn: s.d, password: s.k === "c" ? "copied" : "linked" } : { dn: s.d };
}

export function decodeChunk(data: string): ParsedRow[] {
  return data.split("\n").map((line) => {
    const s = JSON.parse(line) as StoredRow;
    const source = sourceOf(s);
    if ("b" in s) return source ? { row: s.r, body: s.b, source } : { row: s.r, body: s.b };
    const problem = s.p ?? { code: "INVALID_VALUE" as const, target: "row", message: "The row is empty." };
    return source ? { row: s.r, problem, username: s.u, source } : { row: s.r, problem, username: s.u };
  });
}
