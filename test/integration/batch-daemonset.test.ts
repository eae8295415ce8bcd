// DaemonSet, Job and CronJob on a real two-node cluster, driven by the real
// kubectl 1.32 as a user would (apply, rollout status/restart/history, wait,
// get). Upstream behaviour: the DaemonSet, Job and
// CronJob concept pages (kubernetes.io/docs/concepts/workloads/controllers/)
// and kubectl's rollout/wait semantics. The CronJob's time-driven part is
// tested with an injected clock (test/unit/job-controller.test.ts); here a
// Job is made from the CronJob's template the way kubectl create job --from does.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "../../src/cluster.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { CronJob, DaemonSet, Job, Pod, Stored } from "../../src/api/types.js";
import { Kubectl, hasKubectl } from "../support/kubectl.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";

const DS = resourceByKind("DaemonSet")!;
const JOBS = resourceByKind("Job")!;
const CRONJOBS = resourceByKind("CronJob")!;

const DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{ name: agent, image: "${AGNHOST}", args: [pause] }]
`;

const job = (name: string, command: string, extra: string) => `apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
${extra}  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{ name: work, image: busybox, command: [sh, -c, "${command}"] }]
`;

const CRONJOB = `apiVersion: batch/v1
kind: CronJob
metadata: { name: hello }
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          terminationGracePeriodSeconds: 1
          containers: [{ name: hello, image: busybox, command: [sh, -c, "exit 0"] }]
`;

describe.skipIf(!rootOnly() || !hasKubectl)("DaemonSet, Job and CronJob", () => {
  const name = uniqueClusterName("bd");
  const k = new Kubectl("batch", 150_000);
  const { dir, kubeconfig } = k;
  let runs = 0;
  const kubectl = (...args: string[]) => k.run(args);
  const apply = (yaml: string) => {
    const file = join(dir, `m-${++runs}.yaml`);
    writeFileSync(file, yaml);
    const r = kubectl("apply", "-f", file);
    expect(r.stderr).toBe("");
    return r.stdout;
  };
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 2, timeoutMs: 150_000, kubeconfig, keepOnFailure: true });
    await cluster.waitForNodes(60_000, 2);
  }, 200_000);

  afterAll(async () => {
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  const agentPods = async () => (await cluster.pods({ labelSelector: "app=agent" })).filter((p) => !p.metadata.deletionTimestamp);

  it("a DaemonSet runs one pod on each node; a rolling update replaces them; its history has two revisions", async () => {
    expect(apply(DAEMONSET)).toBe("daemonset.apps/agent created\n");
    const status = kubectl("rollout", "status", "daemonset/agent", "--timeout=120s");
    expect(status.stdout).toContain('daemon set "agent" successfully rolled out');
    const pods = await agentPods();
    expect(pods.map((p: Stored<Pod>) => p.spec.nodeName).sort()).toEqual(["node-1", "node-2"]);
    expect(pods.every((p) => p.status?.phase === "Running")).toBe(true);
    const ds = await cluster.api.get<DaemonSet>(DS, "default", "agent");
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberMisscheduled: 0 });
    const table = kubectl("get", "daemonset", "agent");
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect(table.stdout.split("\n")[1]).toMatch(/^agent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+/);

    const before = new Set(pods.map((p) => p.metadata.name));
    expect(kubectl("rollout", "restart", "daemonset/agent").stdout).toBe("daemonset.apps/agent restarted\n");
    expect(kubectl("rollout", "status", "daemonset/agent", "--timeout=120s").stdout).toContain('daemon set "agent" successfully rolled out');
    await cluster.waitFor(async () => (await agentPods()).length === 2 && (await agentPods()).every((p) => !before.has(p.metadata.name) && p.status?.phase === "Running"), {
      timeoutMs: 60_000,
      what: () => "two new agent pods",
    });
    expect((await agentPods()).map((p) => p.spec.nodeName).sort()).toEqual(["node-1", "node-2"]);
    const history = kubectl("rollout", "history", "daemonset/agent");
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  }, 300_000);

  it("a Job with completions 3 and parallelism 2 completes", async () => {
    apply(job("three", "exit 0", "  completions: 3\n  parallelism: 2\n"));
    const wait = kubectl("wait", "--for=condition=complete", "job/three", "--timeout=120s");
    expect(wait.stdout).toBe("job.batch/three condition met\n");
    const done = await cluster.api.get<Job>(JOBS, "default", "three");
    expect(done.status).toMatchObject({ succeeded: 3, ready: 0, terminating: 0 });
    expect(done.status?.conditions?.map((c) => c.type)).toEqual(["SuccessCriteriaMet", "Complete"]);
    expect(kubectl("get", "job", "three").stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nthree\s+Complete\s+3\/3\s+/);
    const pods = await cluster.pods({ labelSelector: "batch.kubernetes.io/job-name=three" });
    expect(pods.map((p) => p.status?.phase)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
  }, 180_000);

  it("a Job whose pods fail stops at its backoffLimit", async () => {
    apply(job("fails", "exit 1", "  backoffLimit: 1\n"));
    const wait = kubectl("wait", "--for=condition=failed", "job/fails", "--timeout=120s");
    expect(wait.stdout).toBe("job.batch/fails condition met\n");
    const failed = await cluster.api.get<Job>(JOBS, "default", "fails");
    expect(failed.status?.failed).toBe(2);
    expect(failed.status?.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ["FailureTarget", "BackoffLimitExceeded"],
      ["Failed", "BackoffLimitExceeded"],
    ]);
  }, 180_000);

  it("a Job made from the CronJob's template, as kubectl create job --from=cronjob makes it, completes", async () => {
    expect(apply(CRONJOB)).toBe("cronjob.batch/hello created\n");
    expect(kubectl("get", "cronjob", "hello").stdout).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\nhello\s+0 0 1 1 \*\s+<none>\s+False\s+0\s+<none>\s+/);
    // kubectl 1.32 posts this Job as protobuf, which kemu's API does not read (docs/kubectl-api-behaviours.md):
    // the same object goes through kemu's client instead (kubectl's createJobFromCronJob).
    const cj = await cluster.api.get<CronJob>(CRONJOBS, "default", "hello");
    await cluster.api.create(
      JOBS,
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
          name: "hello-manual",
          annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
          ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "hello", uid: cj.metadata.uid, controller: true }],
        },
        spec: cj.spec.jobTemplate.spec,
      },
      "default",
    );
    expect(kubectl("wait", "--for=condition=complete", "job/hello-manual", "--timeout=120s").stdout).toBe("job.batch/hello-manual condition met\n");
    const made = await cluster.api.get<Job>(JOBS, "default", "hello-manual");
    expect(made.metadata.labels?.["batch.kubernetes.io/job-name"]).toBe("hello-manual");
    expect(made.status?.succeeded).toBe(1);
  }, 180_000);
});
