// kube-proxy's userspace mode (`kemu up --proxy-mode userspace`): the same
// Services from the client's view, with upstream's documented differences
// (§6.28: the backend sees the node as source; round robin; a dead backend
// is retried).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { netexecDeployment, pausePod } from "../support/workloads.js";

const SERVICES = resourceByKind("Service")!;

describe.skipIf(!rootOnly())("Services in userspace mode", () => {
  const name = uniqueClusterName("us");
  let cluster: Cluster;
  const svc = (n: string) => cluster.api.get<Service>(SERVICES, "default", n);
  const curl = (pod: string, url: string, maxTime = 3) => cluster.exec(pod, ["curl", "-sS", "--max-time", String(maxTime), url]);
  const curlOutside = (url: string) => cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", url]);
  const eventually = (check: () => Promise<boolean>, what: string) => cluster.waitFor(check, { timeoutMs: 8_000, what: () => what, intervalMs: 100 });

  beforeAll(async () => {
    cluster = await Cluster.start({
      ingress: false,
      name,
      nodes: 2,
      proxyMode: "userspace",
      timeoutMs: 60_000,
      manifests: [
        netexecDeployment("web", 3),
        pausePod("client", "node-1"),
        `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
  selector: { app: web }
  ports:
    - { name: http, port: 80, targetPort: http }
    - { name: udp, port: 53, targetPort: udp, protocol: UDP }
`,
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("round-robins ClusterIP connections over the endpoints; §6.28 the backend sees the node as source", async () => {
    const ip = (await svc("web")).spec!.clusterIP!;
    await eventually(async () => (await curl("client", `http://${ip}/hostname`, 1)).exitCode === 0, "the proxy");
    // The pods are Ready before every node's proxy has all three endpoints: wait until one cycle reaches three.
    const pods = (await cluster.pods({ labelSelector: "app=web" })).map((p) => p.metadata.name).sort();
    await eventually(async () => {
      const cycle = new Set<string>();
      for (let i = 0; i < 3; i++) cycle.add((await curl("client", `http://${ip}/hostname`, 1)).stdout);
      return cycle.size === pods.length;
    }, "the proxy to know every endpoint");
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await curl("client", `http://${ip}/hostname`)).stdout);
    expect([...new Set(seen)].sort()).toEqual(pods);
    // Round robin: each endpoint once per cycle of three.
    expect(new Set(seen.slice(0, 3)).size).toBe(3);
    expect(seen.slice(3)).toEqual(seen.slice(0, 3));
    const peer = (await curl("client", `http://${ip}/clientip`)).stdout.split(":")[0];
    expect(["10.244.1.1", "172.18.0.2"]).toContain(peer);
  });

  it("relays UDP through the proxy", async () => {
    const ip = (await svc("web")).spec!.clusterIP!;
    const r = await cluster.exec("client", ["bash", "-c", `exec 3<>/dev/udp/${ip}/53; printf hostname >&3; timeout 1 cat <&3; true`]);
    expect((await cluster.pods({ labelSelector: "app=web" })).map((p) => p.metadata.name)).toContain(r.stdout);
  });

  it("serves the NodePort on every node and the LoadBalancer IP from outside", async () => {
    const s = await svc("web");
    const np = s.spec!.ports![0]!.nodePort!;
    const lb = s.status!.loadBalancer!.ingress![0]!.ip!;
    for (const url of [`http://172.18.0.2:${np}/hostname`, `http://172.18.0.3:${np}/hostname`, `http://${lb}/hostname`]) {
      await eventually(async () => (await curlOutside(url)).exitCode === 0, url);
    }
  });

  it("§6.28 retries a dead first backend transparently", async () => {
    // A Service without selector: one endpoint is a closed port, one is real.
    const real = (await cluster.pods({ labelSelector: "app=web" }))[0]!;
    await cluster.apply([
      `apiVersion: v1\nkind: Service\nmetadata: { name: manual }\nspec: { ports: [{ name: http, port: 80 }] }\n`,
      `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: manual-1, labels: { kubernetes.io/service-name: manual } }
addressType: IPv4
ports: [{ name: http, port: 8080, protocol: TCP }]
endpoints:
  - { addresses: [${real.status!.podIP}], conditions: { ready: true } }
  - { addresses: [10.244.2.250], conditions: { ready: true } }
`,
    ]);
    const ip = (await svc("manual")).spec!.clusterIP!;
    await eventually(async () => (await curl("client", `http://${ip}/hostname`, 2)).exitCode === 0, "the manual service");
    for (let i = 0; i < 6; i++) {
      const r = await curl("client", `http://${ip}/hostname`, 5);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(real.metadata.name);
    }
  });

  it("honours ClientIP affinity", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: sticky }\nspec: { selector: { app: web }, sessionAffinity: ClientIP, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const ip = (await svc("sticky")).spec!.clusterIP!;
    await eventually(async () => (await curl("client", `http://${ip}/hostname`, 2)).exitCode === 0, "sticky");
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await curl("client", `http://${ip}/hostname`)).stdout);
    expect(seen.size).toBe(1);
  });

  it("steers with the userspace proxier's portal chains", async () => {
    const rules = (await cluster.execOnHost("node-1", ["iptables-save", "-t", "nat"])).stdout;
    expect(rules).toMatch(/^:KUBE-PORTALS-CONTAINER - /m);
    expect(rules).toMatch(/^-A KUBE-PORTALS-CONTAINER -d 10\.\S+ -p tcp .*-j DNAT --to-destination 10\.244\.1\.1:\d+$/m);
    expect(rules).not.toMatch(/KUBE-SVC-/);
  });
});
