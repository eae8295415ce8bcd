// kemu trace end to end (issue 13, "kemu trace"): one real connection per
// scenario, followed by the kernel's own trace events in every namespace it
// crosses, with the exact list of hops and the objects behind the deciding
// rules. The expected paths are kube-proxy's documented ones
// (../shared/reference/kube-proxy.md; upstream pkg/proxy/iptables/proxier.go
// chain layout: KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-… → DNAT; KUBE-EXT-…
// with KUBE-MARK-MASQ for external traffic; eTP Local: no masquerade, and a
// drop on nodes without local endpoints; a Service without endpoints is
// REJECTed) and kemu's NetworkPolicy table.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Cluster, type KubeObject } from "../../src/index.js";
import type { Hop, TraceResult } from "../../src/observe/trace/model.js";
import { runTrace } from "../../src/observe/trace/run.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { leftovers, NONE, rootOnly, uniqueClusterName } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

function pod(name: string, node: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=8081"], ports: [{ name: "http", containerPort: 8080 }, { name: "udp", containerPort: 8081, protocol: "UDP" }] }],
    },
  };
}

function service(name: string, selector: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "udp", port: 81, targetPort: "udp", protocol: "UDP" }], ...spec },
  };
}

const path = (t: { hops: Hop[] }) => t.hops.map((h) => `${h.direction} ${h.host} ${h.outcome}`);
const natChains = (h: Hop) => h.rules.filter((r) => r.table === "nat" && r.kind === "rule").map((r) => r.chain.replace(/-[A-Z0-9]{16}$/, "-…"));

