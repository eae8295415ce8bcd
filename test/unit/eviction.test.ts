// pods/eviction against PodDisruptionBudgets, as kube-apiserver's EvictionREST
// (pkg/registry/core/pod/storage/eviction.go) and the disruption controller's
// disruptedPods bookkeeping (pkg/controller/disruption: buildDisruptedPodMap,
// countHealthyPods) do it; the cases follow upstream's eviction_test.go
// ("matching pdbs with no disruptions allowed", "matching pdbs with
// disruptions allowed", "pdb with unhealthy pods", "pdb is still being
// processed") in kemu's words.
import { describe, expect, it } from "vitest";
import { withNamespaces } from "../support/fixtures.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { ApiError } from "../../src/api/errors.js";
import { evict, EVICTION_SUCCESS } from "../../src/api/eviction.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Pod, Stored } from "../../src/api/types.js";
import { countHealthy, pendingDisruptions, DELETION_TIMEOUT_MS, type PodDisruptionBudget } from "../../src/controllers/disruption.js";

const PODS = resourceByKind("Pod")!;
const PDBS = resourceByKind("PodDisruptionBudget")!;
const NOW = "2026-12-07T12:00:00Z";

function pod(api: ApiServer, name: string, opts: { ready?: boolean; phase?: string; labels?: Record<string, string> } = {}): void {
  api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: opts.labels ?? { app: "web" } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "x" }] } });
  const p = api.get(PODS, "default", name) as Stored<Pod>;
  api.update(PODS, { ...p, status: { phase: opts.phase ?? "Running", conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] } } as KubeObject, "default", { subresource: "status" });
}

function budget(api: ApiServer, name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}): void {
  api.create(PDBS, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name, namespace: "default" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } }, ...spec } });
  const b = api.get(PDBS, "default", name);
  api.update(PDBS, { ...b, status: { observedGeneration: b.metadata.generation ?? 1, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...status } } as KubeObject, "default", { subresource: "status" });
}

const eviction = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: "default" }, ...extra });
const exists = (api: ApiServer, name: string) => api.tryGet(PODS, "default", name) !== undefined;
const refusal = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected a refusal");
};

describe("pods/eviction", () => {
  it("without a budget the pod is deleted; the answer is a Success Status", () => {
    const api = withNamespaces();
    pod(api, "web-1");
    expect(evict(api, "default", "web-1", eviction("web-1"))).toEqual(EVICTION_SUCCESS);
    expect(exists(api, "web-1")).toBe(false);
  });

  it("a budget that allows one: the first eviction is charged to it (disruptionsAllowed − 1, disruptedPods), the second is 429 with upstream's message and cause", () => {
    const api = withNamespaces();
    pod(api, "web-1");
    pod(api, "web-2");
    budget(api, "web", { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    evict(api, "default", "web-1", eviction("web-1"), () => NOW);
    expect(exists(api, "web-1")).toBe(false);
    const b = api.get(PDBS, "default", "web") as PodDisruptionBudget;
    expect(b.status).toMatchObject({ disruptionsAllowed: 0, disruptedPods: { "web-1": NOW } });
    const err = refusal(() => evict(api, "default", "web-2", eviction("web-2")));
    expect(err.toStatus()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: "TooManyRequests",
      details: { causes: [{ reason: "DisruptionBudget", message: "The disruption budget web needs 1 healthy pods and has 2 currently" }] },
      code: 429,
    });
    expect(exists(api, "web-2")).toBe(true);
  });

  it("a budget the controller has not seen since its last change is 429 'still being processed'", () => {
    const api = withNamespaces();
    pod(api, "web-1");
    budget(api, "web", { disruptionsAllowed: 5, observedGeneration: 0 });
    expect(refusal(() => evict(api, "default", "web-1", eviction("web-1"))).details?.causes?.[0]?.message).toBe("The disruption budget web is still being processed by the server.");
  });

  it("two budgets over one pod: 500, as upstream does not support it", () => {
    const api = withNamespaces();
    pod(api, "web-1");
    budget(api, "a", { disruptionsAllowed: 1 });
    budget(api, "b", { disruptionsAllowed: 1 });
    const err = refusal(() => evict(api, "default", "web-1", eviction("web-1")));
    expect([err.code, err.message]).toEqual([500, "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."]);
  });

  it("a Pending pod needs no budget; an unready one does not count against a budget that is met (IfHealthyBudget) or ever (AlwaysAllow)", () => {
    const api = withNamespaces();
    pod(api, "pending", { phase: "Pending", ready: false });
    pod(api, "sick", { ready: false });
    pod(api, "sick-too", { ready: false, labels: { app: "other" } });
    budget(api, "web", { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    budget(api, "other", { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 3 }, { selector: { matchLabels: { app: "other" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
    for (const name of ["pending", "sick", "sick-too"]) evict(api, "default", name, eviction(name));
    expect(["pending", "sick", "sick-too"].map((n) => exists(api, n))).toEqual([false, false, false]);
    expect((api.get(PDBS, "default", "web") as PodDisruptionBudget).status?.disruptionsAllowed).toBe(0);
  });

  it("dryRun deletes and charges nothing; a name that is not the URL's is 400; a missing pod 404", () => {
    const api = withNamespaces();
    pod(api, "web-1");
    budget(api, "web", { disruptionsAllowed: 1 });
    evict(api, "default", "web-1", eviction("web-1", { deleteOptions: { dryRun: ["All"] } }));
    expect(exists(api, "web-1")).toBe(true);
    expect((api.get(PDBS, "default", "web") as PodDisruptionBudget).status?.disruptionsAllowed).toBe(1);
    expect(refusal(() => evict(api, "default", "web-1", eviction("other"))).message).toBe("name in URL does not match name in Eviction object");
    expect(refusal(() => evict(api, "default", "nope", eviction("nope"))).code).toBe(404);
  });
});

describe("the disruption controller's disruptedPods", () => {
  const p = (name: string, extra: Partial<Stored<Pod>["metadata"]> = {}) =>
    ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", uid: name, resourceVersion: "1", creationTimestamp: NOW, ...extra }, spec: { containers: [] }, status: { conditions: [{ type: "Ready", status: "True" }] } }) as unknown as Stored<Pod>;
  it("keeps an evicted pod out of currentHealthy until it goes or the deletion timeout passes, and says when to look again", () => {
    const now = Date.parse(NOW);
    const pdb = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, status: { disruptedPods: { a: NOW, gone: NOW, deleting: NOW, old: new Date(now - DELETION_TIMEOUT_MS - 1000).toISOString() } } } as unknown as PodDisruptionBudget;
    const pods = [p("a"), p("deleting", { deletionTimestamp: NOW }), p("old"), p("b")];
    const pending = pendingDisruptions(pdb, pods, now);
    expect(pending).toEqual({ disruptedPods: { a: NOW }, recheckAtMs: now + DELETION_TIMEOUT_MS });
    expect(countHealthy(pods, pending.disruptedPods)).toBe(2); // old and b
  });
});
