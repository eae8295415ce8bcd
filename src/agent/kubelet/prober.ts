// Periodic probing of containers, as the kubelet's probe workers do it
// (pkg/kubelet/prober/worker.go): one ProbeWorker per container and probe
// kind, and a ProbeManager that groups a pod's workers and combines them into
// "started", "ready" and "restart this container".
//
// Semantics kept from upstream:
// - the first probe runs when the worker starts, then every periodSeconds
//   (a fixed-rate ticker; a probe that overruns delays the next tick);
// - no probe while fewer than initialDelaySeconds (whole seconds) have passed
//   since the container started;
// - readiness starts not-ready, liveness healthy, startup not-started;
// - liveness and readiness are not run until the startup probe succeeded;
//   the startup probe stops once it succeeded;
// - a result changes the state only after successThreshold successes or
//   failureThreshold failures in a row (successThreshold is 1 for liveness
//   and startup);
// - a liveness or startup failure past the threshold asks for a restart and
//   probing pauses until a new container (new containerId/containerPid);
// - a new container starts again from the initial state;
// - a container that is not running is not ready;
// - a run that could not be made at all (ProbeResult.error) is retried up to
//   3 times and then ignored, not counted as a failure.
import type { Container } from "../../api/types.js";
import { MAX_PROBE_RETRIES, runProbe as defaultRunProbe, type CommandRunner, type Probe, type ProbeResult, type ProbeTarget } from "./probe.js";

export type ProbeKind = "readiness" | "liveness" | "startup";

export interface ReadinessState {
  ready: boolean;
  /** "Readiness probe failed: <output>" after a failure. */
  message?: string;
}

export interface LivenessState {
  healthy: boolean;
  /**
   * The probe failed failureThreshold times: the kubelet should kill the
   * container ("Container X failed liveness probe, will be restarted") and
   * then restart it by the pod's restartPolicy. Stays true until the worker
   * sees a new container.
   */
  shouldRestart: boolean;
  /** "Liveness probe failed: <output>" after a failure. */
  message?: string;
}

export interface StartupState {
  started: boolean;
  /** As for liveness: the startup probe failed failureThreshold times. */
  shouldRestart: boolean;
  /** "Startup probe failed: <output>" after a failure. */
  message?: string;
}

export interface ProbeStates {
  readiness: ReadinessState;
  liveness: LivenessState;
  startup: StartupState;
}

/** Schedules fn after ms; returns a function that cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface ProbeWorkerOptions {
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Timer (default setTimeout, unref'd). */
  setTimer?: SetTimer;
  /** Runs one probe (default runProbe of probe.ts); tests inject scripted results. */
  runProbe?: (probe: Probe, target: ProbeTarget) => Promise<ProbeResult>;
  /** Command runner for exec probes, handed to the default runProbe. */
  runCommand?: CommandRunner;
  /**
   * For liveness and readiness: whether the container identified by
   * containerKey has passed its startup probe. Default: always (no startup probe).
   */
  isStarted?: (containerKey: string) => boolean;
  /** Every completed run, for logs and events ("Liveness probe failed: …"). */
  onResult?: (kind: ProbeKind, result: ProbeResult) => void;
}

const LABEL: Record<ProbeKind, string> = { readiness: "Readiness", liveness: "Liveness", startup: "Startup" };

/** The identity of one run of a container, as the workers use it. */
export function containerKeyOf(target: ProbeTarget): string {
  return target.containerId ?? (target.containerPid !== undefined ? `pid:${target.containerPid}` : "");
}

function initialState<K extends ProbeKind>(kind: K): ProbeStates[K] {
  const states: ProbeStates = {
    readiness: { ready: false },
    liveness: { healthy: true, shouldRestart: false },
    startup: { started: false, shouldRestart: false },
  };
  return states[kind];
}

const realTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/** Probe timing with upstream's defaults applied. */
export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(kind: ProbeKind, probe: Probe): ProbeTiming {
  const atLeast1 = (v: number | undefined, d: number) => (v === undefined || v < 1 ? d : v);
  return {
    initialDelaySeconds: Math.max(0, probe.initialDelaySeconds ?? 0),
    periodSeconds: atLeast1(probe.periodSeconds, 10),
    timeoutSeconds: atLeast1(probe.timeoutSeconds, 1),
    // API validation requires 1 for liveness and startup.
    successThreshold: kind === "readiness" ? atLeast1(probe.successThreshold, 1) : 1,
    failureThreshold: atLeast1(probe.failureThreshold, 3),
  };
}

/**
 * Probes one container for one kind of probe, periodically, from start()
 * until stop(). `target()` describes the container's current run, or
 * undefined while it is not running. `onChange` is called whenever the
 * state's flags change (ready / healthy / started / shouldRestart).
 */
export class ProbeWorker<K extends ProbeKind = ProbeKind> {
  readonly timing: ProbeTiming;
  private current: ProbeStates[K];
  private key: string | undefined;
  private startedAt = 0;
  private lastResult: "success" | "failure" | undefined;
  private resultRun = 0;
  private onHold = false;
  private running = false;
  private stopped = true;
  private inFlight = false;
  private pending = false;
  private nextTickAt = 0;
  private cancelTimer?: () => void;
  private readonly now: () => number;
  private readonly setTimer: SetTimer;
  private readonly run: (probe: Probe, target: ProbeTarget) => Promise<ProbeResult>;

