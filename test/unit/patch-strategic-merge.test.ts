// Strategic merge patch against exact expected objects. Cases marked
// "upstream:" restate, in kemu's words and with kemu's own data, cases of
// apimachinery pkg/util/strategicpatch/patch_test.go (customStrategicMerge-
// PatchRawTestCases and strategicMergePatchRawTestCases), checked there on a
// test struct whose tags this file's ITEM schema copies.
import { describe, expect, it } from "vitest";
import { applyStrategicMergePatch, StrategicPatchError } from "../../src/api/patch/strategic-merge.js";
import { patchSchemaOf, type FieldStrategy, type PatchSchema } from "../../src/api/patch/strategy.js";

// The shape of upstream's test struct MergeItem: a list merged by name, a list
// replaced whole, a merged list of ints, a map replaced whole, a retainKeys list.
const ITEM: Record<string, FieldStrategy> = {};
Object.assign(ITEM, {
  mergingList: { strategy: "merge", mergeKey: "name", schema: ITEM },
  nonMergingList: { schema: ITEM },
  mergingIntList: { strategy: "merge" },
  replacingItem: { strategy: "replace" },
  retainKeysMergingList: { strategy: "merge", mergeKey: "name", retainKeys: true, schema: ITEM },
});
const smp = (original: object, patch: object, schema: PatchSchema = ITEM) =>
  applyStrategicMergePatch(original as Record<string, unknown>, patch as Record<string, unknown>, schema);
const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof StrategicPatchError) return err.message;
    throw err;
  }
  throw new Error("no error");
};

