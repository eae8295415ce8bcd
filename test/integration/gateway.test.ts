// Gateway API end to end: Gateways of kemu's GatewayClass get an address of
// their own (a LoadBalancer Service of the router), HTTPRoutes attach to
// them, and curl on the outside host reaches pods through them. Each case
// names the Gateway API core conformance test it follows
// (gateway-api conformance/tests/<Name>.go and .yaml; list in
// ../shared/reference/ingress.md §8): the manifests are shaped like
// upstream's, the expectations are upstream's.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind, type KubeObject } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pacedLoadScript, type PacedLoadResult } from "../support/load.js";
import { websocketClientScript, websocketEcho } from "../support/websocket.js";

const GATEWAYS = resourceByKind("Gateway")!;
const GATEWAY_CLASSES = resourceByKind("GatewayClass")!;
const ROUTES = resourceByKind("HTTPRoute")!;
const PODS = resourceByKind("Pod")!;

interface Condition {
  type: string;
  status: string;
  reason: string;
  observedGeneration?: number;
}
type GatewayObj = KubeObject & { status?: { addresses?: Array<{ value: string }>; conditions?: Condition[]; listeners?: Array<{ name: string; attachedRoutes: number; conditions: Condition[] }> } };
type RouteObj = KubeObject & { metadata: { generation?: number }; status?: { parents?: Array<{ parentRef: { name: string; sectionName?: string }; controllerName: string; conditions: Condition[] }> } };

/** serve-hostname answers its pod's name on every path (as the conformance echo server names its pod); netexec echoes headers on /header. */
function app(name: string, namespace = "default", replicas = 1, args = ["serve-hostname", "--port=8080"], annotations: Record<string, string> = {}): KubeObject[] {
  const labels = { app: name };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels, annotations }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args, ports: [{ name: "http", containerPort: 8080 }] }] } },
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: { selector: labels, ports: [{ name: "web", port: 8080, targetPort: "http" }] } },
  ];
}

const gateway = (name: string, listeners: object[], namespace = "default"): KubeObject => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace }, spec: { gatewayClassName: "kemu", listeners } });
const route = (name: string, spec: object, namespace = "default"): KubeObject => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace }, spec });
const backend = (name: string, extra: object = {}) => ({ name, port: 8080, ...extra });
const cond = (cs: Condition[] | undefined, type: string) => cs?.find((c) => c.type === type);

