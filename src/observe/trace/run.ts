// `kemu trace`: resolve the target as the pod's resolver would, send one real
// connection attempt from the pod (or the outside host) while the kernel
// traces it in every host namespace, then assemble the hops and name every
// rule's object. The thin shell around target.ts and assemble.ts.
import { existsSync, readFileSync } from "node:fs";
import type { ApiClient } from "../../api/client.js";
import { resourceByKind } from "../../api/resources.js";
import type { KubeObject, Pod } from "../../api/types.js";
import { DEFAULTS } from "../../daemon/config.js";
import { KemuError } from "../../errors.js";
import { run, runCaptured } from "../../linux/exec.js";
import { netnsNames, netnsPath } from "../../linux/names.js";
import { parseIP } from "../../net/ip.js";
import { builtinPath } from "../../paths.js";
import { netnsOfPod } from "../../probe/execute.js";
import { readSnapshot, type ClusterSnapshot } from "../snapshot.js";
import { assembleTrace, type HostCapture } from "./assemble.js";
import { nftCommentsByHandle, nftRulesByHandle } from "./attribute.js";
import type { DnsQuery, TraceProtocol, TraceRequest, TraceResult, TraceResultKind } from "./model.js";
import { TraceSession, type TraceNamespace } from "./session.js";
import { chooseIngressRoute, ingressAddressFor } from "./router.js";
import { parseDigAnswer, parseResolvConf, parseTarget, searchCandidates, serviceOfName, servicePortOf } from "./target.js";
import { parseXtablesTrace } from "./xtables-monitor.js";

/** What a trace needs of a cluster (a Cluster has it). */
export interface TraceHost {
  readonly name: string;
  readonly api: ApiClient;
  readonly paths: { readonly config: string };
  hostArgv(host: string, argv: string[]): string[];
  execArgv(podName: string, argv: string[], options?: { namespace?: string }): Promise<string[]>;
}

const POLICY_TABLE = ["inet", "kemu-policy"] as const;
const ROUTER_NAMESPACE = "kemu-system";
const ROUTER_LABEL = ["app.kubernetes.io/name", "ingress-router"] as const;

type IngressObjects = Parameters<typeof chooseIngressRoute>;

async function readIngresses(api: ApiClient): Promise<{ ingresses: IngressObjects[0]; classes: IngressObjects[1] }> {
  const [ingresses, classes] = await Promise.all([api.list<KubeObject>(resourceByKind("Ingress")!), api.list<KubeObject>(resourceByKind("IngressClass")!)]);
  return { ingresses: ingresses.items as unknown as IngressObjects[0], classes: classes.items as unknown as IngressObjects[1] };
}

interface Client {
  /** `ns/name` or `outside` */
  label: string;
  host: string;
  ip: string;
  netns: string;
  pod?: Pod;
  /** argv that runs a command as the client */
  argv: (argv: string[]) => Promise<string[]>;
}

function clusterDomain(configPath: string): string {
  try {
    return (JSON.parse(readFileSync(configPath, "utf8")) as { clusterDomain?: string }).clusterDomain ?? DEFAULTS.clusterDomain;
  } catch {
    return DEFAULTS.clusterDomain;
  }
}

function findClient(cluster: TraceHost, snap: ClusterSnapshot, from: string, namespace: string): Client {
  if (from === "outside") {
    const netns = netnsPath(netnsNames.outside(cluster.name));
    return { label: "outside", host: "outside", ip: snap.outsideIP, netns, argv: async (argv) => cluster.hostArgv("outside", argv) };
  }
  const [ns, name] = from.includes("/") ? from.split("/", 2) : [namespace, from];
  const pod = snap.pods.find((p) => p.metadata.name === name && (p.metadata.namespace ?? "default") === ns);
  if (!pod) throw new KemuError(`FROM: no pod ${ns}/${name} (give a pod's name, NAMESPACE/NAME, or "outside")`);
  if (pod.status?.phase !== "Running" || !pod.spec.nodeName) throw new KemuError(`FROM: pod ${ns}/${name} is ${pod.status?.phase ?? "Pending"}, not Running: nothing to send from`);
  const netns = netnsOfPod(cluster.name, pod);
  const ip = pod.spec.hostNetwork ? snap.book.hostAddress(pod.spec.nodeName) : pod.status?.podIP;
  if (!netns || !ip) throw new KemuError(`FROM: pod ${ns}/${name} has no network namespace or address yet`);
  return { label: `${ns}/${name}`, host: pod.spec.nodeName, ip, netns, pod, argv: (argv) => cluster.execArgv(name!, argv, { namespace: ns }) };
}

