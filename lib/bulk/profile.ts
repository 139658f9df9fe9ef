/**
 * Where a bulk job's time goes, per phase, summed over the chunks this process worked: read by
 * bench/bulk-profile.mts. Off unless BULK_PROFILE=1 (a clock read per phase and chunk otherwise).
 */
const enabled = () => process.env.BULK_PROFILE === "1";
const totals = new Map<string, { ms: number; n: number }>();

export async function timed<T>(phase: string, work: () => Promise<T> | T): Promise<T> {
  if (!enabled()) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    const t = totals.get(phase) ?? { ms: 0, n: 0 };
    t.ms += performance.now() - started;
    t.n++;
    totals.set(phase, t);
  }
}

export function phaseTotals(): Record<string, { ms: number; n: number }> {
  return Object.fromEntries([...totals].map(([k, v]) => [k, { ...v }]));
}

export function resetPhaseTotals(): void {
  totals.clear();
}
