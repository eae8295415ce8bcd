// The API server's semantics, in-process and over the REST socket (no root needed).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { parsePath } from "../../src/api/request-path.js";
import { ApiClient } from "../../src/api/client.js";
import { ApiError } from "../../src/api/errors.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import { applyObjects, ApplyError } from "../../src/api/apply.js";
import { parseManifests } from "../../src/api/manifests.js";
import { Informer } from "../../src/api/informer.js";
import type { KubeObject, WatchEvent } from "../../src/api/types.js";

const PODS = resourceByKind("Pod")!;
const NAMESPACES = resourceByKind("Namespace")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels: { app: "web" }, ...extra },
  spec: { containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["pause"] }] },
});

function server(): ApiServer {
  const api = new ApiServer();
  for (const name of ["default", "kube-system"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return api;
}

describe("API server semantics", () => {
  it("fills in identity, defaults and a growing resourceVersion", () => {
    const api = server();
    const a = api.create(PODS, pod("a"));
    const b = api.create(PODS, pod("b"));
    expect(a.metadata).toMatchObject({ name: "a", namespace: "default" });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect((a.spec as { restartPolicy: string }).restartPolicy).toBe("Always");
  });

  it("names generateName objects with a 5-character suffix", () => {
    const api = server();
    const p = api.create(PODS, { ...pod(""), metadata: { generateName: "web-" } });
    expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("rejects invalid objects with field paths, duplicates and unknown namespaces", () => {
    const api = server();
    const bad = pod("Bad_Name");
    expect(() => api.create(PODS, bad)).toThrow(/^Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    api.create(PODS, pod("a"));
    expect(() => api.create(PODS, pod("a"))).toThrow('pods "a" already exists');
    expect(() => api.create(PODS, pod("x", { namespace: "nope" }))).toThrow('namespaces "nope" not found');
    try {
      api.create(PODS, pod("x", { namespace: "nope" }));
    } catch (err) {
      expect((err as ApiError).code).toBe(404);
    }
  });

  it("detects conflicting updates by resourceVersion", () => {
    const api = server();
    const a = api.create(PODS, pod("a"));
    api.update(PODS, { ...a, metadata: { ...a.metadata, labels: { app: "v2" } } });
    expect(() => api.update(PODS, a)).toThrow(/the object has been modified/);
  });

  it("keeps status on spec updates and spec on status updates; bumps generation on spec change", () => {
    const api = server();
    const d = api.create(DEPLOYMENTS, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "agnhost" }] } } },
    });
    expect(d.metadata.generation).toBe(1);
    api.update(DEPLOYMENTS, { ...d, status: { replicas: 1 } }, undefined, { subresource: "status" });
    const scaled = api.patch(DEPLOYMENTS, "default", "web", { spec: { replicas: 3 } });
    expect(scaled.metadata.generation).toBe(2);
    expect(scaled.status).toEqual({ replicas: 1 });
    expect((scaled.spec as { replicas: number }).replicas).toBe(3);
  });

  it("deletes a scheduled pod gracefully: deletionTimestamp first, removal on grace 0", () => {
    const api = server();
    const p = api.create(PODS, pod("a"));
    api.update(PODS, { ...p, spec: { ...(p.spec as object), nodeName: "node-1" } });
    const terminating = api.delete(PODS, "default", "a");
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(api.tryGet(PODS, "default", "a")).toBeDefined();
    api.delete(PODS, "default", "a", { gracePeriodSeconds: 0 });
    expect(api.tryGet(PODS, "default", "a")).toBeUndefined();
    // An unscheduled pod has nobody to stop it: it goes at once.
    api.create(PODS, pod("b"));
    api.delete(PODS, "default", "b");
    expect(api.tryGet(PODS, "default", "b")).toBeUndefined();
  });

  it("lists by label and field selector", () => {
    const api = server();
    api.create(PODS, pod("a"));
    api.create(PODS, { ...pod("b"), metadata: { name: "b", labels: { app: "db" } } });
    expect(api.list(PODS, { labelSelector: "app=db" }).items.map((p) => p.metadata.name)).toEqual(["b"]);
    expect(api.list(PODS, { labelSelector: "app in (web,db)" }).items).toHaveLength(2);
    expect(api.list(PODS, { fieldSelector: "metadata.name=a" }).items.map((p) => p.metadata.name)).toEqual(["a"]);
    expect(api.list(PODS, { fieldSelector: "spec.nodeName=" }).items).toHaveLength(2);
    expect(() => api.list(PODS, { labelSelector: "app in (" })).toThrow(ApiError);
  });

  it("watches from a resourceVersion, replaying what happened since", () => {
    const api = server();
    const a = api.create(PODS, pod("a"));
    api.create(PODS, pod("b"));
    api.delete(PODS, "default", "b");
    const events: string[] = [];
    const stop = api.watch(PODS, { resourceVersion: a.metadata.resourceVersion }, (e) => events.push(`${e.type} ${e.object.metadata.name}`));
    api.create(PODS, pod("c"));
    stop();
    api.create(PODS, pod("d"));
    expect(events).toEqual(["ADDED b", "DELETED b", "ADDED c"]);
  });

  it("lists in namespace-then-name order, whatever the order of writes and deletes", () => {
    const api = server();
    for (const name of ["b-ns", "a-ns", "a0", "z"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    const namespaces = ["default", "kube-system", "b-ns", "a-ns", "a0", "z"];
    const names = ["web", "web-1", "web.1", "web-10", "web-2", "a", "a0", "z-z", "0", "db"];
    // The order the store used to give: scan everything, then sort.
    const expected = (ns?: string, filter: (name: string) => boolean = () => true) =>
      [...live]
        .map((k) => k.split("/") as [string, string])
        .filter(([n, name]) => (!ns || n === ns) && filter(name))
        .sort(([na, a], [nb, b]) => na.localeCompare(nb) || a.localeCompare(b))
        .map(([n, name]) => `${n}/${name}`);
    const got = (ns?: string, labelSelector?: string, fieldSelector?: string) =>
      api.list(PODS, { namespace: ns, labelSelector, fieldSelector }).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    const live = new Set<string>();
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let step = 0; step < 600; step++) {
      const ns = namespaces[next(namespaces.length)]!;
      const name = names[next(names.length)]!;
      const key = `${ns}/${name}`;
      if (!live.has(key)) {
        api.create(PODS, pod(name, { namespace: ns, labels: { app: name.length % 2 ? "odd" : "even" } }));
        live.add(key);
      } else if (next(3) === 0) {
        // An update keeps the object where it was.
        api.patch(PODS, ns, name, { metadata: { annotations: { step: String(step) } } });
      } else {
        api.delete(PODS, ns, name);
        live.delete(key);
      }
      if (step % 25 === 0) {
        expect(got()).toEqual(expected());
        expect(got(ns)).toEqual(expected(ns));
        // Selectors matching some, few, all and none of the objects.
        expect(got(undefined, "app=odd")).toEqual(expected(undefined, (n) => n.length % 2 === 1));
        expect(got(undefined, undefined, "metadata.name=web-1")).toEqual(expected(undefined, (n) => n === "web-1"));
        expect(got(ns, undefined, "metadata.name!=z-z")).toEqual(expected(ns, (n) => n !== "z-z"));
        expect(got(undefined, "app in (odd,even)")).toEqual(expected());
        expect(got(undefined, "app=none")).toEqual([]);
      }
    }
    expect(got()).toEqual(expected());
    for (const ns of namespaces) expect(got(ns)).toEqual(expected(ns));
    expect(got("nowhere")).toEqual([]);
    // A selective filter on a big namespace (matches sorted on their own), created out of order.
    for (let i = 40; i > 0; i--) {
      api.create(PODS, pod(`bulk-${i}`, { namespace: "z", labels: { bulk: String(i % 10) } }));
      live.add(`z/bulk-${i}`);
    }
    expect(got("z", "bulk=3")).toEqual(["z/bulk-13", "z/bulk-23", "z/bulk-3", "z/bulk-33"]);
    expect(got(undefined, "bulk in (3,4)")).toEqual(expected("z", (n) => /^bulk-\d*[34]$/.test(n)));
    expect(got()).toEqual(expected());
    // Cluster-scoped objects ignore the namespace asked for.
    expect(api.list(NAMESPACES, { namespace: "default" }).items.map((n) => n.metadata.name)).toEqual(["a-ns", "a0", "b-ns", "default", "kube-system", "z"]);
    // Lists hand back fresh arrays of the stored objects, updated in place by later writes.
    const first = api.list(PODS).items;
    first.pop();
    expect(api.list(PODS).items).toHaveLength(first.length + 1);
  });
});

