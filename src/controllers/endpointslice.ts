// EndpointSlice controller, as kube-controller-manager's: for every Service
// with a selector, EndpointSlices (named <service>-<5 random characters>)
// listing the pods that match it and have an IP, with their ready / serving /
// terminating conditions and the Service's target ports resolved per pod.
// Pods whose ports resolve differently (a named targetPort that maps to
// different container ports, or does not resolve at all) go into different
// slices, since a slice has one port list; at most 100 endpoints per slice.
// Level-triggered: each sync computes the slices the Service should have and
// converges to them, writing only what changed.
import { Controller, R, splitKey } from "./controller.js";
import type { EndpointSlice, KubeObject, Pod, Service, Stored, WatchEvent } from "../api/types.js";
import { controllerRef } from "../api/meta.js";
import { ApiError } from "../api/errors.js";
import { deepEqual } from "../api/validation/util.js";
import { isPodReady } from "../api/podutil.js";

export const CONTROLLER_NAME = "endpointslice-controller.k8s.io";
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";
export const LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
export const LABEL_HEADLESS = "service.kubernetes.io/headless";
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export type Endpoint = NonNullable<EndpointSlice["endpoints"]>[number];
export type EndpointPort = NonNullable<EndpointSlice["ports"]>[number];
type ServicePort = NonNullable<NonNullable<Service["spec"]>["ports"]>[number];
type AddressType = "IPv4" | "IPv6";

export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice?: number;
}

/** Whether a pod belongs in a Service's slices at all: not finished, and with an IP. Terminating pods stay (ready=false). */
export function shouldPodBeInEndpoints(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  return Boolean(pod.status?.podIP) || (pod.status?.podIPs ?? []).length > 0;
}

/**
 * The container port a Service port's targetPort means for one pod: a number
 * as is; a name looked up among the pod's container ports (and sidecar init
 * containers') with the same protocol. Undefined when a name does not resolve.
 */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === "number") return target;
  const protocol = servicePort.protocol ?? "TCP";
  const sidecars = (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  for (const c of [...pod.spec.containers, ...sidecars]) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  }
  return undefined;
}

/** The slice ports for one pod: one per Service port whose target resolves, in the Service's order. */
export function endpointPorts(service: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP", ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** One pod as an endpoint of a Service (upstream's podToEndpoint, without zones). */
export function podToEndpoint(pod: Stored<Pod>, service: Service, addressType: AddressType = "IPv4"): Endpoint {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  // A terminating pod is never ready, unless the Service publishes not-ready addresses.
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => Boolean(ip));
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  const ep: Endpoint = {
    addresses: ips.filter((ip) => (addressType === "IPv6") === ip.includes(":")),
    conditions: { ready, serving, terminating },
  };
  const hostname = pod.spec.hostname;
  if (hostname && pod.spec.subdomain === service.metadata?.name && pod.metadata.namespace === service.metadata?.namespace) ep.hostname = hostname;
  ep.targetRef = { kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

/** Upstream's identity of an endpoint within a slice: its addresses, hostname and pod. */
function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? "", ep.targetRef?.namespace ?? "", ep.targetRef?.name ?? ""]);
}

function portsKey(ports: EndpointPort[] | undefined): string {
  const canon = (ports ?? []).map((p) => JSON.stringify([p.name ?? "", p.protocol ?? "TCP", p.port ?? 0, p.appProtocol ?? ""]));
  return JSON.stringify(canon.sort());
}

function addressTypesOf(service: Service): AddressType[] {
  const families = service.spec?.ipFamilies ?? [];
  const types = new Set<AddressType>();
  for (const f of families) if (f === "IPv4" || f === "IPv6") types.add(f);
  if (types.size > 0) return [...types];
  const ip = service.spec?.clusterIP ?? "";
  if (ip && ip !== "None") return [ip.includes(":") ? "IPv6" : "IPv4"];
  return ["IPv4", "IPv6"];
}

function isServiceIPSet(service: Service): boolean {
  const ip = service.spec?.clusterIP ?? "";
  return ip !== "" && ip !== "None";
}

const RESERVED = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS]);

