// What the cluster's policies say about a connection, from the objects: the
// evaluator (agent/policy/evaluate.ts) asked for one cell (`kemu probe
// --explain FROM TO`) or for every cell of a matrix (`--compare`). The
// kernel's answer comes from probing the same cells.
import type { ApiClient } from "../api/client.js";
import { ApiError } from "../api/errors.js";
import { resourceByKind } from "../api/resources.js";
import type { ClusterNetworkPolicy, EndpointSlice, KubeObject, Namespace, NetworkPolicy, Node, Pod, Service } from "../api/types.js";
import { buildPolicyInputs } from "../agent/policy/model.js";
import { describeSide, PolicyIndex, type Endpoint, type Verdict } from "../agent/policy/evaluate.js";
import { ProbeError } from "./errors.js";
import type { Expectation, ExpectedCell } from "./expect.js";
import { choosePortProtocols, declaredPorts, OUTSIDE, ppText, type PortProtocol, type ProbeCell, type ProbeMatrix, type ProbeProtocol } from "./model.js";
import { netnsOfPod, outsideIP, probeJobs, startOutsideListener, type ProbeHost } from "./execute.js";

/** Everything the evaluator reads, from the API, with the objects the probe needs besides. */
export interface PolicyState {
  index: PolicyIndex;
  /** NetworkPolicies and ClusterNetworkPolicies in force */
  policyCount: number;
  pods: Pod[];
  nodeByIP: Map<string, string>;
  outside: string;
}

export async function loadPolicyState(host: ProbeHost): Promise<PolicyState> {
  const [pods, namespaces, nodes, networkPolicies, clusterNetworkPolicies] = await Promise.all([
    listKind<Pod>(host.api, "Pod"),
    listKind<Namespace>(host.api, "Namespace"),
    listKind<Node>(host.api, "Node"),
    listKind<NetworkPolicy>(host.api, "NetworkPolicy"),
    listKind<ClusterNetworkPolicy>(host.api, "ClusterNetworkPolicy"),
  ]);
  const nodeByIP = new Map<string, string>();
  for (const n of nodes) for (const a of n.status?.addresses ?? []) if (a.type === "InternalIP") nodeByIP.set(a.address, n.metadata.name!);
  return {
    index: new PolicyIndex(buildPolicyInputs({ pods, namespaces, networkPolicies, clusterNetworkPolicies })),
    policyCount: networkPolicies.length + clusterNetworkPolicies.length,
    pods,
    nodeByIP,
    outside: outsideIP(host),
  };
}

/** A kind's objects; none when the API does not serve it (yet). */
async function listKind<T extends KubeObject>(api: ApiClient, kind: string): Promise<T[]> {
  const info = resourceByKind(kind);
  if (!info) return [];
  try {
    return (await api.list<T>(info)).items;
  } catch (err) {
    if (err instanceof ApiError && err.reason === "NotFound") return [];
    throw err;
  }
}

/** The evaluator's endpoint for a matrix end: a pod, the outside host, or any other address (a node's is marked as that node). */
function endpointOf(state: PolicyState, key: string): Endpoint | undefined {
  if (key === OUTSIDE) return { ip: state.outside };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(key)) {
    const node = state.nodeByIP.get(key);
    return state.index.endpointFor(key, node);
  }
  const pod = state.index.pod(key);
  return pod ? { pod } : undefined;
}

/** "egress of x/a: …" and "ingress of y/b: …", one line each. */
export function describeVerdict(v: Verdict): string {
  return `${describeSide(v.egress)}\n${describeSide(v.ingress)}`;
}

/**
 * The policies' expectation for every cell of a matrix. A Service cell is
 * judged against its ready backends (policy sees traffic after DNAT): the
 * verdict when they all agree, none when they differ or when the source is
 * itself a backend (hairpin is undefined for NetworkPolicy, kubernetes#95879).
 * A cell the policies allow towards a pod that declares no such
 * containerPort has no expectation either: nothing may listen there, and
 * that is not the policies' doing.
 */
