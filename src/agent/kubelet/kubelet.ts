// The kubelet of one emulated node: for every pod bound to the node it builds
// the sandbox, runs the containers, restarts them by restartPolicy with
// back-off, reports status, and on deletion stops them gracefully
// (SIGTERM, terminationGracePeriodSeconds, SIGKILL) before removing the pod.
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ApiClient } from "../../api/client.js";
import { Informer } from "../../api/informer.js";
import { resourceByKind } from "../../api/resources.js";
import type { Container, KubeObject, Pod, Service, Stored } from "../../api/types.js";
import { serviceEnv } from "./servicelinks.js";
import { timestamp } from "../../api/meta.js";
import { ApiError } from "../../api/errors.js";
import { allocatePodIp, gatewayOf, prefixLength } from "../../linux/addressing.js";
import { netnsNames, podVethName } from "../../linux/names.js";
import { resolveProgram, ImageError } from "../../workloads/images.js";
import { createSandbox, destroySandbox, type SandboxSpec } from "./sandbox.js";
import { hostAccounts, launchContainer, readContainerPid } from "./runtime.js";
import { containerIdentity, identityArgs, SecurityContextError } from "./security-context.js";
import { prepareVolumeMounts, refreshConfigVolumes, VolumeError } from "./volumes.js";
import { ConfigSourceError, type ConfigMapData, type ConfigRef, type ConfigSources, type SecretData } from "./config-sources.js";
import { renderHostsFile, renderResolvConf } from "./podfiles.js";
import { buildEnv, expandVars } from "./env.js";
import { computePodStatus, terminatedReason, type ContainerFacts, type ContainerState } from "./status.js";
import { initialBackoff, onContainerExit, shouldRestart, type BackoffState, type RestartPolicy } from "./backoff.js";
import { Semaphore } from "../semaphore.js";
import { ProbeManager, type ContainerProbeStatus } from "./prober.js";
import type { ProbeTarget } from "./probe.js";
import { graceAfterPreStop, runPreStop } from "./hooks.js";
import { adoptedProcess, readExitFile, spawnedProcess, type ContainerProcess } from "./process.js";
import { processStartTime, signalIfSame } from "../../linux/processes.js";
import { exitFilePath, readRecoveredPods, writeContainerRecord, writeSandboxRecord, type ContainerRecord, type RecoveredPod } from "./records.js";
import { run as runCommand } from "../../linux/exec.js";
import { EventRecorder } from "../../api/event-recorder.js";

const PODS = resourceByKind("Pod")!;
const SERVICES = resourceByKind("Service")!;

export interface KubeletConfig {
  cluster: string;
  nodeName: string;
  nodeIp: string;
  podCidr: string;
  stateDir: string;
  clusterDomain: string;
  clusterDns: string[];
}

