// The dashboard's other pure parts: heatmaps from the probe's matrix, a
// trace drawn on the scene, the token check, the trace request body, the
// charts, the flow rows, the probe's signature and the coalescer.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Pod } from "../../src/api/types.js";
import type { ProbeMatrix } from "../../src/probe/model.js";
import type { Flow } from "../../src/observe/flows/model.js";
import type { TraceResult } from "../../src/observe/trace/model.js";
import { buildHeatmap } from "../../src/observe/dashboard/heatmap.js";
import type { Scene, Shape } from "../../src/observe/dashboard/layout.js";
import { describeObject, traceDrawing } from "../../src/observe/dashboard/trace-drawing.js";
import { hostAllowed, newToken, tokenMatches, tokenOfUrl } from "../../src/observe/dashboard/token.js";
import { parseTraceRequest } from "../../src/observe/dashboard/trace-request.js";
import { pointBetween, readingOf, sparkline } from "../../src/observe/dashboard/charts.js";
import { flowRow, keepRecent } from "../../src/observe/dashboard/flow-rows.js";
import { probeSignature } from "../../src/observe/dashboard/probe-loop.js";
import { Coalescer } from "../../src/observe/dashboard/coalesce.js";

describe("buildHeatmap", () => {
  it("makes one grid per port/protocol: 1 reachable, 0 blocked (with why), null unknown, -1 not probed", () => {
    const matrix: ProbeMatrix = {
      sources: [{ key: "x/a", kind: "pod", ip: "10.244.1.2" }, { key: "x/b", kind: "pod", ip: "10.244.2.2" }],
      targets: [{ key: "x/a", kind: "pod", ip: "10.244.1.2" }, { key: "x/b", kind: "pod", ip: "10.244.2.2" }, { key: "svc:x/s", kind: "service", ip: "10.96.0.9" }],
      portProtocols: [{ port: 80, protocol: "TCP" }, { port: 81, protocol: "SCTP" }],
      cells: [
        { from: "x/a", to: "x/a", port: 80, protocol: "TCP", reachable: true, detail: "ok", address: "10.244.1.2" },
        { from: "x/a", to: "x/b", port: 80, protocol: "TCP", reachable: false, detail: "timeout", address: "10.244.2.2" },
        { from: "x/b", to: "x/a", port: 80, protocol: "TCP", reachable: false, detail: "refused", address: "10.244.1.2" },
        { from: "x/b", to: "x/b", port: 80, protocol: "TCP", reachable: true, detail: "ok", address: "10.244.2.2" },
        { from: "x/a", to: "svc:x/s", port: 80, protocol: "TCP", reachable: true, detail: "ok", address: "10.96.0.9" },
        { from: "x/a", to: "x/b", port: 81, protocol: "SCTP", reachable: null, detail: "unsupported", address: "10.244.2.2" },
      ],
      timeoutMs: 1000,
      elapsedMs: 1012,
      notes: ["left out: x/c (Pending)"],
    };
    const h = buildHeatmap(matrix, 1234);
    expect(h.at).toBe(1234);
    expect(h.notes).toEqual(["left out: x/c (Pending)"]);
    expect(h.grids[0]).toEqual({
      title: "80/TCP",
      rows: ["x/a", "x/b"],
      cols: ["x/a", "x/b", "svc:x/s"],
      cells: [
        [1, 0, 1],
        [0, 1, -1],
      ],
      details: [
        ["", "timeout", ""],
        ["refused", "", ""],
      ],
      reachable: 3,
      blocked: 2,
    });
    expect(h.grids[1]!.title).toBe("81/SCTP");
    expect(h.grids[1]!.cells).toEqual([
      [-1, null, -1],
      [-1, -1, -1],
    ]);
  });
});

