/**
 * The work every serving process does besides answering requests: bulk import jobs (leased
 * batches, lib/bulk/worker.ts) and the email outbox when SMTP_URL is set (leased rows,
 * lib/verification/sender.ts). Started by the production server (main.ts) and, under
 * `next start` / `next dev`, by instrumentation.ts, so a developer sees jobs run and mail go.
 * Once per process, also across dev-mode module reloads.
 */
const globalForBackground = globalThis as unknown as { __identityImportBackground?: boolean };

export async function startBackgroundWork(opts: { bulkConcurrency?: number } = {}): Promise<void> {
  if (globalForBackground.__identityImportBackground) return;
  globalForBackground.__identityImportBackground = true;
  const { startBulkWorker } = await import("@/lib/bulk/worker");
  startBulkWorker({ concurrency: opts.bulkConcurrency });
  const { startOutboxSender } = await import("@/lib/verification/sender");
  startOutboxSender();
}
