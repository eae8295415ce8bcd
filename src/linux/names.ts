// Every kernel object kemu creates is named kemu-<cluster>-..., so that it
// can be found and removed even when the records are lost.
export const PREFIX = "kemu-";
/** Interface names: the kernel allows 15 characters (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

export const netnsNames = {
  underlay: (cluster: string) => `${PREFIX}${cluster}-net`,
  outside: (cluster: string) => `${PREFIX}${cluster}-outside`,
  node: (cluster: string, node: string) => `${PREFIX}${cluster}-${node}`,
  pod: (cluster: string, podUid: string) => `${PREFIX}${cluster}-pod-${podUid.replace(/-/g, "").slice(0, 12)}`,
};

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** The node-side end of a pod's veth pair, like the vethXXXXXXXX names CNI plugins use. */
export function podVethName(podUid: string): string {
  return `veth${podUid.replace(/-/g, "").slice(0, 8)}`;
}

/** The underlay-side end of a node's (or the outside host's) uplink. */
export function uplinkName(index: number | "outside"): string {
  return index === "outside" ? "uplink-out" : `uplink-${index}`;
}

export function stateDir(cluster: string): string {
  return `/run/kemu/${cluster}`;
}

export const CLUSTER_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

export function validateClusterName(name: string): string | undefined {
  if (!CLUSTER_NAME_RE.test(name)) {
    return `--name: invalid cluster name ${JSON.stringify(name)}: use 1-20 lower-case letters, digits or '-', starting and ending with a letter or digit`;
  }
  return undefined;
}
