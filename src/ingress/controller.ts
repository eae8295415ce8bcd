// The router's controller: watches Ingresses, IngressClasses, Services,
// EndpointSlices and Secrets through the API, rebuilds the route table when
// routing objects change (coalesced), resolves backends from the live
// caches on every request (an endpoint change needs no rebuild, as
// ingress-nginx's Lua balancer), serves TLS certificates by SNI from the
// Secrets the table names, and writes the router's address into each
// served Ingress's status.loadBalancer (only when it changes).
import { createSecureContext, type SecureContext } from "node:tls";
import type { ApiClient } from "../api/client.js";
import { Informer } from "../api/informer.js";
import { resourceByKind } from "../api/resources.js";
import type { EndpointSlice, KubeObject, Service, Stored } from "../api/types.js";
import { BoundedFrequencyRunner } from "../agent/proxy/runner.js";
import { resolveBackend, type Resolution } from "./backends.js";
import { hostMatches } from "./match.js";
import type { RouteTable, ServiceBackend } from "./table.js";
import { servedIngresses, translateIngresses } from "./translate-ingress.js";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";

type Ingress = IIngress & KubeObject & { metadata: NonNullable<IIngress["metadata"]> };
type IngressClass = IIngressClass & KubeObject & { metadata: NonNullable<IIngressClass["metadata"]> };
interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** What the controller drives: the data plane (src/ingress/proxy/). */
export interface TableSink {
  setTable(table: RouteTable): void;
}

export interface IngressControllerOptions {
  /** the router's own Service (`namespace/name`): its LoadBalancer addresses go into the Ingresses' status */
  publishService?: string;
  /** rebuilds are at least this far apart (a burst of changes is one rebuild) */
  minRebuildMs?: number;
  log?: (line: string) => void;
}

export class IngressController {
  private readonly ingresses: Informer<Ingress>;
  private readonly classes: Informer<IngressClass>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly secrets: Informer<Secret>;
  /** EndpointSlices by "namespace/service" */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  /** backend → its resolution, until the next Service or EndpointSlice event */
  private readonly resolved = new Map<string, Resolution>();
  private readonly runner: BoundedFrequencyRunner;
  private table: RouteTable = { hosts: [], warnings: [] };
  private readonly contexts = new Map<string, { version: string; context: SecureContext }>();
  private lastWarnings = new Set<string>();
  private readonly log: (line: string) => void;

  constructor(
    private readonly api: ApiClient,
    private readonly sink: TableSink,
    private readonly options: IngressControllerOptions = {},
  ) {
    this.log = options.log ?? ((line) => console.error(line));
    const rebuild = () => this.runner.run();
    this.ingresses = new Informer<Ingress>(api, resourceByKind("Ingress")!).on(rebuild);
    this.classes = new Informer<IngressClass>(api, resourceByKind("IngressClass")!).on(rebuild);
    // Services matter for the status address (the publish Service); their ports are read per request.
    this.services = new Informer<Service>(api, resourceByKind("Service")!).on((_t, svc) => {
      this.resolved.clear();
      if (this.isPublishService(svc)) rebuild();
    });
    this.slices = new Informer<EndpointSlice>(api, resourceByKind("EndpointSlice")!).on((type, slice, old) => {
      this.resolved.clear();
      this.indexSlice(type, slice, old);
    });
    this.secrets = new Informer<Secret>(api, resourceByKind("Secret")!).on(rebuild);
    this.runner = new BoundedFrequencyRunner(() => this.rebuild(), options.minRebuildMs ?? 50, 60_000, "ingress");
  }

  async start(): Promise<void> {
    await Promise.all([this.ingresses.start(), this.classes.start(), this.services.start(), this.slices.start(), this.secrets.start()]);
    await this.runner.runNow();
  }

  stop(): void {
    this.runner.stop();
    for (const i of [this.ingresses, this.classes, this.services, this.slices, this.secrets]) i.stop();
  }

  /** The current table (for tests and `kemu trace` later). */
  routeTable(): RouteTable {
    return this.table;
  }

  /**
   * Ready endpoints of a backend, from the caches as they are now. Asked on
   * every request, so answers are kept until a Service or EndpointSlice changes.
   */
  readonly resolve = (backend: ServiceBackend): Resolution => {
    const key = `${backend.namespace}/${backend.service}:${"number" in backend.port ? backend.port.number : backend.port.name}`;
    let resolution = this.resolved.get(key);
    if (!resolution) {
      resolution = resolveBackend(backend, {
        service: (ns, name) => this.services.get(ns, name),
        slices: (ns, name) => [...(this.slicesByService.get(`${ns}/${name}`)?.values() ?? [])],
      });
      this.resolved.set(key, resolution);
    }
    return resolution;
  };

