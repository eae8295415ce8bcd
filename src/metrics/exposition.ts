// Prometheus text format 0.0.4, written as client_golang writes it: families
// sorted by name, labels sorted by name with "le" last on buckets, numbers in
// Go's shortest %g form (1e+06, 1.7e+09), counters and histograms without a
// label always present, labelled families only once they have a series. Pure.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/

export type FamilyType = "counter" | "gauge" | "histogram";

export interface SeriesSnapshot {
  /** label values, in the family's labelNames order */
  labels: string[];
  /** counter and gauge */
  value?: number;
  /** histogram: per-bucket (not cumulative) counts, one per bound; and the total count and sum */
  counts?: number[];
  count?: number;
  sum?: number;
}

/** One family as plain data: what a worker process sends its primary, what rendering reads. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: FamilyType;
  labelNames: string[];
  /** histogram bucket upper bounds, ascending (+Inf implied) */
  buckets?: number[];
  series: SeriesSnapshot[];
}

/** A number as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it, which is what client_golang prints. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mantissa, expText] = v.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  // %g with the shortest precision switches to %e below 1e-4 and from 1e+06.
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{a="1",b="2"}` for label pairs, sorted by name; "" for none. */
export function labelText(pairs: [string, string][]): string {
  if (pairs.length === 0) return "";
  const sorted = [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${sorted.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/**
 * The _bucket/_sum/_count lines of one histogram series. `cumulative[i]` is
 * the count of observations ≤ bounds[i]; `labels` is labelText() of the
 * series (sorted); "le" goes last, as client_golang writes it.
 */
export function histogramLines(name: string, labels: string, bounds: number[], cumulative: number[], sum: number, count: number): string[] {
  const inner = labels ? `${labels.slice(1, -1)},` : "";
  const lines = bounds.map((le, i) => `${name}_bucket{${inner}le="${formatValue(le)}"} ${formatValue(cumulative[i] ?? 0)}`);
  lines.push(`${name}_bucket{${inner}le="+Inf"} ${formatValue(count)}`);
  lines.push(`${name}_sum${labels} ${formatValue(sum)}`);
  lines.push(`${name}_count${labels} ${formatValue(count)}`);
  return lines;
}

/** The exposition of some families (one scrape's worth). */
export function renderFamilies(families: FamilySnapshot[]): string {
  const lines: string[] = [];
  const sorted = [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) {
    const series = f.labelNames.length === 0 && f.series.length === 0 ? [emptySeries(f)] : f.series;
    if (series.length === 0) continue;
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
    const rows = series.map((s) => ({ s, labels: labelText(f.labelNames.map((n, i): [string, string] => [n, s.labels[i] ?? ""])) }));
    rows.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    for (const { s, labels } of rows) {
      if (f.type !== "histogram") {
        lines.push(`${f.name}${labels} ${formatValue(s.value ?? 0)}`);
        continue;
      }
      const bounds = f.buckets ?? [];
      const cumulative: number[] = [];
      let running = 0;
      for (let i = 0; i < bounds.length; i++) cumulative.push((running += s.counts?.[i] ?? 0));
      lines.push(...histogramLines(f.name, labels, bounds, cumulative, s.sum ?? 0, s.count ?? 0));
    }
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

function emptySeries(f: FamilySnapshot): SeriesSnapshot {
  return f.type === "histogram" ? { labels: [], counts: (f.buckets ?? []).map(() => 0), count: 0, sum: 0 } : { labels: [], value: 0 };
}
