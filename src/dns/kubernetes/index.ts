// Keeps a ZoneIndex up to date from the API: list+watch of Services,
// EndpointSlices and Namespaces (no polling, no pods: `pods insecure` takes the
// IP from the name). "Synced" once every list has been delivered; that is
// what /ready reports for the kubernetes plugin.
import { Informer, type ListWatchSource } from "../../api/informer.js";
import { resourceByKind } from "../../api/resources.js";
import type { EndpointSlice, Namespace, Service } from "../../api/types.js";
import { ZoneIndex, type ZoneConfig } from "./records.js";

export class KubernetesIndex {
  readonly zone: ZoneIndex;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly namespaces: Informer<Namespace>;
  private isSynced = false;
  private stopped = false;
  private starting?: Promise<void>;
  private readonly listeners: (() => void)[] = [];

  constructor(source: ListWatchSource, config: Partial<ZoneConfig> = {}) {
    this.zone = new ZoneIndex(config);
    this.services = new Informer<Service>(source, resourceByKind("Service")!);
    this.slices = new Informer<EndpointSlice>(source, resourceByKind("EndpointSlice")!);
    this.namespaces = new Informer<Namespace>(source, resourceByKind("Namespace")!);
    this.services.on((type, svc) => {
      if (type === "DELETED") this.zone.deleteService(svc);
      else this.zone.setService(svc);
      this.notify();
    });
    this.slices.on((type, slice) => {
      if (type === "DELETED") this.zone.deleteEndpointSlice(slice);
      else this.zone.setEndpointSlice(slice);
      this.notify();
    });
    this.namespaces.on((type, ns) => {
      if (type === "DELETED") this.zone.deleteNamespace(ns);
      else this.zone.setNamespace(ns);
      this.notify();
    });
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Called after every change (tests and metrics; the answer caches compare versions instead). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Lists and starts watching; resolves once all three lists are in. A list
   * that fails (the API is not up yet) is retried every 500 ms until stop().
   */
  start(): Promise<void> {
    this.starting ??= Promise.all([this.services, this.slices, this.namespaces].map((inf) => this.startOne(inf))).then(() => {
      if (!this.stopped) this.isSynced = true;
    });
    return this.starting;
  }

  stop(): void {
    this.stopped = true;
    this.services.stop();
    this.slices.stop();
    this.namespaces.stop();
  }

  private async startOne(informer: Informer<Service> | Informer<EndpointSlice> | Informer<Namespace>): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      try {
        await informer.start();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
