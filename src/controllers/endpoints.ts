// Endpoints controller, as kube-controller-manager's (pkg/controller/endpoint):
// for every Service with a selector (not ExternalName), a core/v1 Endpoints of
// the same name listing the selected pods that have an IP, ready ones under
// `addresses` and the others under `notReadyAddresses`, grouped into subsets
// by the ports they serve (RepackSubsets). Over 1000 addresses are truncated,
// ready ones first, and marked with the over-capacity annotation. kube-proxy
// reads EndpointSlices; Endpoints are for the tools and clients that still
// read them. The Endpoints of a deleted Service are deleted.
import type { IEndpointAddress } from "kubernetes-models/v1/EndpointAddress";
import type { IEndpointPort } from "kubernetes-models/v1/EndpointPort";
import type { IEndpointSubset } from "kubernetes-models/v1/EndpointSubset";
import { Controller, R, splitKey } from "./controller.js";
import { PodLabelHistory } from "./pod-label-history.js";
import { resourceByKind } from "../api/resources.js";
import type { KubeObject, Pod, Service, Stored, WatchEvent } from "../api/types.js";
import { ApiError } from "../api/errors.js";
import { deepEqual } from "../api/validation/util.js";
import { findPort } from "./endpointslice.js";
import { isPodReady } from "../api/podutil.js";

export const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
export const OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
export const LABEL_HEADLESS = "service.kubernetes.io/headless";
/** maxCapacity of upstream's controller: addresses (ready and not) an Endpoints holds. */
export const MAX_CAPACITY = 1000;

export type EndpointSubset = IEndpointSubset;
export type EndpointAddress = IEndpointAddress;
export type EndpointPort = IEndpointPort;
export type Endpoints = KubeObject & { subsets?: EndpointSubset[] };

const ENDPOINTS = resourceByKind("Endpoints")!;

/** ShouldPodBeInEndpoints: not finished, with an IP, and not terminating unless the Service publishes not-ready addresses. */
export function shouldPodBeInEndpoints(pod: Stored<Pod>, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/** The pod's IP of the Service's (primary) family, as podToEndpointAddressForService picks it. */
function podAddressFor(service: Service, pod: Pod): string | undefined {
  const family = service.spec?.ipFamilies?.[0] ?? ((service.spec?.clusterIP ?? "").includes(":") ? "IPv6" : "IPv4");
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => Boolean(ip));
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => (family === "IPv6") === ip.includes(":"));
}

