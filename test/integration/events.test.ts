// Events in a real cluster: an Event applied as a user writes one is read back
// with `kemu get events` as kubectl prints it; one that contradicts its object's
// namespace is refused in upstream's words (legacyValidateEvent); the
// EventRecorder writes over the API socket and counts a repeat on one Event.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster } from "../../src/index.js";
import { EventRecorder } from "../../src/api/event-recorder.js";
import { resourceByKind } from "../../src/api/resources.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const KUBECTL = "/usr/bin/kubectl";

describe.skipIf(!rootOnly())("Events", () => {
  const name = uniqueClusterName("ev");
  const dir = mkdtempSync(join(tmpdir(), "kemu-events-"));
  const kemu = (cmd: string, ...args: string[]) => spawnSync(KEMU, [cmd, "--name", name, ...args], { encoding: "utf8", timeout: 60_000 });
  let cluster: Cluster;

  beforeAll(async () => {
    // The kubeconfig is for the real kubectl (events.k8s.io/v1 case).
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig: join(dir, "config") });
  }, 200_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("kemu apply an Event, kemu get events / ev -o wide print it as kubectl does", () => {
    const file = join(dir, "event.yaml");
    writeFileSync(
      file,
      `apiVersion: v1
kind: Event
metadata: { name: web.17f3c2a1b0d4e5f6 }
involvedObject: { apiVersion: v1, kind: Pod, name: web, namespace: default, fieldPath: "spec.containers{app}" }
type: Warning
reason: BackOff
message: Back-off restarting failed container
source: { component: kubelet, host: node-1 }
count: 4
`,
    );
    const applied = kemu("apply", "-f", file);
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);

    const get = kemu("get", "events");
    expect(get.status).toBe(0);
    const lines = get.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("LAST SEEN   TYPE      REASON    OBJECT    MESSAGE");
    // No timestamps were given: LAST SEEN is <unknown>, as kubectl prints a zero time.
    expect(lines[1]).toBe("<unknown>   Warning   BackOff   pod/web   Back-off restarting failed container");

    const wide = kemu("get", "ev", "-o", "wide");
    expect(wide.stdout.split("\n")[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+SUBOBJECT\s+SOURCE\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME$/);
    expect(wide.stdout.split("\n")[1]).toMatch(/\s+spec\.containers\{app\}\s+kubelet, node-1\s+Back-off restarting failed container\s+<unknown>\s+4\s+web\.17f3c2a1b0d4e5f6$/);
  });

  it("refuses an Event whose object is in another namespace, naming the field", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "apiVersion: v1\nkind: Event\nmetadata: { name: x }\ninvolvedObject: { kind: Pod, name: p, namespace: kube-system }\n");
    const r = kemu("apply", "-f", file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('involvedObject.namespace: Invalid value: "kube-system": does not match event.namespace');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("the EventRecorder writes over the API socket and counts a repeat on the same Event", async () => {
    const namespaces = resourceByKind("Namespace")!;
    const ns = await cluster.api.get(namespaces, undefined, "kube-public");
    const logs: string[] = [];
    const recorder = new EventRecorder(cluster.api, { component: "kemu-test", log: (l) => logs.push(l) });
    await recorder.warn(ns, "Checked", "looked at it");
    await recorder.warn(ns, "Checked", "looked at it");
    expect(logs).toEqual([]);
    const get = kemu("get", "events", "-n", "default", "--field-selector", "involvedObject.name=kube-public", "-o", "json");
    expect(get.status).toBe(0);
    const ev = JSON.parse(get.stdout) as { items?: unknown[]; count?: number; reason?: string; involvedObject?: unknown };
    const items = ev.items ?? [ev];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reason: "Checked", count: 2, type: "Warning", involvedObject: { kind: "Namespace", name: "kube-public" }, source: { component: "kemu-test" } });
  });

  // A pod's story as `kubectl describe pod` shows it upstream (kuberuntime_container.go startContainer /
  // killContainer, prober.go, kubelet pod_workers back-off, kube-scheduler schedule_one.go).
  it("a pod's story: Scheduled, Pulled, Created, Started; a failing readiness probe is Unhealthy; a crashing container BackOff; a deletion Killing", async () => {
    const EVENTS = resourceByKind("Event")!;
    const PODS = resourceByKind("Pod")!;
    const NAMESPACES = resourceByKind("Namespace")!;
    await cluster.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "story" } });
    await cluster.apply([
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", namespace: "story" },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["pause"], readinessProbe: { exec: { command: ["sh", "-c", "echo not yet; exit 1"] }, periodSeconds: 1 } }],
        },
      },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "crash", namespace: "story" }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "debian:12", command: ["sh", "-c", "exit 1"] }] } },
    ]);
    type Ev = { reason?: string; message?: string; type?: string; count?: number; involvedObject: { name?: string; fieldPath?: string }; source?: { component?: string; host?: string } };
    const events = async (pod: string) => ((await cluster.api.list(EVENTS, { namespace: "story" })).items as unknown as Ev[]).filter((e) => e.involvedObject.name === pod);
    const reasons = async (pod: string) => (await events(pod)).map((e) => e.reason);
    await cluster.waitFor(async () => (await reasons("web")).includes("Unhealthy") && (await reasons("crash")).includes("BackOff"), { timeoutMs: 30_000, intervalMs: 250, what: () => "Unhealthy and BackOff events" });
    const web = await events("web");
    const byReason = (r: string) => web.find((e) => e.reason === r);
    expect(byReason("Scheduled")).toMatchObject({ type: "Normal", message: "Successfully assigned story/web to node-1", source: { component: "default-scheduler" } });
    expect(byReason("Pulled")).toMatchObject({ type: "Normal", message: 'Container image "registry.k8s.io/e2e-test-images/agnhost:2.53" already present on machine', involvedObject: { fieldPath: "spec.containers{c}" }, source: { component: "kubelet", host: "node-1" } });
    expect(byReason("Created")).toMatchObject({ type: "Normal", message: "Created container: c" });
    expect(byReason("Started")).toMatchObject({ type: "Normal", message: "Started container c" });
    expect(byReason("Unhealthy")).toMatchObject({ type: "Warning", message: "Readiness probe failed: not yet\n", involvedObject: { fieldPath: "spec.containers{c}" } });
    const crashPod = (await cluster.api.get(PODS, "story", "crash")) as { metadata: { uid: string } };
    expect((await events("crash")).find((e) => e.reason === "BackOff")).toMatchObject({ type: "Warning", message: `Back-off restarting failed container c in pod crash_story(${crashPod.metadata.uid})` });

    await cluster.api.delete(PODS, "story", "web");
    await cluster.waitFor(async () => (await reasons("web")).includes("Killing"), { timeoutMs: 20_000, intervalMs: 250, what: () => "the Killing event" });
    expect((await events("web")).find((e) => e.reason === "Killing")).toMatchObject({ type: "Normal", message: "Stopping container c", source: { component: "kubelet", host: "node-1" } });
    await cluster.api.delete(NAMESPACES, undefined, "story");
  }, 90_000);

  // events.k8s.io/v1 serves the same stored Events (pkg/apis/events/v1 conversion): the kubelet's core/v1 Events
  // read back with regarding, note, reportingController and deprecatedSource; kubectl prints the same columns.
  it("a pod's kubelet Events read through events.k8s.io/v1 (kemu's client, and kubectl get events.v1.events.k8s.io)", async () => {
    const EVENTS_V1 = resourceByKind("Event", "events.k8s.io/v1")!;
    const PODS = resourceByKind("Pod")!;
    await cluster.apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "v1-events", namespace: "default" }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "busybox", command: ["sleep", "3600"] }] } });
    type V1Event = { apiVersion: string; reason?: string; note?: string; type?: string; regarding: { kind?: string; name?: string; fieldPath?: string }; reportingController?: string; reportingInstance?: string; deprecatedSource?: { component?: string; host?: string }; message?: unknown; involvedObject?: unknown };
    const started = async () =>
      ((await cluster.api.list(EVENTS_V1, { namespace: "default", fieldSelector: "regarding.name=v1-events" })).items as unknown as V1Event[]).find((e) => e.reason === "Started");
    await cluster.waitFor(async () => (await started()) !== undefined, { timeoutMs: 30_000, intervalMs: 250, what: () => "the Started event through events.k8s.io/v1" });
    const ev = (await started())!;
    expect(ev).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      type: "Normal",
      note: "Started container c",
      regarding: { kind: "Pod", name: "v1-events", fieldPath: "spec.containers{c}" },
      deprecatedSource: { component: "kubelet", host: "node-1" },
    });
    expect(ev).not.toHaveProperty("message");
    expect(ev).not.toHaveProperty("involvedObject");

    if (existsSync(KUBECTL)) {
      const env = { ...process.env, KUBECONFIG: join(dir, "config"), HOME: dir };
      const kubectl = (...a: string[]) => spawnSync(KUBECTL, ["--cache-dir", join(dir, `cache-${a.length}-${Date.now()}`), ...a], { encoding: "utf8", timeout: 60_000, env });
      const table = kubectl("get", "events.v1.events.k8s.io", "--field-selector", "regarding.name=v1-events,reason=Started");
      expect([table.stderr, table.status]).toEqual(["", 0]);
      const lines = table.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
      expect(lines[1]).toMatch(/^\S+\s+Normal\s+Started\s+pod\/v1-events\s+Started container c$/);
      const json = kubectl("get", "events.v1.events.k8s.io", "--field-selector", "regarding.name=v1-events,reason=Started", "-o", "json");
      const items = (JSON.parse(json.stdout) as { items: V1Event[] }).items;
      expect(items.map((e) => [e.apiVersion, e.note, e.regarding.name])).toEqual([["events.k8s.io/v1", "Started container c", "v1-events"]]);
    }
    await cluster.api.delete(PODS, "default", "v1-events");
  }, 90_000);
});
