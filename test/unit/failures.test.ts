// What a user reads when something fails: one line, no stack trace unless
// KEMU_DEBUG=1, and a dead control plane named with the line of its log that matters.
import { describe, expect, it } from "vitest";
import { describeFailure } from "../../src/cli/output.js";
import { Cluster, KemuError, StartupError, clusterFromEnvironment } from "../../src/cluster.js";
import { ApiConnectionError } from "../../src/api/client.js";
import { describeControlPlaneDeath, lastMeaningfulLine } from "../../src/daemon/death-report.js";

describe("describeFailure", () => {
  it("prints expected errors in one line without a stack", () => {
    expect(describeFailure(new KemuError("--nodes: must be an integer"), false)).toBe("error: --nodes: must be an integer\n");
    const refused = new ApiConnectionError("cannot reach the kemu API at /run/kemu/c/api.sock (ECONNREFUSED): is the cluster running? (kemu up)", "ECONNREFUSED", "/run/kemu/c/api.sock");
    expect(describeFailure(refused, false)).toBe(`error: ${refused.message}\n`);
  });

  it("prints a system error with a code in one line, and says to use root for EACCES", () => {
    const err = Object.assign(new Error("EACCES: permission denied, open '/run/kemu/c/cluster.json'"), { code: "EACCES" });
    expect(describeFailure(err, false)).toBe("error: EACCES: permission denied, open '/run/kemu/c/cluster.json': run kemu as root (sudo)\n");
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(describeFailure(reset, false)).toBe("error: read ECONNRESET\n");
  });

  it("keeps stacks for KEMU_DEBUG=1 and points to it for unexpected errors", () => {
    const bug = new TypeError("x.find is not a function");
    expect(describeFailure(bug, false)).toBe("error: x.find is not a function\n(this looks like a bug in kemu: run again with KEMU_DEBUG=1 to see where it happened)\n");
    expect(describeFailure(bug, true)).toContain("\n    at ");
    expect(describeFailure(new StartupError("the control plane died", "control-plane-died"), true)).toContain("    at ");
  });
});

describe("a dead control plane in one line", () => {
  it("picks the error of a crash, not its stack frames nor Node.js's footer", () => {
    const crash = [
      "file:///opt/kemu/dist/controllers/replicaset.js:10",
      "        const owner = pod.metadata.ownerReferences?.find((r) => r.controller);",
      "                                                   ^",
      "",
      "TypeError: pod.metadata.ownerReferences?.find is not a function",
      "    at ReplicaSetController.sync (file:///opt/kemu/dist/controllers/replicaset.js:10:52)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "",
      "Node.js v20.20.2",
      "",
    ].join("\n");
    expect(lastMeaningfulLine(crash)).toBe("TypeError: pod.metadata.ownerReferences?.find is not a function");
    expect(lastMeaningfulLine("started\nnode-1 created\n")).toBe("node-1 created");
    expect(lastMeaningfulLine("\n\n")).toBeUndefined();
  });

  it("says how it ended", () => {
    expect(describeControlPlaneDeath({ code: null, signal: "SIGKILL" }, "node-1 created", "/run/kemu/c/daemon.log")).toBe(
      "the control plane died during start-up (killed by SIGKILL); its log ends: node-1 created",
    );
    expect(describeControlPlaneDeath({ code: 1, signal: null }, undefined, "/run/kemu/c/daemon.log")).toBe(
      "the control plane died during start-up (exited with code 1); its log (/run/kemu/c/daemon.log) is empty",
    );
  });
});

describe("KEMU_CLUSTER", () => {
  it("is used when set, ignored when empty, and named when invalid", () => {
    expect(clusterFromEnvironment({ KEMU_CLUSTER: "dev" })).toBe("dev");
    expect(clusterFromEnvironment({ KEMU_CLUSTER: "" })).toBeUndefined();
    expect(clusterFromEnvironment({})).toBeUndefined();
    expect(() => clusterFromEnvironment({ KEMU_CLUSTER: "Dev_1" })).toThrow(/^KEMU_CLUSTER: invalid cluster name "Dev_1"/);
  });
});

describe("kemu up's address switches", () => {
  // Checked before anything is created (and before the root check): these start nothing.
  const refused = async (options: Parameters<typeof Cluster.start>[0]): Promise<string> => {
    const err: unknown = await Cluster.start({ ingress: false, name: "unit-never-up", ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KemuError);
    return (err as Error).message;
  };

  it("--dns-upstream: an IPv4 address as the cluster DNS reads it (no leading zeros), with an optional :port", async () => {
    for (const bad of ["999.1.1.1", "010.0.0.1", "1.2.3", "1.2.3.4:", "1.2.3.4:123456", "1.2.3.4:53:53", "::1", "dns.example"]) {
      expect(await refused({ dnsUpstreams: [bad] })).toBe(`--dns-upstream: expected an IPv4 address with an optional :port, got ${JSON.stringify(bad)}`);
    }
  });

  it("--nodeport-addresses: IPv4 CIDRs (kube-proxy's reading) or primary", async () => {
    expect(await refused({ nodePortAddresses: ["172.18.0.0/16", "10.0.0.300/8"] })).toBe('--nodeport-addresses: expected IPv4 CIDRs (like 172.18.0.0/16) or "primary", got "10.0.0.300/8"');
    expect(await refused({ nodePortAddresses: ["fd00::/64"] })).toMatch(/^--nodeport-addresses: .* got "fd00::\/64"$/);
  });
});
