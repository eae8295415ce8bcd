// Service allocation as the API server does it inside create and update (the
// Service registry's allocators), plus the load-balancer IPs MetalLB would
// hand out: ClusterIPs from the service CIDR, NodePorts (and the health-check
// node port of `externalTrafficPolicy: Local` load balancers) from the node
// port range, and an ingress IP from the load-balancer pool written into
// status.loadBalancer. Everything a Service holds is given back when it is
// removed. The allocators start empty: the store is in memory and starts
// empty too, so there is nothing to repair on start-up.
import type { Admission } from "../../api/apiserver.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { KubeObject, Service, Stored } from "../../api/types.js";
import { ApiError, FieldError, fieldErrors } from "../../api/errors.js";
import { AllocationError } from "./bitmap.js";
import { ClusterIpAllocator } from "./clusterip.js";
import { NodePortAllocator } from "./nodeport.js";
import { LoadBalancerPool } from "./loadbalancer.js";
import { isIPv6 } from "../../api/validation/net.js";

export const DEFAULT_SERVICE_CIDR = "10.96.0.0/12";
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];
/** The range kind's MetalLB guides carve out of the docker network (kemu's underlay is 172.18.0.0/16 too). */
export const DEFAULT_LOAD_BALANCER_POOL = "172.18.255.1-172.18.255.254";

export interface ServiceAllocationOptions {
  serviceCidr?: string;
  nodePortRange?: readonly [number, number];
  /** a CIDR, an inclusive "first-last" range, or several separated by commas */
  loadBalancerPool?: string;
}

/** What one Service holds, by UID. */
export interface Holdings {
  clusterIP?: string;
  nodePorts: number[];
  healthCheckNodePort?: number;
  loadBalancerIP?: string;
}

type Spec = NonNullable<Service["spec"]>;
type Port = NonNullable<Spec["ports"]>[number];

/** A write that must fail with one field error (upstream stops at the first allocation error). */
class Rejection extends Error {
  constructor(readonly error: FieldError) {
    super(error.toString());
  }
}

function internalError(message: string): ApiError {
  return new ApiError("InternalError", `Internal error occurred: ${message}`, { causes: [{ reason: "", message, field: "" }] });
}

/**
 * Allocations made while admitting one write: claimed values are given back
 * if the write fails (or is a dry run); values the write gives up are only
 * released once it has succeeded.
 */
class Transaction {
  private readonly undo: (() => void)[] = [];
  private readonly deferred: (() => void)[] = [];

  claimed(undo: () => void): void {
    this.undo.push(undo);
  }

  releaseLater(release: () => void): void {
    this.deferred.push(release);
  }

  rollback(): void {
    for (const u of this.undo.splice(0).reverse()) u();
    this.deferred.length = 0;
  }

  commit(dryRun: boolean): void {
    if (dryRun) return this.rollback();
    for (const r of this.deferred.splice(0)) r();
    this.undo.length = 0;
  }
}

const typeOf = (spec: Spec): string => spec.type ?? "ClusterIP";
const needsNodePorts = (spec: Spec): boolean => typeOf(spec) === "NodePort" || typeOf(spec) === "LoadBalancer";
const needsHealthCheck = (spec: Spec): boolean => typeOf(spec) === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
const isHeadless = (spec: Spec): boolean => spec.clusterIP === "None" || (spec.clusterIPs?.[0] === "None" && !spec.clusterIP);
const hasSelector = (spec: Spec): boolean => Object.keys(spec.selector ?? {}).length > 0;

export class ServiceAllocation implements Admission {
  readonly clusterIPs: ClusterIpAllocator;
  readonly nodePorts: NodePortAllocator;
  readonly loadBalancerIPs: LoadBalancerPool;
  private readonly held = new Map<string, Holdings>();