function withoutReserved(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !RESERVED.has(k)));
}

/** The labels a slice of this Service carries, and whether the Service's own labels differ from the slice's. */
function sliceLabels(slice: EndpointSlice | undefined, service: Stored<Service>): [Record<string, string>, boolean] {
  const svcLabels = withoutReserved(service.metadata.labels);
  const changed = !deepEqual(withoutReserved(slice?.metadata?.labels), svcLabels);
  if (!isServiceIPSet(service)) svcLabels[LABEL_HEADLESS] = "";
  svcLabels[LABEL_SERVICE_NAME] = service.metadata.name;
  svcLabels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return [svcLabels, changed];
}

function ownedBy(slice: EndpointSlice, service: Stored<Service>): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === service.metadata.uid && o.kind === "Service" && o.apiVersion === "v1");
}

function newSlice(service: Stored<Service>, ports: EndpointPort[], addressType: AddressType): EndpointSlice {
  const [labels] = sliceLabels(undefined, service);
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      generateName: `${service.metadata.name}-`,
      namespace: service.metadata.namespace,
      labels,
      ownerReferences: [controllerRef(service as Stored<KubeObject>)],
    },
    addressType,
    endpoints: [],
    ...(ports.length ? { ports } : {}),
  };
}

/** What one sync writes. */
interface Plan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: Stored<EndpointSlice>[];
}

/**
 * The writes that bring a Service's managed slices to the desired state
 * (upstream's reconciler): endpoints stay in the slice they are in, changed
 * ones are updated in place, new ones fill slices that are being written
 * anyway (fullest first), then an unchanged slice they fit in, then new
 * slices; slices left empty go, and a Service with no endpoints keeps one
 * empty placeholder slice.
 */
export function planEndpointSlices(
  service: Stored<Service>,
  pods: Stored<Pod>[],
  existing: Stored<EndpointSlice>[],
  maxEndpointsPerSlice = MAX_ENDPOINTS_PER_SLICE,
): Plan {
  const plan: Plan = { create: [], update: [], delete: [] };
  const types = addressTypesOf(service);
  plan.delete.push(...existing.filter((s) => !types.includes(s.addressType as AddressType)));
  const sorted = [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const addressType of types) {
    const mine = existing.filter((s) => s.addressType === addressType);
    const part = planAddressType(service, sorted, mine, addressType, maxEndpointsPerSlice);
    plan.create.push(...part.create);
    plan.update.push(...part.update);
    plan.delete.push(...part.delete);
  }
  // Reuse the names of slices about to go for slices about to be made (fewer writes, stable names).
  for (let i = 0; i < plan.delete.length && plan.create.length > 0; ) {
    const gone = plan.delete[i]!;
    const made = plan.create[plan.create.length - 1]!;
    if (gone.addressType === made.addressType && ownedBy(gone, service)) {
      plan.create.pop();
      plan.update.push({ ...made, metadata: { ...made.metadata, name: gone.metadata.name, resourceVersion: gone.metadata.resourceVersion } });
      plan.delete.splice(i, 1);
    } else {
      i++;
    }
  }
  return plan;
}

function planAddressType(
  service: Stored<Service>,
  pods: Stored<Pod>[],
  existing: Stored<EndpointSlice>[],
  addressType: AddressType,
  max: number,
): Plan {
  const plan: Plan = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, Stored<EndpointSlice>[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, service)) {
      plan.delete.push(slice);
      continue;
    }
    const k = portsKey(slice.ports);
    existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), slice]);
  }

  const desired = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod)) continue;
    const ports = endpointPorts(service, pod);
    const k = portsKey(ports);
    let group = desired.get(k);
    if (!group) desired.set(k, (group = { ports, endpoints: new Map() }));
    const ep = podToEndpoint(pod, service, addressType);
    if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
  }

  for (const [k, group] of desired) {
    const part = planPorts(service, existingByPorts.get(k) ?? [], group.ports, group.endpoints, addressType, max);
    plan.create.push(...part.create);
    plan.update.push(...part.update);
    plan.delete.push(...part.delete);
  }
  for (const [k, slices] of existingByPorts) if (!desired.has(k)) plan.delete.push(...slices);

  // A Service with nothing to list keeps one empty slice, so that "no endpoints" is visible.
  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = newSlice(service, [], addressType);
    const only = plan.delete.length === 1 ? plan.delete[0]! : undefined;
    if (only && ownedBy(only, service) && !(only.endpoints ?? []).length && !(only.ports ?? []).length) {
      plan.delete = [];
      if (!deepEqual(only.metadata.labels, placeholder.metadata!.labels)) plan.update.push({ ...only, metadata: { ...only.metadata, labels: placeholder.metadata!.labels } });
    } else {
      plan.create.push(placeholder);
    }
  }
  return plan;
}

