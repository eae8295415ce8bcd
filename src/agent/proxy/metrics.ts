// kube-proxy's Prometheus metrics (upstream pkg/proxy/metrics/metrics.go),
// counted by the node agent's proxy and served on :10249/metrics in the
// node's namespace. Names, types, help texts and buckets are upstream's.
//
// Network programming latency: upstream measures from the EndpointSlice's
// endpoints.kubernetes.io/last-change-trigger-time annotation; kemu's
// EndpointSlice controller does not set it (only the Endpoints controller
// does), so a slice without it is timed from when this agent saw the change,
// and one with it from the annotation.
import http from "node:http";
import { Registry, exponentialBuckets, linearBuckets, type Counter, type Gauge, type Histogram } from "../../metrics/registry.js";
import { KUBE_PROXY_METRICS_PORT } from "../../metrics/components.js";

export const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

/** Upstream's NetworkProgrammingLatency buckets: merge() starts with a 0 bound, then 0.25 s, 0.5 s, 1…59 s, 60…115 s, 2…5 min. */
export const NETWORK_PROGRAMMING_BUCKETS = [0, ...linearBuckets(0.25, 0.25, 2), ...linearBuckets(1, 1, 59), ...linearBuckets(60, 5, 12), ...linearBuckets(120, 30, 7)];
/** Upstream's sync duration buckets: ExponentialBuckets(0.001, 2, 15), 1 ms … 16.384 s. */
export const SYNC_BUCKETS = exponentialBuckets(0.001, 2, 15);

export type ProxyMetricsMode = "iptables" | "userspace";

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly syncDuration: Histogram;
  private readonly syncFull?: Histogram;
  private readonly syncPartial?: Histogram;
  private readonly lastTimestamp: Gauge;
  private readonly lastQueued: Gauge;
  private readonly networkProgramming: Histogram;
  private readonly endpointChanges: Counter;
  private readonly serviceChanges: Counter;
  private readonly endpointPending: Gauge;
  private readonly servicePending: Gauge;
  private readonly restoreFailures?: Counter;
  private readonly rulesLast?: Gauge;
  private readonly rulesTotal?: Gauge;
  /** service key → when its endpoints' change was triggered (ms), for changes no sync has taken yet */
  private pendingEndpoints = new Map<string, number>();
  private pendingServices = new Set<string>();

  constructor(readonly mode: ProxyMetricsMode) {
    const r = this.registry;
    const p = "kubeproxy_";
    this.syncDuration = r.histogram(`${p}sync_proxy_rules_duration_seconds`, "SyncProxyRules latency in seconds", SYNC_BUCKETS);
    this.lastTimestamp = r.gauge(`${p}sync_proxy_rules_last_timestamp_seconds`, "The last time proxy rules were successfully synced");
    this.lastQueued = r.gauge(`${p}sync_proxy_rules_last_queued_timestamp_seconds`, "The last time a sync of proxy rules was queued");
    this.networkProgramming = r.histogram(`${p}network_programming_duration_seconds`, "In Cluster Network Programming Latency in seconds", NETWORK_PROGRAMMING_BUCKETS);
    this.endpointPending = r.gauge(`${p}sync_proxy_rules_endpoint_changes_pending`, "Pending proxy rules Endpoint changes");
    this.endpointChanges = r.counter(`${p}sync_proxy_rules_endpoint_changes_total`, "Cumulative proxy rules Endpoint changes");
    this.servicePending = r.gauge(`${p}sync_proxy_rules_service_changes_pending`, "Pending proxy rules Service changes");
    this.serviceChanges = r.counter(`${p}sync_proxy_rules_service_changes_total`, "Cumulative proxy rules Service changes");
    // Upstream registers these in iptables mode only.
    if (mode === "iptables") {
      this.syncFull = r.histogram(`${p}sync_full_proxy_rules_duration_seconds`, "SyncProxyRules latency in seconds for full resyncs", SYNC_BUCKETS);
      this.syncPartial = r.histogram(`${p}sync_partial_proxy_rules_duration_seconds`, "SyncProxyRules latency in seconds for partial resyncs", SYNC_BUCKETS);
      this.restoreFailures = r.counter(`${p}sync_proxy_rules_iptables_restore_failures_total`, "Cumulative proxy iptables restore failures");
      this.rulesTotal = r.gauge(`${p}sync_proxy_rules_iptables_total`, "Total number of iptables rules owned by kube-proxy", ["table"]);
      this.rulesLast = r.gauge(`${p}sync_proxy_rules_iptables_last`, "Number of iptables rules written by kube-proxy in last sync", ["table"]);
    }
  }

  /** A Service event reached the change tracker. */
  serviceChanged(serviceKey: string): void {
    this.serviceChanges.inc();
    this.pendingServices.add(serviceKey);
    this.servicePending.set(this.pendingServices.size);
  }

  /** An EndpointSlice event reached the change tracker; `triggeredAt` is its annotation's time, if any (ms). */
  endpointsChanged(serviceKey: string, triggeredAt: number | undefined, now = Date.now()): void {
    this.endpointChanges.inc();
    // The earliest unsynced trigger of a service is what its programming latency counts from.
    if (!this.pendingEndpoints.has(serviceKey)) this.pendingEndpoints.set(serviceKey, triggeredAt ?? now);
    this.endpointPending.set(this.pendingEndpoints.size);
  }

  /** A sync was asked for. */
  queued(now = Date.now()): void {
    this.lastQueued.set(now / 1000);
  }

  /** The changes a sync is about to program (taken when it reads the tracker's snapshot). */
  takePending(): Map<string, number> {
    const taken = this.pendingEndpoints;
    this.pendingEndpoints = new Map();
    this.pendingServices = new Set();
    this.endpointPending.set(0);
    this.servicePending.set(0);
    return taken;
  }

  /** A sync that succeeded: its duration, whether it was full, what it programmed and the rules it wrote by table (iptables mode). */
  synced(o: { seconds: number; full: boolean; programmed: Map<string, number>; rulesWritten?: Map<string, number>; now?: number }): void {
    const now = o.now ?? Date.now();
    this.syncDuration.observe(o.seconds);
    (o.full ? this.syncFull : this.syncPartial)?.observe(o.seconds);
    this.lastTimestamp.set(now / 1000);
    for (const triggeredAt of o.programmed.values()) this.networkProgramming.observe(Math.max(0, (now - triggeredAt) / 1000));
    if (this.rulesLast && o.rulesWritten) for (const table of ["filter", "nat"]) this.rulesLast.set(o.rulesWritten.get(table) ?? 0, [table]);
  }

  /** A sync that failed; its changes stay pending for the next one. */
  syncFailed(programmed: Map<string, number>, restoreFailed: boolean): void {
    if (restoreFailed) this.restoreFailures?.inc();
    for (const [key, at] of programmed) if (!this.pendingEndpoints.has(key)) this.pendingEndpoints.set(key, at);
    this.endpointPending.set(this.pendingEndpoints.size);
  }

  /** Sets kubeproxy_sync_proxy_rules_iptables_total from an iptables-save listing of the node. */
  setRulesTotal(iptablesSave: string): void {
    const counts = countOwnedRules(iptablesSave);
    for (const table of ["filter", "nat"]) this.rulesTotal?.set(counts.get(table) ?? 0, [table]);
  }
}

