// Table rows of the workload kinds, as kube-apiserver prints them for kubectl
// (pkg/printers/internalversion/printers.go; cases after printers_test.go's
// TestPrintPod, TestPrintPodwide, TestPrintDeployment, TestPrintReplicaSet,
// TestPrintStatefulSet and TestPrintPodDisruptionBudget, in our own words).
import { describe, expect, it } from "vitest";
import type { KubeObject, Pod } from "../../src/api/types.js";
import { deploymentPrinter, podDisruptionBudgetPrinter, podPrinter, replicaSetPrinter, statefulSetPrinter } from "../../src/api/table/workloads.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const opts = { now: NOW, wide: true };
const names = (p: { columns: { name: string; type: string; priority: number }[] }) => p.columns.map((c) => `${c.name}:${c.type}:${c.priority}`);

function pod(status: Pod["status"], extra: Partial<Pod["spec"]> = {}, meta: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", creationTimestamp: ago(300), ...meta },
    spec: { containers: [{ name: "a", image: "img" }, { name: "b", image: "img" }], ...extra },
    status,
  };
}

describe("pods", () => {
  it("columns: NAME READY STATUS RESTARTS AGE, then IP NODE NOMINATED NODE READINESS GATES with -o wide", () => {
    expect(names(podPrinter)).toEqual([
      "Name:string:0",
      "Ready:string:0",
      "Status:string:0",
      "Restarts:string:0",
      "Age:string:0",
      "IP:string:1",
      "Node:string:1",
      "Nominated Node:string:1",
      "Readiness Gates:string:1",
    ]);
    expect(podPrinter.columns[0]!.format).toBe("name");
  });

  it("one of two containers ready, restarts with the last one's age, IP and node", () => {
    const p = pod(
      {
        phase: "Running",
        podIP: "10.244.1.5",
        podIPs: [{ ip: "10.244.1.5" }],
        containerStatuses: [
          { name: "a", image: "img", imageID: "", ready: true, restartCount: 3, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } } },
          { name: "b", image: "img", imageID: "", ready: false, restartCount: 3, state: { running: {} } },
        ],
      },
      { nodeName: "node-1" },
    );
    expect(podPrinter.cells(p, opts)).toEqual(["web", "1/2", "Running", "6 (2m ago)", "5m", "10.244.1.5", "node-1", "<none>", "<none>"]);
    expect(podPrinter.conditions!(p)).toBeUndefined();
  });

  it("a pod being deleted is Terminating; an unscheduled one has <none> for IP and node", () => {
    const p = pod({ phase: "Running" }, {}, { deletionTimestamp: ago(1) });
    expect(podPrinter.cells(p, opts)).toEqual(["web", "0/2", "Terminating", "0", "5m", "<none>", "<none>", "<none>", "<none>"]);
  });

  it("readiness gates count the True conditions", () => {
    const p = pod({ phase: "Running", conditions: [{ type: "example.com/lb", status: "True" }] }, { readinessGates: [{ conditionType: "example.com/lb" }, { conditionType: "example.com/other" }] });
    expect(podPrinter.cells(p, opts)[8]).toBe("1/2");
  });

  it("a finished pod's row carries a Completed condition", () => {
    expect(podPrinter.conditions!(pod({ phase: "Succeeded" }))).toEqual([{ type: "Completed", status: "True", reason: "Succeeded", message: "The pod has completed successfully." }]);
    expect(podPrinter.conditions!(pod({ phase: "Failed" }))).toEqual([{ type: "Completed", status: "True", reason: "Failed", message: "The pod failed." }]);
  });
});

const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c1", image: "i1" }, { name: "c2", image: "i2" }] } };

describe("deployments, replica sets, stateful sets", () => {
  it("deployment: READY is ready/desired, UP-TO-DATE and AVAILABLE are integers, the selector is bare", () => {
    expect(names(deploymentPrinter)).toEqual([
      "Name:string:0",
      "Ready:string:0",
      "Up-to-date:integer:0",
      "Available:integer:0",
      "Age:string:0",
      "Containers:string:1",
      "Images:string:1",
      "Selector:string:1",
    ]);
    const d: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", creationTimestamp: ago(7200) },
      spec: { replicas: 5, selector: { matchLabels: { app: "web" } }, template },
      status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
    };
    expect(deploymentPrinter.cells(d, opts)).toEqual(["web", "1/5", 2, 1, "120m", "c1,c2", "i1,i2", "app=web"]);
  });

  it("replica set: DESIRED CURRENT READY as integers, the selector formatted", () => {
    const rs: KubeObject = { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web-1", creationTimestamp: ago(30) }, spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template }, status: { replicas: 2, readyReplicas: 1 } };
    expect(replicaSetPrinter.cells(rs, opts)).toEqual(["web-1", 3, 2, 1, "30s", "c1,c2", "i1,i2", "app=web"]);
  });

  it("stateful set: READY is ready/desired; wide adds containers and images", () => {
    expect(names(statefulSetPrinter)).toEqual(["Name:string:0", "Ready:string:0", "Age:string:0", "Containers:string:1", "Images:string:1"]);
    const sts: KubeObject = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db", creationTimestamp: ago(3 * 86400) }, spec: { replicas: 2, template }, status: { readyReplicas: 2 } };
    expect(statefulSetPrinter.cells(sts, opts)).toEqual(["db", "2/2", "3d", "c1,c2", "i1,i2"]);
  });

  it("pod disruption budget: an unset bound prints N/A", () => {
    const pdb: KubeObject = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web", creationTimestamp: ago(60) }, spec: { minAvailable: "50%" }, status: { disruptionsAllowed: 1 } };
    expect(podDisruptionBudgetPrinter.cells(pdb, opts)).toEqual(["web", "50%", "N/A", 1, "60s"]);
  });
});
