// Benchmark: cluster start-up with 3 nodes and 100 agnhost pods, the control
// plane's memory, each pod's memory, and per-pod sandbox setup time — with
// references measured in the same run (the bare kernel work, and starting
// the same 100 processes with no namespaces at all).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Cluster } from "../../src/index.js";
import { ipBatch, run } from "../../src/linux/exec.js";
import { Semaphore } from "../../src/agent/semaphore.js";
import { builtinPath } from "../../src/paths.js";

const PODS = 100;

function deployment(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: bench }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: bench } }
  template:
    metadata: { labels: { app: bench } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: netexec
          image: registry.k8s.io/e2e-test-images/agnhost:2.53
          args: ["netexec", "--http-port=8080", "--udp-port=8081"]
`;
}

function kib(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

function pssKib(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Reference 1: the kernel work alone for N sandboxes, batched as tightly as `ip` allows. */
async function rawSandboxes(n: number): Promise<number> {
  const tag = randomBytes(2).toString("hex");
  const node = `kemu-benchref-${tag}`;
  await run("ip", ["netns", "add", node]);
  const names = Array.from({ length: n }, (_, i) => `kemu-benchref-${tag}-p${i}`);
  const t0 = performance.now();
  // `netns add` must run in the host's mount namespace (`ip -n` makes a private one).
  await ipBatch(names.map((ns) => `netns add ${ns}`));
  await ipBatch(names.flatMap((ns, i) => [`link add v${i} type veth peer name eth0 netns ${ns}`, `link set v${i} up`]), node);
  const gate = new Semaphore(16);
  await Promise.all(names.map((ns, i) => gate.run(() => ipBatch(["link set lo up", `addr add 10.99.${i >> 8}.${(i & 255) + 2}/16 dev eth0`, "link set eth0 up"], ns))));
  const ms = performance.now() - t0;
  await ipBatch(names.map((ns) => `netns del ${ns}`));
  await run("ip", ["netns", "del", node]);
  return ms;
}

/** kemu's own sandbox code (node side + pod side, 8 at a time as the kubelet runs it). */
async function kemuSandboxes(n: number): Promise<number> {
  const tag = randomBytes(2).toString("hex");
  const node = `kemu-benchsb-${tag}`;
  await run("ip", ["netns", "add", node]);
  const specs = Array.from({ length: n }, (_, i) => ({ netns: `kemu-benchsb-${tag}-p${i}`, veth: `vb${tag}${i}`, ip: `10.98.${i >> 8}.${(i & 255) + 2}`, prefix: 16, gateway: "10.98.0.1" }));
  // The executor runs `ip` in its own namespace: run this part inside the scratch node.
  const script = `
    import { createSandbox } from ${JSON.stringify(new URL("../../src/agent/kubelet/sandbox.ts", import.meta.url).pathname)};
    import { Semaphore } from ${JSON.stringify(new URL("../../src/agent/semaphore.ts", import.meta.url).pathname)};
    const specs = ${JSON.stringify(specs)};
    const gate = new Semaphore(8);
    const t0 = performance.now();
    await Promise.all(specs.map((s) => gate.run(() => createSandbox(s))));
    console.log(performance.now() - t0);`;
  const out = await run("nsenter", [`--net=/run/netns/${node}`, process.execPath, "--import", "tsx", "--input-type=module", "-e", script], { timeoutMs: 120_000 });
  await ipBatch(specs.map((s) => `netns del ${s.netns}`));
  await run("ip", ["netns", "del", node]);
  return Number(out.trim().split("\n").pop());
}

/** Reference 2: starting the same N agnhost processes with no namespaces, until each has bound its port. */
async function rawProcesses(n: number): Promise<{ ms: number; pss: number }> {
  const t0 = performance.now();
  const children = Array.from({ length: n }, (_, i) =>
    spawn(builtinPath("agnhost"), ["netexec", `--http-port=${20000 + i}`, "--udp-port=-1"], { stdio: ["ignore", "pipe", "ignore"] }),
  );
  await Promise.all(children.map((c) => new Promise<void>((resolve) => c.stdout!.once("data", () => resolve()))));
  const ms = performance.now() - t0;
  const pss = children.reduce((s, c) => s + pssKib(c.pid!), 0) / n;
  for (const c of children) c.kill("SIGKILL");
  return { ms, pss };
}

export async function benchStartup(): Promise<void> {
  console.log(`\n## Start-up: 3 nodes + ${PODS} agnhost netexec pods`);
  const step = (what: string) => console.error(`… ${what}`);
  step("reference: bare kernel work for the sandboxes");
  const refKernel = await rawSandboxes(PODS);
  step("reference: starting the processes with no namespaces");
  const { ms: refProcs, pss: bareAgnhostPss } = await rawProcesses(PODS);
  step("kemu's sandbox code");
  const sandboxMs = await kemuSandboxes(PODS);
  step("kemu up -f with 3 nodes and the pods, as a user runs it");

  // As `kemu up -f deployment.yaml`: the manifests go in as soon as the nodes are Ready,
  // and up returns when every pod (the cluster's own CoreDNS too) is Ready and DNS answers.
  const name = `bench${randomBytes(2).toString("hex")}`;
  const t0 = performance.now();
  let nodesReadyAt = 0;
  const cluster = await Cluster.start({
    ingress: false,
    name,
    nodes: 3,
    timeoutMs: 120_000,
    manifests: [deployment(PODS)],
    onProgress: (m) => {
      if (m.includes("node(s) Ready")) nodesReadyAt = performance.now();
    },
  });
  try {
    await measureCluster(cluster, name, t0, nodesReadyAt, { refKernel, refProcs, sandboxMs, bareAgnhostPss });
  } finally {
    await cluster.stop();
  }
}

