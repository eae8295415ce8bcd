// kube-proxy's old userspace mode (upstream: pkg/proxy/userspace/proxier.go,
// removed in 1.26), as a module the node agent drives: it keeps one proxy
// socket per service port (update()) and renders the nat rules that steer
// the service's addresses to those sockets (portalRules(), jump rules); the
// agent loads the rules with iptables-restore and runs the sync loop.
//
// What follows upstream:
// - every TCP/UDP service port with a ClusterIP gets a socket on a random
//   port, listening on listenHost (0.0.0.0 by default); SCTP has none (upstream
//   refused it: "unknown protocol");
// - a service port with no endpoints keeps its socket and its rules: a TCP
//   connection is accepted, then closed at once (tryConnect fails with "missing
//   endpoints" and the accepted connection is closed); UDP datagrams are dropped;
// - removing a service port closes its listener but not its established TCP
//   connections; closing a UDP socket ends its flows;
// - expired ClientIP affinity entries are swept on every update and every 30 s
//   (upstream: on every sync; syncPeriod defaults to 30 s);
// - internal/externalTrafficPolicy are ignored (upstream's userspace mode
//   predates them): every ready endpoint, local or not, gets traffic.
//
// Where kemu differs (see the comments at each place):
// - DNAT to cni0's address instead of REDIRECT from PREROUTING (dnatTargets);
// - UDP sockets bind the DNAT targets rather than 0.0.0.0 (listenHosts);
// - externalIP rules lack `-m physdev ! --physdev-is-in` (nothing is bridged);
// - no filter-table KUBE-NODEPORT-NON-LOCAL chain (kemu's nodes accept
//   INPUT by default), and NodePorts / local externalIP ports are not held
//   open by placeholder sockets (kemu's nodes run nothing else that could
//   take them);
// - a socket is only replaced when the service port's protocol or port
//   changes (upstream also replaced it, with a new proxy port, on any change
//   of ClusterIP, NodePort, externalIPs, LB IPs or affinity): the rules are
//   re-rendered from scratch anyway;
// - TCP half-close is relayed (upstream's last version closed both sockets
//   at the first EOF; earlier ones did CloseWrite/CloseRead as here).
import { categorizeEndpoints, servicePortKey, type EndpointInfo, type ServicePortInfo } from "../model.js";
import { RoundRobinBalancer } from "./loadbalancer.js";
import { openProxySocket, type ProxySocket } from "./proxysocket.js";

export const CONTAINER_PORTAL_CHAIN = "KUBE-PORTALS-CONTAINER";
export const HOST_PORTAL_CHAIN = "KUBE-PORTALS-HOST";
export const CONTAINER_NODEPORT_CHAIN = "KUBE-NODEPORT-CONTAINER";
export const HOST_NODEPORT_CHAIN = "KUBE-NODEPORT-HOST";
/** The nat chains portalRules() declares (and so flushes) and fills, in order. */
export const USERSPACE_NAT_CHAINS = [CONTAINER_PORTAL_CHAIN, HOST_PORTAL_CHAIN, CONTAINER_NODEPORT_CHAIN, HOST_NODEPORT_CHAIN] as const;

/** How often expired affinity entries are swept between updates (upstream: syncPeriod). */
export const STICKY_SWEEP_INTERVAL_MS = 30_000;

const PORTALS_COMMENT = "handle ClusterIPs; NOTE: this must be before the NodePort rules";
const NODEPORTS_COMMENT = "handle service NodePorts; NOTE: this must be the last rule in the chain";

/**
 * The jumps from the built-in nat chains into ours, as iptables argv (without
 * the `iptables` itself): the portal chains first in PREROUTING and OUTPUT
 * (-I), the NodePort chains last (-A) and only for local destinations, as
 * upstream's iptablesInit. Check with -C before adding, and add them only
 * after portalRules() has been loaded: a jump to a missing chain fails.
 */
