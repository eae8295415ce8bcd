// The API semantics kubectl relies on, driven by the real kubectl 1.32 over
// the HTTPS endpoint (a temporary kubeconfig, a fresh --cache-dir a run):
// `kubectl scale` through the scale subresource, `kubectl apply
// --server-side` conflicting with another manager and then forcing,
// `kubectl get --chunk-size` paging with limit/continue, and `kubectl apply`
// of a manifest with an unknown field (strict by default: refused; with
// --validate=warn: a warning, the field dropped).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "../../src/cluster.js";
import { Kubectl, hasKubectl } from "../support/kubectl.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.53";

const deployment = (replicas: number, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: ${IMAGE}
        args: ["netexec", "--http-port=8080"]
${extra}`;

const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { chunk: "yes" } }
spec:
  containers:
  - name: web
    image: ${IMAGE}
    args: ["netexec", "--http-port=8080"]
`;

describe.skipIf(!rootOnly() || !hasKubectl)("client semantics (real kubectl)", () => {
  const name = uniqueClusterName("cs");
  const k = new Kubectl("client-semantics", 60_000);
  const { dir, kubeconfig } = k;
  const kubectl = (...args: string[]) => k.run(args);
  const file = (fileName: string, text: string) => {
    const path = join(dir, fileName);
    writeFileSync(path, text);
    return path;
  };
  const replicas = () => kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}").stdout;
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig, keepOnFailure: true });
  }, 200_000);

  afterAll(async () => {
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("kubectl apply --server-side creates (managedFields: kubectl, Apply); kubectl scale goes through …/scale", () => {
    const applied = kubectl("apply", "--server-side", "-f", file("web.yaml", deployment(1)));
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toBe("deployment.apps/web serverside-applied\n");
    const managers = kubectl("get", "deployment", "web", "--show-managed-fields", "-o", "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation} {end}");
    expect(managers.stdout.trim()).toBe("kubectl/Apply");

    const scaled = kubectl("scale", "deployment", "web", "--replicas=3", "-v=6");
    expect(scaled.stdout).toBe("deployment.apps/web scaled\n");
    // client-go's scale client found deployments/scale in discovery and patched it.
    expect(scaled.stderr).toMatch(/PATCH https:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/default\/deployments\/web\/scale[^ ]* 200 OK/);
    expect(replicas()).toBe("3");
  });

  it("kubectl apply --server-side of another replicas conflicts with the scaler (409); --force-conflicts takes it", () => {
    const conflict = kubectl("apply", "--server-side", "-f", file("web2.yaml", deployment(2)));
    expect(conflict.status).not.toBe(0);
    expect(conflict.stderr).toMatch(/Apply failed with 1 conflict: conflict with "[^"]+" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    expect(replicas()).toBe("3");
    const forced = kubectl("apply", "--server-side", "--force-conflicts", "-f", file("web2.yaml", deployment(2)));
    expect(forced.stderr).toBe("");
    expect(forced.stdout).toBe("deployment.apps/web serverside-applied\n");
    expect(replicas()).toBe("2");
  });

  it("kubectl get pods --chunk-size=1 pages through limit=1 and continue tokens and lists every pod", () => {
    const created = kubectl("apply", "-f", file("pods.yaml", ["a", "b", "c"].map((n) => pod(`chunk-${n}`)).join("---\n")));
    expect(created.stderr).toBe("");
    const r = kubectl("get", "pods", "-l", "chunk=yes", "--chunk-size=1", "-o", "name", "-v=6");
    expect(r.stdout).toBe("pod/chunk-a\npod/chunk-b\npod/chunk-c\n");
    const pages = r.stderr.split("\n").filter((l) => /GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/pods\?/.test(l));
    expect(pages).toHaveLength(3);
    expect(pages[0]).toContain("limit=1");
    expect(pages[1]).toMatch(/continue=[^&\s]+/);
    expect(pages[2]).toMatch(/continue=[^&\s]+/);
    // The Table path (kubectl's default output) pages too.
    const table = kubectl("get", "pods", "-l", "chunk=yes", "--chunk-size=2", "--no-headers", "-o", "custom-columns=NAME:.metadata.name");
    expect(table.stdout).toBe("chunk-a\nchunk-b\nchunk-c\n");
  });

  it("kubectl apply of a manifest with an unknown field: refused (strict, kubectl's default); with --validate=warn, a warning and the field dropped", () => {
    const bad = file("bad.yaml", deployment(1, "").replace("metadata: { name: web }", "metadata: { name: strict }").replace("  replicas: 1\n", "  replicas: 1\n  foo: bar\n"));
    const strict = kubectl("apply", "-f", bad);
    expect(strict.status).not.toBe(0);
    expect(strict.stderr).toContain(
      `Error from server (BadRequest): error when creating "${bad}": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"`,
    );
    expect(kubectl("get", "deployment", "strict").status).not.toBe(0);
    const warned = kubectl("apply", "--validate=warn", "-f", bad);
    expect(warned.stdout).toBe("deployment.apps/strict created\n");
    expect(warned.stderr).toContain('Warning: unknown field "spec.foo"');
    expect(kubectl("get", "deployment", "strict", "-o", "jsonpath={.spec.foo}").stdout).toBe("");
  });
});
