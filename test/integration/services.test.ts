// Services through kube-proxy's iptables mode, end to end. Each test names
// the behaviour of ../shared/reference/kube-proxy.md §6 it checks ("§6.N").
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { netexecDeployment, pausePod } from "../support/workloads.js";

const SERVICES = resourceByKind("Service")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;
const PODS = resourceByKind("Pod")!;

describe.skipIf(!rootOnly())("Services in iptables mode", () => {
  const name = uniqueClusterName("svc");
  let cluster: Cluster;

  const svc = (n: string) => cluster.api.get<Service>(SERVICES, "default", n);
  const podsOf = async (app: string) => (await cluster.pods({ labelSelector: `app=${app}` })).filter((p) => !p.metadata.deletionTimestamp);
  /** curl from a pod: exit code 0 ok, 7 refused, 28 timed out. */
  const curl = (pod: string, url: string, maxTime = 3) => cluster.exec(pod, ["curl", "-sS", "--max-time", String(maxTime), url]);
  const curlOutside = (url: string, maxTime = 3) => cluster.execOnHost("outside", ["curl", "-sS", "--max-time", String(maxTime), url]);
  const clusterIP = async (n: string) => (await svc(n)).spec!.clusterIP!;
  /** Waits until kube-proxy has programmed a change (≈ minSyncPeriod). */
  const eventually = (check: () => Promise<boolean>, what: string, timeoutMs = 8_000) => cluster.waitFor(check, { timeoutMs, what: () => what, intervalMs: 100 });

  beforeAll(async () => {
    cluster = await Cluster.start({
      ingress: false,
      name,
      nodes: 2,
      timeoutMs: 60_000,
      manifests: [
        netexecDeployment("web", 3),
        pausePod("client-1", "node-1"),
        pausePod("client-2", "node-2"),
        `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports:
    - { name: http, port: 80, targetPort: http }
    - { name: udp, port: 53, targetPort: 8081, protocol: UDP }
`,
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("§6.10 spreads ClusterIP connections over every ready endpoint, by a named targetPort (§6.7 no SNAT)", async () => {
    const ip = await clusterIP("web");
    await eventually(async () => (await curl("client-1", `http://${ip}/hostname`, 1)).exitCode === 0, "the web service to be programmed");
    expect(ip).toMatch(/^10\.(9[6-9]|1[01][0-9])\./);
    const pods = await podsOf("web");
    const counts = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const r = await curl("client-1", `http://${ip}/hostname`);
      expect(r.exitCode).toBe(0);
      counts.set(r.stdout, (counts.get(r.stdout) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(pods.map((p) => p.metadata.name).sort());
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(5);
    const client = await cluster.pod("client-1");
    expect((await curl("client-1", `http://${ip}/clientip`)).stdout.split(":")[0]).toBe(client.status!.podIP);
  });

  it("serves the second (UDP) port of a multi-port Service", async () => {
    const ip = await clusterIP("web");
    const r = await cluster.exec("client-2", ["bash", "-c", `exec 3<>/dev/udp/${ip}/53; printf hostname >&3; timeout 1 cat <&3; true`]);
    expect((await podsOf("web")).map((p) => p.metadata.name)).toContain(r.stdout);
  });

  it("§6.1 names chains like upstream and §6.26 marks for masquerade with 0x4000 (kemu iptables NODE)", async () => {
    const rules = (await cluster.execOnHost("node-1", ["iptables-save", "-t", "nat"])).stdout;
    expect(rules).toMatch(/^:KUBE-SERVICES - \[/m);
    expect(rules).toMatch(/^-A KUBE-SERVICES -d 10\.\S+\/32 -p tcp -m comment --comment "default\/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-[A-Z2-7]{16}$/m);
    expect(rules).toMatch(/^-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000\/0x4000$/m);
    expect(rules).toMatch(/^-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000\/0x0$/m);
    const filter = (await cluster.execOnHost("node-1", ["iptables-save", "-t", "filter"])).stdout;
    expect(filter).toMatch(/^-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP$/m);
    // The jumps from the built-in chains are there once each (9 in filter, 3 in nat), on every node.
    for (const node of ["node-1", "node-2"]) {
      const all = (await cluster.execOnHost(node, ["iptables-save"])).stdout.split("\n");
      const jumps = all.filter((l) => /^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) .*-j KUBE-/.test(l));
      expect(jumps.length).toBe(12 + 2); // + kubelet's KUBE-FIREWALL jumps from INPUT and OUTPUT
      expect(new Set(jumps).size).toBe(jumps.length);
    }
  });

  it("§6.2 refuses connections at once when a Service has no endpoints", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: empty }\nspec: { selector: { app: nothing }, ports: [{ port: 80 }] }\n`);
    const ip = await clusterIP("empty");
    await eventually(async () => (await curl("client-1", `http://${ip}/`, 2)).exitCode === 7, "REJECT for the empty service");
    const t0 = Date.now();
    const r = await curl("client-1", `http://${ip}/`, 5);
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toMatch(/Connection refused|Couldn't connect/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it("§6.22 leaves undefined ports of a ClusterIP alone (no answer)", async () => {
    const r = await curl("client-1", `http://${await clusterIP("web")}:81/`, 1);
    expect(r.exitCode).toBe(28);
  });

  it("§6.9 hairpin: a pod reaching itself through its Service works and sees a node-side address", async () => {
    await cluster.apply([netexecDeployment("solo", 1), `apiVersion: v1\nkind: Service\nmetadata: { name: solo }\nspec: { selector: { app: solo }, ports: [{ port: 80, targetPort: 8080 }] }\n`]);
    const [pod] = await cluster.waitForPods({ labelSelector: "app=solo", count: 1 });
    const ip = await clusterIP("solo");
    await eventually(async () => (await curl(pod!.metadata.name, `http://${ip}/hostname`, 2)).stdout === pod!.metadata.name, "hairpin to work");
    const peer = (await curl(pod!.metadata.name, `http://${ip}/clientip`)).stdout.split(":")[0];
    expect(peer).not.toBe(pod!.status!.podIP);
  });

  it("§6.19 NodePort answers on every node IP and on 127.0.0.1 of a node, from pods and from outside", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: web-np }\nspec: { type: NodePort, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const np = (await svc("web-np")).spec!.ports![0]!.nodePort!;
    expect(np).toBeGreaterThanOrEqual(30000);
    expect(np).toBeLessThanOrEqual(32767);
    for (const nodeIp of ["172.18.0.2", "172.18.0.3"]) {
      await eventually(async () => (await curlOutside(`http://${nodeIp}:${np}/hostname`)).exitCode === 0, `NodePort on ${nodeIp}`);
      expect((await curl("client-1", `http://${nodeIp}:${np}/hostname`)).exitCode).toBe(0);
    }
    const local = await cluster.execOnHost("node-1", ["curl", "-sS", "--max-time", "3", `http://127.0.0.1:${np}/hostname`]);
    expect(local.exitCode).toBe(0);
  });

  it("§6.6 externalTrafficPolicy Cluster: the backend sees a node IP, not the outside client", async () => {
    const np = (await svc("web-np")).spec!.ports![0]!.nodePort!;
    const peer = (await curlOutside(`http://172.18.0.2:${np}/clientip`)).stdout.split(":")[0];
    expect(peer).not.toBe("172.18.0.1");
  });

  it("LoadBalancer IPs come from the pool and are reachable from outside over ECMP routes via the nodes", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: web-lb }\nspec: { type: LoadBalancer, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const lb = (await svc("web-lb")).status!.loadBalancer!.ingress![0]!.ip!;
    expect(lb).toMatch(/^172\.18\.255\.\d+$/);
    await eventually(async () => (await curlOutside(`http://${lb}/hostname`)).exitCode === 0, "LB IP from outside");
    const routes = (await cluster.execOnHost("outside", ["ip", "route", "show", "172.18.255.0/24"])).stdout;
    expect(routes).toContain("nexthop via 172.18.0.2");
    expect(routes).toContain("nexthop via 172.18.0.3");
  });

  it("§6.5/§6.6 externalTrafficPolicy Local: keeps the client IP; a node without local endpoints drops outside traffic but its pods still get through", async () => {
    await cluster.apply([
      netexecDeployment("local", 1, { nodeSelector: { "kubernetes.io/hostname": "node-2" } }),
      `apiVersion: v1\nkind: Service\nmetadata: { name: local }\nspec: { type: NodePort, externalTrafficPolicy: Local, selector: { app: local }, ports: [{ port: 80, targetPort: 8080 }] }\n`,
    ]);
    await cluster.waitForPods({ labelSelector: "app=local", count: 1 });
    const np = (await svc("local")).spec!.ports![0]!.nodePort!;
    await eventually(async () => (await curlOutside(`http://172.18.0.3:${np}/clientip`)).exitCode === 0, "eTP=Local on node-2");
    expect((await curlOutside(`http://172.18.0.3:${np}/clientip`)).stdout.split(":")[0]).toBe("172.18.0.1");
    expect((await curlOutside(`http://172.18.0.2:${np}/hostname`, 2)).exitCode).toBe(28);
    expect((await curl("client-1", `http://172.18.0.2:${np}/hostname`)).exitCode).toBe(0);
  });

  it("§6.4 internalTrafficPolicy Local: no local endpoint → the client times out; with one it works", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: local-int }\nspec: { internalTrafficPolicy: Local, selector: { app: local }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const ip = await clusterIP("local-int");
    await eventually(async () => (await curl("client-2", `http://${ip}/hostname`, 2)).exitCode === 0, "iTP=Local on node-2");
    // node-1 has no local endpoint: DROP, so the client times out (once node-1's proxy has synced too).
    await eventually(async () => (await curl("client-1", `http://${ip}/hostname`, 2)).exitCode === 28, "DROP on node-1", 15_000);
  });

  it("§6.12/§6.13 ClientIP affinity pins each client IP to one endpoint; clients are balanced independently", async () => {
    const clients = Array.from({ length: 8 }, (_, i) => `aff-${i}`);
    await cluster.apply([
      `apiVersion: v1\nkind: Service\nmetadata: { name: sticky }\nspec: { selector: { app: web }, sessionAffinity: ClientIP, sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80, targetPort: 8080 }] }\n`,
      ...clients.map((c, i) => pausePod(c, i % 2 ? "node-2" : "node-1")),
    ]);
    await cluster.waitForPods({ labelSelector: "role=client", count: 10 });
    const ip = await clusterIP("sticky");
    await eventually(async () => (await curl("aff-0", `http://${ip}/hostname`, 2)).exitCode === 0, "sticky service");
    const pinned = new Set<string>();
    for (const c of clients) {
      // Each node's proxy programs the Service on its own (within ≈1 s): wait for this client's node.
      await eventually(async () => (await curl(c, `http://${ip}/hostname`, 2)).exitCode === 0, `sticky from ${c}`);
      const seen: string[] = [];
      for (let i = 0; i < 8; i++) seen.push((await curl(c, `http://${ip}/hostname`)).stdout);
      if (new Set(seen).size !== 1) {
        const node = (await cluster.pod(c)).spec.nodeName!;
        console.error(c, node, seen, (await cluster.execOnHost(node, ["sh", "-c", "grep . /proc/net/xt_recent/*"])).stdout);
      }
      expect(new Set(seen).size).toBe(1);
      pinned.add([...seen][0]!);
    }
    expect(pinned.size).toBeGreaterThan(1);
    const rules = (await cluster.execOnHost("node-1", ["iptables-save", "-t", "nat"])).stdout;
    expect(rules).toMatch(/-m recent --rcheck --seconds 60 --reap --name KUBE-SEP-[A-Z2-7]{16} --mask 255\.255\.255\.255 --rsource -j KUBE-SEP-/);

    // §6.14 deleting the endpoint a client is pinned to moves it elsewhere.
    const victim = (await curl("aff-0", `http://${ip}/hostname`)).stdout;
    await cluster.api.delete(PODS, "default", victim);
    await eventually(async () => {
      const r = await curl("aff-0", `http://${ip}/hostname`, 2);
      return r.exitCode === 0 && r.stdout !== victim;
    }, "the pinned client to move");
    await cluster.waitForPods({ labelSelector: "app=web", count: 3 });
  });

  it("§6.15/§6.16 UDP: a socket keeps working when its endpoint goes away, and starts working when a first endpoint appears", async () => {
    await cluster.apply([
      netexecDeployment("udp", 1),
      `apiVersion: v1\nkind: Service\nmetadata: { name: udp }\nspec: { selector: { app: udp }, ports: [{ port: 53, targetPort: 8081, protocol: UDP }] }\n`,
    ]);
    await cluster.waitForPods({ labelSelector: "app=udp", count: 1 });
    const ip = await clusterIP("udp");
    // One socket, one datagram every 100 ms for 7 s; prints each reply.
    const script = `const s=require("dgram").createSocket("udp4");const seen=[];s.on("message",(m)=>seen.push(String(m)));const t=setInterval(()=>s.send("hostname",53,"${ip}"),100);setTimeout(()=>{clearInterval(t);console.log(JSON.stringify(seen));s.close()},7000);`;
    const streaming = cluster.exec("client-1", [process.execPath, "-e", script]);
    await new Promise((r) => setTimeout(r, 2_000));
    const [first] = await podsOf("udp");
    await cluster.api.delete(PODS, "default", first!.metadata.name);
    const result = await streaming;
    const replies: string[] = JSON.parse(result.stdout);
    expect(replies[0]).toBe(first!.metadata.name);
    const later = replies.filter((r) => r !== first!.metadata.name);
    expect(later.length).toBeGreaterThan(5);
    expect(replies[replies.length - 1]).not.toBe(first!.metadata.name);

    // 0 → 1 endpoints while a socket streams.
    await cluster.api.patch(DEPLOYMENTS, "default", "udp", { spec: { replicas: 0 } });
    await eventually(async () => (await podsOf("udp")).length === 0, "udp pods gone");
    const stream2 = cluster.exec("client-1", [process.execPath, "-e", script]);
    await new Promise((r) => setTimeout(r, 2_000));
    await cluster.api.patch(DEPLOYMENTS, "default", "udp", { spec: { replicas: 1 } });
    const replies2: string[] = JSON.parse((await stream2).stdout);
    expect(replies2.length).toBeGreaterThan(5);
  });

  it("injects Service environment variables into containers of pods created after the Service", async () => {
    await cluster.apply(`apiVersion: v1
kind: Pod
metadata: { name: envy }
spec:
  containers: [{ name: c, image: busybox, command: [sh, -c, 'echo "$WEB_SERVICE_HOST $WEB_SERVICE_PORT $WEB_SERVICE_PORT_HTTP $WEB_PORT $KUBERNETES_SERVICE_HOST"; sleep 3600'] }]
`);
    await cluster.waitFor(async () => (await cluster.logs("envy").catch(() => "")).length > 0, { timeoutMs: 10_000, what: () => "envy's output" });
    const ip = await clusterIP("web");
    expect(await cluster.logs("envy")).toBe(`${ip} 80 80 tcp://${ip}:80 10.96.0.1\n`);
  });

  it("§6.24 programs an endpoint change within about a second", async () => {
    const ip = await clusterIP("web");
    await cluster.api.patch(DEPLOYMENTS, "default", "web", { spec: { replicas: 4 } });
    const pods = await cluster.waitForPods({ labelSelector: "app=web", count: 4 });
    const newest = pods.sort((a, b) => Date.parse(b.metadata.creationTimestamp) - Date.parse(a.metadata.creationTimestamp))[0]!;
    const readyAt = Date.now();
    await eventually(async () => {
      const rules = (await cluster.execOnHost("node-1", ["iptables-save", "-t", "nat"])).stdout;
      return rules.includes(`--to-destination ${newest.status!.podIP}:8080`);
    }, "the new endpoint in the rules", 5_000);
    expect(Date.now() - readyAt).toBeLessThan(2_500);
    expect((await curl("client-1", `http://${ip}/hostname`)).exitCode).toBe(0);
  });
});
