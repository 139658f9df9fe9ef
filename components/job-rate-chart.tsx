/**
 * A bulk job's rate over its life, as a small SVG drawn from its progress history ([seconds
 * since start, rows processed] pairs): no charting library, no script, no inline style beyond
 * what the console's CSP already allows (lib/server/security-headers.ts).
 */
const W = 320;
const H = 80;

/** The history's resolution (seconds): a stretch shorter than this is drawn as this long. */
const RESOLUTION_S = 0.1;

/**
 * Rows per second between consecutive samples, at the later sample's time, from the job's start
 * (0 rows at 0 s). A job done within one tick of the history (its samples share a time) still
 * gets its one stretch, drawn as one tick long.
 */
export function ratePoints(history: readonly (readonly [number, number])[]): [number, number][] {
  const samples: (readonly [number, number])[] = history.length && (history[0]![0] > 0 || history[0]![1] > 0) ? [[0, 0], ...history] : [...history];
  const out: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const [t0, n0] = samples[i - 1]!;
    const [t1, n1] = samples[i]!;
    if (t1 > t0 || n1 > n0) out.push([Math.max(t1, t0 + RESOLUTION_S), (n1 - n0) / Math.max(t1 - t0, RESOLUTION_S)]);
  }
  return out;
}

export function JobRateChart({ history }: { history: readonly (readonly [number, number])[] }) {
  const rates = ratePoints(history);
  if (!rates.length) return null;
  // A job worked in one stretch between two samples ran at one rate from its start.
  const points: [number, number][] = rates.length === 1 ? [[0, rates[0]![1]], rates[0]!] : rates;
  const seconds = points[points.length - 1]![0] || 1;
  const peak = Math.max(...points.map(([, r]) => r), 1);
  const xy = points.map(([t, r]) => `${((t / seconds) * W).toFixed(1)},${(H - (r / peak) * (H - 4)).toFixed(1)}`).join(" ");
  const label = `Rows per second over the job's life: peak ${Math.round(peak).toLocaleString()} rows/s over ${Math.round(seconds)} s`;
  return (
    <figure className="space-y-1">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={label} className="h-20 w-full rounded-md bg-slate-50" data-testid="job-rate-chart">
        <polyline points={`0,${H} ${xy} ${W},${H}`} className="fill-indigo-100 stroke-none" />
        <polyline points={xy} className="fill-none stroke-indigo-600" strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
      </svg>
      <figcaption className="flex justify-between text-xs text-slate-500">
        <span>0 s</span>
        <span>peak {Math.round(peak).toLocaleString()} rows/s</span>
        <span>{Math.round(seconds)} s</span>
      </figcaption>
    </figure>
  );
}