function endpointAddress(service: Stored<Service>, pod: Stored<Pod>, ip: string): EndpointAddress {
  const address: EndpointAddress = { ip };
  if (pod.spec.nodeName) address.nodeName = pod.spec.nodeName;
  const hostname = pod.spec.hostname;
  if (hostname && pod.spec.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace) address.hostname = hostname;
  address.targetRef = { kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  return address;
}

/** A port's identity (the sentinel for a headless Service without ports is the empty key). */
function portKey(port: EndpointPort | undefined): string {
  return port ? JSON.stringify([port.name ?? "", port.port, port.protocol ?? "TCP", port.appProtocol ?? ""]) : "";
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}|${a.targetRef?.uid ?? ""}`;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.uid ?? "").localeCompare(b.targetRef?.uid ?? "");
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? "").localeCompare(b.name ?? "") || a.port - b.port || (a.protocol ?? "").localeCompare(b.protocol ?? "");
}

/**
 * Pure: the subsets of a Service's Endpoints from its selected pods. Each
 * port maps to the addresses that offer it; ports offered by the same
 * addresses (with the same readiness) share a subset, as RepackSubsets
 * builds them. Addresses are sorted by IP; subsets by their first address and
 * ports (upstream orders them by a hash).
 */
export function endpointSubsets(service: Stored<Service>, pods: Stored<Pod>[]): EndpointSubset[] {
  const tolerateUnready = service.spec?.publishNotReadyAddresses === true;
  const servicePorts = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === "None";
  // port key → (port, address key → [address, ready])
  const byPort = new Map<string, { port?: EndpointPort; addrs: Map<string, [EndpointAddress, boolean]> }>();
  const offer = (port: EndpointPort | undefined, address: EndpointAddress, ready: boolean) => {
    const k = portKey(port);
    let entry = byPort.get(k);
    if (!entry) byPort.set(k, (entry = { port, addrs: new Map() }));
    entry.addrs.set(addressKey(address), [address, ready]);
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podAddressFor(service, pod);
    if (ip === undefined) continue;
    const address = endpointAddress(service, pod, ip);
    const ready = tolerateUnready || isPodReady(pod);
    if (servicePorts.length === 0) {
      if (headless) offer(undefined, address, ready);
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      offer({ name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP", ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) }, address, ready);
    }
  }
  // address set → the ports it offers
  const groups = new Map<string, { addrs: [EndpointAddress, boolean][]; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const list = [...addrs.values()].sort((a, b) => compareAddresses(a[0], b[0]));
    const setKey = JSON.stringify(list.map(([a, ready]) => [addressKey(a), ready]));
    let group = groups.get(setKey);
    if (!group) groups.set(setKey, (group = { addrs: list, ports: [] }));
    if (port) group.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { addrs, ports } of groups.values()) {
    const subset: EndpointSubset = {};
    const ready = addrs.filter(([, r]) => r).map(([a]) => a);
    const notReady = addrs.filter(([, r]) => !r).map(([a]) => a);
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    if (ports.length > 0) subset.ports = ports.sort(comparePorts);
    subsets.push(subset);
  }
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0]?.ip ?? "";
  return subsets.sort((a, b) => first(a).localeCompare(first(b)) || JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? [])));
}

function addressCount(subsets: EndpointSubset[]): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

/**
 * Pure: truncateEndpoints. Over MAX_CAPACITY addresses, ready ones are kept
 * first; the room left is shared among subsets in proportion to their
 * addresses, rounded up. Returns the subsets and whether any were cut
 * (subsets left empty are dropped: an Endpoints subset needs an address).
 */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  const { ready, notReady } = addressCount(subsets);
  if (ready + notReady <= max) return { subsets, truncated: false };
  const truncateReady = ready > max;
  const room = truncateReady ? max : max - ready;
  const total = truncateReady ? ready : notReady;
  let left = room;
  const out: EndpointSubset[] = [];
  for (const s of subsets) {
    const next: EndpointSubset = { ...s };
    const inSubset = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const share = Math.min(Math.ceil((inSubset / total) * room), left);
    if (truncateReady) {
      next.addresses = (s.addresses ?? []).slice(0, share);
      delete next.notReadyAddresses;
      left -= next.addresses.length;
      if (next.addresses.length === 0) delete next.addresses;
    } else {
      next.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, share);
      left -= next.notReadyAddresses.length;
      if (next.notReadyAddresses.length === 0) delete next.notReadyAddresses;
    }
    if (next.addresses || next.notReadyAddresses) out.push(next);
  }
  return { subsets: out, truncated: true };
}

/**
 * The time of the latest change the Endpoints reflect: the Service's creation
 * or a selected pod's last readiness change (upstream tracks the earliest
 * change not yet written; kemu writes at once, so the latest is the one that
 * triggered the write).
 */
export function lastChangeTriggerTime(service: Stored<Service>, pods: Stored<Pod>[]): string {
  let latest = service.metadata.creationTimestamp ?? "";
  for (const pod of pods) {
    const ready = pod.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime;
    const t = ready ?? pod.metadata.creationTimestamp ?? "";
    if (Date.parse(t) > Date.parse(latest || "0")) latest = t;
  }
  return latest;
}

function withoutHeadless(labels: Record<string, string> | undefined): Record<string, string> {
  const out = { ...(labels ?? {}) };
  delete out[LABEL_HEADLESS];
  return out;
}

/**
 * Pure: the Endpoints to write for a Service, or undefined when `current`
 * already says it (same subsets, same labels, over-capacity annotation right).
 */
export function desiredEndpoints(service: Stored<Service>, pods: Stored<Pod>[], current: Stored<Endpoints> | undefined, now = new Date().toISOString()): Endpoints | undefined {
  const subsets = endpointSubsets(service, pods);
  const counted = addressCount(current?.subsets ?? []);
  const capacityRight = counted.ready + counted.notReady <= MAX_CAPACITY && !(OVER_CAPACITY in (current?.metadata.annotations ?? {}));
  if (current && deepEqual(current.subsets ?? [], subsets) && deepEqual(withoutHeadless(current.metadata.labels), service.metadata.labels ?? {}) && capacityRight) {
    return undefined;
  }
  const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
  annotations[LAST_CHANGE_TRIGGER_TIME] = lastChangeTriggerTime(service, pods) || now;
  const { subsets: kept, truncated } = truncateSubsets(subsets);
  if (truncated) annotations[OVER_CAPACITY] = "truncated";
  else delete annotations[OVER_CAPACITY];
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  const ip = service.spec?.clusterIP ?? "";
  if (ip === "" || ip === "None") labels[LABEL_HEADLESS] = "";
  else delete labels[LABEL_HEADLESS];
  const metadata: Record<string, unknown> = { ...(current?.metadata ?? {}), name: service.metadata.name, namespace: service.metadata.namespace, labels, annotations };
  return { apiVersion: "v1", kind: "Endpoints", metadata, ...(kept.length > 0 ? { subsets: kept } : {}) } as Endpoints;
}

function hasSelector(service: Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

function selects(service: Service, labels: Record<string, string> | undefined): boolean {
  return Object.entries(service.spec?.selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

export class EndpointsController extends Controller {
  /** A relabelled pod concerns the Services it left too. */
  private readonly podLabels = new PodLabelHistory();

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("endpoints-controller", api);
  }

  start(): void {
    this.watch(R.services, (e) => (e.type === "BOOKMARK" || e.type === "ERROR" ? [] : [`${e.object.metadata.namespace}/${e.object.metadata.name}`]));
    this.watch(R.pods, (e) => this.onPod(e));
    // A deleted (or hand-edited) Endpoints of a Service is written again.
    this.watch(ENDPOINTS, (e) => (e.type === "DELETED" || e.type === "MODIFIED" ? [`${e.object.metadata.namespace}/${e.object.metadata.name}`] : []));
    this.podLabels.seed(this.api.list(R.pods).items);
    this.enqueueAll(R.services);
  }

  private onPod(e: WatchEvent): string[] {
    const change = this.podLabels.observe(e);
    if (!change) return [];
    const { namespace, before } = change;
    const keys: string[] = [];
    for (const svc of this.api.list(R.services, { namespace }).items as Stored<Service>[]) {
      if (!hasSelector(svc)) continue;
      if (selects(svc, change.labels) || (before && selects(svc, before))) keys.push(`${namespace}/${svc.metadata.name}`);
    }
    return keys;
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const service = this.api.tryGet(R.services, namespace, name) as Stored<Service> | undefined;
    const current = this.api.tryGet(ENDPOINTS, namespace, name) as Stored<Endpoints> | undefined;
    if (!service) {
      // The Service is gone: so are its Endpoints (upstream deletes them whoever wrote them).
      if (current) this.ignoreGone(() => this.api.delete(ENDPOINTS, namespace, name));
      return;
    }
    // ExternalName Services and Services without a selector get no Endpoints from this controller.
    if (service.spec?.type === "ExternalName" || !hasSelector(service)) return;
    const pods = (this.api.list(R.pods, { namespace }).items as Stored<Pod>[]).filter((p) => selects(service, p.metadata.labels));
    const next = desiredEndpoints(service, pods, current);
    if (!next) return;
    try {
      if (current) this.api.update(ENDPOINTS, next, namespace);
      else this.api.create(ENDPOINTS, next, namespace);
    } catch (err) {
      // A terminating namespace takes no new objects; its Service goes soon too.
      if (err instanceof ApiError && err.reason === "Forbidden" && !current) return;
      throw err;
    }
  }

  private ignoreGone(fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    }
  }
}
