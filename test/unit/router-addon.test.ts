// The router add-on's classes name the controllers the router serves: the
// daemon writes them, the router's translators match them (kept as literals
// in src/daemon so the daemon does not import the router).
import { describe, expect, it } from "vitest";
import { GATEWAY_CLASS, INGRESS_CLASSES, ingressRouterAddon } from "../../src/daemon/addons.js";
import { KEMU_GATEWAY_CONTROLLER } from "../../src/ingress/translate-gateway.js";
import { KEMU_INGRESS_CONTROLLER, SERVED_INGRESS_CONTROLLERS } from "../../src/ingress/translate-ingress.js";

describe("the router add-on", () => {
  it("its GatewayClass and IngressClasses name controllers the router serves", () => {
    expect(GATEWAY_CLASS.controllerName).toBe(KEMU_GATEWAY_CONTROLLER);
    expect(INGRESS_CLASSES.map((c) => c.controller).sort()).toEqual([...SERVED_INGRESS_CONTROLLERS].sort());
    expect(INGRESS_CLASSES.find((c) => c.default)?.controller).toBe(KEMU_INGRESS_CONTROLLER);
  });

  it("creates the namespace, the classes, the Deployment and its LoadBalancer Service (externalTrafficPolicy Local)", () => {
    const objects = ingressRouterAddon();
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(["Namespace/kemu-system", "IngressClass/kemu", "IngressClass/nginx", "GatewayClass/kemu", "Deployment/ingress-router", "Service/ingress-router"]);
    const svc = objects.find((o) => o.kind === "Service") as { spec: { type: string; externalTrafficPolicy: string } };
    expect(svc.spec).toMatchObject({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
  });
});