interface ContainerRun {
  spec: Container;
  /** the running launcher: started by this agent, or adopted from one that died */
  proc?: ContainerProcess;
  hostPid?: number;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  attempt: number;
  backoff: BackoffState;
  startedAtMs: number;
  env?: Record<string, string>;
  /** The launcher's identity options of the running container, for exec probes and hooks. */
  identity?: string[];
  restartTimer?: NodeJS.Timeout;
  exited?: Promise<void>;
  /** set while the kubelet itself is stopping the container (failed liveness/startup probe) */
  killReason?: string;
}

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly informer: Informer<Pod>;
  /** Services, for the environment variables of new containers (enableServiceLinks). */
  readonly services: Informer<Service>;
  /** ConfigMaps and Secrets, for env, envFrom and volumes (the kubelet's watch-based managers). */
  private readonly configMaps: Informer<KubeObject & ConfigMapData>;
  private readonly secrets: Informer<KubeObject & SecretData>;
  readonly configSources: ConfigSources;
  private readonly usedIps = new Set<string>();
  private lastIp?: string;
  /** Bounds concurrent `ip` executions when many pods arrive at once. */
  readonly netSetup = new Semaphore(8);
  /** What an earlier agent of this node left running, by pod UID, until its pod claims it. */
  private recovered = new Map<string, RecoveredPod>();

  /** The pod's story as `kubectl describe` shows it (source: kubelet on this node). */
  readonly events: EventRecorder;

  constructor(
    readonly api: ApiClient,
    readonly config: KubeletConfig,
  ) {
    this.events = new EventRecorder(api, { component: "kubelet", host: config.nodeName, log: (line) => console.error(`kubelet: ${line}`) });
    this.informer = new Informer<Pod>(api, PODS, { fieldSelector: `spec.nodeName=${config.nodeName}` });
    this.informer.on((type, pod) => this.onPod(type, pod));
    this.services = new Informer<Service>(api, SERVICES);
    this.configMaps = new Informer<KubeObject & ConfigMapData>(api, resourceByKind("ConfigMap")!);
    this.secrets = new Informer<KubeObject & SecretData>(api, resourceByKind("Secret")!);
    this.configSources = { configMap: (ns, name) => this.configMaps.get(ns, name), secret: (ns, name) => this.secrets.get(ns, name) };
    this.configMaps.on((_type, obj) => this.onConfigChange({ kind: "configMap", namespace: obj.metadata.namespace ?? "", name: obj.metadata.name }));
    this.secrets.on((_type, obj) => this.onConfigChange({ kind: "secret", namespace: obj.metadata.namespace ?? "", name: obj.metadata.name }));
  }

  /** A ConfigMap or Secret changed: the pods of its namespace refresh their volumes and retry what waited for it. */
  private onConfigChange(changed: ConfigRef): void {
    for (const worker of this.workers.values()) if (worker.namespace === changed.namespace) worker.configChanged(changed);
  }

  async start(): Promise<void> {
    const podsDir = join(this.config.stateDir, "pods");
    mkdirSync(podsDir, { recursive: true });
    // An agent restarted after a crash adopts the sandboxes and containers the dead one left.
    this.recovered = readRecoveredPods(podsDir, this.config.nodeName);
    for (const r of this.recovered.values()) this.usedIps.add(r.sandbox.ip);
    if (this.recovered.size) console.error(`kubelet: found ${this.recovered.size} pod sandbox(es) of an earlier agent on ${this.config.nodeName}`);
    await this.services.start();
    await Promise.all([this.configMaps.start(), this.secrets.start()]);
    await this.informer.start();
    // The first list has created a worker for every pod still bound here; the rest are orphans.
    await this.removeOrphans();
  }

  /** The sandbox an earlier agent recorded for this pod, handed over once. */
  takeRecovered(uid: string): RecoveredPod | undefined {
    const r = this.recovered.get(uid);
    this.recovered.delete(uid);
    return r;
  }

  /** Sandboxes of pods that were deleted (or moved) while no agent ran: their containers and namespaces go. */
  private async removeOrphans(): Promise<void> {
    const orphans = [...this.recovered.values()];
    this.recovered.clear();
    for (const o of orphans) {
      console.error(`kubelet: removing the sandbox of ${o.sandbox.namespace}/${o.sandbox.name}, which is no longer bound to ${this.config.nodeName}`);
      for (const c of o.containers.values()) {
        signalIfSame(c.launcherPid, c.launcherStartTime, "SIGKILL");
      }
      await destroySandbox({ netns: o.sandbox.netns, veth: podVethName(o.sandbox.uid) }).catch((err: Error) => console.error(`kubelet: ${err.message}`));
      this.releaseIp(o.sandbox.ip);
      rmSync(o.dir, { recursive: true, force: true });
    }
  }

  private onPod(type: "ADDED" | "MODIFIED" | "DELETED", pod: Stored<Pod>): void {
    let worker = this.workers.get(pod.metadata.uid);
    if (!worker) {
      if (type === "DELETED") return;
      worker = new PodWorker(this, pod);
      this.workers.set(pod.metadata.uid, worker);
    }
    worker.update(pod, type === "DELETED");
  }

  forget(uid: string): void {
    this.workers.delete(uid);
  }

  allocateIp(): string {
    const ip = allocatePodIp(this.config.podCidr, this.usedIps, this.lastIp);
    if (!ip) throw new Error(`no free pod IP left in ${this.config.podCidr}`);
    this.usedIps.add(ip);
    this.lastIp = ip;
    return ip;
  }

  releaseIp(ip: string): void {
    this.usedIps.delete(ip);
  }

  /** Node shutdown (cluster down): no grace, everything goes at once. */
  async stopAll(): Promise<void> {
    this.informer.stop();
    this.services.stop();
    await Promise.all([...this.workers.values()].map((w) => w.terminate(0, false)));
  }
}

