// A cluster's artefacts are found by exact identity: no name, path or
// command line of cluster "c-b" (or "c-node", "c-pod"…) is ever taken for
// cluster "c"'s, and the reverse.
import { describe, expect, it } from "vitest";
import { CLUSTER_NAME_RE, clusterOfNetns, netnsNames, validateClusterName } from "../../src/linux/names.js";
import { argvNamesCluster, clustersNamedBy, isDaemonOf } from "../../src/linux/processes.js";

const UID = "0123abcd-ef45-6789-0abc-def012345678";
const namesOf = (c: string) => [netnsNames.underlay(c), netnsNames.outside(c), netnsNames.node(c, "node-1"), netnsNames.node(c, "node-2"), netnsNames.node(c, "node-50"), netnsNames.pod(c, UID)];

// Cluster names built to look like other clusters' namespace names.
const TRICKY = ["c", "c-b", "c-net", "c-outside", "c-node", "c-node-1", "c-node-1-net", "c-pod", "c-pod-0123abcdef45", "net", "node-1", "pod", "c--b", "0123abcdef45", "c-1"];

describe("namespace names belong to exactly one cluster", () => {
  it.each(TRICKY)("every namespace of cluster %s is its own and no other's", (c) => {
    expect(CLUSTER_NAME_RE.test(c)).toBe(true);
    for (const n of namesOf(c)) {
      expect(clusterOfNetns(n)).toBe(c);
      for (const other of TRICKY.filter((o) => o !== c)) expect(clusterOfNetns(n)).not.toBe(other);
    }
  });

  it("holds for every cluster name made of the pieces that could confuse it", () => {
    // Exhaustive over names of up to four pieces: if every name maps back to its own cluster, no name can be another's.
    const pieces = ["c", "net", "outside", "node", "pod", "1", "0123abcdef45"];
    const names = new Set<string>();
    const grow = (prefix: string[]) => {
      if (prefix.length) names.add(prefix.join("-"));
      if (prefix.length < 4) for (const p of pieces) grow([...prefix, p]);
    };
    grow([]);
    let checked = 0;
    for (const c of names) {
      if (validateClusterName(c) !== undefined) continue;
      for (const n of namesOf(c)) expect(clusterOfNetns(n), n).toBe(c);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("claims no namespace that is not one of kemu's shapes", () => {
    for (const n of ["kemu-c", "kemu-c-", "kemu-c-node-0", "kemu-c-node-01", "kemu-c-node-x", "kemu-c-pod-0123", "kemu-c-pod-0123ABCDEF45", "kemu-c-iptables", "kemu-doctor-a1b2c3", "other-c-net", "kemu--net", "kemu-C-net"]) {
      expect(clusterOfNetns(n), n).toBeUndefined();
    }
  });
});

describe("processes of a cluster by their command line", () => {
  it("counts a path under the state directory only with the trailing slash", () => {
    expect(argvNamesCluster(["node", "/opt/kemu/dist/cli/main.js", "daemon", "/run/kemu/c/start.json"], "c")).toBe(true);
    expect(argvNamesCluster(["node", "/opt/kemu/dist/cli/main.js", "daemon", "/run/kemu/c-b/start.json"], "c")).toBe(false);
    expect(argvNamesCluster(["node", "main.js", "daemon", "/run/kemu/c-b/start.json"], "c-b")).toBe(true);
    expect(argvNamesCluster(["/opt/kemu/build/native/kemu-sandbox", "--bind", "/run/kemu/c/pods/x/hosts:/etc/hosts"], "c")).toBe(true);
    expect(argvNamesCluster(["/opt/kemu/build/native/kemu-sandbox", "--bind", "/run/kemu/c-b/pods/x/hosts:/etc/hosts"], "c")).toBe(false);
    expect(argvNamesCluster(["kemu-sandbox", "--pidfile", "/run/kemu/c/pods/x/app.pid"], "c")).toBe(true);
    expect(argvNamesCluster(["sleep", "3600"], "c")).toBe(false);
  });

  it("counts a namespace path by its exact owner", () => {
    expect(argvNamesCluster(["nsenter", "--net=/run/netns/kemu-c-node-1", "node"], "c")).toBe(true);
    expect(argvNamesCluster(["nsenter", "--net=/run/netns/kemu-c-b-node-1", "node"], "c")).toBe(false);
    expect(argvNamesCluster(["nsenter", "--net=/run/netns/kemu-c-b-node-1", "node"], "c-b")).toBe(true);
    expect(argvNamesCluster(["kemu-sandbox", "--netns", "/run/netns/kemu-c-node-pod-0123abcdef45"], "c-node")).toBe(true);
    expect(argvNamesCluster(["kemu-sandbox", "--netns", "/run/netns/kemu-c-node-pod-0123abcdef45"], "c")).toBe(false);
  });

  it("finds the clusters a command line names, for leftovers whose state directory is gone", () => {
    expect(clustersNamedBy(["nsenter", "--net=/run/netns/kemu-c-b-outside", "node", "main.js", "test-dns"])).toEqual(["c-b"]);
    expect(clustersNamedBy(["node", "main.js", "agent", "/run/kemu/c/nodes/node-1/agent.json"])).toEqual(["c"]);
    expect(clustersNamedBy(["bash"])).toEqual([]);
  });

  it("recognises the daemon of one cluster only", () => {
    expect(isDaemonOf(["/usr/bin/node", "/opt/kemu/dist/cli/main.js", "daemon", "/run/kemu/c/start.json"], "c")).toBe(true);
    expect(isDaemonOf(["/usr/bin/node", "/opt/kemu/dist/cli/main.js", "daemon", "/run/kemu/c-b/start.json"], "c")).toBe(false);
    expect(isDaemonOf(["/usr/bin/node", "/opt/kemu/dist/cli/main.js", "agent", "/run/kemu/c/start.json"], "c")).toBe(false);
  });
});

describe("cluster names from the environment", () => {
  it("names the source in the error", () => {
    expect(validateClusterName("Bad", "KEMU_CLUSTER")).toMatch(/^KEMU_CLUSTER: invalid cluster name "Bad"/);
  });
});
