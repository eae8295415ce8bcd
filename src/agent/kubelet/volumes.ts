// Pod volumes as far as kemu has them: emptyDir (a directory in the pod's
// state directory, shared by its containers, removed with the pod),
// hostPath (the host's own path, checked by type as the kubelet's hostpath
// plugin does), and configMap and secret (their keys as files, written
// atomically into the pod's state directory and mounted read-only). A container's mounts are planned here as pure data; the
// launcher binds them after the host's tree has been made read-only, so a
// volume is the one place a container can write outside its own /tmp.
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, statSync, type Stats } from "node:fs";
import { join, posix } from "node:path";
import type { Container, Pod } from "../../api/types.js";
import { writeAtomically } from "./atomic-writer.js";
import { projectedFiles, type ConfigRef, type ConfigSources, type ConfigVolumeSource } from "./config-sources.js";

export interface VolumeMount {
  /** Host path bound into the container. */
  source: string;
  /** Where the container sees it. */
  target: string;
  readOnly: boolean;
}

/**
 * A volume that cannot be set up. `CreateContainerConfigError` for what will
 * not work until the pod changes (an unsupported volume type); a failed
 * hostPath check leaves the container `ContainerCreating` with the kubelet's
 * FailedMount message, retried, as upstream (the path may yet appear).
 */
export class VolumeError extends Error {
  constructor(
    readonly reason: "CreateContainerConfigError" | "ContainerCreating",
    message: string,
  ) {
    super(message);
  }
}

/** hostPath types (core/v1 HostPathType). */
export const HOST_PATH_TYPES = ["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"] as const;
export type HostPathType = (typeof HOST_PATH_TYPES)[number];

interface VolumeSpec {
  name: string;
  emptyDir?: { medium?: string };
  hostPath?: { path: string; type?: string };
  configMap?: ConfigVolumeSource;
  secret?: ConfigVolumeSource;
  [source: string]: unknown;
}

/** Where a configMap or secret volume's files live on the host (the kubelet's pods/<uid>/volumes/kubernetes.io~configmap/<name>). */
export function configVolumePath(podDir: string, kind: "configMap" | "secret", volume: string): string {
  return join(podDir, "volumes", kind === "configMap" ? "kubernetes.io~configmap" : "kubernetes.io~secret", volume);
}

/** Where a pod's emptyDir lives on the host (under the pod's state directory, like the kubelet's pods/<uid>/volumes/). */
export function emptyDirPath(podDir: string, volume: string): string {
  return join(podDir, "volumes", "kubernetes.io~empty-dir", volume);
}

/** A path without `.`/`..` steps or a trailing slash. */
function cleanPath(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, "$1");
}

function sourceType(volume: VolumeSpec): string {
  return Object.keys(volume).find((k) => k !== "name" && volume[k] !== undefined && volume[k] !== null) ?? "(none)";
}

/**
 * The container's volume mounts, parents before children (as runtimes sort
 * them). Only the volumes the container mounts are looked at.
 */
export function planVolumeMounts(pod: Pod, container: Container, podDir: string): VolumeMount[] {
  const volumes = (pod.spec.volumes ?? []) as VolumeSpec[];
  const mounts: VolumeMount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === vm.name);
    if (!volume) throw new VolumeError("CreateContainerConfigError", `cannot find volume ${JSON.stringify(vm.name)} to mount into container ${JSON.stringify(container.name)}`);
    if (vm.subPath || vm.subPathExpr) {
      throw new VolumeError("CreateContainerConfigError", `volume ${JSON.stringify(vm.name)}: volumeMounts[].subPath is not supported by kemu (mount the whole volume)`);
    }
    let source: string;
    // configMap and secret volumes are always mounted read-only (upstream since 1.10)
    let forcedReadOnly = false;
    if (volume.emptyDir) source = emptyDirPath(podDir, volume.name);
    else if (volume.hostPath) source = cleanPath(volume.hostPath.path);
    else if (volume.configMap || volume.secret) {
      source = configVolumePath(podDir, volume.configMap ? "configMap" : "secret", volume.name);
      forcedReadOnly = true;
    } else {
      throw new VolumeError(
        "CreateContainerConfigError",
        `volume ${JSON.stringify(volume.name)}: ${sourceType(volume)} volumes are not supported by kemu (emptyDir, hostPath, configMap and secret are)`,
      );
    }
    const target = cleanPath(posix.join("/", vm.mountPath));
    if (target === "/") throw new VolumeError("CreateContainerConfigError", `volume ${JSON.stringify(volume.name)}: cannot be mounted on / (the container's root)`);
    for (const p of [source, target]) {
      if (p.includes(":")) throw new VolumeError("CreateContainerConfigError", `volume ${JSON.stringify(volume.name)}: kemu cannot mount a path containing ":" (${p})`);
    }
    mounts.push({ source, target, readOnly: forcedReadOnly || vm.readOnly === true });
  }
  const depth = (p: string) => p.split("/").filter((s) => s !== "").length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i).map(({ m }) => m);
}

/** What the kubelet's hostpath type checker sees of a path: nothing, or its kind. */
export type PathKind = "missing" | "directory" | "file" | "socket" | "char" | "block" | "other";

