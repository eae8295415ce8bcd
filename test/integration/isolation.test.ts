// Clusters on one host leave each other alone: `kemu down --name c` beside a
// running `c-b` (whose every name starts with c's prefix kemu-c-) removes all
// of c — after a graceful stop, and after a kill -9 with c's records gone —
// and none of c-b: its namespaces, processes, state directory and a pod that
// still answers. Also: a stuck control plane, an unknown cluster,
// KEMU_CLUSTER, and a user who is not root.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { rootOnly, uniqueClusterName, recordClusterName, leftovers, NONE } from "../support/host.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster } from "../../src/cluster.js";
import { AGNHOST, pausePod } from "../support/workloads.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const WEB = `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 0
  containers: [{ name: netexec, image: "${AGNHOST}", args: [netexec, --http-port=8080] }]
`;

function kemu(args: string[], env: NodeJS.ProcessEnv = {}, asUser?: number) {
  const argv = asUser === undefined ? [KEMU, ...args] : ["setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", KEMU, ...args];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 60_000, env: { ...process.env, KEMU_CLUSTER: "", ...env } });
}

/** Everything of a cluster that must not change while a neighbour is removed. */
function snapshot(name: string) {
  const l = leftovers(name);
  return { netns: l.netns, etcNetns: l.etcNetns, pids: l.processes.map((p) => p.split(":")[0]).sort(), stateDir: l.stateDir };
}

describe.skipIf(!rootOnly())("clusters c and c-b side by side", () => {
  const c = uniqueClusterName("iso");
  const cb = recordClusterName(`${c}-b`);
  let neighbour: Cluster;
  let before: ReturnType<typeof snapshot>;

  const neighbourAnswers = async () => {
    const web = await neighbour.pod("web");
    const r = await neighbour.execOnHost("node-1", ["curl", "-s", "--max-time", "5", `http://${web.status!.podIP}:8080/hostname`]);
    return r.stdout;
  };

  beforeAll(async () => {
    neighbour = await Cluster.start({ ingress: false, name: cb, nodes: 1, manifests: [WEB] });
    before = snapshot(cb);
    expect(before.netns).toContain(`kemu-${cb}-node-1`);
    expect(before.pids.length).toBeGreaterThan(2);
    expect(await neighbourAnswers()).toBe("web");
  });

  afterAll(async () => {
    await neighbour?.stop();
    expect(leftovers(cb)).toEqual(NONE);
    expect(leftovers(c)).toEqual(NONE);
  });

  it("kemu down --name c after a graceful start removes all of c and nothing of c-b", async () => {
    const cluster = await Cluster.start({ ingress: false, name: c, nodes: 1, manifests: [WEB, pausePod("client")] });
    cluster.api.close();
    expect(leftovers(c).netns.length).toBeGreaterThanOrEqual(5);
    const down = kemu(["down", "--name", c]);
    expect(down.stderr).toBe("");
    expect(down.stdout).toBe(`Cluster "${c}" removed.\n`);
    expect(leftovers(c)).toEqual(NONE);
    expect(snapshot(cb)).toEqual(before);
    expect(await neighbourAnswers()).toBe("web");
  });

  it("after a kill -9 of c's control plane and the loss of its records, kemu down --name c finds c's leftovers by name alone", async () => {
    const cluster = await Cluster.start({ ingress: false, name: c, nodes: 1, manifests: [WEB] });
    cluster.api.close();
    const daemon = Number(readFileSync(`/run/kemu/${c}/pids/daemon`, "utf8"));
    process.kill(daemon, "SIGKILL");
    rmSync(`/run/kemu/${c}`, { recursive: true, force: true });
    const left = leftovers(c);
    expect(left.netns.length).toBeGreaterThanOrEqual(4);
    expect(left.processes.length).toBeGreaterThan(0);
    const down = kemu(["down", "--name", c]);
    expect(down.stderr).toBe("");
    expect(down.stdout).toBe(`Cluster "${c}" removed (its control plane was not running: removed what it left).\n`);
    expect(leftovers(c)).toEqual(NONE);
    expect(snapshot(cb)).toEqual(before);
    expect(await neighbourAnswers()).toBe("web");
  });

  it("kemu down --name c of a control plane that is stuck (SIGSTOP) gives up waiting on it after 5 s and still removes all of c", async () => {
    const cluster = await Cluster.start({ ingress: false, name: c, nodes: 1, manifests: [WEB] });
    cluster.api.close();
    process.kill(Number(readFileSync(`/run/kemu/${c}/pids/daemon`, "utf8")), "SIGSTOP");
    const started = Date.now();
    const down = kemu(["down", "--name", c]);
    expect(down.stdout).toBe(`Cluster "${c}" removed.\n`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(leftovers(c)).toEqual(NONE);
    expect(snapshot(cb)).toEqual(before);
  });

  it("kemu down of a cluster that does not exist says so and fails", () => {
    const down = kemu(["down", "--name", c]);
    expect(down.status).toBe(1);
    expect(down.stdout).toBe("");
    expect(down.stderr).toMatch(new RegExp(`^error: no cluster named "${c}" on this host \\(there are: [^)]*\\b${cb}\\b[^)]*\\)\\n$`));
    expect(snapshot(cb)).toEqual(before);
  });

  it("KEMU_CLUSTER selects the cluster after --name and is validated by name", () => {
    const viaEnv = kemu(["get", "pods"], { KEMU_CLUSTER: cb });
    expect(viaEnv.status).toBe(0);
    expect(viaEnv.stdout).toMatch(/^web\s+1\/1\s+Running\s/m);
    const nameWins = kemu(["get", "pods", "--name", cb], { KEMU_CLUSTER: c });
    expect(nameWins.stdout).toMatch(/^web\s/m);
    const bad = kemu(["get", "pods"], { KEMU_CLUSTER: "Not_A_Name" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: KEMU_CLUSTER: invalid cluster name "Not_A_Name": /);
    const absent = kemu(["get", "pods"], { KEMU_CLUSTER: c });
    expect(absent.stderr).toBe(`error: cluster "${c}" is not running (start it with: kemu up --name ${c})\n`);
  });

  it("a user who is not root is told permission denied, not that the cluster is not running", () => {
    const get = kemu(["get", "pods", "--name", cb], {}, 65534);
    expect(get.status).toBe(1);
    expect(get.stderr).toBe(`error: permission denied: cannot connect to the kemu API at /run/kemu/${cb}/api.sock (EACCES): run kemu as root (sudo)\n`);
    const down = kemu(["down", "--name", cb], {}, 65534);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^error: permission denied: .*run kemu as root \(sudo\)\n$/);
    expect(existsSync(`/run/kemu/${cb}/api.sock`)).toBe(true);
  });
});
