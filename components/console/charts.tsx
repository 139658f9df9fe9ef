/**
 * Dependency-free charts rendered on the server as SVG: no script, no inline style (colours are
 * classes and SVG presentation attributes), so they work under the console's CSP. Each chart is
 * an image with a summary label; the numbers are also on the page as a table for screen readers.
 */

const fmt = new Intl.NumberFormat("en-US");

export type Bar = { label: string; value: number; tone: Tone };
export type Tone = "indigo" | "amber" | "sky" | "slate" | "rose" | "emerald";

const FILL: Record<Tone, string> = {
  indigo: "fill-indigo-500",
  amber: "fill-amber-500",
  sky: "fill-sky-500",
  slate: "fill-slate-400",
  rose: "fill-rose-500",
  emerald: "fill-emerald-500",
};

/** Horizontal bars, one per row, each labelled with its value. */
export function BarChart({ bars, label, testId }: { bars: Bar[]; label: string; testId?: string }) {
  const rowH = 28;
  const labelW = 260;
  const barW = 420;
  const valueW = 90;
  const width = labelW + barW + valueW;
  const height = Math.max(rowH, bars.length * rowH) + 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <svg
      role="img"
      aria-label={label}
      data-chart={testId}
      viewBox={`0 0 ${width} ${height}`}
      className="h-auto w-full max-w-3xl text-slate-700"
      xmlns="http://www.w3.org/2000/svg"
    >
      {bars.map((b, i) => {
        const y = 4 + i * rowH;
        const w = b.value === 0 ? 0 : Math.max(2, (b.value / max) * barW);
        return (
          <g key={`${b.label}-${i}`}>
            <text x={labelW - 8} y={y + rowH / 2} textAnchor="end" dominantBaseline="middle" fontSize="12" fill="currentColor">
              {b.label.length > 38 ? `${b.label.slice(0, 37)}…` : b.label}
            </text>
            <rect x={labelW} y={y + 4} width={w} height={rowH - 8} rx="3" className={FILL[b.tone]} />
            <text x={labelW + w + 6} y={y + rowH / 2} dominantBaseline="middle" fontSize="12" fill="currentColor">
              {fmt.format(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export type Series = { name: string; tone: Tone };

/** Stacked columns over a sequence of labels (days, jobs), with a legend. */
export function ColumnChart({
  columns,
  series,
  label,
  testId,
}: {
  columns: { label: string; values: number[] }[];
  series: Series[];
  label: string;
  testId?: string;
}) {
  const width = 760;
  const plotH = 180;
  const top = 24;
  const left = 48;
  const bottom = 36;
  const height = top + plotH + bottom;
  const n = Math.max(1, columns.length);
  const slot = (width - left - 8) / n;
  const colW = Math.max(2, Math.min(28, slot * 0.7));
  const max = Math.max(1, ...columns.map((c) => c.values.reduce((a, v) => a + v, 0)));
  const ticks = [0, Math.round(max / 2), max];
  const labelEvery = Math.max(1, Math.ceil(n / 10));
  return (
    <svg role="img" aria-label={label} data-chart={testId} viewBox={`0 0 ${width} ${height}`} className="h-auto w-full max-w-3xl text-slate-600" xmlns="http://www.w3.org/2000/svg">
      {series.map((s, i) => (
        <g key={s.name}>
          <rect x={left + i * 180} y={4} width={12} height={12} rx="2" className={FILL[s.tone]} />
          <text x={left + i * 180 + 18} y={14} fontSize="12" fill="currentColor">
            {s.name}
          </text>
        </g>
      ))}
      {ticks.map((t) => {
        const y = top + plotH - (t / max) * plotH;
        return (
          <g key={t}>
            <line x1={left} x2={width - 4} y1={y} y2={y} stroke="currentColor" strokeOpacity="0.15" />
            <text x={left - 6} y={y} textAnchor="end" dominantBaseline="middle" fontSize="11" fill="currentColor">
              {fmt.format(t)}
            </text>
          </g>
        );
      })}
      {columns.map((c, i) => {
        const x = left + i * slot + (slot - colW) / 2;
        let y = top + plotH;
        const parts = c.values.map((v, k) => {
          const h = (v / max) * plotH;
          y -= h;
          return v > 0 ? <rect key={k} x={x} y={y} width={colW} height={h} className={FILL[series[k]?.tone ?? "slate"]} /> : null;
        });
        return (
          <g key={`${c.label}-${i}`}>
            {parts}
            {i % labelEvery === 0 && (
              <text x={x + colW / 2} y={top + plotH + 16} textAnchor="middle" fontSize="10" fill="currentColor">
                {c.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export { fmt as numberFormat };
