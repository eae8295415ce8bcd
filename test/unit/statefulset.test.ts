// StatefulSet defaulting and validation (upstream pkg/apis/apps/v1/defaults.go,
// pkg/apis/apps/validation), and its REST identity.
import { describe, it, expect } from "vitest";
import { applyDefaults } from "../../src/api/defaults.js";
import { validateObject } from "../../src/api/validation/index.js";
import { statefulSetSpecUpdateForbiddenMsg } from "../../src/api/validation/statefulset.js";
import { resourceByKind, resourceByName, collectionPath } from "../../src/api/resources.js";
import { ApiServer } from "../../src/api/apiserver.js";
import type { KubeObject } from "../../src/api/types.js";

type Json = Record<string, unknown>;

const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function sts(spec: Json = {}, name = "web"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: "default" },
    spec: {
      serviceName: "web",
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53" }] } },
      ...spec,
    },
  };
}

const errs = (obj: KubeObject, old?: KubeObject): string[] => validateObject(obj, old).map(String);
/** What the API server does: default, then validate (against the defaulted old object on update). */
const check = (obj: KubeObject, old?: KubeObject): string[] => errs(applyDefaults(obj), old && applyDefaults(old));

describe("StatefulSet resource", () => {
  it("is served as apps/v1 statefulsets, short name sts", () => {
    const info = resourceByKind("StatefulSet")!;
    expect(info).toMatchObject({ plural: "statefulsets", singular: "statefulset", shortNames: ["sts"], group: "apps", version: "v1", namespaced: true, listKind: "StatefulSetList" });
    expect(resourceByName("sts")).toBe(info);
    expect(resourceByName("statefulsets.apps")).toBe(info);
    expect(collectionPath(info, "default")).toBe("/apis/apps/v1/namespaces/default/statefulsets");
  });
});

describe("StatefulSet defaults", () => {
  it("fills in policy, strategy, retention, replicas, history and template defaults", () => {
    const out = applyDefaults(sts());
    const spec = out.spec as Json;
    expect(spec.podManagementPolicy).toBe("OrderedReady");
    expect(spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 0 } });
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(spec.replicas).toBe(1);
    expect(spec.revisionHistoryLimit).toBe(10);
    const podSpec = (spec.template as { spec: Json }).spec;
    expect(podSpec).toMatchObject({ restartPolicy: "Always", dnsPolicy: "ClusterFirst", terminationGracePeriodSeconds: 30, schedulerName: "default-scheduler", securityContext: {} });
    // Template defaults are those of pod templates: no enableServiceLinks (a Pod-only default).
    expect(podSpec.enableServiceLinks).toBeUndefined();
    expect(applyDefaults(out)).toEqual(out);
  });

  it("keeps what is set; only a defaulted type gets a rollingUpdate", () => {
    const spec = applyDefaults(
      sts({
        replicas: 0,
        podManagementPolicy: "Parallel",
        revisionHistoryLimit: 2,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete" },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
      }),
    ).spec as Json;
    expect(spec).toMatchObject({ replicas: 0, podManagementPolicy: "Parallel", revisionHistoryLimit: 2 });
    expect(spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 2 } });
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Delete", whenScaled: "Retain" });
    expect((applyDefaults(sts({ updateStrategy: { type: "RollingUpdate" } })).spec as Json).updateStrategy).toEqual({ type: "RollingUpdate" });
    expect((applyDefaults(sts({ updateStrategy: { type: "OnDelete" } })).spec as Json).updateStrategy).toEqual({ type: "OnDelete" });
    expect((applyDefaults(sts({ updateStrategy: { rollingUpdate: {} } })).spec as Json).updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  });

  it("gives claim templates the PersistentVolumeClaim defaults", () => {
    const spec = applyDefaults(sts({ volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }] })).spec as Json;
    expect(spec.volumeClaimTemplates).toEqual([
      { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeMode: "Filesystem" }, status: { phase: "Pending" } },
    ]);
  });
});

