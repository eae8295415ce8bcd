// The cluster zone as CoreDNS's kubernetes plugin serves it, built from
// Services, EndpointSlices and Namespaces only (pure: objects in, answers out).
//
// Names (zone = cluster.local by default, all matching ignores ASCII case):
//   <svc>.<ns>.svc.<zone>               A (ClusterIP, or every ready endpoint if headless),
//                                       CNAME (ExternalName), SRV (every port)
//   <ep>.<svc>.<ns>.svc.<zone>          A of a ready endpoint; <ep> is its hostname or its dashed IP
//   _<port>._<proto>.<svc>.<ns>.svc...  SRV per named port
//   <a-b-c-d>.<ns>.pod.<zone>           A (pods insecure: the IP comes from the name)
//   d.c.b.a.in-addr.arpa                PTR for ClusterIPs and ready endpoint IPs
//   dns-version.<zone> TXT "1.1.0"; <zone> SOA and NS ns.dns.<zone> (glue: the kube-dns IP)
// Existing names never answer NXDOMAIN (other types get NODATA), empty
// non-terminals answer NODATA, and negative answers carry the zone's SOA.
import { parseIP } from "../../net/ip.js";
import type { EndpointSlice, Namespace, Service } from "../../api/types.js";
import { RCODE, TYPE, canonicalName, type Answer, type RR } from "../rr.js";

export interface ZoneConfig {
  /** the cluster domain, e.g. "cluster.local" */
  zone: string;
  /** TTL of every record but dns-version's TXT (28800); CoreDNS's `ttl`, kubeadm sets 30 */
  ttl: number;
  /** the kube-dns ClusterIP: the glue A of ns.dns.<zone> */
  dnsIp?: string;
  /** `pods insecure` (kubeadm's choice) or `pods disabled` (every *.pod.<zone> name is NXDOMAIN) */
  pods?: "insecure" | "disabled";
  /** Unix time in seconds, for the SOA serial (tests pin it) */
  now?: () => number;
}

export const DEFAULT_ZONE_CONFIG: ZoneConfig = { zone: "cluster.local", ttl: 30, pods: "insecure" };

/** The schema version of the Kubernetes DNS specification served at dns-version.<zone>. */
export const DNS_SCHEMA_VERSION = "1.1.0";
const SCHEMA_TTL = 28800;
const MAX_CHAIN = 8;

interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** What one name holds. An empty node is an empty non-terminal (NODATA for every type). */
interface ZoneNode {
  a?: string[];
  srv?: SrvData[];
  /** addresses of the SRV targets (the additional section) */
  srvExtra?: { name: string; address: string }[];
  cname?: string;
  txt?: string[];
  apex?: boolean;
}

interface ServiceEntry {
  /** "<svc>.<ns>" */
  key: string;
  fqdn: string;
  /** names relative to the service name: "" (itself), "<ep>", "_<port>._<proto>", "_<proto>" */
  nodes: Map<string, ZoneNode>;
  ptrs: { ip: string; target: string; clusterIP: boolean }[];
}

interface ReadyEndpoint {
  label: string;
  ip: string;
  ports: { name: string; protocol: string; port: number }[];
}

type SoaRR = Extract<RR, { kind: "SOA" }>;

const EMPTY: ZoneNode = Object.freeze({}) as ZoneNode;

export class ZoneIndex {
  readonly zone: string;
  readonly ttl: number;
  /** Grows by one on every change of the input: caches of answers compare it. */
  version = 0;
  /** The SOA serial: Unix time of the last change. */
  serial: number;

  private readonly config: ZoneConfig;
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private readonly sliceOwner = new Map<string, string>();
  private readonly namespaces = new Set<string>();
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly ptr = new Map<string, { cluster: Map<string, string>; endpoints: Map<string, string[]> }>();
  private readonly dirty = new Set<string>();
  /** something changed since the serial was last set */
  private stale = false;
  private readonly zoneSuffix: string;
  private readonly soa: SoaRR;

  constructor(config: Partial<ZoneConfig> = {}) {
    this.config = { ...DEFAULT_ZONE_CONFIG, ...config };
    this.zone = canonicalName(this.config.zone);
    this.ttl = this.config.ttl;
    this.zoneSuffix = `.${this.zone}`;
    this.serial = this.now();
    this.soa = this.makeSoa();
  }

