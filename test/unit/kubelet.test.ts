import { describe, it, expect } from "vitest";
import { initialBackoff, onContainerExit, shouldRestart, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS, RESET_AFTER_MS } from "../../src/agent/kubelet/backoff.js";
import { renderHostsFile, renderResolvConf } from "../../src/agent/kubelet/podfiles.js";
import { buildEnv, expandVars } from "../../src/agent/kubelet/env.js";
import { computePodStatus, podPhase, terminatedReason, type ContainerFacts } from "../../src/agent/kubelet/status.js";
import { resolveProgram, ImageError, kemuCodePaths } from "../../src/workloads/images.js";
import { builtinPath, cliEntry, PACKAGE_ROOT } from "../../src/paths.js";
import type { Pod } from "../../src/api/types.js";

const pod = (spec: Partial<Pod["spec"]> = {}, meta: Pod["metadata"] = {}): Pod =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "shop", uid: "u-1", labels: { app: "web" }, ...meta }, spec: { containers: [{ name: "c", image: "x" }], ...spec } }) as Pod;

describe("restart back-off", () => {
  it("restarts at once the first time, then 10s doubling to 5 minutes", () => {
    let state = initialBackoff();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = onContainerExit(state, 1_000);
      delays.push(r.delayMs);
      state = r.next;
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(INITIAL_BACKOFF_MS).toBe(10_000);
    expect(MAX_BACKOFF_MS).toBe(300_000);
  });

  it("forgets the back-off after a long healthy run", () => {
    const r = onContainerExit({ nextDelayMs: 160_000 }, RESET_AFTER_MS);
    expect(r.delayMs).toBe(0);
    expect(r.next.nextDelayMs).toBe(10_000);
  });

  it("restarts by restartPolicy", () => {
    expect(shouldRestart("Always", 0)).toBe(true);
    expect(shouldRestart("OnFailure", 0)).toBe(false);
    expect(shouldRestart("OnFailure", 1)).toBe(true);
    expect(shouldRestart("Never", 1)).toBe(false);
  });
});

