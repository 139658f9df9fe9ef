import "server-only";
import { randomUUID } from "node:crypto";
import { databaseDriver } from "@/db";
import { log, safeError } from "@/lib/log";
import { processChunk } from "./chunk";
import { resumeStalledDirectoryFeeds } from "./directory-source";
import { expireStaleUploads, purgeFinishedFiles } from "./housekeeping";
import { onNewJob } from "./jobs";
import { claimChunk, leaseSeconds, withLease, type ClaimedChunk } from "./queue";

/**
 * The bulk job worker of a process: claims a chunk of some job's file (queue.ts), works it
 * (chunk.ts: the import's own decision for every row, one transaction per chunk), repeats, and
 * now and then tidies up (housekeeping.ts). Any number of processes run it against one database.
 */

/** A pause after each batch, to leave the database room for other work during a long import. */
const batchPauseMs = () => Number(process.env.BULK_BATCH_PAUSE_MS) || 0;

async function work(owner: string, chunk: ClaimedChunk): Promise<void> {
  await withLease(owner, chunk, () => processChunk(owner, chunk));
}

/** Claims and processes chunks until none is left to claim. Returns the number processed. */
export async function drainImportJobs(owner = `drain-${randomUUID()}`): Promise<number> {
  let n = 0;
  for (;;) {
    const chunk = await claimChunk(owner);
    if (!chunk) return n;
    await work(owner, chunk);
    n++;
  }
}

export type BulkWorker = { stop: () => Promise<void> };

/**
 * Starts this process's job loop(s): claim a chunk, process it, repeat; poll when idle. Started by
 * the production server; `stop()` lets the current chunks finish and ends the loops.
 */
export function startBulkWorker(opts: { concurrency?: number; idleMs?: number } = {}): BulkWorker {
  const owner = `${process.pid}-${randomUUID()}`;
  const concurrency = opts.concurrency ?? (Number(process.env.BULK_WORKER_CONCURRENCY) || (databaseDriver() === "pglite" ? 1 : 2));
  const idleMs = opts.idleMs ?? 1000;
  let stopped = false;
  const sleepers = new Set<() => void>();
  const wakeAll = () => {
    for (const w of [...sleepers]) w();
  };
  onNewJob(wakeAll);

  const loop = async () => {
    while (!stopped) {
      let chunk: ClaimedChunk | null = null;
      try {
        chunk = await claimChunk(owner);
        if (chunk) await work(owner, chunk);
        if (chunk && batchPauseMs()) await new Promise((r) => setTimeout(r, batchPauseMs()));
      } catch (err) {
        log.error("bulk import chunk failed", { job: chunk?.jobId, seq: chunk?.seq, ...safeError(err) });
        chunk = null;
      }
      if (!chunk && !stopped) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            sleepers.delete(done);
            resolve();
          };
          const t = setTimeout(done, idleMs);
          sleepers.add(done);
        });
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  const janitor = setInterval(() => {
    void expireStaleUploads().catch(() => {});
    void purgeFinishedFiles().catch(() => {});
  }, 60_000);
  janitor.unref();
  // A directory job whose reading server died is taken over here, once its lease has run out.
  const feeds = setInterval(() => void resumeStalledDirectoryFeeds().catch(() => {}), (leaseSeconds() * 1000) / 2);
  feeds.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(janitor);
      clearInterval(feeds);
      wakeAll();
      await Promise.allSettled(loops);
    },
  };
}
