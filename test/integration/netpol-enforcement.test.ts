// NetworkPolicy in the kernel: the behaviours a reachability matrix does not
// show — connections, the node's own traffic, Services, DNS, pod start-up,
// the table a person reads — each from upstream's docs or e2e suite, or
// from a decision recorded in docs/decisions.md (network-policy.md §3).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind, type KubeObject, type Pod, type Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";

const NETPOLS = resourceByKind("NetworkPolicy")!;
const PODS = resourceByKind("Pod")!;
const SERVICES = resourceByKind("Service")!;

const netpol = (name: string, spec: Record<string, unknown>, namespace = "default"): KubeObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});

function server(name: string, node: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=8081"], ports: [{ name: "http", containerPort: 8080 }], ...extra }],
    },
  };
}

describe.skipIf(!rootOnly())("NetworkPolicy enforcement", () => {
  const name = uniqueClusterName("npe");
  let cluster: Cluster;
  const ipOf = async (pod: string) => (await cluster.pod(pod)).status!.podIP!;
  /** curl from a pod: exit 0 answered, 28 timed out (dropped), 7 refused. */
  const curl = (pod: string, url: string, maxTime = 1) => cluster.exec(pod, ["curl", "-sS", "--max-time", String(maxTime), url]);
  const reaches = async (pod: string, url: string) => (await curl(pod, url)).exitCode === 0;
  const eventually = (check: () => Promise<boolean>, what: string, timeoutMs = 10_000) => cluster.waitFor(check, { timeoutMs, intervalMs: 50, what: () => what });
  const remove = async (...names: string[]) => {
    for (const n of names) await cluster.api.delete(NETPOLS, "default", n).catch(() => undefined);
  };

  beforeAll(async () => {
    cluster = await Cluster.start({
      ingress: false,
      name,
      nodes: 2,
      timeoutMs: 90_000,
      manifests: [
        server("web", "node-2", { app: "web" }, { readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1, failureThreshold: 1 } }),
        server("near", "node-1", { app: "near" }),
        { apiVersion: "v1", kind: "Pod", metadata: { name: "client", labels: { role: "client" } }, spec: { nodeName: "node-1", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"] }] } },
        { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
        { apiVersion: "v1", kind: "Service", metadata: { name: "web-np" }, spec: { type: "NodePort", selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
      ],
    });
    await cluster.waitForPods({ count: 3, condition: "Ready" });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("an allowed connection that is open survives a new deny; new connections are refused (Calico's conntrack-first behaviour, projectcalico/calico#2759; docs/decisions.md)", async () => {
    const ip = await ipOf("web");
    // A connection opened now, used after the deny is in place.
    const open = cluster.exec("client", ["bash", "-c", `exec 3<>/dev/tcp/${ip}/8080 && sleep 3 && printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 500));
    await cluster.apply(netpol("deny-web", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] }));
    await eventually(async () => !(await reaches("client", `http://${ip}:8080/hostname`)), "new connections to web to be dropped");
    const r = await open;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("web");
    await remove("deny-web");
    await eventually(() => reaches("client", `http://${ip}:8080/hostname`), "web to be reachable again once the policy is deleted");
  });

  it("the kubelet's probes from the pod's own node keep working under deny-all ingress (API docs: traffic from the node is always allowed)", async () => {
    await cluster.apply(netpol("deny-all", { podSelector: {}, policyTypes: ["Ingress"] }));
    const ip = await ipOf("web");
    await eventually(async () => !(await reaches("client", `http://${ip}:8080/hostname`)), "web to be isolated");
    // The readiness probe runs every second with failureThreshold 1: 4 s of probes all had to pass.
    await new Promise((r) => setTimeout(r, 4000));
    const web = await cluster.api.get<Pod>(PODS, "default", "web");
    expect(web.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    // And the node itself reaches the pod (its traffic leaves through output, which policy does not filter).
    expect((await cluster.execOnHost("node-2", ["curl", "-sS", "--max-time", "1", `http://${ip}:8080/hostname`])).stdout).toBe("web");
    await remove("deny-all");
  });

  it("Service traffic is judged after DNAT: a policy must name the pod's port, not the Service's (network-policy.md §8; kubernetes/website#8295)", async () => {
    const svc = await cluster.api.get<Service>(SERVICES, "default", "web");
    const url = `http://${svc.spec!.clusterIP}/hostname`;
    await cluster.apply(netpol("service-port", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: 80 }] }] }));
    await eventually(async () => !(await reaches("client", url)), "the Service port to be of no use in a policy");
    await cluster.apply(netpol("service-port", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: "http" }] }] }));
    await eventually(() => reaches("client", url), "the pod's named port to let Service traffic in");
    await remove("service-port");
  });

  it("default-deny egress breaks DNS; allowing UDP and TCP 53 to kube-dns mends it (kubernetes/website#38267)", async () => {
    // dig prints its errors (";; communications error …") on stdout too: an answer is an address.
    const lookup = async () => /^\d+\.\d+\.\d+\.\d+$/m.test((await cluster.exec("client", ["dig", "+short", "+time=1", "+tries=1", "web.default.svc.cluster.local"])).stdout);
    await eventually(lookup, "cluster DNS to answer the client");
    await cluster.apply(netpol("deny-egress", { podSelector: { matchLabels: { role: "client" } }, policyTypes: ["Egress"] }));
    await eventually(async () => !(await lookup()), "DNS to fail under default-deny egress");
    await cluster.apply(
      netpol("allow-dns", {
        podSelector: { matchLabels: { role: "client" } },
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
          },
        ],
      }),
    );
    await eventually(lookup, "DNS to work again with the allow-dns policy");
    // Everything else stays denied.
    expect(await reaches("client", `http://${await ipOf("web")}:8080/hostname`)).toBe(false);
    await remove("deny-egress", "allow-dns");
  });

  it("a pod created while a policy already selects it is isolated from its first packet (its chain is keyed by its veth, known before its IP)", async () => {
    await cluster.apply(netpol("deny-late", { podSelector: { matchLabels: { app: "late" } }, policyTypes: ["Ingress"] }));
    await cluster.apply(server("late", "node-2", { app: "late" }));
    let late = "";
    await cluster.waitFor(async () => !!(late = (await cluster.api.get<Pod>(PODS, "default", "late")).status?.podIP ?? ""), { timeoutMs: 20_000, intervalMs: 20, what: () => "the late pod's IP" });
    // Straight away, and for a while: never reachable.
    for (let i = 0; i < 5; i++) expect(await reaches("client", `http://${late}:8080/hostname`)).toBe(false);
    await cluster.api.delete(PODS, "default", "late");
    await remove("deny-late");
  });

  it("same-node traffic is enforced too, and the table names what it came from; deleting the policy leaves no chain or set behind", async () => {
    const near = await ipOf("near");
    expect(await reaches("client", `http://${near}:8080/hostname`)).toBe(true);
    await cluster.apply(
      netpol("near-from-web", {
        podSelector: { matchLabels: { app: "near" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "http" }] }],
      }),
    );
    await eventually(async () => !(await reaches("client", `http://${near}:8080/hostname`)), "client → near (same node) to be dropped");
    expect(await reaches("web", `http://${near}:8080/hostname`)).toBe(true);
    const table = (await cluster.execOnHost("node-1", ["nft", "list", "table", "inet", "kemu-policy"])).stdout;
    expect(table).toContain("chain pod-ingress-default/near {");
    expect(table).toContain('comment "netpol default/near-from-web ingress[0]"');
    expect(table).toContain('comment "pods {app=web} in namespace default"');
    expect(table).toContain(`elements = { ${await ipOf("web")} }`);
    await remove("near-from-web");
    await eventually(async () => {
      const t = (await cluster.execOnHost("node-1", ["nft", "list", "table", "inet", "kemu-policy"])).stdout;
      return !t.includes("pod-ingress-default/near") && !/set pods-/.test(t);
    }, "the policy's chain and sets to be gone");
    expect(await reaches("client", `http://${near}:8080/hostname`)).toBe(true);
  });

  /** An emulated host's underlay address (eth0). */
  const underlayIP = async (host: string) => /inet (\d+\.\d+\.\d+\.\d+)\//.exec((await cluster.execOnHost(host, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).stdout)![1]!;

  it("traffic from another node is judged like any source: only an ipBlock holding that node's address lets it in (network-policy.md §3)", async () => {
    const ip = await ipOf("web"); // on node-2
    const fromNode1 = async () => (await cluster.execOnHost("node-1", ["curl", "-sS", "--max-time", "1", `http://${ip}:8080/hostname`])).exitCode === 0;
    expect(await fromNode1()).toBe(true);
    await cluster.apply(netpol("pods-only", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ namespaceSelector: {} }] }] }));
    await eventually(async () => !(await fromNode1()), "node-1's own traffic (not a pod) to be refused by a pods-only policy");
    expect(await reaches("client", `http://${ip}:8080/hostname`)).toBe(true);
    await cluster.apply(netpol("node-1", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ ipBlock: { cidr: `${await underlayIP("node-1")}/32` } }] }] }));
    await eventually(fromNode1, "an ipBlock of node-1's address to let node-1 in");
    await remove("pods-only", "node-1");
  });

  it("NodePort traffic from outside: the policy sees the client's address on the endpoint's own node, and the forwarding node's once it was masqueraded (network-policy.md §3: SNAT is implementation-defined)", async () => {
    const svc = await cluster.api.get<Service>(SERVICES, "default", "web-np");
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const viaNode = async (node: string) =>
      (await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "1", `http://${await underlayIP(node)}:${nodePort}/hostname`])).exitCode === 0;
    await eventually(async () => (await viaNode("node-2")) && (await viaNode("node-1")), "the NodePort to answer on both nodes");
    await cluster.apply(netpol("outside-only", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ ipBlock: { cidr: `${await underlayIP("outside")}/32` } }] }] }));
    // node-1 forwards to web on node-2 and masquerades (externalTrafficPolicy Cluster): node-2 sees node-1's address.
    await eventually(async () => !(await viaNode("node-1")), "the NodePort on node-1 (masqueraded to node-1's address) to be refused");
    // On node-2 the packet reaches the pod before its masquerade (postrouting): the policy sees the outside host.
    expect(await viaNode("node-2")).toBe(true);
    await remove("outside-only");
  });

  it("a pod reaching itself through its Service is subject to its policy, reaching its own IP is not (ClusterNetworkPolicy's rule for hairpin; kubernetes#95879)", async () => {
    const svc = await cluster.api.get<Service>(SERVICES, "default", "web");
    await cluster.apply(netpol("deny-web", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] }));
    await eventually(async () => !(await reaches("web", `http://${svc.spec!.clusterIP}/hostname`)), "web → its own Service to be dropped");
    expect(await reaches("web", `http://${await ipOf("web")}:8080/hostname`)).toBe(true);
    await remove("deny-web");
  });

  it("policies never touch the nat table, where kube-proxy's Services live (its own nftables table)", async () => {
    const nat = async () => (await cluster.execOnHost("node-2", ["iptables-save", "-t", "nat"])).stdout.split("\n").filter((l) => !l.startsWith("#")).map((l) => l.replace(/\[\d+:\d+\]/g, "")).join("\n");
    const before = await nat();
    await cluster.apply(netpol("deny-all-both", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }));
    await eventually(async () => !(await reaches("client", `http://${await ipOf("web")}:8080/hostname`)), "deny-all to be enforced");
    expect(await nat()).toBe(before);
    await remove("deny-all-both");
  });

  it("a node agent killed with -9 leaves its policy in the kernel, and the agent the supervisor starts takes it over and keeps it current", async () => {
    const { readFileSync } = await import("node:fs");
    const agentPid = () => Number(readFileSync(`/run/kemu/${name}/pids/agent-node-2`, "utf8").trim());
    const ip = await ipOf("web");
    await cluster.apply(netpol("only-near", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "near" } } }] }] }));
    await eventually(async () => !(await reaches("client", `http://${ip}:8080/hostname`)), "client → web to be dropped");
    const old = agentPid();
    process.kill(old, "SIGKILL");
    // Dead agent: the kernel still enforces.
    expect(await reaches("client", `http://${ip}:8080/hostname`)).toBe(false);
    expect(await reaches("near", `http://${ip}:8080/hostname`)).toBe(true);
    await cluster.waitFor(() => agentPid() !== old, { timeoutMs: 10_000, what: () => "the supervisor to start a new agent for node-2" });
    // The new agent rewrites the table (a full sync) and follows changes again.
    await cluster.api.patch(PODS, "default", "client", { metadata: { labels: { app: "near" } } });
    await eventually(() => reaches("client", `http://${ip}:8080/hostname`), "the relabelled client to be let in by the new agent");
    await cluster.api.patch(PODS, "default", "client", { metadata: { labels: { app: null } } });
    await eventually(async () => !(await reaches("client", `http://${ip}:8080/hostname`)), "the client to be dropped again");
    await remove("only-near");
  });
});

