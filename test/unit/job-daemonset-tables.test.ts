// Table rows of DaemonSets, Jobs, CronJobs and ControllerRevisions, as
// printers.go prints them (TestPrintDaemonSet, TestPrintJob, TestPrintCronJob,
// TestPrintControllerRevision).
import { describe, it, expect } from "vitest";
import { controllerRevisionPrinter, cronJobPrinter, daemonSetPrinter, jobPrinter } from "../../src/api/table/batch.js";
import type { KubeObject } from "../../src/api/types.js";

const now = Date.parse("2024-03-01T12:00:00Z");
const opts = { now, wide: true };
const meta = (name: string) => ({ name, creationTimestamp: "2024-03-01T11:00:00Z" });
const containers = [{ name: "c", image: "busybox" }];

describe("printers", () => {
  it("DaemonSet: counts from status, NODE SELECTOR, wide selector", () => {
    const ds: KubeObject = {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: meta("agent"),
      spec: { selector: { matchLabels: { app: "agent" } }, template: { spec: { nodeSelector: { "kubernetes.io/os": "linux" }, containers } } },
      status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
    };
    expect(daemonSetPrinter.columns.map((c) => c.name)).toEqual(["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age", "Containers", "Images", "Selector"]);
    expect(daemonSetPrinter.cells(ds, opts)).toEqual(["agent", 2, 2, 1, 2, 1, "kubernetes.io/os=linux", "60m", "c", "busybox", "app=agent"]);
  });

  it("Job: STATUS, COMPLETIONS (with and without completions), DURATION", () => {
    const job = (spec: Record<string, unknown>, status: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: "batch/v1", kind: "Job", metadata: { ...meta("pi"), ...extra }, spec: { template: { spec: { containers } }, ...spec }, status });
    expect(jobPrinter.columns.map((c) => c.name)).toEqual(["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]);
    const complete = job({ completions: 3 }, { succeeded: 3, startTime: "2024-03-01T11:00:00Z", completionTime: "2024-03-01T11:00:42Z", conditions: [{ type: "Complete", status: "True" }] });
    expect(jobPrinter.cells(complete, opts)).toEqual(["pi", "Complete", "3/3", "42s", "60m", "c", "busybox", "<none>"]);
    expect(jobPrinter.cells(job({ parallelism: 2 }, { startTime: "2024-03-01T11:58:00Z" }), opts).slice(1, 4)).toEqual(["Running", "0/1 of 2", "2m"]);
    expect(jobPrinter.cells(job({ completions: 1 }, { conditions: [{ type: "FailureTarget", status: "True" }] }), opts).slice(1, 4)).toEqual(["FailureTarget", "0/1", ""]);
    expect(jobPrinter.cells(job({ completions: 1 }, {}, { deletionTimestamp: "2024-03-01T11:59:00Z" }), opts)[1]).toBe("Terminating");
  });

  it("CronJob: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE", () => {
    const cj: KubeObject = { apiVersion: "batch/v1", kind: "CronJob", metadata: meta("hello"), spec: { schedule: "*/5 * * * *", suspend: false, jobTemplate: { spec: { template: { spec: { containers } } } } }, status: { active: [{ name: "hello-1" }], lastScheduleTime: "2024-03-01T11:55:00Z" } };
    expect(cronJobPrinter.columns.map((c) => c.name)).toEqual(["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images", "Selector"]);
    expect(cronJobPrinter.cells(cj, opts)).toEqual(["hello", "*/5 * * * *", "<none>", "False", 1, "5m", "60m", "c", "busybox", "<none>"]);
  });

  it("ControllerRevision: CONTROLLER as kind.group/name", () => {
    const rev: KubeObject = { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { ...meta("agent-abc"), ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u", controller: true }] }, revision: 2 };
    expect(controllerRevisionPrinter.cells(rev, opts)).toEqual(["agent-abc", "daemonset.apps/agent", 2, "60m"]);
  });
});
