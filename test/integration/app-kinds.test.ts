// A typical app manifest (examples/app/app.yaml: Namespace, ConfigMap, Secret,
// ServiceAccount, Deployment, Service, PodDisruptionBudget,
// HorizontalPodAutoscaler) applied with `kemu apply` in a real cluster: every
// object is created; the new namespace gets its default ServiceAccount (the
// serviceaccounts controller); the Service's Endpoints list its ready pods and
// follow a scale-down (the endpoint controller); the budget's status counts the
// healthy pods (the disruption controller).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster } from "../../src/index.js";
import type { ApiClient } from "../../src/api/client.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const MANIFEST = join(PACKAGE_ROOT, "examples", "app", "app.yaml");

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Endpoints = KubeObject & { subsets?: { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[] }[] };

describe.skipIf(!rootOnly())("the kinds a typical app carries", () => {
  const name = uniqueClusterName("app");
  const kemu = (...args: string[]) => spawnSync(KEMU, [args[0]!, "--name", name, ...args.slice(1)], { encoding: "utf8", timeout: 60_000 });
  let cluster: Cluster;
  let api: ApiClient;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000 });
    api = cluster.api;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  const get = (kind: string, objName: string, apiVersion?: string) => api.tryGet(resourceByKind(kind, apiVersion)!, "shop", objName);

  it("kemu apply creates every object of the manifest", async () => {
    const applied = kemu("apply", "-f", MANIFEST);
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    for (const [kind, objName] of [
      ["ConfigMap", "catalog-config"],
      ["Secret", "catalog-db"],
      ["ServiceAccount", "catalog"],
      ["Deployment", "catalog"],
      ["Service", "catalog"],
      ["PodDisruptionBudget", "catalog"],
      ["HorizontalPodAutoscaler", "catalog"],
    ]) {
      expect((await get(kind!, objName!))?.metadata?.name, kind).toBe(objName);
    }
    // The HPA is stored defaulted (behavior absent stays absent).
    expect((await get("HorizontalPodAutoscaler", "catalog"))?.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
  });

  it("the new namespace has its default ServiceAccount", async () => {
    await until("default ServiceAccount in shop", async () => (await get("ServiceAccount", "default"))?.metadata?.name);
  });

  it("the Service's Endpoints list its ready pods, the budget counts them, and both follow a scale-down", async () => {
    const readyIps = async () => {
      const ep = (await get("Endpoints", "catalog")) as Endpoints | undefined;
      return (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
    };
    const podIps = async (): Promise<string[]> => {
      const pods = await api.list(resourceByKind("Pod")!, { namespace: "shop" });
      return pods.items
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => (p.status as { podIP?: string } | undefined)?.podIP ?? "")
        .filter(Boolean)
        .sort();
    };
    await until("three ready addresses", async () => ((await readyIps()).length === 3 ? true : undefined), 90_000);
    expect(await readyIps()).toEqual(await podIps());
    const ep = await get("Endpoints", "catalog");
    expect(ep?.metadata?.annotations?.["endpoints.kubernetes.io/last-change-trigger-time"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((ep as Endpoints).subsets?.[0]).toMatchObject({ ports: [{ name: "http", port: 8080, protocol: "TCP" }] });

    const status = async () => (await get("PodDisruptionBudget", "catalog"))?.status as Record<string, unknown> | undefined;
    await until("PDB counts 3 healthy", async () => ((await status())?.currentHealthy === 3 ? true : undefined));
    expect(await status()).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });

    await api.patch(resourceByKind("Deployment")!, "shop", "catalog", { spec: { replicas: 2 } });
    await until("two ready addresses", async () => ((await readyIps()).length === 2 ? true : undefined));
    // a terminating pod stops counting as healthy at once, but is still an expected pod (minAvailable is a number:
    // getExpectedPodCount counts the pods selected) until it is gone
    await until("PDB counts 2 healthy of 2 expected", async () => {
      const st = await status();
      return st?.currentHealthy === 2 && st.expectedPods === 2 ? true : undefined;
    });
    expect(await status()).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 });
  }, 150_000);
});