describe("strategic merge patch: the engine", () => {
  it("merges objects key by key and deletes with null, like a merge patch; inputs are not changed", () => {
    const original = { a: 1, b: { c: 2, d: 3 } };
    const patch = { b: { c: null, e: 4 }, f: { g: null, h: 5 } };
    expect(smp(original, patch)).toEqual({ a: 1, b: { d: 3, e: 4 }, f: { h: 5 } });
    expect(original).toEqual({ a: 1, b: { c: 2, d: 3 } });
    expect(patch).toEqual({ b: { c: null, e: 4 }, f: { g: null, h: 5 } });
  });

  it("merges a keyed list item by item, appending new items (upstream: merging lists)", () => {
    expect(smp({ mergingList: [{ name: "a", value: "1" }, { name: "b", value: "2" }] }, { mergingList: [{ name: "b", other: "x" }, { name: "c" }] })).toEqual({
      mergingList: [{ name: "a", value: "1" }, { name: "b", value: "2", other: "x" }, { name: "c" }],
    });
  });

  it("replaces a list without a strategy whole (upstream: nonMergingList)", () => {
    expect(smp({ nonMergingList: [{ name: "a" }, { name: "b" }] }, { nonMergingList: [{ name: "c" }] })).toEqual({ nonMergingList: [{ name: "c" }] });
  });

  it("merges a list of primitives as a set; a value new to the list goes before the live ones after it (upstream: unique scalars when merging lists)", () => {
    expect(smp({ mergingIntList: [1, 2] }, { mergingIntList: [2, 3] })).toEqual({ mergingIntList: [1, 2, 3] });
    expect(smp({ mergingIntList: [1, 2] }, { mergingIntList: [3] })).toEqual({ mergingIntList: [3, 1, 2] });
    expect(smp({ mergingIntList: [1, 2] }, { "$setElementOrder/mergingIntList": [1, 2, 3], mergingIntList: [3] })).toEqual({ mergingIntList: [1, 2, 3] });
  });

  it("$deleteFromPrimitiveList removes values; a missing list is left missing (upstream: delete from primitive list)", () => {
    expect(smp({ mergingIntList: [1, 2, 3] }, { "$deleteFromPrimitiveList/mergingIntList": [2, 9] })).toEqual({ mergingIntList: [1, 3] });
    expect(smp({}, { "$deleteFromPrimitiveList/mergingIntList": [2] })).toEqual({});
  });

  it("$patch: delete in a list removes every item with that key (upstream: delete all duplicate entries in a merging list)", () => {
    const live = { mergingList: [{ name: "a" }, { name: "a" }, { name: "b", value: "v" }, { name: "c" }] };
    expect(smp(live, { mergingList: [{ name: "a", $patch: "delete" }, { name: "c", $patch: "delete" }] })).toEqual({ mergingList: [{ name: "b", value: "v" }] });
  });

  it("$patch: replace in a list makes the other items the whole list (upstream: delete all items from merging list)", () => {
    expect(smp({ mergingList: [{ name: "a" }, { name: "b" }] }, { mergingList: [{ $patch: "replace" }] })).toEqual({ mergingList: [] });
    expect(smp({ mergingList: [{ name: "a", value: "1" }] }, { mergingList: [{ name: "z" }, { $patch: "replace" }] })).toEqual({ mergingList: [{ name: "z" }] });
  });

  it("$patch in an object: replace keeps only the patch, delete empties it (upstream: delete all keys from map, delete map from nested map)", () => {
    expect(smp({ name: "n", value: "v" }, { other: "o", $patch: "replace" })).toEqual({ other: "o" });
    expect(smp({ simpleMap: { k1: "1", k2: "2" } }, { simpleMap: { $patch: "delete" } })).toEqual({ simpleMap: {} });
    expect(smp({}, { simpleMap: { $patch: "delete" } })).toEqual({});
  });

  it("a field with the replace strategy is replaced, not merged", () => {
    expect(smp({ replacingItem: { a: 1, b: 2 } }, { replacingItem: { c: 3 } })).toEqual({ replacingItem: { c: 3 } });
  });

  it("$setElementOrder orders the merged list: the directive's order, server-only items by their live place (upstream: add map and delete map from merging list)", () => {
    const live = { mergingList: [{ name: "1" }, { name: "2", other: "b" }, { name: "4", other: "c" }] };
    const patch = { "$setElementOrder/mergingList": [{ name: "2" }, { name: "3" }], mergingList: [{ name: "3" }, { name: "1", $patch: "delete" }] };
    // Upstream reads the live order after its in-place delete-and-append, which puts the server-only "4" before "3".
    expect(smp(live, patch)).toEqual({ mergingList: [{ name: "2", other: "b" }, { name: "4", other: "c" }, { name: "3" }] });
  });

  it("$setElementOrder may list items the patch does not carry (upstream: $setElementOrder contains item that is not present in the list to be merged)", () => {
    const patch = { "$setElementOrder/mergingList": [{ name: "3" }, { name: "2" }, { name: "1" }], mergingList: [{ name: "3", value: "3" }, { name: "1", value: "1" }] };
    expect(smp({ mergingList: [{ name: "1" }, { name: "3" }] }, patch)).toEqual({ mergingList: [{ name: "3", value: "3" }, { name: "1", value: "1" }] });
  });

  it("$setElementOrder whose order contradicts the patch list is refused", () => {
    const patch = { "$setElementOrder/mergingList": [{ name: "a" }, { name: "b" }], mergingList: [{ name: "b" }, { name: "a" }] };
    expect(failure(() => smp({ mergingList: [] }, patch))).toBe(
      'the order in the patch list [{"name":"b"},{"name":"a"}] doesn\'t match the $setElementOrder list [{"name":"a"},{"name":"b"}]',
    );
  });

  it("$retainKeys clears the keys it does not list, and refuses a patch that sets an unlisted key (upstream: retainKeys cases)", () => {
    expect(smp({ retainKeysMergingList: [{ name: "a", value: "v", other: "o" }] }, { retainKeysMergingList: [{ name: "a", $retainKeys: ["name", "other"] }] })).toEqual({
      retainKeysMergingList: [{ name: "a", other: "o" }],
    });
    expect(failure(() => smp({ a: 1 }, { $retainKeys: ["a"], b: 2 }))).toBe("invalid patch format of retainKeys");
  });

  it("refuses a keyed-list item without its merge key, an unknown directive and a list of lists", () => {
    expect(failure(() => smp({ mergingList: [{ name: "a" }] }, { mergingList: [{ value: "x" }] }))).toBe('map: {"value":"x"} does not contain declared merge key: name');
    expect(failure(() => smp({ mergingList: [{ name: "a" }] }, { mergingList: [{ name: "a", $patch: "frob" }] }))).toBe(
      'unknown patch type: frob in map: {"name":"a","$patch":"frob"}',
    );
    expect(failure(() => smp({ mergingList: [{ name: "a" }] }, { mergingList: [{ name: "a", $patch: "merge" }] }))).toBe("merging lists cannot yet be specified in the patch");
    const err = (() => {
      try {
        smp({ mergingIntList: [[1]] }, { mergingIntList: [[2]] });
      } catch (e) {
        return e as StrategicPatchError;
      }
    })();
    expect([err?.message, err?.unprocessable]).toEqual(["lists of lists are not supported", true]);
  });

  it("a value of another JSON type replaces the live one, its null fields and directives dropped", () => {
    expect(smp({ mergingList: "x" }, { mergingList: [{ name: "a", value: null }, { name: "b", $patch: "delete" }] })).toEqual({ mergingList: [{ name: "a" }] });
  });
});