describe("StatefulSet validation", () => {
  it("accepts a valid set, defaulted or not", () => {
    expect(errs(sts())).toEqual([]);
    expect(check(sts())).toEqual([]);
    expect(check(sts({ serviceName: undefined }))).toEqual([]);
  });

  it("requires the name to be a DNS label (pod names and hostnames derive from it)", () => {
    expect(check(sts({}, "web.v1"))).toEqual([`metadata.name: Invalid value: "web.v1": must not contain dots`]);
    expect(check(sts({}, "Web"))).toEqual([`metadata.name: Invalid value: "Web": ${DNS1123_LABEL}`]);
    expect(check(sts({}, "a".repeat(64)))).toEqual([`metadata.name: Invalid value: "${"a".repeat(64)}": must be no more than 63 characters`]);
  });

  it("checks serviceName as a DNS label when set", () => {
    expect(check(sts({ serviceName: "Web_svc" }))).toEqual([`spec.serviceName: Invalid value: "Web_svc": ${DNS1123_LABEL}`]);
  });

  it("requires a non-empty selector that matches the template labels", () => {
    expect(check(sts({ selector: undefined }))).toEqual(["spec.selector: Required value"]);
    expect(check(sts({ selector: {} }))).toEqual([`spec.selector: Invalid value: {}: empty selector is invalid for statefulset`]);
    expect(check(sts({ selector: { matchLabels: { app: "db" } } }))).toEqual([
      `spec.template.metadata.labels: Invalid value: {"app":"web"}: \`selector\` does not match template \`labels\``,
    ]);
  });

  it("rejects negative numbers", () => {
    expect(check(sts({ replicas: -1, minReadySeconds: -2, ordinals: { start: -3 }, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: -4 } } }))).toEqual([
      "spec.updateStrategy.rollingUpdate.partition: Invalid value: -4: must be greater than or equal to 0",
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
      "spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0",
      "spec.ordinals.start: Invalid value: -3: must be greater than or equal to 0",
    ]);
  });

  it("checks podManagementPolicy, updateStrategy and the retention policy", () => {
    expect(check(sts({ podManagementPolicy: "Burst" }))).toEqual([`spec.podManagementPolicy: Invalid value: "Burst": must be 'OrderedReady' or 'Parallel'`]);
    expect(check(sts({ updateStrategy: { type: "Recreate" } }))).toEqual([`spec.updateStrategy: Invalid value: {"type":"Recreate"}: must be 'RollingUpdate' or 'OnDelete'`]);
    expect(check(sts({ updateStrategy: { type: "OnDelete", rollingUpdate: { partition: 1 } } }))).toEqual([
      `spec.updateStrategy.rollingUpdate: Invalid value: {"partition":1}: only allowed for updateStrategy 'RollingUpdate'`,
    ]);
    expect(check(sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } } }))).toEqual([
      "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0",
    ]);
    expect(check(sts({ persistentVolumeClaimRetentionPolicy: { whenScaled: "Keep" } }))).toEqual([
      `spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": supported values: "Retain", "Delete"`,
    ]);
  });

  it("requires restartPolicy Always and no activeDeadlineSeconds in the template", () => {
    const template = (spec: Json) => ({ metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }], ...spec } });
    expect(check(sts({ template: template({ restartPolicy: "Never" }) }))).toEqual([
      `spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
    ]);
    expect(check(sts({ template: template({ activeDeadlineSeconds: 10 }) }))).toEqual([
      "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
    ]);
  });

  it("validates the pod template, counting claim templates as volumes", () => {
    expect(check(sts({ template: { metadata: { labels: { app: "web" } }, spec: { containers: [] } } }))).toEqual(["spec.template.spec.containers: Required value"]);
    const mounting = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x", volumeMounts: [{ name: "data", mountPath: "/data" }] }] } };
    expect(check(sts({ template: mounting }))).toEqual([`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"`]);
    const claim = { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } };
    expect(check(sts({ template: mounting, volumeClaimTemplates: [claim] }))).toEqual([]);
    expect(check(sts({ volumeClaimTemplates: [{ metadata: { name: "data" }, spec: {} }] }))).toEqual([
      "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required",
      "spec.volumeClaimTemplates[0].spec.resources[storage]: Required value",
    ]);
  });

  it("allows updates to replicas, template, updateStrategy, ordinals, minReadySeconds, history and retention only", () => {
    const old = sts({ replicas: 3 });
    const changed = sts({
      replicas: 5,
      minReadySeconds: 3,
      revisionHistoryLimit: 1,
      ordinals: { start: 1 },
      updateStrategy: { type: "OnDelete" },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
      template: { metadata: { labels: { app: "web", v: "2" } }, spec: { containers: [{ name: "c", image: "y" }] } },
    });
    expect(check(changed, old)).toEqual([]);
    // A second apply of the same manifest is no change.
    expect(check(old, old)).toEqual([]);
    for (const spec of [
      { selector: { matchLabels: { app: "web", tier: "x" } }, template: { metadata: { labels: { app: "web", tier: "x" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
      { serviceName: "other" },
      { podManagementPolicy: "Parallel" },
      { volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }] },
    ]) {
      expect(check(sts({ replicas: 3, ...spec }), old)).toEqual([`spec: Forbidden: ${statefulSetSpecUpdateForbiddenMsg}`]);
    }
    expect(statefulSetSpecUpdateForbiddenMsg).toBe(
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });

  it("still validates the new spec on update, except what the stored object already broke", () => {
    expect(check(sts({ replicas: -1 }), sts())).toEqual(["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]);
    const stored = applyDefaults(sts({ serviceName: "Bad_Name" }));
    expect(errs(applyDefaults(sts({ serviceName: "Bad_Name", replicas: 4 })), stored)).toEqual([]);
  });

  it("is what the API server enforces, with its error message", () => {
    const api = new ApiServer();
    api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    const STS = resourceByKind("StatefulSet")!;
    const created = api.create(STS, sts({ replicas: 2 }));
    expect(created.metadata.generation).toBe(1);
    expect((created.spec as Json).podManagementPolicy).toBe("OrderedReady");
    expect(() => api.update(STS, { ...created, spec: { ...(created.spec as Json), serviceName: "other" } })).toThrow(
      `StatefulSet.apps "web" is invalid: spec: Forbidden: ${statefulSetSpecUpdateForbiddenMsg}`,
    );
    const scaled = api.update(STS, { ...created, spec: { ...(created.spec as Json), replicas: 4 } });
    expect(scaled.metadata.generation).toBe(2);
  });
});
