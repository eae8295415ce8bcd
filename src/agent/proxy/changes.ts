// The change tracker: Services and EndpointSlices from the API (list+watch),
// the proxy's view of them, and which Services changed since the last sync
// (upstream: pkg/proxy/servicechangetracker.go, endpointschangetracker.go).
//
// Incremental: a snapshot recomputes only the Services touched since the last
// one, so a sync after one EndpointSlice change costs O(changed) work plus an
// O(ports) concatenation, not a rebuild of every Service and slice.
import { Informer, type ListWatchSource } from "../../api/informer.js";
import { resourceByKind } from "../../api/resources.js";
import type { EndpointSlice, Service, Stored } from "../../api/types.js";
import { triggerTimeOf } from "./metrics.js";
import { endpointsOf, servicePortKey, servicePortsOf, type EndpointInfo, type ServicePortInfo } from "./model.js";

export interface ServiceEntry {
  port: ServicePortInfo;
  endpoints: EndpointInfo[];
}

export interface ProxyState {
  /**
   * By service key ("ns/name", code-unit order), then in the Service's port
   * order. Entries of Services that did not change are the same objects as in
   * the previous snapshot: treat them as read-only.
   */
  services: ServiceEntry[];
  /** service-port keys ("ns/name:port") whose rules may have changed since the last snapshot */
  changed: Set<string>;
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** "ns/name" of the Service a slice belongs to, or undefined without the label. */
function serviceKeyOfSlice(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${slice.metadata?.namespace}/${svc}` : undefined;
}

function objectKey(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace}/${obj.metadata?.name}`;
}

/** What the proxy's metrics hear of each change (kubeproxy_sync_proxy_rules_*_changes_total). */
export interface ChangeHooks {
  serviceChanged(serviceKey: string): void;
  /** triggeredAt: the slice's last-change-trigger-time annotation (ms), when it has one */
  endpointsChanged(serviceKey: string, triggeredAt: number | undefined): void;
}

export class ChangeTracker {
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  /** service keys touched since the last snapshot */
  private readonly dirty = new Set<string>();
  /** service key → its slices (slice key → slice) */
  private readonly slicesByService = new Map<string, Map<string, Stored<EndpointSlice>>>();
  /**
   * slice key → the service key it is indexed under. Our own record rather
   * than the labels of the event object, so a relabelled or deleted slice
   * always leaves exactly the entry it was put in.
   */
  private readonly sliceService = new Map<string, string>();
  /** service key → its entries as of the last snapshot (only Services that have some) */
  private readonly entries = new Map<string, ServiceEntry[]>();
  /** the keys of `entries`, sorted; undefined when that key set changed */
  private sortedKeys: string[] | undefined = [];

  /** `api` is the REST client (ApiClient) or the API server in-process (localSource). */
  constructor(
    api: ListWatchSource,
    private readonly nodeName: string,
    onChange: () => void,
    hooks?: ChangeHooks,
  ) {
    this.services = new Informer<Service>(api, resourceByKind("Service")!);
    this.slices = new Informer<EndpointSlice>(api, resourceByKind("EndpointSlice")!);
    // The informers' initial list emits ADDED for every object, so everything
    // is dirty before the first snapshot. A relist emits DELETED for objects
    // that vanished meanwhile (and ADDED/MODIFIED for the rest), so the index
    // below stays consistent with the cache without rebuilding it.
    this.services.on((_, svc) => {
      this.dirty.add(objectKey(svc));
      hooks?.serviceChanged(objectKey(svc));
      onChange();
    });
    this.slices.on((type, slice) => {
      this.indexSlice(objectKey(slice), type === "DELETED" ? undefined : slice);
      const svcKey = serviceKeyOfSlice(slice);
      if (svcKey !== undefined) hooks?.endpointsChanged(svcKey, triggerTimeOf(slice.metadata?.annotations));
      onChange();
    });
  }

  /** Resolves once both caches hold a full list (nothing is written before, as upstream). */
  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.slices.start()]);
  }

  stop(): void {
    this.services.stop();
    this.slices.stop();
  }

  /** Moves a slice to the service its label names now (undefined: remove it); both services become dirty. */
  private indexSlice(sliceKey: string, slice: Stored<EndpointSlice> | undefined): void {
    const before = this.sliceService.get(sliceKey);
    if (before !== undefined) {
      const set = this.slicesByService.get(before);
      set?.delete(sliceKey);
      if (set?.size === 0) this.slicesByService.delete(before);
      this.sliceService.delete(sliceKey);
      this.dirty.add(before);
    }
    const after = slice && serviceKeyOfSlice(slice);
    if (slice && after !== undefined) {
      let set = this.slicesByService.get(after);
      if (!set) this.slicesByService.set(after, (set = new Map()));
      set.set(sliceKey, slice);
      this.sliceService.set(sliceKey, after);
      this.dirty.add(after);
    }
  }

  /** The entries of one Service from the caches, in the Service's port order. */
  private compute(svcKey: string): ServiceEntry[] {
    const slash = svcKey.indexOf("/");
    const svc = this.services.get(svcKey.slice(0, slash), svcKey.slice(slash + 1));
    if (!svc) return [];
    const slices = [...(this.slicesByService.get(svcKey)?.values() ?? [])];
    return servicePortsOf(svc).map((port) => ({ port, endpoints: endpointsOf(port, slices, this.nodeName) }));
  }

  snapshot(): ProxyState {
    const changed = new Set<string>();
    for (const svcKey of this.dirty) {
      const before = this.entries.get(svcKey);
      const after = this.compute(svcKey);
      for (const e of before ?? []) changed.add(servicePortKey(e.port));
      for (const e of after) changed.add(servicePortKey(e.port));
      if (after.length) {
        if (!before) this.sortedKeys = undefined;
        this.entries.set(svcKey, after);
      } else if (before) {
        this.entries.delete(svcKey);
        this.sortedKeys = undefined;
      }
    }
    this.dirty.clear();
    // Default sort: UTF-16 code-unit order, the same on every node and locale.
    this.sortedKeys ??= [...this.entries.keys()].sort();
    const services: ServiceEntry[] = [];
    for (const svcKey of this.sortedKeys) for (const e of this.entries.get(svcKey)!) services.push(e);
    return { services, changed };
  }
}