class PodWorker {
  private pod: Stored<Pod>;
  private gone = false;
  private busy = false;
  private again = false;
  private terminating?: Promise<void>;
  private readonly dir: string;
  private readonly sandbox: SandboxSpec;
  private sandboxReady = false;
  private sandboxError?: string;
  private readonly containers = new Map<string, ContainerRun>();
  private readonly startTime: string;
  /** set until the sandbox and containers an earlier agent left for this pod are taken over */
  private adopted?: RecoveredPod;
  private lastStatus = "";
  private statusTimer?: NodeJS.Timeout;
  private readonly probes: ProbeManager;
  private readonly probeStatus = new Map<string, ContainerProbeStatus>();
  private statusPushing = false;
  private statusDirty = false;

  constructor(
    private readonly kubelet: Kubelet,
    pod: Stored<Pod>,
  ) {
    this.pod = pod;
    const { cluster, stateDir, podCidr } = kubelet.config;
    this.dir = join(stateDir, "pods", pod.metadata.uid);
    this.sandbox = {
      netns: netnsNames.pod(cluster, pod.metadata.uid),
      veth: podVethName(pod.metadata.uid),
      ip: "",
      prefix: prefixLength(podCidr),
      gateway: gatewayOf(podCidr),
    };
    this.adopted = kubelet.takeRecovered(pod.metadata.uid);
    if (this.adopted) this.sandbox.ip = this.adopted.sandbox.ip;
    this.startTime = (this.adopted && pod.status?.startTime) || timestamp();
    this.probes = new ProbeManager(pod.spec.containers, (name) => this.probeTarget(name), (name, status) => this.onProbeStatus(name, status), {
      // prober.go runProbeWithRetries' caller: every failed (or errored) probe is an Unhealthy event; repeats add to its count
      onContainerResult: (name, kind, result) => {
        const label = kind === "readiness" ? "Readiness" : kind === "liveness" ? "Liveness" : "Startup";
        if (result.error) void this.containerEvent(name, "Warning", "Unhealthy", `${label} probe errored: ${result.output}`);
        else if (result.result === "failure") void this.containerEvent(name, "Warning", "Unhealthy", `${label} probe failed: ${result.output}`);
        else if (result.warning) void this.containerEvent(name, "Warning", "ProbeWarning", `${label} probe warning: ${result.output}`);
      },
    });
  }

  /** An Event about one of the pod's containers (fieldPath spec.containers{name}, as the kubelet's recordContainerEvent). */
  private containerEvent(container: string, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    return this.kubelet.events.record(this.pod, type, reason, message, `spec.containers{${container}}`);
  }

