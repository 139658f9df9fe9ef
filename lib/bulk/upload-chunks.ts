import "server-only";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ApiError, type ErrorCode, type ErrorDetail } from "@/lib/api/errors";
import { projectRoot } from "@/lib/passwords/settings";
import { bundledEntry } from "@/lib/server/entries";
import { fileChunks, type FileChunk, type FileChunkOptions } from "./file-chunks";

/**
 * An uploaded file as its chunks (lib/bulk/file-chunks.ts). A file larger than
 * BULK_PARSE_THREAD_BYTES (default 16 MiB, about 100,000 typical rows) is parsed on a thread of its
 * own while this thread receives its bytes and writes its chunks: on one thread, reading and
 * encoding the rows took about half of a 200,000-row upload's time, and the upload a sixth of its
 * job's. A smaller file is parsed here: starting the thread (250-330 ms on a 2-core machine)
 * costs more than it saves below about 10 MB. Either way the same function makes the same chunks
 * and the same errors.
 */
export async function* uploadChunks(file: Readable | AsyncIterable<Uint8Array>, options: FileChunkOptions): AsyncGenerator<FileChunk> {
  const bytes = file[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const head: Uint8Array[] = [];
  let size = 0;
  const threshold = threadBytes();
  for (;;) {
    if (size >= threshold) {
      // Whatever of the file is left unread when its chunks stop is dropped (the stream destroyed).
      const drop = () => (file instanceof Readable ? file.destroy() : void bytes.return?.().catch(() => {}));
      // One parser thread per process: the uploads that come while it is busy are read here, so
      // that many large uploads at once cost no more memory than they did on one thread.
      if (threadBusy) {
        try {
          return yield* fileChunks(Readable.from(concat(head, bytes)), options);
        } finally {
          drop();
        }
      }
      threadBusy = true;
      try {
        return yield* inThread(head, bytes, drop, options);
      } finally {
        threadBusy = false;
      }
    }
    const next = await bytes.next();
    if (next.done) break;
    head.push(next.value);
    size += next.value.byteLength;
  }
  yield* fileChunks(Readable.from(head), options);
}

let threadBusy = false;

async function* concat(head: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

function threadBytes(): number {
  const configured = process.env.BULK_PARSE_THREAD_BYTES?.trim();
  return configured && /^\d{1,15}$/.test(configured) ? Number(configured) : 16 * 1024 * 1024;
}

export type ToParser = { t: "bytes"; b: Uint8Array } | { t: "end" } | { t: "taken" };
type SentError = { status: number; code: ErrorCode; message: string; details?: ErrorDetail[]; headers?: Record<string, string> } | { name: string; message: string };
export type FromParser = { t: "drained"; n: number } | ({ t: "chunk" } & FileChunk) | { t: "done" } | { t: "error"; error: SentError };
type Event = Exclude<FromParser, { t: "drained" }> | { t: "failed"; error: unknown };

/** Bytes sent to the thread and not yet read by its parser: past this, the upload waits. */
const WINDOW_BYTES = 1024 * 1024;

async function* inThread(head: Uint8Array[], rest: AsyncIterator<Uint8Array>, drop: () => void, options: FileChunkOptions): AsyncGenerator<FileChunk> {
  const worker = startParser(options);
  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event) => {
    events.push(e);
    wake?.();
  };
  let pending = 0;
  let drained = null as (() => void) | null;
  // The window reopens as soon as the parser has read: not only when this generator next runs,
  // which waits while its consumer writes a chunk to the database.
  worker.on("message", (m: FromParser) => {
    if (m.t !== "drained") return push(m);
    pending -= m.n;
    if (pending <= WINDOW_BYTES) drained?.();
  });
  worker.on("error", (error) => push({ t: "failed", error }));
  worker.on("exit", (code) => push({ t: "failed", error: new Error(`the bulk file's parser thread exited (${code})`) }));

  let stopped = false;
  let finished = false;
  const send = (b: Uint8Array) => {
    // A copy of its own: a stream's buffer may be a view of a larger, shared one.
    const copy = new Uint8Array(b);
    pending += copy.byteLength;
    worker.postMessage({ t: "bytes", b: copy } satisfies ToParser, [copy.buffer]);
  };
  void (async () => {
    for (const b of head.splice(0)) send(b);
    for (;;) {
      while (pending > WINDOW_BYTES && !stopped) await new Promise<void>((r) => (drained = r));
      if (stopped) break;
      const next = await rest.next();
      if (next.done) finished = true;
      if (next.done || stopped) break;
      send(next.value);
    }
    if (!stopped) worker.postMessage({ t: "end" } satisfies ToParser);
  })().catch((error: unknown) => push({ t: "failed", error }));

  try {
    for (;;) {
      while (!events.length) await new Promise<void>((r) => (wake = r));
      wake = null;
      const e = events.shift()!;
      if (e.t === "chunk") {
        yield { rowCount: e.rowCount, data: e.data };
        worker.postMessage({ t: "taken" } satisfies ToParser);
      } else if (e.t === "done") return;
      else if (e.t === "error") throw "status" in e.error ? new ApiError(e.error.status, e.error.code, e.error.message, e.error.details, e.error.headers) : Object.assign(new Error(e.error.message), { name: e.error.name });
      // The upload's own error (a file over the size limit, a body cut short) as it is.
      else throw e.error;
    }
  } finally {
    stopped = true;
    drained?.();
    // The feeding loop then ends by itself.
    if (!finished) drop();
    await worker.terminate();
  }
}

function startParser(options: FileChunkOptions): Worker {
  const bundled = bundledEntry("bulk-parser.mjs");
  // The thread's young objects (rows and their text) live briefly: a 12 MB nursery, not the
  // process's 3 x 16 MB (lib/server/main.ts), parsed as fast in a 200,000-row file and kept the
  // process about 10 MB smaller.
  const resourceLimits = { maxYoungGenerationSizeMb: 12 };
  if (bundled) return new Worker(bundled, { workerData: options, resourceLimits });
  // From the sources (Vitest, next dev, scripts), compiled by tsx as lib/passwords/checks.ts runs its checkers.
  const source = pathToFileURL(path.join(projectRoot(), "lib/bulk/parser-thread.ts")).href;
  const tsx = createRequire(path.join(projectRoot(), "package.json"));
  const api = pathToFileURL(path.join(path.dirname(tsx.resolve("tsx/package.json")), "dist/esm/api/index.mjs")).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`, { eval: true, workerData: options, resourceLimits });
}
