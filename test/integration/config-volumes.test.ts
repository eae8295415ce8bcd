// ConfigMaps and Secrets inside real pods, as the Kubernetes docs' tasks show
// them ("Configure a Pod to Use a ConfigMap": envFrom, configMapKeyRef, a
// configMap volume updated in place; "Distribute Credentials Securely Using
// Secrets": secretKeyRef and a secret volume), and e2e's configmap_volume.go
// "updates should be reflected in volume" and "optional updates should be
// reflected in volume" (a pod waits for a missing object, then starts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster } from "../../src/index.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";
import { leftovers, NONE, rootOnly, uniqueClusterName } from "../support/host.js";

const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";
const CONFIGMAPS = resourceByKind("ConfigMap")!;
const PODS = resourceByKind("Pod")!;

describe.skipIf(!rootOnly())("ConfigMaps and Secrets in pods", () => {
  const name = uniqueClusterName("cfg");
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 90_000 });
  }, 150_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  const sh = async (pod: string, script: string) => (await cluster.exec(pod, ["sh", "-c", script])).stdout;

  it("env, envFrom and volumes from a ConfigMap and a Secret; a changed ConfigMap reaches the mounted files, not the env", async () => {
    await cluster.apply([
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "game" }, data: { "player.lives": "3", UI_COLOR: "blue", "game.properties": "enemies=aliens\n" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, stringData: { username: "admin", password: "s3cret" } },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "app" },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: "c",
              image: AGNHOST,
              args: ["pause"],
              envFrom: [{ configMapRef: { name: "game" }, prefix: "GAME_" }],
              env: [
                { name: "DB_USER", valueFrom: { secretKeyRef: { name: "creds", key: "username" } } },
                { name: "LIVES", valueFrom: { configMapKeyRef: { name: "game", key: "player.lives" } } },
              ],
              volumeMounts: [
                { name: "config", mountPath: "/etc/game" },
                { name: "secret", mountPath: "/etc/creds" },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: "game" } },
            { name: "secret", secret: { secretName: "creds", items: [{ key: "password", path: "db/password", mode: 0o400 }] } },
          ],
        },
      },
    ]);
    await cluster.waitForPods({ labelSelector: "", count: 1, condition: "Ready", timeoutMs: 30_000 });
    // the container's environment, read from its own /proc (what the program got)
    const environ = (await sh("app", "tr '\\0' '\\n' < /proc/1/environ")).split("\n");
    expect(environ).toEqual(expect.arrayContaining(["GAME_UI_COLOR=blue", "GAME_player.lives=3", "DB_USER=admin", "LIVES=3"]));
    expect(await sh("app", "cat /etc/game/UI_COLOR /etc/game/game.properties")).toBe("blueenemies=aliens\n");
    expect(await sh("app", "cat /etc/creds/db/password; stat -c %a /etc/creds/db/password")).toBe("s3cret400\n");
    // read-only, as upstream mounts them
    expect((await cluster.exec("app", ["sh", "-c", "echo x > /etc/game/new"])).exitCode).not.toBe(0);

    const cm = (await cluster.api.get(CONFIGMAPS, "default", "game")) as unknown as KubeObject & { data: Record<string, string> };
    await cluster.api.update(CONFIGMAPS, { ...cm, data: { ...cm.data, UI_COLOR: "green" } });
    await cluster.waitFor(async () => (await sh("app", "cat /etc/game/UI_COLOR")) === "green", { timeoutMs: 15_000, intervalMs: 250, what: () => "the new value in the mounted file" });
    // env is read at container start only (upstream too)
    expect((await sh("app", "tr '\\0' '\\n' < /proc/1/environ")).split("\n")).toContain("GAME_UI_COLOR=blue");
  }, 90_000);

  it("a pod whose ConfigMap is missing waits (CreateContainerConfigError, the kubelet's message) and starts once it is created", async () => {
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "waiter", labels: { role: "waiter" } },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"], env: [{ name: "MODE", valueFrom: { configMapKeyRef: { name: "later", key: "mode" } } }] }] },
    });
    await cluster.waitFor(
      async () => {
        const pod = (await cluster.api.get(PODS, "default", "waiter")) as { status?: { containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] } };
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
        return waiting?.reason === "CreateContainerConfigError" && waiting.message === 'configmap "later" not found';
      },
      { timeoutMs: 20_000, intervalMs: 250, what: () => "CreateContainerConfigError for the missing ConfigMap" },
    );
    await cluster.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "later" }, data: { mode: "fast" } });
    await cluster.waitForPods({ labelSelector: "role=waiter", count: 1, condition: "Ready", timeoutMs: 20_000 });
    expect((await sh("waiter", "tr '\\0' '\\n' < /proc/1/environ")).split("\n")).toContain("MODE=fast");
  }, 90_000);
});
