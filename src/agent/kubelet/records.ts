// What the kubelet writes down about each pod sandbox and container run, so
// that an agent restarted after a crash can adopt what the dead one left
// running: the sandbox (namespace, IP) from pod.json, and per container the
// launcher's PID and start time, the attempt and restart counts and when it
// started. Files live in the pod's state directory (/run/kemu/<c>/pods/<uid>).
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SandboxRecord {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  netns: string;
  ip: string;
}

export interface ContainerRecord {
  name: string;
  attempt: number;
  restartCount: number;
  launcherPid: number;
  /** /proc/PID/stat start time of the launcher: a recycled PID does not match */
  launcherStartTime: number;
  /** the program's PID as the host sees it, once known */
  hostPid?: number;
  startedAtMs: number;
}

export interface RecoveredPod {
  dir: string;
  sandbox: SandboxRecord;
  containers: Map<string, ContainerRecord>;
}

export function containerRecordPath(podDir: string, container: string): string {
  return join(podDir, "containers", `${container}.json`);
}

/** Where kemu-sandbox writes the program's exit status for this run. */
export function exitFilePath(podDir: string, container: string, attempt: number): string {
  return join(podDir, "containers", `${container}.${attempt}.exit`);
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export function writeSandboxRecord(podDir: string, record: SandboxRecord): void {
  writeAtomically(join(podDir, "pod.json"), JSON.stringify(record));
}

export function writeContainerRecord(podDir: string, record: ContainerRecord): void {
  mkdirSync(join(podDir, "containers"), { recursive: true });
  writeAtomically(containerRecordPath(podDir, record.name), JSON.stringify(record));
}

/** A sandbox record as read back, or undefined when the file is not one (pure). */
export function parseSandboxRecord(text: string): SandboxRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<SandboxRecord>;
    const fields = [r.namespace, r.name, r.uid, r.node, r.netns, r.ip];
    return fields.every((f) => typeof f === "string" && f !== "") ? (r as SandboxRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** A container record as read back, or undefined when the file is not one (pure). */
export function parseContainerRecord(text: string): ContainerRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<ContainerRecord>;
    const ints = [r.attempt, r.restartCount, r.launcherPid, r.launcherStartTime, r.startedAtMs];
    if (typeof r.name !== "string" || !ints.every((n) => Number.isInteger(n) && (n as number) >= 0)) return undefined;
    return r as ContainerRecord;
  } catch {
    return undefined;
  }
}

/** Every pod sandbox of this node that an earlier agent recorded under `podsDir`, by pod UID. */
export function readRecoveredPods(podsDir: string, nodeName: string): Map<string, RecoveredPod> {
  const out = new Map<string, RecoveredPod>();
  let uids: string[] = [];
  try {
    uids = readdirSync(podsDir);
  } catch {
    return out;
  }
  for (const uid of uids) {
    const dir = join(podsDir, uid);
    const sandbox = parseSandboxRecord(readOr(join(dir, "pod.json")));
    if (!sandbox || sandbox.node !== nodeName || sandbox.uid !== uid) continue;
    const containers = new Map<string, ContainerRecord>();
    let files: string[] = [];
    try {
      files = readdirSync(join(dir, "containers")).filter((f) => f.endsWith(".json"));
    } catch {
      /* no container started yet */
    }
    for (const f of files) {
      const record = parseContainerRecord(readOr(join(dir, "containers", f)));
      if (record) containers.set(record.name, record);
    }
    out.set(uid, { dir, sandbox, containers });
  }
  return out;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
