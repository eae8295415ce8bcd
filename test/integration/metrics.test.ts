// Prometheus metrics end to end (issue 13, "Metrics, as upstream names
// them"): each component's /metrics read from inside the cluster as a
// scraper there would — kube-proxy on :10249 in each node's namespace,
// CoreDNS through the kube-dns Service's `metrics` port 9153 from a pod, the
// router on :10254 of its pod, the API server over its socket — with
// upstream's names, types and labels, and counters that move when the thing
// they count happens. `kemu metrics` prints the same text from the host.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster, resourceByKind, type KubeObject, type Service } from "../../src/index.js";
import { parseMetricTypes, parsePrometheusText, type Sample } from "../../src/observe/metrics/parse.js";
import { seriesOf, sumOf } from "../../src/observe/metrics/select.js";
import { scrapeMetrics } from "../../src/observe/metrics/scrape.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const SERVICES = resourceByKind("Service")!;

function app(name: string): KubeObject[] {
  const labels = { app: name };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=-1"], ports: [{ name: "http", containerPort: 8080 }] }] } },
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] } },
  ];
}

describe.skipIf(!rootOnly())("Prometheus metrics", () => {
  const name = uniqueClusterName("h13m");
  let cluster: Cluster;
  let client = "";
  const kemu = (...args: string[]) => spawnSync(KEMU, ["metrics", "--name", name, ...args], { encoding: "utf8", timeout: 60_000 });
  const proxyOn = async (node: string) => parsePrometheusText(await scrapeMetrics(cluster, "kube-proxy", { node }));

  beforeAll(async () => {
    cluster = await Cluster.start({
      name,
      nodes: 2,
      ingress: true,
      timeoutMs: 120_000,
      manifests: [
        ...app("web"),
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "Ingress",
          metadata: { name: "site" },
          spec: { rules: [{ host: "site.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
        },
      ],
    });
    client = (await cluster.pods({ labelSelector: "app=web" }))[0]!.metadata.name;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("kube-proxy serves upstream's families on :10249 in every node's namespace (pkg/proxy/metrics/metrics.go)", async () => {
    for (const node of ["node-1", "node-2"]) {
      const text = (await cluster.execOnHost(node, ["curl", "-sS", "--max-time", "5", "http://127.0.0.1:10249/metrics"])).stdout;
      const types = parseMetricTypes(text);
      expect(types.get("kubeproxy_sync_proxy_rules_duration_seconds")).toBe("histogram");
      expect(types.get("kubeproxy_sync_full_proxy_rules_duration_seconds")).toBe("histogram");
      expect(types.get("kubeproxy_sync_partial_proxy_rules_duration_seconds")).toBe("histogram");
      expect(types.get("kubeproxy_network_programming_duration_seconds")).toBe("histogram");
      expect(types.get("kubeproxy_sync_proxy_rules_last_timestamp_seconds")).toBe("gauge");
      expect(types.get("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds")).toBe("gauge");
      expect(types.get("kubeproxy_sync_proxy_rules_iptables_total")).toBe("gauge");
      expect(types.get("kubeproxy_sync_proxy_rules_endpoint_changes_total")).toBe("counter");
      expect(types.get("kubeproxy_sync_proxy_rules_service_changes_total")).toBe("counter");
      expect(types.get("kubeproxy_sync_proxy_rules_iptables_restore_failures_total")).toBe("counter");
      const samples = parsePrometheusText(text);
      // upstream's buckets: ExponentialBuckets(0.001, 2, 15)
      expect(seriesOf(samples, "kubeproxy_sync_proxy_rules_duration_seconds_bucket").map((s) => s.labels.le)).toEqual(
        ["0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512", "1.024", "2.048", "4.096", "8.192", "16.384", "+Inf"],
      );
      expect(sumOf(samples, "kubeproxy_sync_full_proxy_rules_duration_seconds_count")).toBeGreaterThanOrEqual(1);
      expect(sumOf(samples, "kubeproxy_sync_proxy_rules_iptables_total", { table: "nat" })).toBeGreaterThan(0);
      expect(sumOf(samples, "kubeproxy_sync_proxy_rules_iptables_restore_failures_total")).toBe(0);
      const synced = sumOf(samples, "kubeproxy_sync_proxy_rules_last_timestamp_seconds");
      expect(Math.abs(synced - Date.now() / 1000)).toBeLessThan(120);
    }
  });

  it("a Service and its endpoints move kube-proxy's change counters, a sync and the programming latency on every node", async () => {
    const before = await Promise.all(["node-1", "node-2"].map(proxyOn));
    await cluster.apply({ apiVersion: "v1", kind: "Service", metadata: { name: "extra" }, spec: { selector: { app: "web" }, ports: [{ port: 81, targetPort: 8080 }] } });
    for (const [i, node] of ["node-1", "node-2"].entries()) {
      const was = before[i]!;
      let now: Sample[] = was;
      await cluster.waitFor(
        async () => {
          now = await proxyOn(node);
          return (
            sumOf(now, "kubeproxy_sync_proxy_rules_service_changes_total") > sumOf(was, "kubeproxy_sync_proxy_rules_service_changes_total") &&
            sumOf(now, "kubeproxy_sync_proxy_rules_endpoint_changes_total") > sumOf(was, "kubeproxy_sync_proxy_rules_endpoint_changes_total") &&
            sumOf(now, "kubeproxy_network_programming_duration_seconds_count") > sumOf(was, "kubeproxy_network_programming_duration_seconds_count")
          );
        },
        { timeoutMs: 20_000, intervalMs: 250, what: () => `${node}: kube-proxy's counters after a new Service` },
      );
      expect(sumOf(now, "kubeproxy_sync_proxy_rules_duration_seconds_count")).toBeGreaterThan(sumOf(was, "kubeproxy_sync_proxy_rules_duration_seconds_count"));
      expect(sumOf(now, "kubeproxy_sync_proxy_rules_last_timestamp_seconds")).toBeGreaterThan(sumOf(was, "kubeproxy_sync_proxy_rules_last_timestamp_seconds"));
      expect(sumOf(now, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).toBe(0);
    }
  });

  it("CoreDNS answers on the kube-dns Service's metrics port 9153 from a pod; a dig moves coredns_dns_requests_total and the duration histogram", async () => {
    const svc = await cluster.api.get<Service>(SERVICES, "kube-system", "kube-dns");
    expect(svc.spec?.ports?.find((p) => p.name === "metrics")?.port).toBe(9153);
    const read = async () => parsePrometheusText((await cluster.exec(client, ["curl", "-sS", "--max-time", "5", `http://${svc.spec!.clusterIP}:9153/metrics`])).stdout);
    const before = await read();
    const dig = await cluster.exec(client, ["dig", "+short", "+time=2", "web.default.svc.cluster.local", "A"]);
    expect(dig.stdout.trim()).toBe((await cluster.api.get<Service>(SERVICES, "default", "web")).spec?.clusterIP);
    const after = await read();
    const a = { type: "A", proto: "udp", zone: ".", server: "dns://:53" };
    expect(sumOf(after, "coredns_dns_requests_total", a)).toBeGreaterThan(sumOf(before, "coredns_dns_requests_total", a));
    expect(sumOf(after, "coredns_dns_request_duration_seconds_count", { type: "A" })).toBeGreaterThan(sumOf(before, "coredns_dns_request_duration_seconds_count", { type: "A" }));
    expect(sumOf(after, "coredns_dns_responses_total", { rcode: "NOERROR", plugin: "kubernetes" })).toBeGreaterThan(sumOf(before, "coredns_dns_responses_total", { rcode: "NOERROR", plugin: "kubernetes" }));
    const types = parseMetricTypes((await cluster.exec(client, ["curl", "-sS", `http://${svc.spec!.clusterIP}:9153/metrics`])).stdout);
    expect(types.get("coredns_dns_request_duration_seconds")).toBe("histogram");
    expect(types.get("coredns_dns_responses_total")).toBe("counter");
  });

  it("the API server counts a request under upstream's verb, resource, scope and code (apiserver_request_total)", async () => {
    const labels = { verb: "LIST", group: "", version: "v1", resource: "services", scope: "namespace", subresource: "", dry_run: "", component: "apiserver", code: "200" };
    const before = parsePrometheusText(await scrapeMetrics(cluster, "apiserver"));
    await cluster.api.list(SERVICES, { namespace: "default" });
    await cluster.api.get(SERVICES, "default", "web");
    await cluster.api.get(SERVICES, "default", "no-such").catch(() => undefined);
    const after = parsePrometheusText(await scrapeMetrics(cluster, "apiserver"));
    expect(sumOf(after, "apiserver_request_total", labels) - sumOf(before, "apiserver_request_total", labels)).toBe(1);
    const get = { verb: "GET", resource: "services", scope: "resource" };
    expect(sumOf(after, "apiserver_request_total", { ...get, code: "200" })).toBeGreaterThan(sumOf(before, "apiserver_request_total", { ...get, code: "200" }));
    expect(sumOf(after, "apiserver_request_total", { ...get, code: "404" }) - sumOf(before, "apiserver_request_total", { ...get, code: "404" })).toBe(1);
    const { code: _code, ...histogramLabels } = labels;
    expect(seriesOf(after, "apiserver_request_duration_seconds_bucket", { ...histogramLabels, le: "60" })).toHaveLength(1);
  });

  it("the router counts requests by status on :10254/metrics of its pod, summed over its workers (nginx_ingress_controller_requests)", async () => {
    const svc = await cluster.api.get<Service>(SERVICES, "kemu-system", "ingress-router");
    const lb = svc.status?.loadBalancer?.ingress?.[0]?.ip;
    expect(lb).toBeTruthy();
    const hit = (host: string) => cluster.execOnHost("outside", ["curl", "-s", "-o", "/dev/null", "--max-time", "3", "-H", `Host: ${host}`, `http://${lb}/hostname`]);
    await cluster.waitFor(async () => (await cluster.execOnHost("outside", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: site.example", `http://${lb}/hostname`])).stdout === "200", {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: () => "the router to serve site.example",
    });
    const before = parsePrometheusText(await scrapeMetrics(cluster, "router"));
    for (let i = 0; i < 6; i++) await hit("site.example"); // several connections: both workers take some
    await hit("nowhere.example");
    const after = parsePrometheusText(await scrapeMetrics(cluster, "router"));
    const ok = { status: "200", ingress: "site", namespace: "default", service: "web", path: "/", method: "GET", host: "site.example" };
    expect(sumOf(after, "nginx_ingress_controller_requests", ok) - sumOf(before, "nginx_ingress_controller_requests", ok)).toBe(6);
    expect(sumOf(after, "nginx_ingress_controller_requests", { status: "404", ingress: "" }) - sumOf(before, "nginx_ingress_controller_requests", { status: "404", ingress: "" })).toBe(1);
  });

  it("kemu metrics prints each component, every node's kube-proxy with headers, and names a bad argument", () => {
    const all = kemu();
    expect(all.status).toBe(0);
    expect(all.stdout.split("\n").filter((l) => l.startsWith("# component "))).toEqual([
      "# component kube-proxy node node-1",
      "# component kube-proxy node node-2",
      "# component coredns",
      "# component apiserver",
      "# component router",
    ]);
    const one = kemu("kube-proxy", "--node", "node-2");
    expect(one.status).toBe(0);
    expect(one.stdout).not.toContain("# component");
    expect(parseMetricTypes(one.stdout).get("kubeproxy_sync_proxy_rules_duration_seconds")).toBe("histogram");
    expect(parseMetricTypes(kemu("dns").stdout).get("coredns_dns_requests_total")).toBe("counter");
    const bad = kemu("bogus");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('error: COMPONENT: expected one of kube-proxy, coredns, apiserver, router (or dns), got "bogus"\n');
    const badNode = kemu("kube-proxy", "--node", "node-9");
    expect(badNode.status).toBe(1);
    expect(badNode.stderr).toBe('error: --node: no node named "node-9" in cluster ' + name + " (nodes: node-1, node-2)\n");
  });
});
