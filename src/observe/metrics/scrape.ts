// Fetches a component's /metrics text from inside the cluster: kube-proxy from
// its node's namespace (127.0.0.1:10249), CoreDNS and the router from the node
// their pod runs on (pod IP and port), the API server over its unix socket.
// Nothing is sent from the root namespace to a non-loopback address.
import type { ApiClient } from "../../api/client.js";
import { resourceByKind } from "../../api/resources.js";
import type { Node, Pod } from "../../api/types.js";
import { KemuError } from "../../errors.js";
import { COREDNS_METRICS_PORT, KUBE_PROXY_METRICS_PORT, ROUTER_METRICS_PORT, type MetricsComponent } from "../../metrics/components.js";

/** What scraping needs of a cluster (a Cluster has it). */
export interface ScrapableCluster {
  readonly name: string;
  readonly api: ApiClient;
  execOnHost(host: string, argv: string[], options?: { timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export interface ScrapeOptions {
  /** kube-proxy: the node (default: the first node); coredns/router: the node of the pod to read (default: any) */
  node?: string;
}

/** Where the in-cluster components run, by their labels. */
const POD_SELECTORS: Record<"coredns" | "router", { namespace: string; labelSelector: string; port: number }> = {
  coredns: { namespace: "kube-system", labelSelector: "k8s-app=kube-dns", port: COREDNS_METRICS_PORT },
  router: { namespace: "kemu-system", labelSelector: "app.kubernetes.io/name=ingress-router", port: ROUTER_METRICS_PORT },
};

export async function scrapeMetrics(cluster: ScrapableCluster, component: MetricsComponent, options: ScrapeOptions = {}): Promise<string> {
  if (component === "apiserver") {
    const text = await cluster.api.request<unknown>("GET", "/metrics");
    if (typeof text !== "string") throw new KemuError("the API server's /metrics did not answer with Prometheus text");
    return text;
  }
  if (component === "kube-proxy") {
    const node = options.node ?? (await nodeNames(cluster))[0];
    if (!node) throw new KemuError(`cluster ${cluster.name} has no nodes`);
    if (options.node) await checkNode(cluster, options.node);
    return curl(cluster, node, `http://127.0.0.1:${KUBE_PROXY_METRICS_PORT}/metrics`);
  }
  const where = POD_SELECTORS[component];
  if (options.node) await checkNode(cluster, options.node);
  const pods = await cluster.api.list<Pod>(resourceByKind("Pod")!, { namespace: where.namespace, labelSelector: where.labelSelector });
  const running = pods.items.filter((p) => p.status?.phase === "Running" && p.status.podIP && p.spec?.nodeName && !p.metadata?.deletionTimestamp);
  const pod = running.find((p) => options.node === undefined || p.spec?.nodeName === options.node);
  if (!pod) {
    const on = options.node ? ` on ${options.node}` : "";
    throw new KemuError(`no running ${component} pod${on} (${where.namespace}, ${where.labelSelector})`);
  }
  return curl(cluster, pod.spec!.nodeName!, `http://${pod.status!.podIP}:${where.port}/metrics`);
}

/** The cluster's node names, in node-1, node-2, …, node-10 order. */
export async function nodeNames(cluster: Pick<ScrapableCluster, "api">): Promise<string[]> {
  const nodes = await cluster.api.list<Node>(resourceByKind("Node")!);
  return nodes.items.map((n) => n.metadata!.name!).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

async function checkNode(cluster: ScrapableCluster, node: string): Promise<void> {
  const names = await nodeNames(cluster);
  if (!names.includes(node)) throw new KemuError(`--node: no node named ${JSON.stringify(node)} in cluster ${cluster.name} (nodes: ${names.join(", ")})`);
}

async function curl(cluster: ScrapableCluster, host: string, url: string): Promise<string> {
  const r = await cluster.execOnHost(host, ["curl", "-sS", "--fail", "--max-time", "5", url], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new KemuError(`scraping ${url} from ${host} failed: ${(r.stderr || r.stdout).trim() || `curl exited ${r.exitCode}`}`);
  return r.stdout;
}
