// Runs the probe: reads pods and Services from the API, plans the cells, runs
// one kemu-probe per source pod inside that pod's network namespace (all
// sources at once, all targets at once inside each), and, given an
// expectation, probes the cells that disagree once more before judging, as
// upstream's ValidateOrFail does. The thin shell around model.ts and expect.ts.
import { resourceByKind } from "../api/resources.js";
import type { Pod, Service } from "../api/types.js";
import { ProbeError } from "./errors.js";
import { netnsOfPod, outsideIP, probeJobs, startOutsideListener, type ProbeHost, type Source } from "./execute.js";
import { compareWithExpectation, expectationScope, parseExpectation, type Comparison, type Expectation } from "./expect.js";
import { loadPolicyState, policyExpectation } from "./explain.js";
import {
  cellKey,
  choosePortProtocols,
  compareEnds,
  declaredPorts,
  OUTSIDE,
  planJobs,
  ppText,
  serviceKey,
  servicePorts,
  sortCells,
  uniquePortProtocols,
  type MatrixEnd,
  type PortProtocol,
  type ProbeJob,
  type ProbeMatrix,
} from "./model.js";
import { checkProbeOptions, DEFAULT_TIMEOUT_MS, SYSTEM_NAMESPACES, type ProbeOptions } from "./options.js";

export type { ProbeHost } from "./execute.js";

export interface ProbeResult extends ProbeMatrix {
  /** with an expectation (expect or compare): how the observation compares */
  comparison?: Comparison;
  expectation?: Expectation;
}

const PODS = resourceByKind("Pod")!;
const SERVICES = resourceByKind("Service")!;
/** The pods, Services and outside host the options select, with the tables to probe. */
export interface ProbePlan {
  sources: Source[];
  targets: MatrixEnd[];
  portProtocols: PortProtocol[];
  jobs: ProbeJob[];
  notes: string[];
  outsideListeners: PortProtocol[];
}

export async function planProbe(host: ProbeHost, options: ProbeOptions, expectation?: Expectation): Promise<ProbePlan> {
  const scope = expectation ? expectationScope(expectation) : undefined;
  const selected = options.allNamespaces
    ? (ns: string) => !SYSTEM_NAMESPACES.includes(ns)
    : ((set: Set<string>) => (ns: string) => set.has(ns))(new Set(options.namespaces ?? (scope?.namespaces.length ? scope.namespaces : ["default"])));
  const toServices = options.toServices ?? scope?.services ?? false;
  const toOutside = options.toOutside ?? scope?.outside ?? false;

  const [pods, services] = await Promise.all([
    host.api.list<Pod>(PODS).then((l) => l.items.filter((p) => selected(p.metadata.namespace ?? "default"))),
    toServices ? host.api.list<Service>(SERVICES).then((l) => l.items.filter((s) => selected(s.metadata.namespace ?? "default"))) : Promise.resolve([]),
  ]);
  const notes: string[] = [];
  const sources: Source[] = [];
  const left: string[] = [];
  for (const pod of pods) {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const ip = pod.status?.podIP;
    if (pod.status?.phase !== "Running" || !ip || pod.metadata.deletionTimestamp) {
      left.push(`${key} (${pod.metadata.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Pending")}${ip ? "" : ", no IP"})`);
      continue;
    }
    const netns = netnsOfPod(host.name, pod);
    if (!netns) {
      left.push(`${key} (its network namespace is gone)`);
      continue;
    }
    sources.push({ key, kind: "pod", ip, ...(pod.spec.nodeName ? { node: pod.spec.nodeName } : {}), ...(pod.spec.hostNetwork ? { hostNetwork: true } : {}), netns });
  }
  if (left.length > 0) notes.push(`left out (only Running pods with an IP are probed): ${left.join(", ")}`);
  const hostNetwork = sources.filter((s) => s.hostNetwork);
  if (hostNetwork.length > 0) notes.push(`hostNetwork pods (${hostNetwork.map((s) => s.key).join(", ")}) probe from their node and are reached at its address: no NetworkPolicy selects them`);
  sources.sort(compareEnds);
  if (sources.length === 0) {
    const where = options.allNamespaces ? "any namespace (except kube-system and kemu-system)" : `namespace${(options.namespaces?.length ?? 1) > 1 ? "s" : ""} ${(options.namespaces ?? scope?.namespaces ?? ["default"]).join(", ")}`;
    throw new ProbeError(`no running pods with an IP in ${where}: choose namespaces with -n x,y or -A${left.length ? ` (left out: ${left.join(", ")})` : ""}`);
  }

  const byKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const declared = sources.flatMap((s) => declaredPorts(byKey.get(s.key)!));
  const explicit = options.ports !== undefined || options.protocols !== undefined;
  const podPPs = explicit || !scope ? choosePortProtocols({ ports: options.ports, protocols: options.protocols }, declared) : scope.portProtocols;
  const servicePPs = new Map<string, PortProtocol[]>();
  const targets: MatrixEnd[] = sources.map(({ netns: _netns, ...end }) => end);
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === "None" || svc.spec?.type === "ExternalName") continue;
    const key = serviceKey(svc.metadata.namespace ?? "default", svc.metadata.name!);
    const own = servicePorts(svc).filter((pp) => (options.ports ?? [pp.port]).includes(pp.port) && (options.protocols ?? [pp.protocol]).includes(pp.protocol));
    if (own.length === 0) continue;
    servicePPs.set(key, own);
    targets.push({ key, kind: "service", ip });
  }
  let outsideListeners: PortProtocol[] = [];
  if (toOutside) {
    targets.push({ key: OUTSIDE, kind: "outside", ip: outsideIP(host) });
    outsideListeners = podPPs;
  }
  const portProtocols = uniquePortProtocols([...podPPs, ...[...servicePPs.values()].flat()]);
  if (portProtocols.length === 0) {
    throw new ProbeError(
      options.protocols
        ? `--protocol ${options.protocols.join(",")}: the selected pods declare no containerPorts of ${options.protocols.length > 1 ? "these protocols" : "this protocol"}: give --port too`
        : "no ports to probe: the selected pods declare no containerPorts: give --port (and --protocol)",
    );
  }
  const podTables = new Set(podPPs.map(ppText));
  const jobs = planJobs(sources, targets, portProtocols, (to, pp) => (to.kind === "service" ? (servicePPs.get(to.key) ?? []).some((s) => ppText(s) === ppText(pp)) : podTables.has(ppText(pp))));
  return { sources, targets, portProtocols, jobs, notes, outsideListeners };
}

