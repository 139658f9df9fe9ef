import { csvCell } from "@/lib/bulk/report";
import { REMAINING_CSV_HEADER, type RemainingUser } from "./index";

function line(u: RemainingUser): string {
  return [u.id, u.username, u.email, u.population.id, u.population.name, u.passwordStatus, u.passwordScheme, u.createdAt.toISOString()].map(csvCell).join(",") + "\r\n";
}

/**
 * The never-checked users as CSV (formula cells escaped as in the error report), pulled from the
 * source 1,000 lines per chunk. `first` is the source's first result, already awaited by the caller.
 */
export function remainingUsersCsv(source: AsyncGenerator<RemainingUser>, first: IteratorResult<RemainingUser>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let pending: IteratorResult<RemainingUser> | null = first;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let out = started ? "" : REMAINING_CSV_HEADER.join(",") + "\r\n";
      started = true;
      for (let i = 0; i < 1000; i++) {
        const next: IteratorResult<RemainingUser> = pending ?? (await source.next());
        pending = null;
        if (next.done) {
          controller.enqueue(enc.encode(out));
          controller.close();
          return;
        }
        out += line(next.value);
      }
      controller.enqueue(enc.encode(out));
    },
    async cancel() {
      await source.return(undefined);
    },
  });
}
