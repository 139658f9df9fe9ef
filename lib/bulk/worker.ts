import "server-only";
import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { databaseDriver } from "@/db";
import { isDatabaseUnavailable } from "@/lib/api/errors";
import { log, safeError } from "@/lib/log";
import { JOB_QUEUED } from "@/lib/server/messages";
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

async function work(owner: string, chunk: ClaimedChunk, stopped: () => boolean = () => false): Promise<void> {
  await withLease(owner, chunk, () => untilDatabaseAnswers(() => processChunk(owner, chunk), { job: chunk.jobId, seq: chunk.seq }, stopped));
}

/** Backoff while the database is down: 100 ms doubling to 2 s, with jitter. */
function outageDelay(attempt: number): number {
  const ceiling = Math.min(2000, 100 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * Runs a chunk's work again, after a pause, for as long as the database cannot be reached: an
 * outage pauses the job instead of failing its rows (or burning the chunk's attempts, which
 * count crashed processes). Safe to repeat: the chunk's one transaction commits only while the
 * chunk is not done and this process holds its lease (chunk.ts), so a commit whose answer was
 * lost with the connection is found done on the next try and is not written twice. A worker
 * being stopped gives up: the chunk's lease runs out and another process takes it.
 */
async function untilDatabaseAnswers<T>(fn: () => Promise<T>, about: Record<string, unknown>, stopped: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || stopped()) throw err;
      const delay = outageDelay(attempt);
      if (attempt === 1 || attempt % 10 === 0) log.warn("bulk import paused: database unavailable", { ...about, attempt, retryInMs: delay, ...safeError(err) });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
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
  // BULK_IDLE_POLL_MS: how often an idle loop looks for work it was not told of (a job queued by
  // another server on the same database, a lease run out).
  const idleMs = opts.idleMs ?? (Number(process.env.BULK_IDLE_POLL_MS) || 1000);
  let stopped = false;
  const sleepers = new Set<() => void>();
  const wakeAll = () => {
    for (const w of [...sleepers]) w();
  };
  onNewJob(wakeAll);
  // A job queued by another worker of this server, passed on by the supervisor (lib/server/main.ts).
  const onMessage = (m: unknown) => {
    if (m === JOB_QUEUED) wakeAll();
  };
  if (cluster.isWorker) process.on("message", onMessage);

  const loop = async () => {
    let outage = false;
    while (!stopped) {
      let chunk: ClaimedChunk | null = null;
      try {
        chunk = await claimChunk(owner);
        outage = false;
        if (chunk) await work(owner, chunk, () => stopped);
        if (chunk && batchPauseMs()) await new Promise((r) => setTimeout(r, batchPauseMs()));
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          // Nothing to claim from a database that is down: poll again (below) until it is back.
          if (!outage) log.warn("bulk import worker waiting: database unavailable", safeError(err));
          outage = true;
        } else log.error("bulk import chunk failed", { job: chunk?.jobId, seq: chunk?.seq, ...safeError(err) });
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
      process.off("message", onMessage);
      clearInterval(janitor);
      clearInterval(feeds);
      wakeAll();
      await Promise.allSettled(loops);
    },
  };
}
