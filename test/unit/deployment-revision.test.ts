// deployment.kubernetes.io/revision on the Deployment and its ReplicaSets, as
// upstream's deployment controller keeps it (pkg/controller/deployment/sync.go
// getNewReplicaSet; util/deployment_util.go SetNewReplicaSetAnnotations,
// SetDeploymentRevision, annotationsToSkip), and kubectl rollout undo's patch
// (kubectl polymorphichelpers/rollback.go: a JSON patch replacing
// /spec/template and /metadata/annotations, which fails when the Deployment
// has no annotations at all).
import { afterEach, describe, expect, it } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Deployment, ReplicaSet, Stored } from "../../src/api/types.js";
import { ReplicaSetController } from "../../src/controllers/replicaset.js";
import { DeploymentController, deploymentRevisionAnnotations, newReplicaSetAnnotations } from "../../src/controllers/deployment.js";

const DEPLOYMENTS = resourceByKind("Deployment")!;
const REPLICASETS = resourceByKind("ReplicaSet")!;
const REVISION = "deployment.kubernetes.io/revision";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

describe("newReplicaSetAnnotations (SetNewReplicaSetAnnotations)", () => {
  it("a new ReplicaSet gets the Deployment's annotations but not the skipped ones, and the revision", () => {
    expect(
      newReplicaSetAnnotations(
        { "kubernetes.io/change-cause": "image 2.54", team: "shop", [LAST_APPLIED]: "{}", [REVISION]: "1", "deployment.kubernetes.io/desired-replicas": "3" },
        undefined,
        2,
      ),
    ).toEqual({ "kubernetes.io/change-cause": "image 2.54", team: "shop", [REVISION]: "2" });
  });

  it("an existing ReplicaSet keeps a higher revision and annotations the Deployment dropped; undefined when nothing changes", () => {
    expect(newReplicaSetAnnotations({ team: "shop" }, { [REVISION]: "5", old: "x" }, 3)).toEqual({ [REVISION]: "5", old: "x", team: "shop" });
    expect(newReplicaSetAnnotations({ team: "shop" }, { [REVISION]: "5", team: "shop" }, 3)).toBeUndefined();
    expect(newReplicaSetAnnotations(undefined, { [REVISION]: "2" }, 3)).toEqual({ [REVISION]: "3" });
  });
});

describe("deploymentRevisionAnnotations (SetDeploymentRevision)", () => {
  it("sets the revision, keeping the other annotations; undefined when already set", () => {
    expect(deploymentRevisionAnnotations(undefined, "1")).toEqual({ [REVISION]: "1" });
    expect(deploymentRevisionAnnotations({ a: "b", [REVISION]: "1" }, "2")).toEqual({ a: "b", [REVISION]: "2" });
    expect(deploymentRevisionAnnotations({ [REVISION]: "2" }, "2")).toBeUndefined();
  });
});

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

describe("the controller in process", () => {
  it("revision 1, 2 after a new image, 3 after kubectl rollout undo's JSON patch (the old ReplicaSet becomes revision 3)", async () => {
    const api = withNamespaces();
    for (const c of [new ReplicaSetController(api), new DeploymentController(api)]) {
      c.start();
      stops.push(() => c.stop());
    }
    const template = (image: string) => ({ metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } });
    api.create(DEPLOYMENTS, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: template("one") },
    });
    const deployment = () => api.get(DEPLOYMENTS, "default", "web") as Stored<Deployment>;
    const revisions = () =>
      (api.list(REPLICASETS, { namespace: "default" }).items as Stored<ReplicaSet>[])
        .map((rs) => [rs.spec.template?.spec?.containers[0]?.image, rs.metadata.annotations?.[REVISION]])
        .sort();
    await until(() => expect(deployment().metadata.annotations).toEqual({ [REVISION]: "1" }));
    expect(deployment().metadata.generation).toBe(1);

    api.patch(DEPLOYMENTS, "default", "web", { metadata: { annotations: { "kubernetes.io/change-cause": "to two" } }, spec: { template: template("two") } });
    await until(() => expect(deployment().metadata.annotations).toEqual({ "kubernetes.io/change-cause": "to two", [REVISION]: "2" }));
    expect(revisions()).toEqual([["one", "1"], ["two", "2"]]);
    const two = (api.list(REPLICASETS, { namespace: "default" }).items as Stored<ReplicaSet>[]).find((rs) => rs.metadata.annotations?.[REVISION] === "2")!;
    expect(two.metadata.annotations?.["kubernetes.io/change-cause"]).toBe("to two");

    // kubectl rollout undo: revision 1's template (hash label removed), its annotations plus the Deployment's skipped ones.
    api.patch(
      DEPLOYMENTS,
      "default",
      "web",
      [
        { op: "replace", path: "/spec/template", value: template("one") },
        { op: "replace", path: "/metadata/annotations", value: { [REVISION]: "2" } },
      ],
      "application/json-patch+json",
    );
    await until(() => expect(deployment().metadata.annotations).toEqual({ [REVISION]: "3" }));
    expect(revisions()).toEqual([["one", "3"], ["two", "2"]]);
  });
});
