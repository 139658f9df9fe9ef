import type { ImportErrorLine } from "./jobs";

/**
 * The error report as CSV: one line per failed row. A cell that a spreadsheet would run as a
 * formula (starting with =, +, -, @, a tab or a carriage return) is prefixed with a single quote.
 */
export const ERROR_REPORT_HEADER = ["row", "username", "target", "code", "message"] as const;

export function csvCell(value: string | number | null): string {
  let s = value === null ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function errorCsvLine(e: ImportErrorLine): string {
  return [e.row, e.username, e.target, e.code, e.message].map(csvCell).join(",") + "\r\n";
}

/** Streams the report (CSV or JSON) from an async source of lines, a page at a time. */
export function errorReportStream(lines: AsyncIterable<ImportErrorLine>, format: "csv" | "json", selfHref: string): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const it = lines[Symbol.asyncIterator]();
  let started = false;
  let count = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let out = "";
      if (!started) {
        started = true;
        out += format === "csv" ? ERROR_REPORT_HEADER.join(",") + "\r\n" : `{"_links":{"self":{"href":${JSON.stringify(selfHref)}}},"_embedded":{"errors":[`;
      }
      for (let i = 0; i < 1000; i++) {
        const { done, value } = await it.next();
        if (done) {
          if (format === "json") out += `]},"size":${count}}`;
          controller.enqueue(enc.encode(out));
          controller.close();
          return;
        }
        out += format === "csv" ? errorCsvLine(value) : (count ? "," : "") + JSON.stringify(value);
        count++;
      }
      controller.enqueue(enc.encode(out));
    },
    async cancel() {
      await it.return?.(undefined);
    },
  });
}
