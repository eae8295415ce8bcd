// kubectl's view of a running cluster: discovery, Tables and OpenAPI as
// kubectl 1.32 asks for them (shared reference kubectl-api.md §2, §3, §5),
// first over the unix socket with kubectl's exact Accept headers, then
// through the real kubectl on the HTTPS endpoint with the kubeconfig
// Cluster.start writes (a temporary file; a fresh --cache-dir per run).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import http from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "../../src/cluster.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Pod } from "../../src/api/types.js";
import { Kubectl, hasKubectl } from "../support/kubectl.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const DISCOVERY_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

const MANIFEST = `apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
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
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
`;

function get(socketPath: string, path: string, accept: string): Promise<{ type: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path, headers: { Accept: accept } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ type: res.headers["content-type"], body: JSON.parse(text) as Record<string, unknown> }));
      })
      .on("error", reject);
  });
}

describe.skipIf(!rootOnly())("kubectl tables", () => {
  const name = uniqueClusterName("kt");
  const k = new Kubectl("kubectl-tables", 60_000);
  const { dir, kubeconfig } = k;
  const kubectl = (...args: string[]) => k.run(args);
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 120_000, kubeconfig, keepOnFailure: true });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("over the socket: aggregated discovery, and a Table of the nodes", async () => {
    const apis = await get(cluster.api.socketPath, "/apis", DISCOVERY_ACCEPT);
    expect(apis.type).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    expect((apis.body.items as { metadata: { name: string } }[]).map((g) => g.metadata.name)).toContain("apps");
    const nodes = await get(cluster.api.socketPath, "/api/v1/nodes?limit=500", TABLE_ACCEPT);
    expect(nodes.body.kind).toBe("Table");
    const rows = nodes.body.rows as { cells: unknown[] }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.cells[1]).toBe("Ready");
  });

  it.skipIf(!hasKubectl)("kubectl apply -f creates with default validation (OpenAPI v3)", () => {
    const file = join(dir, "web.yaml");
    writeFileSync(file, MANIFEST);
    const r = kubectl("apply", "-f", file);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("pod/web created\nservice/web created\n");
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasKubectl)("kubectl get pods -o wide prints the server's columns", async () => {
    await cluster.waitFor(async () => ((await cluster.api.get<Pod>(resourceByKind("Pod")!, "default", "web")).status?.phase === "Running"), { timeoutMs: 60_000, what: () => "pod web Running" });
    const r = kubectl("get", "pods", "-o", "wide");
    expect(r.status).toBe(0);
    const [header, row] = r.stdout.split("\n");
    expect(header!.split(/\s{2,}/)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    expect(row!.split(/\s{2,}/).slice(0, 4)).toEqual(["web", "1/1", "Running", "0"]);
    expect(row).toMatch(/ 10\.244\.\d+\.\d+ +node-1 +<none> +<none>$/);
  });

  it.skipIf(!hasKubectl)("kubectl get svc,endpointslices prints both kinds with their columns", () => {
    const r = kubectl("get", "svc,endpointslices");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$/m);
    expect(r.stdout).toMatch(/^service\/web +NodePort +10\.\d+\.\d+\.\d+ +<none> +80:30080\/TCP +\S+$/m);
    expect(r.stdout).toMatch(/^NAME +ADDRESSTYPE +PORTS +ENDPOINTS +AGE$/m);
    expect(r.stdout).toMatch(/^endpointslice\.discovery\.k8s\.io\/web-\S+ +IPv4 +8080 +10\.244\.\d+\.\d+ +\S+$/m);
  });

  it.skipIf(!hasKubectl)("kubectl api-resources lists the served kinds with short names", () => {
    const r = kubectl("api-resources");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$/m);
    expect(r.stdout).toMatch(/^pods +po +v1 +true +Pod$/m);
    expect(r.stdout).toMatch(/^deployments +deploy +apps\/v1 +true +Deployment$/m);
    expect(r.stdout).toMatch(/^httproutes +gateway\.networking\.k8s\.io\/v1 +true +HTTPRoute$/m);
  });

  it.skipIf(!hasKubectl)("kubectl get all lists the kinds in the category all; get nodes prints upstream's node columns", () => {
    const all = kubectl("get", "all");
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/^pod\/web +1\/1 +Running +0 +\S+$/m);
    expect(all.stdout).toMatch(/^service\/web +NodePort /m);
    const nodes = kubectl("get", "nodes");
    expect(nodes.status).toBe(0);
    expect(nodes.stdout.split("\n")[0]!.split(/\s{2,}/)).toEqual(["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    expect(nodes.stdout).toMatch(/^node-1 +Ready +/m);
  });

  it.skipIf(!hasKubectl)("kubectl get pods -w prints one header, then a row per change (Table watch events)", async () => {
    const child = k.start(["get", "pods", "-w"]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const rows = () => out.split("\n").filter((l) => l.startsWith("web "));
    try {
      await cluster.waitFor(async () => rows().length >= 1, { timeoutMs: 20_000, what: () => `the list row (${JSON.stringify(out)})` });
      await cluster.api.patch(resourceByKind("Pod")!, "default", "web", { metadata: { labels: { seen: "yes" } } });
      await cluster.waitFor(async () => rows().length >= 2, { timeoutMs: 20_000, what: () => `a watch row (${JSON.stringify(out)})` });
    } finally {
      child.kill();
    }
    expect(out.split("\n").filter((l) => l.startsWith("NAME ")).length).toBe(1);
    for (const row of rows()) expect(row).toMatch(/^web +1\/1 +Running +0 +\S+$/);
  });
});
