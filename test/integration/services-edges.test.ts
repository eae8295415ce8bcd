// More of kube-proxy's behaviour (../shared/reference/kube-proxy.md §6): the
// edges — rejects on external addresses, source ranges, externalIPs,
// readiness, terminating endpoints, health checks, masquerade of outside sources.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Service } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST, netexecDeployment, pausePod } from "../support/workloads.js";

const SERVICES = resourceByKind("Service")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;
const PODS = resourceByKind("Pod")!;

describe.skipIf(!rootOnly())("Service edge cases in iptables mode", () => {
  const name = uniqueClusterName("edge");
  let cluster: Cluster;
  const svc = (n: string) => cluster.api.get<Service>(SERVICES, "default", n);
  const curl = (pod: string, url: string, maxTime = 3) => cluster.exec(pod, ["curl", "-sS", "--max-time", String(maxTime), url]);
  const outside = (argv: string[]) => cluster.execOnHost("outside", argv);
  const curlOutside = (url: string, maxTime = 3) => outside(["curl", "-sS", "--max-time", String(maxTime), url]);
  const eventually = (check: () => Promise<boolean>, what: string, timeoutMs = 8_000) => cluster.waitFor(check, { timeoutMs, what: () => what, intervalMs: 100 });

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 2, timeoutMs: 60_000, manifests: [netexecDeployment("web", 2), pausePod("client", "node-1")] });
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  // upstream test/e2e/network/service.go "should implement service.kubernetes.io/service-proxy-name" and
  // "should implement service.kubernetes.io/headless": a labelled Service gets no rules; the label's
  // removal brings them back, its addition takes them away.
  for (const label of ["service.kubernetes.io/service-proxy-name", "service.kubernetes.io/headless"]) {
    it(`leaves a Service labelled ${label} to someone else, and follows the label being added and removed`, async () => {
      const base = label.split("/")[1]!;
      await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: ${base}-off, labels: { "${label}": foo-bar } }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
      await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: ${base}-on }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
      const off = (await svc(`${base}-off`)).spec!.clusterIP!;
      const on = await svc(`${base}-on`);
      const onIP = on.spec!.clusterIP!;
      await eventually(async () => (await curl("client", `http://${onIP}/hostname`, 1)).exitCode === 0, "the unlabelled Service");
      // no rules: the ClusterIP is nobody's address, and the packet goes nowhere
      expect((await curl("client", `http://${off}/hostname`, 1)).exitCode).not.toBe(0);
      await cluster.api.update(SERVICES, { ...on, metadata: { ...on.metadata, labels: { [label]: "foo-bar" } } });
      await eventually(async () => (await curl("client", `http://${onIP}/hostname`, 1)).exitCode !== 0, "the rules to go with the label");
      const labelled = await svc(`${base}-on`);
      await cluster.api.update(SERVICES, { ...labelled, metadata: { ...labelled.metadata, labels: {} } });
      await eventually(async () => (await curl("client", `http://${onIP}/hostname`, 1)).exitCode === 0, "the rules to come back");
    });
  }

  it("§6.3 rejects at once on NodePort, externalIP and LoadBalancer IP when there are no endpoints", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: nothing }\nspec: { type: LoadBalancer, externalIPs: [172.18.100.9], selector: { app: none }, ports: [{ port: 80 }] }\n`);
    const s = await svc("nothing");
    const lb = s.status!.loadBalancer!.ingress![0]!.ip!;
    const np = s.spec!.ports![0]!.nodePort!;
    await outside(["ip", "route", "replace", "172.18.100.9/32", "via", "172.18.0.2"]);
    for (const url of [`http://172.18.0.2:${np}/`, `http://${lb}/`, "http://172.18.100.9/"]) {
      await eventually(async () => (await curlOutside(url, 2)).exitCode === 7, `REJECT for ${url}`, 15_000);
    }
  });

  it("§6.21 DNATs an externalIP:port on the node that receives it, and leaves other ports of that IP alone", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: ext }\nspec: { externalIPs: [172.18.100.10], selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    await outside(["ip", "route", "replace", "172.18.100.10/32", "via", "172.18.0.3"]);
    await eventually(async () => (await curlOutside("http://172.18.100.10/hostname", 2)).exitCode === 0, "the externalIP");
    // Not DNATed: the packet goes on to the address itself, which nobody has (a time-out, or
    // "no route to host" once the node's ARP for it has failed) — never kube-proxy's REJECT.
    const other = await curlOutside("http://172.18.100.10:81/", 1);
    expect(other.exitCode).not.toBe(0);
    expect(other.stderr).not.toMatch(/Connection refused/);
  });

  it("§6.20 loadBalancerSourceRanges: a source outside the ranges times out on the LB IP, but the NodePort is not filtered", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: ranged }\nspec: { type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8], selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const s = await svc("ranged");
    const lb = s.status!.loadBalancer!.ingress![0]!.ip!;
    const np = s.spec!.ports![0]!.nodePort!;
    await eventually(async () => (await curlOutside(`http://172.18.0.2:${np}/hostname`, 2)).exitCode === 0, "the NodePort");
    expect((await curlOutside(`http://${lb}/hostname`, 2)).exitCode).toBe(28);
    // Allow the outside host's address: now it gets through.
    await cluster.api.patch(SERVICES, "default", "ranged", { spec: { loadBalancerSourceRanges: ["172.18.0.1/32"] } });
    await eventually(async () => (await curlOutside(`http://${lb}/hostname`, 2)).exitCode === 0, "the allowed source");
  });

  it("§6.8 masquerades sources outside the cluster CIDR that reach a ClusterIP", async () => {
    await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`);
    const ip = (await svc("web")).spec!.clusterIP!;
    await outside(["ip", "route", "replace", "10.96.0.0/12", "via", "172.18.0.2"]);
    await eventually(async () => (await curlOutside(`http://${ip}/clientip`, 2)).exitCode === 0, "ClusterIP from outside via node-1");
    const peer = (await curlOutside(`http://${ip}/clientip`)).stdout.split(":")[0];
    expect(peer).not.toBe("172.18.0.1");
  });

  it("§6.23 ClusterIPs do not answer ping (pods do)", async () => {
    const ip = (await svc("web")).spec!.clusterIP!;
    const podIp = (await cluster.pods({ labelSelector: "app=web" }))[0]!.status!.podIP!;
    const r = await cluster.exec("client", ["bash", "-c", `ping -c3 -i0.2 -W2 ${podIp} >/dev/null && echo pod-ping-ok; exec 3<>/dev/tcp/${ip}/80 && echo tcp-ok; ping -c1 -W2 ${ip} >/dev/null 2>&1 && echo ping-ok || echo no-ping`]);
    expect(r.stdout).toBe("pod-ping-ok\ntcp-ok\nno-ping\n");
  });

  it("§6.18 an endpoint that is not ready gets no traffic; readiness brings it in", async () => {
    await cluster.apply([
      `apiVersion: v1
kind: Pod
metadata: { name: shy, labels: { app: gated } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: c
      image: ${AGNHOST}
      args: [netexec, --http-port=8080, --udp-port=-1]
      readinessProbe: { exec: { command: [cat, /tmp/ready] }, periodSeconds: 1 }
`,
      netexecDeployment("gated", 1, { labels: { app: "gated" } }),
      `apiVersion: v1\nkind: Service\nmetadata: { name: gated }\nspec: { selector: { app: gated }, ports: [{ port: 80, targetPort: 8080 }] }\n`,
    ]);
    const ip = (await svc("gated")).spec!.clusterIP!;
    await eventually(async () => (await curl("client", `http://${ip}/hostname`, 2)).exitCode === 0, "gated service");
    for (let i = 0; i < 15; i++) expect((await curl("client", `http://${ip}/hostname`)).stdout).not.toBe("shy");
    await cluster.exec("shy", ["touch", "/tmp/ready"]);
    await eventually(async () => (await curl("client", `http://${ip}/hostname`, 2)).stdout === "shy", "shy to get traffic once ready", 15_000);
  });

  it("§6.17 when every endpoint is terminating but still serving, traffic keeps flowing to them", async () => {
    await cluster.apply([
      netexecDeployment("drain", 1, {
        extraPodSpec: "",
      }).replace("terminationGracePeriodSeconds: 1", "terminationGracePeriodSeconds: 30").replace(
        "          ports:",
        "          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }\n          lifecycle: { preStop: { sleep: { seconds: 8 } } }\n          ports:",
      ),
      `apiVersion: v1\nkind: Service\nmetadata: { name: drain }\nspec: { selector: { app: drain }, ports: [{ port: 80, targetPort: 8080 }] }\n`,
    ]);
    const [pod] = await cluster.waitForPods({ labelSelector: "app=drain", count: 1 });
    const ip = (await svc("drain")).spec!.clusterIP!;
    await eventually(async () => (await curl("client", `http://${ip}/hostname`, 2)).exitCode === 0, "drain service");
    // Scale to zero: the only pod turns terminating (preStop keeps it serving for 8 s).
    await cluster.api.patch(DEPLOYMENTS, "default", "drain", { spec: { replicas: 0 } });
    await eventually(async () => Boolean((await cluster.api.tryGet(PODS, "default", pod!.metadata.name))?.metadata.deletionTimestamp), "terminating");
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await curl("client", `http://${ip}/hostname`)).stdout).toBe(pod!.metadata.name);
  });

  it("§6.25 healthCheckNodePort answers 200 with the local endpoint count where there are some, 503 where none", async () => {
    await cluster.apply([
      netexecDeployment("hc", 1, { nodeSelector: { "kubernetes.io/hostname": "node-2" } }),
      `apiVersion: v1\nkind: Service\nmetadata: { name: hc }\nspec: { type: LoadBalancer, externalTrafficPolicy: Local, selector: { app: hc }, ports: [{ port: 80, targetPort: 8080 }] }\n`,
    ]);
    await cluster.waitForPods({ labelSelector: "app=hc", count: 1 });
    const hcPort = (await svc("hc")).spec!.healthCheckNodePort!;
    expect(hcPort).toBeGreaterThanOrEqual(30000);
    const probe = (node: string) => outside(["curl", "-sS", "-i", "--max-time", "2", `http://${node}:${hcPort}/`]);
    await eventually(async () => (await probe("172.18.0.3")).stdout.startsWith("HTTP/1.1 200"), "200 on node-2");
    const ok = (await probe("172.18.0.3")).stdout;
    expect(ok).toMatch(/X-Load-Balancing-Endpoint-Weight: 1/i);
    expect(ok).toContain('"localEndpoints":1');
    await eventually(async () => (await probe("172.18.0.2")).stdout.startsWith("HTTP/1.1 503"), "503 on node-1");
    const none = (await probe("172.18.0.2")).stdout;
    expect(none).toMatch(/^HTTP\/1\.1 503/);
    expect(none).toContain('"localEndpoints":0');
  });

  it("§6.24 a flushed ruleset is rebuilt within syncPeriod (30 s)", async () => {
    const ip = (await svc("web")).spec!.clusterIP!;
    // Someone wipes kube-proxy's nat rules on node-1 (the canary chain goes with them).
    await cluster.execOnHost("node-1", ["sh", "-c", "iptables -t nat -F KUBE-SERVICES && iptables -t nat -F KUBE-PROXY-CANARY && iptables -t nat -X KUBE-PROXY-CANARY"]);
    expect((await curl("client", `http://${ip}/hostname`, 1)).exitCode).not.toBe(0);
    await cluster.waitFor(async () => (await curl("client", `http://${ip}/hostname`, 1)).exitCode === 0, { timeoutMs: 35_000, what: () => "the rules to be rebuilt", intervalMs: 500 });
  }, 45_000);

  it("§6.11 an established TCP connection keeps its backend while endpoints change", async () => {
    const ip = (await svc("web")).spec!.clusterIP!;
    // One keep-alive connection: ask who answers, scale up, ask again on the same connection.
    const script = `const http=require("http");const a=new http.Agent({keepAlive:true,maxSockets:1});const get=()=>new Promise((r,j)=>http.get({host:"${ip}",port:80,path:"/hostname",agent:a},(res)=>{let b="";res.on("data",(d)=>b+=d);res.on("end",()=>r(b))}).on("error",j));(async()=>{const first=await get();process.stdout.write(first+"\\n");await new Promise((r)=>setTimeout(r,4000));const seen=new Set();for(let i=0;i<10;i++)seen.add(await get());console.log([...seen].join(","));a.destroy()})();`;
    const running = cluster.exec("client", [process.execPath, "-e", script]);
    await new Promise((r) => setTimeout(r, 800));
    await cluster.api.patch(DEPLOYMENTS, "default", "web", { spec: { replicas: 4 } });
    const [first, later] = (await running).stdout.trim().split("\n");
    expect(later).toBe(first);
  });
});