const box = (id: string, kind: Shape["kind"], ip?: string): Shape => ({ id, kind, x: 0, y: 0, w: 10, h: 10, label: id, detail: "", state: "ok", ...(ip ? { ip } : {}) });
const SCENE: Scene = {
  width: 100,
  height: 100,
  links: [],
  shapes: [box("node:node-1", "node"), box("node:node-2", "node"), box("outside", "outside"), box("router", "router"), box("pod:default/client", "pod", "10.244.1.6"), box("pod:default/web-2", "pod", "10.244.2.5")],
};

/** A ClusterIP connection from node-1 to a pod on node-2, as kemu trace reports it. */
function connected(): TraceResult {
  return {
    from: "default/client",
    target: "web:80",
    protocol: "tcp",
    destination: { ip: "10.96.0.20", port: 80, name: "default/web" },
    sourcePort: 40312,
    hops: [
      {
        host: "node-1",
        direction: "request",
        packet: { src: "10.244.1.6", dst: "10.96.0.20", sport: 40312, dport: 80, protocol: "tcp", flags: "SYN" },
        leaving: { src: "10.244.1.6", dst: "10.244.2.5", sport: 40312, dport: 8080, protocol: "tcp" },
        rules: [
          { table: "nat", chain: "KUBE-SERVICES", kind: "rule", rule: "-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp --dport 80 -j KUBE-SVC-ABC", verdict: "JUMP:KUBE-SVC-ABC", object: { kind: "Service", namespace: "default", name: "web", part: "port http" } },
          { table: "nat", chain: "KUBE-SEP-XYZ", kind: "rule", rule: "-A KUBE-SEP-XYZ -p tcp -j DNAT --to-destination 10.244.2.5:8080", verdict: "DNAT", object: { kind: "Service", namespace: "default", name: "web", part: "endpoint 10.244.2.5:8080" } },
          { table: "filter", chain: "FORWARD", kind: "policy", rule: "", verdict: "ACCEPT" },
        ],
        dnat: "10.244.2.5:8080",
        route: "10.244.2.0/24 via 172.18.0.3 dev eth0",
        outcome: "forwarded",
        from: "default/client",
        to: "default/web",
      },
      { host: "node-2", direction: "request", packet: { src: "10.244.1.6", dst: "10.244.2.5", sport: 40312, dport: 8080, protocol: "tcp" }, rules: [], outcome: "delivered" },
      { host: "node-2", direction: "reply", packet: { src: "10.244.2.5", dst: "10.244.1.6", sport: 8080, dport: 40312, protocol: "tcp", flags: "SYN ACK" }, rules: [], outcome: "forwarded" },
    ],
    result: "connected",
    endpoint: "default/web-2 (pod on node-2, 10.244.2.5:8080)",
    elapsedMs: 12.4,
  };
}

