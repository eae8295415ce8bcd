// kube-proxy's --masquerade-all (kemu up --masquerade-all): every connection
// to a ClusterIP is SNATed, so the backend sees the client's node, not the
// client pod (../shared/reference/kube-proxy.md §2.4 and §6.8). Without it
// pod-to-ClusterIP traffic keeps the pod's address (services.test.ts §6.7).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { netexecDeployment, pausePod } from "../support/workloads.js";

const SERVICES = resourceByKind("Service")!;

describe.skipIf(!rootOnly())("kube-proxy --masquerade-all", () => {
  const name = uniqueClusterName("masq");
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({
      name,
      nodes: 2,
      masqueradeAll: true,
      timeoutMs: 60_000,
      manifests: [
        netexecDeployment("web", 1, { nodeSelector: { "kubernetes.io/hostname": "node-2" } }),
        `apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`,
        pausePod("client", "node-1"),
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("SNATs a pod's ClusterIP connection to its node's address; straight to the pod IP it is not", async () => {
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
    const rules = await cluster.execOnHost("node-1", ["iptables-save", "-t", "nat"]);
    expect(rules.stdout).toMatch(/-A KUBE-SVC-\S+ -d \S+ -p tcp -m comment --comment "default\/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ/);
  });
});