export function pathKind(stats: Stats | undefined): PathKind {
  if (!stats) return "missing";
  if (stats.isDirectory()) return "directory";
  if (stats.isFile()) return "file";
  if (stats.isSocket()) return "socket";
  if (stats.isCharacterDevice()) return "char";
  if (stats.isBlockDevice()) return "block";
  return "other";
}

/**
 * The kubelet's checkType (pkg/volume/hostpath): what to create for an
 * *OrCreate type when the path is missing, or the error. An empty type checks
 * nothing; a missing path is then created as a directory, as containerd does
 * for a bind source that does not exist.
 */
export function hostPathCheck(path: string, type: string, kind: PathKind): { create?: "directory" | "file"; error?: string } {
  const is = (want: PathKind, what: string) => (kind === want ? {} : { error: `hostPath type check failed: ${path} is not ${what}` });
  switch (type) {
    case "":
      return kind === "missing" ? { create: "directory" } : {};
    case "DirectoryOrCreate":
      if (kind === "missing") return { create: "directory" };
      return is("directory", "a directory");
    case "Directory":
      return is("directory", "a directory");
    case "FileOrCreate":
      if (kind === "missing") return { create: "file" };
      return is("file", "a file");
    case "File":
      return is("file", "a file");
    case "Socket":
      return is("socket", "a socket file");
    case "CharDevice":
      return is("char", "a character device");
    case "BlockDevice":
      return is("block", "a block device");
    default:
      return { error: `${type} is an invalid volume type` };
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Makes the container's volumes exist on the host (emptyDir directories, the
 * *OrCreate hostPaths) and checks hostPath types; returns the mounts.
 */
export function prepareVolumeMounts(pod: Pod, container: Container, podDir: string, sources?: ConfigSources): VolumeMount[] {
  const mounts = planVolumeMounts(pod, container, podDir);
  const volumes = (pod.spec.volumes ?? []) as VolumeSpec[];
  const fsGroup = (pod.spec.securityContext as { fsGroup?: number } | undefined)?.fsGroup;
  for (const vm of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === vm.name)!;
    const failed = (message: string) => new VolumeError("ContainerCreating", `MountVolume.SetUp failed for volume ${JSON.stringify(volume.name)} : ${message}`);
    if (volume.configMap || volume.secret) {
      try {
        writeConfigVolume(pod, volume, podDir, sources);
      } catch (err) {
        throw failed((err as Error).message);
      }
      continue;
    }
    if (volume.emptyDir) {
      // medium: Memory gets the same directory: kemu's state lives in /run/kemu, a tmpfs on most hosts.
      const dir = emptyDirPath(podDir, volume.name);
      if (!statOrUndefined(dir)) {
        mkdirSync(dir, { recursive: true });
        // Upstream: 0777, and with fsGroup the group owns it with the setgid bit.
        if (fsGroup !== undefined) chownSync(dir, 0, fsGroup);
        chmodSync(dir, fsGroup !== undefined ? 0o2777 : 0o777);
      }
      continue;
    }
    const path = cleanPath(volume.hostPath!.path);
    const check = hostPathCheck(path, volume.hostPath!.type ?? "", pathKind(statOrUndefined(path)));
    if (check.error) throw failed(check.error);
    try {
      if (check.create === "directory") mkdirSync(path, { recursive: true, mode: 0o755 });
      if (check.create === "file") closeSync(openSync(path, "a", 0o644));
    } catch (err) {
      throw failed((err as Error).message);
    }
  }
  return mounts;
}

function writeConfigVolume(pod: Pod, volume: VolumeSpec, podDir: string, sources: ConfigSources | undefined): void {
  const kind = volume.configMap ? "configMap" : "secret";
  if (!sources) throw new Error(`${kind} volumes need the kubelet's ConfigMaps and Secrets`);
  const files = projectedFiles(kind, pod.metadata?.namespace ?? "default", (volume.configMap ?? volume.secret)!, sources);
  writeAtomically(configVolumePath(podDir, kind, volume.name), files);
}

/**
 * Writes the pod's volumes of a ConfigMap or Secret that changed again
 * (the kubelet's periodic remount; kemu does it on the change). A
 * volume that cannot be written keeps its files; the error is returned.
 */
export function refreshConfigVolumes(pod: Pod, podDir: string, sources: ConfigSources, changed: ConfigRef): string[] {
  const errors: string[] = [];
  for (const volume of (pod.spec.volumes ?? []) as VolumeSpec[]) {
    if (!volume.configMap && !volume.secret) continue;
    const kind = volume.configMap ? "configMap" : "secret";
    // only the volumes of the object that changed
    if (kind !== changed.kind || (volume.configMap?.name ?? volume.secret?.secretName) !== changed.name) continue;
    // only volumes already set up (a container mounted them) are refreshed
    if (!statOrUndefined(configVolumePath(podDir, kind, volume.name))) continue;
    try {
      writeConfigVolume(pod, volume, podDir, sources);
    } catch (err) {
      errors.push(`MountVolume.SetUp failed for volume ${JSON.stringify(volume.name)} : ${(err as Error).message}`);
    }
  }
  return errors;
}
