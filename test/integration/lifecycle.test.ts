// Container lifecycle on a real cluster: restart policies, CrashLoopBackOff,
// graceful termination, image errors, downward-API env.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Pod, Stored } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const PODS = resourceByKind("Pod")!;

function podYaml(name: string, spec: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, labels: { test: lifecycle } }\nspec:\n${spec}`;
}

describe.skipIf(!rootOnly())("container lifecycle", () => {
  const name = uniqueClusterName("life");
  let cluster: Cluster;

  const status = async (pod: string) => (await cluster.pod(pod)).status;
  const until = (what: string, check: (p: Stored<Pod>) => boolean, pod: string, timeoutMs = 15_000) =>
    cluster.waitFor(async () => check(await cluster.pod(pod)), { timeoutMs, what: async () => `${what} (status now ${JSON.stringify((await status(pod))?.containerStatuses?.[0]?.state)})` });

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("restartPolicy Never: a failed container stays terminated and the pod Failed", async () => {
    await cluster.apply(podYaml("never", `  restartPolicy: Never\n  containers: [{ name: c, image: busybox, command: [sh, -c, "echo bye; exit 3"] }]\n`));
    await until("phase Failed", (p) => p.status?.phase === "Failed", "never");
    const s = (await status("never"))!.containerStatuses![0]!;
    expect(s.state?.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(s.restartCount).toBe(0);
    expect(await cluster.logs("never")).toBe("bye\n");
  });

  it("restartPolicy OnFailure: success is not restarted, the pod Succeeded", async () => {
    await cluster.apply(podYaml("onfailure", `  restartPolicy: OnFailure\n  containers: [{ name: c, image: busybox, command: ["true"] }]\n`));
    await until("phase Succeeded", (p) => p.status?.phase === "Succeeded", "onfailure");
    expect((await status("onfailure"))!.containerStatuses![0]!.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
  });

  it("a crashing container is restarted at once, then backs off into CrashLoopBackOff", async () => {
    await cluster.apply(podYaml("crasher", `  containers: [{ name: c, image: busybox, command: [sh, -c, "echo attempt; exit 1"] }]\n`));
    await until("CrashLoopBackOff", (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff", "crasher");
    const s = (await status("crasher"))!.containerStatuses![0]!;
    expect(s.restartCount).toBe(1);
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
    expect(s.state?.waiting?.message).toMatch(/^back-off 10s restarting failed container=c pod=crasher_default\(/);
    expect(await cluster.logs("crasher", { previous: true })).toBe("attempt\n");
  });

  it("an image with no built-in program and no command fails clearly", async () => {
    await cluster.apply(podYaml("nginx", `  containers: [{ name: web, image: "nginx:1.27" }]\n`));
    await until("CreateContainerConfigError", (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError", "nginx");
    const s = (await status("nginx"))!.containerStatuses![0]!;
    expect(s.state?.waiting?.message).toMatch(/image "nginx:1.27" has no built-in program in kemu/);
    expect((await status("nginx"))!.phase).toBe("Pending");
  });

  it("a missing host program is a StartError with the launcher's message", async () => {
    await cluster.apply(podYaml("missing", `  restartPolicy: Never\n  containers: [{ name: c, image: busybox, command: [no-such-program-kemu] }]\n`));
    await until("terminated", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.terminated), "missing");
    expect((await status("missing"))!.containerStatuses![0]!.state?.terminated).toMatchObject({ exitCode: 127, reason: "StartError" });
    expect((await status("missing"))!.containerStatuses![0]!.state?.terminated?.message).toMatch(/no-such-program-kemu/);
  });

  it("passes env, fieldRefs and $(VAR) expansion to the container", async () => {
    await cluster.apply(
      podYaml(
        "envy",
        `  containers:
    - name: c
      image: busybox
      command: [sh, -c, 'echo "$GREETING $MY_NODE $MY_IP $POD_NAME"; sleep 3600']
      env:
        - { name: WHO, value: world }
        - { name: GREETING, value: "hello-$(WHO)" }
        - { name: MY_NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
        - { name: MY_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
`,
      ),
    );
    await until("running", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.running), "envy");
    const ip = (await cluster.pod("envy")).status!.podIP;
    await cluster.waitFor(async () => (await cluster.logs("envy")).length > 0, { timeoutMs: 5_000, what: () => "output" });
    expect(await cluster.logs("envy")).toBe(`hello-world node-1 ${ip} envy\n`);
  });

  it("deletion sends SIGTERM, and SIGKILL only after terminationGracePeriodSeconds", async () => {
    // A handler for TERM that ignores it: only SIGKILL ends this container, after the grace period.
    await cluster.apply(
      podYaml("stubborn", `  terminationGracePeriodSeconds: 2\n  containers: [{ name: c, image: busybox, command: [sh, -c, 'trap "echo got TERM" TERM; while true; do sleep 0.1; done'] }]\n`),
    );
    await until("running", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.running), "stubborn");
    const t0 = Date.now();
    const deleted = await cluster.api.delete(PODS, "default", "stubborn");
    expect(deleted.metadata.deletionGracePeriodSeconds).toBe(2);
    // Terminating meanwhile, as kubectl shows it.
    expect((await cluster.pod("stubborn")).metadata.deletionTimestamp).toBeDefined();
    await cluster.waitFor(async () => !(await cluster.api.tryGet(PODS, "default", "stubborn")), { timeoutMs: 10_000, what: () => "stubborn to be removed" });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1_900);

    // A container that exits on SIGTERM goes at once.
    await cluster.apply(podYaml("polite", `  terminationGracePeriodSeconds: 30\n  containers: [{ name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec] }]\n`));
    await until("running", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.running), "polite");
    const t1 = Date.now();
    await cluster.api.delete(PODS, "default", "polite");
    await cluster.waitFor(async () => !(await cluster.api.tryGet(PODS, "default", "polite")), { timeoutMs: 10_000, what: () => "polite to be removed" });
    expect(Date.now() - t1).toBeLessThan(5_000);
  });

  it("readinessProbe gates Ready; livenessProbe failures restart the container", async () => {
    await cluster.apply(
      podYaml(
        "probed",
        `  containers:
    - name: c
      image: busybox
      command: [sh, -c, "sleep 3600"]
      readinessProbe: { exec: { command: [cat, /tmp/ready] }, periodSeconds: 1 }
    - name: web
      image: registry.k8s.io/e2e-test-images/agnhost:2.53
      args: [netexec, --http-port=8080, --udp-port=-1]
      livenessProbe: { httpGet: { path: /healthz, port: 9999 }, periodSeconds: 1, failureThreshold: 2 }
`,
      ),
    );
    await until("running", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.running), "probed");
    const ready = (p: Stored<Pod>) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    await new Promise((r) => setTimeout(r, 1_500));
    expect(ready(await cluster.pod("probed"))).toBe(false);
    await cluster.exec("probed", ["touch", "/tmp/ready"], { container: "c" });
    await until("the c container ready", (p) => p.status?.containerStatuses?.find((c) => c.name === "c")?.ready === true, "probed");
    // The web container's liveness probe asks a port nobody serves: it gets restarted.
    await until("a liveness restart", (p) => (p.status?.containerStatuses?.find((c) => c.name === "web")?.restartCount ?? 0) >= 1, "probed", 20_000);
    const web = (await cluster.pod("probed")).status!.containerStatuses!.find((c) => c.name === "web")!;
    expect(web.lastState?.terminated?.message).toMatch(/failed liveness probe, will be restarted/);
  });

  it("runs preStop before SIGTERM on deletion", async () => {
    // The host is read-only to containers: the trace reaches it through a hostPath volume.
    const trace = join(mkdtempSync("/var/tmp/kemu-hook-"), "trace");
    await cluster.apply(
      podYaml(
        "hooked",
        `  terminationGracePeriodSeconds: 10
  volumes: [{ name: trace, hostPath: { path: ${dirname(trace)}, type: Directory } }]
  containers:
    - name: c
      image: busybox
      command: [sh, -c, 'trap "echo term >> /trace/trace; exit 0" TERM; while true; do sleep 0.1; done']
      volumeMounts: [{ name: trace, mountPath: /trace }]
      lifecycle: { preStop: { exec: { command: [sh, -c, "echo prestop >> /trace/trace; sleep 1"] } } }
`,
      ),
    );
    await until("running", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.running), "hooked");
    const uid = (await cluster.pod("hooked")).metadata.uid;
    await cluster.api.delete(PODS, "default", "hooked");
    await cluster.waitFor(async () => (await cluster.api.tryGet(PODS, "default", "hooked"))?.metadata.uid !== uid, { timeoutMs: 15_000, what: () => "hooked to go" });
    expect(readFileSync(trace, "utf8")).toBe("prestop\nterm\n");
    rmSync(dirname(trace), { recursive: true, force: true });
  });

  it("removes the pod's namespace and veth when the pod goes", async () => {
    await cluster.apply(podYaml("brief", `  terminationGracePeriodSeconds: 0\n  containers: [{ name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause] }]\n`));
    await until("running", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.running), "brief");
    const pod = await cluster.pod("brief");
    const netns = `kemu-${name}-pod-${pod.metadata.uid.replace(/-/g, "").slice(0, 12)}`;
    const veth = `veth${pod.metadata.uid.replace(/-/g, "").slice(0, 8)}`;
    expect((await cluster.execOnHost("node-1", ["ip", "-o", "link", "show", veth])).exitCode).toBe(0);
    await cluster.api.delete(PODS, "default", "brief");
    // Grace 0: the object goes at once, the kubelet tears the sandbox down right after.
    await cluster.waitFor(() => !leftovers(name).netns.includes(netns), { timeoutMs: 10_000, what: () => `${netns} to be removed` });
    expect(await cluster.api.tryGet(PODS, "default", "brief")).toBeUndefined();
    expect((await cluster.execOnHost("node-1", ["ip", "-o", "link", "show", veth])).exitCode).not.toBe(0);
    const route = await cluster.execOnHost("node-1", ["ip", "route", "show", pod.status!.podIP!]);
    expect(route.stdout).toBe("");
  });
});
