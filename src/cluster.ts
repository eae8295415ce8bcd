// The library API: start a cluster, apply manifests, exec in pods, wait, stop.
// The CLI is a thin layer over this, and so are the tests.
import { KemuError } from "./errors.js";
import { spawn, type ChildProcess } from "node:child_process";
import { runCaptured, type ExecResult } from "./linux/exec.js";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseIPv4CIDR } from "./agent/proxy/iptables/service.js";
import { parseIP } from "./net/ip.js";
import { ApiClient, ApiConnectionError } from "./api/client.js";
import { applyObjects, type AppliedObject } from "./api/apply.js";
import { loadManifests, parseManifests, type SourcedObject } from "./api/manifests.js";
import { resourceByKind } from "./api/resources.js";
import type { Container, Deployment, KubeObject, Node, Pod, ReplicaSet, Stored } from "./api/types.js";
import { ApiError } from "./api/errors.js";
import { clusterPaths, DEFAULTS, MAX_NODES, type ClusterConfig } from "./daemon/config.js";
import { PROXY_MODES, type ProxyMode } from "./agent/config.js";
import { clustersOnHost, footprint, isEmptyFootprint, removeArtefacts } from "./linux/cleanup.js";
import { netnsNames, netnsPath, validateClusterName } from "./linux/names.js";
import { hostProcesses, isDaemonOf, pidIsDaemonOf } from "./linux/processes.js";
import { describeControlPlaneDeath, lastMeaningfulLine } from "./daemon/death-report.js";
import { builtinPath, cliEntry } from "./paths.js";
import { readApiEndpoint } from "./api/https.js";
import { kubeconfigEntry, kubeconfigKey, standaloneKubeconfig } from "./kubeconfig/entry.js";
import { pathForMerge } from "./kubeconfig/paths.js";
import { forgetKubeconfig, recordWrittenTo, writeMerged } from "./kubeconfig/file.js";
import { containerCannotStart, describeContainerProblem, podStatusReason } from "./api/podstatus.js";
import { containerEnviron, containerExecArgv } from "./agent/kubelet/exec-target.js";
// Types only: the probe's code is loaded when first used (it imports this module).
import type { ProbeOptions } from "./probe/options.js";
import type { ProbeResult } from "./probe/runner.js";
import type { ProbeProtocol } from "./probe/model.js";
import type { Explanation } from "./probe/explain.js";

const PODS = resourceByKind("Pod")!;
const NODES = resourceByKind("Node")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;
const REPLICASETS = resourceByKind("ReplicaSet")!;

export { KemuError };

/**
 * Why Cluster.start gave up after the control plane was started. With
 * keepOnFailure the cluster (or what the dead control plane left) is kept.
 */
export type StartupFailure = "pods-not-ready" | "container-cannot-start" | "control-plane-died";

export class StartupError extends KemuError {
  constructor(
    message: string,
    readonly failure: StartupFailure,
  ) {
    super(message);
    this.name = "StartupError";
  }
}

export interface StartOptions {
  name?: string;
  nodes?: number;
  /** manifest files or directories applied once the nodes are Ready */
  files?: string[];
  /** objects (or YAML text) applied after the files */
  manifests?: (KubeObject | string)[];
  /** where the cluster DNS forwards names outside the cluster ("ip" or "ip:port") */
  dnsUpstreams?: string[];
  /** run a test DNS server for example.test on the outside host and forward to it */
  testUpstreamDns?: boolean;
  /** run the router add-on (kemu-system/ingress-router: IngressClasses kemu and nginx, GatewayClass kemu); default true, as `kemu up` (`--no-ingress`) */
  ingress?: boolean;
  /** kube-proxy mode: iptables (default) or userspace */
  proxyMode?: ProxyMode;
  /** kube-proxy's --masquerade-all: SNAT every connection to a ClusterIP to the node's address */
  masqueradeAll?: boolean;
  /** kube-proxy's --nodeport-addresses: IPv4 CIDRs or "primary" (NodePorts answer only on node addresses inside them) */
  nodePortAddresses?: string[];
  /** kube-controller-manager's --node-monitor-grace-period in seconds (default 40): a node silent this long turns NotReady */
  nodeMonitorGracePeriodSeconds?: number;
  /** kube-apiserver's --default-unreachable-toleration-seconds (default 300): how long pods stay on an unreachable node */
  defaultUnreachableTolerationSeconds?: number;
  /** kube-apiserver's --default-not-ready-toleration-seconds (default 300) */
  defaultNotReadyTolerationSeconds?: number;
  /** how long to wait for nodes and pods (default 60 s) */
  timeoutMs?: number;
  onProgress?: (message: string) => void;
  /**
   * When pods do not get ready in time, a container cannot start, or the
   * control plane dies, keep the cluster (or what is left of it) for
   * inspection, as the CLI does, instead of removing it (the default for library use).
   */
  keepOnFailure?: boolean;
  /** @deprecated the former name of keepOnFailure */
  keepOnPodTimeout?: boolean;
  /**
   * Where to write the cluster's kubeconfig context kemu-<name> (made current,
   * as kind does): true = kind's choice ($KUBECONFIG's first existing file,
   * else its last, else $HOME/.kube/config), a path = that file, false (the
   * library's default; `kemu up` passes true) = nowhere. Cluster.stop takes it out again.
   */
  kubeconfig?: boolean | string;
}