  constructor(
    readonly kind: K,
    readonly probe: Probe,
    private readonly target: () => ProbeTarget | undefined,
    private readonly onChange: (state: ProbeStates[K]) => void,
    private readonly options: ProbeWorkerOptions = {},
  ) {
    this.timing = probeTiming(kind, probe);
    this.current = initialState(kind);
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? realTimer;
    const runCommand = options.runCommand;
    this.run = options.runProbe ?? ((p, t) => defaultRunProbe(p, t, { runCommand }));
  }

  /** The current state (a copy). */
  get state(): ProbeStates[K] {
    return { ...this.current };
  }

  /** The container run the state belongs to (undefined before the first one was seen). */
  get containerKey(): string | undefined {
    return this.key;
  }

  /** Probes now, then every periodSeconds. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.nextTickAt = this.now();
    this.tick();
  }

  /** Stops probing; a run in flight is ignored. Safe to call more than once. */
  stop(): void {
    this.stopped = true;
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /**
   * Runs a probe now, outside the period (upstream's manual trigger, used
   * for readiness when a not-ready container's status is synced). A trigger
   * during a run makes one more run right after it.
   */
  trigger(): void {
    if (this.stopped) return;
    void this.probeOnce();
  }

  /**
   * Forgets the container: the state goes back to the initial one at once
   * and the next run treats the container as new. The kubelet calls it when
   * it (re)starts the container; a new containerId/containerPid has the same
   * effect at the next run.
   */
  reset(): void {
    this.key = undefined;
    this.lastResult = undefined;
    this.resultRun = 0;
    this.onHold = false;
    this.setState({ ...initialState(this.kind) });
  }

  private tick(): void {
    if (this.stopped) return;
    void this.probeOnce();
    // A fixed-rate ticker; ticks missed while the event loop was busy are dropped.
    const period = this.timing.periodSeconds * 1000;
    const now = this.now();
    this.nextTickAt += period;
    if (this.nextTickAt <= now) this.nextTickAt += Math.ceil((now - this.nextTickAt + 1) / period) * period;
    this.cancelTimer = this.setTimer(() => this.tick(), this.nextTickAt - now);
  }

  private async probeOnce(): Promise<void> {
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = true;
    try {
      await this.doProbe();
    } catch (err) {
      console.error(`prober: ${this.kind} probe: ${(err as Error).message}`);
    } finally {
      this.inFlight = false;
    }
    if (this.pending && !this.stopped) {
      this.pending = false;
      await this.probeOnce();
    }
  }

  private async doProbe(): Promise<void> {
    const target = this.target();
    if (!target) {
      // Not running: not ready. Liveness and startup keep their state.
      if (this.kind === "readiness") this.apply("failure", this.current.message);
      return;
    }
    const key = containerKeyOf(target);
    if (key !== this.key) {
      this.key = key;
      this.startedAt = target.startedAtMs ?? this.now();
      this.lastResult = undefined;
      this.resultRun = 0;
      this.onHold = false;
      this.setState({ ...initialState(this.kind) });
    }
    if (this.onHold) return;
    if (Math.trunc((this.now() - this.startedAt) / 1000) < this.timing.initialDelaySeconds) return;
    if (this.kind === "startup") {
      if ((this.current as StartupState).started) return;
    } else if (this.options.isStarted && !this.options.isStarted(key)) return;

    let result: ProbeResult | undefined;
    for (let attempt = 0; attempt < MAX_PROBE_RETRIES; attempt++) {
      result = await this.run(this.probe, target);
      if (!result.error) break;
    }
    if (this.stopped || this.key !== key || !result) return;
    this.options.onResult?.(this.kind, result);
    if (result.error) return;

    const r = result.result;
    if (this.lastResult === r) this.resultRun++;
    else {
      this.lastResult = r;
      this.resultRun = 1;
    }
    if ((r === "failure" && this.resultRun < this.timing.failureThreshold) || (r === "success" && this.resultRun < this.timing.successThreshold)) return;
    this.apply(r, r === "failure" ? `${LABEL[this.kind]} probe failed: ${result.output}` : undefined);
    if (r === "failure" && this.kind !== "readiness") {
      // Pause until the kubelet has replaced the container.
      this.onHold = true;
      this.resultRun = 0;
    }
  }

  private apply(r: "success" | "failure", message: string | undefined): void {
    const ok = r === "success";
    const next = { ...this.current } as ReadinessState & LivenessState & StartupState;
    if (this.kind === "readiness") next.ready = ok;
    else if (this.kind === "liveness") {
      next.healthy = ok;
      next.shouldRestart = !ok;
    } else if (ok) next.started = true;
    else next.shouldRestart = true;
    if (message === undefined) delete next.message;
    else next.message = message;
    this.setState(next as ProbeStates[K]);
  }

  private setState(next: ProbeStates[K]): void {
    const flags = (s: ProbeStates[K]) => JSON.stringify({ ...s, message: undefined });
    const changed = flags(next) !== flags(this.current);
    this.current = next;
    if (changed) this.onChange(this.state);
  }
}

/** A container's probes combined. */
export interface ContainerProbeStatus {
  /** The startup probe passed (true without one). */
  started: boolean;
  /** started, and the readiness probe passed (true without one). */
  ready: boolean;
  /** Set when a liveness or startup probe failed past its threshold. */
  restart?: { probe: "liveness" | "startup"; message: string };
}

export type ProbedContainer = Pick<Container, "name" | "readinessProbe" | "livenessProbe" | "startupProbe">;

interface ContainerWorkers {
  readiness?: ProbeWorker<"readiness">;
  liveness?: ProbeWorker<"liveness">;
  startup?: ProbeWorker<"startup">;
  last: string;
}

/**
 * A pod's probe workers. Note that "ready" and "started" here are the probes'
 * view only: the kubelet ANDs them with "the container is running".
 */
export class ProbeManager {
  private readonly containers = new Map<string, ContainerWorkers>();

