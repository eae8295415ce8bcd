// Names for a flow's addresses, and the -n/--pod/--verdict/--node filter.
// Pure: an AddressBook in, the same flow with names out.
import type { AddressBook } from "../address-book.js";
import type { Flow, FlowFilter, FlowPeer } from "./model.js";

function named(p: FlowPeer, book: AddressBook): FlowPeer {
  const n = book.lookup(p.ip);
  if (!n) return p;
  return { ...p, name: n.name, kind: n.kind, ...(n.kind === "pod" && n.node ? { node: n.node } : {}) };
}

export function nameFlow(f: Flow, book: AddressBook): Flow {
  return {
    ...f,
    source: named(f.source, book),
    destination: named(f.destination, book),
    ...(f.endpoint ? { endpoint: named(f.endpoint, book) } : {}),
  };
}

/** Whether some address of the flow is one the book should know but does not (a pod's or Service's, by its range), so the book is stale. */
export function hasUnknownClusterAddress(f: Flow, book: AddressBook, isClusterAddress: (ip: string) => boolean): boolean {
  return [f.source, f.destination, f.endpoint].some((p) => p !== undefined && isClusterAddress(p.ip) && book.lookup(p.ip) === undefined);
}

function namespaceOf(p: FlowPeer | undefined): string | undefined {
  if (!p?.name || (p.kind !== "pod" && p.kind !== "service")) return undefined;
  return p.name.slice(0, p.name.indexOf("/"));
}

/**
 * -n NS: a pod or Service of NS at either end. --pod P: a pod whose name
 * starts with P (`ns/name` prefix, or a name prefix in -n's namespace, any
 * namespace without -n) at either end — as hubble's --pod. --verdict, --node:
 * exact (--node: any node that reported it).
 */
export function matchesFilter(f: Flow, filter: FlowFilter): boolean {
  if (filter.verdict !== undefined && f.verdict !== filter.verdict) return false;
  if (filter.node !== undefined && !f.nodes.includes(filter.node)) return false;
  const ends = [f.source, f.destination, f.endpoint];
  if (filter.namespace !== undefined && !ends.some((p) => namespaceOf(p) === filter.namespace)) return false;
  if (filter.pod !== undefined) {
    const wanted = filter.pod.includes("/") ? filter.pod : filter.namespace !== undefined ? `${filter.namespace}/${filter.pod}` : undefined;
    const podMatches = (p: FlowPeer | undefined) => {
      if (p?.kind !== "pod" || !p.name) return false;
      return wanted !== undefined ? p.name.startsWith(wanted) : p.name.slice(p.name.indexOf("/") + 1).startsWith(filter.pod!);
    };
    if (!ends.some(podMatches)) return false;
  }
  return true;
}

const VERDICTS = ["forwarded", "dropped", "rejected"] as const;

/** The flags as the CLI got them → a filter; errors name the flag and what it takes. */
export function parseFlowFilter(flags: { namespace?: string; pod?: string; verdict?: string; node?: string }): FlowFilter {
  const filter: FlowFilter = {};
  if (flags.namespace !== undefined) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.namespace)) throw new Error(`-n: ${JSON.stringify(flags.namespace)} is not a namespace name (lowercase letters, digits and '-')`);
    filter.namespace = flags.namespace;
  }
  if (flags.pod !== undefined) {
    if (flags.pod === "" || flags.pod.split("/").length > 2) throw new Error(`--pod: expected a pod name (or its start) or ns/name, got ${JSON.stringify(flags.pod)}`);
    filter.pod = flags.pod;
  }
  if (flags.verdict !== undefined) {
    const v = flags.verdict.toLowerCase();
    if (!(VERDICTS as readonly string[]).includes(v)) throw new Error(`--verdict: expected one of ${VERDICTS.join(", ")}, got ${JSON.stringify(flags.verdict)}`);
    filter.verdict = v as FlowFilter["verdict"];
  }
  if (flags.node !== undefined) filter.node = flags.node;
  return filter;
}