describe.skipIf(!rootOnly())("Gateway API through kemu's router", () => {
  const name = uniqueClusterName("gw");
  let cluster: Cluster;
  const addresses = new Map<string, string>();

  /** curl from the outside host to a Gateway's address: status, body and a redirect's Location. */
  const get = async (gw: string, path: string, host: string, extra: string[] = []) => {
    const r = await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "-w", "\n%{redirect_url}\n%{http_code}", "-H", `Host: ${host}`, ...extra, `http://${addresses.get(gw)}${path}`]);
    const lines = r.stdout.split("\n");
    last = `${host}${path}: exit ${r.exitCode} ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 300)}`;
    const status = Number(lines.pop());
    const location = lines.pop() ?? "";
    return { status, body: lines.join("\n"), location };
  };
  const podOf = async (gw: string, path: string, host: string, extra: string[] = []) => {
    const r = await get(gw, path, host, extra);
    return r.status === 200 ? r.body.replace(/-[a-z0-9]+-[a-z0-9]+$/, "") : String(r.status);
  };
  const gatewayObj = (gw: string, ns = "default") => cluster.api.get<GatewayObj>(GATEWAYS, ns, gw);
  const routeObj = (r: string, ns = "default") => cluster.api.get<RouteObj>(ROUTES, ns, r);
  const parentStatus = async (r: string, ns = "default") => (await routeObj(r, ns)).status?.parents?.filter((p) => p.controllerName === "kemu.dev/gateway-controller") ?? [];
  const waitAddress = async (gw: string, ns = "default") => {
    await cluster.waitFor(
      async () => {
        const ip = (await gatewayObj(gw, ns)).status?.addresses?.[0]?.value;
        if (ip) addresses.set(gw, ip);
        return ip !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: async () => `an address for Gateway ${ns}/${gw}: ${JSON.stringify((await gatewayObj(gw, ns)).status)}` },
    );
  };
  let last = "";
  const waitFor = (what: string, ok: () => Promise<boolean>) => cluster.waitFor(ok, { timeoutMs: 20_000, intervalMs: 200, what: () => `${what} (last answer: ${last})` });

  beforeAll(async () => {
    cluster = await Cluster.start({
      name,
      nodes: 2,
      ingress: true,
      timeoutMs: 90_000,
      manifests: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "gateway-conformance-web-backend" } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "gateway-conformance-app-backend" } },
        ...app("infra-backend-v1", "default", 2),
        ...app("infra-backend-v2"),
        ...app("infra-backend-v3"),
        ...app("web-backend", "gateway-conformance-web-backend"),
        ...app("app-backend-v1", "gateway-conformance-app-backend"),
        ...app("echo-backend", "default", 1, ["netexec", "--http-port=8080", "--udp-port=-1"]),
        // conformance base manifests: "same-namespace" (from Same) and "all-namespaces" (from All)
        gateway("same-namespace", [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }]),
        gateway("all-namespaces", [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }]),
      ],
    });
    await waitAddress("same-namespace");
    await waitAddress("all-namespaces");
  }, 150_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("GatewayClass kemu is Accepted; a Gateway is Accepted and Programmed with an address of its own (GatewayClassObservedGenerationBump, GatewayObservedGenerationBump)", async () => {
    const gc = await cluster.api.get<KubeObject & { status?: { conditions?: Condition[] } }>(GATEWAY_CLASSES, undefined, "kemu");
    expect(cond(gc.status?.conditions, "Accepted")?.status).toBe("True");
    await waitFor("Gateway same-namespace Programmed", async () => cond((await gatewayObj("same-namespace")).status?.conditions, "Programmed")?.status === "True");
    const g = await gatewayObj("same-namespace");
    expect(cond(g.status?.conditions, "Accepted")).toMatchObject({ status: "True", reason: "Accepted", observedGeneration: 1 });
    expect(addresses.get("same-namespace")).not.toBe(addresses.get("all-namespaces"));
  });

  it("HTTPRouteSimpleSameNamespace and GatewayWithAttachedRoutes: a route attaches, is Accepted with ResolvedRefs, and the listener counts it", async () => {
    await cluster.apply(route("gateway-conformance-infra-test", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [backend("infra-backend-v1")] }] }));
    await waitFor("the route to be served", async () => (await podOf("same-namespace", "/hostname", "anything.example")) === "infra-backend-v1");
    const [parent] = await parentStatus("gateway-conformance-infra-test");
    expect(cond(parent?.conditions, "Accepted")).toMatchObject({ status: "True", reason: "Accepted" });
    expect(cond(parent?.conditions, "ResolvedRefs")).toMatchObject({ status: "True", reason: "ResolvedRefs" });
    await waitFor("attachedRoutes 1", async () => (await gatewayObj("same-namespace")).status?.listeners?.[0]?.attachedRoutes === 1);
  });

  it("HTTPRouteCrossNamespace: a route in another namespace attaches to a Gateway that allows All; HTTPRouteInvalidCrossNamespaceParentRef: not to one that allows Same (NotAllowedByListeners)", async () => {
    await cluster.apply(route("cross-namespace", { parentRefs: [{ name: "all-namespaces", namespace: "default" }], hostnames: ["cross.example"], rules: [{ backendRefs: [backend("web-backend")] }] }, "gateway-conformance-web-backend"));
    await cluster.apply(route("invalid-cross-namespace-parent-ref", { parentRefs: [{ name: "same-namespace", namespace: "default" }], hostnames: ["notallowed.example"], rules: [{ backendRefs: [backend("web-backend")] }] }, "gateway-conformance-web-backend"));
    await waitFor("cross.example served", async () => (await podOf("all-namespaces", "/hostname", "cross.example")) === "web-backend");
    await waitFor("NotAllowedByListeners", async () => cond((await parentStatus("invalid-cross-namespace-parent-ref", "gateway-conformance-web-backend"))[0]?.conditions, "Accepted")?.reason === "NotAllowedByListeners");
    expect((await get("same-namespace", "/hostname", "notallowed.example")).body).not.toMatch(/^web-backend/);
  });

  it("HTTPRouteMatching, HTTPRouteExactPathMatching, HTTPRoutePathMatchOrder, HTTPRouteHeaderMatching: Exact > longest prefix, matches ORed, headers ANDed", async () => {
    await cluster.apply(
      route("matching", {
        parentRefs: [{ name: "all-namespaces" }],
        hostnames: ["match.example"],
        rules: [
          { matches: [{ path: { type: "PathPrefix", value: "/" } }, { headers: [{ name: "version", value: "one" }] }], backendRefs: [backend("infra-backend-v1")] },
          { matches: [{ path: { type: "PathPrefix", value: "/v2" } }, { headers: [{ name: "version", value: "two" }] }], backendRefs: [backend("infra-backend-v2")] },
          { matches: [{ path: { type: "Exact", value: "/exact" } }], backendRefs: [backend("infra-backend-v3")] },
          { matches: [{ path: { type: "PathPrefix", value: "/exact/longer" } }, { path: { type: "PathPrefix", value: "/v2/longer" } }], backendRefs: [backend("infra-backend-v3")] },
          { matches: [{ path: { type: "PathPrefix", value: "/hdr" }, headers: [{ name: "Color", value: "blue" }, { name: "Size", value: "big" }] }], backendRefs: [backend("infra-backend-v2")] },
        ],
      }),
    );
    await waitFor("match.example served", async () => (await podOf("all-namespaces", "/exact", "match.example")) === "infra-backend-v3");
    const cases: Array<[string, string[], string]> = [
      ["/", [], "infra-backend-v1"],
      ["/example", [], "infra-backend-v1"],
      ["/v2", [], "infra-backend-v2"],
      ["/v2/example", [], "infra-backend-v2"],
      ["/v2example", [], "infra-backend-v1"], // element-wise prefix
      ["/", ["-H", "version: two"], "infra-backend-v2"],
      ["/exact", [], "infra-backend-v3"],
      ["/exact/", [], "infra-backend-v1"], // Exact is not /exact/
      ["/v2/longer/x", [], "infra-backend-v3"], // longest prefix wins
      ["/hdr", ["-H", "color: blue", "-H", "size: big"], "infra-backend-v2"],
      ["/hdr", ["-H", "color: blue"], "infra-backend-v1"], // every header must match
    ];
    for (const [path, extra, want] of cases) expect(`${path} ${extra.join(" ")} → ${await podOf("all-namespaces", path, "match.example", extra)}`).toBe(`${path} ${extra.join(" ")} → ${want}`);
  });

  it("HTTPRouteListenerHostnameMatching and HTTPRouteHostnameIntersection: listeners on one port by hostname (wildcards of several labels), routes by their intersection", async () => {
    await cluster.apply(
      gateway("hostnames", [
        { name: "listener-1", port: 80, protocol: "HTTP", hostname: "bar.com" },
        { name: "listener-2", port: 80, protocol: "HTTP", hostname: "foo.bar.com" },
        { name: "listener-3", port: 80, protocol: "HTTP", hostname: "*.bar.com" },
        { name: "listener-4", port: 80, protocol: "HTTP", hostname: "*.foo.com" },
      ]),
    );
    await waitAddress("hostnames");
    await cluster.apply(route("backend-v1", { parentRefs: [{ name: "hostnames", sectionName: "listener-1" }], rules: [{ backendRefs: [backend("infra-backend-v1")] }] }));
    await cluster.apply(route("backend-v2", { parentRefs: [{ name: "hostnames", sectionName: "listener-2" }], rules: [{ backendRefs: [backend("infra-backend-v2")] }] }));
    await cluster.apply(route("backend-v3", { parentRefs: [{ name: "hostnames", sectionName: "listener-3" }, { name: "hostnames", sectionName: "listener-4" }], rules: [{ backendRefs: [backend("infra-backend-v3")] }] }));
    // route hostnames intersected with listener-3's *.bar.com: only very.specific.bar.com of them
    await cluster.apply(route("intersection", { parentRefs: [{ name: "hostnames", sectionName: "listener-3" }], hostnames: ["very.specific.bar.com", "other.example"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/s" } }], backendRefs: [backend("infra-backend-v1")] }] }));
    await waitFor("bar.com served", async () => (await podOf("hostnames", "/hostname", "bar.com")) === "infra-backend-v1");
    const cases: Array<[string, string, string]> = [
      ["bar.com", "/hostname", "infra-backend-v1"],
      ["foo.bar.com", "/hostname", "infra-backend-v2"],
      ["baz.bar.com", "/hostname", "infra-backend-v3"],
      ["boo.bar.com", "/hostname", "infra-backend-v3"],
      ["multiple.prefixes.bar.com", "/hostname", "infra-backend-v3"],
      ["multiple.prefixes.foo.com", "/hostname", "infra-backend-v3"],
      ["foo.com", "/hostname", "404"],
      ["no.matching.host", "/hostname", "404"],
      ["very.specific.bar.com", "/s", "infra-backend-v1"],
      ["other.example", "/s", "404"],
    ];
    for (const [host, path, want] of cases) expect(`${host}${path} → ${await podOf("hostnames", path, host)}`).toBe(`${host}${path} → ${want}`);
  });

  it("HTTPRouteMultipleGateways: one route on two Gateways, each on its own address and port 80", async () => {
    await cluster.apply(route("multiple-gateways", { parentRefs: [{ name: "same-namespace" }, { name: "all-namespaces" }], hostnames: ["multi.example"], rules: [{ backendRefs: [backend("infra-backend-v2")] }] }));
    await waitFor("both Gateways", async () => (await podOf("same-namespace", "/hostname", "multi.example")) === "infra-backend-v2" && (await podOf("all-namespaces", "/hostname", "multi.example")) === "infra-backend-v2");
  });

  it("HTTPRouteWeight: traffic split 70/30/0 within tolerance", async () => {
    await cluster.apply(route("weighted", { parentRefs: [{ name: "all-namespaces" }], hostnames: ["weight.example"], rules: [{ backendRefs: [backend("infra-backend-v1", { weight: 70 }), backend("infra-backend-v2", { weight: 30 }), backend("infra-backend-v3", { weight: 0 })] }] }));
    await waitFor("weight.example served", async () => (await get("all-namespaces", "/hostname", "weight.example")).status === 200);
    // fetch() drops a Host header (a forbidden name): node's http module sends it.
    const script = `const http=require("http");const agent=new http.Agent({keepAlive:true});const c={};const one=()=>new Promise((ok,no)=>http.get({host:"${addresses.get("all-namespaces")}",path:"/hostname",agent,headers:{Host:"weight.example"}},(r)=>{let b="";r.on("data",(d)=>b+=d);r.on("end",()=>{const t=b.replace(/-[a-z0-9]+-[a-z0-9]+$/,"");c[t]=(c[t]||0)+1;ok()})}).on("error",no));(async()=>{for(let i=0;i<200;i++)await one();console.log(JSON.stringify(c));agent.destroy()})()`;
    const counts = JSON.parse((await cluster.execOnHost("outside", [process.execPath, "-e", script], { timeoutMs: 60_000 })).stdout) as Record<string, number>;
    expect(counts["infra-backend-v3"]).toBeUndefined();
    // 200 draws at p=0.7: 140 ± 4.6σ (σ≈6.5)
    expect(counts["infra-backend-v1"]).toBeGreaterThan(110);
    expect(counts["infra-backend-v1"]).toBeLessThan(170);
    expect((counts["infra-backend-v1"] ?? 0) + (counts["infra-backend-v2"] ?? 0)).toBe(200);
  });

  it("HTTPRouteRequestHeaderModifier and HTTPRouteRedirectHostAndStatus", async () => {
    await cluster.apply(
      route("filters", {
        parentRefs: [{ name: "all-namespaces" }],
        hostnames: ["filters.example"],
        rules: [
          { matches: [{ path: { type: "PathPrefix", value: "/header" } }], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Header-Set", value: "set-overwrites-values" }], add: [{ name: "X-Header-Add", value: "add-appends-values" }], remove: ["X-Header-Remove"] } }], backendRefs: [backend("echo-backend")] },
          { matches: [{ path: { type: "PathPrefix", value: "/redirect" } }], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", statusCode: 301 } }] },
        ],
      }),
    );
    await waitFor("filters.example served", async () => (await get("all-namespaces", "/header?key=X-Header-Set", "filters.example")).status === 200);
    expect((await get("all-namespaces", "/header?key=X-Header-Set", "filters.example", ["-H", "X-Header-Set: other"])).body).toBe("set-overwrites-values");
    expect((await get("all-namespaces", "/header?key=X-Header-Add", "filters.example", ["-H", "X-Header-Add: add-value"])).body).toBe("add-value, add-appends-values");
    expect((await get("all-namespaces", "/header?key=X-Header-Remove", "filters.example", ["-H", "X-Header-Remove: gone"])).body).toBe("");
    const redirect = await get("all-namespaces", "/redirect/x", "filters.example");
    expect(redirect.status).toBe(301);
    expect(redirect.location).toBe("http://example.org/redirect/x");
  });

  it("HTTPRouteInvalidNonExistentBackendRef, HTTPRouteInvalidBackendRefUnknownKind, HTTPRouteInvalidCrossNamespaceBackendRef → 500 and ResolvedRefs False; HTTPRouteReferenceGrant makes the cross-namespace one work", async () => {
    await cluster.apply(
      route("invalid-backends", {
        parentRefs: [{ name: "all-namespaces" }],
        hostnames: ["invalid.example"],
        rules: [
          { matches: [{ path: { type: "PathPrefix", value: "/nonexistent" } }], backendRefs: [backend("nonexistent")] },
          { matches: [{ path: { type: "PathPrefix", value: "/unknown-kind" } }], backendRefs: [{ group: "unknownkind.example.com", kind: "NonExistent", name: "infra-backend-v1", port: 8080 }] },
          { matches: [{ path: { type: "PathPrefix", value: "/cross" } }], backendRefs: [backend("app-backend-v1", { namespace: "gateway-conformance-app-backend" })] },
        ],
      }),
    );
    await waitFor("invalid.example 500", async () => (await get("all-namespaces", "/nonexistent", "invalid.example")).status === 500);
    expect((await get("all-namespaces", "/unknown-kind", "invalid.example")).status).toBe(500);
    expect((await get("all-namespaces", "/cross", "invalid.example")).status).toBe(500);
    const [parent] = await parentStatus("invalid-backends");
    expect(cond(parent?.conditions, "Accepted")?.status).toBe("True"); // the route is still attached
    expect(cond(parent?.conditions, "ResolvedRefs")?.status).toBe("False");
    expect(["BackendNotFound", "InvalidKind", "RefNotPermitted"]).toContain(cond(parent?.conditions, "ResolvedRefs")?.reason);
    await cluster.apply({
      apiVersion: "gateway.networking.k8s.io/v1beta1",
      kind: "ReferenceGrant",
      metadata: { name: "reference-grant", namespace: "gateway-conformance-app-backend" },
      spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "default" }], to: [{ group: "", kind: "Service", name: "app-backend-v1" }] },
    });
    await waitFor("the granted backend served", async () => (await podOf("all-namespaces", "/cross/hostname", "invalid.example")) === "app-backend-v1");
  });

  it("HTTPRouteInvalidParentRefNotMatchingSectionName → NoMatchingParent; HTTPRouteObservedGenerationBump: conditions follow the generation", async () => {
    await cluster.apply(route("bad-section", { parentRefs: [{ name: "all-namespaces", sectionName: "nope" }], rules: [{ backendRefs: [backend("infra-backend-v1")] }] }));
    await waitFor("NoMatchingParent", async () => cond((await parentStatus("bad-section"))[0]?.conditions, "Accepted")?.reason === "NoMatchingParent");
    const before = await routeObj("bad-section");
    await cluster.apply(route("bad-section", { parentRefs: [{ name: "all-namespaces", sectionName: "http" }], rules: [{ backendRefs: [backend("infra-backend-v2")] }] }));
    await waitFor("Accepted at the new generation", async () => {
      const r = await routeObj("bad-section");
      const accepted = cond(r.status?.parents?.[0]?.conditions, "Accepted");
      return r.metadata.generation === (before.metadata.generation ?? 1) + 1 && accepted?.status === "True" && accepted.observedGeneration === r.metadata.generation;
    });
  });

  it("HTTPRouteHTTPSListener: an HTTPS listener terminates TLS with its Secret's certificate, chosen by SNI", async () => {
    const cert = await cluster.execOnHost("outside", [
      "sh",
      "-c",
      "d=$(mktemp -d) && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=secure.example -addext subjectAltName=DNS:secure.example -keyout $d/k -out $d/c 2>/dev/null && base64 -w0 $d/c && echo && base64 -w0 $d/k && rm -r $d",
    ]);
    const [crt, key] = cert.stdout.trim().split("\n");
    await cluster.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "tls-validity-checks-certificate" }, type: "kubernetes.io/tls", data: { "tls.crt": crt, "tls.key": key } });
    await cluster.apply(gateway("https", [{ name: "https", port: 443, protocol: "HTTPS", hostname: "secure.example", tls: { certificateRefs: [{ name: "tls-validity-checks-certificate" }] } }]));
    await waitAddress("https");
    await cluster.apply(route("https-route", { parentRefs: [{ name: "https" }], rules: [{ backendRefs: [backend("infra-backend-v1")] }] }));
    const ip = addresses.get("https")!;
    const curlTls = () => cluster.execOnHost("outside", ["curl", "-sS", "-k", "-v", "--max-time", "3", "--resolve", `secure.example:443:${ip}`, "https://secure.example/hostname"]);
    await waitFor("secure.example over TLS", async () => (await curlTls()).stdout.startsWith("infra-backend-v1"));
    expect((await curlTls()).stderr).toMatch(/subject: CN=secure\.example/);
    await waitFor("listener ResolvedRefs", async () => cond((await gatewayObj("https")).status?.listeners?.[0]?.conditions, "ResolvedRefs")?.status === "True");
  });

  it("HTTPRouteMatchingAcrossRoutes: precedence across two routes on one host (Exact over Prefix, longest prefix, then headers)", async () => {
    await cluster.apply(route("across-1", { parentRefs: [{ name: "all-namespaces" }], hostnames: ["across.example"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [backend("infra-backend-v1")] }, { matches: [{ path: { type: "Exact", value: "/v2" } }], backendRefs: [backend("infra-backend-v2")] }] }));
    await cluster.apply(route("across-2", { parentRefs: [{ name: "all-namespaces" }], hostnames: ["across.example"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/v2" } }], backendRefs: [backend("infra-backend-v3")] }, { matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ name: "version", value: "three" }] }], backendRefs: [backend("infra-backend-v3")] }] }));
    // Each router worker takes the new table on its own: wait until several new connections in a row (spread over both workers) see route 2.
    await waitFor("across.example served by both routes, on every worker", async () => {
      for (let i = 0; i < 4; i++) if ((await podOf("all-namespaces", "/other", "across.example", ["-H", "version: three"])) !== "infra-backend-v3") return false;
      return true;
    });
    expect(await podOf("all-namespaces", "/v2/x", "across.example")).toBe("infra-backend-v3");
    expect(await podOf("all-namespaces", "/v2", "across.example")).toBe("infra-backend-v2"); // Exact (route 1) beats Prefix /v2 (route 2)
    expect(await podOf("all-namespaces", "/other", "across.example")).toBe("infra-backend-v1");
    expect(await podOf("all-namespaces", "/other", "across.example", ["-H", "version: three"])).toBe("infra-backend-v3"); // same prefix "/", more headers
  });

  it("HTTPRouteNoBackendRefs → 500; HTTPRouteServiceTypes: a headless Service and a Service without selector (hand-written EndpointSlice) are backends too", async () => {
    const pods = (await cluster.api.list<KubeObject & { status?: { podIP?: string } }>(PODS, { namespace: "default", labelSelector: "app=infra-backend-v3" })).items;
    await cluster.apply([
      { apiVersion: "v1", kind: "Service", metadata: { name: "headless" }, spec: { clusterIP: "None", selector: { app: "infra-backend-v2" }, ports: [{ name: "web", port: 8080, targetPort: 8080 }] } },
      { apiVersion: "v1", kind: "Service", metadata: { name: "manual" }, spec: { ports: [{ name: "web", port: 8080, targetPort: 8080 }] } },
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "manual-1", labels: { "kubernetes.io/service-name": "manual" } },
        addressType: "IPv4",
        ports: [{ name: "web", port: 8080, protocol: "TCP" }],
        endpoints: pods.map((p) => ({ addresses: [p.status!.podIP!], conditions: { ready: true } })),
      },
      route("service-types", {
        parentRefs: [{ name: "all-namespaces" }],
        hostnames: ["types.example"],
        rules: [
          { matches: [{ path: { type: "PathPrefix", value: "/headless" } }], backendRefs: [backend("headless")] },
          { matches: [{ path: { type: "PathPrefix", value: "/manual" } }], backendRefs: [backend("manual")] },
          { matches: [{ path: { type: "PathPrefix", value: "/none" } }] },
        ],
      }),
    ]);
    await waitFor("types.example served", async () => (await podOf("all-namespaces", "/headless", "types.example")) === "infra-backend-v2");
    await waitFor("the hand-written slice", async () => (await podOf("all-namespaces", "/manual", "types.example")) === "infra-backend-v3");
    expect((await get("all-namespaces", "/none", "types.example")).status).toBe(500);
  });

  it("websockets through an HTTPRoute; an open one survives a configuration change", async () => {
    await cluster.apply([...websocketEcho("ws-echo"), route("ws", { parentRefs: [{ name: "all-namespaces" }], hostnames: ["ws.example"], rules: [{ backendRefs: [{ name: "ws-echo", port: 80 }] }] })]);
    await waitFor("the echo server behind ws.example", async () => (await get("all-namespaces", "/", "ws.example")).body === "ws only");
    const dir = mkdtempSync(join(tmpdir(), "kemu-gw-ws-"));
    const go = join(dir, "go");
    try {
      const running = cluster.execOnHost("outside", [process.execPath, "-e", websocketClientScript(`ws://${addresses.get("all-namespaces")}/chat`, "ws.example", go)], { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 1000));
      // A change to the same Gateway's table while the socket is open.
      await cluster.apply(route("ws-later", { parentRefs: [{ name: "all-namespaces" }], hostnames: ["later.example"], rules: [{ backendRefs: [backend("infra-backend-v2")] }] }));
      await waitFor("the new route", async () => (await podOf("all-namespaces", "/", "later.example")) === "infra-backend-v2");
      writeFileSync(go, "");
      const r = await running;
      expect(r.stdout.trim(), r.stderr).toBe('["before","after"]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a rolling update of a backend under load through an HTTPRoute loses no request", async () => {
    await cluster.apply(route("roll", { parentRefs: [{ name: "all-namespaces" }], hostnames: ["roll.example"], rules: [{ backendRefs: [backend("infra-backend-v1")] }] }));
    await waitFor("roll.example served", async () => (await get("all-namespaces", "/hostname", "roll.example")).status === 200);
    const seconds = 12;
    const loading = cluster.execOnHost("outside", [process.execPath, "-e", pacedLoadScript(`http://${addresses.get("all-namespaces")}/hostname`, 20, seconds, { Host: "roll.example" }, 3000)], { timeoutMs: (seconds + 15) * 1000 });
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.apply(app("infra-backend-v1", "default", 2, undefined, { version: "2" })[0]!);
    const result = JSON.parse((await loading).stdout) as PacedLoadResult;
    expect(result.ok + result.failed).toBe(20 * seconds);
    expect(result.failed, JSON.stringify(result.errors)).toBe(0);
  });
});
