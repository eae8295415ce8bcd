// kubectl habits in the kemu CLI, on one cluster that the kemu/vitest
// fixture starts and stops: get KIND/NAME and kind1,kind2, -o jsonpath
// (kubectl's dialect), -o custom-columns, --show-labels, -w (a new pod's row
// within seconds), describe pod with its Events, kemu events --for, and
// kemu cp both ways. The last block checks the fixture removed the cluster.
import { describe, it, expect, afterAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { runningClusters } from "../../src/cluster.js";
import { clusterPaths } from "../../src/daemon/config.js";
import { useCluster } from "../../src/testing/vitest.js";
import { recordClusterName, rootOnly } from "../support/host.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

const MANIFEST = `apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web, tier: front } }
spec:
  containers:
  - name: web
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

const LATE = `apiVersion: v1
kind: Pod
metadata: { name: late, labels: { app: late } }
spec:
  containers:
  - name: late
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["pause"]
`;

let clusterName = "";

describe.skipIf(!rootOnly())("kemu CLI habits", () => {
  const kemu = useCluster({ prefix: "ch", nodes: 1, ingress: false, manifests: [MANIFEST], timeoutMs: 150_000 });
  recordClusterName(kemu.name);
  clusterName = kemu.name;
  const dir = mkdtempSync(join(tmpdir(), "kemu-cli-habits-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(KEMU, [...args, "--name", kemu.name], { encoding: "utf8", timeout: 60_000 });

  it("get KIND/NAME and kind1,kind2 (names as KIND/NAME when several kinds print, a blank line between)", () => {
    const one = run("get", "pod/web");
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+1\/1\s+Running\s/);
    const two = run("get", "pods,svc");
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toMatch(/\npod\/web\s+1\/1\s+Running/);
    expect(two.stdout).toMatch(/\n\nNAME\s+TYPE\s+CLUSTER-IP[\s\S]*\nservice\/web\s+ClusterIP\s/);
  });

  it("-o jsonpath, -o custom-columns, -o name", async () => {
    const pod = await kemu.cluster.pod("web");
    const ip = run("get", "pod", "web", "-o", "jsonpath={.status.podIP}");
    expect(ip.stdout).toBe(pod.status!.podIP);
    const names = run("get", "pods", "-o", 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}');
    expect(names.stdout).toBe(`web\t${pod.spec.nodeName}\n`);
    const filtered = run("get", "pods", "-o", "jsonpath={.items[?(@.metadata.labels.tier==\"front\")].metadata.name}");
    expect(filtered.stdout).toBe("web");
    const cc = run("get", "pods", "-o", "custom-columns=NAME:.metadata.name,IP:.status.podIP,GATES:.spec.readinessGates");
    expect(cc.stdout).toBe(`NAME   IP${" ".repeat(Math.max(3, pod.status!.podIP!.length + 3) - 2)}GATES\nweb    ${pod.status!.podIP}   <none>\n`);
    expect(run("get", "svc/web", "-o", "name").stdout).toBe("service/web\n");
  });

  it("--show-labels, -L, --no-headers", () => {
    const shown = run("get", "pods", "--show-labels", "-L", "tier");
    expect(shown.stdout).toMatch(/TIER\s+LABELS\nweb\s.*front\s+app=web,tier=front\n$/);
    expect(run("get", "pods", "--no-headers").stdout).toMatch(/^web\s+1\/1\s+Running/);
  });

  it("-w prints a new pod's row within seconds", { timeout: 60_000 }, async () => {
    const child = spawn(KEMU, ["get", "pods", "-w", "--name", kemu.name], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    try {
      const until = async (re: RegExp, ms: number) => {
        const deadline = Date.now() + ms;
        while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        return re.test(out);
      };
      // The list first (a CLI starting on a loaded machine can take a while), then the watch.
      expect(await until(/\nweb\s/, 30_000), `${out}\n${err}`).toBe(true);
      await kemu.cluster.apply(LATE);
      expect(await until(/\nlate\s+0\/1\s+Pending/, 10_000), `${out}\n${err}`).toBe(true);
      // The header is printed once, at the top.
      expect(out.match(/NAME\s+READY/g)).toHaveLength(1);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("describe pod shows the pod and its Events (Scheduled by default-scheduler)", () => {
    const d = run("describe", "pod", "web");
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^Name:\s+web\nNamespace:\s+default\n/);
    expect(d.stdout).toMatch(/\nLabels:\s+app=web\n\s+tier=front\n/);
    expect(d.stdout).toMatch(/\nEvents:\n  Type\s+Reason\s+Age\s+From\s+Message\n  ----\s+------\s+----\s+----\s+-------\n/);
    expect(d.stdout).toMatch(/\n  Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web to node-1\n/);
    const svc = run("describe", "svc/web");
    expect(svc.stdout).toMatch(/\nEndpoints:\s+10\.244\.\d+\.\d+:8080\n/);
  });

  it("describe node, deployment, ingress and networkpolicy", async () => {
    await kemu.cluster.apply(`apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 1
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers: [{ name: api, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: ["pause"] }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web }
spec:
  rules:
  - host: web.example
    http:
      paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { app: api } } }], ports: [{ port: 8080 }] }]
