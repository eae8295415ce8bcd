// The cluster core end to end: real namespaces, real processes, real traffic.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Node, Pod, Stored } from "../../src/index.js";
import { rootOnly, uniqueClusterName, rootNamespaceState, leftovers, NONE } from "../support/host.js";

const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: netexec
          image: registry.k8s.io/e2e-test-images/agnhost:2.53
          args: ["netexec", "--http-port=8080", "--udp-port=8081"]
---
apiVersion: v1
kind: Pod
metadata: { name: client, labels: { app: client } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: client
      image: registry.k8s.io/e2e-test-images/agnhost:2.53
      args: ["pause"]
---
apiVersion: v1
kind: Pod
metadata: { name: duo }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: server
      image: registry.k8s.io/e2e-test-images/agnhost:2.53
      args: ["netexec", "--http-port=9090", "--udp-port=-1"]
    - name: sidecar
      image: busybox
      command: ["sleep", "3600"]
`;

describe.skipIf(!rootOnly())("cluster core: nodes and pods as network namespaces", () => {
  const name = uniqueClusterName("core");
  let cluster: Cluster;
  let before: string;

  const curl = (from: string, url: string) => cluster.exec(from, ["curl", "-sS", "--max-time", "5", url]);
  const webPods = async () => (await cluster.pods({ labelSelector: "app=web" })).filter((p) => !p.metadata.deletionTimestamp);

  beforeAll(async () => {
    before = rootNamespaceState();
    cluster = await Cluster.start({ ingress: false, name, nodes: 2, manifests: [WEB], timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
    expect(rootNamespaceState()).toBe(before);
  });

  it("has two Ready nodes with their own /24 pod subnets and underlay IPs", async () => {
    const nodes = (await cluster.api.list<Node>(resourceByKind("Node")!)).items;
    expect(nodes.map((n) => [n.metadata.name, n.spec?.podCIDR, n.status?.addresses?.[0]?.address])).toEqual([
      ["node-1", "10.244.1.0/24", "172.18.0.2"],
      ["node-2", "10.244.2.0/24", "172.18.0.3"],
    ]);
    expect(nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))).toBe(true);
  });

  it("runs the Deployment's 3 pods spread over both nodes, with IPs from their node's subnet", async () => {
    const pods = await webPods();
    expect(pods).toHaveLength(3);
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(["node-1", "node-2"]));
    for (const p of pods) {
      expect(p.status?.phase).toBe("Running");
      const subnet = p.spec.nodeName === "node-1" ? "10.244.1." : "10.244.2.";
      expect(p.status?.podIP?.startsWith(subnet)).toBe(true);
    }
  });

  it("answers /hostname with the pod's name, from the same node and across nodes", async () => {
    const client = await cluster.pod("client");
    const pods = await webPods();
    const sameNode = pods.find((p) => p.spec.nodeName === client.spec.nodeName);
    const otherNode = pods.find((p) => p.spec.nodeName !== client.spec.nodeName);
    expect(sameNode && otherNode).toBeTruthy();
    for (const target of [sameNode!, otherNode!]) {
      const r = await curl("client", `http://${target.status!.podIP}:8080/hostname`);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(target.metadata.name);
    }
  });

  it("shows the caller's own pod IP in /clientip: no NAT between pods", async () => {
    const client = await cluster.pod("client");
    for (const target of await webPods()) {
      const r = await curl("client", `http://${target.status!.podIP}:8080/clientip`);
      expect(r.stdout.split(":")[0]).toBe(client.status!.podIP);
    }
  });

  it("answers UDP across nodes", async () => {
    const target = (await webPods())[0]!;
    const r = await cluster.exec("client", ["bash", "-c", `exec 3<>/dev/udp/${target.status!.podIP}/8081; printf hostname >&3; timeout 1 cat <&3; true`]);
    expect(r.stdout.trim()).toBe(target.metadata.name);
  });

  it("gives each pod its name as hostname, its own resolv.conf and hosts file", async () => {
    expect((await cluster.exec("client", ["hostname"])).stdout.trim()).toBe("client");
    const resolv = await cluster.exec("client", ["cat", "/etc/resolv.conf"]);
    expect(resolv.stdout).toBe("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    const client = await cluster.pod("client");
    expect((await cluster.exec("client", ["cat", "/etc/hosts"])).stdout).toContain(`${client.status!.podIP}\tclient\n`);
    // The container is PID 1 of its own PID namespace.
    expect((await cluster.exec("client", ["sh", "-c", "cat /proc/1/comm"])).stdout.trim()).toBe("agnhost");
  });

  it("lets two containers of one pod talk over localhost", async () => {
    const r = await cluster.exec("duo", ["curl", "-sS", "--max-time", "5", "http://127.0.0.1:9090/hostname"], { container: "sidecar" });
    expect(r.stdout).toBe("duo");
  });

  it("returns the command's own exit code from exec", async () => {
    expect((await cluster.exec("client", ["sh", "-c", "exit 7"])).exitCode).toBe(7);
  });

  it("keeps each container's output for logs", async () => {
    const pod = (await webPods())[0]!;
    await curl("client", `http://${pod.status!.podIP}:8080/echo?msg=logged`);
    const logs = await cluster.logs(pod.metadata.name);
    expect(logs).toMatch(/8080/);
  });

  it("restarts a container whose process is killed", async () => {
    const pod = (await webPods())[0]!;
    const pid = await cluster.containerPid(pod.metadata.name);
    process.kill(pid, "SIGKILL");
    let restarted: Stored<Pod> | undefined;
    await cluster.waitFor(
      async () => {
        restarted = await cluster.pod(pod.metadata.name);
        const s = restarted.status?.containerStatuses?.[0];
        return s?.restartCount === 1 && Boolean(s.state?.running) && s.containerID !== `kemu://${pid}`;
      },
      { timeoutMs: 10_000, what: () => `a restart of ${pod.metadata.name}` },
    );
    expect(restarted!.status!.containerStatuses![0]!.lastState?.terminated).toMatchObject({ exitCode: 137, reason: "Error" });
    const r = await curl("client", `http://${restarted!.status!.podIP}:8080/hostname`);
    expect(r.stdout).toBe(pod.metadata.name);
  });

  it("replaces a deleted pod through the Deployment: new name, new IP", async () => {
    const victim = (await webPods())[0]!;
    await cluster.api.delete(resourceByKind("Pod")!, "default", victim.metadata.name);
    await cluster.waitFor(async () => !(await cluster.pods()).some((p) => p.metadata.name === victim.metadata.name), {
      timeoutMs: 15_000,
      what: () => `${victim.metadata.name} to go away`,
    });
    const pods = await cluster.waitForPods({ labelSelector: "app=web", count: 3, timeoutMs: 15_000 });
    expect(pods).toHaveLength(3);
    const replacement = pods.find((p) => !p.metadata.name.startsWith(victim.metadata.name));
    expect(pods.map((p) => p.metadata.name)).not.toContain(victim.metadata.name);
    expect(pods.map((p) => p.status?.podIP)).not.toContain(victim.status?.podIP);
    const r = await curl("client", `http://${replacement!.status!.podIP}:8080/hostname`);
    expect(r.stdout).toBe(replacement!.metadata.name);
  });
});
