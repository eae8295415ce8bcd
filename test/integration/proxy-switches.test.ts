// kube-proxy's switches on a kemu cluster (kemu up --masquerade-all
// --nodeport-addresses …), one cluster for both:
// - --masquerade-all SNATs every ClusterIP connection, so the backend sees the
//   client's node, not the client pod (../shared/reference/kube-proxy.md §2.4,
//   §6.8); without it pod-to-ClusterIP traffic keeps the pod's address
//   (services.test.ts §6.7);
// - --nodeport-addresses limits NodePorts to the node addresses inside the
//   CIDRs (§1.6): here the underlay, so not 127.0.0.1 nor the node's cni0 address.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { netexecDeployment, pausePod } from "../support/workloads.js";

const SERVICES = resourceByKind("Service")!;

describe.skipIf(!rootOnly())("kube-proxy switches: --masquerade-all, --nodeport-addresses", () => {
  const name = uniqueClusterName("switch");
  let cluster: Cluster;
  const onNode = (node: string, argv: string[]) => cluster.execOnHost(node, argv);

  beforeAll(async () => {
    cluster = await Cluster.start({
      ingress: false,
      name,
      nodes: 2,
      masqueradeAll: true,
      nodePortAddresses: ["172.18.0.0/16"],
      timeoutMs: 60_000,
      manifests: [
        netexecDeployment("web", 1, { nodeSelector: { "kubernetes.io/hostname": "node-2" } }),
        `apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { type: NodePort, selector: { app: web }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] }\n`,
        pausePod("client", "node-1"),
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("--masquerade-all SNATs a pod's ClusterIP connection to its node's address; straight to the pod IP it is not", async () => {
    const ip = (await cluster.api.get<Service>(SERVICES, "default", "web")).spec!.clusterIP!;
    await cluster.waitFor(async () => (await cluster.exec("client", ["curl", "-sS", "--max-time", "2", `http://${ip}/clientip`])).exitCode === 0, {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: () => "the ClusterIP to answer",
    });
    const viaService = await cluster.exec("client", ["curl", "-sS", "--max-time", "3", `http://${ip}/clientip`]);
    expect(viaService.stdout.split(":")[0]).toBe("172.18.0.2"); // node-1 on the underlay
    const [backend] = await cluster.waitForPods({ labelSelector: "app=web" });
    const client = await cluster.pod("client");
    const direct = await cluster.exec("client", ["curl", "-sS", "--max-time", "3", `http://${backend!.status!.podIP}:8080/clientip`]);
    expect(direct.stdout.split(":")[0]).toBe(client.status!.podIP);
    // The rule that does it: the service chain marks everything, not just sources outside the cluster CIDR.
    const rules = await onNode("node-1", ["iptables-save", "-t", "nat"]);
    expect(rules.stdout).toMatch(/-A KUBE-SVC-\S+ -d \S+ -p tcp -m comment --comment "default\/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ/);
  });

  it("--nodeport-addresses 172.18.0.0/16: the NodePort answers on the node IP only, not on 127.0.0.1 or the cni0 address", async () => {
    await cluster.waitFor(async () => (await onNode("node-1", ["curl", "-sS", "--max-time", "2", "http://172.18.0.2:30080/hostname"])).exitCode === 0, {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: () => "the NodePort on the node IP",
    });
    expect((await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "2", "http://172.18.0.3:30080/hostname"])).exitCode).toBe(0);
    // Nothing listens there: not DNATed, the node itself refuses.
    expect((await onNode("node-1", ["curl", "-sS", "--max-time", "2", "http://127.0.0.1:30080/hostname"])).exitCode).toBe(7);
    const gateway = (await onNode("node-1", ["ip", "-4", "-o", "addr", "show", "cni0"])).stdout.match(/inet (\S+)\//)![1]!;
    expect((await onNode("node-1", ["curl", "-sS", "--max-time", "2", `http://${gateway}:30080/hostname`])).exitCode).toBe(7);
    const rules = (await onNode("node-1", ["iptables-save", "-t", "nat"])).stdout;
    expect(rules).toMatch(/^-A KUBE-SERVICES -d 172\.18\.0\.2\/32 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j KUBE-NODEPORTS$/m);
    expect(rules).not.toContain("--dst-type LOCAL -j KUBE-NODEPORTS");
  });
});