export function portalJumpRules(): string[][] {
  const portals = ["-m", "comment", "--comment", PORTALS_COMMENT];
  const nodePorts = ["-m", "addrtype", "--dst-type", "LOCAL", "-m", "comment", "--comment", NODEPORTS_COMMENT];
  return [
    ["-t", "nat", "-I", "PREROUTING", ...portals, "-j", CONTAINER_PORTAL_CHAIN],
    ["-t", "nat", "-I", "OUTPUT", ...portals, "-j", HOST_PORTAL_CHAIN],
    ["-t", "nat", "-A", "PREROUTING", ...nodePorts, "-j", CONTAINER_NODEPORT_CHAIN],
    ["-t", "nat", "-A", "OUTPUT", ...nodePorts, "-j", HOST_NODEPORT_CHAIN],
  ];
}

export interface PortalAddresses {
  nodeIP: string;
  gatewayIP: string;
  /** the proxy sockets' listen address; "0.0.0.0" (default) = all */
  listenHost?: string;
}

export interface PortalTarget {
  port: ServicePortInfo;
  /** the port of the service port's proxy socket */
  proxyPort: number;
}

function isWildcard(host: string | undefined): boolean {
  return !host || host === "0.0.0.0" || host === "::";
}

/**
 * Where traffic is DNATed to. From PREROUTING ("containers", but also
 * anything arriving from eth0), with the proxy listening on all addresses:
 * the node's cni0 address. Upstream used `-j REDIRECT --to-ports <proxyPort>`
 * here, which rewrites the destination to the primary address of the
 * interface the packet came in on; kemu's pods are routed over veths that
 * carry no address on the node side, so REDIRECT would find no address and
 * the kernel drops the packet. The pods' gateway 10.244.N.1 on cni0 is a
 * local address every pod can reach and that is there on every node, so
 * DNAT goes there. From OUTPUT (the node's own processes): the node IP, as
 * upstream (it DNATed to the host IP because REDIRECT misbehaved for local
 * traffic). With a specific listenHost both go to that address, as upstream.
 */
function dnatTargets(a: PortalAddresses): { container: string; host: string } {
  if (isWildcard(a.listenHost)) return { container: a.gatewayIP, host: a.nodeIP };
  return { container: a.listenHost!, host: a.listenHost! };
}

/** The complete `*nat` iptables-restore input for the portal and NodePort chains (pure). */
export function renderPortalRules(addresses: PortalAddresses, targets: readonly PortalTarget[]): string {
  const to = dnatTargets(addresses);
  const rules = new Map<string, string[]>(USERSPACE_NAT_CHAINS.map((c) => [c, []]));
  const sorted = [...targets].sort((a, b) => cmp(servicePortKey(a.port), servicePortKey(b.port)) || cmp(a.port.protocol, b.port.protocol));
  for (const { port: sp, proxyPort } of sorted) {
    if (!sp.clusterIP) continue;
    const add = (chain: string, r: RuleSpec) => rules.get(chain)!.push(renderRule(chain, sp, r, proxyPort));
    const portal = { dport: sp.port };
    add(CONTAINER_PORTAL_CHAIN, { ...portal, dest: sp.clusterIP, to: to.container });
    add(HOST_PORTAL_CHAIN, { ...portal, dest: sp.clusterIP, to: to.host });
    for (const ip of sp.externalIPs) {
      // Upstream's first rule also had `-m physdev ! --physdev-is-in` (not
      // arriving through a bridge port). Nothing is bridged in kemu (pods are
      // routed), so that match would always hold: it is left out rather than
      // make xt_physdev a requirement. The second rule is kept for the shape;
      // the first one already covers it here.
      add(CONTAINER_PORTAL_CHAIN, { ...portal, dest: ip, to: to.container });
      add(CONTAINER_PORTAL_CHAIN, { ...portal, dest: ip, dstLocal: true, to: to.container });
      add(HOST_PORTAL_CHAIN, { ...portal, dest: ip, dstLocal: true, to: to.host });
    }
    for (const ip of sp.loadBalancerIPs) {
      add(CONTAINER_PORTAL_CHAIN, { ...portal, dest: ip, to: to.container });
      add(HOST_PORTAL_CHAIN, { ...portal, dest: ip, to: to.host });
    }
    if (sp.nodePort) {
      add(CONTAINER_NODEPORT_CHAIN, { dport: sp.nodePort, to: to.container });
      add(HOST_NODEPORT_CHAIN, { dport: sp.nodePort, to: to.host });
    }
  }
  const lines = ["*nat", ...USERSPACE_NAT_CHAINS.map((c) => `:${c} - [0:0]`)];
  for (const chain of USERSPACE_NAT_CHAINS) lines.push(...rules.get(chain)!);
  lines.push("COMMIT", "");
  return lines.join("\n");
}

