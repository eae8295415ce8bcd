// The change tracker: Services and EndpointSlices from the API (list+watch),
// the proxy's view of them, and which Services changed since the last sync
// (upstream: pkg/proxy/servicechangetracker.go, endpointschangetracker.go).
import type { ApiClient } from "../../api/client.js";
import { Informer } from "../../api/informer.js";
import { resourceByKind } from "../../api/resources.js";
import type { EndpointSlice, Service } from "../../api/types.js";
import { endpointsOf, servicePortKey, servicePortsOf, type EndpointInfo, type ServicePortInfo } from "./model.js";

export interface ProxyState {
  services: { port: ServicePortInfo; endpoints: EndpointInfo[] }[];
  /** service-port keys ("ns/name:port") whose rules may have changed since the last snapshot */
  changed: Set<string>;
}

export class ChangeTracker {
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly dirty = new Set<string>();
  private lastKeys = new Map<string, Set<string>>();

  constructor(
    api: ApiClient,
    private readonly nodeName: string,
    onChange: () => void,
  ) {
    this.services = new Informer<Service>(api, resourceByKind("Service")!);
    this.slices = new Informer<EndpointSlice>(api, resourceByKind("EndpointSlice")!);
    this.services.on((_, svc) => {
      this.dirty.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
      onChange();
    });
    this.slices.on((_, slice) => {
      const svc = slice.metadata.labels?.["kubernetes.io/service-name"];
      if (svc) this.dirty.add(`${slice.metadata.namespace}/${svc}`);
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

  snapshot(): ProxyState {
    const slices = this.slices.list();
    const byService = new Map<string, EndpointSlice[]>();
    for (const s of slices) {
      const svc = s.metadata.labels?.["kubernetes.io/service-name"];
      if (!svc) continue;
      const key = `${s.metadata.namespace}/${svc}`;
      byService.set(key, [...(byService.get(key) ?? []), s]);
    }
    const services: ProxyState["services"] = [];
    const keys = new Map<string, Set<string>>();
    for (const svc of this.services.list()) {
      const svcKey = `${svc.metadata.namespace}/${svc.metadata.name}`;
      const ports = servicePortsOf(svc);
      keys.set(svcKey, new Set(ports.map(servicePortKey)));
      for (const port of ports) services.push({ port, endpoints: endpointsOf(port, byService.get(svcKey) ?? [], this.nodeName) });
    }
    const changed = new Set<string>();
    for (const svcKey of this.dirty) {
      for (const k of keys.get(svcKey) ?? []) changed.add(k);
      for (const k of this.lastKeys.get(svcKey) ?? []) changed.add(k);
    }
    this.dirty.clear();
    this.lastKeys = keys;
    services.sort((a, b) => servicePortKey(a.port).localeCompare(servicePortKey(b.port)) || a.port.protocol.localeCompare(b.port.protocol));
    return { services, changed };
  }
}