function planPorts(
  service: Stored<Service>,
  existing: Stored<EndpointSlice>[],
  ports: EndpointPort[],
  desired: Map<string, Endpoint>,
  addressType: AddressType,
  max: number,
): Plan {
  const plan: Plan = { create: [], update: [], delete: [] };
  const want = new Map(desired);
  const toUpdate = new Map<string, EndpointSlice>();
  const unchanged = new Map<string, Stored<EndpointSlice>>();

  // 1. Keep the endpoints still wanted where they are; note slices that changed.
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const k = endpointKey(ep);
      const wanted = want.get(k);
      if (!wanted) continue;
      kept.push(wanted);
      if (!deepEqual(wanted, ep)) changed = true;
      want.delete(k);
    }
    const [labels, labelsChanged] = sliceLabels(slice, service);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) plan.delete.push(slice);
      else toUpdate.set(slice.metadata.name, { ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
    } else if (labelsChanged) {
      toUpdate.set(slice.metadata.name, { ...slice, metadata: { ...slice.metadata, labels } });
    } else {
      unchanged.set(slice.metadata.name, slice);
    }
  }

  const pop = (): Endpoint => {
    const [k, ep] = want.entries().next().value as [string, Endpoint];
    want.delete(k);
    return ep;
  };

  // 2. New endpoints first fill the slices that are being written anyway, fullest first.
  if (want.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate.values()].sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const slice of slices) {
      const eps = [...(slice.endpoints ?? [])];
      while (want.size > 0 && eps.length < max) eps.push(pop());
      slice.endpoints = eps;
    }
  }

  // 3. Then an unchanged slice they all fit in (the one left fullest), else new slices.
  while (want.size > 0) {
    let fill: EndpointSlice | undefined;
    if (want.size < max && unchanged.size > 0) {
      const best = sliceToFill([...unchanged.values()], want.size, max);
      if (best) {
        fill = { ...best, endpoints: [...(best.endpoints ?? [])] };
        unchanged.delete(best.metadata.name);
        toUpdate.set(best.metadata.name, fill);
      }
    }
    if (!fill) {
      fill = newSlice(service, ports, addressType);
      plan.create.push(fill);
    }
    const eps = fill.endpoints ?? [];
    while (want.size > 0 && eps.length < max) eps.push(pop());
    fill.endpoints = eps;
  }
  plan.update.push(...toUpdate.values());
  return plan;
}

/** The slice that would be closest to full after taking `count` more endpoints, if any has room. */
function sliceToFill(slices: Stored<EndpointSlice>[], count: number, max: number): Stored<EndpointSlice> | undefined {
  let best: Stored<EndpointSlice> | undefined;
  let closest = max;
  for (const s of slices) {
    const room = max - (count + (s.endpoints ?? []).length);
    if (room >= 0 && room < closest) {
      closest = room;
      best = s;
      if (room === 0) break;
    }
  }
  return best;
}

function hasSelector(service: Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

function matchesSelector(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const k in selector) if (labels?.[k] !== selector[k]) return false;
  return true;
}

/** Names filed by namespace and label pair (key, value); empty buckets are dropped. */
class LabelIndex {
  private readonly byNamespace = new Map<string, Map<string, Map<string, Set<string>>>>();

  get(namespace: string, key: string, value: string): ReadonlySet<string> | undefined {
    return this.byNamespace.get(namespace)?.get(key)?.get(value);
  }

