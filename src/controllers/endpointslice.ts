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
import type { EndpointSlice, KubeObject, Pod, Service, Stored } from "../api/types.js";
import { controllerRef } from "../api/meta.js";
import { ApiError } from "../api/errors.js";
import { deepEqual } from "../api/validation/util.js";
import { isPodReady } from "./podutil.js";

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

function selects(service: Service, pod: Pod): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(service.spec?.selector ?? {}).every(([k, v]) => labels[k] === v);
}

export class EndpointSliceController extends Controller {
  private readonly max: number;

  constructor(api: ConstructorParameters<typeof Controller>[1], options: EndpointSliceControllerOptions = {}) {
    super("endpointslice-controller", api);
    this.max = options.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  }

  start(): void {
    this.watch(R.services, (e) => [`${e.object.metadata.namespace}/${e.object.metadata.name}`]);
    this.watch(R.pods, (e) => this.servicesOfPod(e.object as Stored<Pod>));
    this.watch(R.endpointslices, (e) => {
      const service = e.object.metadata.labels?.[LABEL_SERVICE_NAME];
      return service ? [`${e.object.metadata.namespace}/${service}`] : [];
    });
    this.enqueueAll(R.services);
  }

  /**
   * The Services a pod event concerns: those whose selector matches the pod
   * now, and those whose slices list it (it may have stopped matching, or be gone).
   */
  private servicesOfPod(pod: Stored<Pod>): string[] {
    const namespace = pod.metadata.namespace;
    const keys = new Set<string>();
    for (const svc of this.api.list(R.services, { namespace }).items as Stored<Service>[]) {
      if (hasSelector(svc) && selects(svc, pod)) keys.add(`${namespace}/${svc.metadata.name}`);
    }
    const managed = this.api.list(R.endpointslices, { namespace, labelSelector: `${LABEL_MANAGED_BY}=${CONTROLLER_NAME}` }).items as Stored<EndpointSlice>[];
    for (const slice of managed) {
      const service = slice.metadata.labels?.[LABEL_SERVICE_NAME];
      if (service && (slice.endpoints ?? []).some((ep) => ep.targetRef?.name === pod.metadata.name)) keys.add(`${namespace}/${service}`);
    }
    return [...keys];
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const service = this.api.tryGet(R.services, namespace, name) as Stored<Service> | undefined;
    // A deleted Service's slices go with it (garbage collector, through their ownerReferences).
    if (!service || service.metadata.deletionTimestamp) return;
    // ExternalName Services get no endpoints; Services without a selector get
    // theirs from whoever wrote them, and this controller leaves those alone.
    if (service.spec?.type === "ExternalName" || !hasSelector(service)) return;

    const pods = (this.api.list(R.pods, { namespace }).items as Stored<Pod>[]).filter((p) => selects(service, p));
    const existing = (
      this.api.list(R.endpointslices, { namespace, labelSelector: `${LABEL_SERVICE_NAME}=${name},${LABEL_MANAGED_BY}=${CONTROLLER_NAME}` }).items as Stored<EndpointSlice>[]
    ).filter((s) => !s.metadata.deletionTimestamp);
    const plan = planEndpointSlices(service, pods, existing, this.max);

    for (const slice of plan.create) this.api.create(R.endpointslices, slice, namespace);
    for (const slice of plan.update) this.api.update(R.endpointslices, slice, namespace);
    for (const slice of plan.delete) {
      try {
        this.api.delete(R.endpointslices, namespace, slice.metadata.name);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
  }
}
