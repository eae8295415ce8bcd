// Counters, gauges and histograms with labels, kept as plain numbers so that
// counting costs a map lookup and an add. A registry's snapshot is plain data
// (exposition.ts renders it); processes with workers sum their snapshots
// with mergeSnapshots, as CoreDNS's and the router's primaries do.
import { renderFamilies, type FamilySnapshot, type FamilyType, type SeriesSnapshot } from "./exposition.js";

/** Labels values joined: \u0000 never appears in a label value we record. */
const SEP = "\u0000";

abstract class Family {
  protected readonly series = new Map<string, SeriesSnapshot>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    readonly labelNames: string[],
    readonly buckets?: number[],
  ) {}

  protected entry(labels: string[]): SeriesSnapshot {
    const key = labels.length === 1 ? labels[0]! : labels.join(SEP);
    let s = this.series.get(key);
    if (!s) {
      if (labels.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(", ")}), got ${labels.length}`);
      s = this.type === "histogram" ? { labels: [...labels], counts: new Array<number>(this.buckets!.length).fill(0), count: 0, sum: 0 } : { labels: [...labels], value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  snapshot(): FamilySnapshot {
    const series = [...this.series.values()].map((s) => ({ ...s, labels: [...s.labels], ...(s.counts ? { counts: [...s.counts] } : {}) }));
    return { name: this.name, help: this.help, type: this.type, labelNames: [...this.labelNames], ...(this.buckets ? { buckets: [...this.buckets] } : {}), series };
  }
}

export class Counter extends Family {
  inc(labels: string[] = [], by = 1): void {
    this.entry(labels).value! += by;
  }
}

export class Gauge extends Family {
  set(value: number, labels: string[] = []): void {
    this.entry(labels).value = value;
  }
}

export class Histogram extends Family {
  observe(value: number, labels: string[] = []): void {
    const s = this.entry(labels);
    const bounds = this.buckets!;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) s.counts![i]!++;
    s.count!++;
    s.sum! += value;
  }
}

export class Registry {
  private readonly families: Family[] = [];

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    return this.add(new Counter(name, help, "counter", labelNames));
  }

  gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return this.add(new Gauge(name, help, "gauge", labelNames));
  }

  histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram {
    for (let i = 1; i < buckets.length; i++) if (!(buckets[i]! > buckets[i - 1]!)) throw new Error(`${name}: bucket bounds must increase, got ${buckets.join(", ")}`);
    return this.add(new Histogram(name, help, "histogram", labelNames, buckets));
  }

  snapshot(): FamilySnapshot[] {
    return this.families.map((f) => f.snapshot());
  }

  render(): string {
    return renderFamilies(this.snapshot());
  }

  private add<F extends Family>(f: F): F {
    if (this.families.some((x) => x.name === f.name)) throw new Error(`metric ${f.name} is registered twice`);
    this.families.push(f);
    return f;
  }
}

/** Sums several processes' snapshots of the same families (counters, gauges and histograms alike). */
export function mergeSnapshots(snapshots: FamilySnapshot[][]): FamilySnapshot[] {
  const byName = new Map<string, { family: FamilySnapshot; series: Map<string, SeriesSnapshot> }>();
  for (const families of snapshots) {
    for (const f of families) {
      let acc = byName.get(f.name);
      if (!acc) byName.set(f.name, (acc = { family: { ...f, series: [] }, series: new Map() }));
      for (const s of f.series) {
        const key = s.labels.join(SEP);
        const into = acc.series.get(key);
        if (!into) {
          acc.series.set(key, { ...s, labels: [...s.labels], ...(s.counts ? { counts: [...s.counts] } : {}) });
          continue;
        }
        if (s.value !== undefined) into.value = (into.value ?? 0) + s.value;
        if (s.counts) s.counts.forEach((c, i) => (into.counts![i] = (into.counts![i] ?? 0) + c));
        if (s.count !== undefined) into.count = (into.count ?? 0) + s.count;
        if (s.sum !== undefined) into.sum = (into.sum ?? 0) + s.sum;
      }
    }
  }
  return [...byName.values()].map(({ family, series }) => ({ ...family, series: [...series.values()] }));
}

/** client_golang's ExponentialBuckets(start, factor, count). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** client_golang's LinearBuckets(start, width, count). */
export function linearBuckets(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + width * i);
}
