// The control plane process of one cluster: API server (REST on a unix
// socket for kemu's tools, and over HTTPS on 127.0.0.1 for kubectl),
// controllers, the emulated machines, and one agent per node.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync, openSync, closeSync, rmSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ApiServer } from "../api/apiserver.js";
import { RestServer } from "../api/server.js";
import { HttpsEndpoint } from "../api/https.js";
import { resourceByKind } from "../api/resources.js";
import type { KubeObject } from "../api/types.js";
import { DeploymentController } from "../controllers/deployment.js";
import { ReplicaSetController } from "../controllers/replicaset.js";
import { StatefulSetController } from "../controllers/statefulset.js";
import { DaemonSetController, DaemonSetTemplateGeneration } from "../controllers/daemonset.js";
import { JobController, JobSelectorGeneration } from "../controllers/job.js";
import { CronJobController } from "../controllers/cronjob.js";
import { TtlAfterFinishedController } from "../controllers/ttlafterfinished.js";
import { Scheduler } from "../controllers/scheduler.js";
import { NodeIpamController } from "../controllers/nodeipam.js";
import { GarbageCollector } from "../controllers/garbagecollector.js";
import { NAMESPACE_DELETION_GRACE_MS, NamespaceController } from "../controllers/namespace.js";
import { EndpointSliceController } from "../controllers/endpointslice.js";
import { EndpointsController } from "../controllers/endpoints.js";
import { ServiceAccountsController } from "../controllers/serviceaccount.js";
import { DisruptionController } from "../controllers/disruption.js";
import { NodeLifecycleController } from "../controllers/nodelifecycle/monitor.js";
import { TaintEvictionController } from "../controllers/nodelifecycle/eviction.js";
import { DefaultTolerationSeconds } from "../controllers/nodelifecycle/default-tolerations.js";
import type { Controller } from "../controllers/controller.js";
import { ServiceAllocation, defaultKubernetesService } from "../controllers/allocation/index.js";
import { announceLoadBalancerPool, createTopology, describeTopology } from "../linux/topology.js";
import { nodeAddress, outsideAddress } from "../linux/addressing.js";
import { netnsNames, netnsPath } from "../linux/names.js";
import { removeArtefacts, waitGone } from "../linux/cleanup.js";
import { cliEntry } from "../paths.js";
import { clusterPaths, type ClusterConfig } from "./config.js";
import type { AgentConfig } from "../agent/config.js";
import { currentLogFile, LogClock, servePodLog } from "./logs.js";
import { podStreamRoute } from "../api/stream/pod-streams.js";
import { containerEnviron, containerExecArgv } from "../agent/kubelet/exec-target.js";
import { coreDnsAddon, ingressRouterAddon } from "./addons.js";
import { LoadBalancerAnnouncer } from "../controllers/lb-announcer.js";
import { nextAgentRestart } from "./supervisor.js";
import { clusterPortForwardDeps, withPortForward } from "../api/stream/portforward.js";

