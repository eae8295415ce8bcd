// The real kubectl's create commands against kemu's HTTPS endpoint. kubectl
// 1.32's typed clients send these bodies as application/vnd.kubernetes.protobuf
// (issue 12: kemu used to answer 415); each object kemu stores must carry what
// the same command prints with --dry-run=client -o json (kubectl's own JSON of
// the object it sends), in every field that JSON sets but status.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Cluster } from "../../src/cluster.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { Kubectl, hasKubectl } from "../support/kubectl.js";

const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";

/** Paths where `expected` sets a value that `actual` does not hold (null and {} in kubectl's JSON set nothing). */
function unmatched(expected: unknown, actual: unknown, path = ""): string[] {
  if (expected === null) return [];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`];
    return expected.flatMap((e, i) => unmatched(e, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === "object") {
    if (typeof actual !== "object" || actual === null) return Object.keys(expected).length === 0 ? [] : [`${path}: ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([k, v]) => unmatched(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return expected === actual ? [] : [`${path}: ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`];
}

describe.skipIf(!rootOnly() || !hasKubectl)("kubectl create (protobuf request bodies)", () => {
  const name = uniqueClusterName("kcr");
  const k = new Kubectl("kubectl-create", 120_000);
  const kubectl = (...args: string[]) => k.run(args);
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig: k.kubeconfig, keepOnFailure: true });
  }, 200_000);

  afterAll(async () => {
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  /** Runs `kubectl create <args>` for real after a client dry run, and returns what each printed and what kemu stored. */
  function createAndCompare(resource: string, args: string[], namespace?: string) {
    const ns = namespace ? ["-n", namespace] : [];
    // Flags go before "--": what follows it is the container's command.
    const dash = args.indexOf("--");
    const [own, command] = dash < 0 ? [args, []] : [args.slice(0, dash), args.slice(dash)];
    const dry = kubectl("create", ...own, ...ns, "--dry-run=client", "-o", "json", ...command);
    expect(dry.status, dry.stderr).toBe(0);
    const sent = JSON.parse(dry.stdout) as Record<string, unknown>;
    const real = kubectl("create", ...own, ...ns, "-v=8", ...command);
    expect(real.status, real.stderr).toBe(0);
    const got = kubectl("get", resource, ...ns, "-o", "json");
    expect(got.status, got.stderr).toBe(0);
    const stored = JSON.parse(got.stdout) as Record<string, unknown>;
    // status is the server's (a create ignores it; controllers fill it in).
    expect(unmatched({ ...sent, status: null }, stored)).toEqual([]);
    return { sent, stored, log: real.stderr };
  }

  it("create deployment: the body goes as protobuf, the object matches kubectl's JSON, and its pods become Ready", () => {
    const { log, stored } = createAndCompare("deployment/web", ["deployment", "web", `--image=${AGNHOST}`, "--", "/agnhost", "netexec", "--http-port=8080"]);
    // kubectl-api.md: the typed client's POST carries a protobuf body.
    expect(log).toMatch(/POST https:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/default\/deployments/);
    expect(log).toContain("Content-Type: application/vnd.kubernetes.protobuf");
    expect((stored.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).toMatchObject([
      { name: "agnhost", image: AGNHOST, command: ["/agnhost", "netexec", "--http-port=8080"] },
    ]);
    const rollout = kubectl("rollout", "status", "deployment/web", "--timeout=120s");
    expect(rollout.status, rollout.stderr).toBe(0);
    const pods = kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}");
    expect(pods.stdout).toBe("True");
  }, 180_000);

  it("create configmap with literals and a binary file (data and binaryData)", () => {
    const file = join(k.dir, "blob.bin");
    spawnSync("sh", ["-c", `printf '\\000\\001\\377' > ${file}`]);
    const { stored } = createAndCompare("configmap/settings", ["configmap", "settings", "--from-literal=mode=fast", "--from-literal=empty=", `--from-file=blob=${file}`]);
    expect(stored.data).toEqual({ mode: "fast", empty: "" });
    expect(stored.binaryData).toEqual({ blob: "AAH/" });
  });

  it("create secret generic --from-literal", () => {
    const { stored } = createAndCompare("secret/token", ["secret", "generic", "token", "--from-literal=user=admin", "--from-literal=pass=s3cr3t"]);
    expect(stored.data).toEqual({ user: "YWRtaW4=", pass: "czNjcjN0" });
    expect(stored.type).toBe("Opaque");
  });

  it("create service clusterip: the targetPort (an IntOrString) stays a number", () => {
    const { stored } = createAndCompare("service/web", ["service", "clusterip", "web", "--tcp=80:8080"]);
    expect((stored.spec as { ports: unknown[] }).ports).toEqual([{ name: "80-8080", port: 80, protocol: "TCP", targetPort: 8080 }]);
  });

  it("create namespace, then a serviceaccount in it", () => {
    createAndCompare("namespace/team-a", ["namespace", "team-a"]);
    const { stored } = createAndCompare("serviceaccount/robot", ["serviceaccount", "robot"], "team-a");
    expect((stored.metadata as { namespace: string }).namespace).toBe("team-a");
  });

  it("create job, create cronjob, and create job --from=cronjob/…", () => {
    createAndCompare("job/once", ["job", "once", `--image=${AGNHOST}`, "--", "/agnhost", "pause"]);
    createAndCompare("cronjob/nightly", ["cronjob", "nightly", `--image=${AGNHOST}`, "--schedule=0 3 * * *", "--", "/agnhost", "pause"]);
    const { stored } = createAndCompare("job/manual", ["job", "manual", "--from=cronjob/nightly"]);
    expect((stored.metadata as { annotations: Record<string, string> }).annotations).toMatchObject({ "cronjob.kubernetes.io/instantiate": "manual" });
    expect((stored.metadata as { ownerReferences: { kind: string; name: string }[] }).ownerReferences).toMatchObject([{ kind: "CronJob", name: "nightly" }]);
  });

  it("create ingress (an inline IngressRuleValue) and create poddisruptionbudget (a *IntOrString)", () => {
    const { stored } = createAndCompare("ingress/web", ["ingress", "web", "--rule=web.example/=web:80"]);
    expect((stored.spec as { rules: unknown[] }).rules).toEqual([
      { host: "web.example", http: { paths: [{ path: "/", pathType: "Exact", backend: { service: { name: "web", port: { number: 80 } } } }] } },
    ]);
    const pdb = createAndCompare("poddisruptionbudget/web", ["poddisruptionbudget", "web", "--selector=app=web", "--min-available=1"]);
    expect((pdb.stored.spec as { minAvailable: unknown }).minAvailable).toBe(1);
  });

  it("auth can-i posts a SelfSubjectAccessReview as protobuf", () => {
    const r = kubectl("auth", "can-i", "create", "pods", "-v=8");
    expect(r.stderr).toContain("Content-Type: application/vnd.kubernetes.protobuf");
    expect([r.status, r.stdout.trim()]).toEqual([0, "yes"]);
  });
});
