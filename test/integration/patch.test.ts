// PATCH as kubectl sends it, on a real cluster: `kubectl set image` is a
// strategic merge patch with $setElementOrder (kubectl-api.md §4). The
// Deployment keeps its args, ports and env, and its pods roll to the new image.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Deployment, Pod } from "../../src/index.js";
import { collectionPath } from "../../src/api/resources.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST, netexecDeployment } from "../support/workloads.js";

const DEPLOYMENTS = resourceByKind("Deployment")!;
const PODS = resourceByKind("Pod")!;
const NEW_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.52";

describe.skipIf(!rootOnly())("PATCH as kubectl sends it", () => {
  const name = uniqueClusterName("patch");
  let cluster: Cluster;

  beforeAll(async () => {
    const app = netexecDeployment("web", 2).replace(
      "          ports:\n",
      "          env: [{ name: GREETING, value: hello }]\n          ports:\n",
    );
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 60_000, manifests: [app] });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("kubectl set image keeps args, ports and env, and the pods roll to the new image", async () => {
    const running = async () => (await cluster.api.list<Pod>(PODS, { namespace: "default" })).items.filter((p) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp);
    await cluster.waitFor(async () => (await running()).length === 2, { timeoutMs: 30_000, what: () => "two running pods" });
    const before = new Set((await running()).map((p) => p.metadata.name));

    // The body kubectl 1.32 sends for `kubectl set image deployment/web netexec=<image>`.
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "netexec" }], containers: [{ image: NEW_IMAGE, name: "netexec" }] } } } };
    await cluster.api.request("PATCH", `${collectionPath(DEPLOYMENTS, "default")}/web`, patch, "application/strategic-merge-patch+json");

    const deployment = await cluster.api.get<Deployment>(DEPLOYMENTS, "default", "web");
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe(NEW_IMAGE);
    expect(container.args).toEqual(["netexec", "--http-port=8080", "--udp-port=8081"]);
    expect(container.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "udp", containerPort: 8081, protocol: "UDP" },
    ]);
    expect(container.env).toEqual([{ name: "GREETING", value: "hello" }]);
    expect(JSON.stringify(deployment)).not.toContain("$setElementOrder");
    expect(AGNHOST).not.toBe(NEW_IMAGE);

    await cluster.waitFor(
      async () => {
        const pods = await running();
        return pods.length === 2 && pods.every((p) => !before.has(p.metadata.name) && p.spec!.containers[0]!.image === NEW_IMAGE);
      },
      { timeoutMs: 60_000, what: () => "the pods to roll to the new image" },
    );
  });
});