export async function policyExpectation(host: ProbeHost, matrix: Pick<ProbeMatrix, "cells">, state?: PolicyState): Promise<Expectation> {
  const s = state ?? (await loadPolicyState(host));
  const needsSlices = matrix.cells.some((c) => c.to.startsWith("svc:"));
  const podByKey = new Map(s.pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const ports = new Map<Pod, Set<string>>();
  const declared = (pod: Pod) => ports.get(pod) ?? ports.set(pod, new Set(declaredPorts(pod).map(ppText))).get(pod)!;
  const [services, slices] = needsSlices ? await Promise.all([listKind<Service>(host.api, "Service"), listKind<EndpointSlice>(host.api, "EndpointSlice")]) : [[], []];
  return matrix.cells.map((c): ExpectedCell => {
    const base = { from: c.from, to: c.to, port: c.port, protocol: c.protocol };
    const from = endpointOf(s, c.from);
    if (!from) return { ...base, reachable: null };
    if (c.to.startsWith("svc:")) return { ...base, ...serviceExpectation(s, from, c, services, slices) };
    const to = endpointOf(s, c.to);
    if (!to) return { ...base, reachable: null };
    const v = s.index.evaluate({ from, to, protocol: c.protocol, port: c.port });
    const target = "pod" in to ? podByKey.get(c.to) : undefined;
    if (v.allowed && target && !declared(target).has(ppText(c))) {
      // The policies let it through, but whether anything listens is the pod's business, not theirs.
      return { ...base, reachable: null, why: `allowed by the policies, but ${c.to} declares no containerPort ${ppText(c)}` };
    }
    return { ...base, reachable: v.allowed, why: describeVerdict(v) };
  });
}

function serviceExpectation(s: PolicyState, from: Endpoint, cell: ProbeCell, services: Service[], slices: EndpointSlice[]): { reachable: boolean | null; why?: string } {
  const [ns, name] = cell.to.slice("svc:".length).split("/") as [string, string];
  const svc = services.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
  const portName = svc?.spec?.ports?.find((p) => p.port === cell.port && (p.protocol ?? "TCP") === cell.protocol)?.name ?? "";
  const backends: { ip: string; port: number }[] = [];
  for (const slice of slices) {
    if (slice.metadata.namespace !== ns || slice.metadata.labels?.["kubernetes.io/service-name"] !== name) continue;
    const port = slice.ports?.find((p) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === cell.protocol)?.port;
    if (port === undefined || port === null) continue;
    for (const e of slice.endpoints ?? []) if (e.conditions?.ready !== false) for (const ip of e.addresses) backends.push({ ip, port });
  }
  if (backends.length === 0) return { reachable: false, why: `${cell.to} has no ready endpoints for ${ppText(cell)}: kube-proxy rejects the connection` };
  const sourceIP = "pod" in from ? from.pod.ip : from.ip;
  if (backends.some((b) => b.ip === sourceIP)) return { reachable: null, why: "the source is one of the Service's backends: hairpin traffic is undefined for NetworkPolicy" };
  const verdicts = backends.map((b) => ({ b, v: s.index.evaluate({ from, to: s.index.endpointFor(b.ip, s.nodeByIP.get(b.ip)), protocol: cell.protocol, port: b.port }) }));
  const allowed = new Set(verdicts.map((x) => x.v.allowed));
  const why = verdicts.map(({ b, v }) => `via ${b.ip}:${b.port}: ${v.allowed ? "allowed" : "denied"}\n  ${describeVerdict(v).split("\n").join("\n  ")}`).join("\n");
  return allowed.size === 1 ? { reachable: [...allowed][0]!, why } : { reachable: null, why: `the backends differ (the kernel picks one at random):\n${why}` };
}

export interface Explanation {
  from: string;
  to: string;
  port: number;
  protocol: ProbeProtocol;
  verdict: Verdict;
  /** what the kernel did when probed */
  observed: ProbeCell;
  agreed: boolean | null;
}

/**
 * Explains FROM → TO on one port/protocol (or every port the target pod
 * declares), then probes the same connection to see whether the kernel agrees.
 */
export async function explainConnection(host: ProbeHost, from: string, to: string, options: { ports?: number[]; protocols?: ProbeProtocol[]; timeoutMs?: number } = {}): Promise<Explanation[]> {
  const state = await loadPolicyState(host);
  const source = state.pods.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === from);
  if (!source) throw new ProbeError(`--explain: no pod ${from}`);
  if (source.status?.phase !== "Running" || !source.status.podIP) throw new ProbeError(`--explain: pod ${from} is not running with an IP (phase ${source.status?.phase ?? "Pending"}): nothing to probe from`);
  const netns = netnsOfPod(host.name, source);
  if (!netns) throw new ProbeError(`--explain: the network namespace of ${from} is gone`);
  const fromEnd = endpointOf(state, from)!;
  const toEnd = endpointOf(state, to);
  if (!toEnd) throw new ProbeError(`--explain: no pod ${to}`);
  const target = state.pods.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === to);
  const address = to === OUTSIDE ? state.outside : "pod" in toEnd ? toEnd.pod.ip : toEnd.ip;
  if (!address) throw new ProbeError(`--explain: pod ${to} has no IP yet`);
  const pps: PortProtocol[] = choosePortProtocols({ ports: options.ports, protocols: options.protocols }, target ? declaredPorts(target) : []);
  if (pps.length === 0) throw new ProbeError(`--explain: ${to} declares no containerPorts${options.protocols ? ` of ${options.protocols.join(",")}` : ""}: give --port (and --protocol)`);

  const jobs = pps.map((pp) => ({ from, to, port: pp.port, protocol: pp.protocol, address }));
  const server = to === OUTSIDE ? await startOutsideListener(host, pps) : undefined;
  let cells: ProbeCell[];
  try {
    cells = await probeJobs([{ key: from, kind: "pod", ip: source.status.podIP, netns }], jobs, options.timeoutMs ?? 1000);
  } finally {
    await server?.stop();
  }
  return pps.map((pp, i) => {
    const verdict = state.index.evaluate({ from: fromEnd, to: toEnd, protocol: pp.protocol, port: pp.port });
    const observed = cells[i]!;
    return { from, to, port: pp.port, protocol: pp.protocol, verdict, observed, agreed: observed.reachable === null ? null : observed.reachable === verdict.allowed };
  });
}

