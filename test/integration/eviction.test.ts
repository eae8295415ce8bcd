// A PodDisruptionBudget honoured by eviction, through the real `kubectl drain`
// (kubectl's drain.go evicts through policy/v1 Eviction, a protobuf body, and
// retries a 429 until its timeout), as the docs' task "Safely Drain a Node"
// describes: a budget of minAvailable 1 over two replicas lets one pod go,
// and holds the other while its replacement cannot be scheduled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster } from "../../src/cluster.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Pod } from "../../src/api/types.js";
import { leftovers, NONE, rootOnly, uniqueClusterName } from "../support/host.js";
import { Kubectl, hasKubectl } from "../support/kubectl.js";

const PODS = resourceByKind("Pod")!;
const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";

describe.skipIf(!rootOnly() || !hasKubectl)("eviction honours a PodDisruptionBudget (kubectl drain)", () => {
  const name = uniqueClusterName("evi");
  const k = new Kubectl("eviction", 90_000);
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig: k.kubeconfig });
  }, 200_000);

  afterAll(async () => {
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("drain evicts one of two replicas and is held back by the budget for the other", async () => {
    await cluster.apply([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"] }] } } },
      },
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } } } },
    ]);
    await cluster.waitForPods({ labelSelector: "app=web", count: 2, condition: "Ready", timeoutMs: 30_000 });
    const before = (await cluster.pods({ labelSelector: "app=web" })).map((p) => p.metadata.name);
    await cluster.waitFor(async () => (await k.run(["get", "pdb", "web", "-o", "jsonpath={.status.disruptionsAllowed}"])).stdout === "1", { timeoutMs: 20_000, what: () => "disruptionsAllowed 1" });

    const drain = k.run(["drain", "node-1", "--ignore-daemonsets", "--pod-selector=app=web", "--timeout=8s"]);
    expect(drain.status).not.toBe(0);
    expect(drain.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(drain.stdout).toMatch(/evicted/);
    // exactly one of the two original pods went; the other is still there, its replacement Pending on the cordoned node
    const left = ((await cluster.api.list(PODS, { namespace: "default", labelSelector: "app=web" })).items as unknown as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
    const survivors = left.map((p) => p.metadata!.name!).filter((n) => before.includes(n));
    expect(survivors).toHaveLength(1);
    expect(left.filter((p) => p.status?.phase === "Pending")).toHaveLength(1);
    expect(k.run(["uncordon", "node-1"]).stdout).toBe("node/node-1 uncordoned\n");
  }, 120_000);
});