describe("traceDrawing", () => {
  it("draws client → its node → the server's node → the endpoint DNAT chose, a reply back, and the hops' rules with their objects", () => {
    const d = traceDrawing(connected(), SCENE);
    expect(d.path).toEqual(["pod:default/client", "node:node-1", "node:node-2", "pod:default/web-2"]);
    expect(d.arrows).toEqual([
      { from: "pod:default/client", to: "node:node-1", kind: "request", label: "10.244.1.6:40312 → 10.96.0.20:80 TCP SYN" },
      { from: "node:node-1", to: "node:node-2", kind: "request", label: "10.244.1.6:40312 → 10.244.2.5:8080 TCP" },
      { from: "node:node-2", to: "pod:default/web-2", kind: "request", label: "" },
      { from: "pod:default/web-2", to: "pod:default/client", kind: "reply", label: "reply" },
    ]);
    expect(d.marks).toEqual([
      { shape: "node:node-1", kind: "dnat", text: "DNAT → 10.244.2.5:8080" },
      { shape: "pod:default/web-2", kind: "endpoint", text: "answered" },
    ]);
    expect(d.panel[0]).toEqual({
      title: "node-1 · request",
      packet: "10.244.1.6:40312 (default/client) → 10.96.0.20:80 (default/web) TCP SYN",
      leaving: "10.244.1.6:40312 → 10.244.2.5:8080 TCP",
      notes: ["DNAT → 10.244.2.5:8080", "route: 10.244.2.0/24 via 172.18.0.3 dev eth0"],
      rules: [
        { table: "nat", chain: "KUBE-SERVICES", rule: "-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp --dport 80 -j KUBE-SVC-ABC", verdict: "JUMP:KUBE-SVC-ABC", object: "Service default/web port http" },
        { table: "nat", chain: "KUBE-SEP-XYZ", rule: "-A KUBE-SEP-XYZ -p tcp -j DNAT --to-destination 10.244.2.5:8080", verdict: "DNAT", object: "Service default/web endpoint 10.244.2.5:8080" },
        { table: "filter", chain: "FORWARD", rule: "(chain policy)", verdict: "ACCEPT" },
      ],
      outcome: "forwarded",
    });
    expect(d.panel.map((p) => p.title)).toEqual(["node-1 · request", "node-2 · request", "node-2 · reply"]);
    expect(d.summary).toBe("default/client → default/web (10.96.0.20:80) TCP: connected → default/web-2 (pod on node-2, 10.244.2.5:8080) in 12 ms");
    expect(d.missing).toEqual([]);
  });

  it("ends a dropped attempt at the host that dropped it, with the policy named, and no reply", () => {
    const r = connected();
    r.hops = r.hops.slice(0, 2);
    r.hops[1]!.outcome = "dropped";
    r.result = "timed out";
    delete r.endpoint;
    r.droppedBy = { host: "node-2", table: "kemu-policy", chain: "ingress-default-web-2", kind: "rule", rule: "drop", verdict: "DROP", object: { kind: "NetworkPolicy", namespace: "default", name: "deny-all", part: "ingress" } };
    const d = traceDrawing(r, SCENE);
    expect(d.path).toEqual(["pod:default/client", "node:node-1", "node:node-2"]);
    expect(d.arrows.map((a) => a.kind)).toEqual(["request", "drop"]);
    expect(d.marks).toContainEqual({ shape: "node:node-2", kind: "drop", text: "dropped by ingress-default-web-2 (NetworkPolicy default/deny-all ingress)" });
    expect(d.summary).toBe("default/client → default/web (10.96.0.20:80) TCP: timed out — dropped on node-2 by kemu-policy ingress-default-web-2 (NetworkPolicy default/deny-all ingress) in 12 ms");
  });

  it("goes through the router for a URL, and says which shapes the page lacks", () => {
    const r = connected();
    r.from = "outside";
    const [toRouter, toEndpoint] = [r.hops[0]!, r.hops[1]!];
    r.router = {
      router: "kemu-system/ingress-router",
      host: "a.example",
      path: "/",
      route: { kind: "Ingress", namespace: "default", name: "site", part: "rule 0" },
      backend: "default/web:80",
      endpoint: "default/web-2",
      hops: [{ ...toRouter, host: "node-1" }, toEndpoint],
    };
    r.httpStatus = 200;
    r.hops = [{ ...toRouter, host: "outside", dnat: "10.244.1.2:80" }];
    const d = traceDrawing(r, { ...SCENE, shapes: SCENE.shapes.filter((s) => s.id !== "pod:default/web-2") });
    expect(d.path).toEqual(["outside", "router", "node:node-1", "node:node-2", "pod:default/web-2"]);
    expect(d.panel.map((p) => p.title)).toEqual(["outside · request", "node-1 · request (router → endpoint)", "node-2 · request (router → endpoint)"]);
    expect(d.marks).toContainEqual({ shape: "router", kind: "router", text: "route Ingress default/site rule 0" });
    expect(d.marks).toContainEqual({ shape: "pod:default/web-2", kind: "endpoint", text: "answered HTTP 200" });
    expect(d.missing).toEqual(["pod:default/web-2"]);
  });

  it("names objects as a person reads them", () => {
    expect(describeObject({ kind: "kube-proxy", name: "kube-proxy" })).toBe("kube-proxy");
    expect(describeObject({ kind: "ClusterNetworkPolicy", name: "admin", part: "ingress rule 1" })).toBe("ClusterNetworkPolicy admin ingress rule 1");
  });
});