describe("pod files", () => {
  const dns = { clusterDomain: "cluster.local", clusterDns: ["10.96.0.10"], hostResolvConf: "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n" };

  it("ClusterFirst: cluster DNS, namespace search path, ndots:5", () => {
    expect(renderResolvConf(pod(), dns)).toBe("search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  });

  it("Default: the node's resolv.conf", () => {
    expect(renderResolvConf(pod({ dnsPolicy: "Default" }), dns)).toBe("search corp.example\nnameserver 192.0.2.53\noptions edns0\n");
  });

  it("None with dnsConfig, and dnsConfig options override", () => {
    const p = pod({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.2.3.4"], searches: ["a.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } });
    expect(renderResolvConf(p, dns)).toBe("search a.example\nnameserver 1.2.3.4\noptions ndots:2 edns0\n");
    const q = pod({ dnsConfig: { options: [{ name: "ndots", value: "1" }] } });
    expect(renderResolvConf(q, dns)).toBe("search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:1\n");
  });

  it("hosts file: pod IP with hostname, subdomain FQDN, hostAliases", () => {
    expect(renderHostsFile(pod(), "10.244.1.5", "cluster.local")).toBe(
      "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.244.1.5\tweb-1\n",
    );
    const p = pod({ hostname: "db-0", subdomain: "db", hostAliases: [{ ip: "10.1.2.3", hostnames: ["foo.local", "bar.local"] }] });
    const text = renderHostsFile(p, "10.244.1.6", "cluster.local");
    expect(text).toContain("10.244.1.6\tdb-0.db.shop.svc.cluster.local\tdb-0\n");
    expect(text).toContain("\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n");
  });
});

describe("container environment", () => {
  it("expands $(VAR) references as Kubernetes does", () => {
    expect(expandVars("$(A)-$(B)", { A: "1" })).toBe("1-$(B)");
    expect(expandVars("$$(A)", { A: "1" })).toBe("$(A)");
    expect(expandVars("a$$b", {})).toBe("a$b");
  });

  it("builds env from values, fieldRefs and the pod's identity", () => {
    const p = pod();
    const env = buildEnv(
      p,
      { name: "c", image: "x", env: [{ name: "A", value: "x" }, { name: "B", value: "$(A)y" }, { name: "MY_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }, { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }] },
      { podIp: "10.244.1.5", hostIp: "172.18.0.2", nodeName: "node-1" },
    );
    expect(env).toMatchObject({ A: "x", B: "xy", MY_IP: "10.244.1.5", APP: "web", POD_NAME: "web-1", POD_NAMESPACE: "shop", POD_IP: "10.244.1.5", HOSTNAME: "web-1" });
    expect(env.PATH).toContain("/usr/bin");
  });
});

describe("pod status", () => {
  const running: ContainerFacts = { name: "c", image: "x", state: { kind: "running", startedAt: "2026-01-01T00:00:00Z" }, restartCount: 0, ready: true };
  const done = (code: number): ContainerFacts => ({ name: "c", image: "x", state: { kind: "terminated", exitCode: code, reason: terminatedReason(code), startedAt: "t", finishedAt: "t" }, restartCount: 0, ready: false });

  it("derives the phase from container states and restartPolicy", () => {
    expect(podPhase("Always", [{ ...running, state: { kind: "waiting", reason: "ContainerCreating" } }])).toBe("Pending");
    expect(podPhase("Always", [running])).toBe("Running");
    expect(podPhase("Never", [done(0)])).toBe("Succeeded");
    expect(podPhase("Never", [done(1)])).toBe("Failed");
    expect(podPhase("OnFailure", [done(0)])).toBe("Succeeded");
    expect(podPhase("Always", [{ ...done(1), restartCount: 2, state: { kind: "waiting", reason: "CrashLoopBackOff" }, lastState: done(1).state }])).toBe("Running");
  });

  it("reports Ready, IPs and container states", () => {
    const s = computePodStatus({ pod: pod(), hostIp: "172.18.0.2", podIp: "10.244.1.5", sandboxReady: true, startTime: "t0", containers: [running] }, undefined, "t1");
    expect(s.phase).toBe("Running");
    expect(s.podIP).toBe("10.244.1.5");
    expect(s.hostIP).toBe("172.18.0.2");
    expect(s.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(s.containerStatuses?.[0]).toMatchObject({ name: "c", ready: true, started: true, restartCount: 0, state: { running: { startedAt: "2026-01-01T00:00:00Z" } } });
    const waiting = computePodStatus({ pod: pod(), hostIp: "h", sandboxReady: true, startTime: "t0", containers: [{ ...running, ready: false, state: { kind: "waiting", reason: "CrashLoopBackOff" } }] }, s, "t2");
    const ready = waiting.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "ContainersNotReady", message: "containers with unready status: [c]", lastTransitionTime: "t2" });
  });

  it("names the terminated reason like container runtimes", () => {
    expect(terminatedReason(0)).toBe("Completed");
    expect(terminatedReason(1)).toBe("Error");
    expect(terminatedReason(137)).toBe("Error");
    expect(terminatedReason(127)).toBe("StartError");
  });
});

describe("images map to programs", () => {
  it("agnhost runs the built-in with its args, with or without the /agnhost entrypoint; it sees its own binary only", () => {
    const agnhost = builtinPath("agnhost");
    expect(resolveProgram({ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["netexec", "--http-port=8080"] })).toEqual({ file: agnhost, args: ["netexec", "--http-port=8080"], kind: "builtin", readOnlyPaths: [agnhost] });
    expect(resolveProgram({ name: "c", image: "agnhost", command: ["/agnhost", "serve-hostname"], args: ["--port=9376"] }).args).toEqual(["serve-hostname", "--port=9376"]);
    expect(resolveProgram({ name: "c", image: "registry.k8s.io/pause:3.9" })).toEqual({ file: agnhost, args: ["pause"], kind: "builtin", readOnlyPaths: [agnhost] });
  });

  it("CoreDNS runs kemu's resolver, which alone gets Node.js, kemu's code and the API socket", () => {
    const p = resolveProgram({ name: "coredns", image: "registry.k8s.io/coredns/coredns:v1.11.1", args: ["-conf", "x"] }, undefined, { apiSocket: "/run/kemu/c/api.sock" });
    expect(p).toEqual({ file: process.execPath, args: [cliEntry(), "dns", "--api-socket", "/run/kemu/c/api.sock", "-conf", "x"], kind: "builtin", readOnlyPaths: [process.execPath, PACKAGE_ROOT, "/run/kemu/c/api.sock"] });
    expect(kemuCodePaths("/srv/app/node_modules/kemu")).toEqual(["/srv/app/node_modules/kemu", "/srv/app/node_modules"]);
    expect(kemuCodePaths("/srv/app/node_modules/@acme/kemu")).toEqual(["/srv/app/node_modules/@acme/kemu", "/srv/app/node_modules"]);
    expect(kemuCodePaths("/home/me/kemu")).toEqual(["/home/me/kemu"]);
  });

  it("other images run the command as a host program and see nothing of kemu; without a command they fail clearly", () => {
    expect(resolveProgram({ name: "c", image: "busybox", command: ["sh", "-c"], args: ["echo $(X)"] }, (s) => s.replace("$(X)", "hi"))).toEqual({ file: "sh", args: ["-c", "echo hi"], kind: "host", readOnlyPaths: [] });
    expect(resolveProgram({ name: "c", image: "agnhost", command: ["sh", "-c", "id"] }).readOnlyPaths).toEqual([]);
    expect(() => resolveProgram({ name: "c", image: "nginx:1.27" })).toThrow(ImageError);
    expect(() => resolveProgram({ name: "c", image: "nginx:1.27" })).toThrow(/image "nginx:1.27" has no built-in program in kemu and the container sets no command/);
  });
});

describe("test upstream DNS zone", () => {
  it("answers its zones, NXDOMAIN for unknown names in them, REFUSED elsewhere", async () => {
    const { answerTestQuestion } = await import("../../src/workloads/test-upstream-dns.js");
    expect(answerTestQuestion("www.example.test", 1)).toEqual({ rcode: "NOERROR", answers: [{ name: "www.example.test", type: 1, value: "192.0.2.10" }] });
    expect(answerTestQuestion("ALIAS.example.test.", 1).answers.map((a) => `${a.type} ${a.value}`)).toEqual(["5 www.example.test", "1 192.0.2.10"]);
    expect(answerTestQuestion("nope.example.test", 1).rcode).toBe("NXDOMAIN");
    expect(answerTestQuestion("www.example.test", 28)).toEqual({ rcode: "NOERROR", answers: [] });
    expect(answerTestQuestion("kubernetes.io", 1).rcode).toBe("REFUSED");
    expect(answerTestQuestion("123.2.0.192.in-addr.arpa", 12).answers[0]?.value).toBe("my.test");
  });
});