/** The rules one iptables-restore text writes (-A and -I lines), by table. Pure. */
export function countRestoreRules(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  let table = "";
  // Scanned in place: a full sync's text is megabytes at 10,000 services.
  for (let i = 0; i < text.length; ) {
    const end = text.indexOf("\n", i);
    const next = end < 0 ? text.length : end + 1;
    if (text.startsWith("*", i)) table = text.slice(i + 1, end < 0 ? text.length : end).trim();
    else if (text.startsWith("-A ", i) || text.startsWith("-I ", i)) counts.set(table, (counts.get(table) ?? 0) + 1);
    i = next;
  }
  return counts;
}

/** The rules in kube-proxy's own chains (KUBE-…) in an iptables-save listing, by table. Pure. */
export function countOwnedRules(save: string): Map<string, number> {
  const counts = new Map<string, number>();
  let table = "";
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    else if (line.startsWith("-A KUBE-")) counts.set(table, (counts.get(table) ?? 0) + 1);
  }
  return counts;
}

/** The trigger time of an EndpointSlice's change from its annotation (ms), or undefined. */
export function triggerTimeOf(annotations: Record<string, string> | undefined): number | undefined {
  const v = annotations?.[LAST_CHANGE_TRIGGER_TIME];
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Serves /metrics on 0.0.0.0:10249 in the node's namespace (upstream's
 * default metricsBindAddress is 127.0.0.1:10249; kemu binds every address of
 * the node so a scraper on another node or in a pod reaches it, as clusters
 * that scrape kube-proxy configure). `beforeRender` refreshes what is read
 * only when scraped.
 */
export function serveProxyMetrics(metrics: ProxyMetrics, beforeRender: () => Promise<void> = async () => undefined, port = KUBE_PROXY_METRICS_PORT): http.Server {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("404 page not found\n");
      return;
    }
    beforeRender()
      .catch((err: Error) => console.error(`proxy metrics: ${err.message}`))
      .then(() => {
        res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
        res.end(metrics.registry.render());
      });
  });
  server.on("error", (err) => console.error(`proxy metrics :${port}: ${err.message}`));
  server.listen(port, "0.0.0.0");
  return server;
}
