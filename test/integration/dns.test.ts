// Cluster DNS end to end: dig and curl inside pods against the coredns pod
// behind kube-dns (10.96.0.10), as ../shared/reference/dns.md describes.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Pod, Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST, netexecDeployment, pausePod } from "../support/workloads.js";

const SERVICES = resourceByKind("Service")!;
const PODS = resourceByKind("Pod")!;

describe.skipIf(!rootOnly())("cluster DNS", () => {
  const name = uniqueClusterName("dns");
  let cluster: Cluster;
  /** `dig` as the e2e tests run it: +search, answer section only, over UDP or TCP. */
  const dig = async (pod: string, args: string[], namespace = "default") =>
    (await cluster.exec(pod, ["dig", "+time=2", "+tries=3", ...args], { namespace })).stdout;
  const short = (pod: string, q: string, type = "A", ns = "default") => dig(pod, ["+short", "+search", q, type], ns).then((s) => s.trim());
  const status = async (pod: string, q: string, type = "A") => /status: (\w+)/.exec(await dig(pod, [q, type]))?.[1];
  const svcIP = async (n: string, ns = "default") => (await cluster.api.get<Service>(SERVICES, ns, n)).spec!.clusterIP!;

  beforeAll(async () => {
    cluster = await Cluster.start({
      ingress: false,
      name,
      nodes: 2,
      testUpstreamDns: true,
      timeoutMs: 60_000,
      manifests: [
        netexecDeployment("web", 2),
        pausePod("client", "node-1"),
        `apiVersion: v1\nkind: Namespace\nmetadata: { name: other }\n`,
        `apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: 8080 }, { name: dns, port: 53, targetPort: 8081, protocol: UDP }] }\n`,
        `apiVersion: v1\nkind: Service\nmetadata: { name: web-headless }\nspec: { clusterIP: None, selector: { app: web }, ports: [{ name: http, port: 8080 }] }\n`,
        `apiVersion: v1\nkind: Service\nmetadata: { name: ext }\nspec: { type: ExternalName, externalName: foo.example.com }\n`,
        `apiVersion: v1
kind: Service
metadata: { name: nginx }
spec: { clusterIP: None, selector: { app: nginx }, ports: [{ name: web, port: 8080 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  serviceName: nginx
  replicas: 2
  selector: { matchLabels: { app: nginx } }
  template:
    metadata: { labels: { app: nginx } }
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{ name: netexec, image: "${AGNHOST}", args: [netexec, --http-port=8080, --udp-port=8081], ports: [{ name: web, containerPort: 8080 }] }]
`,
        `apiVersion: v1
kind: Pod
metadata: { name: other-client, namespace: other }
spec:
  terminationGracePeriodSeconds: 0
  containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`,
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("§8 resolves kubernetes.default over UDP and TCP the way the e2e tests ask", async () => {
    // The client pod's first queries may race the last route and rule updates of a just-started cluster.
    await cluster.waitFor(async () => (await short("client", "kubernetes.default")) === "10.96.0.1", { timeoutMs: 20_000, what: () => "DNS from the client pod", intervalMs: 200 });
    for (const proto of ["+notcp", "+tcp"]) {
      for (const q of ["kubernetes.default.svc.cluster.local", "kubernetes.default", "kubernetes.default.svc"]) {
        expect((await dig("client", [proto, "+noall", "+answer", "+search", q, "A"])).trim()).toMatch(/\sIN\s+A\s+10\.96\.0\.1$/);
      }
    }
    const r = await cluster.exec("client", ["nslookup", "kubernetes.default"]);
    expect(r.stdout).toContain("Address: 10.96.0.1");
  });

  it("§2 ClusterIP A by short, namespace-qualified and full names; curl http://web works", async () => {
    const ip = await svcIP("web");
    expect(await short("client", "web")).toBe(ip);
    expect(await short("client", "web.default")).toBe(ip);
    expect(await short("client", "web.default.svc.cluster.local")).toBe(ip);
    expect(await short("other-client", "web.default", "A", "other")).toBe(ip);
    expect(await short("other-client", "web", "A", "other")).toBe("");
    const pods = (await cluster.pods({ labelSelector: "app=web" })).map((p) => p.metadata.name);
    expect(pods).toContain((await cluster.exec("client", ["curl", "-s", "--max-time", "3", "http://web/hostname"])).stdout);
    expect(pods).toContain((await cluster.exec("other-client", ["curl", "-s", "--max-time", "3", "http://web.default/hostname"], { namespace: "other" })).stdout);
  });

  it("§2 SRV for named ports and PTR for the ClusterIP", async () => {
    expect(await short("client", "_http._tcp.web.default.svc.cluster.local", "SRV")).toBe("0 100 80 web.default.svc.cluster.local.");
    expect(await short("client", "_dns._udp.web.default.svc.cluster.local", "SRV")).toBe("0 100 53 web.default.svc.cluster.local.");
    expect(await status("client", "_http._udp.web.default.svc.cluster.local", "SRV")).toBe("NXDOMAIN");
    const ip = await svcIP("web");
    expect((await dig("client", ["+short", "-x", ip])).trim()).toBe("web.default.svc.cluster.local.");
  });

  it("§2 headless Services answer with ready endpoints; StatefulSet pods get hostname.subdomain names", async () => {
    const webIps = (await cluster.pods({ labelSelector: "app=web" })).map((p) => p.status!.podIP!).sort();
    expect((await short("client", "web-headless")).split("\n").sort()).toEqual(webIps);
    const sts = await cluster.waitForPods({ labelSelector: "app=nginx", count: 2 });
    expect(sts.map((p) => p.metadata.name).sort()).toEqual(["web-0", "web-1"]);
    const web0 = sts.find((p) => p.metadata.name === "web-0")!;
    expect(await short("client", "web-0.nginx.default.svc.cluster.local")).toBe(web0.status!.podIP);
    expect(await short("client", "web-0.nginx")).toBe(web0.status!.podIP);
    const srv = (await short("client", "_web._tcp.nginx.default.svc.cluster.local", "SRV")).split("\n").sort();
    expect(srv).toEqual(["0 50 8080 web-0.nginx.default.svc.cluster.local.", "0 50 8080 web-1.nginx.default.svc.cluster.local."]);
    expect((await dig("client", ["+short", "-x", web0.status!.podIP!])).trim()).toBe("web-0.nginx.default.svc.cluster.local.");
    expect((await cluster.exec("web-0", ["hostname"])).stdout.trim()).toBe("web-0");
    expect((await cluster.exec("web-0", ["cat", "/etc/hosts"])).stdout).toContain(`${web0.status!.podIP}\tweb-0.nginx.default.svc.cluster.local\tweb-0\n`);
  });

  it("§2 ExternalName is a CNAME, chased through the upstream", async () => {
    expect(await short("client", "ext.default.svc.cluster.local", "CNAME")).toBe("foo.example.com.");
    expect(await short("client", "ext.default.svc.cluster.local", "A")).toBe("foo.example.com.\n192.0.2.123");
  });

  it("§4 NXDOMAIN for unknown names, NODATA (NOERROR, SOA) for other types of existing names", async () => {
    expect(await status("client", "nope.default.svc.cluster.local")).toBe("NXDOMAIN");
    expect(await status("client", "web.nope.svc.cluster.local")).toBe("NXDOMAIN");
    const aaaa = await dig("client", ["web.default.svc.cluster.local", "AAAA"]);
    expect(aaaa).toMatch(/status: NOERROR/);
    expect(aaaa).toMatch(/ANSWER: 0,/);
    expect(aaaa).toMatch(/cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30/);
    expect(await status("client", "default.svc.cluster.local")).toBe("NOERROR");
    expect(await short("client", "dns-version.cluster.local", "TXT")).toBe('"1.1.0"');
    expect(await short("client", "10-244-1-99.default.pod.cluster.local")).toBe("10.244.1.99");
  });

  it("§7 forwards names outside the zone to the upstream; ndots:5 search still finds them", async () => {
    expect(await short("client", "www.example.test")).toBe("192.0.2.10");
    expect(await status("client", "nope.example.test")).toBe("NXDOMAIN");
    expect((await dig("client", ["+short", "-x", "192.0.2.123"])).trim()).toBe("my.test.");
  });

  it("§7 dnsPolicy None with dnsConfig writes exactly that resolv.conf", async () => {
    await cluster.apply(`apiVersion: v1
kind: Pod
metadata: { name: custom }
spec:
  dnsPolicy: None
  dnsConfig: { nameservers: [10.96.0.10], searches: [default.svc.cluster.local, resolv.conf.local], options: [{ name: ndots, value: "2" }] }
  containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`);
    await cluster.waitFor(async () => (await cluster.pod("custom")).status?.phase === "Running", { timeoutMs: 10_000, what: () => "custom" });
    expect((await cluster.exec("custom", ["cat", "/etc/resolv.conf"])).stdout).toBe("search default.svc.cluster.local resolv.conf.local\nnameserver 10.96.0.10\noptions ndots:2\n");
    expect(await short("custom", "web")).toBe(await svcIP("web"));
  });

  it("§8 search-list robustness: long extra search paths, '.' and '_sip._tcp' entries", async () => {
    const long = Array.from({ length: 6 }, (_, i) => `${"a".repeat(40)}${i}.example.test`);
    await cluster.apply([
      `apiVersion: v1
kind: Pod
metadata: { name: long-search }
spec:
  terminationGracePeriodSeconds: 0
  dnsConfig: { searches: [${long.join(", ")}] }
  containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`,
      `apiVersion: v1
kind: Pod
metadata: { name: odd-search }
spec:
  terminationGracePeriodSeconds: 0
  dnsConfig: { searches: [".", "_sip._tcp.abc_d.example.com"] }
  containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`,
    ]);
    for (const pod of ["long-search", "odd-search"]) {
      await cluster.waitFor(async () => (await cluster.pod(pod)).status?.phase === "Running", { timeoutMs: 10_000, what: () => pod });
      for (const q of ["kubernetes.default", "kubernetes.default.svc"]) expect(await short(pod, q)).toBe("10.96.0.1");
    }
    expect((await cluster.exec("long-search", ["cat", "/etc/resolv.conf"])).stdout).toContain(long[5]!);
  });

  it("updates records within a second of a Service change", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: late }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const t0 = Date.now();
    const ip = await svcIP("late");
    await cluster.waitFor(async () => (await short("client", "late")) === ip, { timeoutMs: 5_000, what: () => "late.default to resolve", intervalMs: 50 });
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it("comes back when the DNS pod dies", async () => {
    const [dnsPod] = (await cluster.pods({ namespace: "kube-system", labelSelector: "k8s-app=kube-dns" })) as Pod[];
    await cluster.api.delete(PODS, "kube-system", dnsPod!.metadata.name!, { gracePeriodSeconds: 0 });
    await cluster.waitFor(async () => (await short("client", "web")) === (await svcIP("web")), { timeoutMs: 20_000, what: () => "DNS to answer again", intervalMs: 200 });
  });
});
