// What a container runs as. The kubelet merges the pod's and the container's
// securityContext (pkg/securitycontext DetermineEffectiveSecurityContext: the
// container's field wins), refuses runAsNonRoot violations (kuberuntime's
// verifyRunAsNonRoot), and the runtime (containerd's CRI plugin) turns the rest
// into the process's user, groups and capabilities. This module does all of it
// as pure functions; the host's account database comes in as data, because
// kemu's "image" is the host itself.
import type { Container, Pod } from "../../api/types.js";

/** Capabilities by number (include/uapi/linux/capability.h), without the CAP_ prefix. */
export const ALL_CAPABILITIES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
] as const;

/** What a container runtime gives a container by default (moby oci/defaults.go DefaultCapabilities). */
export const DEFAULT_CAPABILITIES = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
  "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
] as const;

/** The user every kemu image runs as when runAsUser is not set (its "USER"): root. */
export const IMAGE_USER = 0;

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

/** The process identity and confinement of one container, as the launcher applies it. */
export interface ContainerIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups, the primary group first (as containerd's ensureAdditionalGids). */
  groups: number[];
  /** Capability names without CAP_, in kernel order: the bounding set, and root's effective set. */
  capabilities: string[];
  noNewPrivs: boolean;
  privileged: boolean;
  readOnlyRootFilesystem: boolean;
}

export class SecurityContextError extends Error {
  constructor(
    readonly reason: "CreateContainerConfigError" | "CreateContainerError",
    message: string,
  ) {
    super(message);
  }
}

/** The host's /etc/passwd and /etc/group, as far as the runtime looks at them. */
export interface Accounts {
  users: Map<number, { name: string; gid: number }>;
  groups: { name: string; gid: number; members: string[] }[];
}

export function parseAccounts(passwd: string, group: string): Accounts {
  const users = new Map<number, { name: string; gid: number }>();
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (!name || !isId(uid) || !isId(gid) || users.has(Number(uid))) continue; // first entry wins, as getpwuid
    users.set(Number(uid), { name, gid: Number(gid) });
  }
  const groups: Accounts["groups"] = [];
  for (const line of group.split("\n")) {
    const [name, , gid, members] = line.split(":");
    if (!name || !isId(gid)) continue;
    groups.push({ name, gid: Number(gid), members: (members ?? "").split(",").filter((m) => m !== "") });
  }
  return { users, groups };
}

function isId(s: string | undefined): s is string {
  return s !== undefined && /^\d+$/.test(s);
}

/** The container's securityContext over the pod's (for the fields both have). */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const podSc = (pod.spec.securityContext ?? {}) as SecurityContext;
  const sc = (container.securityContext ?? {}) as SecurityContext;
  return {
    runAsUser: sc.runAsUser ?? podSc.runAsUser,
    runAsGroup: sc.runAsGroup ?? podSc.runAsGroup,
    runAsNonRoot: sc.runAsNonRoot ?? podSc.runAsNonRoot,
    privileged: sc.privileged,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
    capabilities: sc.capabilities,
  };
}

/** pkg/kubelet/util/format.Pod: `name_namespace(uid)`. */
function formatPod(pod: Pod): string {
  return `${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? "default"}(${pod.metadata.uid ?? ""})`;
}

/** The kubelet's verifyRunAsNonRoot: upstream's message when the container would run as root, else undefined. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUser: number = IMAGE_USER): string | undefined {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return undefined;
  const where = `(pod: ${JSON.stringify(formatPod(pod))}, container: ${container.name})`;
  if (sc.runAsUser !== undefined) return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  return imageUser === 0 ? `container has runAsNonRoot and image will run as root ${where}` : undefined;
}

/** A capability name as written in a manifest (`NET_ADMIN`, `CAP_NET_ADMIN`, `net_admin`) in kernel spelling, or undefined. */
export function capabilityName(name: string): string | undefined {
  const bare = name.toUpperCase().replace(/^CAP_/, "");
  return (ALL_CAPABILITIES as readonly string[]).includes(bare) ? bare : undefined;
}