/** For people: the verdict, each side's reason, and the kernel's answer. */
export function renderExplanations(list: Explanation[]): string {
  return list
    .map((e) => {
      const kernel =
        e.observed.reachable === null
          ? `kernel: ? (${e.observed.detail}): cannot tell`
          : `kernel: ${e.observed.reachable ? ". reachable" : `X blocked (${e.observed.detail})`}: ${e.agreed ? "agrees" : "DISAGREES with the policies"}`;
      return [`${e.from} -> ${e.to} ${ppText(e)}: ${e.verdict.allowed ? "allowed" : "denied"} by the policies`, ...describeVerdict(e.verdict).split("\n"), kernel].map((l, i) => (i === 0 ? l : `  ${l}`)).join("\n");
    })
    .map((block) => `${block}\n`)
    .join("\n");
}

export function explanationsJson(list: Explanation[]): string {
  const explanations = list.map((e) => ({
    from: e.from,
    to: e.to,
    port: e.port,
    protocol: e.protocol,
    allowed: e.verdict.allowed,
    egress: e.verdict.egress,
    ingress: e.verdict.ingress,
    observed: { reachable: e.observed.reachable, detail: e.observed.detail },
    agreed: e.agreed,
  }));
  return `${JSON.stringify({ explanations }, null, 2)}\n`;
}