/** The whole probe: plan, probe, and with an expectation compare (probing the disagreeing cells once more). */
export async function runProbe(host: ProbeHost, options: ProbeOptions = {}): Promise<ProbeResult> {
  checkProbeOptions(options);
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const given = typeof options.expect === "string" ? parseExpectation(options.expect, "expectation") : options.expect;
  const plan = await planProbe(host, options, given);
  // The policies are read before probing, so the expectation is about the state that was probed.
  const policies = options.compare ? loadPolicyState(host) : undefined;
  policies?.catch(() => undefined);
  const server = plan.outsideListeners.length > 0 ? await startOutsideListener(host, plan.outsideListeners) : undefined;
  try {
    let cells = await probeJobs(plan.sources, plan.jobs, timeoutMs);
    const matrix = (): ProbeMatrix => ({
      sources: plan.sources.map(({ netns: _netns, ...end }) => end),
      targets: plan.targets,
      portProtocols: plan.portProtocols,
      cells: sortCells(cells, plan.sources, plan.targets),
      timeoutMs,
      elapsedMs: Math.round(performance.now() - started),
      notes: [...plan.notes, ...(server?.notes ?? [])],
    });
    const expectation = given ?? (policies ? await policyExpectation(host, { cells }, await policies) : undefined);
    if (!expectation) return matrix();
    let comparison = compareWithExpectation({ cells }, expectation, { loopback: options.loopback });
    if (comparison.mismatches.length > 0) {
      // Once more for the cells that disagree (a policy may just be landing), each from a fresh source port.
      const again = new Set(comparison.mismatches.map(cellKey));
      const retry = plan.jobs.filter((j) => again.has(cellKey(j)));
      if (retry.length > 0) {
        const fresh = new Map((await probeJobs(plan.sources, retry, timeoutMs)).map((c) => [cellKey(c), c]));
        cells = cells.map((c) => fresh.get(cellKey(c)) ?? c);
        comparison = compareWithExpectation({ cells }, expectation, { loopback: options.loopback, reprobed: retry.length });
      }
    }
    return { ...matrix(), comparison, expectation };
  } finally {
    await server?.stop();
  }
}