  constructor(options: ServiceAllocationOptions = {}) {
    this.clusterIPs = new ClusterIpAllocator(options.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    this.nodePorts = new NodePortAllocator(options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
    this.loadBalancerIPs = new LoadBalancerPool(options.loadBalancerPool ?? DEFAULT_LOAD_BALANCER_POOL);
  }

  /** Remembers every allocation; calling the result puts them all back (an apply that failed as a whole). */
  checkpoint(): () => void {
    const restores = [this.clusterIPs.checkpoint(), this.nodePorts.checkpoint(), this.loadBalancerIPs.checkpoint()];
    const held = new Map([...this.held].map(([uid, h]) => [uid, { ...h, nodePorts: [...h.nodePorts] }]));
    return () => {
      for (const restore of restores) restore();
      this.held.clear();
      for (const [uid, h] of held) this.held.set(uid, h);
    };
  }

  /** What the Service with this UID holds (a copy), if anything. */
  holdings(uid: string): Holdings | undefined {
    const h = this.held.get(uid);
    return h ? { ...h, nodePorts: [...h.nodePorts] } : undefined;
  }

  admitCreate(resource: ResourceInfo, obj: Stored<KubeObject>, dryRun: boolean): FieldError[] | void {
    if (resource.kind !== "Service") return;
    return this.admit(obj as Stored<Service>, undefined, dryRun);
  }

  admitUpdate(resource: ResourceInfo, obj: Stored<KubeObject>, old: Stored<KubeObject>, dryRun: boolean): FieldError[] | void {
    if (resource.kind !== "Service") return;
    return this.admit(obj as Stored<Service>, old as Stored<Service>, dryRun);
  }

  released(resource: ResourceInfo, obj: Stored<KubeObject>): void {
    if (resource.kind !== "Service") return;
    const h = this.held.get(obj.metadata.uid);
    if (!h) return;
    this.held.delete(obj.metadata.uid);
    if (h.clusterIP) this.clusterIPs.release(h.clusterIP);
    for (const p of h.nodePorts) this.nodePorts.release(p);
    if (h.healthCheckNodePort) this.nodePorts.release(h.healthCheckNodePort);
    if (h.loadBalancerIP) this.loadBalancerIPs.release(h.loadBalancerIP);
  }

  private admit(svc: Stored<Service>, old: Stored<Service> | undefined, dryRun: boolean): FieldError[] | void {
    svc.spec ??= {};
    const spec = svc.spec;
    const oldSpec = old?.spec ?? {};
    const before: Holdings = (old && this.held.get(old.metadata.uid)) || { nodePorts: [] };
    if (old) patchAllocatedValues(spec, oldSpec);

    const familyErrors = this.initIPFamilies(spec);
    if (familyErrors.length) return familyErrors;

    const txn = new Transaction();
    const after: Holdings = { nodePorts: [] };
    try {
      this.allocClusterIP(spec, before, after, txn);
      if (old) this.updateNodePorts(spec, before, after, txn);
      else this.initNodePorts(spec, after, txn);
      this.allocHealthCheckNodePort(spec, old ? oldSpec : undefined, before, after, txn);
      this.allocLoadBalancerIP(svc, old === undefined, before, after, txn);
    } catch (err) {
      txn.rollback();
      if (err instanceof Rejection) return [err.error];
      throw err;
    }
    txn.commit(dryRun);
    if (!dryRun) this.held.set(svc.metadata.uid, after);
  }

  /**
   * The IP-family checks the registry makes for a single-stack IPv4 cluster
   * (and the extra family it gives a headless Service without a selector).
   */
  private initIPFamilies(spec: Spec): FieldError[] {
    if (typeOf(spec) === "ExternalName") return [];
    const errs: FieldError[] = [];
    const policy = spec.ipFamilyPolicy ?? "SingleStack";
    const ips = spec.clusterIPs ?? [];
    const families = spec.ipFamilies ?? [];
    if (policy === "SingleStack") {
      if (ips.length === 2) {
        errs.push(fieldErrors.invalid("spec.ipFamilyPolicy", policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
      }
      if (families.length === 2) {
        errs.push(fieldErrors.invalid("spec.ipFamilyPolicy", policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
      }
    }
    ips.forEach((ip, i) => {
      if (ip !== "None" && i >= families.length && isIPv6(ip)) {
        errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ips, "IPv6 is not configured on this cluster"));
      }
    });
    if (errs.length) return errs;
    if (isHeadless(spec) && !hasSelector(spec)) {
      // Upstream lets such a Service list both families even on a single-stack cluster.
      if (spec.ipFamilies === undefined || spec.ipFamilies.length === 0) spec.ipFamilies = ["IPv4"];
      if (spec.ipFamilies.length < 2 && policy !== "SingleStack") spec.ipFamilies.push(spec.ipFamilies[0] === "IPv6" ? "IPv4" : "IPv6");
      return [];
    }
    if (policy === "RequireDualStack") {
      errs.push(fieldErrors.invalid("spec.ipFamilyPolicy", policy, "this cluster is not configured for dual-stack services"));
    }
    families.forEach((f, i) => {
      if (f !== "IPv4") errs.push(fieldErrors.invalid(`spec.ipFamilies[${i}]`, f, "not configured on this cluster"));
    });
    if (errs.length) return errs;
    if (families.length === 0) spec.ipFamilies = ["IPv4"];
    return [];
  }

  private allocClusterIP(spec: Spec, before: Holdings, after: Holdings, txn: Transaction): void {
    const drop = () => {
      if (before.clusterIP) {
        const ip = before.clusterIP;
        txn.releaseLater(() => this.clusterIPs.release(ip));
      }
    };
    if (typeOf(spec) === "ExternalName" || isHeadless(spec)) return drop();
    const requested = spec.clusterIP || spec.clusterIPs?.[0] || "";
    if (requested !== "" && requested === before.clusterIP) {
      after.clusterIP = requested;
    } else if (requested !== "") {
      const why = this.clusterIPs.check(requested);
      if (why) throw new Rejection(fieldErrors.invalid("spec.clusterIPs", spec.clusterIPs ?? [requested], `failed to allocate IP ${requested}: ${why}`));
      this.clusterIPs.allocate(requested);
      txn.claimed(() => this.clusterIPs.release(requested));
      after.clusterIP = requested;
    } else {
      let ip: string;
      try {
        ip = this.clusterIPs.allocateNext();
      } catch (err) {
        if (err instanceof AllocationError) throw internalError(`failed to allocate a serviceIP: ${err.message}`);
        throw err;
      }
      txn.claimed(() => this.clusterIPs.release(ip));
      after.clusterIP = ip;
    }
    spec.clusterIP = after.clusterIP;
    spec.clusterIPs = [after.clusterIP];
    if (before.clusterIP && before.clusterIP !== after.clusterIP) drop();
  }

  private claimPort(port: number, field: string, txn: Transaction): void {
    const why = this.nodePorts.check(port);
    if (why) throw new Rejection(fieldErrors.invalid(field, port, why));
    this.nodePorts.allocate(port);
    txn.claimed(() => this.nodePorts.release(port));
  }

  private nextPort(txn: Transaction, what = "a nodePort"): number {
    let port: number;
    try {
      port = this.nodePorts.allocateNext();
    } catch (err) {
      if (err instanceof AllocationError) throw internalError(`failed to allocate ${what}: ${err.message}`);
      throw err;
    }
    txn.claimed(() => this.nodePorts.release(port));
    return port;
  }

  /**
   * On create: every port of a NodePort/LoadBalancer Service gets a node
   * port; ports with the same number (TCP and UDP of port 53, say) share one,
   * as upstream's initNodePorts does.
   */
  private initNodePorts(spec: Spec, after: Holdings, txn: Transaction): void {
    if (!needsNodePorts(spec)) return;
    const ports = spec.ports ?? [];
    const allocate = shouldAllocateNodePorts(spec);
    const byPortNumber = new Map<number, number>();
    const held = new Set<number>();
    ports.forEach((p, i) => {
      const field = `spec.ports[${i}].nodePort`;
      if (!p.nodePort && !allocate) return;
      const shared = byPortNumber.get(p.port);
      if (shared === undefined) {
        const requested = ports.find((q) => q.port === p.port && q.nodePort)?.nodePort;
        const np = requested ? (this.claimPort(requested, field, txn), requested) : this.nextPort(txn);
        p.nodePort = np;
        byPortNumber.set(p.port, np);
        held.add(np);
      } else if (p.nodePort !== shared) {
        if (!p.nodePort) p.nodePort = shared;
        else {
          this.claimPort(p.nodePort, field, txn);
          held.add(p.nodePort);
        }
      }
    });
    after.nodePorts = [...held];
  }

  /** On update: keep the node ports still listed, claim new ones, release the rest afterwards (upstream's updateNodePorts). */
  private updateNodePorts(spec: Spec, before: Holdings, after: Holdings, txn: Transaction): void {
    const held = new Set<number>();
    if (needsNodePorts(spec)) {
      const allocate = shouldAllocateNodePorts(spec);
      (spec.ports ?? []).forEach((p: Port, i) => {
        if (!p.nodePort && !allocate) return;
        if (p.nodePort) {
          if (!before.nodePorts.includes(p.nodePort) && !held.has(p.nodePort)) this.claimPort(p.nodePort, `spec.ports[${i}].nodePort`, txn);
        } else {
          p.nodePort = this.nextPort(txn);
        }
        held.add(p.nodePort);
      });
    }
    for (const np of before.nodePorts) if (!held.has(np)) txn.releaseLater(() => this.nodePorts.release(np));
    after.nodePorts = [...held];
  }

  private allocHealthCheckNodePort(spec: Spec, oldSpec: Spec | undefined, before: Holdings, after: Holdings, txn: Transaction): void {
    const had = oldSpec !== undefined && needsHealthCheck(oldSpec) ? before.healthCheckNodePort : undefined;
    const release = () => {
      if (had) txn.releaseLater(() => this.nodePorts.release(had));
    };
    if (!needsHealthCheck(spec)) return release();
    const requested = spec.healthCheckNodePort ?? 0;
    if (had && (requested === 0 || requested === had)) {
      spec.healthCheckNodePort = had;
      after.healthCheckNodePort = had;
      return;
    }
    if (requested !== 0) {
      const why = this.nodePorts.check(requested);
      if (why) throw internalError(`failed to allocate requested HealthCheck NodePort ${requested}: ${why}`);
      this.nodePorts.allocate(requested);
      txn.claimed(() => this.nodePorts.release(requested));
      after.healthCheckNodePort = requested;
    } else {
      // Upstream prints the zero it failed to fill in.
      after.healthCheckNodePort = this.nextPort(txn, "a HealthCheck NodePort 0");
      spec.healthCheckNodePort = after.healthCheckNodePort;
    }
    release();
  }

  /**
   * What MetalLB does for a LoadBalancer Service without a loadBalancerClass:
   * the requested spec.loadBalancerIP when it is in the pool and free, else
   * the lowest free address, written to status.loadBalancer.ingress. When
   * nothing can be had the Service stays pending (no ingress), as with
   * MetalLB; a later write of the Service tries again.
   */
  private allocLoadBalancerIP(svc: Stored<Service>, create: boolean, before: Holdings, after: Holdings, txn: Transaction): void {
    const spec = svc.spec!;
    // Clients do not write status on create (upstream's strategy resets it).
    if (create) svc.status = { loadBalancer: {} };
    const status = (svc.status ??= {});
    const had = before.loadBalancerIP;
    if (typeOf(spec) !== "LoadBalancer" || spec.loadBalancerClass) {
      if (had) {
        txn.releaseLater(() => this.loadBalancerIPs.release(had));
        status.loadBalancer = {};
      }
      return;
    }
    const requested = spec.loadBalancerIP || undefined;
    let ip = had;
    if (requested && requested !== had) {
      if (this.loadBalancerIPs.claim(requested)) {
        txn.claimed(() => this.loadBalancerIPs.release(requested));
        ip = requested;
      }
    } else if (!had) {
      const next = this.loadBalancerIPs.claimNext();
      if (next) {
        txn.claimed(() => this.loadBalancerIPs.release(next));
        ip = next;
      }
    }
    if (had && ip !== had) txn.releaseLater(() => this.loadBalancerIPs.release(had));
    after.loadBalancerIP = ip;
    status.loadBalancer = ip ? { ingress: [{ ip, ipMode: "VIP" }] } : {};
  }
}

/** LoadBalancer Services may opt out of node ports (allocateLoadBalancerNodePorts: false). */
function shouldAllocateNodePorts(spec: Spec): boolean {
  return typeOf(spec) === "NodePort" || (typeOf(spec) === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
}

/**
 * Upstream's patchAllocatedValues: an update that leaves out what the system
 * allocated (a re-applied manifest) keeps it: the cluster IP, node ports
 * (matched by port name, unless the number is now used by another port) and
 * the health-check node port.
 */
function patchAllocatedValues(spec: Spec, oldSpec: Spec): void {
  if (typeOf(oldSpec) !== "ExternalName" && typeOf(spec) !== "ExternalName") {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!spec.clusterIPs?.length && oldSpec.clusterIPs?.length) spec.clusterIPs = [...oldSpec.clusterIPs];
  }
  if (needsNodePorts(oldSpec) && needsNodePorts(spec)) {
    const used = (s: Spec) => new Set((s.ports ?? []).map((p) => p.nodePort).filter((n): n is number => Boolean(n)));
    const oldUsed = used(oldSpec);
    const taken = new Set([...used(spec)].filter((n) => oldUsed.has(n)));
    const byName = new Map<string, number | undefined>();
    for (const p of oldSpec.ports ?? []) byName.set(p.name ?? "", p.nodePort);
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const previous = byName.get(p.name ?? "");
      if (previous && !taken.has(previous)) p.nodePort = previous;
    }
  }
  if (needsHealthCheck(oldSpec) && needsHealthCheck(spec) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}
