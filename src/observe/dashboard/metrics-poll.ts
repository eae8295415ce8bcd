// Polls kube-proxy (the first node), CoreDNS and the API server for the
// dashboard's charts every few seconds; a component that cannot be read
// leaves a gap in its line rather than stopping the others.
import { scrapeMetrics, type ScrapableCluster } from "../metrics/scrape.js";
import { CHARTS, pointBetween, readingOf, sparkline, type ChartId, type MetricReading } from "./charts.js";
import type { ChartMessage } from "./messages.js";

export const METRICS_INTERVAL_MS = 5000;
/** points kept per chart: five minutes at the interval */
export const CHART_POINTS = 60;
export const SPARK_W = 180;
export const SPARK_H = 36;

export function chartMessages(series: Record<ChartId, (number | null)[]>): ChartMessage[] {
  return CHARTS.map((c) => {
    const line = sparkline(series[c.id], SPARK_W, SPARK_H, c.id === "sync" ? 1 : 0.1);
    return { id: c.id, title: c.title, unit: c.unit, path: line.path, max: line.max, last: line.last };
  });
}

export class MetricsPoll {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private previous: MetricReading | undefined;
  private readonly series: Record<ChartId, (number | null)[]> = { sync: [], dns: [], api: [] };

  constructor(
    private readonly cluster: ScrapableCluster,
    private readonly onCharts: (charts: ChartMessage[]) => void,
    private readonly intervalMs = METRICS_INTERVAL_MS,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  charts(): ChartMessage[] {
    return chartMessages(this.series);
  }

  private async tick(): Promise<void> {
    const read = (component: "kube-proxy" | "coredns" | "apiserver") => scrapeMetrics(this.cluster, component).catch(() => undefined);
    const [kubeProxy, coredns, apiserver] = await Promise.all([read("kube-proxy"), read("coredns"), read("apiserver")]);
    if (this.stopped) return;
    let reading: MetricReading | undefined;
    try {
      reading = readingOf(Date.now(), { ...(kubeProxy !== undefined ? { kubeProxy } : {}), ...(coredns !== undefined ? { coredns } : {}), ...(apiserver !== undefined ? { apiserver } : {}) });
    } catch {
      reading = undefined; // malformed text: a gap
    }
    if (this.previous && reading) {
      const point = pointBetween(this.previous, reading);
      for (const c of CHARTS) this.series[c.id] = [...this.series[c.id], point[c.id]].slice(-CHART_POINTS);
      this.onCharts(this.charts());
    }
    if (reading) this.previous = reading;
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }
}
