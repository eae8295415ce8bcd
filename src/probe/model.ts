// The reachability matrix: who was probed, towards what, on which ports, and
// what came back. Rows are sources (pods), columns are targets (pods, and
// optionally Services and the outside host), one table per port/protocol, as
// upstream's e2e netpol truth tables (test/e2e/network/netpol/truthtable.go).
// Pure: the planning of which cells exist and the defaults for ports and
// protocols live here; runner.ts does the probing.
import type { Pod, Service } from "../api/types.js";

export type ProbeProtocol = "TCP" | "UDP" | "SCTP";
export const PROBE_PROTOCOLS: readonly ProbeProtocol[] = ["TCP", "UDP", "SCTP"];

export interface PortProtocol {
  port: number;
  protocol: ProbeProtocol;
}

/**
 * How one probe ended. "ok" is reachable; "unsupported" (the kernel has no
 * such protocol, e.g. SCTP here) is unknown; every other outcome is blocked.
 */
export type ProbeDetail = "ok" | "timeout" | "refused" | "unreachable" | "no-data" | "unsupported" | `error ${string}`;

export interface ProbeCell {
  /** "ns/name" of the source pod */
  from: string;
  /** "ns/name" of a pod, "svc:ns/name" of a Service, or "outside" */
  to: string;
  port: number;
  protocol: ProbeProtocol;
  /** null: unknown (the protocol is not supported here) */
  reachable: boolean | null;
  detail: ProbeDetail;
  /** the address probed */
  address: string;
}

export type EndKind = "pod" | "service" | "outside";

/** A row or column of the matrix. */
export interface MatrixEnd {
  key: string;
  kind: EndKind;
  ip: string;
  node?: string;
  /** hostNetwork pods probe from (and are reached at) their node's address */
  hostNetwork?: boolean;
}

export interface ProbeMatrix {
  sources: MatrixEnd[];
  targets: MatrixEnd[];
  /** the tables, in order */
  portProtocols: PortProtocol[];
  cells: ProbeCell[];
  timeoutMs: number;
  elapsedMs: number;
  /** things a reader should know: pods left out, hostNetwork sources… */
  notes: string[];
}

export const OUTSIDE = "outside";
export const serviceKey = (namespace: string, name: string) => `svc:${namespace}/${name}`;
export const ppText = (pp: PortProtocol) => `${pp.port}/${pp.protocol}`;
export const cellKey = (c: { from: string; to: string; port: number; protocol: string }) => `${c.from}\u0000${c.to}\u0000${c.port}/${c.protocol}`;

export function comparePortProtocols(a: PortProtocol, b: PortProtocol): number {
  return a.port - b.port || PROBE_PROTOCOLS.indexOf(a.protocol) - PROBE_PROTOCOLS.indexOf(b.protocol);
}

export function uniquePortProtocols(list: PortProtocol[]): PortProtocol[] {
  const seen = new Map<string, PortProtocol>();
  for (const pp of list) seen.set(ppText(pp), pp);
  return [...seen.values()].sort(comparePortProtocols);
}

/** What a probe's detail means for the table. */
export function reachableOf(detail: ProbeDetail): boolean | null {
  return detail === "ok" ? true : detail === "unsupported" ? null : false;
}

/** A pod's containerPorts (regular and sidecar containers), as port/protocol pairs. */
export function declaredPorts(pod: Pod): PortProtocol[] {
  const containers = [...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"), ...pod.spec.containers];
  return containers.flatMap((c) => (c.ports ?? []).map((p) => ({ port: p.containerPort, protocol: (p.protocol ?? "TCP") as ProbeProtocol })));
}

/** A Service's ports, when it has a ClusterIP to probe. */
export function servicePorts(svc: Service): PortProtocol[] {
  return (svc.spec?.ports ?? []).map((p) => ({ port: p.port, protocol: (p.protocol ?? "TCP") as ProbeProtocol }));
}

export interface PortChoice {
  ports?: number[];
  protocols?: ProbeProtocol[];
}

/**
 * The tables to probe. Given both --port and --protocol: every combination.
 * Otherwise from the target pods' containerPorts: all declared pairs; with
 * --port, the protocols declared for those ports (TCP for a port nobody
 * declares); with --protocol, the declared ports of those protocols.
 * Undefined when nothing is declared and nothing given.
 */
export function choosePortProtocols(choice: PortChoice, declared: PortProtocol[]): PortProtocol[] {
  const { ports, protocols } = choice;
  if (ports && protocols) return uniquePortProtocols(ports.flatMap((port) => protocols.map((protocol) => ({ port, protocol }))));
  if (ports) {
    return uniquePortProtocols(
      ports.flatMap((port) => {
        const known = declared.filter((d) => d.port === port);
        return known.length > 0 ? known : [{ port, protocol: "TCP" as const }];
      }),
    );
  }
  if (protocols) return uniquePortProtocols(declared.filter((d) => protocols.includes(d.protocol)));
  return uniquePortProtocols(declared);
}

/** One probe to run from a source. */
export interface ProbeJob {
  from: string;
  to: string;
  port: number;
  protocol: ProbeProtocol;
  address: string;
}

/**
 * Every cell of the matrix: each source towards each target on every table's
 * port/protocol that the target is probed on (pods and the outside host: all
 * of the pods' tables; a Service: only its own ports).
 */
export function planJobs(sources: MatrixEnd[], targets: MatrixEnd[], portProtocols: PortProtocol[], probedOn: (target: MatrixEnd, pp: PortProtocol) => boolean = () => true): ProbeJob[] {
  const jobs: ProbeJob[] = [];
  for (const pp of portProtocols) {
    for (const from of sources) {
      for (const to of targets) {
        if (probedOn(to, pp)) jobs.push({ from: from.key, to: to.key, port: pp.port, protocol: pp.protocol, address: to.ip });
      }
    }
  }
  return jobs;
}

/** Sorted as the tables print them: by port/protocol, then row, then column order. */
export function sortCells(cells: ProbeCell[], sources: MatrixEnd[], targets: MatrixEnd[]): ProbeCell[] {
  const row = new Map(sources.map((s, i) => [s.key, i]));
  const col = new Map(targets.map((t, i) => [t.key, i]));
  return [...cells].sort((a, b) => comparePortProtocols(a, b) || (row.get(a.from) ?? 0) - (row.get(b.from) ?? 0) || (col.get(a.to) ?? 0) - (col.get(b.to) ?? 0));
}

/** Pods first (by namespace, then name), then Services, then the outside host. */
export function compareEnds(a: MatrixEnd, b: MatrixEnd): number {
  const order: Record<EndKind, number> = { pod: 0, service: 1, outside: 2 };
  const parts = (e: MatrixEnd) => e.key.replace(/^svc:/, "").split("/");
  const [an, ap] = parts(a);
  const [bn, bp] = parts(b);
  return order[a.kind] - order[b.kind] || compareText(an!, bn!) || compareText(ap ?? "", bp ?? "");
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