describe("token", () => {
  it("is random, URL-safe, and matches only itself", () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newToken()).not.toBe(t);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(t, `${t}x`)).toBe(false);
    expect(tokenMatches(t, t.slice(0, -1))).toBe(false);
    expect(tokenMatches(t, "")).toBe(false);
    expect(tokenMatches(t, null)).toBe(false);
    expect(tokenMatches("", "")).toBe(false);
  });

  it("is read from the URL's query, and Host must name the loopback listener", () => {
    expect(tokenOfUrl("/ws?token=abc-_1")).toBe("abc-_1");
    expect(tokenOfUrl("/app.js")).toBeNull();
    expect(tokenOfUrl(undefined)).toBeNull();
    expect(hostAllowed("127.0.0.1:8080", 8080)).toBe(true);
    expect(hostAllowed("localhost:8080", 8080)).toBe(true);
    expect(hostAllowed("evil.example:8080", 8080)).toBe(false);
    expect(hostAllowed("127.0.0.1:8081", 8080)).toBe(false);
    expect(hostAllowed(undefined, 8080)).toBe(false);
  });
});

describe("parseTraceRequest", () => {
  it("reads from, target, protocol and namespace", () => {
    expect(parseTraceRequest('{"from":" default/client ","target":"web:80","protocol":"UDP"}')).toEqual({ from: "default/client", target: "web:80", protocol: "udp" });
    expect(parseTraceRequest('{"from":"outside","target":"http://a.example/","namespace":"x","protocol":""}')).toEqual({ from: "outside", target: "http://a.example/", namespace: "x" });
  });

  it("names the field and what was expected", () => {
    expect(() => parseTraceRequest("nope")).toThrow(/^body: expected JSON/);
    expect(() => parseTraceRequest("[1]")).toThrow("body: expected a JSON object with from and target");
    expect(() => parseTraceRequest('{"target":"web"}')).toThrow("from: required");
    expect(() => parseTraceRequest('{"from":"a","target":7}')).toThrow("target: expected a string, got 7");
    expect(() => parseTraceRequest('{"from":"a","target":"b","protocol":"sctp"}')).toThrow('protocol: expected tcp or udp, got "sctp"');
  });
});

describe("charts", () => {
  const proxy = (sum: number, count: number) => `# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram
kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.001"} 0
kubeproxy_sync_proxy_rules_duration_seconds_sum ${sum}
kubeproxy_sync_proxy_rules_duration_seconds_count ${count}
`;
  const dns = (n: number) => `coredns_dns_requests_total{proto="udp",type="A"} ${n}\ncoredns_dns_requests_total{proto="udp",type="AAAA"} ${n / 2}\n`;
  const api = (n: number) => `apiserver_request_total{verb="GET",code="200"} ${n}\napiserver_request_total{verb="LIST",code="200"} 10\n`;

  it("turns two scrapes into the mean sync duration between them and per-second rates", () => {
    const a = readingOf(10_000, { kubeProxy: proxy(0.5, 10), coredns: dns(100), apiserver: api(40) });
    expect(a).toEqual({ at: 10_000, syncSumSeconds: 0.5, syncCount: 10, dnsRequests: 150, apiRequests: 50 });
    const b = readingOf(15_000, { kubeProxy: proxy(0.56, 12), coredns: dns(200), apiserver: api(90) });
    const p = pointBetween(a, b);
    expect(p.sync).toBeCloseTo(30, 6);
    expect(p.dns).toBe(30);
    expect(p.api).toBe(10);
  });

  it("leaves gaps: no sync in between, a component not read, a counter reset", () => {
    const a = readingOf(0, { kubeProxy: proxy(0.5, 10), coredns: dns(100) });
    const b = readingOf(5000, { kubeProxy: proxy(0.5, 10), coredns: dns(10) });
    expect(pointBetween(a, b)).toEqual({ sync: null, dns: null, api: null });
  });

  it("draws a sparkline scaled to its largest value, broken at gaps", () => {
    expect(sparkline([0, 5, null, 10], 30, 10)).toEqual({ path: "M0 10 L10 5 M30 0", max: 10, last: 10 });
    expect(sparkline([0, 0], 10, 10)).toEqual({ path: "M0 10 L10 10", max: 1, last: 0 });
    expect(sparkline([], 10, 10)).toEqual({ path: "", max: 1, last: null });
  });
});

