// Real client libraries against a kemu cluster through the kubeconfig it
// writes (HTTPS on 127.0.0.1, its CA, a bearer token): @kubernetes/client-node
// (npm) list / watch / create / patch / exec, and Debian's python3-kubernetes
// list / watch — what their READMEs' first examples do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { Cluster } from "../../src/index.js";
import { leftovers, NONE, rootOnly, uniqueClusterName } from "../support/host.js";

const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";
const PYTHON = "/usr/bin/python3";
const run = promisify(execFile);

/** Debian's python3-kubernetes is for Debian's own python3 (not a pyenv one on PATH). */
async function pythonKubernetes(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return run(PYTHON, ["-c", "import kubernetes"]).then(() => true, () => false);
}

describe.skipIf(!rootOnly())("client libraries", () => {
  const name = uniqueClusterName("cl");
  const dir = mkdtempSync(join(tmpdir(), "kemu-clients-"));
  const kubeconfig = join(dir, "config");
  let cluster: Cluster;
  let kc: k8s.KubeConfig;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 90_000, kubeconfig });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    await cluster.apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "web", labels: { app: "web" } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080"] }] } });
    await cluster.waitForPods({ labelSelector: "app=web", count: 1, condition: "Ready", timeoutMs: 30_000 });
  }, 150_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("client-node: list pods, create a ConfigMap, JSON-patch it, read it back", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: "default" });
    expect(pods.items.map((p) => p.metadata?.name)).toContain("web");
    expect(pods.items.find((p) => p.metadata?.name === "web")?.status?.phase).toBe("Running");

    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "settings" }, data: { mode: "slow" } } });
    // client-node's default patch type is a JSON patch (RFC 6902)
    await core.patchNamespacedConfigMap({ namespace: "default", name: "settings", body: [{ op: "replace", path: "/data/mode", value: "fast" }] });
    const cm = await core.readNamespacedConfigMap({ namespace: "default", name: "settings" });
    expect(cm.data).toEqual({ mode: "fast" });
  });

  it("client-node: a watch sees a pod created after it started", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: "default" });
    const seen: string[] = [];
    let abort: { abort(): void } | undefined;
    const added = new Promise<void>((resolve, reject) => {
      void new k8s.Watch(kc)
        .watch("/api/v1/namespaces/default/pods", { resourceVersion: list.metadata?.resourceVersion }, (type: string, obj: k8s.V1Pod) => {
          seen.push(`${type} ${obj.metadata?.name}`);
          if (type === "ADDED" && obj.metadata?.name === "watched") resolve();
        }, (err: unknown) => (err ? reject(err as Error) : undefined))
        .then((req: { abort(): void }) => (abort = req), reject);
    });
    await new Promise((r) => setTimeout(r, 300));
    await core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "watched" }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"] }] } } });
    await Promise.race([added, new Promise((_, reject) => setTimeout(() => reject(new Error(`no ADDED for the pod; saw ${seen.join(", ")}`)), 15_000))]);
    abort?.abort();
    expect(seen).toContain("ADDED watched");
  });

  it("client-node: exec a command in the pod and read its output and status", async () => {
    let out = "";
    const stdout = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc).exec("default", "web", "c", ["sh", "-c", "echo hello from $HOSTNAME"], stdout, null, null, false, (s: k8s.V1Status) => resolve(s)).catch(reject);
      setTimeout(() => reject(new Error("exec did not end")), 15_000);
    });
    expect(status.status).toBe("Success");
    await new Promise((r) => setTimeout(r, 100));
    expect(out).toBe("hello from web\n");
  });

  it.skipIf(!rootOnly())("python3-kubernetes (Debian): list pods and watch them", async (ctx) => {
    if (!(await pythonKubernetes())) ctx.skip();
    const script = `
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
print("list", " ".join(sorted(p.metadata.name for p in v1.list_namespaced_pod("default").items)))
w = watch.Watch()
for e in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=5):
    if e["object"].metadata.name == "web":
        print("watch", e["type"], e["object"].metadata.name, e["object"].status.phase)
        w.stop()
`;
    const { stdout } = await run(PYTHON, ["-c", script, kubeconfig], { timeout: 30_000 });
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^list .*\bweb\b/);
    expect(lines[1]).toBe("watch ADDED web Running");
  }, 40_000);
});