  // ---- input -------------------------------------------------------------

  setService(svc: Service): void {
    const key = objectKey(svc);
    this.services.set(key, svc);
    this.touch(key);
  }

  deleteService(svc: Service): void {
    const key = objectKey(svc);
    this.services.delete(key);
    this.touch(key);
  }

  setEndpointSlice(slice: EndpointSlice): void {
    const sliceKey = objectKey(slice);
    const owner = sliceService(slice);
    const previous = this.sliceOwner.get(sliceKey);
    if (previous && previous !== owner) this.removeSlice(sliceKey, previous);
    if (!owner) return;
    this.sliceOwner.set(sliceKey, owner);
    let group = this.slices.get(owner);
    if (!group) this.slices.set(owner, (group = new Map()));
    group.set(sliceKey, slice);
    this.touch(owner);
  }

  deleteEndpointSlice(slice: EndpointSlice): void {
    const sliceKey = objectKey(slice);
    const owner = this.sliceOwner.get(sliceKey) ?? sliceService(slice);
    if (owner) this.removeSlice(sliceKey, owner);
  }

  setNamespace(ns: Namespace | string): void {
    const name = typeof ns === "string" ? ns : ns.metadata.name!;
    if (this.namespaces.has(name)) return;
    this.namespaces.add(name);
    this.changed();
  }

  deleteNamespace(ns: Namespace | string): void {
    const name = typeof ns === "string" ? ns : ns.metadata.name!;
    if (this.namespaces.delete(name)) this.changed();
  }

  private removeSlice(sliceKey: string, owner: string): void {
    this.sliceOwner.delete(sliceKey);
    const group = this.slices.get(owner);
    if (group?.delete(sliceKey)) {
      if (group.size === 0) this.slices.delete(owner);
      this.touch(owner);
    }
  }

  private touch(serviceKey: string): void {
    this.dirty.add(serviceKey);
    this.changed();
  }

  private changed(): void {
    this.version++;
    this.stale = true;
  }

  private now(): number {
    return Math.floor(this.config.now ? this.config.now() : Date.now() / 1000);
  }

  /** Rebuilds the entries of changed Services (lazily: at most once per burst of events). */
  private flush(): void {
    if (!this.stale) return;
    this.stale = false;
    for (const key of this.dirty) {
      const [ns, name] = splitKey(key);
      const entryKey = `${name}.${ns}`;
      const old = this.entries.get(entryKey);
      if (old) this.removePtrs(old);
      const svc = this.services.get(key);
      if (!svc) {
        this.entries.delete(entryKey);
        continue;
      }
      const entry = serviceEntry(svc, [...(this.slices.get(key)?.values() ?? [])], this.zone);
      this.entries.set(entryKey, entry);
      this.addPtrs(entry);
    }
    this.dirty.clear();
    this.serial = Math.max(this.now(), this.serial);
    this.soa.serial = this.serial;
  }

  private addPtrs(entry: ServiceEntry): void {
    for (const p of entry.ptrs) {
      let set = this.ptr.get(p.ip);
      if (!set) this.ptr.set(p.ip, (set = { cluster: new Map(), endpoints: new Map() }));
      if (p.clusterIP) set.cluster.set(entry.key, p.target);
      else {
        const list = set.endpoints.get(entry.key);
        if (list) list.push(p.target);
        else set.endpoints.set(entry.key, [p.target]);
      }
    }
  }

  private removePtrs(entry: ServiceEntry): void {
    for (const p of entry.ptrs) {
      const set = this.ptr.get(p.ip);
      if (!set) continue;
      set.cluster.delete(entry.key);
      set.endpoints.delete(entry.key);
      if (set.cluster.size === 0 && set.endpoints.size === 0) this.ptr.delete(p.ip);
    }
  }

  // ---- queries -----------------------------------------------------------

  /** Is the name in the cluster zone (as opposed to in-addr.arpa or elsewhere)? */
  inZone(name: string): boolean {
    const n = canonicalName(name);
    return n === this.zone || n.endsWith(this.zoneSuffix);
  }