describe("flow rows", () => {
  it("reads as source → destination ⇒ endpoint with names, and drops name their policy", () => {
    const f: Flow = {
      time: "2026-01-01T00:00:00.123Z",
      node: "node-1",
      nodes: ["node-1"],
      protocol: "TCP",
      source: { ip: "10.244.1.6", port: 40312, name: "default/client" },
      destination: { ip: "10.96.0.20", port: 80, name: "default/web" },
      endpoint: { ip: "10.244.2.5", port: 8080, name: "default/web-2" },
      verdict: "dropped",
      policy: { kind: "NetworkPolicy", namespace: "default", name: "deny-all", part: "ingress" },
      state: "new",
    };
    expect(flowRow(f)).toEqual({ time: f.time, node: "node-1", protocol: "TCP", text: "default/client:40312 → default/web:80 ⇒ default/web-2:8080", verdict: "dropped", state: "new", policy: "NetworkPolicy default/deny-all ingress" });
    expect(keepRecent([1, 2, 3], [4, 5], 4)).toEqual([2, 3, 4, 5]);
  });
});

describe("probeSignature", () => {
  const p = (name: string, labels: Record<string, string>, ns = "default", phase: "Running" | "Pending" = "Running"): Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: ns, name, labels },
    spec: { nodeName: "node-1", containers: [{ name: "c", image: "x", ports: [{ containerPort: 80 }] }] },
    status: { phase, podIP: "10.244.1.2" },
  });
  it("changes with the probed pods' labels and with policies, not with system pods or pending ones", () => {
    const base = probeSignature([p("a", { app: "a" })], []);
    expect(probeSignature([p("a", { app: "a" }), p("dns", {}, "kube-system"), p("new", {}, "default", "Pending")], [])).toBe(base);
    expect(probeSignature([p("a", { app: "b" })], [])).not.toBe(base);
    const np = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace: "default", name: "d", resourceVersion: "7" } };
    expect(probeSignature([p("a", { app: "a" })], [np])).not.toBe(base);
    expect(probeSignature([p("a", { app: "a" })], [np])).not.toBe(probeSignature([p("a", { app: "a" })], [{ ...np, metadata: { ...np.metadata, resourceVersion: "8" } }]));
  });
});

describe("Coalescer", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("runs once after changes settle, not more often than the minimum interval, and once more for changes during a run", async () => {
    const runs: number[] = [];
    let release: () => void = () => undefined;
    const c = new Coalescer(
      () => {
        runs.push(Date.now());
        return new Promise<void>((r) => (release = r));
      },
      { debounceMs: 100, minIntervalMs: 1000 },
    );
    const t0 = Date.now();
    c.poke();
    await vi.advanceTimersByTimeAsync(50);
    c.poke();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([t0 + 150]);
    c.poke(); // during the run
    c.poke();
    await vi.advanceTimersByTimeAsync(300);
    release();
    await vi.advanceTimersByTimeAsync(0);
    // The next run waits for the minimum interval from the last start.
    await vi.advanceTimersByTimeAsync(600);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toEqual([t0 + 150, t0 + 1150]);
    release();
    c.stop();
    c.poke();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(2);
  });
});
