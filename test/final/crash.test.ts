// kill -9 of the control plane in the middle of `kemu up`, then `kemu down
// --all`: nothing of kemu may be left on the host. Runs alone, after the main
// suite, because --all removes every cluster.
import { describe, it, expect } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootOnly, uniqueClusterName, leftovers, NONE, rootNamespaceState } from "../support/host.js";
import { PACKAGE_ROOT } from "../../src/paths.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

function manifest(replicas: number): string {
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

describe.skipIf(!rootOnly())("crash recovery", () => {
  it("kemu down --all leaves no namespaces, links, /etc/netns entries or processes after kill -9 during up", async () => {
    const before = rootNamespaceState();
    const name = uniqueClusterName("crash");
    const dir = mkdtempSync(join(tmpdir(), "kemu-crash-"));
    const file = join(dir, "sleepers.yaml");
    writeFileSync(file, manifest(30));
    const up = spawn(KEMU, ["up", "--name", name, "--nodes", "2", "-f", file, "--timeout", "60s"], { stdio: "ignore" });
    try {
      // Wait until pods are being created, then kill the daemon where it stands.
      const pidFile = `/run/kemu/${name}/pids/daemon`;
      const podNamespaces = () => (spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.match(new RegExp(`kemu-${name}-pod-`, "g")) ?? []).length;
      await until(() => existsSync(pidFile) && podNamespaces() >= 3, 30_000, "pod sandboxes to appear");
      const daemonPid = Number(readFileSync(pidFile, "utf8"));
      process.kill(daemonPid, "SIGKILL");
      expect(leftovers(name).netns.length).toBeGreaterThan(0);

      const down = spawnSync(KEMU, ["down", "--all"], { encoding: "utf8" });
      expect(down.stderr).toBe("");
      expect(down.status).toBe(0);
      await until(() => up.exitCode !== null, 30_000, "kemu up to give up");
      expect(up.exitCode).not.toBe(0);
      expect(leftovers(name)).toEqual(NONE);
      expect(rootNamespaceState()).toBe(before);
    } finally {
      if (up.exitCode === null) up.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