  /**
   * The answer for a question, or undefined when the name is not ours: outside
   * the zone, or a reverse name we have no PTR for (kubeadm's `fallthrough
   * in-addr.arpa ip6.arpa`: the forwarder gets those).
   */
  lookup(qname: string, qtype: number): Answer | undefined {
    this.flush();
    const name = canonicalName(qname);
    if (name === this.zone || name.endsWith(this.zoneSuffix)) {
      if (qtype === TYPE.AXFR || qtype === TYPE.IXFR) return { rcode: RCODE.REFUSED, aa: false, answer: [], authority: [], additional: [] };
      return this.resolve(qname, name, qtype, 0, new Set());
    }
    if (qtype === TYPE.PTR && name.endsWith(".in-addr.arpa")) {
      const targets = this.reverse(name);
      if (targets.length === 0) return undefined;
      return positive(targets.map((t) => ({ kind: "PTR" as const, name: qname, ttl: this.ttl, target: t })));
    }
    return undefined;
  }

  /** The SOA that negative answers carry in their authority section. */
  soaRecord(): RR {
    this.flush();
    return { ...this.soa };
  }

  private makeSoa(): SoaRR {
    const ttl = this.ttl;
    return {
      kind: "SOA",
      name: this.zone,
      ttl: Math.min(ttl, 300),
      mname: `ns.dns.${this.zone}`,
      rname: `hostmaster.${this.zone}`,
      serial: this.serial,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    };
  }

  private reverse(name: string): string[] {
    const ip = name.slice(0, -".in-addr.arpa".length).split(".").reverse().join(".");
    if (!isIPv4(ip)) return [];
    const set = this.ptr.get(ip);
    if (!set) return [];
    // As CoreDNS: a ClusterIP names its Service only; otherwise every endpoint name of the IP.
    for (const target of set.cluster.values()) return [target];
    const out = new Set<string>();
    for (const list of set.endpoints.values()) for (const t of list) out.add(t);
    return [...out];
  }

  /** qname as asked (its spelling goes into owner names), name canonical. */
  private resolve(qname: string, name: string, qtype: number, depth: number, seen: Set<string>): Answer {
    const node = this.node(name);
    if (!node) return this.negative(RCODE.NXDOMAIN);
    const ttl = this.ttl;

    if (node.cname !== undefined) {
      const cname: RR = { kind: "CNAME", name: qname, ttl, target: node.cname };
      if (qtype === TYPE.CNAME || qtype === TYPE.ANY) return positive([cname]);
      seen.add(name);
      if (!this.inZone(node.cname)) return { ...positive([cname]), chase: { target: node.cname, qtype } };
      if (seen.has(node.cname) || depth >= MAX_CHAIN) return positive([cname]);
      // An in-zone target: follow it here. The rcode is the last name's (RFC 6604).
      const next = this.resolve(node.cname, node.cname, qtype, depth + 1, seen);
      return { ...next, aa: true, answer: [cname, ...next.answer] };
    }

    switch (qtype) {
      case TYPE.A:
        if (node.a?.length) return positive(node.a.map((address) => ({ kind: "A" as const, name: qname, ttl, address })));
        break;
      case TYPE.SRV:
        if (node.srv?.length) {
          return positive(
            node.srv.map((s) => ({ kind: "SRV" as const, name: qname, ttl, ...s })),
            (node.srvExtra ?? []).map((x) => ({ kind: "A" as const, name: x.name, ttl, address: x.address })),
          );
        }
        break;
      case TYPE.TXT:
        if (node.txt) return positive([{ kind: "TXT", name: qname, ttl: SCHEMA_TTL, text: node.txt }]);
        break;
      case TYPE.SOA:
        if (node.apex) return positive([{ ...this.soa, name: qname }]);
        break;
      case TYPE.NS:
        if (node.apex) {
          const ns = `ns.dns.${this.zone}`;
          const glue: RR[] = this.config.dnsIp && isIPv4(this.config.dnsIp) ? [{ kind: "A", name: ns, ttl, address: this.config.dnsIp }] : [];
          return positive([{ kind: "NS", name: qname, ttl, target: ns }], glue);
        }
        break;
    }
    return this.negative(RCODE.NOERROR);
  }

  private negative(rcode: number): Answer {
    return { rcode, aa: true, answer: [], authority: [{ ...this.soa }], additional: [] };
  }