/**
 * The capability set: all of them when privileged; otherwise the default set,
 * then (as containerd's WithCapabilities) `ALL` in add, `ALL` in drop, the
 * other adds, the other drops. An unknown name is an error naming it.
 */
export function resolveCapabilities(sc: SecurityContext, container: string): string[] {
  if (sc.privileged === true) return [...ALL_CAPABILITIES];
  const set = new Set<string>(DEFAULT_CAPABILITIES);
  const add = sc.capabilities?.add ?? [];
  const drop = sc.capabilities?.drop ?? [];
  const isAll = (c: string) => c.toUpperCase() === "ALL";
  const named = (list: string[], field: string) =>
    list.filter((c) => !isAll(c)).map((c) => {
      const name = capabilityName(c);
      if (!name) throw new SecurityContextError("CreateContainerError", `container ${JSON.stringify(container)}: unknown capability ${JSON.stringify(c.toUpperCase().startsWith("CAP_") ? c : `CAP_${c}`)} in securityContext.capabilities.${field}`);
      return name;
    });
  const adds = named(add, "add");
  const drops = named(drop, "drop");
  if (add.some(isAll)) for (const c of ALL_CAPABILITIES) set.add(c);
  if (drop.some(isAll)) set.clear();
  for (const c of adds) set.add(c);
  for (const c of drops) set.delete(c);
  return ALL_CAPABILITIES.filter((c) => set.has(c));
}

/**
 * The container's identity: runAsNonRoot checked (CreateContainerConfigError,
 * as upstream), the user (runAsUser, else the image's root), the group
 * (runAsGroup, else the user's primary group in the host's passwd, else 0 —
 * containerd's WithUserID), supplementary groups (the user's memberships in
 * the host's group file, then fsGroup, then supplementalGroups), capabilities,
 * and no_new_privs. kemu sets no_new_privs unless allowPrivilegeEscalation is
 * true or the container is privileged: its containers run the host's own
 * setuid programs (upstream sets it only for allowPrivilegeEscalation: false).
 */
export function containerIdentity(pod: Pod, container: Container, accounts: Accounts): ContainerIdentity {
  const refusal = verifyRunAsNonRoot(pod, container);
  if (refusal) throw new SecurityContextError("CreateContainerConfigError", refusal);
  const sc = effectiveSecurityContext(pod, container);
  const podSc = (pod.spec.securityContext ?? {}) as { fsGroup?: number; supplementalGroups?: number[] };
  const uid = sc.runAsUser ?? IMAGE_USER;
  const user = accounts.users.get(uid);
  const gid = sc.runAsGroup ?? user?.gid ?? 0;
  const memberOf = user ? accounts.groups.filter((g) => g.name !== user.name && g.members.includes(user.name)).map((g) => g.gid) : [];
  const groups = [...new Set([gid, ...memberOf, ...(podSc.fsGroup !== undefined ? [podSc.fsGroup] : []), ...(podSc.supplementalGroups ?? [])])];
  const privileged = sc.privileged === true;
  return {
    uid,
    gid,
    groups,
    capabilities: resolveCapabilities(sc, container.name),
    noNewPrivs: !(privileged || sc.allowPrivilegeEscalation === true),
    privileged,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem === true,
  };
}

/** The launcher's options for an identity (used to start the container and to enter it). */
export function identityArgs(id: ContainerIdentity): string[] {
  return [
    "--uid", String(id.uid),
    "--gid", String(id.gid),
    "--groups", id.groups.join(","),
    "--caps", id.privileged ? "all" : id.capabilities.length ? id.capabilities.join(",").toLowerCase() : "none",
    ...(id.noNewPrivs ? ["--no-new-privs"] : []),
  ];
}
