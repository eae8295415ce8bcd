// A terminating namespace's content is left alone for a grace period before
// the namespace controller empties it, as upstream's waits
// (pkg/controller/namespace/namespace_controller.go namespaceDeletionGracePeriod):
// `kubectl delete -f app.yaml` deletes the Namespace first, then each object
// in it, and finds them still there.
import { afterEach, describe, expect, it } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { resourceByKind } from "../../src/api/resources.js";
import { NAMESPACE_DELETION_GRACE_MS, NamespaceController } from "../../src/controllers/namespace.js";

const NAMESPACES = resourceByKind("Namespace")!;
const CONFIGMAPS = resourceByKind("ConfigMap")!;

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

describe("namespace deletion grace", () => {
  it("upstream's 5 s is what the control plane uses", () => {
    expect(NAMESPACE_DELETION_GRACE_MS).toBe(5_000);
  });

  it("the content stays (and can still be deleted by a client) until the grace is over, then the namespace empties and goes", async () => {
    const api = withNamespaces();
    api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    for (const name of ["a", "b"]) api.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "shop" } });
    const controller = new NamespaceController(api, { deletionGraceMs: 1_500 });
    controller.start();
    stops.push(() => controller.stop());
    api.delete(NAMESPACES, undefined, "shop");
    await new Promise((r) => setTimeout(r, 200));
    // A client's delete of one object (kubectl delete -f's next request) still finds it; the other stays.
    api.delete(CONFIGMAPS, "shop", "a");
    await new Promise((r) => setTimeout(r, 200));
    expect(api.list(CONFIGMAPS, { namespace: "shop" }).items.map((c) => c.metadata.name)).toEqual(["b"]);
    expect(api.tryGet(NAMESPACES, undefined, "shop")?.metadata.deletionTimestamp).toBeDefined();
    await until(() => expect(api.tryGet(NAMESPACES, undefined, "shop")).toBeUndefined(), 5_000);
    expect(api.list(CONFIGMAPS, { namespace: "shop" }).items).toEqual([]);
  });
});