async function measureCluster(cluster: Cluster, name: string, t0: number, nodesReadyAt: number, ref: { refKernel: number; refProcs: number; sandboxMs: number; bareAgnhostPss: number }): Promise<void> {
  const { refKernel, refProcs, sandboxMs, bareAgnhostPss } = ref;
  const total = performance.now() - t0;
  const nodesReady = nodesReadyAt - t0;
  const podsReady = total - nodesReady;

  const info = JSON.parse(readFileSync(`/run/kemu/${name}/cluster.json`, "utf8")) as { pid: number };
  const daemonPeak = kib(info.pid, "VmHWM");
  const agentPids = ["node-1", "node-2", "node-3"].map((n) => Number(readFileSync(`/run/kemu/${name}/pids/agent-${n}`, "utf8")));
  const agentPeak = agentPids.map((p) => kib(p, "VmHWM"));
  const pods = await cluster.pods({ labelSelector: "app=bench" });
  let podPss = 0;
  for (const p of pods) {
    const pid = Number(/kemu:\/\/(\d+)/.exec(p.status?.containerStatuses?.[0]?.containerID ?? "")?.[1]);
    const launcher = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    podPss += pssKib(pid) + pssKib(launcher);
  }

  const rows: [string, string, string][] = [
    ["up → 3 nodes Ready", `${(nodesReady / 1000).toFixed(2)} s`, ""],
    [`nodes Ready → ${PODS} pods (+ CoreDNS) Ready, DNS answering`, `${(podsReady / 1000).toFixed(2)} s`, `${(podsReady / (refKernel + refProcs)).toFixed(2)}× the bare kernel + process work (${((refKernel + refProcs) / 1000).toFixed(2)} s)`],
    [`up → ${PODS} pods Ready (target < 5 s)`, `${(total / 1000).toFixed(2)} s`, total < 5000 ? "meets target" : "MISSES target"],
    ["per-pod sandbox setup (kemu code, 8 at a time)", `${(sandboxMs / PODS).toFixed(1)} ms`, `${(sandboxMs / refKernel).toFixed(2)}× the tightest batched ip (${(refKernel / PODS).toFixed(1)} ms/pod)`],
    ["control plane peak RSS", `${(daemonPeak / 1024).toFixed(0)} MiB`, ""],
    ["node agent peak RSS (each)", agentPeak.map((k) => `${(k / 1024).toFixed(0)}`).join(" / ") + " MiB", ""],
    ["memory per agnhost pod (PSS, launcher + agnhost)", `${(podPss / pods.length).toFixed(0)} KiB`, `bare agnhost process: ${bareAgnhostPss.toFixed(0)} KiB; a bare Node.js process ≈ 42 MiB`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(10)}  ${note}`);
}