export type { ExecResult };

export interface ExecOptions {
  namespace?: string;
  container?: string;
  input?: string;
  timeoutMs?: number;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Whether the cluster's control plane runs: a live process that is this
 * cluster's daemon by its command line, found by the recorded PIDs (checked,
 * since a PID can be reused) or, before they are written, on /proc. Needs no
 * signal permission, so a user who is not root learns the truth too.
 */
export function daemonAlive(name: string): boolean {
  const paths = clusterPaths(name);
  if (!existsSync(paths.dir)) return false;
  const recorded = [readPid(paths.config, true), readPid(`${paths.pids}/daemon`, false)].filter((p): p is number => p !== undefined);
  if (recorded.some((pid) => pidIsDaemonOf(pid, name))) return true;
  // Nothing (valid) recorded yet: the daemon may be starting.
  return recorded.length === 0 && hostProcesses().some((p) => isDaemonOf(p.argv, name));
}

/** The first directory on the way to path that this user may not look into, if any. */
function hiddenFromUser(path: string): string | undefined {
  for (let dir = path; dir !== "/"; dir = dirname(dir)) {
    try {
      statSync(dir);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EACCES") return dirname(dir);
    }
  }
  return undefined;
}

function readPid(file: string, json: boolean): number | undefined {
  try {
    const text = readFileSync(file, "utf8");
    const pid = json ? (JSON.parse(text) as { pid?: unknown }).pid : Number(text.trim());
    return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** KEMU_CLUSTER, validated (an error names the variable), or undefined when unset or empty. */
export function clusterFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.KEMU_CLUSTER;
  if (value === undefined || value === "") return undefined;
  const problem = validateClusterName(value, "KEMU_CLUSTER");
  if (problem) throw new KemuError(problem);
  return value;
}

/** The cluster a command means: --name, else KEMU_CLUSTER, else the only running cluster, else "kemu". */
export function resolveClusterName(given?: string): string {
  if (given !== undefined) {
    const problem = validateClusterName(given);
    if (problem) throw new KemuError(problem);
    return given;
  }
  const fromEnv = clusterFromEnvironment();
  if (fromEnv) return fromEnv;
  const running = runningClusters();
  if (running.length === 1) return running[0]!;
  if (running.length > 1) throw new KemuError(`several clusters are running (${running.join(", ")}): choose one with --name or KEMU_CLUSTER`);
  return "kemu";
}

export function runningClusters(): string[] {
  return clustersOnHost().filter(daemonAlive);
}

export class Cluster {
  readonly api: ApiClient;
  readonly paths: ReturnType<typeof clusterPaths>;
  /** The kubeconfig file Cluster.start wrote the cluster's context into (see StartOptions.kubeconfig). */
  kubeconfigPath?: string;
  /** While starting: why every wait must give up now (the control plane died). */
  private abortIf?: () => string | undefined;

  private constructor(readonly name: string) {
    this.paths = clusterPaths(name);
    this.api = new ApiClient(this.paths.socket);
  }

  /** Connects to a running cluster. */
  static connect(name?: string): Cluster {
    const resolved = resolveClusterName(name);
    if (!daemonAlive(resolved)) {
      const hidden = hiddenFromUser(clusterPaths(resolved).dir);
      if (hidden) throw new KemuError(`permission denied: cannot look into ${hidden}: run kemu as root (sudo)`);
      throw new KemuError(`cluster "${resolved}" is not running (start it with: kemu up --name ${resolved})`);
    }
    return new Cluster(resolved);
  }

  /** Creates the cluster, applies manifests and waits until nodes are Ready and pods Running. */
  static async start(options: StartOptions = {}): Promise<Cluster> {
    const name = options.name ?? "kemu";
    const problem = validateClusterName(name);
    if (problem) throw new KemuError(problem);
    const nodes = options.nodes ?? 2;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new KemuError(`--nodes: must be an integer between 1 and ${MAX_NODES}, got ${options.nodes}`);
    const proxyMode = options.proxyMode ?? "iptables";
    if (!PROXY_MODES.includes(proxyMode)) throw new KemuError(`--proxy-mode: expected one of ${PROXY_MODES.join(", ")}, got ${JSON.stringify(options.proxyMode)}`);
    const nodePortAddresses = options.nodePortAddresses ?? [];
    for (const a of nodePortAddresses) {
      if (a !== "primary" && !parseIPv4CIDR(a)) throw new KemuError(`--nodeport-addresses: expected IPv4 CIDRs (like 172.18.0.0/16) or "primary", got ${JSON.stringify(a)}`);
    }
    for (const u of options.dnsUpstreams ?? []) {
      const [host, port, ...rest] = u.split(":");
      // The cluster DNS reads the address as Node's net.isIP does (the strict rule).
      if (parseIP(host!, "strict")?.family !== 4 || (port !== undefined && !/^\d{1,5}$/.test(port)) || rest.length > 0) throw new KemuError(`--dns-upstream: expected an IPv4 address with an optional :port, got ${JSON.stringify(u)}`);
    }
    if (!isRoot()) throw new KemuError("permission denied: kemu creates network namespaces: run kemu as root (sudo)");
    for (const bin of ["kemu-sandbox", "agnhost"] as const) {
      if (!existsSync(builtinPath(bin))) {
        throw new KemuError(
          `kemu's C helpers are not built (${builtinPath(bin)} is missing): they are compiled when kemu is installed or built, which needs a C compiler. ` +
            "Install one (apt-get install -y gcc), then run `npm rebuild kemu` where kemu is installed, or `npm run build` in a clone.",
        );
      }
    }
    if (!existsSync(cliEntry())) throw new KemuError(`${cliEntry()} is missing: run npm run build first`);
    // Read every manifest before anything is created: a bad file changes nothing.
    const sourced = [...loadManifests(options.files ?? []), ...toSourced(options.manifests ?? [])];
    if (daemonAlive(name)) throw new KemuError(`cluster "${name}" is already running (stop it with: kemu down --name ${name})`);
    // What a crashed cluster of this name left (and only that: never another cluster's).
    if (!isEmptyFootprint(footprint(name))) await removeArtefacts(name);

    const progress = options.onProgress ?? (() => undefined);
    const timeoutMs = options.timeoutMs ?? 60_000;
    const nodeLifecycle = nodeLifecycleSettings(options);
    const config: ClusterConfig = { ...DEFAULTS, name, nodes, proxyMode, masqueradeAll: options.masqueradeAll ?? false, nodePortAddresses, dnsUpstreams: options.dnsUpstreams ?? [], testUpstreamDns: options.testUpstreamDns ?? false, ingress: options.ingress ?? true, ...nodeLifecycle };
    const paths = clusterPaths(name);
    mkdirSync(paths.dir, { recursive: true });
    const configPath = `${paths.dir}/start.json`;
    writeFileSync(configPath, JSON.stringify(config));
    const log = openSync(paths.daemonLog, "a");
    const daemon = spawn(process.execPath, [cliEntry(), "daemon", configPath], { detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    daemon.unref();
    progress(`starting control plane (pid ${daemon.pid}, log ${paths.daemonLog})`);

    const cluster = new Cluster(name);
    // Every wait of the start-up gives up at once when the control plane dies.
    const died = () => controlPlaneDeath(daemon, paths.daemonLog);
    cluster.abortIf = died;
    try {
      await cluster.waitFor(async () => existsSync(paths.socket) && (await cluster.api.request("GET", "/healthz").then(() => true, () => false)), {
        timeoutMs,
        what: () => `the API server (see ${paths.daemonLog})`,
      });
      progress(`API server listening on ${paths.socket}`);
      if (options.kubeconfig) {
        const target = pathForMerge(typeof options.kubeconfig === "string" ? options.kubeconfig : undefined, process.env, isFile);
        recordWrittenTo(paths.dir, target);
        await writeMerged(target, kubeconfigEntry(name, readApiEndpoint(paths.dir)));
        cluster.kubeconfigPath = target;
        progress(`kubectl context ${kubeconfigKey(name)} written to ${target}`);
      }
      await cluster.waitForNodes(timeoutMs, nodes);
      progress(`${nodes} node(s) Ready`);
      if (sourced.length) {
        const applied = await applyObjects(cluster.api, sourced);
        progress(`applied ${applied.length} object(s)`);
      }
      await cluster.waitForWorkloads(timeoutMs, progress);
      await cluster.waitForClusterDns(nodes, config.clusterDns[0]!, config.clusterDomain, timeoutMs);
      progress("cluster DNS answers on every node");
      cluster.abortIf = undefined;
      return cluster;
    } catch (caught) {
      cluster.abortIf = undefined;
      const err = await explainStartupError(caught, died);
      const flag = name === "kemu" ? "" : ` --name ${name}`;
      if ((options.keepOnFailure ?? options.keepOnPodTimeout) && err instanceof StartupError) {
        cluster.api.close();
        if (err.failure === "control-plane-died") {
          throw new StartupError(`${err.message}\nWhat it left is kept: its log is ${paths.daemonLog}; remove it all with \`kemu down${flag}\`.`, err.failure);
        }
        // The cluster itself is fine: keep it for inspection.
        throw new StartupError(`${err.message}\nThe cluster is still running: look with \`kemu get pods -o wide${flag}\`, remove it with \`kemu down${flag}\`.`, err.failure);
      }
      await cluster.stop().catch(() => removeArtefacts(name));
      throw err;
    }
  }

  async apply(input: string | KubeObject | (string | KubeObject)[], namespace = "default"): Promise<AppliedObject[]> {
    return applyObjects(this.api, toSourced(Array.isArray(input) ? input : [input]), namespace);
  }

  async applyFiles(paths: string[], namespace = "default"): Promise<AppliedObject[]> {
    return applyObjects(this.api, loadManifests(paths), namespace);
  }

  async pod(name: string, namespace = "default"): Promise<Stored<Pod>> {
    return this.api.get<Pod>(PODS, namespace, name);
  }

  async pods(options: { namespace?: string; labelSelector?: string } = {}): Promise<Stored<Pod>[]> {
    return (await this.api.list<Pod>(PODS, options)).items;
  }

  /** The host PID of a container's PID 1, which is what entering the container needs. */
  async containerPid(podName: string, options: ExecOptions = {}): Promise<number> {
    return runningContainer(await this.pod(podName, options.namespace ?? "default"), options.container).pid;
  }

  /**
   * argv for running a command inside a pod's container: its namespaces and,
   * as `kubectl exec`, its user, groups, capabilities and workingDir.
   */
  async execArgv(podName: string, argv: string[], options: ExecOptions = {}): Promise<string[]> {
    return (await this.execCommand(podName, argv, options)).argv;
  }

  /** execArgv and, as kubectl exec gives it, the container's environment (undefined when unreadable: the caller's own). */
  async execCommand(podName: string, argv: string[], options: ExecOptions = {}): Promise<{ argv: string[]; env?: Record<string, string> }> {
    const pod = await this.pod(podName, options.namespace ?? "default");
    const { pid, container } = runningContainer(pod, options.container);
    try {
      return { argv: containerExecArgv(pod, container, pid, argv), env: containerEnviron(pid) };
    } catch (err) {
      throw new KemuError(`unable to exec: ${(err as Error).message}`);
    }
  }

  /** argv for running a command on a node or on the outside host. */
  hostArgv(host: string, argv: string[]): string[] {
    const ns = host === "outside" ? netnsNames.outside(this.name) : netnsNames.node(this.name, host);
    if (!existsSync(netnsPath(ns))) throw new KemuError(`--host: no host named ${JSON.stringify(host)} in cluster ${this.name} (nodes are node-1..node-N; "outside" is the host outside the cluster)`);
    return ["nsenter", `--net=${netnsPath(ns)}`, ...argv];
  }

  async exec(podName: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { argv: full, env } = await this.execCommand(podName, argv, options);
    return runCaptured(full, { ...options, env });
  }

  async execOnHost(host: string, argv: string[], options: Omit<ExecOptions, "container" | "namespace"> = {}): Promise<ExecResult> {
    return runCaptured(this.hostArgv(host, argv), options);
  }

  async logs(podName: string, options: { namespace?: string; container?: string; previous?: boolean } = {}): Promise<string> {
    const q = new URLSearchParams();
    if (options.container) q.set("container", options.container);
    if (options.previous) q.set("previous", "true");
    return (await this.api.request<string | undefined>("GET", `/api/v1/namespaces/${options.namespace ?? "default"}/pods/${podName}/log?${q}`)) ?? "";
  }

  /** Polls until check returns true; the error names what was awaited. */
  async waitFor(
    check: () => Promise<boolean> | boolean,
    options: {
      timeoutMs?: number;
      what: () => string | Promise<string>;
      abortIf?: () => string | undefined;
      intervalMs?: number;
      /** the error thrown on a timeout (default: a KemuError) */
      onTimeout?: (message: string) => Error;
    },
  ): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      if (await check()) return;
      const died = this.abortIf?.();
      if (died) throw new StartupError(died, "control-plane-died");
      const abort = options.abortIf?.();
      if (abort) throw new KemuError(abort);
      if (Date.now() > deadline) {
        const message = `timed out after ${Math.round((options.timeoutMs ?? 30_000) / 1000)}s waiting for ${await options.what()}`;
        throw options.onTimeout?.(message) ?? new KemuError(message);
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
    }
  }

  async waitForNodes(timeoutMs = 30_000, expected = 1): Promise<void> {
    let count = 0;
    const notReady = async () => {
      const nodes = (await this.api.list<Node>(NODES)).items;
      count = nodes.length;
      return nodes.filter((n) => !n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    };
    await this.waitFor(async () => (await notReady()).length === 0 && count >= expected, {
      timeoutMs,
      what: async () =>
        `nodes to be Ready: ${(await notReady()).map((n) => `${n.metadata.name} (see ${this.paths.nodes}/${n.metadata.name}/agent.log)`).join(", ")}`,
    });
  }

  /** Waits for pods matching a selector to be Ready (or only Running). */
  async waitForPods(options: { namespace?: string; labelSelector?: string; count?: number; condition?: "Ready" | "Running"; timeoutMs?: number } = {}): Promise<Stored<Pod>[]> {
    let last: Stored<Pod>[] = [];
    const ok = (p: Stored<Pod>) =>
      options.condition === "Running" ? p.status?.phase === "Running" : p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    await this.waitFor(
      async () => {
        last = (await this.pods(options)).filter((p) => !p.metadata.deletionTimestamp);
        return last.length >= (options.count ?? 1) && last.every(ok);
      },
      {
        timeoutMs: options.timeoutMs,
        what: () =>
          `pods${options.labelSelector ? ` matching ${options.labelSelector}` : ""} to be ${options.condition ?? "Ready"}: ` +
          (last.length ? last.filter((p) => !ok(p)).map((p) => `${p.metadata.name} (${podStatusReason(p)})`).join(", ") : "no pods found"),
      },
    );
    return last;
  }

  /** Until kube-dns answers through every node's Service rules (kube-proxy syncs lag pod readiness a little). */
  async waitForClusterDns(nodes: number, dnsIP: string, domain: string, timeoutMs = 30_000): Promise<void> {
    const query = ["dig", "+short", "+time=1", "+tries=1", `@${dnsIP}`, `kubernetes.default.svc.${domain}`];
    const pending = new Set(Array.from({ length: nodes }, (_, i) => `node-${i + 1}`));
    await this.waitFor(
      async () => {
        await Promise.all(
          [...pending].map(async (node) => {
            // dig prints its errors (";; communications error …") on stdout too: only an address counts.
            if (/^\d+\.\d+\.\d+\.\d+$/m.test((await this.execOnHost(node, query)).stdout)) pending.delete(node);
          }),
        );
        return pending.size === 0;
      },
      { timeoutMs, what: () => `cluster DNS (${dnsIP}) to answer on ${[...pending].join(", ")}`, intervalMs: 50 },
    );
  }

  /**
   * Every Deployment and ReplicaSet at its replica count and every pod Ready.
   * Gives up at once when a container cannot start for a reason that will not
   * fix itself (CreateContainerConfigError, a program that cannot be executed…).
   */
  async waitForWorkloads(timeoutMs = 60_000, progress: (m: string) => void = () => undefined): Promise<void> {
    let pending: string[] = [];
    let lastReport = "";
    await this.waitFor(
      async () => {
        const [deps, rss, pods] = await Promise.all([this.api.list<Deployment>(DEPLOYMENTS), this.api.list<ReplicaSet>(REPLICASETS), this.api.list<Pod>(PODS)]);
        for (const p of pods.items) {
          const problem = p.metadata.deletionTimestamp ? undefined : containerCannotStart(p);
          if (problem) throw new StartupError(describeContainerProblem(p, problem), "container-cannot-start");
        }
        pending = [
          ...deps.items.filter((d) => (d.status?.readyReplicas ?? 0) < (d.spec.replicas ?? 1) || (d.status?.updatedReplicas ?? 0) < (d.spec.replicas ?? 1)).map((d) => `deployment/${d.metadata.name} (${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 1} ready)`),
          ...rss.items.filter((r) => (r.status?.readyReplicas ?? 0) < (r.spec.replicas ?? 1)).map((r) => `replicaset/${r.metadata.name}`),
          ...pods.items
            .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && !p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
            .map((p) => `pod/${p.metadata.name} (${podStatusReason(p)})`),
        ];
        const ready = pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
        const report = `${ready}/${pods.items.length} pods Ready`;
        if (report !== lastReport) progress(report);
        lastReport = report;
        return pending.length === 0;
      },
      {
        timeoutMs,
        what: () => `pods not ready: ${pending.slice(0, 10).join(", ")}${pending.length > 10 ? ` and ${pending.length - 10} more` : ""}`,
        onTimeout: (message) => new StartupError(message, "pods-not-ready"),
      },
    );
  }

  /**
   * The reachability matrix between the selected pods (and Services, and the
   * outside host), probed in the kernel: see `kemu probe --help`. With
   * `expect` or `compare`, cells that disagree are probed once more and the
   * result carries the comparison.
   */
  async probe(options: ProbeOptions = {}): Promise<ProbeResult> {
    const { runProbe } = await import("./probe/runner.js");
    return runProbe(this, options);
  }

  /**
   * Which policies and rules allow or deny from → to ("ns/name" pods; `to`
   * may also be "outside" or an IPv4 address) on one port, on the egress and
   * the ingress side, and what the kernel did when the connection was probed.
   */
  async explain(from: string, to: string, options: { port: number; protocol?: ProbeProtocol; timeoutMs?: number }): Promise<Explanation> {
    const { explainConnection } = await import("./probe/explain.js");
    const { checkProbeOptions } = await import("./probe/options.js");
    checkProbeOptions({ ports: [options.port], protocols: [options.protocol ?? "TCP"], timeoutMs: options.timeoutMs });
    const [one] = await explainConnection(this, from, to, { ports: [options.port], protocols: [options.protocol ?? "TCP"], timeoutMs: options.timeoutMs });
    return one!;
  }

  /** The cluster's kubeconfig (HTTPS on 127.0.0.1, its CA, a bearer token), standalone, as `kind get kubeconfig` prints one. */
  kubeconfig(): string {
    return standaloneKubeconfig(kubeconfigEntry(this.name, readApiEndpoint(this.paths.dir)));
  }

  /**
   * Stops the control plane, which removes every namespace, link and process
   * of the cluster, and takes its context out of the kubeconfig it was written to.
   */
  async stop(): Promise<void> {
    // Before the control plane goes: the record of the file is in its state directory.
    let kubeconfigProblem: unknown;
    await forgetKubeconfig(this.name, this.paths.dir).catch((err: unknown) => (kubeconfigProblem = err));
    const pid = readPid(this.paths.config, true);
    // The control plane answers at once and stops its pods gracefully; one that does not answer is stuck: no waiting on it.
    const answer = await Promise.race([
      this.api.request("POST", "/kemu/v1/shutdown").then(
        () => "stopping" as const,
        () => "unreachable" as const,
      ),
      new Promise<"stuck">((r) => setTimeout(() => r("stuck"), 5_000).unref()),
    ]);
    const deadline = Date.now() + 20_000;
    while (answer === "stopping" && pid && Date.now() < deadline && pidIsDaemonOf(pid, this.name)) await new Promise((r) => setTimeout(r, 25));
    this.api.close();
    await removeArtefacts(this.name);
    if (kubeconfigProblem) throw new KemuError(`cluster ${this.name} stopped, but its kubeconfig context stays: ${(kubeconfigProblem as Error).message}`);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function toSourced(items: (KubeObject | string)[]): SourcedObject[] {
  return items.flatMap((item, i) => (typeof item === "string" ? parseManifests(item, `manifest ${i + 1}`) : [{ object: item, source: `object ${i + 1}` }]));
}

/** Why the control plane we started is gone, or undefined while it runs. */
function controlPlaneDeath(daemon: ChildProcess, logPath: string): string | undefined {
  if (daemon.exitCode === null && daemon.signalCode === null) return undefined;
  let log = "";
  try {
    log = readFileSync(logPath, "utf8");
  } catch {
    /* no log: said below */
  }
  return describeControlPlaneDeath({ code: daemon.exitCode, signal: daemon.signalCode }, lastMeaningfulLine(log), logPath);
}

/**
 * A connection error during start-up usually means the control plane just
 * died: its socket fails a moment before its exit is seen, so look for the
 * death a little while before passing the connection error on.
 */
async function explainStartupError(err: unknown, died: () => string | undefined): Promise<unknown> {
  if (!(err instanceof ApiConnectionError)) return err;
  const deadline = Date.now() + 2_000;
  for (;;) {
    const death = died();
    if (death) return new StartupError(death, "control-plane-died");
    if (Date.now() > deadline) return err;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A container of the pod and its PID 1; like kubectl, the first container unless one is named. */
function runningContainer(pod: Stored<Pod>, containerName: string | undefined): { pid: number; container: Container } {
  const podName = pod.metadata.name;
  const name = containerName ?? pod.spec.containers[0]?.name;
  const container = pod.spec.containers.find((c) => c.name === name);
  const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === name);
  if (!container || !status) throw new KemuError(`container ${name} not found in pod ${podName}`);
  const pid = /^kemu:\/\/(\d+)$/.exec(status.containerID ?? "")?.[1];
  if (!status.state?.running || !pid) throw new KemuError(`unable to exec: container ${name} in pod ${podName} is not running (${podStatusReason(pod)})`);
  return { pid: Number(pid), container };
}

export { ApiError };

/** The node lifecycle's timings from the start options, checked (a grace period under 2 s would flap under load). */
function nodeLifecycleSettings(o: StartOptions): Pick<ClusterConfig, "nodeMonitorGracePeriodSeconds" | "defaultUnreachableTolerationSeconds" | "defaultNotReadyTolerationSeconds"> {
  const check = (value: number | undefined, flag: string, min: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > 86_400) throw new KemuError(`${flag}: expected whole seconds between ${min} and 86400, got ${JSON.stringify(value)}`);
    return value;
  };
  return {
    nodeMonitorGracePeriodSeconds: check(o.nodeMonitorGracePeriodSeconds, "--node-monitor-grace-period", 2, DEFAULTS.nodeMonitorGracePeriodSeconds),
    defaultUnreachableTolerationSeconds: check(o.defaultUnreachableTolerationSeconds, "--default-unreachable-toleration-seconds", 0, DEFAULTS.defaultUnreachableTolerationSeconds),
    defaultNotReadyTolerationSeconds: check(o.defaultNotReadyTolerationSeconds, "--default-not-ready-toleration-seconds", 0, DEFAULTS.defaultNotReadyTolerationSeconds),
  };
}