  constructor(
    containers: ProbedContainer[],
    target: (container: string) => ProbeTarget | undefined,
    private readonly onChange: (container: string, status: ContainerProbeStatus) => void,
    managerOptions: ProbeWorkerOptions & { onContainerResult?: (container: string, kind: ProbeKind, result: ProbeResult) => void } = {},
  ) {
    const { onContainerResult, ...shared } = managerOptions;
    for (const c of containers) {
      // every probe result of this container, for the kubelet's events
      const options: ProbeWorkerOptions = onContainerResult
        ? { ...shared, onResult: (kind, result) => { shared.onResult?.(kind, result); onContainerResult(c.name, kind, result); } }
        : shared;
      const w: ContainerWorkers = { last: "" };
      const t = () => target(c.name);
      const changed = () => this.changed(c.name);
      if (c.startupProbe) {
        w.startup = new ProbeWorker("startup", c.startupProbe, t, (s) => {
          // Upstream: the status sync that follows "started" runs the readiness probe at once.
          if (s.started) w.readiness?.trigger();
          changed();
        }, options);
      }
      const isStarted = (key: string) => !w.startup || (w.startup.containerKey === key && w.startup.state.started);
      if (c.livenessProbe) w.liveness = new ProbeWorker("liveness", c.livenessProbe, t, changed, { ...options, isStarted });
      if (c.readinessProbe) w.readiness = new ProbeWorker("readiness", c.readinessProbe, t, changed, { ...options, isStarted });
      w.last = JSON.stringify(this.compute(w));
      this.containers.set(c.name, w);
    }
  }

  start(): void {
    for (const w of this.containers.values()) for (const worker of workersOf(w)) worker.start();
  }

  stop(): void {
    for (const w of this.containers.values()) for (const worker of workersOf(w)) worker.stop();
  }

  status(container: string): ContainerProbeStatus {
    const w = this.containers.get(container);
    return w ? this.compute(w) : { started: true, ready: true };
  }

  /** The workers of one container (for tests and diagnostics). */
  workers(container: string): { readiness?: ProbeWorker<"readiness">; liveness?: ProbeWorker<"liveness">; startup?: ProbeWorker<"startup"> } {
    const w = this.containers.get(container);
    return { readiness: w?.readiness, liveness: w?.liveness, startup: w?.startup };
  }

  /**
   * The kubelet (re)started the container: every probe of it starts over
   * from the initial state, and readiness is probed at once.
   */
  containerStarted(container: string): void {
    const w = this.containers.get(container);
    if (!w) return;
    for (const worker of workersOf(w)) worker.reset();
    w.readiness?.trigger();
  }

  /**
   * Upstream's UpdatePodStatus: on every status sync, containers that are
   * not ready get their readiness probe run at once.
   */
  syncStatus(): void {
    for (const w of this.containers.values()) if (w.readiness && !w.readiness.state.ready) w.readiness.trigger();
  }

  private compute(w: ContainerWorkers): ContainerProbeStatus {
    const started = w.startup ? w.startup.state.started : true;
    const ready = started && (w.readiness ? w.readiness.state.ready : true);
    const status: ContainerProbeStatus = { started, ready };
    const live = w.liveness?.state;
    const startup = w.startup?.state;
    if (startup?.shouldRestart) status.restart = { probe: "startup", message: startup.message ?? "Startup probe failed" };
    else if (live?.shouldRestart) status.restart = { probe: "liveness", message: live.message ?? "Liveness probe failed" };
    return status;
  }

  private changed(container: string): void {
    const w = this.containers.get(container);
    if (!w) return;
    const status = this.compute(w);
    const text = JSON.stringify(status);
    if (text === w.last) return;
    w.last = text;
    this.onChange(container, status);
  }
}

function workersOf(w: ContainerWorkers): ProbeWorker[] {
  return [w.startup, w.liveness, w.readiness].filter((x): x is NonNullable<typeof x> => x !== undefined) as ProbeWorker[];
}
