// The dashboard's three small charts (kube-proxy's sync duration, the DNS
// request rate, the API request rate), from successive scrapes of the
// components' Prometheus text: a reading per scrape, a point per pair of
// readings (counters become rates; the sync histogram's sum/count becomes the
// mean duration of the syncs in between), and an SVG sparkline. Pure.
import { parsePrometheusText } from "../metrics/parse.js";
import { sumOf } from "../metrics/select.js";

export interface MetricTexts {
  kubeProxy?: string;
  coredns?: string;
  apiserver?: string;
}

export interface MetricReading {
  /** ms since the epoch */
  at: number;
  syncSumSeconds?: number;
  syncCount?: number;
  dnsRequests?: number;
  apiRequests?: number;
}

export const CHARTS = [
  { id: "sync", title: "kube-proxy sync duration", unit: "ms", metric: "kubeproxy_sync_proxy_rules_duration_seconds" },
  { id: "dns", title: "DNS requests", unit: "/s", metric: "coredns_dns_requests_total" },
  { id: "api", title: "API requests", unit: "/s", metric: "apiserver_request_total" },
] as const;
export type ChartId = (typeof CHARTS)[number]["id"];

/** One scrape's totals; a component that could not be read leaves its fields out. */
export function readingOf(at: number, texts: MetricTexts): MetricReading {
  const reading: MetricReading = { at };
  if (texts.kubeProxy !== undefined) {
    const s = parsePrometheusText(texts.kubeProxy);
    reading.syncSumSeconds = sumOf(s, "kubeproxy_sync_proxy_rules_duration_seconds_sum");
    reading.syncCount = sumOf(s, "kubeproxy_sync_proxy_rules_duration_seconds_count");
  }
  if (texts.coredns !== undefined) reading.dnsRequests = sumOf(parsePrometheusText(texts.coredns), "coredns_dns_requests_total");
  if (texts.apiserver !== undefined) reading.apiRequests = sumOf(parsePrometheusText(texts.apiserver), "apiserver_request_total");
  return reading;
}

/**
 * The charts' values between two readings; null where a side is missing, a
 * counter went backwards (the component restarted) or, for the sync mean,
 * no sync happened in between.
 */
export function pointBetween(prev: MetricReading, cur: MetricReading): Record<ChartId, number | null> {
  const seconds = (cur.at - prev.at) / 1000;
  const rate = (a?: number, b?: number) => (a === undefined || b === undefined || b < a || seconds <= 0 ? null : (b - a) / seconds);
  let sync: number | null = null;
  if (prev.syncCount !== undefined && cur.syncCount !== undefined && prev.syncSumSeconds !== undefined && cur.syncSumSeconds !== undefined) {
    const n = cur.syncCount - prev.syncCount;
    if (n > 0) sync = ((cur.syncSumSeconds - prev.syncSumSeconds) / n) * 1000;
  }
  return { sync, dns: rate(prev.dnsRequests, cur.dnsRequests), api: rate(prev.apiRequests, cur.apiRequests) };
}

export interface Sparkline {
  /** the `d` of an SVG path in a w×h box (y grows downwards); "" with no values */
  path: string;
  max: number;
  /** the latest value, or null */
  last: number | null;
}

/** Scaled to the largest value (at least `floor`, so that a flat zero line stays at the bottom); gaps (null) break the line. */
export function sparkline(values: (number | null)[], w: number, h: number, floor = 1): Sparkline {
  const known = values.filter((v): v is number => v !== null);
  const max = Math.max(floor, ...known);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const parts: string[] = [];
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = +(i * step).toFixed(1);
    const y = +(h - (v / max) * h).toFixed(1);
    parts.push(`${pen ? "L" : "M"}${x} ${y}`);
    pen = true;
  });
  return { path: parts.join(" "), max, last: values.length > 0 ? (values[values.length - 1] ?? null) : null };
}