async function runArgv(argv: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCaptured(argv, { timeoutMs }).catch((e: Error) => ({ exitCode: -1, stdout: "", stderr: e.message }));
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** The pod's resolver, name by name, until one answers with addresses. */
async function resolveInPod(client: Client, host: string): Promise<{ queries: DnsQuery[]; ip?: string }> {
  const conf = await runArgv(await client.argv(["cat", "/etc/resolv.conf"]), 5_000);
  const config = parseResolvConf(conf.stdout);
  const server = config.nameservers[0];
  if (!server) throw new KemuError(`FROM: ${client.label} has no nameserver in its /etc/resolv.conf`);
  const queries: DnsQuery[] = [];
  for (const name of searchCandidates(host, config)) {
    const r = await runArgv(await client.argv(["dig", "+tries=1", "+time=2", "+nocmd", "+noall", "+comments", "+answer", `@${server}`, name, "A"]), 6_000);
    const answer = parseDigAnswer(r.stdout);
    queries.push({ name, type: "A", server, rcode: answer?.rcode ?? "TIMEOUT", answers: answer?.answers ?? [] });
    if (answer?.rcode === "NOERROR" && answer.answers.length > 0) return { queries, ip: answer.answers[0] };
    if (answer && answer.rcode !== "NOERROR" && answer.rcode !== "NXDOMAIN") break;
  }
  return { queries };
}

interface Attempt {
  result: TraceResultKind;
  sourcePort?: number;
  httpStatus?: number;
  detail?: string;
}

async function attemptUrl(client: Client, url: string, host: string, port: number, ip: string, timeoutMs: number): Promise<Attempt> {
  const resolve = parseIP(host, "strict") ? [] : ["--resolve", `${host}:${port}:${ip}`];
  const argv = await client.argv(["curl", "-sS", "-o", "/dev/null", "-m", (timeoutMs / 1000).toFixed(1), "-w", "%{local_port} %{http_code}\\n", ...resolve, url]);
  const r = await runArgv(argv, timeoutMs + 5_000);
  const m = /^(\d+) (\d+)/.exec(r.stdout.trim());
  const sourcePort = m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
  const status = m ? Number(m[2]) : 0;
  const base = { ...(sourcePort ? { sourcePort } : {}) };
  if (r.code === 0) return { ...base, result: "connected", httpStatus: status };
  if (r.code === 7) return { ...base, result: /refused/i.test(r.stderr) ? "refused" : /route|unreachable/i.test(r.stderr) ? "unreachable" : "refused", detail: r.stderr.trim() };
  if (r.code === 28) return { ...base, result: status > 0 ? "connected" : "timed out", detail: r.stderr.trim(), ...(status > 0 ? { httpStatus: status } : {}) };
  if (r.code === 52 || r.code === 56) return { ...base, result: "connected", detail: r.stderr.trim() };
  return { ...base, result: "error", detail: r.stderr.trim() || `curl exited with ${r.code}` };
}

async function attemptSocket(client: Client, protocol: TraceProtocol, ip: string, port: number, timeoutMs: number): Promise<Attempt> {
  const binary = builtinPath("kemu-probe");
  if (!existsSync(binary)) throw new KemuError(`kemu's prober is not built (${binary} is missing): run npm run build`);
  const r = await runArgv([binary, "--netns", client.netns, "--print-local-port", "--timeout-ms", String(timeoutMs), "--", `${protocol}:${ip}:${port}`], timeoutMs + 5_000);
  const local = /^local \S+ \S+ \d+ (\d+)$/m.exec(r.stdout);
  const verdict = /^(?:tcp|udp) \S+ \d+ (ok|blocked (\S+).*)$/m.exec(r.stdout);
  const base = { ...(local ? { sourcePort: Number(local[1]) } : {}) };
  if (!verdict) return { ...base, result: "error", detail: r.stderr.trim() || r.stdout.trim() };
  if (verdict[1] === "ok") return { ...base, result: protocol === "udp" ? "answered" : "connected" };
  const why = verdict[2];
  return { ...base, result: why === "refused" ? "refused" : why === "unreachable" ? "unreachable" : why === "timeout" ? "timed out" : "error", detail: verdict[1] };
}

function serviceName(s: { metadata: { namespace?: string; name?: string } }): string {
  return `${s.metadata.namespace ?? "default"}/${s.metadata.name ?? ""}`;
}

export async function runTrace(cluster: TraceHost, request: TraceRequest): Promise<TraceResult> {
  const started = Date.now();
  const namespace = request.namespace ?? "default";
  const timeoutMs = request.timeoutMs ?? 3_000;
  const snap = await readSnapshot(cluster);
  const client = findClient(cluster, snap, request.from, namespace);
  const target = parseTarget(request.target);
  const domain = clusterDomain(cluster.paths.config);
  const svc = parseIP(target.host, "strict") ? undefined : serviceOfName(target.host, namespace, domain, snap.services);

  let port: number;
  let protocol: TraceProtocol = request.protocol ?? "tcp";
  if (typeof target.port === "number") port = target.port;
  else if (svc) {
    const sp = servicePortOf(svc, target.port);
    port = sp.port;
    if (!request.protocol) protocol = sp.protocol;
  } else throw new KemuError(`TARGET ${JSON.stringify(request.target)}: ${target.port === undefined ? "give a port" : `port ${JSON.stringify(target.port)} is a name, and ${target.host} is not a Service in namespace ${namespace}`}`);
  if (target.url && protocol !== "tcp") throw new KemuError(`--protocol ${protocol}: a URL is fetched over TCP`);

  // Where the client connects to.
  let ip: string | undefined = parseIP(target.host, "strict") ? target.host : undefined;
  let dns: DnsQuery[] | undefined;
  const ingress = target.url ? await readIngresses(cluster.api) : undefined;
  if (!ip && client.host === "outside" && !svc && ingress) {
    // A host an Ingress serves: where the user's DNS (or curl --resolve) would send it.
    ip = ingressAddressFor(ingress.ingresses, ingress.classes, target.host);
    if (!ip) throw new KemuError(`TARGET: no Service is named ${target.host} and no served Ingress with an address has that host`);
  }
  if (!ip && client.host === "outside") {
    // The outside host has no cluster DNS: a Service name means its load balancer address.
    const lb = svc?.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip;
    if (!svc) throw new KemuError(`TARGET: the outside host cannot resolve ${target.host} (it has no cluster DNS): give an address, or the name of a LoadBalancer Service`);
    if (!lb) throw new KemuError(`TARGET: Service ${serviceName(svc)} has no load balancer IP: from outside, trace NODE_IP:NODEPORT instead`);
    ip = lb;
  } else if (!ip) {
    const resolved = await resolveInPod(client, target.host);
    dns = resolved.queries;
    ip = resolved.ip;
    if (!ip) {
      return { from: client.label, target: request.target, protocol, dns, destination: { ip: "", port }, sourcePort: 0, hops: [], result: "dns failed", detail: `no name in the search path answered with an address`, elapsedMs: Date.now() - started };
    }
  }

  const hosts = [...snap.nodes.map((n) => n.metadata.name ?? ""), "outside"].filter((h) => h !== "");
  const namespaces: TraceNamespace[] = [];
  for (const host of hosts) {
    try {
      cluster.hostArgv(host, []);
      namespaces.push({ host, enter: (argv) => cluster.hostArgv(host, argv) });
    } catch {
      /* a host without a namespace (a node being torn down) is not traced */
    }
  }
  // Through the router, its own connection to the backend is traced too.
  const routers = target.url ? snap.pods.filter((p) => p.metadata.namespace === ROUTER_NAMESPACE && p.metadata.labels?.[ROUTER_LABEL[0]] === ROUTER_LABEL[1] && p.status?.podIP) : [];
  const peers = [client.ip, snap.outsideIP, ...snap.book.hostAddresses(), ...routers.map((r) => r.status!.podIP!)];
  const session = await TraceSession.start(namespaces, peers);
  let attempt: Attempt;
  let captured: Map<string, string>;
  try {
    attempt = target.url ? await attemptUrl(client, target.url, target.host, port, ip, timeoutMs) : await attemptSocket(client, protocol, ip, port, timeoutMs);
  } finally {
    captured = await session.stop(250);
  }

  const captures: HostCapture[] = await Promise.all(
    namespaces.map(async (ns) => {
      const argv = ns.enter(["nft", "-a", "list", "table", ...POLICY_TABLE]);
      const listing = await run(argv[0]!, argv.slice(1), { okCodes: [1] }).catch(() => "");
      return { host: ns.host, packets: parseXtablesTrace(captured.get(ns.host) ?? ""), policyRules: nftRulesByHandle(listing), policyComments: nftCommentsByHandle(listing) };
    }),
  );
  const sourcePort = attempt.sourcePort ?? 0;
  const assembled = assembleTrace({ clientHost: client.host, clientIP: client.ip, sourcePort, protocol, destination: { ip, port }, hosts: captures, book: snap.book, traceTablePrefix: "kemu-trace-" });

  // The HTTP hop: the route the router's own matcher picks, and its connection on to the endpoint.
  let router: TraceResult["router"];
  const routerPod = assembled.endpoint ? routers.find((r) => r.status?.podIP === assembled.endpoint!.ip) : undefined;
  if (routerPod && target.url && ingress) {
    const choice = chooseIngressRoute(ingress.ingresses, ingress.classes, target.host, target.path ?? "/");
    router = { router: `${routerPod.metadata.namespace}/${routerPod.metadata.name}`, host: target.host, path: target.path ?? "/", ...(choice.route ? { route: choice.route } : {}) };
    if (choice.backend) router.backend = `Service ${choice.backend.namespace}/${choice.backend.name} port ${choice.backend.port}`;
    const routerIP = routerPod.status!.podIP!;
    const routerHost = captures.find((c) => c.host === routerPod.spec.nodeName);
    const upstream = routerHost?.packets.find((t) => {
      const p = t.passes[0]!.packet;
      return p.src === routerIP && p.protocol === "tcp" && snap.book.lookup(p.dst)?.kind === "pod" && p.dport !== undefined;
    });
    if (upstream && routerHost) {
      const p = upstream.passes[0]!.packet;
      const leg = assembleTrace({ clientHost: routerHost.host, clientIP: routerIP, sourcePort: p.sport!, protocol: "tcp", destination: { ip: p.dst, port: p.dport! }, hosts: captures, book: snap.book, traceTablePrefix: "kemu-trace-" });
      router.hops = leg.hops;
      router.reusedConnection = !/\bSYN\b/.test(p.flags ?? "") || /ACK/.test(p.flags ?? "");
      if (leg.endpoint) router.endpoint = snap.book.describe(leg.endpoint.ip, leg.endpoint.port);
    }
  }

  // Userspace mode: the connection ended at kube-proxy on the client's node, which opened its own to an endpoint.
  let proxy: TraceResult["proxy"];
  const lastHop = assembled.hops.filter((h) => h.direction === "request").pop();
  if (lastHop?.outcome === "local" && lastHop.rules.some((r) => /^KUBE-PORTALS-/.test(r.chain)) && assembled.endpoint) {
    const proxyHost = captures.find((c) => c.host === lastHop.host)!;
    const request = proxyHost.packets.find((t) => t.passes[0]!.packet.sport === sourcePort && t.passes[0]!.packet.src === (lastHop.host === client.host ? client.ip : lastHop.packet.src));
    const own = proxyHost.packets.find((t) => {
      const p = t.passes[0]!.packet;
      return t.seq > (request?.seq ?? -1) && p.iif === undefined && p.protocol === protocol && (protocol !== "tcp" || p.flags === "SYN") && p.dst !== client.ip && snap.book.lookup(p.src)?.kind === "node" && snap.book.lookup(p.dst)?.kind === "pod" && p.dport !== undefined;
    });
    if (own) {
      const p = own.passes[0]!.packet;
      const leg = assembleTrace({ clientHost: proxyHost.host, clientIP: p.src, sourcePort: p.sport!, protocol, destination: { ip: p.dst, port: p.dport! }, hosts: captures, book: snap.book, traceTablePrefix: "kemu-trace-" });
      proxy = { by: `kube-proxy (userspace) on ${proxyHost.host}`, hops: leg.hops, ...(leg.endpoint ? { endpoint: snap.book.describe(leg.endpoint.ip, leg.endpoint.port) } : {}) };
    }
  }

  // The route each forwarding host chose, as `ip route get` tells it.
  await Promise.all(
    [...assembled.hops, ...(router?.hops ?? []), ...(proxy?.hops ?? [])].map(async (hop) => {
      if (hop.direction !== "request" || (hop.outcome !== "forwarded" && hop.outcome !== "sent")) return;
      const dst = hop.leaving?.dst ?? hop.packet.dst;
      const ns = namespaces.find((n) => n.host === hop.host);
      if (!ns || !parseIP(dst, "strict")) return;
      const argv = ns.enter(["ip", "-o", "route", "get", dst]);
      const out = await run(argv[0]!, argv.slice(1)).catch(() => "");
      const line = out.split("\n")[0]?.replace(/\\\s*/g, "").replace(/\s+uid \d+.*$/, "").replace(/\s+cache.*$/, "").trim();
      if (line) hop.route = line;
    }),
  );

  const result: TraceResult = {
    from: client.label,
    target: request.target,
    protocol,
    ...(dns ? { dns } : {}),
    destination: { ip, port, ...(snap.book.lookup(ip) ? { name: snap.book.describe(ip) } : {}) },
    sourcePort,
    hops: assembled.hops,
    result: attempt.result,
    ...(router ? { router } : {}),
    ...(proxy ? { proxy } : {}),
    ...(assembled.endpoint && (attempt.result === "connected" || attempt.result === "answered") ? { endpoint: router?.endpoint ?? proxy?.endpoint ?? snap.book.describe(assembled.endpoint.ip, assembled.endpoint.port) } : {}),
    ...(assembled.droppedBy ? { droppedBy: assembled.droppedBy } : {}),
    ...(attempt.httpStatus ? { httpStatus: attempt.httpStatus } : {}),
    ...(attempt.detail ? { detail: attempt.detail } : {}),
    elapsedMs: Date.now() - started,
  };
  return result;
}