describe("REST API over a unix socket", () => {
  let dir: string;
  let rest: RestServer;
  let client: ApiClient;
  let api: ApiServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kemu-api-"));
    api = server();
    rest = new RestServer(api);
    await rest.listen(join(dir, "api.sock"));
    client = new ApiClient(join(dir, "api.sock"));
  });

  afterAll(async () => {
    client.close();
    await rest.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("maps Kubernetes paths to resources", () => {
    expect(parsePath("/api/v1/namespaces/default/pods/web/status")).toMatchObject({ resource: PODS, namespace: "default", name: "web", subresource: "status" });
    expect(parsePath("/apis/apps/v1/deployments")).toMatchObject({ resource: DEPLOYMENTS, namespace: undefined });
    expect(parsePath("/api/v1/namespaces/default/nodes")).toBeUndefined();
    expect(resourceByName("deploy")).toBe(DEPLOYMENTS);
    expect(resourceByName("deployments.apps")).toBe(DEPLOYMENTS);
  });

  it("creates, gets and lists as a v1 List kind, and returns Status errors", async () => {
    await client.create(PODS, pod("r1"));
    const got = await client.get(PODS, "default", "r1");
    expect(got.metadata.name).toBe("r1");
    const list = await client.list(PODS, { labelSelector: "app=web" });
    expect(list.kind).toBe("PodList");
    expect(list.apiVersion).toBe("v1");
    expect(list.items.map((p) => p.metadata.name)).toContain("r1");
    const err = await client.get(PODS, "default", "missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('pods "missing" not found');
    expect((err as ApiError).code).toBe(404);
    const raw = await client.request<{ kind: string; reason: string; code: number }>("GET", "/api/v1/namespaces/default/pods/missing").catch((e: ApiError) => e.toStatus());
    expect(raw).toMatchObject({ kind: "Status", reason: "NotFound", code: 404 });
  });

  it("streams watch events and the informer keeps a cache", async () => {
    const seen: WatchEvent[] = [];
    const h = client.watch(PODS, { namespace: "default", labelSelector: "w=1" }, (e) => seen.push(e), () => undefined);
    const informer = new Informer(client, PODS, { labelSelector: "w=1" });
    await informer.start();
    await client.create(PODS, { ...pod("w1"), metadata: { name: "w1", labels: { w: "1" } } });
    await client.patch(PODS, "default", "w1", { metadata: { annotations: { x: "y" } } });
    await client.create(PODS, pod("not-watched"));
    await client.delete(PODS, "default", "w1");
    const deadline = Date.now() + 2000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    h.stop();
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED w1", "MODIFIED w1", "DELETED w1"]);
    expect(informer.list()).toEqual([]);
    informer.stop();
  });

  it("applies all of a multi-document file or nothing, naming every bad object", async () => {
    const text = `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Pod
metadata: { name: ok, namespace: shop }
spec: { containers: [{ name: c, image: agnhost }] }
---
apiVersion: v1
kind: Pod
metadata: { name: bad-port, namespace: shop }
spec: { containers: [{ name: c, image: agnhost, ports: [{ containerPort: 70000 }] }] }
---
apiVersion: v1
kind: Gizmo
metadata: { name: g }
`;
    const err = await applyObjects(client, parseManifests(text, "shop.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).problems).toEqual([
      'shop.yaml (document 3): Pod "bad-port" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'shop.yaml (document 4): no matches for kind "Gizmo" in version "v1": kemu does not serve this kind',
    ]);
    expect(await client.tryGet(NAMESPACES, undefined, "shop")).toBeUndefined();

    const good = text.split("---").slice(0, 2).join("---");
    const applied = await applyObjects(client, parseManifests(good, "shop.yaml"));
    expect(applied.map((a) => `${a.object.kind}/${a.object.metadata.name} ${a.action}`)).toEqual(["Namespace/shop created", "Pod/ok created"]);
    const again = await applyObjects(client, parseManifests(good, "shop.yaml"));
    expect(again.map((a) => a.action)).toEqual(["unchanged", "unchanged"]);
  });
});