  add(namespace: string, key: string, value: string, name: string): void {
    let keys = this.byNamespace.get(namespace);
    if (!keys) this.byNamespace.set(namespace, (keys = new Map()));
    let values = keys.get(key);
    if (!values) keys.set(key, (values = new Map()));
    let names = values.get(value);
    if (!names) values.set(value, (names = new Set()));
    names.add(name);
  }

  delete(namespace: string, key: string, value: string, name: string): void {
    const keys = this.byNamespace.get(namespace);
    const values = keys?.get(key);
    const names = values?.get(value);
    if (!keys || !values || !names) return;
    names.delete(name);
    if (names.size > 0) return;
    values.delete(value);
    if (values.size > 0) return;
    keys.delete(key);
    if (keys.size === 0) this.byNamespace.delete(namespace);
  }
}

/** A Service's selector, and the one pair of it the Service is filed under in servicesByLabel. */
interface IndexedSelector {
  selector: Record<string, string>;
  key: string;
  value: string;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * Per-event work is kept proportional to what the event concerns (as
 * upstream's informer indexers do): the controller keeps its own indexes of
 * pods, selectors and managed slices, filled by one list at start and kept
 * current by the watch events it receives anyway. Events are upserts and
 * deletes by key, so a re-list replaying ADDED for known objects, or an
 * event for an object never seen, leaves the indexes right. Events reach
 * them in order (microtasks, see Controller.watch), and the work queue runs a
 * sync only after the events already written; the controller's own slice
 * writes are filed at once besides, so a sync never plans against slices
 * older than its last write.
 */
export class EndpointSliceController extends Controller {
  private readonly max: number;
  /** Pods by namespace, then name, as last seen. */
  private readonly pods = new Map<string, Map<string, Stored<Pod>>>();
  /** Pod names by label pair: a selector's pods are among those of its rarest pair. */
  private readonly podsByLabel = new LabelIndex();
  /** Services with a selector, by namespace, then name. */
  private readonly selectors = new Map<string, Map<string, IndexedSelector>>();
  /**
   * Service names, each under one pair of its selector (the one with the fewest
   * Services at the time): a pod's Services are among those filed under its labels.
   */
  private readonly servicesByLabel = new LabelIndex();
  /** Managed slices by Service key, then slice name. */
  private readonly slicesByService = new Map<string, Map<string, Stored<EndpointSlice>>>();
  /** The Service key each indexed slice (by slice key) is filed under. */
  private readonly serviceOfSlice = new Map<string, string>();
  /** By pod key: the Services whose managed slices list the pod, and how many times. */
  private readonly listedIn = new Map<string, Map<string, number>>();

  constructor(api: ConstructorParameters<typeof Controller>[1], options: EndpointSliceControllerOptions = {}) {
    super("endpointslice-controller", api);
    this.max = options.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  }

  start(): void {
    this.watch(R.services, (e) => this.onService(e));
    this.watch(R.pods, (e) => this.onPod(e));
    this.watch(R.endpointslices, (e) => this.onSlice(e));
    // Watches first, then the list: nothing can be written in between (all of
    // this is synchronous), and events after it arrive as upserts.
    for (const svc of this.api.list(R.services).items) this.indexService(svc as Stored<Service>);
    for (const pod of this.api.list(R.pods).items) this.indexPod(pod as Stored<Pod>);
    for (const slice of this.api.list(R.endpointslices).items) this.indexSlice(slice as Stored<EndpointSlice>);
    this.enqueueAll(R.services);
  }

  private onService(e: WatchEvent): string[] {
    if (e.type === "BOOKMARK" || e.type === "ERROR") return [];
    const svc = e.object as Stored<Service>;
    if (e.type === "DELETED") this.forgetService(svc.metadata.namespace ?? "", svc.metadata.name);
    else this.indexService(svc);
    return [keyOf(svc.metadata.namespace ?? "", svc.metadata.name)];
  }

  private onPod(e: WatchEvent): string[] {
    if (e.type === "BOOKMARK" || e.type === "ERROR") return [];
    const pod = e.object as Stored<Pod>;
    const keys = this.servicesOfPod(pod);
    if (e.type === "DELETED") this.forgetPod(pod.metadata.namespace ?? "", pod.metadata.name);
    else this.indexPod(pod);
    return keys;
  }

  private onSlice(e: WatchEvent): string[] {
    if (e.type === "BOOKMARK" || e.type === "ERROR") return [];
    const slice = e.object as Stored<EndpointSlice>;
    const namespace = slice.metadata.namespace ?? "";
    const keys = new Set<string>();
    // A slice relabelled away from (or deleted under) a Service concerns that Service too.
    const before = this.serviceOfSlice.get(keyOf(namespace, slice.metadata.name));
    if (before) keys.add(before);
    if (e.type === "DELETED") this.forgetSlice(namespace, slice.metadata.name);
    else this.indexSlice(slice);
    const service = slice.metadata.labels?.[LABEL_SERVICE_NAME];
    if (service) keys.add(keyOf(namespace, service));
    return [...keys];
  }

  private indexService(svc: Stored<Service>): void {
    const namespace = svc.metadata.namespace ?? "";
    this.forgetService(namespace, svc.metadata.name);
    if (!hasSelector(svc)) return;
    const selector = { ...svc.spec!.selector! };
    let best: [string, string] | undefined;
    let fewest = Infinity;
    for (const [k, v] of Object.entries(selector)) {
      const n = this.servicesByLabel.get(namespace, k, v)?.size ?? 0;
      if (n < fewest) [best, fewest] = [[k, v], n];
    }
    const [key, value] = best!;
    this.servicesByLabel.add(namespace, key, value, svc.metadata.name);
    let byName = this.selectors.get(namespace);
    if (!byName) this.selectors.set(namespace, (byName = new Map()));
    byName.set(svc.metadata.name, { selector, key, value });
  }

  private forgetService(namespace: string, name: string): void {
    const byName = this.selectors.get(namespace);
    const old = byName?.get(name);
    if (!byName || !old) return;
    this.servicesByLabel.delete(namespace, old.key, old.value, name);
    byName.delete(name);
    if (byName.size === 0) this.selectors.delete(namespace);
  }

  private indexPod(pod: Stored<Pod>): void {
    const namespace = pod.metadata.namespace ?? "";
    this.forgetPod(namespace, pod.metadata.name);
    let byName = this.pods.get(namespace);
    if (!byName) this.pods.set(namespace, (byName = new Map()));
    byName.set(pod.metadata.name, pod);
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) this.podsByLabel.add(namespace, k, v, pod.metadata.name);
  }

  private forgetPod(namespace: string, name: string): void {
    const byName = this.pods.get(namespace);
    const old = byName?.get(name);
    if (!byName || !old) return;
    for (const [k, v] of Object.entries(old.metadata.labels ?? {})) this.podsByLabel.delete(namespace, k, v, name);
    byName.delete(name);
    if (byName.size === 0) this.pods.delete(namespace);
  }

  /** Files a slice under its Service if this controller manages it (after dropping what was filed for it before). */
  private indexSlice(slice: Stored<EndpointSlice>): void {
    const namespace = slice.metadata.namespace ?? "";
    this.forgetSlice(namespace, slice.metadata.name);
    const labels = slice.metadata.labels;
    const service = labels?.[LABEL_SERVICE_NAME];
    if (!service || labels?.[LABEL_MANAGED_BY] !== CONTROLLER_NAME) return;
    const serviceKey = keyOf(namespace, service);
    let byName = this.slicesByService.get(serviceKey);
    if (!byName) this.slicesByService.set(serviceKey, (byName = new Map()));
    byName.set(slice.metadata.name, slice);
    this.serviceOfSlice.set(keyOf(namespace, slice.metadata.name), serviceKey);
    this.countListings(slice, serviceKey, 1);
  }

  private forgetSlice(namespace: string, name: string): void {
    const sliceKey = keyOf(namespace, name);
    const serviceKey = this.serviceOfSlice.get(sliceKey);
    if (!serviceKey) return;
    this.serviceOfSlice.delete(sliceKey);
    const byName = this.slicesByService.get(serviceKey);
    const old = byName?.get(name);
    if (!byName || !old) return;
    byName.delete(name);
    if (byName.size === 0) this.slicesByService.delete(serviceKey);
    this.countListings(old, serviceKey, -1);
  }

  /** Adds (1) or removes (-1) a slice's endpoints from the pods' listings. */
  private countListings(slice: Stored<EndpointSlice>, serviceKey: string, delta: 1 | -1): void {
    const namespace = slice.metadata.namespace ?? "";
    for (const ep of slice.endpoints ?? []) {
      const pod = ep.targetRef?.name;
      if (!pod) continue;
      const podKey = keyOf(namespace, pod);
      let services = this.listedIn.get(podKey);
      if (!services) this.listedIn.set(podKey, (services = new Map()));
      const n = (services.get(serviceKey) ?? 0) + delta;
      if (n > 0) services.set(serviceKey, n);
      else services.delete(serviceKey);
      if (services.size === 0) this.listedIn.delete(podKey);
    }
  }

  /**
   * The Services a pod event concerns: those whose selector matches the pod
   * now, and those whose slices list it (it may have stopped matching, or be gone).
   */
  private servicesOfPod(pod: Stored<Pod>): string[] {
    const namespace = pod.metadata.namespace ?? "";
    const labels = pod.metadata.labels ?? {};
    const keys = new Set<string>();
    const selectors = this.selectors.get(namespace);
    if (selectors) {
      for (const [k, v] of Object.entries(labels)) {
        for (const name of this.servicesByLabel.get(namespace, k, v) ?? []) {
          const selector = selectors.get(name)?.selector;
          if (selector && matchesSelector(selector, labels)) keys.add(keyOf(namespace, name));
        }
      }
    }
    for (const serviceKey of this.listedIn.get(keyOf(namespace, pod.metadata.name))?.keys() ?? []) keys.add(serviceKey);
    return [...keys];
  }

  /** The indexed pods a selector matches, read from the bucket of its rarest pair. */
  private selectedPods(namespace: string, selector: Record<string, string>): Stored<Pod>[] {
    const byName = this.pods.get(namespace);
    if (!byName) return [];
    let fewest: ReadonlySet<string> | undefined;
    for (const [k, v] of Object.entries(selector)) {
      const names = this.podsByLabel.get(namespace, k, v);
      if (!names) return [];
      if (!fewest || names.size < fewest.size) fewest = names;
    }
    const out: Stored<Pod>[] = [];
    for (const name of fewest ?? []) {
      const pod = byName.get(name);
      if (pod && matchesSelector(selector, pod.metadata.labels)) out.push(pod);
    }
    return out;
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const service = this.api.tryGet(R.services, namespace, name) as Stored<Service> | undefined;
    // A deleted Service's slices go with it (garbage collector, through their ownerReferences).
    if (!service || service.metadata.deletionTimestamp) return;
    // ExternalName Services get no endpoints; Services without a selector get
    // theirs from whoever wrote them, and this controller leaves those alone.
    if (service.spec?.type === "ExternalName" || !hasSelector(service)) return;
    const ns = service.metadata.namespace ?? "";

    const pods = this.selectedPods(ns, service.spec!.selector!);
    // By name, as a list would give them: the plan fills slices in this order.
    const existing = [...(this.slicesByService.get(key)?.values() ?? [])]
      .filter((s) => !s.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const plan = planEndpointSlices(service, pods, existing, this.max);

    // Our own writes go into the index at once, so that a sync never plans
    // against a slice index that lags its own writes (the watch events that
    // follow are the same objects, filed again).
    for (const slice of plan.create) this.indexSlice(this.api.create(R.endpointslices, slice, ns) as Stored<EndpointSlice>);
    for (const slice of plan.update) this.indexSlice(this.api.update(R.endpointslices, slice, ns) as Stored<EndpointSlice>);
    for (const slice of plan.delete) {
      try {
        this.api.delete(R.endpointslices, ns, slice.metadata.name);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
      this.forgetSlice(ns, slice.metadata.name);
    }
  }
}
