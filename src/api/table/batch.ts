// Printers of DaemonSets, ControllerRevisions, Jobs and CronJobs: columns, cell
// types and formats as kube-apiserver 1.32 writes them
// (pkg/printers/internalversion/printers.go: printDaemonSet,
// printControllerRevision, printJob, printCronJob).
import type { ControllerRevision, CronJob, DaemonSet, Job, KubeObject } from "../types.js";
import { containerCells, formatLabelSelector, formatLabels, humanDuration, since } from "./cells.js";
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, type Printer } from "./types.js";

const created = (obj: KubeObject, now: number) => since(obj.metadata?.creationTimestamp, now);
const nameOf = (obj: KubeObject) => obj.metadata?.name ?? "";

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Desired", "integer", "Nodes that should run the daemon pod."),
    column("Current", "integer", "Nodes that run at least one daemon pod and should."),
    column("Ready", "integer", "Nodes whose daemon pod is ready."),
    column("Up-to-date", "integer", "Nodes running the latest pod template."),
    column("Available", "integer", "Nodes whose daemon pod is available."),
    column("Node Selector", "string", "The node selector of the pod template."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column("Selector", "string", "The label selector of the daemon set's pods.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const ds = obj as DaemonSet;
    const st = ds.status;
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      st?.desiredNumberScheduled ?? 0,
      st?.currentNumberScheduled ?? 0,
      st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      created(obj, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

function hasTrueCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

/** printJob's STATUS: terminal conditions first, then Terminating, Suspended, FailureTarget, else Running. */
export function jobStatusCell(job: Job): string {
  if (hasTrueCondition(job, "Complete")) return "Complete";
  if (hasTrueCondition(job, "Failed")) return "Failed";
  if (job.metadata?.deletionTimestamp) return "Terminating";
  if (hasTrueCondition(job, "Suspended")) return "Suspended";
  if (hasTrueCondition(job, "FailureTarget")) return "FailureTarget";
  return "Running";
}

export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Status", "string", "Status of the job."),
    column("Completions", "string", "The desired number of successfully finished pods the job should be run with."),
    column("Duration", "string", "Time required to complete the job."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column("Selector", "string", "The label selector of the job's pods.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const job = obj as Job;
    const succeeded = job.status?.succeeded ?? 0;
    const parallelism = job.spec?.parallelism ?? 0;
    const completions =
      job.spec?.completions !== undefined && job.spec.completions !== null
        ? `${succeeded}/${job.spec.completions}`
        : parallelism > 1
          ? `${succeeded}/1 of ${parallelism}`
          : `${succeeded}/1`;
    const start = job.status?.startTime ? Date.parse(job.status.startTime) : undefined;
    const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : undefined;
    const duration = start === undefined ? "" : humanDuration((end ?? now) - start);
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [nameOf(obj), jobStatusCell(job), completions, duration, created(obj, now), names, images, formatLabelSelector(job.spec?.selector)];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Schedule", "string", "The schedule in Cron format."),
    column("Timezone", "string", "The time zone the schedule is read in."),
    column("Suspend", "boolean", "Whether later executions are suspended."),
    column("Active", "integer", "Jobs running now."),
    column("Last Schedule", "string", "When a job was last scheduled."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column("Selector", "string", "The label selector of the job template.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const cj = obj as CronJob;
    const suspend = cj.spec?.suspend;
    const [names, images] = containerCells(cj.spec?.jobTemplate?.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      cj.spec?.schedule ?? "",
      cj.spec?.timeZone ?? "<none>",
      suspend === undefined || suspend === null ? "<unset>" : suspend ? "True" : "False",
      (cj.status?.active ?? []).length,
      cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, now) : "<none>",
      created(obj, now),
      names,
      images,
      formatLabelSelector(cj.spec?.jobTemplate?.spec?.selector),
    ];
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Controller", "string", "The object that owns the revision."),
    column("Revision", "integer", "The revision number."),
    AGE_COLUMN,
  ],
  cells(obj, { now }) {
    const rev = obj as ControllerRevision;
    const owner = (rev.metadata?.ownerReferences ?? []).find((r) => r.controller);
    let controller = "<none>";
    if (owner) {
      const group = owner.apiVersion.includes("/") ? owner.apiVersion.slice(0, owner.apiVersion.indexOf("/")) : "";
      controller = `${owner.kind.toLowerCase()}${group ? `.${group}` : ""}/${owner.name}`;
    }
    return [nameOf(obj), controller, rev.revision ?? 0, created(obj, now)];
  },
};
