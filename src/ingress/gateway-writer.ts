// The Gateway controller's writes (only the router process that is the
// writer makes them, so two workers never race): each Gateway's Service as
// planned by gateway-services.ts, and the statuses translate-gateway.ts
// computed for GatewayClasses, Gateways and HTTPRoutes, merged with what is
// stored (transition times kept) and written only when they change.
import type { ApiClient } from "../api/client.js";
import { resourceByKind } from "../api/resources.js";
import type { KubeObject, Service, Stored } from "../api/types.js";
import type { GatewayServicePlan } from "./gateway-services.js";
import { mergeGatewayClassStatus, mergeGatewayStatus, mergeRouteParents, statusChanged } from "./gateway-status.js";
import type { Gateway, GatewayClass, HTTPRoute } from "./gateway-types.js";
import type { GatewayTranslation } from "./translate-gateway.js";

export interface StoredGatewayObjects {
  gatewayClass(name: string): Stored<GatewayClass> | undefined;
  gateway(namespace: string, name: string): Stored<Gateway> | undefined;
  route(namespace: string, name: string): Stored<HTTPRoute> | undefined;
}

export class GatewayWriter {
  constructor(
    private readonly api: ApiClient,
    private readonly controllerName: string,
    private readonly log: (line: string) => void,
  ) {}

  async syncServices(plan: GatewayServicePlan, namespace: string): Promise<void> {
    const services = resourceByKind("Service")!;
    const report = (what: string) => (err: Error) => this.log(`gateway: ${what}: ${err.message}`);
    for (const svc of plan.create) await this.api.create(services, svc, namespace).catch(report(`creating Service ${namespace}/${svc.metadata?.name}`));
    for (const svc of plan.update) await this.api.update(services, svc as Stored<Service>).catch(report(`updating Service ${namespace}/${svc.metadata?.name}`));
    for (const name of plan.delete) await this.api.delete(services, namespace, name).catch(report(`deleting Service ${namespace}/${name}`));
  }

  async writeStatuses(t: GatewayTranslation, stored: StoredGatewayObjects): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    for (const gc of t.gatewayClasses) {
      const obj = stored.gatewayClass(gc.name);
      if (obj) await this.write("GatewayClass", obj, mergeGatewayClassStatus(obj.status, gc.status, now));
    }
    for (const g of t.gateways) {
      const obj = stored.gateway(g.namespace, g.name);
      if (obj) await this.write("Gateway", obj, mergeGatewayStatus(obj.status, g.status, now));
    }
    for (const r of t.routes) {
      const obj = stored.route(r.namespace, r.name);
      if (obj) await this.write("HTTPRoute", obj, { parents: mergeRouteParents(obj.status?.parents, r.parents, this.controllerName, now, r.namespace) });
    }
  }

  /** Writes the stored status with `fields` replaced, unless that changes nothing. */
  private async write(kind: string, obj: Stored<KubeObject & { status?: object }>, fields: object): Promise<void> {
    const status = { ...(obj.status ?? {}), ...fields };
    if (!statusChanged(obj.status ?? {}, status)) return;
    await this.api.update(resourceByKind(kind)!, { ...obj, status }, { subresource: "status" }).catch((err: Error) => {
      // A conflict means a newer version is on its way to the informer; the next rebuild writes again.
      this.log(`gateway: status of ${kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}: ${err.message}`);
    });
  }
}
