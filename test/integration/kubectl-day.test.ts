// A user's day with the real kubectl 1.32 against one kemu cluster (issue 12:
// "the kubectl 1.32 command table of a user's day … with zero failures").
// The app is examples/app/app.yaml; every command runs as a user types it,
// through the kubeconfig Cluster.start writes (a temporary file) with a fresh
// --cache-dir, and each case checks the output as kubectl prints it against
// a real cluster (kubectl's printers: "<kind>.<group>/<name> <verb>",
// rollout status/history, events and api-resources columns, auth can-i's
// yes). docs/kubectl-api-behaviours.md, "A user's day with kubectl", lists
// each command with its case and any difference.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { Cluster } from "../../src/cluster.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Kubectl, KUBECTL, hasKubectl, type RunOptions } from "../support/kubectl.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const APP = join(PACKAGE_ROOT, "examples", "app", "app.yaml");
const NS = ["-n", "shop"];

/** Reads a child's stdout until `done` holds for what came so far (or the time is up), then ends the child. */
function readUntil(child: ChildProcess, done: (out: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let out = "";
    const finish = () => {
      clearTimeout(timer);
      child.kill("SIGTERM");
      resolve(out);
    };
    const timer = setTimeout(finish, timeoutMs);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (done(out)) finish();
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      })
      .on("error", reject);
  });
}