describe.skipIf(!rootOnly())("kemu trace (iptables mode, with the router)", () => {
  const name = uniqueClusterName("trc");
  let cluster: Cluster;
  let ip: Record<string, string> = {};
  let nodeIP: Record<string, string> = {};

  beforeAll(async () => {
    cluster = await Cluster.start({
      name,
      nodes: 2,
      ingress: true,
      timeoutMs: 120_000,
      manifests: [
        pod("client", "node-1", { app: "client" }),
        pod("web-a", "node-2", { app: "web" }),
        pod("solo", "node-1", { app: "solo" }),
        pod("guarded", "node-2", { app: "guarded" }),
        service("web", { app: "web" }),
        service("solo", { app: "solo" }),
        service("guarded", { app: "guarded" }),
        service("empty", { app: "nothing" }),
        service("web-np", { app: "web" }, { type: "NodePort" }),
        service("web-local", { app: "web" }, { type: "LoadBalancer", externalTrafficPolicy: "Local" }),
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: "deny-guarded" },
          spec: { podSelector: { matchLabels: { app: "guarded" } }, policyTypes: ["Ingress"] },
        },
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "Ingress",
          metadata: { name: "site" },
          spec: { rules: [{ host: "site.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { name: "http" } } } }] } }] },
        },
      ],
    });
    ip = Object.fromEntries((await cluster.pods()).map((p) => [p.metadata.name, p.status!.podIP!]));
    for (const n of ["node-1", "node-2"]) nodeIP[n] = (await cluster.execOnHost(n, ["ip", "-4", "-o", "addr", "show", "eth0"])).stdout.match(/inet (\S+)\//)![1]!;
    // The Ingress has its address once the router wrote it.
    for (let i = 0; i < 100; i++) {
      const out = spawnSync(KEMU, ["get", "ingress", "site", "--name", name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"], { encoding: "utf8" });
      if (out.stdout.trim()) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("ClusterIP by name, to a pod on the other node: DNS search path, KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT, the underlay, the reply", async () => {
    const t = await runTrace(cluster, { from: "client", target: "web" });
    expect(t.dns?.map((q) => `${q.name} ${q.rcode}`)).toEqual(["web.default.svc.cluster.local. NOERROR"]);
    expect(path(t)).toEqual(["request node-1 forwarded", "request node-2 delivered", "reply node-2 forwarded", "reply node-1 delivered"]);
    const first = t.hops[0]!;
    expect(natChains(first).slice(0, 4)).toEqual(["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-…", "KUBE-SEP-…"]);
    expect(first.rules.find((r) => r.chain === "KUBE-SERVICES" && r.table === "nat")!.object).toEqual({ kind: "Service", namespace: "default", name: "web", part: "port http, cluster IP" });
    expect(first.dnat).toBe(`${ip["web-a"]}:8080`);
    expect(first.masquerade).toBeUndefined();
    expect(first.route).toContain(`via ${nodeIP["node-2"]} dev eth0`);
    expect(t.result).toBe("connected");
    expect(t.endpoint).toBe(`default/web-a (pod on node-2, ${ip["web-a"]}:8080)`);
  });

  it("a name that is not a Service: every search-path name is asked, then the name itself", async () => {
    const t = await runTrace(cluster, { from: "client", target: "nosuch:80", timeoutMs: 1000 });
    expect(t.dns?.map((q) => q.name)).toEqual(["nosuch.default.svc.cluster.local.", "nosuch.svc.cluster.local.", "nosuch.cluster.local.", "nosuch."]);
    expect(t.result).toBe("dns failed");
  });

  it("UDP to a Service's UDP port is answered by the endpoint", async () => {
    const t = await runTrace(cluster, { from: "client", target: "web:udp" });
    expect(t.protocol).toBe("udp");
    expect(path(t)).toEqual(["request node-1 forwarded", "request node-2 delivered", "reply node-2 forwarded", "reply node-1 delivered"]);
    expect(t.result).toBe("answered");
  });

  it("hairpin: a pod reaching itself through its Service is masqueraded, so the reply comes back through the node", async () => {
    const t = await runTrace(cluster, { from: "solo", target: "solo" });
    expect(path(t)).toEqual(["request node-1 delivered", "reply node-1 delivered"]);
    expect(t.hops[0]!.dnat).toBe(`${ip.solo}:8080`);
    expect(t.hops[0]!.masquerade).toBe(true);
    expect(t.hops[0]!.rules.some((r) => r.chain === "KUBE-MARK-MASQ")).toBe(true);
    expect(t.result).toBe("connected");
  });

  it("a Service without endpoints is rejected on the client's node by the rule for that Service", async () => {
    const t = await runTrace(cluster, { from: "client", target: "empty" });
    expect(path(t)).toEqual(["request node-1 rejected", ...path(t).slice(1)]);
    expect(t.result).toBe("refused");
    expect(t.droppedBy).toMatchObject({ host: "node-1", table: "filter", chain: "KUBE-SERVICES", object: { kind: "Service", namespace: "default", name: "empty", part: "port http, has no endpoints" } });
  });

  it("a NetworkPolicy that isolates the target drops the packet on the target's node, naming the policy", async () => {
    const t = await runTrace(cluster, { from: "client", target: "guarded", timeoutMs: 1000 });
    expect(path(t)).toEqual(["request node-1 forwarded", "request node-2 dropped"]);
    expect(t.result).toBe("timed out");
    expect(t.droppedBy).toMatchObject({ host: "node-2", table: "kemu-policy", object: { kind: "NetworkPolicy", namespace: "default", name: "deny-guarded" } });
  });

  it("NodePort from the outside host to a node without the endpoint: DNAT and masquerade there, then the underlay", async () => {
    const svc = (await cluster.api.get<KubeObject & { spec: { ports: { nodePort: number }[] } }>((await import("../../src/index.js")).resourceByKind("Service")!, "default", "web-np")).spec;
    const t = await runTrace(cluster, { from: "outside", target: `${nodeIP["node-1"]}:${svc.ports[0]!.nodePort}` });
    expect(path(t)).toEqual(["request outside sent", "request node-1 forwarded", "request node-2 delivered", "reply node-2 forwarded", "reply node-1 forwarded", "reply outside local"]);
    const n1 = t.hops[1]!;
    expect(natChains(n1)).toContain("KUBE-NODEPORTS");
    expect(n1.dnat).toBe(`${ip["web-a"]}:8080`);
    expect(n1.masquerade).toBe(true);
    expect(t.hops[2]!.packet.src).toBe(nodeIP["node-1"]);
    expect(t.result).toBe("connected");
  });

  it("externalTrafficPolicy Local: the client's address is kept where an endpoint runs, and nodes without one drop", async () => {
    const svc = (await cluster.api.get<KubeObject & { spec: { ports: { nodePort: number }[] } }>((await import("../../src/index.js")).resourceByKind("Service")!, "default", "web-local")).spec;
    const port = svc.ports[0]!.nodePort;
    const kept = await runTrace(cluster, { from: "outside", target: `${nodeIP["node-2"]}:${port}` });
    expect(path(kept)).toEqual(["request outside sent", "request node-2 delivered", "reply node-2 forwarded", "reply outside local"]);
    expect(kept.hops[1]!.masquerade).toBeUndefined();
    expect(kept.result).toBe("connected");
    const dropped = await runTrace(cluster, { from: "outside", target: `${nodeIP["node-1"]}:${port}`, timeoutMs: 1000 });
    expect(path(dropped)).toEqual(["request outside sent", "request node-1 dropped"]);
    expect(dropped.droppedBy!.object).toMatchObject({ kind: "Service", namespace: "default", name: "web-local", part: "port http, has no local endpoints" });
  });

  it("LoadBalancer from the outside host: the underlay's route to the LB IP picks a node, which sends it to the endpoint", async () => {
    const t = await runTrace(cluster, { from: "outside", target: "web-local" });
    // ECMP picks a node by hash; with eTP Local only node-2 answers, node-1 drops.
    expect(t.hops[0]).toMatchObject({ host: "outside", direction: "request", outcome: "sent" });
    expect(t.hops[0]!.route).toMatch(/172\.18\.255\.\d+/);
    if (t.hops[1]!.host === "node-2") expect(t.result).toBe("connected");
    else expect(t.droppedBy?.object?.part).toBe("port http, has no local endpoints");
  });

  it("through the Ingress router: the route that matched, and the router's own connection to the endpoint", async () => {
    const t = await runTrace(cluster, { from: "outside", target: "http://site.example/hostname" });
    expect(t.router).toMatchObject({ host: "site.example", path: "/hostname", route: { kind: "Ingress", namespace: "default", name: "site", part: "rules[0].http.paths[0]" }, backend: "Service default/web port http" });
    const leg = t.router!.hops!;
    expect(leg.filter((h) => h.direction === "request").pop()!.outcome).toBe("delivered");
    expect(t.router!.endpoint).toBe(`default/web-a (pod on node-2, ${ip["web-a"]}:8080)`);
    expect(t.result).toBe("connected");
    expect(t.httpStatus).toBe(200);
  });

  it("kemu trace prints the path as text and as JSON, and names the argument that is wrong", () => {
    const text = spawnSync(KEMU, ["trace", "--name", name, "client", "web"], { encoding: "utf8" });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("KUBE-SERVICES");
    expect(text.stdout).toMatch(/result: connected to default\/web-a/);
    const json = spawnSync(KEMU, ["trace", "--name", name, "client", "http://web/hostname", "-o", "json"], { encoding: "utf8" });
    const parsed = JSON.parse(json.stdout) as TraceResult;
    expect(parsed.httpStatus).toBe(200);
    expect(parsed.hops.length).toBeGreaterThanOrEqual(2);
    const bad = spawnSync(KEMU, ["trace", "--name", name, "nobody", "web"], { encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/FROM: no pod default\/nobody/);
    // nothing of the trace is left in the nodes' rulesets
    for (const n of ["node-1", "node-2"]) expect(spawnSync("ip", ["netns", "exec", `kemu-${name}-${n}`, "nft", "list", "tables"], { encoding: "utf8" }).stdout).not.toMatch(/kemu-trace/);
  });
});

describe.skipIf(!rootOnly())("kemu trace (userspace mode)", () => {
  const name = uniqueClusterName("trcu");
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ name, nodes: 1, ingress: false, proxyMode: "userspace", timeoutMs: 120_000, manifests: [pod("client", "node-1", { app: "client" }), pod("web-a", "node-1", { app: "web" }), service("web", { app: "web" })] });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("the connection ends at kube-proxy on the node, which opens its own to an endpoint", async () => {
    const t = await runTrace(cluster, { from: "client", target: "web" });
    expect(t.hops.find((h) => h.direction === "request")!.outcome).toBe("local");
    expect(t.hops[0]!.rules.some((r) => /^KUBE-PORTALS-/.test(r.chain))).toBe(true);
    expect(t.proxy?.by).toBe("kube-proxy (userspace) on node-1");
    expect(path(t.proxy!)[0]).toBe("request node-1 delivered");
    expect(t.endpoint).toMatch(/^default\/web-a \(pod on node-1/);
    expect(t.result).toBe("connected");
  });
});