interface RuleSpec {
  dest?: string;
  dport: number;
  dstLocal?: boolean;
  to: string;
}

// Upstream's argument order (comment, protocol, port, destination, extra
// matches), written the way iptables-save prints it back.
function renderRule(chain: string, sp: ServicePortInfo, r: RuleSpec, proxyPort: number): string {
  const proto = sp.protocol.toLowerCase();
  const parts = ["-A", chain];
  if (r.dest) parts.push("-d", `${r.dest}/32`);
  parts.push("-p", proto, "-m", "comment", "--comment", `"${servicePortKey(sp)}"`, "-m", proto, "--dport", String(r.dport));
  if (r.dstLocal) parts.push("-m", "addrtype", "--dst-type", "LOCAL");
  parts.push("-j", "DNAT", "--to-destination", `${r.to}:${proxyPort}`);
  return parts.join(" ");
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface UserspaceProxierOptions {
  nodeIP: string;
  /** the node's cni0 address (the pods' gateway) */
  gatewayIP: string;
  /** default "0.0.0.0" */
  listenHost?: string;
  /** default 250 ms (kube-proxy's --udp-timeout) */
  udpIdleTimeoutMs?: number;
  /** milliseconds clock for affinity (tests) */
  now?: () => number;
  /** random source for the shuffles (tests) */
  random?: () => number;
  /** errors worth a line in the agent's log (default console.error) */
  log?: (message: string) => void;
}

export interface ServicePortState {
  port: ServicePortInfo;
  endpoints: EndpointInfo[];
}

interface Entry {
  port: ServicePortInfo;
  balancer: RoundRobinBalancer;
  socket: ProxySocket;
}

export class UserspaceProxier {
  private readonly entries = new Map<string, Entry>();
  /** closed listeners whose TCP connections are still being proxied */
  private readonly retired = new Set<ProxySocket>();
  private readonly staleUdpIPs = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private sweeper?: NodeJS.Timeout;
  private closed = false;
  private readonly listenHost: string;

  constructor(private readonly opts: UserspaceProxierOptions) {
    this.listenHost = opts.listenHost ?? "0.0.0.0";
  }

  /**
   * Makes the proxy sockets match `services`: a socket for every TCP/UDP
   * service port with a ClusterIP, kept (same proxy port, connections
   * untouched) while its protocol and port stay the same; endpoints and
   * affinity are updated in place. Traffic goes to the ready endpoints
   * (categorizeEndpoints' cluster list). A service port whose socket cannot
   * be opened is logged and left out (no socket, no rules) and tried again on
   * the next update, as upstream ("Failed to start proxy").
   */
  update(services: ServicePortState[]): Promise<void> {
    return this.exclusive(() => this.sync(services));
  }

  /** The nat rules for the current sockets (see renderPortalRules). */
  portalRules(): string {
    const targets = [...this.entries.values()].map((e) => ({ port: e.port, proxyPort: e.socket.port }));
    return renderPortalRules({ nodeIP: this.opts.nodeIP, gatewayIP: this.opts.gatewayIP, listenHost: this.listenHost }, targets);
  }

  /** The proxy port of a service port ("ns/name:port", servicePortKey). */
  proxyPort(key: string): number | undefined {
    return this.entries.get(key)?.socket.port;
  }

  balancer(key: string): RoundRobinBalancer | undefined {
    return this.entries.get(key)?.balancer;
  }

  /** TCP connections / UDP flows being proxied for a service port. */
  connections(key: string): number {
    return this.entries.get(key)?.socket.activeConnections() ?? 0;
  }

  /**
   * ClusterIPs of UDP service ports removed (or re-opened on a new proxy
   * port) since the last call: their conntrack entries still point at the old
   * proxy port and should be deleted (upstream: conntrack.ClearEntriesForIP).
   */
  takeStaleUdpServiceIPs(): string[] {
    const ips = [...this.staleUdpIPs];
    this.staleUdpIPs.clear();
    return ips;
  }

  /** Closes every socket, established TCP connections and UDP flows included. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      this.closed = true;
      if (this.sweeper) clearInterval(this.sweeper);
      this.sweeper = undefined;
      const sockets = [...[...this.entries.values()].map((e) => e.socket), ...this.retired];
      this.entries.clear();
      this.retired.clear();
      await Promise.all(sockets.map((s) => s.destroy()));
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sync(services: ServicePortState[]): Promise<void> {
    if (this.closed) throw new Error("userspace proxier: closed");
    const wanted = new Map<string, ServicePortState>();
    for (const s of services) {
      if (!s.port.clusterIP || (s.port.protocol !== "TCP" && s.port.protocol !== "UDP")) continue;
      wanted.set(servicePortKey(s.port), s);
    }

    for (const [key, entry] of this.entries) {
      const w = wanted.get(key);
      if (w && w.port.protocol === entry.port.protocol && w.port.port === entry.port.port) continue;
      this.entries.delete(key);
      await this.retire(entry);
    }

    for (const [key, { port, endpoints }] of wanted) {
      // The userspace proxier knew no traffic policies: always the whole
      // cluster list (ready endpoints, else serving-and-terminating ones).
      const ready = categorizeEndpoints({ ...port, internalPolicyLocal: false, externalPolicyLocal: false }, endpoints).clusterEndpoints.map((e) => `${e.ip}:${e.port}`);
      const existing = this.entries.get(key);
      if (existing) {
        if (existing.port.protocol === "UDP" && existing.port.clusterIP !== port.clusterIP) this.staleUdpIPs.add(existing.port.clusterIP);
        existing.port = port;
        existing.balancer.setAffinity(port.affinityTimeoutSeconds);
        existing.balancer.setEndpoints(ready);
        continue;
      }
      const balancer = new RoundRobinBalancer({ affinityTimeoutSeconds: port.affinityTimeoutSeconds, now: this.opts.now, random: this.opts.random });
      balancer.setEndpoints(ready);
      try {
        const socket = await openProxySocket({
          protocol: port.protocol as "TCP" | "UDP",
          hosts: this.listenHosts(port.protocol),
          picker: balancer,
          udpIdleTimeoutMs: this.opts.udpIdleTimeoutMs,
          log: this.opts.log,
        });
        this.entries.set(key, { port, balancer, socket });
      } catch (err) {
        this.log(`userspace proxy: ${key}/${port.protocol}: cannot open a proxy socket: ${err instanceof Error ? err.message : String(err)}`);
      }
    }

    this.sweep();
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), STICKY_SWEEP_INTERVAL_MS);
      this.sweeper.unref();
    }
  }

  /**
   * TCP listens on listenHost. UDP with a wildcard listenHost binds the two
   * DNAT targets (cni0's and the node's address) on one port instead: a UDP
   * reply must leave from the address the request was DNATed to or conntrack
   * cannot map it back, and a 0.0.0.0 socket lets the route choose the
   * source (upstream avoided this with REDIRECT, which kemu cannot use).
   */
  private log(message: string): void {
    (this.opts.log ?? console.error)(message);
  }

  private listenHosts(protocol: string): string[] {
    if (protocol === "UDP" && isWildcard(this.listenHost)) return [...new Set([this.opts.gatewayIP, this.opts.nodeIP])];
    return [this.listenHost];
  }

  private async retire(entry: Entry): Promise<void> {
    if (entry.port.protocol === "UDP") this.staleUdpIPs.add(entry.port.clusterIP);
    await entry.socket.close();
    if (entry.socket.activeConnections() > 0) this.retired.add(entry.socket);
  }

  private sweep(): void {
    for (const e of this.entries.values()) e.balancer.sweep();
    for (const s of this.retired) if (s.activeConnections() === 0) this.retired.delete(s);
  }
}
