// The router's controller: watches Ingresses, IngressClasses, Gateway API
// objects, Services, EndpointSlices and Secrets through the API, rebuilds
// the route tables when routing objects change (coalesced): the Ingress
// table, and one Gateway server per Gateway and listener port. It resolves
// backends from the live caches on every request (an endpoint change needs
// no rebuild, as ingress-nginx's Lua balancer) and serves TLS certificates
// by SNI from the Secrets the tables name. The writer (one process of the
// router) also writes: each served Ingress's status.loadBalancer, each
// Gateway's Service, and the Gateway API statuses — only when they change.
import { createSecureContext, type SecureContext } from "node:tls";
import type { ApiClient } from "../api/client.js";
import { Informer } from "../api/informer.js";
import { resourceByKind } from "../api/resources.js";
import type { EndpointSlice, KubeObject, Service, Stored } from "../api/types.js";
import { BoundedFrequencyRunner } from "../agent/proxy/runner.js";
import { resolveBackend, type Resolution } from "./backends.js";
import { gatewayOfService, internalPortOf, planGatewayServices } from "./gateway-services.js";
import type { Gateway, GatewayClass, HTTPRoute, Namespace, ReferenceGrant } from "./gateway-types.js";
import { GatewayWriter } from "./gateway-writer.js";
import { EventRecorder } from "../api/event-recorder.js";
import { warningEvent } from "./warning-events.js";
import { hostMatches } from "./match.js";
import type { GatewayServer, RouteTable, ServiceBackend } from "./table.js";
import { KEMU_GATEWAY_CONTROLLER, translateGateways, type GatewayTranslation } from "./translate-gateway.js";
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
  setGatewayServers(servers: GatewayServer[]): Promise<void>;
}

