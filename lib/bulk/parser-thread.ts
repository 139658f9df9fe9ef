import { Readable } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import { ApiError } from "@/lib/api/errors";
import { fileChunks, type FileChunkOptions } from "./file-chunks";
import type { FromParser, ToParser } from "./upload-chunks";

/**
 * A parser thread (lib/bulk/upload-chunks.ts): reads the bytes of one uploaded file as the
 * upload's thread sends them, and sends back its chunks, one ahead of the chunk being written.
 */
const port = parentPort!;
const options = workerData as FileChunkOptions;
const send = (m: FromParser) => port.postMessage(m);

const queue: Uint8Array[] = [];
let ended = false;
let wanted = false;
/** Bytes move from the queue into the stream only as fast as the parser reads them. */
const pump = () => {
  while (wanted && queue.length) {
    const bytes = queue.shift()!;
    send({ t: "drained", n: bytes.byteLength });
    wanted = input.push(bytes);
  }
  if (wanted && ended && !queue.length) {
    wanted = false;
    input.push(null);
  }
};
const input = new Readable({
  read() {
    wanted = true;
    pump();
  },
});

let taken = 0;
let takenNext: (() => void) | null = null;
port.on("message", (m: ToParser) => {
  if (m.t === "bytes") queue.push(m.b);
  else if (m.t === "end") ended = true;
  else {
    taken++;
    takenNext?.();
  }
  pump();
});

async function main() {
  let sent = 0;
  try {
    for await (const chunk of fileChunks(input, options)) {
      // The chunk before must have been taken: at most one waits here while another is written.
      while (taken < sent) await new Promise<void>((r) => (takenNext = r));
      send({ t: "chunk", ...chunk });
      sent++;
    }
    send({ t: "done" });
  } catch (err) {
    send({
      t: "error",
      error:
        err instanceof ApiError
          ? { status: err.status, code: err.code, message: err.message, details: err.details, headers: err.headers }
          : { name: err instanceof Error ? err.name : "Error", message: err instanceof Error ? err.message : String(err) },
    });
  }
}

void main();