`);
    await kemu.cluster.waitForPods({ labelSelector: "app=api", count: 1, timeoutMs: 60_000 });
    const node = run("describe", "node", "node-1");
    expect(node.status, node.stderr).toBe(0);
    expect(node.stdout).toMatch(/^Name:\s+node-1\nRoles:\s+/);
    expect(node.stdout).toMatch(/\nPodCIDRs:\s+10\.244\.\d+\.0\/24\n/);
    const deploy = run("describe", "deployment/api");
    expect(deploy.status, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/\nReplicas:\s+1 desired \| 1 updated \| 1 total \| \d available \| \d unavailable\n/);
    expect(deploy.stdout).toMatch(/\nPod Template:\n  Labels:\s+app=api\n  Containers:\n   api:\n/);
    expect(deploy.stdout).toMatch(/\nNewReplicaSet:\s+api-\w+ \(1\/1 replicas created\)\n/);
    const ing = run("describe", "ingress", "web");
    expect(ing.status, ing.stderr).toBe(0);
    expect(ing.stdout).toMatch(/\n  web\.example\s*\n\s+\/\s+web:80 \(10\.244\.\d+\.\d+:8080\)\n/);
    const np = run("describe", "netpol", "web");
    expect(np.status, np.stderr).toBe(0);
    expect(np.stdout).toContain("  Allowing ingress traffic:\n    To Port: 8080/TCP\n    From:\n      PodSelector: app=api\n");
    expect(run("describe", "configmap", "x").stderr).toContain("kemu describes pods, services, deployments, nodes, ingresses, networkpolicies, not configmaps");
  });

  it("events --for pod/web and --types", () => {
    const ev = run("events", "--for", "pod/web");
    expect(ev.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
    expect(ev.stdout).toMatch(/\sScheduled\s+Pod\/web\s/);
    expect(ev.stdout).not.toMatch(/Pod\/late/);
    expect(run("events", "--types", "Error").stderr).toContain("valid --types are Normal or Warning");
    expect(run("get", "events").stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
  });

  it("cp to the pod and back, a file and a directory", async () => {
    writeFileSync(join(dir, "in.txt"), "hello from the host\n");
    const up = run("cp", join(dir, "in.txt"), "web:/tmp/copied.txt");
    expect(up.status, up.stderr).toBe(0);
    expect((await kemu.cluster.exec("web", ["cat", "/tmp/copied.txt"])).stdout).toBe("hello from the host\n");
    const down = run("cp", "web:/tmp/copied.txt", join(dir, "back.txt"));
    expect(down.status, down.stderr).toBe(0);
    expect(readFileSync(join(dir, "back.txt"), "utf8")).toBe("hello from the host\n");
    mkdirSync(join(dir, "tree", "sub"), { recursive: true });
    writeFileSync(join(dir, "tree", "sub", "f"), "deep\n");
    expect(run("cp", join(dir, "tree"), "web:/tmp/tree").status).toBe(0);
    expect(run("cp", "web:/tmp/tree", join(dir, "tree-back")).status).toBe(0);
    expect(readFileSync(join(dir, "tree-back", "sub", "f"), "utf8")).toBe("deep\n");
    const missing = run("cp", "web:/tmp/nothing", join(dir, "x"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("/tmp/nothing: no such file or directory in pod web");
  });

  it.fails("a failing test still leaves the cluster to the fixture's afterAll", () => {
    expect(1).toBe(2);
  });
});

describe.skipIf(!rootOnly())("kemu/vitest fixture", () => {
  it("stopped the cluster after the tests above", () => {
    expect(clusterName).not.toBe("");
    expect(runningClusters()).not.toContain(clusterName);
    expect(existsSync(clusterPaths(clusterName).dir)).toBe(false);
  });
});
