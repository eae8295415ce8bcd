// kemu's apply as one transaction of the API server: every object with its
// admission, all or nothing — stored objects, resourceVersions, ClusterIP /
// NodePort / load-balancer allocations and watch events.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withNamespaces } from "../support/fixtures.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { ApiClient } from "../../src/api/client.js";
import { Store } from "../../src/api/store.js";
import { resourceByKind } from "../../src/api/resources.js";
import { applyObjects, ApplyError } from "../../src/api/apply.js";
import { applyAll } from "../../src/api/apply-all.js";
import { parseManifests } from "../../src/api/manifests.js";
import { ServiceAllocation } from "../../src/controllers/allocation/index.js";
import type { KubeObject, Service, Stored, WatchEvent } from "../../src/api/types.js";

const PODS = resourceByKind("Pod")!;
const SERVICES = resourceByKind("Service")!;
const NAMESPACES = resourceByKind("Namespace")!;

const service = (name: string, spec: Record<string, unknown> = {}, namespace?: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

describe("Store.transaction", () => {
  it("undoes every write of a failed transaction, resourceVersions included, and tells no watcher", () => {
    const store = new Store();
    const pod = (name: string, rv = ""): Stored<KubeObject> =>
      ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", uid: name, resourceVersion: rv, creationTimestamp: "" } }) as Stored<KubeObject>;
    const a = store.put(PODS, pod("a"), "ADDED");
    const events: WatchEvent[] = [];
    store.watch(PODS, {}, (e) => events.push(e));
    const revision = store.resourceVersion;
    expect(() =>
      store.transaction(() => {
        store.put(PODS, pod("b"), "ADDED");
        store.put(PODS, { ...a, metadata: { ...a.metadata, labels: { changed: "yes" } } }, "MODIFIED");
        store.remove(PODS, store.get(PODS, "default", "a")!);
        store.put(PODS, pod("a"), "ADDED");
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(store.resourceVersion).toBe(revision);
    expect(store.list(PODS).map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`)).toEqual([`a@${a.metadata.resourceVersion}`]);
    expect(store.get(PODS, "default", "a")).toBe(a);
    expect(events).toEqual([]);
    // Nothing of it can be watched from an old resourceVersion either.
    const replayed: WatchEvent[] = [];
    store.watch(PODS, { resourceVersion: "0" }, (e) => replayed.push(e));
    expect(replayed.map((e) => e.type)).toEqual(["ADDED"]);
  });

  it("delivers a committed transaction's events in order, after it, and a nested one is part of the outer", () => {
    const store = new Store();
    const seen: string[] = [];
    store.watch(PODS, {}, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", uid: name, resourceVersion: "", creationTimestamp: "" } }) as Stored<KubeObject>;
    store.transaction(() => {
      store.put(PODS, pod("a"), "ADDED");
      store.transaction(() => store.put(PODS, pod("b"), "ADDED"));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(["ADDED a", "ADDED b"]);
  });
});

describe("apply as one transaction", () => {
  let api: ApiServer;
  let allocation: ServiceAllocation;
  let dir: string;
  let rest: RestServer;
  let client: ApiClient;

  beforeEach(async () => {
    api = withNamespaces(new ApiServer());
    allocation = new ServiceAllocation();
    api.addAdmission(allocation);
    dir = mkdtempSync(join(tmpdir(), "kemu-apply-"));
    rest = new RestServer(api);
    await rest.listen(join(dir, "api.sock"));
    client = new ApiClient(join(dir, "api.sock"));
  });

  afterEach(async () => {
    client.close();
    await rest.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const apply = (yaml: string) => applyObjects(client, parseManifests(yaml, "file.yaml"));
  const failure = async (yaml: string): Promise<string[]> => {
    try {
      await apply(yaml);
    } catch (err) {
      if (err instanceof ApplyError) return err.problems;
      throw err;
    }
    throw new Error("applied");
  };

  it("creates nothing when two Services in one file ask for the same ClusterIP, and leaks no address", async () => {
    const events: WatchEvent[] = [];
    api.watch(SERVICES, {}, (e) => events.push(e));
    const before = allocation.clusterIPs.used;
    const yaml = [
      "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {clusterIP: 10.96.7.7, ports: [{port: 80}]}",
      "apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {clusterIP: 10.96.7.7, ports: [{port: 80}]}",
    ].join("\n---\n");
    expect(await failure(yaml)).toEqual([
      'file.yaml (document 2): Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.96.7.7"]: failed to allocate IP 10.96.7.7: provided IP is already allocated',
    ]);
    expect(api.list(SERVICES).items).toEqual([]);
    expect(allocation.clusterIPs.used).toBe(before);
    expect(allocation.clusterIPs.has("10.96.7.7")).toBe(false);
    expect(events).toEqual([]);
    // The address is free: one Service gets it.
    await apply("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {clusterIP: 10.96.7.7, ports: [{port: 80}]}");
    expect((api.get(SERVICES, "default", "a") as Stored<Service>).spec!.clusterIP).toBe("10.96.7.7");
  });

  it("gives back node ports and load-balancer IPs, and undoes updates of existing objects, when a later object fails", async () => {
    const existing = api.create(SERVICES, service("kept", { type: "NodePort", ports: [{ port: 80, nodePort: 30500 }] })) as Stored<Service>;
    const held = allocation.holdings(existing.metadata.uid);
    const usedPorts = allocation.nodePorts.used;
    const usedLb = allocation.loadBalancerIPs.used;
    const yaml = [
      // An update that moves the existing Service to another node port (30500 would be released)…
      "apiVersion: v1\nkind: Service\nmetadata: {name: kept}\nspec: {type: NodePort, selector: {app: kept}, ports: [{port: 80, nodePort: 30501}]}",
      // …a new LoadBalancer (a node port and a pool address)…
      "apiVersion: v1\nkind: Service\nmetadata: {name: lb}\nspec: {type: LoadBalancer, selector: {app: lb}, ports: [{port: 80}]}",
      // …and a Service asking for a node port the update just claimed.
      "apiVersion: v1\nkind: Service\nmetadata: {name: clash}\nspec: {type: NodePort, selector: {app: c}, ports: [{port: 80, nodePort: 30501}]}",
    ].join("\n---\n");
    expect(await failure(yaml)).toEqual(['file.yaml (document 3): Service "clash" is invalid: spec.ports[0].nodePort: Invalid value: 30501: provided port is already allocated']);
    expect(api.get(SERVICES, "default", "kept")).toEqual(existing);
    expect(api.tryGet(SERVICES, "default", "lb")).toBeUndefined();
    expect(allocation.holdings(existing.metadata.uid)).toEqual(held);
    expect(allocation.nodePorts.used).toBe(usedPorts);
    expect(allocation.nodePorts.has(30500)).toBe(true);
    expect(allocation.nodePorts.has(30501)).toBe(false);
    expect(allocation.loadBalancerIPs.used).toBe(usedLb);
  });

  it("rolls back a namespace it created when an object in it fails on the server", async () => {
    api.create(SERVICES, service("first", { clusterIP: "10.96.9.9" }));
    const yaml = [
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh}",
      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: fresh}\nspec: {clusterIP: 10.96.9.9, ports: [{port: 80}]}",
    ].join("\n---\n");
    const problems = await failure(yaml);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^file\.yaml \(document 2\): Service "s" is invalid: .*provided IP is already allocated$/);
    expect(api.tryGet(NAMESPACES, undefined, "fresh")).toBeUndefined();
  });

  it("reports every failing object, not the first, and not the objects of a namespace that failed itself", () => {
    let err: unknown;
    try {
      applyAll(api, {
        namespace: "default",
        items: [
          { source: "a.yaml", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team", labels: { "bad key!": "x" } } } },
          { source: "b.yaml", object: service("in-team", {}, "team") },
          { source: "c.yaml", object: service("x", { clusterIP: "10.96.0.0" }) },
          { source: "d.yaml", object: { apiVersion: "v1", kind: "Widget", metadata: { name: "w" } } },
        ],
      });
    } catch (e) {
      err = e;
    }
    const causes = (err as { details?: { causes?: { field: string; message: string }[] } }).details?.causes ?? [];
    expect(causes.map((c) => c.field)).toEqual(["a.yaml", "c.yaml", "d.yaml"]);
    expect(causes[0]!.message).toMatch(/^a\.yaml: Namespace "team" is invalid: metadata\.labels: Invalid value: "bad key!"/);
    expect(causes[1]!.message).toMatch(/^c\.yaml: Service "x" is invalid: spec\.clusterIPs: Invalid value: \["10\.96\.0\.0"\]: failed to allocate IP 10\.96\.0\.0: the provided IP \(10\.96\.0\.0\) is not in the valid range/);
    expect(causes[2]!.message).toBe('d.yaml: no matches for kind "Widget" in version "v1": kemu does not serve this kind');
    expect((err as Error).message).toBe(causes.map((c) => c.message).join("\n"));
    expect(api.tryGet(NAMESPACES, undefined, "team")).toBeUndefined();
  });

  it("keeps apply's create / unchanged / configured semantics and the allocated ClusterIP", async () => {
    const yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}";
    const [created] = await apply(yaml);
    expect(created!.action).toBe("created");
    const ip = (created!.object as Stored<Service>).spec!.clusterIP;
    const [again] = await apply(yaml);
    expect(again!.action).toBe("unchanged");
    expect(again!.object.metadata.resourceVersion).toBe(created!.object.metadata.resourceVersion);
    const [changed] = await apply(yaml.replace("port: 80", "port: 81"));
    expect(changed!.action).toBe("configured");
    expect((changed!.object as Stored<Service>).spec!.clusterIP).toBe(ip);
  });

  it("delivers the events of a successful apply in order, namespaces first", async () => {
    const seen: string[] = [];
    for (const r of [NAMESPACES, SERVICES, PODS]) api.watch(r, {}, (e) => seen.push(`${e.type} ${e.object.kind}/${e.object.metadata.name}`));
    await apply(
      [
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: team}\nspec: {ports: [{port: 80}]}",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\nspec: {containers: [{name: c, image: busybox, command: [sleep, '1']}]}",
      ].join("\n---\n"),
    );
    expect(seen).toEqual(["ADDED Namespace/team", "ADDED Service/s", "ADDED Pod/p"]);
  });
});
