// CoreDNS's Prometheus metrics (plugin/metrics, cache, forward), counted in
// flat typed arrays so that the per-query cost is two array increments. A
// snapshot is plain data: worker processes send theirs to the primary, which
// sums them into one exposition (text format 0.0.4).
import { TYPE, rcodeName } from "./rr.js";
import { escapeLabelValue as escapeLabel, histogramLines } from "../metrics/exposition.js";

/** The qtypes CoreDNS reports by name; every other one is "other". */
const TYPE_LABELS = ["A", "AAAA", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "SRV", "ANY", "AXFR", "IXFR", "HTTPS", "DS", "DNSKEY", "RRSIG", "NSEC", "NSEC3", "other"];
const TYPE_INDEX = new Map<number, number>(TYPE_LABELS.slice(0, -1).map((name, i) => [TYPE[name as keyof typeof TYPE], i]));
const OTHER = TYPE_LABELS.length - 1;

/** The plugin that wrote a response ("" = the server itself, e.g. FORMERR). */
export const PLUGIN = { NONE: 0, KUBERNETES: 1, FORWARD: 2, CACHE: 3 } as const;
export type PluginId = (typeof PLUGIN)[keyof typeof PLUGIN];
const PLUGIN_LABELS = ["", "kubernetes", "forward", "cache"];
const RCODES = 24;

/** CoreDNS's default histogram buckets for durations (plugin.TimeBuckets): 0.25 ms × 2^i. */
const TIME_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

export interface MetricsSnapshot {
  requests: number[];
  /** coredns_dns_request_duration_seconds: [type][bucket] per-bucket counts, and by [type] the sums and counts */
  durationCounts: number[];
  durationSums: number[];
  durationTotals: number[];
  responses: number[];
  panics: number;
  cacheHits: { success: number; denial: number };
  cacheMisses: number;
  cacheEntries: { success: number; denial: number };
  maxConcurrentRejects: number;
  /** "to|rcode" → bucket counts, sum, count */
  proxy: Record<string, { buckets: number[]; sum: number; count: number }>;
}

export class Metrics {
  /** [proto udp=0/tcp=1][family v4=0/v6=1][type] */
  private readonly requests = new Float64Array(2 * 2 * TYPE_LABELS.length);
  private readonly durationCounts = new Float64Array(TYPE_LABELS.length * TIME_BUCKETS.length);
  private readonly durationSums = new Float64Array(TYPE_LABELS.length);
  private readonly durationTotals = new Float64Array(TYPE_LABELS.length);
  /** [rcode][plugin] */
  private readonly responses = new Float64Array(RCODES * PLUGIN_LABELS.length);
  panics = 0;
  readonly cacheHits = { success: 0, denial: 0 };
  cacheMisses = 0;
  maxConcurrentRejects = 0;
  private readonly proxy = new Map<string, { buckets: number[]; sum: number; count: number }>();
  /** current cache sizes, read when a snapshot is taken */
  cacheEntries: () => { success: number; denial: number } = () => ({ success: 0, denial: 0 });

  request(tcp: boolean, ipv6: boolean, qtype: number): void {
    const t = TYPE_INDEX.get(qtype) ?? OTHER;
    this.requests[((tcp ? 2 : 0) + (ipv6 ? 1 : 0)) * TYPE_LABELS.length + t]!++;
  }

  /** How long one request took, from its arrival to its reply (CoreDNS's plugin/metrics measures the same span). */
  duration(qtype: number, seconds: number): void {
    const t = TYPE_INDEX.get(qtype) ?? OTHER;
    let b = 0;
    while (b < TIME_BUCKETS.length && seconds > TIME_BUCKETS[b]!) b++;
    if (b < TIME_BUCKETS.length) this.durationCounts[t * TIME_BUCKETS.length + b]!++;
    this.durationSums[t]! += seconds;
    this.durationTotals[t]!++;
  }

  response(rcode: number, plugin: PluginId): void {
    this.responses[(rcode < RCODES ? rcode : RCODES - 1) * PLUGIN_LABELS.length + plugin]!++;
  }