const NAMESPACES = resourceByKind("Namespace")!;
const NODES = resourceByKind("Node")!;

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export class ControlPlane {
  readonly api = new ApiServer();
  private readonly paths;
  private rest?: RestServer;
  private https?: HttpsEndpoint;
  private controllers: Controller[] = [];
  private readonly agents = new Map<string, ChildProcess>();
  /** restarts of each node's agent since it last ran stably (see supervisor.ts) */
  private readonly agentRestarts = new Map<string, number>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly outsidePrograms: ChildProcess[] = [];
  private stopping?: Promise<void>;

  constructor(readonly config: ClusterConfig) {
    this.paths = clusterPaths(config.name);
    this.api.addAdmission(new ServiceAllocation(config));
    this.api.addAdmission(new JobSelectorGeneration());
    this.api.addAdmission(new DaemonSetTemplateGeneration());
    this.api.addAdmission(new DefaultTolerationSeconds(config.defaultNotReadyTolerationSeconds, config.defaultUnreachableTolerationSeconds));
  }

  nodeNames(): string[] {
    return Array.from({ length: this.config.nodes }, (_, i) => `node-${i + 1}`);
  }

  async start(): Promise<void> {
    const { paths, config } = this;
    mkdirSync(paths.pids, { recursive: true });
    mkdirSync(paths.nodes, { recursive: true });
    mkdirSync(paths.pods, { recursive: true });
    writeFileSync(join(paths.pids, "daemon"), `${process.pid}\n`);
    writeFileSync(paths.config, JSON.stringify({ ...config, pid: process.pid, socket: paths.socket }, null, 2));

    for (const name of SYSTEM_NAMESPACES) this.api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    // No selector and, kemu's API being a unix socket, no endpoints yet (see defaultKubernetesService).
    this.api.create(resourceByKind("Service")!, defaultKubernetesService(config.serviceCidr));
    for (const obj of [...coreDnsAddon(config), ...(config.ingress ? ingressRouterAddon() : [])]) this.api.create(resourceByKind(obj.kind, obj.apiVersion)!, obj);
    // When log lines were written (for timestamps and since), noted every second.
    const logClock = new LogClock(paths.pods);
    logClock.start();
    this.rest = new RestServer(this.api, {
      podLog: (ns, name, q, res, req) => servePodLog(this.api, paths.pods, logClock, ns, name, q, res, req),
      kemu: async (path, method) => this.kemuRoute(path, method),
      podUpgrade: withPortForward(clusterPortForwardDeps(this.api, config.name), podStreamRoute({ api: this.api, currentLogFile: (pod, container) => currentLogFile(paths.pods, pod, container), runtime: { execArgv: containerExecArgv, environ: containerEnviron } })),
    });
    // HTTPS for kubectl before the socket: once the socket answers, the endpoint's files are there for `kemu up` to read.
    this.https = new HttpsEndpoint(this.rest.server);
    const port = await this.https.listen(paths.dir, config.name);
    console.log(`API over HTTPS on https://127.0.0.1:${port}`);
    await this.rest.listen(paths.socket);

    this.controllers = [
      new NodeIpamController(this.api, config.clusterCidr),
      new Scheduler(this.api),
      new ReplicaSetController(this.api),
      new DeploymentController(this.api),
      new StatefulSetController(this.api),
      new DaemonSetController(this.api),
      new JobController(this.api),
      new CronJobController(this.api),
      new TtlAfterFinishedController(this.api),
      new GarbageCollector(this.api),
      new NamespaceController(this.api, { deletionGraceMs: NAMESPACE_DELETION_GRACE_MS }),
      new EndpointSliceController(this.api),
      new EndpointsController(this.api),
      new ServiceAccountsController(this.api),
      new DisruptionController(this.api),
      new NodeLifecycleController(this.api, { gracePeriodMs: config.nodeMonitorGracePeriodSeconds * 1000 }),
      new TaintEvictionController(this.api),
    ];
    for (const c of this.controllers) c.start();

    const nodes = this.nodeNames().map((name, i) => ({ name, index: i + 1, ip: nodeAddress(config.underlayCidr, i + 1) }));
    await createTopology(describeTopology(config.name, config.underlayCidr, nodes, outsideAddress(config.underlayCidr)));
    await announceLoadBalancerPool(config.name, config.loadBalancerPool, nodes.map((n) => n.ip));
    // Per-Service routes for externalTrafficPolicy Local, once the outside host exists.
    const announcer = new LoadBalancerAnnouncer(this.api, config.name);
    announcer.start();
    this.controllers.push(announcer);
    for (const n of nodes) this.api.create(NODES, nodeObject(n.name, n.ip));
    for (const n of nodes) this.startAgent(n.name, n.ip);
    if (config.testUpstreamDns) this.startOnOutside("test-upstream-dns", ["test-dns"]);
  }

  private startAgent(nodeName: string, nodeIp: string): void {
    const dir = join(this.paths.nodes, nodeName);
    mkdirSync(dir, { recursive: true });
    const agentConfig: AgentConfig = {
      cluster: this.config.name,
      nodeName,
      nodeIp,
      socketPath: this.paths.socket,
      stateDir: this.paths.dir,
      clusterCidr: this.config.clusterCidr,
      clusterDomain: this.config.clusterDomain,
      clusterDns: this.config.clusterDns,
      proxyMode: this.config.proxyMode,
      masqueradeAll: this.config.masqueradeAll,
      nodePortAddresses: this.config.nodePortAddresses,
      leaseDurationSeconds: this.config.nodeMonitorGracePeriodSeconds,
    };
    const configPath = join(dir, "agent.json");
    writeFileSync(configPath, JSON.stringify(agentConfig, null, 2));
    const log = openSync(join(dir, "agent.log"), "a");
    // nsenter joins only the network namespace: the agent shares the host's
    // mount namespace, so the pod namespaces it adds under /run/netns are visible to all.
    const child = spawn("nsenter", [`--net=${netnsPath(netnsNames.node(this.config.name, nodeName))}`, process.execPath, cliEntry(), "agent", configPath], {
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    if (child.pid) writeFileSync(join(this.paths.pids, `agent-${nodeName}`), `${child.pid}\n`);
    const startedAt = Date.now();
    child.on("exit", (code, signal) => {
      this.agents.delete(nodeName);
      if (this.stopping) return;
      // The supervisor: a dead agent is started again; it adopts its pods' sandboxes and containers.
      const { delayMs, restarts } = nextAgentRestart({ restarts: this.agentRestarts.get(nodeName) ?? 0, uptimeMs: Date.now() - startedAt });
      this.agentRestarts.set(nodeName, restarts);
      console.error(`agent ${nodeName} exited (${signal ?? code}); restarting it${delayMs ? ` in ${delayMs / 1000}s` : ""} (restart ${restarts}); see ${join(dir, "agent.log")}`);
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (!this.stopping) this.startAgent(nodeName, nodeIp);
      }, delayMs);
      this.restartTimers.add(timer);
    });
    this.agents.set(nodeName, child);
  }

  /** A kemu program on the outside host (a test DNS server, …), logged and recorded like the agents. */
  private startOnOutside(name: string, args: string[]): void {
    const log = openSync(join(this.paths.dir, `${name}.log`), "a");
    const child = spawn("nsenter", [`--net=${netnsPath(netnsNames.outside(this.config.name))}`, process.execPath, cliEntry(), ...args], { stdio: ["ignore", log, log] });
    closeSync(log);
    if (child.pid) writeFileSync(join(this.paths.pids, name), `${child.pid}\n`);
    this.outsidePrograms.push(child);
  }

  private async kemuRoute(path: string, method: string): Promise<unknown> {
    if (path === "/kemu/v1/shutdown" && method === "POST") {
      setImmediate(() => void this.stop().then(() => process.exit(0)));
      return { status: "stopping" };
    }
    if (path === "/kemu/v1/info") return { ...this.config, pid: process.pid, nodes: this.nodeNames() };
    throw new Error(`unknown kemu endpoint ${method} ${path}`);
  }

  /**
   * Stops agents (which stop their pods), then removes every artefact of the
   * cluster; `keepLog` leaves the daemon's log (a start-up that failed: the
   * user is told to read it, and `kemu down` removes it).
   */
  stop(options: { keepLog?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      for (const c of this.controllers) c.stop();
      for (const t of this.restartTimers) clearTimeout(t);
      const agentPids = [...this.agents.values()].map((a) => a.pid).filter((p): p is number => p !== undefined);
      for (const a of this.agents.values()) a.kill("SIGTERM");
      for (const p of this.outsidePrograms) p.kill("SIGTERM");
      await waitGone(agentPids, 10_000);
      await this.https?.close();
      await this.rest?.close();
      await removeArtefacts(this.config.name);
      if (!options.keepLog) return rmSync(this.paths.dir, { recursive: true, force: true });
      for (const entry of readdirSync(this.paths.dir)) if (join(this.paths.dir, entry) !== this.paths.daemonLog) rmSync(join(this.paths.dir, entry), { recursive: true, force: true });
    })();
    return this.stopping;
  }
}

function nodeObject(name: string, ip: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": process.arch === "x64" ? "amd64" : process.arch,
        "beta.kubernetes.io/os": "linux",
      },
      annotations: {
        "flannel.alpha.coreos.com/backend-type": "host-gw",
        "flannel.alpha.coreos.com/public-ip": ip,
        "flannel.alpha.coreos.com/kube-subnet-manager": "true",
      },
    },
    spec: {},
    status: {
      addresses: [
        { type: "InternalIP", address: ip },
        { type: "Hostname", address: name },
      ],
      conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady", message: "node agent is starting" }],
    },
  };
}