export interface IngressControllerOptions {
  /** the router's own Service (`namespace/name`): its LoadBalancer addresses go into the Ingresses' status */
  publishService?: string;
  /** this process writes statuses and Gateway Services (one per router, so workers never race) */
  writer?: boolean;
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
  private readonly gatewayClasses: Informer<GatewayClass>;
  private readonly gateways: Informer<Gateway>;
  private readonly routes: Informer<HTTPRoute>;
  private readonly grants: Informer<ReferenceGrant>;
  private readonly namespaces: Informer<Namespace>;
  private readonly gatewayWriter: GatewayWriter;
  private readonly events: EventRecorder;
  private gatewayTranslation: GatewayTranslation | undefined;
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
    // Services matter for status addresses (the publish Service, Gateways' own) and for HTTPRoutes'
    // ResolvedRefs (a backend Service and its ports); Ingress backends' ports are read per request.
    this.services = new Informer<Service>(api, resourceByKind("Service")!).on((_t, svc) => {
      this.resolved.clear();
      if (this.isPublishService(svc) || gatewayOfService(svc) !== undefined || this.routes.list().length > 0) rebuild();
    });
    this.slices = new Informer<EndpointSlice>(api, resourceByKind("EndpointSlice")!).on((type, slice, old) => {
      this.resolved.clear();
      this.indexSlice(type, slice, old);
    });
    this.secrets = new Informer<Secret>(api, resourceByKind("Secret")!).on(rebuild);
    this.gatewayClasses = new Informer<GatewayClass>(api, resourceByKind("GatewayClass")!).on(rebuild);
    this.gateways = new Informer<Gateway>(api, resourceByKind("Gateway")!).on(rebuild);
    this.routes = new Informer<HTTPRoute>(api, resourceByKind("HTTPRoute")!).on(rebuild);
    this.grants = new Informer<ReferenceGrant>(api, resourceByKind("ReferenceGrant")!).on(rebuild);
    // labels, for allowedRoutes.namespaces.from: Selector
    this.namespaces = new Informer<Namespace>(api, resourceByKind("Namespace")!).on((_t, ns, old) => {
      if (JSON.stringify(ns.metadata.labels ?? {}) !== JSON.stringify(old?.metadata.labels ?? {})) rebuild();
    });
    this.gatewayWriter = new GatewayWriter(api, KEMU_GATEWAY_CONTROLLER, this.log);
    this.events = new EventRecorder(api, { component: "kemu-ingress-router", log: this.log });
    this.runner = new BoundedFrequencyRunner(() => this.rebuild(), options.minRebuildMs ?? 50, 60_000, "ingress");
  }

  async start(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start()));
    await this.runner.runNow();
  }

  stop(): void {
    this.runner.stop();
    for (const i of this.informers()) i.stop();
  }

  private informers(): Array<Informer<KubeObject>> {
    return [this.ingresses, this.classes, this.services, this.slices, this.secrets, this.gatewayClasses, this.gateways, this.routes, this.grants, this.namespaces] as unknown as Array<Informer<KubeObject>>;
  }

  /** The current Ingress table (for tests and `kemu trace` later). */
  routeTable(): RouteTable {
    return this.table;
  }

  /** The current Gateway servers. */
  gatewayServers(): GatewayServer[] {
    return this.gatewayTranslation?.servers ?? [];
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
  readonly certificate = (serverName: string, gateway?: GatewayServer): SecureContext | undefined => {
    const name = serverName.toLowerCase();
    if (gateway) {
      // the listeners' certificates, most specific hostname first; a listener without hostname serves any name
      const cert = gateway.certificates.find((c) => hostMatches(c.host, name));
      return cert ? this.contexts.get(cert.secret)?.context : undefined;
    }
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
    const started = performance.now();
    const ingresses = this.ingresses.list();
    const classes = this.classes.list();
    const table = translateIngresses(ingresses, classes);
    const gateway = this.translateGateways();
    this.refreshCertificates([...table.hosts.map((h) => h.tlsSecret), ...gateway.servers.flatMap((s) => s.certificates.map((c) => c.secret))]);
    this.table = table;
    this.gatewayTranslation = gateway;
    this.sink.setTable(table);
    await this.sink.setGatewayServers(gateway.servers);
    // Each warning once, not on every rebuild.
    const warnings = new Set([...table.warnings, ...gateway.warnings]);
    const fresh = [...warnings].filter((w) => !this.lastWarnings.has(w));
    for (const w of fresh) this.log(`ingress: ${w}`);
    this.lastWarnings = warnings;
    if (this.options.writer) for (const w of fresh) this.warnOn(w);
    if (!this.options.writer) return;
    // As ingress-nginx's "Backend successfully reloaded": what the router serves now, and how long the translation took.
    this.log(`ingress: route tables rebuilt in ${(performance.now() - started).toFixed(1)} ms: ${table.hosts.length} Ingress host(s), ${gateway.servers.length} Gateway port(s)`);
    await this.writeStatuses(servedIngresses(ingresses, classes) as Array<Stored<Ingress>>);
    await this.syncGatewayServices(gateway);
    await this.gatewayWriter.writeStatuses(gateway, {
      gatewayClass: (name) => this.gatewayClasses.get(undefined, name),
      gateway: (ns, name) => this.gateways.get(ns, name),
      route: (ns, name) => this.routes.get(ns, name),
    });
  }

  /** A new translation warning as a Warning Event on the object it names (best effort, never awaited). */
  private warnOn(warning: string): void {
    const e = warningEvent(warning);
    if (!e) return;
    const obj = e.kind === "Ingress" ? this.ingresses.get(e.namespace, e.name) : this.gateways.get(e.namespace, e.name);
    if (obj) void this.events.warn(obj, e.reason, e.message);
  }

  /** The Services of the Gateways, by `namespace/name` of their Gateway. */
  private gatewayServices(): Map<string, Stored<Service>> {
    const byGateway = new Map<string, Stored<Service>>();
    for (const svc of this.services.list()) {
      const g = gatewayOfService(svc);
      if (g !== undefined && svc.metadata.namespace === this.routerNamespace()) byGateway.set(g, svc);
    }
    return byGateway;
  }

  private routerNamespace(): string {
    return this.options.publishService?.split("/")[0] ?? "kemu-system";
  }

  private translateGateways(): GatewayTranslation {
    const services = this.gatewayServices();
    return translateGateways({
      gatewayClasses: this.gatewayClasses.list(),
      gateways: this.gateways.list(),
      routes: this.routes.list(),
      grants: this.grants.list(),
      namespaces: this.namespaces.list(),
      service: (ns, name) => this.services.get(ns, name),
      secret: (ns, name) => this.secrets.get(ns, name),
      internalPort: (ns, name, port) => internalPortOf(services.get(`${ns}/${name}`), port),
      addresses: (ns, name) => (services.get(`${ns}/${name}`)?.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    });
  }

  /** Each Gateway of ours gets its Service (selecting the router's pods, as the publish Service does). */
  private async syncGatewayServices(t: GatewayTranslation): Promise<void> {
    const [ns, name] = (this.options.publishService ?? "").split("/");
    const selector = ns && name ? this.services.get(ns, name)?.spec?.selector : undefined;
    if (!selector) return;
    const gateways = t.gateways.map((g) => {
      const obj = this.gateways.get(g.namespace, g.name);
      return { namespace: g.namespace, name: g.name, ports: (obj?.spec?.listeners ?? []).map((l) => l.port) };
    });
    const plan = planGatewayServices(gateways, this.services.list(), { namespace: this.routerNamespace(), selector });
    await this.gatewayWriter.syncServices(plan, this.routerNamespace());
  }

  private refreshCertificates(secrets: Array<string | undefined>): void {
    const wanted = new Set(secrets.filter((s): s is string => s !== undefined));
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