describe.skipIf(!rootOnly() || !hasKubectl)("a user's day with kubectl 1.32", () => {
  const name = uniqueClusterName("kd");
  const k = new Kubectl("kubectl-day");
  const { dir, kubeconfig, env } = k;
  const args = (a: string[]) => k.args(a);
  const kubectl = (a: string[], extra: RunOptions = {}): SpawnSyncReturns<string> => k.run(a, extra);
  /** Runs kubectl and expects success with no complaint; returns stdout. */
  const ok = (a: string[], extra: Parameters<typeof kubectl>[1] = {}): string => {
    const r = kubectl(a, extra);
    expect({ status: r.status, stderr: r.stderr }, `kubectl ${a.join(" ")}`).toEqual({ status: 0, stderr: "" });
    return r.stdout;
  };
  const lines = (text: string) => text.split("\n").map((l) => l.trimEnd());
  let cluster: Cluster;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig, keepOnFailure: true });
  }, 200_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("apply -f app.yaml: every object created, in file order", () => {
    expect(ok(["apply", "-f", APP])).toBe(
      [
        "namespace/shop created",
        "configmap/catalog-config created",
        "secret/catalog-db created",
        "serviceaccount/catalog created",
        "deployment.apps/catalog created",
        "service/catalog created",
        "poddisruptionbudget.policy/catalog created",
        "horizontalpodautoscaler.autoscaling/catalog created",
        "",
      ].join("\n"),
    );
  });

  it("rollout status waits for the three replicas", () => {
    const out = ok(["rollout", "status", "deployment/catalog", ...NS, "--timeout=150s"], { timeoutMs: 160_000 });
    expect(out.endsWith('deployment "catalog" successfully rolled out\n')).toBe(true);
  }, 170_000);

  it("get deployment: kubectl's columns; -o jsonpath over the pods", () => {
    const out = lines(ok(["get", "deployment", "catalog", ...NS]));
    expect(out[0]).toBe("NAME      READY   UP-TO-DATE   AVAILABLE   AGE");
    expect(out[1]).toMatch(/^catalog {3}3\/3 {5}3 {12}3 {11}\d+s$/);
    expect(ok(["get", "pods", ...NS, "-l", "app=catalog", "-o", "jsonpath={.items[*].status.phase}"])).toBe("Running Running Running");
    expect(ok(["get", "deployment", "catalog", ...NS, "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"])).toBe("1");
  });

  it("describe deployment: replicas, strategy, the new ReplicaSet, the scaling event", () => {
    const out = ok(["describe", "deployment", "catalog", ...NS]);
    expect(out).toMatch(/^Name: {19}catalog$/m);
    expect(out).toMatch(/^Namespace: {14}shop$/m);
    expect(out).toMatch(/^Replicas: {15}3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
    expect(out).toMatch(/^StrategyType: {11}RollingUpdate$/m);
    expect(out).toMatch(/^NewReplicaSet: {3}catalog-[a-z0-9]+ \(3\/3 replicas created\)$/m);
    // deployment sync.go scaleReplicaSet: "Scaled up replica set %s to %d from %d" (1.32).
    expect(out).toMatch(/^ {2}Normal {2}ScalingReplicaSet {2}\d+s +deployment-controller {2}Scaled up replica set catalog-[a-z0-9]+ to 3 from 0$/m);
  });

  const changed = () => readFileSync(APP, "utf8").replace("LOG_LEVEL: info", "LOG_LEVEL: debug");

  it("diff after a local change shows the ConfigMap's change only (exit code 1)", () => {
    const file = join(dir, "app-debug.yaml");
    writeFileSync(file, changed());
    const r = kubectl(["diff", "-f", file]);
    expect([r.stderr, r.status]).toEqual(["", 1]);
    expect(r.stdout).toContain("-  LOG_LEVEL: info\n+  LOG_LEVEL: debug\n");
    expect(r.stdout.match(/^diff -u -N /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/^diff -u -N \S+\/v1\.ConfigMap\.shop\.catalog-config \S+\/v1\.ConfigMap\.shop\.catalog-config$/m);
  });

  it("edit with $EDITOR changing a field; diff is then empty", () => {
    const editor = join(dir, "editor.sh");
    writeFileSync(editor, "#!/bin/sh\nsed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' \"$1\"\n");
    chmodSync(editor, 0o755);
    expect(ok(["edit", "configmap", "catalog-config", ...NS], { env: { EDITOR: editor } })).toBe("configmap/catalog-config edited\n");
    expect(ok(["get", "configmap", "catalog-config", ...NS, "-o", "jsonpath={.data.LOG_LEVEL}"])).toBe("debug");
    const file = join(dir, "app-debug.yaml");
    const r = kubectl(["diff", "-f", file]);
    expect([r.stdout, r.stderr, r.status]).toEqual(["", "", 0]);
  });

  it("get -w prints the deployment's rows as scale changes it", async () => {
    const watch = spawn(KUBECTL, args(["get", "deployment", "catalog", ...NS, "-w"]), { env });
    children.push(watch);
    // the rows pass through intermediate states (2/2 with 3 still up to date, say): wait for the settled one
    const seen = readUntil(watch, (out) => /^catalog {3}2\/2 {5}2 {12}2 /m.test(out), 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ok(["scale", "deployment", "catalog", ...NS, "--replicas=2"])).toBe("deployment.apps/catalog scaled\n");
    const out = lines(await seen);
    expect(out[0]).toBe("NAME      READY   UP-TO-DATE   AVAILABLE   AGE");
    expect(out[1]).toMatch(/^catalog {3}3\/3 /);
    expect(out.some((l) => /^catalog {3}2\/2 {5}2 {12}2 /.test(l))).toBe(true);
  }, 70_000);

  it("set image, annotate the change cause, rollout status and history", () => {
    expect(ok(["set", "image", "deployment/catalog", "netexec=registry.k8s.io/e2e-test-images/agnhost:2.54", ...NS])).toBe("deployment.apps/catalog image updated\n");
    expect(ok(["annotate", "deployment/catalog", ...NS, "kubernetes.io/change-cause=agnhost 2.54"])).toBe("deployment.apps/catalog annotated\n");
    expect(ok(["rollout", "status", "deployment/catalog", ...NS, "--timeout=120s"], { timeoutMs: 130_000 })).toMatch(/deployment "catalog" successfully rolled out\n$/);
    expect(lines(ok(["rollout", "history", "deployment/catalog", ...NS]))).toEqual(["deployment.apps/catalog", "REVISION  CHANGE-CAUSE", "1         <none>", "2         agnhost 2.54", "", ""]);
  }, 140_000);

  it("rollout undo goes back to revision 1 (now 3); undo --to-revision=2 comes back (now 4)", () => {
    const image = () => ok(["get", "deployment", "catalog", ...NS, "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
    expect(ok(["rollout", "undo", "deployment/catalog", ...NS])).toBe("deployment.apps/catalog rolled back\n");
    expect(image()).toBe("registry.k8s.io/e2e-test-images/agnhost:2.53");
    ok(["rollout", "status", "deployment/catalog", ...NS, "--timeout=120s"], { timeoutMs: 130_000 });
    expect(lines(ok(["rollout", "history", "deployment/catalog", ...NS]))).toEqual(["deployment.apps/catalog", "REVISION  CHANGE-CAUSE", "2         agnhost 2.54", "3         <none>", "", ""]);
    expect(ok(["rollout", "undo", "deployment/catalog", ...NS, "--to-revision=2"])).toBe("deployment.apps/catalog rolled back\n");
    expect(image()).toBe("registry.k8s.io/e2e-test-images/agnhost:2.54");
    ok(["rollout", "status", "deployment/catalog", ...NS, "--timeout=120s"], { timeoutMs: 130_000 });
    expect(lines(ok(["rollout", "history", "deployment/catalog", ...NS]))).toEqual(["deployment.apps/catalog", "REVISION  CHANGE-CAUSE", "3         <none>", "4         agnhost 2.54", "", ""]);
    const r = kubectl(["rollout", "undo", "deployment/catalog", ...NS, "--to-revision=9"]);
    expect([r.stderr, r.status]).toEqual(["error: unable to find specified revision 9 in history\n", 1]);
  }, 280_000);

  it("rollout restart makes a new revision with kubectl's restartedAt annotation", () => {
    expect(ok(["rollout", "restart", "deployment/catalog", ...NS])).toBe("deployment.apps/catalog restarted\n");
    ok(["rollout", "status", "deployment/catalog", ...NS, "--timeout=120s"], { timeoutMs: 130_000 });
    expect(ok(["get", "deployment", "catalog", ...NS, "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"])).toBe("5");
    expect(ok(["get", "deployment", "catalog", ...NS, "-o", "jsonpath={.spec.template.metadata.annotations}"])).toMatch(/^\{"kubectl\.kubernetes\.io\/restartedAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-Z][\d:]*"\}$/);
  }, 140_000);

  it("label, then get -L and --show-labels", () => {
    expect(ok(["label", "deployment", "catalog", ...NS, "tier=backend"])).toBe("deployment.apps/catalog labeled\n");
    const out = lines(ok(["get", "deployment", "catalog", ...NS, "-L", "tier"]));
    expect(out[0]).toBe("NAME      READY   UP-TO-DATE   AVAILABLE   AGE   TIER");
    expect(out[1]).toMatch(/^catalog {3}2\/2 .* backend$/);
    expect(ok(["get", "deployment", "catalog", ...NS, "--show-labels"])).toMatch(/ app=catalog,tier=backend\n$/);
  });

  it("expose a deployment as a second Service", () => {
    expect(ok(["expose", "deployment", "catalog", ...NS, "--name=catalog-direct", "--port=8080"])).toBe("service/catalog-direct exposed\n");
    expect(ok(["get", "service", "catalog-direct", ...NS, "-o", "jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector}"])).toBe('8080 8080 {"app":"catalog"}');
  });

  it("run a pod, wait for it to be Ready", () => {
    expect(ok(["run", "toolbox", ...NS, "--image=busybox", "--command", "--", "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done"])).toBe("pod/toolbox created\n");
    expect(ok(["wait", "--for=condition=Ready", "pod/toolbox", ...NS, "--timeout=90s"], { timeoutMs: 100_000 })).toBe("pod/toolbox condition met\n");
  }, 110_000);

  it("logs -f follows the pod's lines", async () => {
    const follow = spawn(KUBECTL, args(["logs", "-f", "toolbox", ...NS]), { env });
    children.push(follow);
    const out = await readUntil(follow, (o) => /tick 3\n/.test(o), 20_000);
    expect(out).toMatch(/^tick 1\ntick 2\ntick 3\n/);
  }, 30_000);

  it("exec, and exec -it with a terminal (script(1) as the user's terminal)", async () => {
    expect(ok(["exec", "toolbox", ...NS, "--", "sh", "-c", "echo $HOSTNAME"])).toBe("toolbox\n");
    const inner = `${KUBECTL} ${args(["exec", "-it", "toolbox", ...NS, "--", "sh", "-c", "'tty; echo $HOSTNAME'"]).join(" ")}`;
    const child = spawn("script", ["-qec", inner, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect([out.replace(/\r/g, ""), code]).toEqual(["/dev/pts/0\ntoolbox\n", 0]);
  }, 30_000);

  it("port-forward svc/catalog on a free local port; a request reaches a catalog pod", async () => {
    const pf = spawn(KUBECTL, args(["port-forward", ...NS, "svc/catalog", ":80"]), { env });
    children.push(pf);
    const out = await readUntil(pf, (o) => /Forwarding from 127\.0\.0\.1:\d+ -> 8080\n/.test(o), 20_000).catch(() => "");
    // readUntil ended the child; start again on the port it chose, and keep it until the request is answered.
    const port = Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    const again = spawn(KUBECTL, args(["port-forward", ...NS, "svc/catalog", `${port}:80`]), { env });
    children.push(again);
    let ready = "";
    await new Promise<void>((resolve) => again.stdout.on("data", (c: Buffer) => ((ready += c.toString()), /Forwarding from 127/.test(ready) && resolve())));
    const hostname = await httpGet(port, "/hostname");
    again.kill("SIGTERM");
    expect(hostname).toMatch(/^catalog-[a-z0-9]+-[a-z0-9]+$/);
  }, 40_000);

  it("cp a file into the pod and back", () => {
    const local = join(dir, "notes.txt");
    writeFileSync(local, "shop notes\nline two\n");
    const into = kubectl(["cp", local, "shop/toolbox:/tmp/notes.txt"]);
    expect(into.status, into.stderr).toBe(0);
    expect(ok(["exec", "toolbox", ...NS, "--", "cat", "/tmp/notes.txt"])).toBe("shop notes\nline two\n");
    const back = join(dir, "back.txt");
    const out = kubectl(["cp", "shop/toolbox:/tmp/notes.txt", back]);
    expect(out.status, out.stderr).toBe(0);
    expect(readFileSync(back, "utf8")).toBe("shop notes\nline two\n");
  });

  it("events --for the deployment: its scaling story", () => {
    const out = lines(ok(["events", ...NS, "--for", "deployment/catalog"]));
    expect(out[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(out.some((l) => /^\S+\s+Normal\s+ScalingReplicaSet\s+Deployment\/catalog\s+Scaled up replica set catalog-[a-z0-9]+ to 3 from 0/.test(l))).toBe(true);
    expect(out.some((l) => /ScalingReplicaSet\s+Deployment\/catalog\s+Scaled down replica set catalog-[a-z0-9]+ to 2 from 3/.test(l))).toBe(true);
  });

  it("api-resources lists the served kinds, the reviews among them", () => {
    const out = lines(ok(["api-resources"]));
    expect(out[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
    expect(out).toContainEqual(expect.stringMatching(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/));
    expect(out).toContainEqual(expect.stringMatching(/^pods\s+po\s+v1\s+true\s+Pod$/));
    expect(out).toContainEqual(expect.stringMatching(/^selfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview$/));
  });

  it("auth can-i create pods: yes; --list: every verb on everything", () => {
    expect(ok(["auth", "can-i", "create", "pods", ...NS])).toBe("yes\n");
    expect(ok(["auth", "can-i", "delete", "deployments.apps", "--all-namespaces"])).toBe("yes\n");
    const list = lines(ok(["auth", "can-i", "--list", ...NS]));
    expect(list[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(list).toContainEqual(expect.stringMatching(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/));
    expect(list).toContainEqual(expect.stringMatching(/^\s+\[\*\]\s+\[\]\s+\[\*\]$/));
  });

  it("create configmap, deployment and job", () => {
    expect(ok(["create", "configmap", "flags", ...NS, "--from-literal=beta=on"])).toBe("configmap/flags created\n");
    expect(ok(["create", "deployment", "web", ...NS, "--image=registry.k8s.io/e2e-test-images/agnhost:2.53", "--replicas=1", "--", "/agnhost", "netexec"])).toBe("deployment.apps/web created\n");
    expect(ok(["create", "job", "once", ...NS, "--image=busybox", "--", "echo", "done"])).toBe("job.batch/once created\n");
    expect(ok(["wait", "--for=condition=Complete", "job/once", ...NS, "--timeout=90s"], { timeoutMs: 100_000 })).toBe("job.batch/once condition met\n");
  }, 110_000);

  // kubectl pkg/explain/v2 (plaintext.tmpl): the kind's schema is the component whose x-kubernetes-group-version-kind
  // matches its operations'; types are guessed from $ref names (IntOrString, map[string]Quantity). kemu's fields carry
  // no descriptions and no -required- marks (docs/kubectl-api-behaviours.md, "Discovery, Tables and OpenAPI").
  it("explain pods.spec.containers, deployment.spec --recursive, svc.spec.ports.targetPort, deployment.spec.replicas", () => {
    const containers = lines(ok(["explain", "pods.spec.containers"]));
    expect(containers.slice(0, 4)).toEqual(["KIND:       Pod", "VERSION:    v1", "", "FIELD: containers <[]Container>"]);
    expect(containers).toContain("FIELDS:");
    for (const field of ["  image\t<string>", "  env\t<[]EnvVar>", "  ports\t<[]ContainerPort>", "  resources\t<ResourceRequirements>"]) expect(containers).toContain(field);

    const spec = lines(ok(["explain", "deployment.spec", "--recursive"]));
    expect(spec.slice(0, 4)).toEqual(["GROUP:      apps", "KIND:       Deployment", "VERSION:    v1", ""]);
    expect(spec.slice(spec.indexOf("FIELDS:"), spec.indexOf("FIELDS:") + 13)).toEqual([
      "FIELDS:",
      "  minReadySeconds\t<integer>",
      "  paused\t<boolean>",
      "  progressDeadlineSeconds\t<integer>",
      "  replicas\t<integer>",
      "  revisionHistoryLimit\t<integer>",
      "  selector\t<LabelSelector>",
      "    matchExpressions\t<[]LabelSelectorRequirement>",
      "      key\t<string>",
      "      operator\t<string>",
      "      values\t<[]string>",
      "    matchLabels\t<map[string]string>",
      "  strategy\t<DeploymentStrategy>",
    ]);
    expect(spec).toContain("      maxSurge\t<IntOrString>");
    expect(spec).toContain("          limits\t<map[string]Quantity>");

    expect(lines(ok(["explain", "svc.spec.ports.targetPort"])).slice(0, 3)).toEqual(["KIND:       Service", "VERSION:    v1", ""]);
    expect(ok(["explain", "svc.spec.ports.targetPort"])).toContain("FIELD: targetPort <IntOrString>\n");
    expect(ok(["explain", "deployment.spec.replicas"])).toContain("FIELD: replicas <integer>\n");
    // A Gateway API kind: its schema is kemu's CRD validation schema, required fields marked.
    expect(lines(ok(["explain", "gateway.spec"]))).toContain("  gatewayClassName\t<string> -required-");
    const missing = kubectl(["explain", "pods.spec.nosuch"]);
    expect([missing.status, missing.stderr]).toEqual([1, 'error: field "nosuch" does not exist\n']);
  });

  it("delete the pod, the Service, then the whole app by its manifest", () => {
    expect(ok(["delete", "pod", "toolbox", ...NS, "--now"])).toBe('pod "toolbox" deleted\n');
    expect(ok(["delete", "service", "catalog-direct", ...NS])).toBe('service "catalog-direct" deleted\n');
    const out = kubectl(["delete", "-f", APP], { timeoutMs: 120_000 });
    expect([out.stdout, out.stderr, out.status]).toEqual([
      [
        'namespace "shop" deleted',
        'configmap "catalog-config" deleted',
        'secret "catalog-db" deleted',
        'serviceaccount "catalog" deleted',
        'deployment.apps "catalog" deleted',
        'service "catalog" deleted',
        'poddisruptionbudget.policy "catalog" deleted',
        'horizontalpodautoscaler.autoscaling "catalog" deleted',
        "",
      ].join("\n"),
      "",
      0,
    ]);
    const gone = kubectl(["get", "namespace", "shop"]);
    expect([gone.stderr, gone.status]).toEqual(['Error from server (NotFound): namespaces "shop" not found\n', 1]);
  }, 130_000);
});