describe("strategic merge patch: kemu's kinds", () => {
  const deployment = () => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", finalizers: ["a"], ownerReferences: [{ uid: "u1", name: "o1" }] },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } },
      template: {
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.25",
              args: ["-g", "daemon off;"],
              ports: [{ containerPort: 80, name: "http" }],
              env: [{ name: "A", value: "1" }],
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
            { name: "sidecar", image: "busybox" },
          ],
          tolerations: [{ key: "a", operator: "Exists" }],
        },
      },
    },
  });
  const schema = patchSchemaOf("Deployment");

  it("kubectl set image changes the image and keeps args, ports, env, mounts and the other container", () => {
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }], containers: [{ image: "nginx:1.26", name: "nginx" }] } } } };
    const expected = deployment();
    expected.spec.template.spec.containers[0]!.image = "nginx:1.26";
    expect(smp(deployment(), patch, schema)).toEqual(expected);
  });

  it("merges container ports by containerPort, env by name, volumeMounts by mountPath", () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "nginx",
                ports: [{ containerPort: 443 }],
                env: [{ name: "A", value: "2" }, { name: "B", value: "3" }],
                volumeMounts: [{ mountPath: "/data", readOnly: true }],
              },
            ],
          },
        },
      },
    };
    const nginx = smp(deployment(), patch, schema) as ReturnType<typeof deployment>;
    expect(nginx.spec.template.spec.containers[0]).toEqual({
      name: "nginx",
      image: "nginx:1.25",
      args: ["-g", "daemon off;"],
      ports: [{ containerPort: 443 }, { containerPort: 80, name: "http" }],
      env: [{ name: "A", value: "2" }, { name: "B", value: "3" }],
      volumeMounts: [{ name: "data", mountPath: "/data", readOnly: true }],
    });
  });

  it("replaces tolerations and args whole (no strategy upstream)", () => {
    const patch = { spec: { template: { spec: { tolerations: [{ key: "b" }], containers: [{ name: "nginx", args: ["x"] }] } } } };
    const out = smp(deployment(), patch, schema) as ReturnType<typeof deployment>;
    expect([out.spec.template.spec.tolerations, out.spec.template.spec.containers[0]!.args]).toEqual([[{ key: "b" }], ["x"]]);
  });

  it("merges finalizers as a set and ownerReferences by uid", () => {
    const out = smp(deployment(), { metadata: { finalizers: ["b"], ownerReferences: [{ uid: "u1", name: "renamed" }, { uid: "u2", name: "o2" }] } }, schema);
    expect(out.metadata).toEqual({ name: "web", finalizers: ["b", "a"], ownerReferences: [{ uid: "u1", name: "renamed" }, { uid: "u2", name: "o2" }] });
  });

  it("kubectl apply switching the strategy to Recreate sends $retainKeys, which drops rollingUpdate", () => {
    const out = smp(deployment(), { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }, schema) as ReturnType<typeof deployment>;
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("a Service's ports merge by port; kubectl apply's $patch: delete removes one (kubectl-api.md §4)", () => {
    const service = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    const patch = { spec: { "$setElementOrder/ports": [{ port: 8080 }, { port: 443 }], ports: [{ port: 8080, protocol: "TCP" }, { $patch: "delete", port: 80 }] } };
    expect(smp(service, patch, patchSchemaOf("Service"))).toEqual({ spec: { ports: [{ port: 8080, protocol: "TCP" }, { port: 443 }] } });
  });

  it("a pod's volumes merge by name and take $retainKeys per volume", () => {
    const pod = { spec: { volumes: [{ name: "v", emptyDir: {} }, { name: "w", hostPath: { path: "/x" } }] } };
    const patch = { spec: { volumes: [{ name: "v", $retainKeys: ["name", "secret"], secret: { secretName: "s" } }] } };
    expect(smp(pod, patch, patchSchemaOf("Pod"))).toEqual({ spec: { volumes: [{ name: "v", secret: { secretName: "s" } }, { name: "w", hostPath: { path: "/x" } }] } });
  });

  it("a kind without strategies of its own still merges metadata and replaces its lists", () => {
    const slice = { metadata: { finalizers: ["a"] }, endpoints: [{ addresses: ["10.0.0.1"] }] };
    expect(smp(slice, { metadata: { finalizers: ["b"] }, endpoints: [{ addresses: ["10.0.0.2"] }] }, patchSchemaOf("EndpointSlice"))).toEqual({
      metadata: { finalizers: ["b", "a"] },
      endpoints: [{ addresses: ["10.0.0.2"] }],
    });
  });
});
