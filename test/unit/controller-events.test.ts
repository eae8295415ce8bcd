// The Events the control plane's controllers write, as upstream's do, so that
// `kubectl describe` and `kubectl get events` tell a pod's story:
// - kube-scheduler schedule_one.go: Normal Scheduled "Successfully assigned
//   <ns>/<pod> to <node>", Warning FailedScheduling with the fit message;
// - deployment sync.go scaleReplicaSet: Normal ScalingReplicaSet "Scaled up
//   replica set <rs> to <n> from <m>";
// - controller_utils.go CreatePods/DeletePod: Normal SuccessfulCreate
//   "Created pod: <pod>", SuccessfulDelete "Deleted pod: <pod>".
import { afterEach, describe, expect, it } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Event, KubeObject } from "../../src/api/types.js";
import { Scheduler } from "../../src/controllers/scheduler.js";
import { ReplicaSetController } from "../../src/controllers/replicaset.js";
import { DeploymentController } from "../../src/controllers/deployment.js";

const NODES = resourceByKind("Node")!;
const PODS = resourceByKind("Pod")!;
const EVENTS = resourceByKind("Event")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

function setup() {
  const api = withNamespaces();
  for (const c of [new Scheduler(api), new ReplicaSetController(api), new DeploymentController(api)]) {
    c.start();
    stops.push(() => c.stop());
  }
  const events = () =>
    (api.list(EVENTS, { namespace: "default" }).items as Event[]).map((e) => ({
      kind: e.involvedObject?.kind,
      name: e.involvedObject?.name,
      type: e.type,
      reason: e.reason,
      message: e.message,
      source: e.source?.component,
    }));
  return { api, events };
}

const node = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name } },
  status: { conditions: [{ type: "Ready", status: "True" }], allocatable: { cpu: "8", memory: "8Gi", pods: "110" } },
});

describe("controller Events", () => {
  it("a Deployment of 2: the Deployment scales its new ReplicaSet, the ReplicaSet creates two pods, the scheduler assigns each", async () => {
    const { api, events } = setup();
    api.create(NODES, node("node-1"));
    api.create(DEPLOYMENTS, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
    });
    await until(() => expect(events().filter((e) => e.reason === "Scheduled")).toHaveLength(2));
    const pods = api.list(PODS, { namespace: "default" }).items.map((p) => p.metadata.name).sort();
    const rs = events().find((e) => e.kind === "ReplicaSet")!.name!;
    expect(rs).toMatch(/^web-[a-z0-9]+$/);
    const byMessage = <T extends { message?: string }>(list: T[]) => [...list].sort((a, b) => (a.message ?? "").localeCompare(b.message ?? ""));
    expect(byMessage(events().filter((e) => e.kind !== "Pod"))).toEqual(
      byMessage([
        { kind: "Deployment", name: "web", type: "Normal", reason: "ScalingReplicaSet", message: `Scaled up replica set ${rs} to 2 from 0`, source: "deployment-controller" },
        ...pods.map((p) => ({ kind: "ReplicaSet", name: rs, type: "Normal", reason: "SuccessfulCreate", message: `Created pod: ${p}`, source: "replicaset-controller" })),
      ]),
    );
    expect(events().filter((e) => e.kind === "Pod").sort((a, b) => a.name!.localeCompare(b.name!))).toEqual(
      pods.map((p) => ({ kind: "Pod", name: p, type: "Normal", reason: "Scheduled", message: `Successfully assigned default/${p} to node-1`, source: "default-scheduler" })),
    );

    // scaled down to 1: the ReplicaSet deletes one pod
    const d = api.get(DEPLOYMENTS, "default", "web") as KubeObject & { spec: { replicas: number } };
    d.spec.replicas = 1;
    api.update(DEPLOYMENTS, d);
    await until(() => expect(events().filter((e) => e.reason === "SuccessfulDelete")).toHaveLength(1));
    expect(events().find((e) => e.reason === "ScalingReplicaSet" && e.message?.includes("down"))?.message).toBe(`Scaled down replica set ${rs} to 1 from 2`);
    expect(events().find((e) => e.reason === "SuccessfulDelete")?.message).toMatch(new RegExp(`^Deleted pod: ${rs}-`));
  });

  it("a pod no node fits: Warning FailedScheduling with the scheduler's reasons", async () => {
    const { api, events } = setup();
    api.create(NODES, node("node-1"));
    api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "picky", namespace: "default" }, spec: { nodeSelector: { disk: "ssd" }, containers: [{ name: "c", image: "x" }] } });
    await until(() => expect(events()).toHaveLength(1));
    expect(events()[0]).toEqual({
      kind: "Pod",
      name: "picky",
      type: "Warning",
      reason: "FailedScheduling",
      message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
      source: "default-scheduler",
    });
  });
});