  /** The certificate for a TLS server name: the Secret of the first virtual host (exact before wildcard) that has one and matches. */
  readonly certificate = (serverName: string): SecureContext | undefined => {
    const name = serverName.toLowerCase();
    const vh = this.table.hosts.find((h) => h.tlsSecret !== undefined && h.host.kind !== "any" && hostMatches(h.host, name));
    return vh ? this.contexts.get(vh.tlsSecret!)?.context : undefined;
  };

  private isPublishService(svc: Stored<Service>): boolean {
    return this.options.publishService === `${svc.metadata.namespace}/${svc.metadata.name}`;
  }

  private indexSlice(type: "ADDED" | "MODIFIED" | "DELETED", slice: Stored<EndpointSlice>, old?: Stored<EndpointSlice>): void {
    const keyOf = (s: Stored<EndpointSlice>) => `${s.metadata.namespace}/${s.metadata.labels?.["kubernetes.io/service-name"] ?? ""}`;
    if (old && keyOf(old) !== keyOf(slice)) this.slicesByService.get(keyOf(old))?.delete(old.metadata.name!);
    const key = keyOf(slice);
    let bySlice = this.slicesByService.get(key);
    if (!bySlice) this.slicesByService.set(key, (bySlice = new Map()));
    if (type === "DELETED") bySlice.delete(slice.metadata.name!);
    else bySlice.set(slice.metadata.name!, slice);
  }

  private async rebuild(): Promise<void> {
    const ingresses = this.ingresses.list();
    const classes = this.classes.list();
    const table = translateIngresses(ingresses, classes);
    this.refreshCertificates(table);
    this.table = table;
    this.sink.setTable(table);
    // Each warning once, not on every rebuild.
    const warnings = new Set(table.warnings);
    for (const w of warnings) if (!this.lastWarnings.has(w)) this.log(`ingress: ${w}`);
    this.lastWarnings = warnings;
    await this.writeStatuses(servedIngresses(ingresses, classes) as Array<Stored<Ingress>>);
  }

  private refreshCertificates(table: RouteTable): void {
    const wanted = new Set(table.hosts.map((h) => h.tlsSecret).filter((s): s is string => s !== undefined));
    for (const key of this.contexts.keys()) if (!wanted.has(key)) this.contexts.delete(key);
    for (const key of wanted) {
      const [ns, name] = key.split("/") as [string, string];
      const secret = this.secrets.get(ns, name) as Stored<Secret> | undefined;
      if (!secret) {
        this.contexts.delete(key);
        continue;
      }
      if (this.contexts.get(key)?.version === secret.metadata.resourceVersion) continue;
      const cert = secret.data?.["tls.crt"];
      const tlsKey = secret.data?.["tls.key"];
      try {
        if (!cert || !tlsKey) throw new Error("it has no tls.crt and tls.key");
        this.contexts.set(key, { version: secret.metadata.resourceVersion!, context: createSecureContext({ cert: Buffer.from(cert, "base64"), key: Buffer.from(tlsKey, "base64") }) });
      } catch (err) {
        this.contexts.delete(key);
        this.log(`ingress: Secret ${key} cannot serve TLS (${(err as Error).message}); the default certificate is used`);
      }
    }
  }

  /** The router's published addresses: its Service's LoadBalancer IPs (ingress-nginx --publish-service). */
  private publishedAddresses(): Array<{ ip: string }> {
    if (!this.options.publishService) return [];
    const [ns, name] = this.options.publishService.split("/") as [string, string];
    const svc = this.services.get(ns, name);
    return (svc?.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip).map((i) => ({ ip: i.ip! }));
  }

  private async writeStatuses(served: Array<Stored<Ingress>>): Promise<void> {
    const addresses = this.publishedAddresses();
    if (addresses.length === 0) return;
    for (const ing of served) {
      const current = ing.status?.loadBalancer?.ingress ?? [];
      if (JSON.stringify(current) === JSON.stringify(addresses)) continue;
      const updated = { ...ing, status: { ...(ing.status ?? {}), loadBalancer: { ingress: addresses } } };
      await this.api.update(resourceByKind("Ingress")!, updated, { subresource: "status" }).catch((err: Error) => {
        // A conflict means a newer version is on its way to the informer; the next rebuild writes it.
        this.log(`ingress: status of Ingress ${ing.metadata.namespace}/${ing.metadata.name}: ${err.message}`);
      });
    }
  }
}