  proxyExchange(to: string, rcode: number, seconds: number): void {
    const key = `${to}|${rcode < 0 ? "" : rcodeName(rcode)}`;
    let h = this.proxy.get(key);
    if (!h) this.proxy.set(key, (h = { buckets: new Array<number>(TIME_BUCKETS.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < TIME_BUCKETS.length; i++) if (seconds <= TIME_BUCKETS[i]!) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  snapshot(): MetricsSnapshot {
    return {
      requests: [...this.requests],
      durationCounts: [...this.durationCounts],
      durationSums: [...this.durationSums],
      durationTotals: [...this.durationTotals],
      responses: [...this.responses],
      panics: this.panics,
      cacheHits: { ...this.cacheHits },
      cacheMisses: this.cacheMisses,
      cacheEntries: this.cacheEntries(),
      maxConcurrentRejects: this.maxConcurrentRejects,
      proxy: Object.fromEntries([...this.proxy].map(([k, v]) => [k, { buckets: [...v.buckets], sum: v.sum, count: v.count }])),
    };
  }
}

export interface ExpositionInfo {
  /** CoreDNS's server label, e.g. "dns://:53" */
  server: string;
  version?: string;
}

/** The Prometheus text for the sum of some snapshots (one per process). */
export function renderMetrics(snapshots: MetricsSnapshot[], info: ExpositionInfo): string {
  const server = escapeLabel(info.server);
  const lines: string[] = [];
  const head = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const sum = (f: (s: MetricsSnapshot) => number) => snapshots.reduce((a, s) => a + f(s), 0);

  head("coredns_build_info", "gauge", "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.");
  lines.push(`coredns_build_info{goversion="${escapeLabel(process.version)}",revision="kemu",version="${escapeLabel(info.version ?? "kemu")}"} 1`);

  head("coredns_dns_requests_total", "counter", "Counter of DNS requests made per zone, protocol and family.");
  for (let proto = 0; proto < 2; proto++) {
    for (let fam = 0; fam < 2; fam++) {
      for (let t = 0; t < TYPE_LABELS.length; t++) {
        const i = (proto * 2 + fam) * TYPE_LABELS.length + t;
        const v = sum((s) => s.requests[i] ?? 0);
        if (v > 0) lines.push(`coredns_dns_requests_total{family="${fam + 1}",proto="${proto ? "tcp" : "udp"}",server="${server}",type="${TYPE_LABELS[t]}",zone="."} ${v}`);
      }
    }
  }

  // CoreDNS before views (1.10) labels it server, zone and type, as coredns_dns_requests_total here.
  head("coredns_dns_request_duration_seconds", "histogram", "Histogram of the time (in seconds) each request took per zone.");
  for (let t = 0; t < TYPE_LABELS.length; t++) {
    const count = sum((s) => s.durationTotals[t] ?? 0);
    if (count === 0) continue;
    let running = 0;
    const cumulative = TIME_BUCKETS.map((_, b) => (running += sum((s) => s.durationCounts[t * TIME_BUCKETS.length + b] ?? 0)));
    const labels = `{server="${server}",type="${TYPE_LABELS[t]}",zone="."}`;
    lines.push(...histogramLines("coredns_dns_request_duration_seconds", labels, TIME_BUCKETS, cumulative, sum((s) => s.durationSums[t] ?? 0), count));
  }

  head("coredns_dns_responses_total", "counter", "Counter of response status codes.");
  for (let r = 0; r < RCODES; r++) {
    for (let p = 0; p < PLUGIN_LABELS.length; p++) {
      const i = r * PLUGIN_LABELS.length + p;
      const v = sum((s) => s.responses[i] ?? 0);
      if (v > 0) lines.push(`coredns_dns_responses_total{plugin="${PLUGIN_LABELS[p]}",rcode="${rcodeName(r)}",server="${server}",zone="."} ${v}`);
    }
  }

  head("coredns_panics_total", "counter", "A metrics that counts the number of panics.");
  lines.push(`coredns_panics_total ${sum((s) => s.panics)}`);

  head("coredns_cache_entries", "gauge", "The number of elements in the cache.");
  for (const type of ["denial", "success"] as const) lines.push(`coredns_cache_entries{server="${server}",type="${type}",zones="."} ${sum((s) => s.cacheEntries[type])}`);
  head("coredns_cache_hits_total", "counter", "The count of cache hits.");
  for (const type of ["denial", "success"] as const) lines.push(`coredns_cache_hits_total{server="${server}",type="${type}",zones="."} ${sum((s) => s.cacheHits[type])}`);
  head("coredns_cache_misses_total", "counter", "The count of cache misses. Deprecated, derive misses from cache hits/requests counters.");
  lines.push(`coredns_cache_misses_total{server="${server}",zones="."} ${sum((s) => s.cacheMisses)}`);

  head("coredns_forward_max_concurrent_rejects_total", "counter", "Counter of the number of queries rejected because the concurrent queries were at maximum.");
  lines.push(`coredns_forward_max_concurrent_rejects_total ${sum((s) => s.maxConcurrentRejects)}`);

  const proxy = new Map<string, { buckets: number[]; sum: number; count: number }>();
  for (const s of snapshots) {
    for (const [k, v] of Object.entries(s.proxy)) {
      const acc = proxy.get(k) ?? { buckets: new Array<number>(TIME_BUCKETS.length).fill(0), sum: 0, count: 0 };
      v.buckets.forEach((b, i) => (acc.buckets[i]! += b));
      acc.sum += v.sum;
      acc.count += v.count;
      proxy.set(k, acc);
    }
  }
  head("coredns_proxy_request_duration_seconds", "histogram", "Histogram of the time each request took.");
  for (const [k, h] of [...proxy].sort(([a], [b]) => a.localeCompare(b))) {
    const [to, rcode] = k.split("|") as [string, string];
    const labels = `proxy_name="forward",rcode="${escapeLabel(rcode)}",to="${escapeLabel(to)}"`;
    lines.push(...histogramLines("coredns_proxy_request_duration_seconds", `{${labels}}`, TIME_BUCKETS, h.buckets, h.sum, h.count));
  }
  return lines.join("\n") + "\n";
}
