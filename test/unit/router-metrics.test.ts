import { describe, expect, it } from "vitest";
import { RouterMetrics, requestMetricLabels } from "../../src/ingress/metrics.js";
import type { Route } from "../../src/ingress/table.js";

const route = (source: string, path: Route["path"]): Route =>
  ({ source, path, backends: [{ weight: 1, backend: { namespace: "shop", service: "web", port: { number: 80 } } }], options: {} }) as unknown as Route;

describe("router metrics (ingress-nginx's nginx_ingress_controller_requests)", () => {
  it("labels a request by the Ingress, path and Service of the route it matched", () => {
    expect(requestMetricLabels("get", "Shop.Example:8080", 200, route("Ingress shop/web rules[0].paths[1]", { kind: "prefix", path: "/api" }))).toEqual({
      status: "200",
      method: "GET",
      path: "/api",
      namespace: "shop",
      ingress: "web",
      service: "web",
      host: "shop.example",
    });
    expect(requestMetricLabels("GET", "x", 502, route("HTTPRoute shop/r rules[0]", { kind: "regex", source: "^/v[0-9]+", caseInsensitive: true }))).toMatchObject({
      path: "^/v[0-9]+",
      ingress: "",
      namespace: "shop",
      status: "502",
    });
    expect(requestMetricLabels("GET", "nowhere", 404, undefined)).toEqual({ status: "404", method: "GET", path: "", namespace: "", ingress: "", service: "", host: "" });
  });

  it("renders the counter with the controller's constant labels", () => {
    const m = new RouterMetrics({ namespace: "kemu-system", pod: "ingress-router-abc" });
    m.record(requestMetricLabels("GET", "a", 404, undefined));
    m.record(requestMetricLabels("GET", "a", 404, undefined));
    expect(m.registry.render()).toBe(
      "# HELP nginx_ingress_controller_requests The total number of client requests\n" +
        "# TYPE nginx_ingress_controller_requests counter\n" +
        'nginx_ingress_controller_requests{canary="",controller_class="kemu.dev/ingress-router",controller_namespace="kemu-system",controller_pod="ingress-router-abc",host="",ingress="",method="GET",namespace="",path="",service="",status="404"} 2\n',
    );
  });
});
