// What `kemu trace` reports: one real connection attempt, the path its
// packets took through each network namespace (from the kernel's own trace
// events), each rule mapped back to the Kubernetes object that wrote it, and
// how the attempt ended. Plain data: the CLI prints it, -o json emits it, the
// dashboard draws it.

export type TraceProtocol = "tcp" | "udp";

/** The Kubernetes object (or kemu component) a rule came from. */
export interface ObjectRef {
  kind: "Service" | "NetworkPolicy" | "ClusterNetworkPolicy" | "Pod" | "Node" | "Ingress" | "HTTPRoute" | "kube-proxy" | "flannel" | "kemu";
  namespace?: string;
  name: string;
  /** which part of it: `port http`, `endpoint 10.244.2.3:8080`, `ingress rule 0`, … */
  part?: string;
}

/** One rule (or a chain's policy) the packet met, as the kernel reported it. */
export interface RuleHit {
  /** iptables table (nat, filter, …) or nftables table (kemu-policy) */
  table: string;
  chain: string;
  /** "rule", or "policy" when the chain ended without a rule deciding */
  kind: "rule" | "policy" | "return";
  /** the rule as iptables-save (or nft) prints it; empty for a policy */
  rule: string;
  /** ACCEPT, DROP, CONTINUE, RETURN, JUMP:KUBE-SVC-… */
  verdict: string;
  object?: ObjectRef;
}

export interface PacketHeader {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  protocol: string;
  iif?: string;
  oif?: string;
  /** TCP flags as the kernel printed them (SYN, SYN ACK, RST ACK…) */
  flags?: string;
  /** the IP header's identification: the same packet keeps it from namespace to namespace */
  ipId?: number;
}

/** A packet's pass through one namespace (node or outside host). */
export interface Hop {
  /** node-1 … node-N, or outside */
  host: string;
  direction: "request" | "reply";
  /** as the packet arrived (first hook it was seen in) */
  packet: PacketHeader;
  /** as it left, after NAT */
  leaving?: PacketHeader;
  rules: RuleHit[];
  /** the destination NAT applied here (the Service endpoint chosen), `ip:port` */
  dnat?: string;
  /** source NAT: masquerade to the node's address */
  masquerade?: boolean;
  /** where the kernel routed it on: `10.244.2.0/24 via 172.18.0.3 dev eth0` */
  route?: string;
  /** what happened to it here */
  outcome: "forwarded" | "delivered" | "sent" | "dropped" | "rejected" | "local";
  /** names for the addresses in the packet */
  from?: string;
  to?: string;
}

export interface DnsQuery {
  name: string;
  type: "A" | "AAAA";
  server: string;
  rcode: string;
  answers: string[];
}

/** The HTTP step through kemu's router, when the target went through it. */
export interface RouterStep {
  router: string;
  host: string;
  path: string;
  /** the route that matched (Ingress or HTTPRoute, and its rule), or undefined: none did */
  route?: ObjectRef;
  /** the Service the route sends to */
  backend?: string;
  /** the endpoint the router's upstream connection went to */
  endpoint?: string;
  /** the router's own connection to the endpoint, hop by hop */
  hops?: Hop[];
  /** the router sent the request on a kept-alive connection (no new handshake to trace) */
  reusedConnection?: boolean;
}

/** A second connection made on the client's behalf: kube-proxy's userspace mode ends the client's connection and opens its own to an endpoint. */
export interface ProxyLeg {
  /** `kube-proxy (userspace) on node-2` */
  by: string;
  hops: Hop[];
  endpoint?: string;
}

export type TraceResultKind = "connected" | "answered" | "refused" | "timed out" | "unreachable" | "dns failed" | "error";

export interface TraceResult {
  /** the client: `ns/pod`, or `outside` */
  from: string;
  target: string;
  protocol: TraceProtocol;
  /** name resolution, in the order the pod's resolver would try the names */
  dns?: DnsQuery[];
  /** the address and port the client connected to */
  destination: { ip: string; port: number; name?: string };
  sourcePort: number;
  hops: Hop[];
  router?: RouterStep;
  proxy?: ProxyLeg;
  result: TraceResultKind;
  /** for "connected": the endpoint that answered, named */
  endpoint?: string;
  /** the rule (or chain policy) that dropped or rejected it */
  droppedBy?: RuleHit & { host: string };
  /** HTTP status, when the target was a URL */
  httpStatus?: number;
  detail?: string;
  elapsedMs: number;
}

/** What to trace: `kemu trace FROM TARGET`. */
export interface TraceRequest {
  /** a pod's name (in `namespace`), `ns/name`, or `outside` */
  from: string;
  /** URL (http://web/hostname), HOST:PORT, or SERVICE[:PORT] (a Service's name, its first port by default) */
  target: string;
  protocol?: TraceProtocol;
  /** the namespace of `from` and of a bare Service name (default "default") */
  namespace?: string;
  /** how long the connection attempt may take (default 3 s) */
  timeoutMs?: number;
}
