// `kemu up` when start-up cannot succeed: kill -9 of the control plane (early,
// and while 30 pods start) is reported at once in one line and `kemu down
// --name` then removes everything from names alone, the records being partial;
// a container that cannot start fails `up` at once with the pod's own message.
// Each case touches only its own cluster, so this file runs beside the others.
import { describe, it, expect } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootOnly, uniqueClusterName, leftovers, NONE, rootNamespaceState } from "../support/host.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster, StartupError } from "../../src/cluster.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

function sleepers(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: sleepers }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: sleepers } }
  template:
    metadata: { labels: { app: sleepers } }
    spec:
      containers:
        - name: sleep
          image: busybox
          command: ["sleep", "3600"]
`;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const podNamespaces = (name: string) => (spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.match(new RegExp(`kemu-${name}-pod-`, "g")) ?? []).length;

/** Runs `kemu up`, kills its control plane with SIGKILL once `when` holds, and times how long up takes to notice. */
async function upThenKillDaemon(name: string, args: string[], when: () => boolean): Promise<{ status: number | null; stderr: string; reportedMs: number }> {
  const up = spawn(KEMU, ["up", "--name", name, "--timeout", "60s", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  up.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const exited = new Promise<number | null>((r) => up.on("close", (code) => r(code)));
  try {
    const pidFile = `/run/kemu/${name}/pids/daemon`;
    await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "" && when(), 45_000, "the moment to kill the control plane");
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    const killedAt = Date.now();
    const status = await Promise.race([exited, new Promise<"late">((r) => setTimeout(() => r("late"), 30_000))]);
    if (status === "late") throw new Error(`kemu up did not notice the dead control plane within 30 s; its stderr:\n${stderr}`);
    return { status, stderr, reportedMs: Date.now() - killedAt };
  } finally {
    if (up.exitCode === null) up.kill("SIGKILL");
  }
}

function expectOneLineReport(stderr: string, name: string): void {
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^error: the control plane died during start-up \(killed by SIGKILL\); its log (ends: .+|\(\/run\/kemu\/\S+\/daemon\.log\) is empty)$/);
  expect(stderr).toContain(`What it left is kept: its log is /run/kemu/${name}/daemon.log; remove it all with \`kemu down --name ${name}\`.`);
  expect(stderr).not.toMatch(/^\s+at /m);
}

function downCleansEverything(name: string): void {
  expect(leftovers(name)).not.toEqual(NONE);
  const down = spawnSync(KEMU, ["down", "--name", name], { encoding: "utf8", timeout: 60_000 });
  expect(down.stderr).toBe("");
  expect(down.status).toBe(0);
  expect(down.stdout).toBe(`Cluster "${name}" removed (its control plane was not running: removed what it left).\n`);
  expect(leftovers(name)).toEqual(NONE);
}

describe.skipIf(!rootOnly())("kill -9 of the control plane during kemu up", () => {
  it("early (before the nodes are Ready): reported at once in one line, then kemu down --name removes everything", async () => {
    const name = uniqueClusterName("crash");
    const r = await upThenKillDaemon(name, ["--nodes", "1"], () => true);
    console.info(`kill -9 early in up: reported after ${r.reportedMs} ms`);
    expect(r.status).toBe(1);
    expectOneLineReport(r.stderr, name);
    expect(r.reportedMs).toBeLessThan(3_000);
    downCleansEverything(name);
  });

  it("while 30 pods start: reported at once in one line, then kemu down --name leaves no namespace, /etc/netns entry, process or file", async () => {
    const before = rootNamespaceState();
    const name = uniqueClusterName("crash");
    const dir = mkdtempSync(join(tmpdir(), "kemu-crash-"));
    try {
      writeFileSync(join(dir, "sleepers.yaml"), sleepers(30));
      const r = await upThenKillDaemon(name, ["--nodes", "2", "-f", join(dir, "sleepers.yaml")], () => podNamespaces(name) >= 3);
      console.info(`kill -9 while pods start: reported after ${r.reportedMs} ms`);
      expect(r.status).toBe(1);
      expectOneLineReport(r.stderr, name);
      expect(r.reportedMs).toBeLessThan(3_000);
      downCleansEverything(name);
      expect(rootNamespaceState()).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!rootOnly())("a container that cannot start", () => {
  it("fails kemu up at once with the pod's own message and keeps the cluster for a look", () => {
    const name = uniqueClusterName("cfg");
    const dir = mkdtempSync(join(tmpdir(), "kemu-cfg-"));
    try {
      // kubelet: a container whose image kemu cannot map and with no command is a CreateContainerConfigError.
      writeFileSync(join(dir, "bad.yaml"), `apiVersion: v1\nkind: Pod\nmetadata: { name: bad }\nspec:\n  containers: [{ name: app, image: "example.com/app:1" }]\n`);
      const started = Date.now();
      const up = spawnSync(KEMU, ["up", "--name", name, "--nodes", "1", "-f", join(dir, "bad.yaml"), "--timeout", "60s"], { encoding: "utf8", timeout: 90_000 });
      const seconds = (Date.now() - started) / 1000;
      console.info(`kemu up with a CreateContainerConfigError pod failed after ${seconds.toFixed(1)} s`);
      expect(up.status).toBe(1);
      expect(up.stderr).toMatch(/^error: pod\/bad: CreateContainerConfigError: image "example\.com\/app:1" has no built-in program in kemu/m);
      expect(up.stderr).toContain(`The cluster is still running: look with \`kemu get pods -o wide --name ${name}\`, remove it with \`kemu down --name ${name}\`.`);
      expect(up.stderr).not.toMatch(/^\s+at /m);
      expect(seconds).toBeLessThan(30);
      const get = spawnSync(KEMU, ["get", "pod", "bad", "--name", name], { encoding: "utf8" });
      expect(get.stdout).toMatch(/^bad\s+0\/1\s+CreateContainerConfigError\s/m);
    } finally {
      const down = spawnSync(KEMU, ["down", "--name", name], { encoding: "utf8", timeout: 60_000 });
      rmSync(dir, { recursive: true, force: true });
      expect(down.stdout).toBe(`Cluster "${name}" removed.\n`);
      expect(leftovers(name)).toEqual(NONE);
    }
  });

  it("rejects Cluster.start at once when a program cannot be executed (StartError), and the library removes the cluster", async () => {
    const name = uniqueClusterName("serr");
    const started = Date.now();
    const failure = await Cluster.start({
      ingress: false,
      name,
      nodes: 1,
      manifests: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "missing" }, spec: { containers: [{ name: "app", image: "busybox", command: ["/nonexistent/program"] }] } }],
    }).then(
      (c) => c.stop().then(() => undefined),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as StartupError).failure).toBe("container-cannot-start");
    expect((failure as StartupError).message).toMatch(/^pod\/missing: StartError: /);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(leftovers(name)).toEqual(NONE);
  });
});
