import { describe, expect, it } from "vitest";
import { NETWORK_PROGRAMMING_BUCKETS, ProxyMetrics, countOwnedRules, countRestoreRules, triggerTimeOf } from "../../src/agent/proxy/metrics.js";
import { parsePrometheusText, parseMetricTypes } from "../../src/observe/metrics/parse.js";
import { sumOf } from "../../src/observe/metrics/select.js";

describe("kube-proxy metrics", () => {
  it("registers upstream's families: full/partial, restore failures and rule counts in iptables mode only", () => {
    const iptables = [...parseMetricTypes(new ProxyMetrics("iptables").registry.render())];
    expect(iptables).toEqual([
      ["kubeproxy_network_programming_duration_seconds", "histogram"],
      ["kubeproxy_sync_full_proxy_rules_duration_seconds", "histogram"],
      ["kubeproxy_sync_partial_proxy_rules_duration_seconds", "histogram"],
      ["kubeproxy_sync_proxy_rules_duration_seconds", "histogram"],
      ["kubeproxy_sync_proxy_rules_endpoint_changes_pending", "gauge"],
      ["kubeproxy_sync_proxy_rules_endpoint_changes_total", "counter"],
      ["kubeproxy_sync_proxy_rules_iptables_restore_failures_total", "counter"],
      ["kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", "gauge"],
      ["kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge"],
      ["kubeproxy_sync_proxy_rules_service_changes_pending", "gauge"],
      ["kubeproxy_sync_proxy_rules_service_changes_total", "counter"],
    ]);
    const userspace = [...parseMetricTypes(new ProxyMetrics("userspace").registry.render()).keys()];
    expect(userspace).not.toContain("kubeproxy_sync_full_proxy_rules_duration_seconds");
    expect(userspace).not.toContain("kubeproxy_sync_proxy_rules_iptables_restore_failures_total");
  });

  it("has upstream's network programming buckets: 0, 0.25, 0.5, 1…59, 60…115, 120…300", () => {
    expect(NETWORK_PROGRAMMING_BUCKETS.slice(0, 5)).toEqual([0, 0.25, 0.5, 1, 2]);
    expect(NETWORK_PROGRAMMING_BUCKETS.length).toBe(1 + 2 + 59 + 12 + 7);
    expect(NETWORK_PROGRAMMING_BUCKETS.slice(-8)).toEqual([115, 120, 150, 180, 210, 240, 270, 300]);
  });

  it("counts changes, keeps them pending until a sync takes them, and times programming from the trigger", () => {
    const m = new ProxyMetrics("iptables");
    m.serviceChanged("default/web");
    m.endpointsChanged("default/web", undefined, 10_000);
    m.endpointsChanged("default/web", undefined, 10_500); // the earliest trigger counts
    m.endpointsChanged("default/db", 9_000);
    m.queued(11_000);
    let s = parsePrometheusText(m.registry.render());
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_service_changes_total")).toBe(1);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_endpoint_changes_total")).toBe(3);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).toBe(2);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds")).toBe(11);

    const programmed = m.takePending();
    m.synced({ seconds: 0.003, full: false, programmed, rulesWritten: new Map([["nat", 7]]), now: 12_000 });
    s = parsePrometheusText(m.registry.render());
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).toBe(0);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_last_timestamp_seconds")).toBe(12);
    expect(sumOf(s, "kubeproxy_sync_partial_proxy_rules_duration_seconds_count")).toBe(1);
    expect(sumOf(s, "kubeproxy_sync_full_proxy_rules_duration_seconds_count")).toBe(0);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_duration_seconds_bucket", { le: "0.002" })).toBe(0);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_duration_seconds_bucket", { le: "0.004" })).toBe(1);
    // default/web: 2 s after 10.0 s; default/db: 3 s after its annotation's 9.0 s
    expect(sumOf(s, "kubeproxy_network_programming_duration_seconds_sum")).toBe(5);
    expect(sumOf(s, "kubeproxy_network_programming_duration_seconds_bucket", { le: "2" })).toBe(1);
    expect(sumOf(s, "kubeproxy_network_programming_duration_seconds_bucket", { le: "3" })).toBe(2);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_iptables_last", { table: "nat" })).toBe(7);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_iptables_last", { table: "filter" })).toBe(0);
  });

  it("counts a failed restore and keeps the failed sync's changes pending", () => {
    const m = new ProxyMetrics("iptables");
    m.endpointsChanged("default/web", 1_000);
    m.syncFailed(m.takePending(), true);
    const s = parsePrometheusText(m.registry.render());
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_iptables_restore_failures_total")).toBe(1);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).toBe(1);
    expect(sumOf(s, "kubeproxy_sync_proxy_rules_duration_seconds_count")).toBe(0);
  });

  it("counts rules written by table, and rules in KUBE- chains from iptables-save", () => {
    const restore = "*filter\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j RETURN\nCOMMIT\n*nat\n-A KUBE-SVC-X -j KUBE-SEP-Y\n-I KUBE-SERVICES 1 -j KUBE-SVC-X\n-X KUBE-SEP-OLD\nCOMMIT\n";
    expect([...countRestoreRules(restore)]).toEqual([["filter", 1], ["nat", 2]]);
    const save = "# Generated\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-SERVICES\n-A KUBE-SERVICES -j KUBE-NODEPORTS\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\nCOMMIT\n";
    expect([...countOwnedRules(save)]).toEqual([["nat", 2]]);
  });

  it("reads the last-change-trigger-time annotation", () => {
    expect(triggerTimeOf({ "endpoints.kubernetes.io/last-change-trigger-time": "2024-01-02T03:04:05Z" })).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(triggerTimeOf({ "endpoints.kubernetes.io/last-change-trigger-time": "soon" })).toBeUndefined();
    expect(triggerTimeOf(undefined)).toBeUndefined();
  });
});
