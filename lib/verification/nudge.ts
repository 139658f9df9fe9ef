/**
 * Wakes this process's outbox sender (if one runs here) right after a commit that queued mail,
 * instead of waiting for its next poll. Without a sender in the process it does nothing: the
 * rows wait in the outbox for whichever sender polls next.
 */
const globalForNudge = globalThis as unknown as { __identityImportOutboxNudge?: () => void };

export function nudgeOutboxSender(): void {
  globalForNudge.__identityImportOutboxNudge?.();
}

export function onOutboxNudge(fn: (() => void) | undefined): void {
  globalForNudge.__identityImportOutboxNudge = fn;
}