  /** The node of an in-zone name (canonical), or undefined if the name does not exist. */
  private node(name: string): ZoneNode | undefined {
    if (name === this.zone) return { apex: true };
    const labels = name.slice(0, -this.zoneSuffix.length).split(".");
    const n = labels.length;
    const kind = labels[n - 1];
    if (kind === "svc") {
      if (n === 1) return EMPTY;
      const ns = labels[n - 2]!;
      if (!this.namespaces.has(ns)) return undefined;
      if (n === 2) return EMPTY;
      const entry = this.entries.get(`${labels[n - 3]}.${ns}`);
      if (!entry) return undefined;
      if (n > 5) return undefined;
      return entry.nodes.get(labels.slice(0, n - 3).join("."));
    }
    if (kind === "pod") {
      if (n === 1) return EMPTY;
      if (this.config.pods === "disabled") return undefined;
      const ns = labels[n - 2]!;
      if (!this.namespaces.has(ns)) return undefined;
      if (n === 2) return EMPTY;
      if (n !== 3) return undefined;
      const ip = dashedIPv4(labels[0]!);
      return ip ? { a: [ip] } : undefined;
    }
    if (n === 1 && kind === "dns-version") return { txt: [DNS_SCHEMA_VERSION] };
    if (kind === "dns") {
      if (n === 1) return EMPTY;
      if (n === 2 && labels[0] === "ns") return { a: this.config.dnsIp && isIPv4(this.config.dnsIp) ? [this.config.dnsIp] : [] };
    }
    return undefined;
  }
}

/** An index built from lists of objects (tests, and anything that has the objects at hand). */
export function buildIndex(
  objects: { services?: Service[]; endpointSlices?: EndpointSlice[]; namespaces?: (Namespace | string)[] },
  config: Partial<ZoneConfig> = {},
): ZoneIndex {
  const index = new ZoneIndex(config);
  for (const ns of objects.namespaces ?? []) index.setNamespace(ns);
  for (const svc of objects.services ?? []) index.setService(svc);
  for (const slice of objects.endpointSlices ?? []) index.setEndpointSlice(slice);
  return index;
}

function positive(answer: RR[], additional: RR[] = []): Answer {
  return { rcode: RCODE.NOERROR, aa: true, answer, authority: [], additional };
}

