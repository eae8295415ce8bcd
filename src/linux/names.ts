// Every kernel object kemu creates is named kemu-<cluster>-<kind>, so that it
// can be found and removed even when the records are lost (kill -9).
export const PREFIX = "kemu-";
/** Interface names: the kernel allows 15 characters (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

export const netnsNames = {
  underlay: (cluster: string) => `${PREFIX}${cluster}-net`,
  outside: (cluster: string) => `${PREFIX}${cluster}-outside`,
  node: (cluster: string, node: string) => `${PREFIX}${cluster}-${node}`,
  pod: (cluster: string, podUid: string) => `${PREFIX}${cluster}-pod-${podUid.replace(/-/g, "").slice(0, 12)}`,
};

/**
 * What follows kemu-<cluster>- in a namespace name: the underlay, the outside
 * host, a node (nodes are node-1..node-N) or a pod (12 hex digits of its uid).
 *
 * Why a name belongs to exactly one cluster, so that cluster "c" never claims
 * "c-b"'s namespaces: suppose kemu-<c>-<s> = kemu-<c'>-<s'> with c' = c-<x>
 * (cluster names are [a-z0-9-], so a longer name that shares the prefix goes
 * on with "-"). Then s = <x>-<s'> has at least one dash more than s'. A suffix
 * has at most one dash, so s' is "net" or "outside" and s is "node-<digits>"
 * or "pod-<12 hex>" — which would make s' all digits or 12 hex digits, and
 * neither "net" nor "outside" is. The same holds with c and c' swapped.
 */
const NETNS_SUFFIX = "(?:net|outside|node-[1-9][0-9]*|pod-[0-9a-f]{12})";
const NETNS_RE = new RegExp(`^${PREFIX}([a-z0-9][a-z0-9-]*)-${NETNS_SUFFIX}$`);

/** The cluster a kemu namespace (or /etc/netns entry) belongs to, from its name alone; undefined if it is not one of kemu's. */
export function clusterOfNetns(name: string): string | undefined {
  const cluster = NETNS_RE.exec(name)?.[1];
  return cluster !== undefined && CLUSTER_NAME_RE.test(cluster) ? cluster : undefined;
}

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

/** Why a cluster name is invalid, naming where it came from (--name, KEMU_CLUSTER…); undefined if valid. */
export function validateClusterName(name: string, source = "--name"): string | undefined {
  if (!CLUSTER_NAME_RE.test(name)) {
    return `${source}: invalid cluster name ${JSON.stringify(name)}: use 1-20 lower-case letters, digits or '-', starting and ending with a letter or digit`;
  }
  return undefined;
}
