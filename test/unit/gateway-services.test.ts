// Each Gateway's own LoadBalancer Service, planned from the Gateways and the
// Services there are (src/ingress/gateway-services.ts): one port per
// listener port, targetPort a stable internal port of the router.
import { describe, expect, it } from "vitest";
import type { Service } from "../../src/api/types.js";
import { GATEWAY_ANNOTATION, INTERNAL_PORTS, gatewayServiceName, internalPortOf, planGatewayServices } from "../../src/ingress/gateway-services.js";

const router = { namespace: "kemu-system", selector: { "app.kubernetes.io/name": "ingress-router" } };
const gw = (namespace: string, name: string, ...ports: number[]) => ({ namespace, name, ports });
const existing = (g: string, ports: Array<[number, number]>, name = `svc-${g.replace("/", "-")}`): Service =>
  ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "kemu-system", annotations: { [GATEWAY_ANNOTATION]: g } },
    spec: { type: "LoadBalancer", externalTrafficPolicy: "Local", selector: router.selector, ports: ports.map(([port, targetPort]) => ({ name: `port-${port}`, port, targetPort, protocol: "TCP" })) },
  }) as Service;

describe("planGatewayServices", () => {
  it("a new Gateway gets a LoadBalancer Service (eTP Local) with the lowest free internal ports, one per distinct listener port", () => {
    const plan = planGatewayServices([gw("default", "web", 80, 443, 80)], [], router);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const svc = plan.create[0]!;
    expect(svc.metadata?.name).toBe(gatewayServiceName({ namespace: "default", name: "web" }));
    expect(svc.metadata?.annotations?.[GATEWAY_ANNOTATION]).toBe("default/web");
    expect(svc.spec).toEqual({
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
      selector: router.selector,
      ports: [
        { name: "port-80", port: 80, targetPort: INTERNAL_PORTS.first, protocol: "TCP" },
        { name: "port-443", port: 443, targetPort: INTERNAL_PORTS.first + 1, protocol: "TCP" },
      ],
    });
  });

  it("internal ports are stable: a Gateway keeps its own, a new one takes a free one, a changed one is updated", () => {
    const a = existing("default/a", [[80, 20001]]);
    const b = existing("default/b", [[80, 20000]]);
    const plan = planGatewayServices([gw("default", "a", 80, 8080), gw("default", "b", 80), gw("default", "c", 80)], [a, b], router);
    expect(plan.update.map((s) => s.spec?.ports?.map((p) => [p.port, p.targetPort]))).toEqual([
      [
        [80, 20001],
        [8080, 20002],
      ],
    ]);
    expect(plan.create.map((s) => s.spec?.ports?.map((p) => [p.port, p.targetPort]))).toEqual([[[80, 20003]]]);
  });

  it("nothing to do when the Services already say it; a gone Gateway's Service is deleted; other Services are not touched", () => {
    const a = existing("default/a", [[80, 20000]]);
    const gone = existing("default/gone", [[80, 20001]]);
    const unrelated = { ...existing("x/y", [[80, 1]]), metadata: { name: "ingress-router", namespace: "kemu-system" } } as Service;
    const elsewhere = { ...existing("default/a", [[80, 2]]), metadata: { name: "s", namespace: "default", annotations: { [GATEWAY_ANNOTATION]: "default/zzz" } } } as Service;
    expect(planGatewayServices([gw("default", "a", 80)], [a, gone, unrelated, elsewhere], router)).toEqual({ create: [], update: [], delete: ["svc-default-gone"] });
  });

  it("long names fit a DNS label and stay distinct", () => {
    const long = "n".repeat(63);
    const one = gatewayServiceName({ namespace: long, name: `${long}-1` });
    const two = gatewayServiceName({ namespace: long, name: `${long}-2` });
    expect(one.length).toBeLessThanOrEqual(63);
    expect(one).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(one).not.toBe(two);
  });

  it("internalPortOf reads the targetPort of the listener port", () => {
    expect(internalPortOf(existing("d/a", [[80, 20005]]), 80)).toBe(20005);
    expect(internalPortOf(existing("d/a", [[80, 20005]]), 443)).toBeUndefined();
    expect(internalPortOf(undefined, 80)).toBeUndefined();
  });
});