function objectKey(obj: Service | EndpointSlice): string {
  return `${obj.metadata.namespace ?? "default"}/${obj.metadata.name}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
}

function sliceService(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata.labels?.["kubernetes.io/service-name"];
  return svc ? `${slice.metadata.namespace ?? "default"}/${svc}` : undefined;
}

/** An IPv4 address as CoreDNS reads one (Go's net.ParseIP since Go 1.17: no leading zeros). */
function isIPv4(text: string): boolean {
  return parseIP(text, "strict")?.family === 4;
}

/** "10-244-1-5" → "10.244.1.5" (no leading zeros, as Go's net.ParseIP), else undefined. */
function dashedIPv4(label: string): string | undefined {
  const ip = label.split("-").join(".");
  return isIPv4(ip) ? ip : undefined;
}

/** SRV weight as CoreDNS: 100 split evenly over the records of one answer, at least 1. */
function srvWeight(n: number): number {
  return Math.max(1, Math.floor(100 / n));
}

function portProtoName(name: string, protocol: string | undefined): string {
  return `_${name.toLowerCase()}._${(protocol ?? "TCP").toLowerCase()}`;
}

function readyEndpoints(slices: EndpointSlice[]): ReadyEndpoint[] {
  const out: ReadyEndpoint[] = [];
  const sorted = [...slices].sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  for (const slice of sorted) {
    if (slice.addressType !== "IPv4") continue;
    const ports = (slice.ports ?? [])
      .filter((p) => typeof p.port === "number")
      .map((p) => ({ name: p.name ?? "", protocol: p.protocol ?? "TCP", port: p.port! }));
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        if (!isIPv4(ip)) continue;
        const label = ep.hostname ? ep.hostname.toLowerCase() : ip.replace(/\./g, "-");
        out.push({ label, ip, ports });
      }
    }
  }
  return out;
}

/** The names one Service contributes, relative to <svc>.<ns>.svc.<zone>. */
function serviceEntry(svc: Service, slices: EndpointSlice[], zone: string): ServiceEntry {
  const ns = svc.metadata.namespace ?? "default";
  const name = svc.metadata.name!;
  const fqdn = `${name}.${ns}.svc.${zone}`;
  const entry: ServiceEntry = { key: `${name}.${ns}`, fqdn, nodes: new Map(), ptrs: [] };
  const spec = svc.spec ?? {};

  if (spec.type === "ExternalName") {
    const target = canonicalName(spec.externalName ?? "");
    // An IP literal is no host name: CoreDNS serves nothing for it.
    if (target && parseIP(target, "strict") === undefined) entry.nodes.set("", { cname: target });
    return entry;
  }

  const headless = spec.clusterIP === "None";
  const endpoints = readyEndpoints(slices);

  // Per-endpoint names (every Service with endpoints, as CoreDNS).
  const byLabel = new Map<string, ReadyEndpoint[]>();
  for (const ep of endpoints) {
    const list = byLabel.get(ep.label);
    if (list) list.push(ep);
    else byLabel.set(ep.label, [ep]);
    entry.ptrs.push({ ip: ep.ip, target: `${ep.label}.${fqdn}`, clusterIP: false });
  }
  for (const [label, eps] of byLabel) {
    const target = `${label}.${fqdn}`;
    entry.nodes.set(label, { a: unique(eps.map((e) => e.ip)), ...endpointSrv(eps.map((e) => ({ ...e, target })), () => true) });
  }

  if (headless) {
    if (endpoints.length === 0) return entry; // no ready endpoint: the name does not exist (SPEC 2.4.1)
    const withTargets = endpoints.map((e) => ({ ...e, target: `${e.label}.${fqdn}` }));
    entry.nodes.set("", { a: unique(endpoints.map((e) => e.ip)), ...endpointSrv(withTargets, () => true) });
    const named = new Map<string, { name: string; protocol: string }>();
    for (const e of endpoints) for (const p of e.ports) if (p.name) named.set(portProtoName(p.name, p.protocol), p);
    for (const [rel, p] of named) {
      entry.nodes.set(rel, endpointSrv(withTargets, (q) => q.name === p.name && q.protocol === p.protocol));
      entry.nodes.set(rel.slice(rel.indexOf(".") + 1), EMPTY);
    }
    return entry;
  }

  const ips = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP ?? ""]).filter(isIPv4);
  for (const ip of ips) entry.ptrs.push({ ip, target: fqdn, clusterIP: true });
  const ports = spec.ports ?? [];
  const srvOf = (list: typeof ports): Pick<ZoneNode, "srv" | "srvExtra"> => {
    const records: SrvData[] = [];
    const seen = new Set<number>();
    const n = list.length * ips.length;
    for (const p of list) {
      if (seen.has(p.port) || ips.length === 0) continue;
      seen.add(p.port);
      records.push({ priority: 0, weight: srvWeight(n), port: p.port, target: fqdn });
    }
    return records.length ? { srv: records, srvExtra: ips.map((address) => ({ name: fqdn, address })) } : {};
  };
  entry.nodes.set("", { a: ips, ...srvOf(ports) });
  for (const p of ports) {
    if (!p.name) continue;
    const rel = portProtoName(p.name, p.protocol);
    entry.nodes.set(rel, srvOf(ports.filter((q) => q.name === p.name && (q.protocol ?? "TCP") === (p.protocol ?? "TCP"))));
    entry.nodes.set(rel.slice(rel.indexOf(".") + 1), EMPTY);
  }
  return entry;
}

/** SRV records (and their targets' addresses) for endpoints × their ports that match. */
function endpointSrv(
  eps: (ReadyEndpoint & { target: string })[],
  match: (p: { name: string; protocol: string }) => boolean,
): Pick<ZoneNode, "srv" | "srvExtra"> {
  const pairs: { target: string; port: number; ip: string }[] = [];
  for (const e of eps) for (const p of e.ports) if (match(p)) pairs.push({ target: e.target, port: p.port, ip: e.ip });
  if (pairs.length === 0) return {};
  const weight = srvWeight(pairs.length);
  const srv: SrvData[] = [];
  const srvExtra: { name: string; address: string }[] = [];
  const seenSrv = new Set<string>();
  const seenAddr = new Set<string>();
  for (const p of pairs) {
    const k = `${p.target}:${p.port}`;
    if (!seenSrv.has(k)) {
      seenSrv.add(k);
      srv.push({ priority: 0, weight, port: p.port, target: p.target });
    }
    const a = `${p.target}/${p.ip}`;
    if (!seenAddr.has(a)) {
      seenAddr.add(a);
      srvExtra.push({ name: p.target, address: p.ip });
    }
  }
  return { srv, srvExtra };
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)];
}
