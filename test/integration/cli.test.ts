// The kemu command line as a user types it: output formats, exit codes, errors.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

describe.skipIf(!rootOnly())("kemu CLI", () => {
  const name = uniqueClusterName("cli");
  const dir = mkdtempSync(join(tmpdir(), "kemu-cli-"));
  // --name goes right after the subcommand: anything after `--` belongs to the command exec runs.
  const kemu = (cmd: string, ...args: string[]) => spawnSync(KEMU, [cmd, "--name", name, ...args], { encoding: "utf8", timeout: 120_000 });

  beforeAll(() => {
    writeFileSync(
      join(dir, "app.yaml"),
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: netexec, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: [netexec, --http-port=8080] }]
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  containers: [{ name: c, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: [pause] }]
`,
    );
    const up = kemu("up", "-f", join(dir, "app.yaml"), "--nodes", "2");
    expect(up.stderr).not.toMatch(/error/);
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(new RegExp(`^Cluster "${name}" is up \\(2 nodes, [\\d.]+s\\)\\.`));
  });

  afterAll(() => {
    const down = kemu("down");
    rmSync(dir, { recursive: true, force: true });
    expect(down.stdout).toBe(`Cluster "${name}" removed.\n`);
    expect(leftovers(name)).toEqual(NONE);
  });

  it("get nodes shows Ready nodes with node IPs and pod CIDRs", () => {
    const r = kemu("get", "nodes");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+POD-CIDR$/);
    expect(lines[1]).toMatch(/^node-1\s+Ready\s+<none>\s+\S+\s+v1\.31\.0-kemu\s+172\.18\.0\.2\s+10\.244\.1\.0\/24$/);
    expect(lines[2]).toMatch(/^node-2\s+Ready\s+<none>\s+\S+\s+v1\.31\.0-kemu\s+172\.18\.0\.3\s+10\.244\.2\.0\/24$/);
  });

  it("get pods -o wide has kubectl's columns", () => {
    const r = kemu("get", "pods", "-o", "wide");
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    expect(lines.slice(1).every((l) => /\s1\/1\s+Running\s+0\s+\S+\s+10\.244\.[12]\.\d+\s+node-[12]\s+<none>\s+<none>$/.test(l))).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it("-o json prints a v1 List for lists and the object for one name", () => {
    const list = JSON.parse(kemu("get", "pods", "-l", "app=web", "-o", "json").stdout);
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" } });
    expect(list.items).toHaveLength(2);
    expect(list.items[0]).toMatchObject({ apiVersion: "v1", kind: "Pod" });
    const one = JSON.parse(kemu("get", "pod", "client", "-o", "json").stdout);
    expect(one).toMatchObject({ kind: "Pod", metadata: { name: "client", namespace: "default" } });
    expect(kemu("get", "deploy", "web", "-o", "yaml").stdout).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
  });

  it("exec runs in the pod and returns the command's exit code", () => {
    const target = JSON.parse(kemu("get", "pods", "-l", "app=web", "-o", "json").stdout).items[0];
    const r = kemu("exec", "client", "--", "curl", "-s", `http://${target.status.podIP}:8080/hostname`);
    expect(r.stdout).toBe(target.metadata.name);
    expect(r.status).toBe(0);
    expect(kemu("exec", "client", "--", "sh", "-c", "exit 42").status).toBe(42);
    expect(kemu("exec", "client", "--", "hostname").stdout).toBe("client\n");
  });

  it("exec --host runs on a node and on the outside host", () => {
    const node = kemu("exec", "--host", "node-1", "--", "ip", "-o", "-4", "addr", "show", "eth0");
    expect(node.stdout).toContain("inet 172.18.0.2/16");
    const outside = kemu("exec", "--host", "outside", "--", "ip", "-o", "-4", "addr", "show", "eth0");
    expect(outside.stdout).toContain("inet 172.18.0.1/16");
    // The outside host reaches nodes over the underlay.
    expect(kemu("exec", "--host", "outside", "--", "bash", "-c", "echo > /dev/tcp/172.18.0.2/1 2>&1 || true").status).toBe(0);
    const bad = kemu("exec", "--host", "node-9", "--", "true");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: --host: no host named "node-9"/);
  });

  it("logs prints the container's output", () => {
    const target = JSON.parse(kemu("get", "pods", "-l", "app=web", "-o", "json").stdout).items[0];
    const r = kemu("logs", target.metadata.name);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/8080/);
  });

  it("rejects a file with one bad object and changes nothing", () => {
    writeFileSync(
      join(dir, "bad.yaml"),
      `apiVersion: v1
kind: Pod
metadata: { name: fine }
spec: { containers: [{ name: c, image: agnhost, args: [pause] }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken }
spec:
  replicas: -1
  selector: { matchLabels: { app: x } }
  template:
    metadata: { labels: { app: y } }
    spec: { containers: [{ name: c, image: agnhost }] }
`,
    );
    const r = kemu("apply", "-f", join(dir, "bad.yaml"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: nothing was applied:");
    expect(r.stderr).toContain('Deployment.apps "broken" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect(r.stderr).toContain("spec.template.metadata.labels: Invalid value: {\"app\":\"y\"}: `selector` does not match template `labels`]");
    expect(kemu("get", "pod", "fine").status).toBe(1);
    expect(kemu("get", "pod", "fine").stderr).toBe('Error from server (NotFound): pods "fine" not found\n');
  });

  it("wait and delete behave like kubectl's", () => {
    expect(kemu("wait", "pods", "-l", "app=web", "--for=condition=Ready", "--timeout=20s").status).toBe(0);
    const target = JSON.parse(kemu("get", "pods", "-l", "app=web", "-o", "json").stdout).items[0].metadata.name;
    const del = kemu("delete", "pod", target);
    expect(del.stdout).toBe(`pod "${target}" deleted\n`);
    expect(kemu("get", "pod", target).status).toBe(1);
    expect(kemu("wait", "pods", "-l", "app=web", "--for=condition=Ready", "--timeout=20s").status).toBe(0);
    expect(JSON.parse(kemu("get", "pods", "-l", "app=web", "-o", "json").stdout).items).toHaveLength(2);
  });

  it("names the bad argument in its errors", () => {
    expect(kemu("get", "gizmos").stderr).toMatch(/^error: the server doesn't have a resource type "gizmos"/);
    expect(kemu("get", "pods", "-o", "xml").stderr).toMatch(/^error: -o: unsupported output format "xml"/);
    const up = spawnSync(KEMU, ["up", "--nodes", "0", "--name", uniqueClusterName("x")], { encoding: "utf8" });
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/^error: --nodes: must be an integer between 1 and 50, got 0/);
    const badName = spawnSync(KEMU, ["up", "--name", "Bad_Name"], { encoding: "utf8" });
    expect(badName.stderr).toMatch(/^error: --name: invalid cluster name "Bad_Name"/);
    const noFile = spawnSync(KEMU, ["up", "-f", join(dir, "missing.yaml"), "--name", uniqueClusterName("x")], { encoding: "utf8" });
    expect(noFile.stderr).toMatch(/^error: -f .*missing\.yaml: no such file or directory/);
    const badCidr = spawnSync(KEMU, ["up", "--nodeport-addresses", "172.18.0.0/16,10.0.0.300/8", "--name", uniqueClusterName("x")], { encoding: "utf8" });
    expect(badCidr.status).toBe(1);
    expect(badCidr.stderr).toMatch(/^error: --nodeport-addresses: expected IPv4 CIDRs \(like 172\.18\.0\.0\/16\) or "primary", got "10\.0\.0\.300\/8"/);
  });
});
