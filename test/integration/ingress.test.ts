// The Ingress router end to end (issue 11, first part): `kemu up --ingress`
// starts kemu-system/ingress-router behind a LoadBalancer Service; curl on
// the outside host reaches pods through it by Host and path, as with
// ingress-nginx (../shared/reference/ingress.md §2–7).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind, type KubeObject, type Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";
import { pacedLoadScript, type PacedLoadResult } from "../support/load.js";
import { websocketClientScript, websocketEcho } from "../support/websocket.js";

const SERVICES = resourceByKind("Service")!;
const INGRESSES = resourceByKind("Ingress")!;

function app(name: string, replicas: number): KubeObject[] {
  const labels = { app: name };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=-1"], ports: [{ name: "http", containerPort: 8080 }] }] } },
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] } },
  ];
}

describe.skipIf(!rootOnly())("Ingress through kemu's router", () => {
  const name = uniqueClusterName("ing");
  let cluster: Cluster;
  let lbIP = "";
  /** curl from the outside host to the router's LoadBalancer address. */
  const curl = (path: string, host: string, extra: string[] = []) =>
    cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "-w", "\n%{http_code}", "-H", `Host: ${host}`, ...extra, `http://${lbIP}${path}`]);
  const get = async (path: string, host: string, extra: string[] = []) => {
    const r = await curl(path, host, extra);
    const lines = r.stdout.split("\n");
    return { status: Number(lines.pop()), body: lines.join("\n"), exitCode: r.exitCode };
  };

  beforeAll(async () => {
    cluster = await Cluster.start({
      name,
      nodes: 2,
      ingress: true,
      timeoutMs: 90_000,
      manifests: [
        ...app("web", 2),
        ...app("api", 1),
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "Ingress",
          metadata: { name: "site" },
          spec: {
            ingressClassName: "nginx",
            rules: [
              // An Exact path beats the Prefix "/" for /hostname (longest first; K8S-DOC "Multiple matches").
              { host: "site.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { name: "web" } } } }, { path: "/hostname", pathType: "Exact", backend: { service: { name: "api", port: { number: 80 } } } }] } },
              { host: "web.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } },
            ],
          },
        },
      ],
    });
    await cluster.waitFor(
      async () => {
        const svc = await cluster.api.get<Service>(SERVICES, "kemu-system", "ingress-router");
        lbIP = svc.status?.loadBalancer?.ingress?.[0]?.ip ?? "";
        return lbIP !== "";
      },
      { timeoutMs: 20_000, intervalMs: 100, what: () => "the router's LoadBalancer address" },
    );
    await cluster.waitFor(async () => (await get("/hostname", "web.example")).status === 200, { timeoutMs: 20_000, intervalMs: 200, what: () => "the router to serve web.example" });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("routes by host and path to the Services' pods (Exact beats Prefix \"/\"), and answers 404 for a host no rule names", async () => {
    expect((await get("/hostname", "site.example")).body).toMatch(/^api-/);
    expect((await get("/hostname", "web.example")).body).toMatch(/^web-/);
    expect((await get("/hostname/", "site.example")).body).not.toMatch(/^api-/); // Exact: not /hostname/
    const unknown = await get("/hostname", "other.example");
    expect(unknown.status).toBe(404);
  });

  it("spreads requests over the ready endpoints (round robin)", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add((await get("/hostname", "web.example")).body);
    expect(seen.size).toBe(2);
  });

  it("sends the client's address (externalTrafficPolicy Local) in X-Real-IP and X-Forwarded-For, replacing what the client sent", async () => {
    const outside = /inet (\d+\.\d+\.\d+\.\d+)\//.exec((await cluster.execOnHost("outside", ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).stdout)![1]!;
    // netexec /header?key=K echoes one request header.
    expect((await get("/header?key=X-Real-Ip", "web.example")).body).toBe(outside);
    expect((await get("/header?key=X-Forwarded-For", "web.example", ["-H", "X-Forwarded-For: 1.2.3.4"])).body).toBe(outside);
  });

  it("writes the router's address into the Ingress's status.loadBalancer (ingress-nginx --publish-service)", async () => {
    await cluster.waitFor(async () => (await cluster.api.get<KubeObject & { status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } }>(INGRESSES, "default", "site")).status?.loadBalancer?.ingress?.[0]?.ip === lbIP, {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: () => "the Ingress's status address",
    });
  });

  it("an unknown annotation is ignored with a Warning Event on the Ingress, never refused (ingress-nginx: annotations it does not know change nothing)", async () => {
    await cluster.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "snippet", annotations: { "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers \"X: y\";" } },
      spec: { ingressClassName: "nginx", rules: [{ host: "snippet.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
    });
    await cluster.waitFor(async () => (await get("/hostname", "snippet.example")).status === 200, { timeoutMs: 10_000, intervalMs: 100, what: () => "snippet.example served" });
    type Ev = KubeObject & { type?: string; reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } };
    await cluster.waitFor(
      async () =>
        (await cluster.api.list<Ev>(resourceByKind("Event")!, { namespace: "default" })).items.some(
          (e) => e.type === "Warning" && e.reason === "UnknownAnnotation" && e.involvedObject?.kind === "Ingress" && e.involvedObject.name === "snippet" && /configuration-snippet/.test(e.message ?? ""),
        ),
      { timeoutMs: 10_000, intervalMs: 100, what: () => "a Warning Event UnknownAnnotation on Ingress snippet" },
    );
  });

  it("answers 503 while a backend has no ready endpoint", async () => {
    await cluster.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "empty" },
      spec: { ingressClassName: "kemu", rules: [{ host: "empty.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "nobody", port: { number: 80 } } } }] } }] },
    });
    await cluster.waitFor(async () => (await get("/", "empty.example")).status === 503, { timeoutMs: 10_000, intervalMs: 100, what: () => "503 for a Service that does not exist" });
  });

  it("cookie affinity: the first answer sets INGRESSCOOKIE, and with it every request reaches the same pod, whichever router worker takes the connection (ingress-nginx annotations.md \"Session Affinity\")", async () => {
    await cluster.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "sticky", annotations: { "nginx.ingress.kubernetes.io/affinity": "cookie" } },
      spec: { ingressClassName: "nginx", rules: [{ host: "sticky.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
    });
    await cluster.waitFor(async () => (await get("/hostname", "sticky.example")).status === 200, { timeoutMs: 10_000, intervalMs: 100, what: () => "sticky.example to be served" });
    const first = await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "-D", "-", "-H", "Host: sticky.example", `http://${lbIP}/hostname`]);
    const cookie = /^set-cookie: (INGRESSCOOKIE=[^;]+)/im.exec(first.stdout)?.[1];
    expect(cookie, first.stdout).toBeDefined();
    const pods = new Set<string>();
    for (let i = 0; i < 10; i++) pods.add((await get("/hostname", "sticky.example", ["-H", `Cookie: ${cookie}`])).body);
    expect(pods.size).toBe(1);
    const spread = new Set<string>();
    for (let i = 0; i < 10; i++) spread.add((await get("/hostname", "sticky.example")).body);
    expect(spread.size).toBe(2);
  });

  it("rewrite-target with capture groups: /something/hostname reaches the pod as /hostname (ingress-nginx docs/examples/rewrite)", async () => {
    await cluster.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "rewrite", annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/$2" } },
      spec: { ingressClassName: "nginx", rules: [{ host: "rw.example", http: { paths: [{ path: "/something(/|$)(.*)", pathType: "ImplementationSpecific", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
    });
    await cluster.waitFor(async () => /^web-/.test((await get("/something/hostname", "rw.example")).body), { timeoutMs: 10_000, intervalMs: 100, what: () => "the rewritten path to reach /hostname" });
  });

  it("TLS from a kubernetes.io/tls Secret, chosen by SNI; plain HTTP to that host is redirected with 308 (ingress-nginx ssl-redirect)", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "kemu-ing-tls-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=secure.example", "-addext", "subjectAltName=DNS:secure.example", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
      const b64 = (f: string) => readFileSync(join(dir, f)).toString("base64");
      await cluster.apply([
        { apiVersion: "v1", kind: "Secret", metadata: { name: "secure-tls" }, type: "kubernetes.io/tls", data: { "tls.crt": b64("cert.pem"), "tls.key": b64("key.pem") } },
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "Ingress",
          metadata: { name: "secure" },
          spec: { ingressClassName: "nginx", tls: [{ hosts: ["secure.example"], secretName: "secure-tls" }], rules: [{ host: "secure.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
        },
      ]);
      // curl checks the certificate against the one we made: the router served it for this server name.
      const https = () => cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "--cacert", join(dir, "cert.pem"), "--resolve", `secure.example:443:${lbIP}`, "https://secure.example/hostname"]);
      await cluster.waitFor(async () => /^web-/.test((await https()).stdout), { timeoutMs: 10_000, intervalMs: 200, what: () => "HTTPS with the Secret's certificate" });
      const plain = await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: secure.example", `http://${lbIP}/hostname?x=1`]);
      expect(plain.stdout).toBe("308 https://secure.example/hostname?x=1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a rolling update of a backend under load loses no request (endpoints leave the router's list before their pods stop; refused connections are retried on another endpoint)", async () => {
    const labels = { app: "roll" };
    const deployment = (version: string): KubeObject => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "roll" },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { version } },
          spec: {
            terminationGracePeriodSeconds: 10,
            containers: [
              {
                name: "c",
                image: AGNHOST,
                // Keeps serving 2 s after SIGTERM, while its endpoint is taken out (upstream's graceful-shutdown advice).
                // (netexec's /readyz turns ready once its UDP server runs, so the UDP port stays on.)
                args: ["netexec", "--http-port=8080", "--delay-shutdown=2"],
                ports: [{ name: "http", containerPort: 8080 }],
                readinessProbe: { httpGet: { path: "/readyz", port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    });
    await cluster.apply([
      deployment("1"),
      { apiVersion: "v1", kind: "Service", metadata: { name: "roll" }, spec: { selector: labels, ports: [{ port: 80, targetPort: "http" }] } },
      { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "roll" }, spec: { ingressClassName: "kemu", rules: [{ host: "roll.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "roll", port: { number: 80 } } } }] } }] } },
    ]);
    await cluster.waitForPods({ labelSelector: "app=roll", count: 3, condition: "Ready" });
    await cluster.waitFor(async () => (await get("/hostname", "roll.example")).status === 200, { timeoutMs: 10_000, intervalMs: 100, what: () => "roll.example to be served" });
    const seconds = 14;
    const loading = cluster.execOnHost("outside", [process.execPath, "-e", pacedLoadScript(`http://${lbIP}/hostname`, 20, seconds, { Host: "roll.example" }, 3000)], { timeoutMs: (seconds + 15) * 1000 });
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.apply(deployment("2"));
    const r = await loading;
    const result = JSON.parse(r.stdout) as PacedLoadResult;
    expect(result.ok + result.failed).toBe(20 * seconds);
    expect(result.failed, JSON.stringify(result.errors)).toBe(0);
    const pods = await cluster.pods({ labelSelector: "app=roll" });
    expect(pods.filter((p) => !p.metadata.deletionTimestamp).every((p) => p.metadata.annotations?.version === "2")).toBe(true);
  });

  it("websockets: routed like HTTP from the outside host, and an open one survives a configuration change (ingress-nginx: no annotation needed)", async () => {
    await cluster.apply([
      ...websocketEcho("echo"),
      { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "echo" }, spec: { ingressClassName: "kemu", rules: [{ host: "ws.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "echo", port: { number: 80 } } } }] } }] } },
    ]);
    await cluster.waitFor(async () => (await get("/", "ws.example")).body === "ws only", { timeoutMs: 15_000, intervalMs: 100, what: () => "the echo server behind ws.example" });
    // The client sends, waits until told (a file appears), sends again over the same socket, then prints both echoes.
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "kemu-ing-ws-"));
    const go = join(dir, "go");
    const client = websocketClientScript(`ws://${lbIP}/chat`, "ws.example", go);
    try {
      const running = cluster.execOnHost("outside", [process.execPath, "-e", client], { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 1000));
      // A configuration change while the socket is open: a new Ingress rebuilds the route table.
      await cluster.apply({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "another" }, spec: { ingressClassName: "kemu", rules: [{ host: "another.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] } });
      await cluster.waitFor(async () => /^web-/.test((await get("/hostname", "another.example")).body), { timeoutMs: 10_000, intervalMs: 100, what: () => "the new Ingress to be served" });
      writeFileSync(go, "");
      const r = await running;
      expect(r.stdout.trim(), r.stderr).toBe('["before","after"]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  describe("the rest of the spec's tables, through curl", () => {
    /** Two apps that answer their pod's name on every path (agnhost serve-hostname), so any path shows which backend took it. */
    const anyPath = (name: string): KubeObject[] => [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name },
        spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["serve-hostname", "--port=8080"] }] } } },
      },
      { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
    ];
    const ingress = (name: string, spec: object): KubeObject => ({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name }, spec: { ingressClassName: "kemu", ...spec } });
    const to = (service: string) => ({ service: { name: service, port: { number: 80 } } });
    const who = async (path: string, host: string) => {
      const r = await get(path, host);
      return r.status === 200 ? r.body.replace(/-[a-z0-9]+-[a-z0-9]+$/, "") : String(r.status);
    };

    beforeAll(async () => {
      await cluster.apply([...anyPath("one"), ...anyPath("two")]);
      await cluster.apply([
        // K8S-DOC "Examples" (path types) and "Multiple matches" (longest path wins)
        ingress("paths", { rules: [{ host: "paths.example", http: { paths: [{ path: "/foo", pathType: "Prefix", backend: to("one") }, { path: "/exact", pathType: "Exact", backend: to("two") }, { path: "/aaa/bbb", pathType: "Prefix", backend: to("two") }, { path: "/aaa/bb", pathType: "Prefix", backend: to("one") }] } }] }),
        // a `*.` host takes exactly one more label (K8S-DOC "Hostname wildcards")
        ingress("wild", { rules: [{ host: "*.wild.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: to("two") }] } }] }),
        // defaultBackend with rules: its hosts' unmatched paths (ingress-nginx)
        ingress("fallback", { defaultBackend: to("one"), rules: [{ host: "fb.example", http: { paths: [{ path: "/api", pathType: "Prefix", backend: to("two") }] } }] }),
        // across objects: the oldest wins a duplicate host+path, the longest path wins across them
        ingress("older", { rules: [{ host: "cross.example", http: { paths: [{ path: "/x", pathType: "Prefix", backend: to("one") }] } }] }),
      ]);
      await new Promise((r) => setTimeout(r, 1100)); // a later creationTimestamp (seconds) for "newer"
      await cluster.apply(ingress("newer", { rules: [{ host: "cross.example", http: { paths: [{ path: "/x", pathType: "Prefix", backend: to("two") }, { path: "/x/y", pathType: "Prefix", backend: to("two") }] } }] }));
      await cluster.waitFor(async () => (await who("/x/y/z", "cross.example")) === "two" && (await who("/", "a.wild.example")) === "two", { timeoutMs: 30_000, intervalMs: 200, what: () => "the table Ingresses to be served" });
    }, 60_000);

    it("path types as the docs' table: Prefix element-wise with trailing slashes, Exact exactly, the longest prefix first", async () => {
      const cases: Array<[string, string]> = [
        ["/foo", "one"],
        ["/foo/", "one"],
        ["/foo/bar", "one"],
        ["/foobar", "404"],
        ["/exact", "two"],
        ["/exact/", "404"],
        ["/aaa/bbb", "two"],
        ["/aaa/bbb/ccc", "two"],
        ["/aaa/bb/c", "one"],
        ["/aaa/bbbxyz", "404"],
      ];
      for (const [path, want] of cases) expect(`${path} → ${await who(path, "paths.example")}`).toBe(`${path} → ${want}`);
    });

    it("a one-label wildcard host; defaultBackend for a host's unmatched paths; precedence across Ingress objects", async () => {
      expect(await who("/", "a.wild.example")).toBe("two");
      expect(await who("/", "b.a.wild.example")).toBe("404");
      expect(await who("/", "wild.example")).toBe("404");
      expect(await who("/api/v1", "fb.example")).toBe("two");
      expect(await who("/other", "fb.example")).toBe("one");
      expect(await who("/x", "cross.example")).toBe("one"); // the older Ingress keeps host+path
      expect(await who("/x/y/z", "cross.example")).toBe("two"); // the longest path, from the newer one
    });

    it("502 when every endpoint refuses the connection (after trying the others)", async () => {
      await cluster.apply([
        { apiVersion: "v1", kind: "Service", metadata: { name: "closed" }, spec: { selector: { app: "one" }, ports: [{ port: 80, targetPort: 9999 }] } },
        ingress("closed", { rules: [{ host: "closed.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: to("closed") }] } }] }),
      ]);
      await cluster.waitFor(async () => (await get("/", "closed.example")).status === 502, { timeoutMs: 15_000, intervalMs: 200, what: () => "502 from closed.example" });
    });
  });

  it("cookie affinity: when the cookie's pod is gone, the session moves to another pod with a new cookie", async () => {
    const first = await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "-D", "-", "-H", "Host: sticky.example", `http://${lbIP}/hostname`]);
    const cookie = /^set-cookie: (INGRESSCOOKIE=[^;]+)/im.exec(first.stdout)?.[1];
    expect(cookie, first.stdout).toBeDefined();
    const pod = (await get("/hostname", "sticky.example", ["-H", `Cookie: ${cookie}`])).body;
    await cluster.api.delete(resourceByKind("Pod")!, "default", pod, { gracePeriodSeconds: 0 });
    let moved = "";
    await cluster.waitFor(
      async () => {
        const r = await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "3", "-D", "-", "-H", "Host: sticky.example", "-H", `Cookie: ${cookie}`, `http://${lbIP}/hostname`]);
        moved = r.stdout;
        return /^HTTP\/1.1 200/.test(r.stdout) && !r.stdout.includes(pod) && /^set-cookie: INGRESSCOOKIE=/im.test(r.stdout);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: () => `the session to move off ${pod} with a new cookie: ${moved}` },
    );
  });
});