  private probeTarget(name: string): ProbeTarget | undefined {
    const run = this.containers.get(name);
    if (run?.state.kind !== "running" || run.hostPid === undefined) return undefined;
    return {
      podIP: this.sandbox.ip,
      containerPid: run.hostPid,
      containerId: `kemu://${run.hostPid}`,
      startedAtMs: run.startedAtMs,
      containerPorts: (run.spec.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
      env: run.env,
      identity: run.identity,
      cwd: run.spec.workingDir,
    };
  }

  get namespace(): string {
    return this.pod.metadata.namespace ?? "default";
  }

  /** A ConfigMap or Secret of the pod's namespace changed. */
  configChanged(changed: ConfigRef): void {
    if (this.terminating || this.gone || !this.sandboxReady) return;
    for (const error of refreshConfigVolumes(this.pod, this.dir, this.kubelet.configSources, changed)) console.error(`kubelet: pod ${this.namespace}/${this.pod.metadata.name}: ${error}`);
    // containers waiting for a missing ConfigMap or Secret (env or volume) try again now, not at their next retry
    for (const run of this.containers.values()) {
      if (run.state.kind !== "waiting" || (run.state.reason !== "CreateContainerConfigError" && run.state.reason !== "ContainerCreating") || run.proc) continue;
      if (run.restartTimer) clearTimeout(run.restartTimer);
      this.restartContainer(run);
    }
  }

  private onProbeStatus(name: string, status: ContainerProbeStatus): void {
    this.probeStatus.set(name, status);
    const run = this.containers.get(name);
    if (status.restart && run?.proc && !run.killReason && !this.terminating) {
      // A failed liveness (or startup) probe: stop the container; restartPolicy decides what follows.
      run.killReason = `Container ${name} failed ${status.restart.probe} probe, will be restarted: ${status.restart.message}`;
      console.error(`kubelet: pod ${this.pod.metadata.namespace}/${this.pod.metadata.name}: ${run.killReason}`);
      void this.containerEvent(name, "Normal", "Killing", `Container ${name} failed ${status.restart.probe} probe, will be restarted`);
      const proc = run.proc;
      const grace = this.pod.spec.terminationGracePeriodSeconds ?? 30;
      proc.kill("SIGTERM");
      setTimeout(() => run.proc === proc && proc.kill("SIGKILL"), grace * 1000).unref();
    }
    this.scheduleStatus();
  }

  update(pod: Stored<Pod>, deleted: boolean): void {
    this.pod = pod;
    if (deleted) this.gone = true;
    // Someone else changed what the kubelet owns (the node lifecycle controller marked the
    // pod not Ready while this node was silent): post the kubelet's view again.
    if (this.lastStatus && kubeletOwned(pod.status) !== kubeletOwned(JSON.parse(this.lastStatus) as Pod["status"])) {
      this.lastStatus = "";
      this.scheduleStatus();
    }
    this.kick();
  }

  private kick(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void (async () => {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          console.error(`kubelet: pod ${this.pod.metadata.namespace}/${this.pod.metadata.name}: ${(err as Error).message}`);
          setTimeout(() => this.kick(), 1_000).unref();
        }
      } while (this.again);
      this.busy = false;
    })();
  }

  private async sync(): Promise<void> {
    if (this.gone || this.pod.metadata.deletionTimestamp) {
      const deadline = this.pod.metadata.deletionTimestamp ? Date.parse(this.pod.metadata.deletionTimestamp) : Date.now();
      const grace = this.gone ? 0 : Math.max(0, this.pod.metadata.deletionGracePeriodSeconds ?? Math.ceil((deadline - Date.now()) / 1000));
      await this.terminate(grace, !this.gone);
      return;
    }
    if (!this.sandboxReady) {
      if (this.adopted) await this.adoptSandbox();
      else await this.createSandbox();
      if (this.sandboxReady) {
        this.probes.start();
        if (this.adopted) this.adoptContainers(this.adopted);
        this.adopted = undefined;
      }
    }
    if (!this.sandboxReady) return;
    for (const spec of this.pod.spec.containers) {
      const run = this.containers.get(spec.name);
      if (!run) this.startContainer(spec, undefined);
    }
    this.scheduleStatus();
  }

  private async createSandbox(): Promise<void> {
    const { config } = this.kubelet;
    try {
      if (!this.sandbox.ip) this.sandbox.ip = this.kubelet.allocateIp();
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(join(this.dir, "resolv.conf"), renderResolvConf(this.pod, { clusterDomain: config.clusterDomain, clusterDns: config.clusterDns, hostResolvConf: hostResolvConf() }));
      writeFileSync(join(this.dir, "hosts"), renderHostsFile(this.pod, this.sandbox.ip, config.clusterDomain));
      writeSandboxRecord(this.dir, {
        namespace: this.pod.metadata.namespace ?? "default",
        name: this.pod.metadata.name,
        uid: this.pod.metadata.uid,
        node: config.nodeName,
        netns: this.sandbox.netns,
        ip: this.sandbox.ip,
      });
      await this.kubelet.netSetup.run(() => createSandbox(this.sandbox));
      this.sandboxReady = true;
      this.sandboxError = undefined;
    } catch (err) {
      this.sandboxError = (err as Error).message;
      console.error(`kubelet: sandbox for ${this.pod.metadata.namespace}/${this.pod.metadata.name}: ${this.sandboxError}`);
      void this.kubelet.events.warn(this.pod, "FailedCreatePodSandBox", `Failed to create pod sandbox: ${this.sandboxError}`);
      this.scheduleStatus();
      setTimeout(() => this.kick(), 2_000).unref();
    }
  }

  /**
   * The sandbox an earlier agent made: kept when its namespace and veth are
   * still there (the pod keeps its IP and its running containers), made
   * again with the same IP otherwise.
   */
  private async adoptSandbox(): Promise<void> {
    const { netns, veth, ip } = this.sandbox;
    const whole = existsSync(`/run/netns/${netns}`) && (await runCommand("ip", ["-o", "link", "show", "dev", veth], { okCodes: [1] }).catch(() => "")) !== "";
    if (!whole) {
      console.error(`kubelet: the sandbox of ${this.pod.metadata.namespace}/${this.pod.metadata.name} is incomplete: making it again`);
      for (const c of this.adopted?.containers.values() ?? []) {
        signalIfSame(c.launcherPid, c.launcherStartTime, "SIGKILL");
      }
      this.adopted = undefined;
      await destroySandbox(this.sandbox).catch(() => undefined);
      return this.createSandbox();
    }
    // The route to the pod is the node's half of the sandbox: make sure it is there.
    await runCommand("ip", ["route", "replace", `${ip}/32`, "dev", veth, "scope", "link"]);
    this.sandboxReady = true;
    this.sandboxError = undefined;
  }

  /** Takes over the containers an earlier agent started: running ones are watched, ended ones restarted by policy. */
  private adoptContainers(adopted: RecoveredPod): void {
    for (const spec of this.pod.spec.containers) {
      const record = adopted.containers.get(spec.name);
      if (!record) continue;
      const previous = this.pod.status?.containerStatuses?.find((c) => c.name === spec.name)?.lastState?.terminated;
      const run: ContainerRun = {
        spec,
        state: { kind: "running", startedAt: timestamp(record.startedAtMs) },
        ...(previous ? { lastState: { kind: "terminated", exitCode: previous.exitCode, reason: previous.reason ?? "", message: previous.message, startedAt: previous.startedAt ?? "", finishedAt: previous.finishedAt ?? "" } } : {}),
        restartCount: record.restartCount,
        attempt: record.attempt,
        backoff: initialBackoff(),
        startedAtMs: record.startedAtMs,
        hostPid: record.hostPid,
      };
      this.containers.set(spec.name, run);
      try {
        run.env = this.containerEnv(spec);
        run.identity = identityArgs(containerIdentity(this.pod, spec, hostAccounts()));
      } catch {
        /* only exec probes and hooks use these */
      }
      const exitFile = exitFilePath(this.dir, spec.name, record.attempt);
      if (processStartTime(record.launcherPid) === record.launcherStartTime) {
        const proc = adoptedProcess(record.launcherPid, record.launcherStartTime, exitFile);
        this.watch(run, proc);
        run.hostPid ??= readContainerPid(join(this.dir, `${spec.name}.pid`));
        if (run.hostPid !== undefined) this.probes.containerStarted(spec.name);
        console.error(`kubelet: adopted container ${spec.name} of ${this.pod.metadata.namespace}/${this.pod.metadata.name} (pid ${run.hostPid})`);
      } else {
        // It ended while no agent was watching: what the launcher wrote says how.
        run.proc = undefined;
        // No exit file: the launcher itself was killed before it could write one.
        const ended = readExitFile(exitFile) ?? { code: null, signal: "SIGKILL" as const };
        console.error(`kubelet: container ${spec.name} of ${this.pod.metadata.namespace}/${this.pod.metadata.name} ended while the agent was down (${ended.signal ?? `exit ${ended.code}`})`);
        this.onExit(run, undefined, ended.code, ended.signal);
      }
    }
  }

  /** A container's environment: the Service links, then its own env (the downward API resolved). */
  private containerEnv(spec: Container): Record<string, string> {
    const { config } = this.kubelet;
    const links = serviceEnv(this.kubelet.services.list(), this.pod.metadata.namespace ?? "default", { enableServiceLinks: this.pod.spec.enableServiceLinks ?? true });
    return buildEnv(this.pod, spec, { podIp: this.sandbox.ip, hostIp: config.nodeIp, nodeName: config.nodeName }, links, this.kubelet.configSources);
  }

  /** Wires a container process's end into the kubelet. */
  private watch(run: ContainerRun, proc: ContainerProcess): void {
    run.proc = proc;
    run.exited = proc.exited.then(({ code, signal }) => this.onExit(run, proc, code, signal));
  }

  private startContainer(spec: Container, previous: ContainerRun | undefined): void {
    const run: ContainerRun = previous ?? {
      spec,
      state: { kind: "waiting", reason: "ContainerCreating" },
      restartCount: 0,
      attempt: 0,
      backoff: initialBackoff(),
      startedAtMs: 0,
    };
    this.containers.set(spec.name, run);
    try {
      const env = this.containerEnv(spec);
      const program = resolveProgram(spec, (s) => expandVars(s, env), { apiSocket: this.kubelet.api.socketPath });
      const identity = containerIdentity(this.pod, spec, hostAccounts());
      const volumes = prepareVolumeMounts(this.pod, spec, this.dir, this.kubelet.configSources);
      const exitFile = exitFilePath(this.dir, spec.name, run.attempt);
      mkdirSync(dirname(exitFile), { recursive: true });
      rmSync(exitFile, { force: true });
      const launched = launchContainer({
        exitFile,
        podDir: this.dir,
        netns: this.sandbox.netns,
        hostname: this.pod.spec.hostname ?? this.pod.metadata.name,
        container: spec.name,
        attempt: run.attempt,
        file: program.file,
        args: program.args,
        env,
        cwd: spec.workingDir,
        identity,
        readOnlyPaths: program.readOnlyPaths,
        volumes,
      });
      const child = launched.child;
      child.once("error", (err) => console.error(`kubelet: cannot start kemu-sandbox: ${err.message}`));
      // kuberuntime startContainer: the image is "pulled" (kemu's programs are always present), created, started
      void this.containerEvent(spec.name, "Normal", "Pulled", `Container image ${JSON.stringify(spec.image)} already present on machine`);
      void this.containerEvent(spec.name, "Normal", "Created", `Created container: ${spec.name}`);
      void this.containerEvent(spec.name, "Normal", "Started", `Started container ${spec.name}`);
      const proc = spawnedProcess(child);
      this.watch(run, proc);
      run.hostPid = undefined;
      run.env = env;
      run.identity = identityArgs(identity);
      run.killReason = undefined;
      run.startedAtMs = Date.now();
      run.state = { kind: "running", startedAt: timestamp(run.startedAtMs) };
      // What a restarted agent needs to adopt this run (written again once the program's PID is known).
      const record = (): ContainerRecord | undefined => {
        const startTime = child.pid ? processStartTime(child.pid) : undefined;
        if (!child.pid || startTime === undefined) return undefined;
        return { name: spec.name, attempt: run.attempt, restartCount: run.restartCount, launcherPid: child.pid, launcherStartTime: startTime, hostPid: run.hostPid, startedAtMs: run.startedAtMs };
      };
      const writeRecord = () => {
        const r = record();
        if (r) writeContainerRecord(this.dir, r);
      };
      writeRecord();
      // The launcher writes the container's host PID right after fork; under load that can take a while.
      const readPid = (attempt: number) => {
        if (run.proc !== proc) return;
        run.hostPid = readContainerPid(launched.pidfile);
        if (run.hostPid === undefined) setTimeout(() => readPid(attempt + 1), attempt < 100 ? 5 : 100).unref();
        else {
          writeRecord();
          this.probes.containerStarted(spec.name);
          this.scheduleStatus();
        }
      };
      readPid(0);
    } catch (err) {
      const reason = err instanceof ImageError || err instanceof SecurityContextError || err instanceof VolumeError || err instanceof ConfigSourceError ? err.reason : "CreateContainerError";
      run.state = { kind: "waiting", reason, message: (err as Error).message };
      // a volume that cannot be set up is the pod's FailedMount; anything else the container's Failed
      if (err instanceof VolumeError && err.reason === "ContainerCreating") void this.kubelet.events.warn(this.pod, "FailedMount", (err as Error).message);
      else void this.containerEvent(spec.name, "Warning", "Failed", `Error: ${(err as Error).message}`);
      // Configuration errors are retried, as the kubelet does, in case the pod is fixed.
      run.restartTimer = setTimeout(() => this.restartContainer(run), 10_000);
      run.restartTimer.unref();
    }
    this.scheduleStatus();
  }

  private onExit(run: ContainerRun, proc: ContainerProcess | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.proc !== proc) return;
    run.proc = undefined;
    const exitCode = code ?? 128 + signalNumber(signal);
    const finished: ContainerState = {
      kind: "terminated",
      exitCode,
      reason: terminatedReason(exitCode),
      startedAt: timestamp(run.startedAtMs),
      finishedAt: timestamp(),
      ...(exitCode >= 125 && exitCode <= 127 ? { message: lastLogLine(this.dir, run) } : run.killReason ? { message: run.killReason } : {}),
    };
    run.state = finished;
    if (this.terminating || this.gone || this.pod.metadata.deletionTimestamp) {
      this.scheduleStatus();
      return;
    }
    const policy = (this.pod.spec.restartPolicy ?? "Always") as RestartPolicy;
    if (!shouldRestart(policy, exitCode)) {
      this.scheduleStatus();
      return;
    }
    const { delayMs, next } = onContainerExit(run.backoff, Date.now() - run.startedAtMs);
    run.backoff = next;
    if (delayMs === 0) {
      this.restartContainer(run);
      return;
    }
    run.lastState = finished;
    run.state = {
      kind: "waiting",
      reason: "CrashLoopBackOff",
      message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${run.spec.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`,
    };
    run.restartTimer = setTimeout(() => this.restartContainer(run), delayMs);
    run.restartTimer.unref();
    void this.containerEvent(run.spec.name, "Warning", "BackOff", `Back-off restarting failed container ${run.spec.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`);
    this.scheduleStatus();
  }

  private restartContainer(run: ContainerRun): void {
    if (this.terminating || this.gone || this.pod.metadata.deletionTimestamp) return;
    if (run.state.kind === "terminated") run.lastState = run.state;
    if (run.state.kind === "terminated" || (run.state.kind === "waiting" && run.state.reason === "CrashLoopBackOff")) {
      run.restartCount += 1;
      run.attempt += 1;
    }
    const spec = this.pod.spec.containers.find((c) => c.name === run.spec.name) ?? run.spec;
    run.spec = spec;
    this.startContainer(spec, run);
  }

  /** Stops every container (SIGTERM, then SIGKILL after grace seconds) and removes the sandbox. */
  terminate(graceSeconds: number, deleteFromApi: boolean): Promise<void> {
    this.terminating ??= (async () => {
      this.probes.stop();
      const runs = [...this.containers.values()];
      for (const r of runs) if (r.restartTimer) clearTimeout(r.restartTimer);
      if (graceSeconds > 0) graceSeconds = await this.runPreStopHooks(runs, graceSeconds);
      const alive = runs.filter((r) => r.proc);
      // kuberuntime killContainer: "Stopping container" for each one still running (not after the pod is gone from the API)
      if (!this.gone) for (const r of alive) void this.containerEvent(r.spec.name, "Normal", "Killing", `Stopping container ${r.spec.name}`);
      for (const r of alive) r.proc!.kill(graceSeconds > 0 ? "SIGTERM" : "SIGKILL");
      if (alive.length && graceSeconds > 0) {
        const timer = new Promise<void>((resolve) => setTimeout(resolve, graceSeconds * 1000).unref());
        await Promise.race([Promise.all(alive.map((r) => r.exited)), timer]);
        for (const r of alive) r.proc?.kill("SIGKILL");
      }
      await Promise.all(alive.map((r) => r.exited));
      if (this.sandboxReady || this.sandbox.ip) await destroySandbox(this.sandbox).catch((err: Error) => console.error(`kubelet: ${err.message}`));
      if (this.sandbox.ip) this.kubelet.releaseIp(this.sandbox.ip);
      rmSync(this.dir, { recursive: true, force: true });
      if (this.statusTimer) clearTimeout(this.statusTimer);
      this.kubelet.forget(this.pod.metadata.uid);
      if (deleteFromApi) {
        try {
          await this.kubelet.api.delete(PODS, this.pod.metadata.namespace, this.pod.metadata.name, { gracePeriodSeconds: 0 });
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
        }
      }
    })();
    return this.terminating;
  }

  /**
   * Coalesces status changes and sends them one at a time: two writes in
   * flight at once could arrive out of order and leave a stale status behind.
   */
  /** preStop hooks of running containers, in parallel; their time comes off the grace period. */
  private async runPreStopHooks(runs: ContainerRun[], graceSeconds: number): Promise<number> {
    const started = Date.now();
    const hooks = runs.filter((r) => r.proc && r.spec.lifecycle?.preStop);
    if (hooks.length === 0) return graceSeconds;
    await Promise.all(
      hooks.map((r) => {
        const target = this.probeTarget(r.spec.name);
        if (!target) return undefined;
        return runPreStop(r.spec.lifecycle!.preStop!, target, graceSeconds * 1000, { container: r.spec.name, pod: `${this.pod.metadata.namespace}/${this.pod.metadata.name}` });
      }),
    );
    return graceAfterPreStop(graceSeconds, Date.now() - started);
  }

  private scheduleStatus(): void {
    if (this.terminating) return;
    if (this.statusPushing) {
      this.statusDirty = true;
      return;
    }
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.statusPushing = true;
      void (async () => {
        do {
          this.statusDirty = false;
          await this.pushStatus().catch((err: Error) => {
            if (!(err instanceof ApiError && err.reason === "NotFound")) console.error(`kubelet: status of ${this.pod.metadata.name}: ${err.message}`);
          });
        } while (this.statusDirty && !this.terminating);
        this.statusPushing = false;
      })();
    }, 10);
  }

  private async pushStatus(): Promise<void> {
    if (this.terminating || this.gone) return;
    const facts: ContainerFacts[] = this.pod.spec.containers.map((spec) => {
      const run = this.containers.get(spec.name);
      const waiting: ContainerState = { kind: "waiting", reason: "ContainerCreating" };
      // Running counts from the moment the container's PID 1 exists (so Ready pods can be exec'd into).
      const started = run?.state.kind !== "running" || run.hostPid !== undefined;
      const probed = this.probeStatus.get(spec.name) ?? this.probes.status(spec.name);
      const running = run?.state.kind === "running" && started;
      return {
        name: spec.name,
        image: spec.image ?? "",
        state: run && started ? run.state : waiting,
        lastState: run?.lastState,
        restartCount: run?.restartCount ?? 0,
        ready: running && probed.ready,
        started: running && probed.started,
        containerId: run?.hostPid ? `kemu://${run.hostPid}` : undefined,
      };
    });
    const status = computePodStatus(
      { pod: this.pod, hostIp: this.kubelet.config.nodeIp, podIp: this.sandbox.ip || undefined, sandboxReady: this.sandboxReady, startTime: this.startTime, containers: facts },
      this.pod.status,
      timestamp(),
    );
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    await this.kubelet.api.update(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: this.pod.metadata.name, namespace: this.pod.metadata.namespace }, status }, { subresource: "status" });
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) || 0;
}

function lastLogLine(dir: string, run: ContainerRun): string {
  try {
    const text = readFileSync(join(dir, "logs", run.spec.name, `${run.attempt}.log`), "utf8").trim().split("\n");
    return text[text.length - 1] ?? "";
  } catch {
    return "";
  }
}

let cachedResolvConf: string | undefined;
function hostResolvConf(): string {
  if (cachedResolvConf === undefined) {
    try {
      cachedResolvConf = readFileSync("/etc/resolv.conf", "utf8");
    } catch {
      cachedResolvConf = "";
    }
  }
  return cachedResolvConf;
}

/** The part of a pod's status the kubelet owns: what it must post again if someone else changed it. */
function kubeletOwned(status: Pod["status"]): string {
  const owned = new Set(["Ready", "ContainersReady", "Initialized", "PodReadyToStartContainers"]);
  return JSON.stringify({
    phase: status?.phase,
    conditions: (status?.conditions ?? []).filter((c) => owned.has(c.type)).map((c) => [c.type, c.status]),
    containers: (status?.containerStatuses ?? []).map((c) => [c.name, c.ready, c.restartCount, c.containerID ?? ""]),
  });
}
