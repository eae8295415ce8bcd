// The NetworkPolicy scenario catalogue: policies over the classic x/y/z ×
// a/b/c topology of upstream's e2e suite (kubernetes
// test/e2e/network/netpol/), each with the full reachability matrix it must
// produce on ports 80 and 81, TCP and UDP. Expectations are written from the
// semantics (../shared/reference/network-policy.md §1–§6, the API's field
// docs, network-policy-api's ClusterNetworkPolicy docs and conformance
// tests), never from kemu's code; each scenario cites where its behaviour
// comes from. Used by the evaluator's unit test
// (test/unit/netpol-scenarios.test.ts) and the lead's integration test,
// which applies the topology, then each scenario, and probes.
import type { ClusterNetworkPolicy, KubeObject, LabelSelector, NetworkPolicy } from "../../src/api/types.js";
import { AGNHOST } from "./workloads.js";
import { Reachability, type Expectation, type PortProtocol } from "./reachability.js";

// ---------------------------------------------------------------------------
// The topology

export const NAMESPACES = ["x", "y", "z"] as const;
export const POD_NAMES = ["a", "b", "c"] as const;
/** Every pod as "ns/name", in table order. */
export const PODS: readonly string[] = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));
/** What every scenario's matrix covers. SCTP is not probed: this machine's kernel has no SCTP. */
export const PROBED: readonly PortProtocol[] = [
  { port: 80, protocol: "TCP" },
  { port: 81, protocol: "TCP" },
  { port: 80, protocol: "UDP" },
  { port: 81, protocol: "UDP" },
];
/** The label the API server puts on every namespace (GA in 1.22). */
export const NS_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * The pod whose TCP port names are swapped (serve-80-tcp names port 81 and
 * serve-81-tcp port 80), so that a named port must be resolved per pod
 * (network-policy.md §2: against the destination pod of the traffic).
 */
export const SWAPPED_NAMES_POD = "z/c";

/** The labels each namespace carries: upstream's older `ns: <name>`; the API server adds NS_NAME_LABEL itself. */
export function namespaceLabels(ns: string): Record<string, string> {
  return { ns };
}

/** The labels each pod starts with (upstream's `pod: <name>`). */
export function podLabels(pod: string): Record<string, string> {
  return { pod: pod.split("/")[1]! };
}

export interface TopologyPort {
  name: string;
  containerPort: number;
  protocol: "TCP" | "UDP";
}

/** One container per port, serving it on TCP and UDP (upstream has one per (port, protocol)). */
export function topologyContainers(pod: string, opts: { swapNamedPorts?: boolean } = {}): Array<{ name: string; port: number; ports: TopologyPort[] }> {
  const swap = (opts.swapNamedPorts ?? true) && pod === SWAPPED_NAMES_POD;
  return [80, 81].map((port) => {
    const tcpName = swap ? `serve-${port === 80 ? 81 : 80}-tcp` : `serve-${port}-tcp`;
    return {
      name: `cont-${port}`,
      port,
      ports: [
        { name: tcpName, containerPort: port, protocol: "TCP" },
        { name: `serve-${port}-udp`, containerPort: port, protocol: "UDP" },
      ],
    };
  });
}

export interface TopologyOptions {
  /** Nodes to place the pods on, round robin in PODS order (x/a → nodes[0], x/b → nodes[1], …); none: the scheduler decides. */
  nodes?: readonly string[];
  /** Swap z/c's TCP port names (default true; the lab turns it off to stay simple). */
  swapNamedPorts?: boolean;
  /** Also one ClusterIP Service s-<ns>-<pod> per pod, as upstream's model (ports 80 and 81, TCP and UDP). */
  services?: boolean;
}

/** Namespaces x, y, z and pods a, b, c in each, serving TCP and UDP on 80 and 81 (agnhost netexec). */
export function topologyManifests(opts: TopologyOptions = {}): KubeObject[] {
  const objects: KubeObject[] = NAMESPACES.map((ns) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, labels: namespaceLabels(ns) },
  }));
  PODS.forEach((pod, i) => {
    const [namespace, name] = pod.split("/") as [string, string];
    const spec: Record<string, unknown> = {
      terminationGracePeriodSeconds: 0,
      containers: topologyContainers(pod, opts).map((c) => ({
        name: c.name,
        image: AGNHOST,
        args: ["netexec", `--http-port=${c.port}`, `--udp-port=${c.port}`],
        ports: c.ports.map((p) => ({ ...p })),
      })),
    };
    if (opts.nodes && opts.nodes.length > 0) spec.nodeName = opts.nodes[i % opts.nodes.length];
    objects.push({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels: podLabels(pod) }, spec });
    if (opts.services) {
      objects.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `s-${namespace}-${name}`, namespace },
        spec: {
          selector: podLabels(pod),
          ports: [80, 81].flatMap((port) =>
            (["TCP", "UDP"] as const).map((protocol) => ({ name: `service-port-${port}-${protocol.toLowerCase()}`, port, targetPort: port, protocol })),
          ),
        },
      });
    }
  });
  return objects;
}

/** The cluster DNS pod as a policy sees it (kemu's kube-system/coredns add-on: src/daemon/addons.ts). */
export const DNS_SERVER = {
  namespace: "kube-system",
  labels: { "k8s-app": "kube-dns" },
  ports: [
    { name: "dns", containerPort: 53, protocol: "UDP" },
    { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
    { name: "metrics", containerPort: 9153, protocol: "TCP" },
  ] as TopologyPort[],
};

// ---------------------------------------------------------------------------
// Scenario shapes

/** What a scenario may ask of the running cluster when it builds its policies. */
export interface ScenarioContext {
  /** The pod's IP ("x/b" → "10.244.2.3"); pod IPs are known only once the pods run. */
  podIP(pod: string): string;
}

export type Objects = KubeObject[] | ((ctx: ScenarioContext) => KubeObject[]);

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** A change between two probes. Labels: a string sets, null removes. */
export type StepAction =
  | { apply: Objects }
  | { delete: ObjectRef[] }
  | { labelPod: { pod: string; labels: Record<string, string | null> } }
  | { labelNamespace: { namespace: string; labels: Record<string, string | null> } };

/** Can this pod resolve a cluster name through kube-dns (UDP 53 to kube-system/coredns)? */
export interface DnsExpectation {
  from: string;
  resolves: boolean;
}

export interface Step {
  description: string;
  actions: StepAction[];
  /** The whole matrix after the actions (not a difference). */
  expect: Expectation[];
  dns?: DnsExpectation[];
}

/** The items of issue 10's "## Tests" list (and the CNP cases), so coverage can be checked. */
export type Feature =
  | "default-allow"
  | "default-deny-ingress"
  | "default-deny-egress"
  | "default-deny-all"
  | "same-namespace"
  | "pod-selector"
  | "namespace-selector"
  | "pod-vs-namespace-selector"
  | "and-vs-or"
  | "match-expressions"
  | "namespace-selector-empty"
  | "ipblock"
  | "ipblock-except-pod-ip"
  | "named-port"
  | "end-port"
  | "protocols"
  | "sctp"
  | "egress-dns"
  | "policy-types-defaulting"
  | "ingress-and-egress"
  | "union"
  | "policy-update"
  | "label-change"
  | "cnp-admin-deny-beats-np"
  | "cnp-admin-accept-beats-np"
  | "cnp-pass-to-np"
  | "cnp-pass-to-baseline"
  | "cnp-baseline-unisolated-only"
  | "cnp-priority"
  | "cnp-rule-order"
  | "cnp-networks"
  | "cnp-ports";

export interface Scenario {
  /** Unique, kebab-case; also a good cluster-object prefix. */
  name: string;
  /** Where the behaviour comes from (upstream test name, API doc, reference section). */
  cite: string;
  covers: Feature[];
  /** Created before the first probe. */
  policies: Objects;
  /** The whole matrix after `policies`. */
  expect: Expectation[];
  dns?: DnsExpectation[];
  /** Later phases, each probed after its actions. */
  steps?: Step[];
}

// ---------------------------------------------------------------------------
// Builders (kept tiny: a scenario should read like the YAML a person writes)

type NetworkPolicySpec = NetworkPolicy["spec"];
type ClusterNetworkPolicySpec = ClusterNetworkPolicy["spec"];

function netpol(namespace: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

function cnp(name: string, spec: ClusterNetworkPolicySpec): ClusterNetworkPolicy {
  return { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name }, spec };
}

const all: LabelSelector = {};
const labels = (l: Record<string, string>): LabelSelector => ({ matchLabels: l });
const pod = (name: string): LabelSelector => labels({ pod: name });
const nsNamed = (ns: string): LabelSelector => labels({ [NS_NAME_LABEL]: ns });

/** One table per probed (port, protocol), each starting all-reachable; `build` edits it. */
function matrix(build: (r: Reachability, on: PortProtocol) => void = () => {}): Expectation[] {
  return PROBED.map((pp) => {
    const r = new Reachability(PODS, true);
    build(r, pp);
    return { ...pp, reachability: r };
  });
}

/** True when `on` is one of "80/TCP", "81/UDP", …. */
function is(on: PortProtocol, ...keys: string[]): boolean {
  return keys.includes(`${on.port}/${on.protocol}`);
}

/** The /prefix network containing ip (IPv4), e.g. upstream's makeLargeCIDRForIP uses /4. */
export function cidrAround(ip: string, prefix: number): string {
  const octets = ip.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`cidrAround: ${JSON.stringify(ip)} is not an IPv4 address`);
  const n = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(n / size) * size;
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${prefix}`;
}

const E2E = "kubernetes test/e2e/network/netpol/network_policy.go";
const CNP_TYPES = "network-policy-api apis/v1alpha2/clusternetworkpolicy_types.go";
const CONFORMANCE = "network-policy-api conformance/tests";

const denyIngressX = netpol("x", "deny-ingress", { podSelector: all, policyTypes: ["Ingress"] });
const denyEgressX = netpol("x", "deny-egress", { podSelector: all, policyTypes: ["Egress"] });

// ---------------------------------------------------------------------------
// The catalogue

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "no-policies",
    cite: "network-policy.md §1: a pod no policy selects is unrestricted; upstream NewReachability(pods, true)",
    covers: ["default-allow"],
    policies: [],
    expect: matrix(),
  },

  // --- default deny ---------------------------------------------------------
  {
    name: "default-deny-ingress",
    cite: `${E2E} "should support a 'default-deny-ingress' policy" (TCP, and the UDP and SCTP contexts)`,
    covers: ["default-deny-ingress"],
    policies: [denyIngressX],
    expect: matrix((r) => r.expectPeer("*", "x/*", false)),
  },
  {
    name: "default-deny-egress",
    cite: `${E2E} "should deny egress from all pods in a namespace"`,
    covers: ["default-deny-egress"],
    policies: [denyEgressX],
    expect: matrix((r) => r.expectPeer("x/*", "*", false)),
  },
  {
    name: "default-deny-all",
    cite: `${E2E} "should support a 'default-deny-all' policy"`,
    covers: ["default-deny-all"],
    policies: [netpol("x", "deny-all", { podSelector: all, policyTypes: ["Ingress", "Egress"] })],
    expect: matrix((r) => r.expectPeer("*", "x/*", false).expectPeer("x/*", "*", false)),
  },
  {
    name: "deny-egress-one-pod",
    cite: `${E2E} "should deny egress from pods based on PodSelector"`,
    covers: ["default-deny-egress", "pod-selector"],
    policies: [netpol("x", "deny-egress-pod-a", { podSelector: pod("a"), policyTypes: ["Egress"] })],
    expect: matrix((r) => r.expectAllEgress("x/a", false)),
  },

  // --- peers: podSelector, namespaceSelector, AND vs OR ----------------------
  {
    name: "allow-same-namespace",
    cite: `${E2E} "should deny ingress from pods on other namespaces"`,
    covers: ["same-namespace", "pod-selector"],
    policies: [netpol("x", "allow-same-namespace", { podSelector: all, ingress: [{ from: [{ podSelector: all }] }] })],
    expect: matrix((r) => r.expectPeer("y/*", "x/*", false).expectPeer("z/*", "x/*", false)),
  },
  {
    name: "pod-selector-same-namespace-only",
    cite: `${E2E} "should enforce policy to allow traffic from pods within server namespace based on PodSelector"; network-policy.md §2: a podSelector peer never spans namespaces (y/b, z/b stay blocked)`,
    covers: ["pod-selector", "pod-vs-namespace-selector"],
    policies: [netpol("x", "x-a-allows-x-b", { podSelector: pod("a"), ingress: [{ from: [{ podSelector: pod("b") }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true)),
  },
  {
    name: "pod-selector-match-expressions",
    cite: `${E2E} "should enforce policy based on PodSelector with MatchExpressions"`,
    covers: ["pod-selector", "match-expressions"],
    policies: [
      netpol("x", "x-a-allows-x-b", {
        podSelector: pod("a"),
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b"] }] } }] }],
      }),
    ],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true)),
  },
  {
    name: "namespace-selector-by-name-label",
    cite: `${E2E} "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label"`,
    covers: ["namespace-selector", "pod-vs-namespace-selector"],
    policies: [netpol("x", "allow-from-y", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y") }] }] })],
    expect: matrix((r) => r.expectPeer("x/*", "x/a", false).expectPeer("z/*", "x/a", false)),
  },
  {
    name: "namespace-selector-match-expressions",
    cite: `${E2E} "should enforce policy based on NamespaceSelector with MatchExpressions" (here on the namespaces' own 'ns' label, as upstream's older model)`,
    covers: ["namespace-selector", "match-expressions"],
    policies: [
      netpol("x", "allow-ns-y-match-selector", {
        podSelector: pod("a"),
        ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "In", values: ["y"] }] } }] }],
      }),
    ],
    expect: matrix((r) => r.expectPeer("x/*", "x/a", false).expectPeer("z/*", "x/a", false)),
  },
  {
    name: "egress-namespace-selector-not-in",
    cite: `${E2E} "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label"`,
    covers: ["namespace-selector", "match-expressions", "default-deny-egress"],
    policies: [
      netpol("x", "allow-egress-not-y", {
        podSelector: pod("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: NS_NAME_LABEL, operator: "NotIn", values: ["y"] }] } }] }],
      }),
    ],
    expect: matrix((r) => r.expectPeer("x/a", "y/*", false)),
  },
  {
    name: "pod-or-namespace-selector-two-dashes",
    cite: `${E2E} "should enforce policy based on PodSelector or NamespaceSelector"; network-policy.md §8 (one dash too many: OR)`,
    covers: ["and-vs-or", "pod-vs-namespace-selector"],
    policies: [
      netpol("x", "allow-not-x-or-pod-b", {
        podSelector: pod("a"),
        ingress: [
          {
            from: [
              { namespaceSelector: { matchExpressions: [{ key: NS_NAME_LABEL, operator: "NotIn", values: ["x"] }] } },
              { podSelector: pod("b") },
            ],
          },
        ],
      }),
    ],
    expect: matrix((r) => r.expect("x/c", "x/a", false)),
  },
  {
    name: "pod-and-namespace-selector-one-dash",
    cite: `${E2E} "should enforce policy based on PodSelector and NamespaceSelector"; network-policy.md §2 (both selectors in one element: AND)`,
    covers: ["and-vs-or", "pod-vs-namespace-selector"],
    policies: [
      netpol("x", "allow-not-x-and-pod-b", {
        podSelector: pod("a"),
        ingress: [
          {
            from: [{ namespaceSelector: { matchExpressions: [{ key: NS_NAME_LABEL, operator: "NotIn", values: ["x"] }] }, podSelector: pod("b") }],
          },
        ],
      }),
    ],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expect("y/b", "x/a", true).expect("z/b", "x/a", true)),
  },
  {
    name: "multiple-pod-and-namespace-selectors",
    cite: `${E2E} "should enforce policy based on Multiple PodSelectors and NamespaceSelectors"`,
    covers: ["and-vs-or", "match-expressions"],
    policies: [
      netpol("x", "allow-ns-y-z-pod-b-c", {
        podSelector: pod("a"),
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: NS_NAME_LABEL, operator: "NotIn", values: ["x"] }] },
                podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b", "c"] }] },
              },
            ],
          },
        ],
      }),
    ],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expectPeer("y/b", "x/a", true).expectPeer("y/c", "x/a", true).expectPeer("z/b", "x/a", true).expectPeer("z/c", "x/a", true)),
  },
  {
    name: "any-pod-selectors",
    cite: `${E2E} "should enforce policy based on any PodSelectors"`,
    covers: ["pod-selector", "and-vs-or"],
    policies: [netpol("x", "allow-ns-x-pod-b-c", { podSelector: pod("a"), ingress: [{ from: [{ podSelector: pod("b") }, { podSelector: pod("c") }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true).expect("x/c", "x/a", true)),
  },
  {
    name: "pod-in-other-namespace",
    cite: `${E2E} "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector" (TCP, UDP and SCTP contexts)`,
    covers: ["and-vs-or", "namespace-selector"],
    policies: [
      netpol("x", "allow-ns-y-pod-a", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y"), podSelector: pod("a") }] }] }),
    ],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expect("y/a", "x/a", true)),
  },
  {
    name: "namespace-selector-empty-means-all-namespaces",
    cite: `${E2E} "should enforce policy to allow ingress traffic from pods in all namespaces" (over a default deny so the allow shows)`,
    covers: ["namespace-selector-empty", "union"],
    policies: [denyIngressX, netpol("x", "allow-from-all-namespaces", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: all }] }] })],
    expect: matrix((r) => r.expectPeer("*", "x/b", false).expectPeer("*", "x/c", false)),
  },
  {
    name: "allow-all-to-one-target",
    cite: `${E2E} "should enforce policy to allow ingress traffic for a target" (peer {podSelector: {}, namespaceSelector: {}})`,
    covers: ["namespace-selector-empty", "union", "default-deny-ingress"],
    policies: [
      denyIngressX,
      netpol("x", "allow-all-to-a", { podSelector: pod("a"), ingress: [{ from: [{ podSelector: all, namespaceSelector: all }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("*", "x/b", false).expectPeer("*", "x/c", false)),
  },

  // --- ports and protocols ---------------------------------------------------
  {
    name: "port-81-tcp-stacked-with-port-80",
    cite: `${E2E} "should enforce policy based on Ports" and "should enforce multiple, stacked policies with overlapping podSelectors"`,
    covers: ["protocols", "union"],
    policies: [
      netpol("x", "allow-y-on-81", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y") }], ports: [{ port: 81, protocol: "TCP" }] }] }),
    ],
    expect: matrix((r, on) => {
      r.expectAllIngress("x/a", false);
      if (is(on, "81/TCP")) r.expectPeer("y/*", "x/a", true);
    }),
    steps: [
      {
        description: "a second policy opens port 80 to y as well",
        actions: [
          {
            apply: [
              netpol("x", "allow-y-on-80", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y") }], ports: [{ port: 80, protocol: "TCP" }] }] }),
            ],
          },
        ],
        expect: matrix((r, on) => {
          r.expectAllIngress("x/a", false);
          if (is(on, "80/TCP", "81/TCP")) r.expectPeer("y/*", "x/a", true);
        }),
      },
    ],
  },
  {
    name: "port-81-udp",
    cite: `${E2E} Netpol [LinuxOnly] "NetworkPolicy between server and client using UDP" "should enforce policy based on Ports"`,
    covers: ["protocols"],
    policies: [
      netpol("x", "allow-y-on-81-udp", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y") }], ports: [{ port: 81, protocol: "UDP" }] }] }),
    ],
    expect: matrix((r, on) => {
      r.expectAllIngress("x/a", false);
      if (is(on, "81/UDP")) r.expectPeer("y/*", "x/a", true);
    }),
  },
  {
    name: "ingress-port-80-then-allow-all",
    cite: `${E2E} "should enforce multiple ingress policies with ingress allow-all policy taking precedence"; a port without protocol is TCP (pkg/apis/networking/v1/defaults.go), so UDP stays blocked`,
    covers: ["protocols", "union", "policy-types-defaulting"],
    policies: [netpol("x", "allow-ingress-port-80", { podSelector: all, ingress: [{ ports: [{ port: 80 }] }] })],
    expect: matrix((r, on) => {
      if (!is(on, "80/TCP")) r.expectPeer("*", "x/*", false);
    }),
    steps: [
      {
        description: "an allow-all ingress policy is added",
        actions: [{ apply: [netpol("x", "allow-ingress", { podSelector: all, ingress: [{}] })] }],
        expect: matrix(),
      },
    ],
  },
  {
    name: "egress-port-80-then-allow-all",
    cite: `${E2E} "should enforce multiple egress policies with egress allow-all policy taking precedence"`,
    covers: ["protocols", "union", "default-deny-egress"],
    policies: [netpol("x", "allow-egress-port-80", { podSelector: all, policyTypes: ["Egress"], egress: [{ ports: [{ port: 80 }] }] })],
    expect: matrix((r, on) => {
      if (!is(on, "80/TCP")) r.expectPeer("x/*", "*", false);
    }),
    steps: [
      {
        description: "an allow-all egress policy is added",
        actions: [{ apply: [netpol("x", "allow-egress", { podSelector: all, policyTypes: ["Egress"], egress: [{}] })] }],
        expect: matrix(),
      },
    ],
  },
  {
    name: "protocol-only-rule",
    cite: `${E2E} "should enforce ingress policy allowing any port traffic to a server on a specific protocol"`,
    covers: ["protocols"],
    policies: [netpol("x", "allow-ingress-by-proto", { podSelector: pod("a"), ingress: [{ ports: [{ protocol: "TCP" }] }] })],
    expect: matrix((r, on) => {
      if (on.protocol === "UDP") r.expectAllIngress("x/a", false);
    }),
  },
  {
    name: "udp-rule-does-not-open-tcp",
    cite: `${E2E} "should not allow access by TCP when a policy specifies only UDP"`,
    covers: ["protocols"],
    policies: [netpol("x", "allow-only-udp-ingress-on-port-81", { podSelector: pod("a"), ingress: [{ ports: [{ port: 81, protocol: "UDP" }] }] })],
    expect: matrix((r, on) => {
      if (!is(on, "81/UDP")) r.expectAllIngress("x/a", false);
    }),
  },
  {
    name: "sctp-rule-does-not-open-tcp",
    cite: `${E2E} "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP"`,
    covers: ["sctp", "protocols"],
    policies: [
      denyIngressX,
      netpol("x", "allow-only-sctp-ingress-on-port-81", { podSelector: pod("a"), ingress: [{ ports: [{ port: 81, protocol: "SCTP" }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("*", "x/*", false)),
  },
  {
    name: "sctp-rule-isolates",
    cite: `${E2E} "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP"`,
    covers: ["sctp", "protocols"],
    policies: [netpol("x", "allow-only-sctp-ingress-on-port-80", { podSelector: pod("a"), ingress: [{ ports: [{ port: 80, protocol: "SCTP" }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false)),
  },
  {
    name: "end-port-ranges",
    cite: "kubernetes/api networking/v1 types.go NetworkPolicyPort.endPort (inclusive port..endPort, stable in 1.25); cyclonus generator tag end-port",
    covers: ["end-port", "protocols"],
    policies: [
      netpol("x", "allow-ranges", {
        podSelector: pod("a"),
        ingress: [
          {
            ports: [
              { protocol: "TCP", port: 81, endPort: 90 },
              { protocol: "UDP", port: 70, endPort: 80 },
            ],
          },
        ],
      }),
    ],
    expect: matrix((r, on) => {
      if (is(on, "80/TCP", "81/UDP")) r.expectAllIngress("x/a", false);
    }),
  },

  // --- named ports -----------------------------------------------------------
  {
    name: "named-port-ingress",
    cite: `${E2E} "should allow ingress access on one named port"`,
    covers: ["named-port"],
    policies: [netpol("x", "allow-serve-81-tcp", { podSelector: all, ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })],
    expect: matrix((r, on) => {
      if (!is(on, "81/TCP")) r.expectPeer("*", "x/*", false);
    }),
  },
  {
    name: "named-port-ingress-from-namespace",
    cite: `${E2E} "should allow ingress access from namespace on one named port"`,
    covers: ["named-port", "namespace-selector"],
    policies: [
      netpol("x", "allow-y-on-serve-80-tcp", {
        podSelector: pod("a"),
        ingress: [{ from: [{ namespaceSelector: nsNamed("y") }], ports: [{ port: "serve-80-tcp", protocol: "TCP" }] }],
      }),
    ],
    expect: matrix((r, on) => {
      r.expectAllIngress("x/a", false);
      if (is(on, "80/TCP")) r.expectPeer("y/*", "x/a", true);
    }),
  },
  {
    name: "named-port-ingress-resolved-per-pod",
    cite: "network-policy.md §2: a named port is resolved against each selected pod's own containerPorts (z/c names its TCP ports the other way round); cyclonus named-port cases",
    covers: ["named-port"],
    policies: [netpol("z", "allow-serve-81-tcp", { podSelector: all, ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })],
    expect: matrix((r, on) => {
      if (is(on, "81/TCP")) r.expectAllIngress("z/c", false);
      else if (is(on, "80/TCP")) r.expectAllIngress("z/a", false).expectAllIngress("z/b", false);
      else r.expectPeer("*", "z/*", false);
    }),
  },
  {
    name: "named-port-egress-resolved-per-destination",
    cite: `${E2E} "should allow egress access on one named port"; network-policy.md §2: for egress the name is resolved against the peer (destination) pod, so z/c's serve-80-tcp is its port 81`,
    covers: ["named-port", "default-deny-egress"],
    policies: [netpol("x", "allow-egress-serve-80-tcp", { podSelector: all, policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-80-tcp" }] }] })],
    expect: matrix((r, on) => {
      if (is(on, "80/TCP")) r.expectPeer("x/*", "z/c", false);
      else if (is(on, "81/TCP")) r.expectPeer("x/*", "*", false).expectPeer("x/*", "z/c", true);
      else r.expectPeer("x/*", "*", false);
    }),
  },
  {
    name: "named-port-protocol-must-match",
    cite: "network-policy.md §2: the name AND the protocol must match a containerPort, else the entry matches nothing yet the pod stays isolated; cyclonus 'named port whose protocol does not match'",
    covers: ["named-port", "protocols", "policy-update"],
    // serve-81-udp names a UDP port; the protocol defaults to TCP: nothing matches.
    policies: [netpol("x", "allow-serve-81-udp", { podSelector: pod("a"), ingress: [{ ports: [{ port: "serve-81-udp" }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false)),
    steps: [
      {
        description: "the policy names the protocol UDP",
        actions: [{ apply: [netpol("x", "allow-serve-81-udp", { podSelector: pod("a"), ingress: [{ ports: [{ port: "serve-81-udp", protocol: "UDP" }] }] })] }],
        expect: matrix((r, on) => {
          if (!is(on, "81/UDP")) r.expectAllIngress("x/a", false);
        }),
      },
    ],
  },

  // --- policyTypes and directions ----------------------------------------------
  {
    name: "ingress-and-egress-in-one-policy",
    cite: `${E2E} "should work with Ingress, Egress specified together"`,
    covers: ["ingress-and-egress", "pod-selector"],
    policies: [
      netpol("x", "allow-client-a-via-pod-selector", {
        podSelector: pod("a"),
        policyTypes: ["Egress", "Ingress"],
        ingress: [{ from: [{ podSelector: pod("b") }] }],
        egress: [{ ports: [{ port: 80 }] }],
      }),
    ],
    expect: matrix((r, on) => {
      if (!is(on, "80/TCP")) r.expectAllEgress("x/a", false);
      r.expectAllIngress("x/a", false).expect("x/b", "x/a", true);
    }),
  },
  {
    name: "egress-denied-on-client-side",
    cite: `${E2E} "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)"`,
    covers: ["ingress-and-egress", "and-vs-or"],
    policies: [
      netpol("x", "allow-to-ns-y-pod-a", { podSelector: pod("a"), policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: nsNamed("y"), podSelector: pod("a") }] }] }),
      netpol("y", "allow-from-xa-on-ya", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("x"), podSelector: pod("a") }] }] }),
      netpol("y", "allow-from-xa-on-yb", { podSelector: pod("b"), ingress: [{ from: [{ namespaceSelector: nsNamed("x"), podSelector: pod("a") }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("x/a", "*", false).expectPeer("*", "y/a", false).expect("x/a", "y/a", true).expectPeer("*", "y/b", false)),
  },
  {
    name: "egress-to-pod-in-other-namespace",
    cite: `${E2E} "should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector"`,
    covers: ["default-deny-egress", "and-vs-or"],
    policies: [netpol("x", "allow-to-ns-y-pod-a", { podSelector: pod("a"), policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: nsNamed("y"), podSelector: pod("a") }] }] })],
    expect: matrix((r) => r.expectAllEgress("x/a", false).expect("x/a", "y/a", true)),
  },
  {
    name: "policy-types-omitted-egress-rules-also-isolate-ingress",
    cite: "kubernetes/api networking/v1 NetworkPolicySpec.policyTypes (default: Ingress always, Egress when egress rules exist; pkg/apis/networking/v1/defaults.go); network-policy.md §8",
    covers: ["policy-types-defaulting"],
    policies: [netpol("x", "meant-egress-only", { podSelector: pod("a"), egress: [{ to: [{ namespaceSelector: all }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false)),
  },
  {
    name: "policy-types-omitted-deny-egress-becomes-deny-ingress",
    cite: "kubernetes/api networking/v1 NetworkPolicySpec.policyTypes ('a policy that specifies that no egress is allowed must specify a policyTypes value that includes Egress'); network-policy.md §8",
    covers: ["policy-types-defaulting"],
    policies: [netpol("x", "meant-deny-egress", { podSelector: all })],
    expect: matrix((r) => r.expectPeer("*", "x/*", false)),
  },
  {
    name: "policy-types-explicit-ignores-other-direction",
    cite: "network-policy.md §2: with explicit policyTypes, rules of an unlisted direction are ignored (validation does not reject them)",
    covers: ["policy-types-defaulting", "ingress-and-egress"],
    policies: [
      netpol("x", "ingress-only", {
        podSelector: pod("a"),
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: pod("b") }] }],
        egress: [{ to: [{ podSelector: pod("c") }] }],
      }),
    ],
    expect: matrix((r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true)),
  },
  {
    name: "ingress-and-egress-controlled-independently",
    cite: `${E2E} "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector"`,
    covers: ["ingress-and-egress", "union"],
    policies: [netpol("x", "allow-egress-for-target", { podSelector: pod("a"), policyTypes: ["Egress"], egress: [{}] })],
    expect: matrix(),
    steps: [
      {
        description: "a deny-ingress policy selects x/a too",
        actions: [{ apply: [netpol("x", "deny-ingress-via-label-selector", { podSelector: pod("a"), policyTypes: ["Ingress"] })] }],
        expect: matrix((r) => r.expectAllIngress("x/a", false)),
      },
    ],
  },
  {
    name: "policies-union",
    cite: "network-policy.md §1: policies never conflict, the allowed set is the union across policies selecting the pod",
    covers: ["union"],
    policies: [
      netpol("x", "allow-y-on-80", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y") }], ports: [{ port: 80 }] }] }),
      netpol("x", "allow-pod-c-anywhere", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: all, podSelector: pod("c") }] }] }),
    ],
    expect: matrix((r, on) => {
      r.expectAllIngress("x/a", false).expectPeer("*/c", "x/a", true);
      if (is(on, "80/TCP")) r.expectPeer("y/*", "x/a", true);
    }),
  },

  // --- ipBlock -----------------------------------------------------------------
  {
    name: "ipblock-egress-to-pod-ip",
    cite: `${E2E} "should allow egress access to server in CIDR block"`,
    covers: ["ipblock"],
    policies: (ctx) => [
      netpol("x", "allow-client-a-via-cidr-egress-rule", { podSelector: pod("a"), policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: `${ctx.podIP("y/b")}/32` } }] }] }),
    ],
    expect: matrix((r) => r.expectAllEgress("x/a", false).expect("x/a", "y/b", true)),
  },
  {
    name: "ipblock-except-pod-ip-then-second-policy",
    cite: `${E2E} "should enforce except clause while egress access to server in CIDR block" and "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed"; network-policy.md §2: except only carves a hole in that peer, another policy can still allow it`,
    covers: ["ipblock", "ipblock-except-pod-ip", "union", "policy-update"],
    policies: (ctx) => [
      netpol("x", "allow-client-a-via-cidr-egress-rule", {
        podSelector: pod("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: cidrAround(ctx.podIP("x/b"), 4), except: [`${ctx.podIP("x/b")}/32`] } }] }],
      }),
    ],
    expect: matrix((r) => r.expect("x/a", "x/b", false)),
    steps: [
      {
        description: "a second policy allows x/b's /32: the union fills the hole",
        actions: [
          {
            apply: (ctx) => [
              netpol("x", "allow-client-a-to-x-b", { podSelector: pod("a"), policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: `${ctx.podIP("x/b")}/32` } }] }] }),
            ],
          },
        ],
        expect: matrix(),
      },
      {
        description: "the first policy is replaced by x/b's /32 (upstream's update): x/a reaches only x/b",
        actions: [
          {
            apply: (ctx) => [
              netpol("x", "allow-client-a-via-cidr-egress-rule", {
                podSelector: pod("a"),
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: `${ctx.podIP("x/b")}/32` } }] }],
              }),
            ],
          },
        ],
        expect: matrix((r) => r.expectAllEgress("x/a", false).expect("x/a", "x/b", true)),
      },
    ],
  },
  {
    name: "ipblock-ingress-everything-except-one-pod",
    cite: "network-policy.md §2 (ingress ipBlock matches the source IP the destination sees; pod-to-pod is not NATed) and §8 (0.0.0.0/0 includes pods: projectcalico/calico#6634)",
    covers: ["ipblock", "ipblock-except-pod-ip"],
    policies: (ctx) => [
      netpol("x", "allow-all-but-y-b", { podSelector: pod("a"), ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0", except: [`${ctx.podIP("y/b")}/32`] } }] }] }),
    ],
    expect: matrix((r) => r.expect("y/b", "x/a", false)),
  },

  // --- DNS -----------------------------------------------------------------------
  {
    name: "default-deny-egress-breaks-dns",
    cite: "network-policy.md §8: default-deny egress silently breaks DNS (kubernetes/website#38267)",
    covers: ["egress-dns", "default-deny-egress"],
    policies: [denyEgressX],
    expect: matrix((r) => r.expectPeer("x/*", "*", false)),
    dns: [
      { from: "x/a", resolves: false },
      { from: "y/a", resolves: true },
    ],
  },
  {
    name: "default-deny-egress-allowing-dns",
    cite: "network-policy.md §8: UDP and TCP 53 to kube-dns must be allowed (kubernetes/website#54997); policy sees the pod after the Service's DNAT",
    covers: ["egress-dns", "default-deny-egress", "and-vs-or"],
    policies: [
      netpol("x", "deny-egress-but-dns", {
        podSelector: all,
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: nsNamed("kube-system"), podSelector: labels({ "k8s-app": "kube-dns" }) }],
            ports: [
              { port: 53, protocol: "UDP" },
              { port: 53, protocol: "TCP" },
            ],
          },
        ],
      }),
    ],
    expect: matrix((r) => r.expectPeer("x/*", "*", false)),
    dns: [
      { from: "x/a", resolves: true },
      { from: "y/a", resolves: true },
    ],
  },

  // --- changes: policy updates, deletion, labels ----------------------------------
  {
    name: "policy-updated-allow-all-to-deny-all",
    cite: `${E2E} "should enforce updated policy"`,
    covers: ["policy-update", "default-deny-ingress"],
    policies: [netpol("x", "allow-all-mutate-to-deny-all", { podSelector: all, ingress: [{}] })],
    expect: matrix(),
    steps: [
      {
        description: "the policy's ingress becomes [] (deny all)",
        actions: [{ apply: [netpol("x", "allow-all-mutate-to-deny-all", { podSelector: all, ingress: [] })] }],
        expect: matrix((r) => r.expectPeer("*", "x/*", false)),
      },
    ],
  },
  {
    name: "policy-deleted",
    cite: `${E2E} "should stop enforcing policies after they are deleted"`,
    covers: ["policy-update", "default-deny-all"],
    policies: [netpol("x", "deny-all", { podSelector: all, policyTypes: ["Ingress", "Egress"] })],
    expect: matrix((r) => r.expectPeer("x/*", "*", false).expectPeer("*", "x/*", false)),
    steps: [
      {
        description: "the policy is deleted",
        actions: [{ delete: [{ kind: "NetworkPolicy", namespace: "x", name: "deny-all" }] }],
        expect: matrix(),
      },
    ],
  },
  {
    name: "namespace-label-moves-peers-in-and-out",
    cite: `${E2E} "should allow ingress access from updated namespace"`,
    covers: ["label-change", "namespace-selector"],
    policies: [netpol("x", "allow-client-a-via-ns-selector", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: labels({ ns2: "updated" }) }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false)),
    steps: [
      {
        description: "namespace y gets ns2=updated",
        actions: [{ labelNamespace: { namespace: "y", labels: { ns2: "updated" } } }],
        expect: matrix((r) => r.expectAllIngress("x/a", false).expectPeer("y/*", "x/a", true)),
      },
      {
        description: "the label is removed again",
        actions: [{ labelNamespace: { namespace: "y", labels: { ns2: null } } }],
        expect: matrix((r) => r.expectAllIngress("x/a", false)),
      },
    ],
  },
  {
    name: "pod-label-moves-peer-in-and-out",
    cite: `${E2E} "should allow ingress access from updated pod"`,
    covers: ["label-change", "pod-selector"],
    policies: [netpol("x", "allow-client-a-via-pod-selector", { podSelector: pod("a"), ingress: [{ from: [{ podSelector: labels({ pod: "b", pod2: "updated" }) }] }] })],
    expect: matrix((r) => r.expectAllIngress("x/a", false)),
    steps: [
      {
        description: "x/b gets pod2=updated",
        actions: [{ labelPod: { pod: "x/b", labels: { pod2: "updated" } } }],
        expect: matrix((r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true)),
      },
      {
        description: "the label is removed again",
        actions: [{ labelPod: { pod: "x/b", labels: { pod2: null } } }],
        expect: matrix((r) => r.expectAllIngress("x/a", false)),
      },
    ],
  },
  {
    name: "pod-label-isolates-and-releases-target",
    cite: `${E2E} "should deny ingress access to updated pod"`,
    covers: ["label-change", "default-deny-ingress"],
    policies: [netpol("x", "deny-ingress-via-label-selector", { podSelector: labels({ target: "isolated" }), policyTypes: ["Ingress"] })],
    expect: matrix(),
    steps: [
      {
        description: "x/a gets target=isolated",
        actions: [{ labelPod: { pod: "x/a", labels: { target: "isolated" } } }],
        expect: matrix((r) => r.expectAllIngress("x/a", false)),
      },
      {
        description: "the label is removed again",
        actions: [{ labelPod: { pod: "x/a", labels: { target: null } } }],
        expect: matrix(),
      },
    ],
  },

  // --- ClusterNetworkPolicy tiers ---------------------------------------------------
  {
    name: "cnp-admin-deny-beats-networkpolicy-allow",
    cite: `${CNP_TYPES} Tier (Admin decides first; Deny: no further ClusterNetworkPolicy or NetworkPolicy rules); ${CONFORMANCE} AdminNetworkPolicyIntegration "Should Deny traffic from slytherin to gryffindor respecting ANP"`,
    covers: ["cnp-admin-deny-beats-np"],
    policies: [
      netpol("x", "allow-all", { podSelector: all, ingress: [{}] }),
      cnp("deny-y-to-x", { tier: "Admin", priority: 10, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Deny", from: [{ namespaces: nsNamed("y") }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("y/*", "x/*", false)),
  },
  {
    name: "cnp-admin-accept-beats-networkpolicy-deny",
    cite: `${CNP_TYPES} ClusterNetworkPolicyIngressRule.action (Accept: no further ingress ClusterNetworkPolicy or NetworkPolicy rules are processed)`,
    covers: ["cnp-admin-accept-beats-np"],
    policies: [
      denyIngressX,
      cnp("accept-z-to-x", { tier: "Admin", priority: 10, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Accept", from: [{ namespaces: nsNamed("z") }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("*", "x/*", false).expectPeer("z/*", "x/*", true)),
  },
  {
    name: "cnp-admin-accept-egress-destination-ingress-still-applies",
    cite: `${CNP_TYPES} ClusterNetworkPolicyEgressRule.action (Accept: no further egress rules, but any ingress rules at the destination do apply)`,
    covers: ["cnp-admin-accept-beats-np", "ingress-and-egress"],
    policies: [
      denyEgressX,
      netpol("y", "deny-ingress-b", { podSelector: pod("b"), policyTypes: ["Ingress"] }),
      cnp("accept-x-to-y", { tier: "Admin", priority: 10, subject: { namespaces: nsNamed("x") }, egress: [{ action: "Accept", to: [{ namespaces: nsNamed("y") }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("x/*", "*", false).expectPeer("x/*", "y/*", true).expectPeer("*", "y/b", false)),
  },
  {
    name: "cnp-admin-egress-deny-beats-networkpolicy-allow",
    cite: `${CNP_TYPES} ClusterNetworkPolicyEgressRule.action (Deny: no further ClusterNetworkPolicy or NetworkPolicy rules); subject by pods`,
    covers: ["cnp-admin-deny-beats-np"],
    policies: [
      netpol("x", "allow-all-egress", { podSelector: all, policyTypes: ["Egress"], egress: [{}] }),
      cnp("deny-x-a-to-z", {
        tier: "Admin",
        priority: 10,
        subject: { pods: { namespaceSelector: nsNamed("x"), podSelector: pod("a") } },
        egress: [{ action: "Deny", to: [{ namespaces: nsNamed("z") }] }],
      }),
    ],
    expect: matrix((r) => r.expectPeer("x/a", "z/*", false)),
  },
  {
    name: "cnp-pass-hands-over-to-networkpolicy",
    cite: `${CONFORMANCE} AdminNetworkPolicyIntegration "Should support a 'pass-ingress' policy for ANP and respect the match for network policy"; ${CNP_TYPES} Pass skips the tier's remaining rules`,
    covers: ["cnp-pass-to-np", "cnp-priority"],
    policies: [
      cnp("pass-y", { tier: "Admin", priority: 5, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Pass", from: [{ namespaces: nsNamed("y") }] }] }),
      cnp("deny-all-to-x", { tier: "Admin", priority: 10, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Deny", from: [{ namespaces: all }] }] }),
      netpol("x", "allow-y-b-to-a", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y"), podSelector: pod("b") }] }] }),
    ],
    // y passes the Admin deny: to x/a the NetworkPolicy decides (only y/b); x/b, x/c are not isolated: allowed.
    expect: matrix((r) => r.expectPeer("*", "x/*", false).expectPeer("y/*", "x/b", true).expectPeer("y/*", "x/c", true).expect("y/b", "x/a", true)),
  },
  {
    name: "cnp-pass-hands-over-to-baseline",
    cite: `${CONFORMANCE} AdminNetworkPolicyIntegration "Should support a 'pass-ingress' policy for ANP and respect the match for baseline admin network policy"`,
    covers: ["cnp-pass-to-baseline", "cnp-priority"],
    policies: [
      cnp("pass-y", { tier: "Admin", priority: 1, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Pass", from: [{ namespaces: nsNamed("y") }] }] }),
      cnp("accept-all", { tier: "Admin", priority: 2, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Accept", from: [{ namespaces: all }] }] }),
      cnp("baseline-deny-y", { tier: "Baseline", priority: 10, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Deny", from: [{ namespaces: nsNamed("y") }] }] }),
    ],
    expect: matrix((r) => r.expectPeer("y/*", "x/*", false)),
  },
  {
    name: "cnp-baseline-applies-only-to-unisolated-pods",
    cite: `${CNP_TYPES} Tier ('v1.NetworkPolicy always makes a final decision for selected pods'; rules within one policy in order); network-policy.md §6`,
    covers: ["cnp-baseline-unisolated-only", "cnp-rule-order"],
    policies: [
      cnp("baseline", {
        tier: "Baseline",
        priority: 10,
        subject: { namespaces: nsNamed("x") },
        ingress: [
          { action: "Accept", from: [{ namespaces: nsNamed("z") }] },
          { action: "Deny", from: [{ namespaces: all }] },
        ],
      }),
      netpol("x", "allow-y-to-a", { podSelector: pod("a"), ingress: [{ from: [{ namespaceSelector: nsNamed("y") }] }] }),
    ],
    // x/a: the NetworkPolicy decides (y only; its implicit deny beats the baseline's Accept of z).
    expect: matrix((r) => r.expectPeer("*", "x/*", false).expectPeer("y/*", "x/a", true).expectPeer("z/*", "x/b", true).expectPeer("z/*", "x/c", true)),
  },
  {
    name: "cnp-baseline-namespace-label-then-networkpolicy",
    cite: `${CNP_TYPES} Tier (Baseline can be overridden by v1.NetworkPolicy); subjects follow namespace labels`,
    covers: ["cnp-baseline-unisolated-only", "label-change"],
    policies: [cnp("baseline-locked", { tier: "Baseline", priority: 10, subject: { namespaces: labels({ locked: "true" }) }, ingress: [{ action: "Deny", from: [{ namespaces: all }] }] })],
    expect: matrix(),
    steps: [
      {
        description: "namespace z gets locked=true",
        actions: [{ labelNamespace: { namespace: "z", labels: { locked: "true" } } }],
        expect: matrix((r) => r.expectPeer("*", "z/*", false)),
      },
      {
        description: "a NetworkPolicy in z allows y: it decides for every z pod",
        actions: [{ apply: [netpol("z", "allow-from-y", { podSelector: all, ingress: [{ from: [{ namespaceSelector: nsNamed("y") }] }] })] }],
        expect: matrix((r) => r.expectPeer("*", "z/*", false).expectPeer("y/*", "z/*", true)),
      },
    ],
  },
  {
    name: "cnp-admin-priority-order",
    cite: `${CONFORMANCE} AdminNetworkPolicyPriorityField; ${CNP_TYPES} priority (lower value first)`,
    covers: ["cnp-priority", "policy-update"],
    // Names sort opposite to priority, so an implementation ordering by name fails.
    policies: [
      cnp("a-deny-y", { tier: "Admin", priority: 20, subject: { namespaces: nsNamed("x") }, ingress: [{ action: "Deny", from: [{ namespaces: nsNamed("y") }] }] }),
      cnp("b-accept-y-a", {
        tier: "Admin",
        priority: 10,
        subject: { namespaces: nsNamed("x") },
        ingress: [{ action: "Accept", from: [{ pods: { namespaceSelector: nsNamed("y"), podSelector: pod("a") } }] }],
      }),
    ],
    expect: matrix((r) => r.expectPeer("y/b", "x/*", false).expectPeer("y/c", "x/*", false)),
    steps: [
      {
        description: "b-accept-y-a moves to priority 30, after the deny",
        actions: [
          {
            apply: [
              cnp("b-accept-y-a", {
                tier: "Admin",
                priority: 30,
                subject: { namespaces: nsNamed("x") },
                ingress: [{ action: "Accept", from: [{ pods: { namespaceSelector: nsNamed("y"), podSelector: pod("a") } }] }],
              }),
            ],
          },
        ],
        expect: matrix((r) => r.expectPeer("y/*", "x/*", false)),
      },
    ],
  },
  {
    name: "cnp-rule-order-first-match",
    cite: `${CONFORMANCE} AdminNetworkPolicyIngressTCP "Should support an 'allow-ingress' policy for TCP protocol; ensure rule ordering is respected"; ${CNP_TYPES} ingress (rules in the order written)`,
    covers: ["cnp-rule-order", "policy-update"],
    policies: [
      cnp("ordered", {
        tier: "Admin",
        priority: 10,
        subject: { namespaces: nsNamed("x") },
        ingress: [
          { action: "Accept", from: [{ pods: { namespaceSelector: nsNamed("y"), podSelector: pod("b") } }] },
          { action: "Deny", from: [{ namespaces: nsNamed("y") }] },
        ],
      }),
    ],
    expect: matrix((r) => r.expectPeer("y/a", "x/*", false).expectPeer("y/c", "x/*", false)),
    steps: [
      {
        description: "the two rules swap places",
        actions: [
          {
            apply: [
              cnp("ordered", {
                tier: "Admin",
                priority: 10,
                subject: { namespaces: nsNamed("x") },
                ingress: [
                  { action: "Deny", from: [{ namespaces: nsNamed("y") }] },
                  { action: "Accept", from: [{ pods: { namespaceSelector: nsNamed("y"), podSelector: pod("b") } }] },
                ],
              }),
            ],
          },
        ],
        expect: matrix((r) => r.expectPeer("y/*", "x/*", false)),
      },
    ],
  },
  {
    name: "cnp-networks-match-pod-ips",
    cite: `${CNP_TYPES} ClusterNetworkPolicyEgressPeer.networks ('cluster-internal traffic will be checked against the rule as well': 0.0.0.0/0 covers pods)`,
    covers: ["cnp-networks", "cnp-admin-accept-beats-np", "cnp-rule-order"],
    policies: (ctx) => [
      denyEgressX,
      cnp("networks", {
        tier: "Admin",
        priority: 10,
        subject: { namespaces: nsNamed("x") },
        egress: [
          { action: "Deny", to: [{ networks: [`${ctx.podIP("y/b")}/32`] }] },
          { action: "Accept", to: [{ networks: ["0.0.0.0/0"] }] },
        ],
      }),
    ],
    expect: matrix((r) => r.expectPeer("x/*", "y/b", false)),
  },
  {
    name: "cnp-ports-and-ranges",
    cite: `${CNP_TYPES} ClusterNetworkPolicyProtocol (tcp/udp destinationPort number or range, inclusive); ${CONFORMANCE} admin-network-policy-standard-port-range-rules.go`,
    covers: ["cnp-ports", "cnp-admin-deny-beats-np", "protocols"],
    policies: [
      cnp("deny-to-c-ports", {
        tier: "Admin",
        priority: 10,
        subject: { pods: { namespaceSelector: all, podSelector: pod("c") } },
        ingress: [
          {
            action: "Deny",
            from: [{ namespaces: all }],
            protocols: [{ tcp: { destinationPort: { number: 80 } } }, { udp: { destinationPort: { range: { start: 81, end: 90 } } } }],
          },
        ],
      }),
    ],
    expect: matrix((r, on) => {
      if (is(on, "80/TCP", "81/UDP")) r.expectPeer("*", "*/c", false);
    }),
  },
  {
    name: "cnp-named-port-resolved-per-pod",
    cite: `${CNP_TYPES} ClusterNetworkPolicyProtocol.destinationNamedPort (a destination pod's containerPort name; experimental)`,
    covers: ["cnp-ports", "named-port"],
    policies: [
      cnp("deny-serve-81-tcp-in-z", {
        tier: "Admin",
        priority: 10,
        subject: { namespaces: nsNamed("z") },
        ingress: [{ action: "Deny", from: [{ namespaces: all }], protocols: [{ destinationNamedPort: "serve-81-tcp" }] }],
      }),
    ],
    expect: matrix((r, on) => {
      if (is(on, "81/TCP")) r.expectPeer("*", "z/a", false).expectPeer("*", "z/b", false);
      if (is(on, "80/TCP")) r.expectPeer("*", "z/c", false);
    }),
  },
  {
    name: "cnp-subject-follows-pod-labels",
    cite: `${CNP_TYPES} ClusterNetworkPolicySubject.pods (namespace AND pod selectors); subjects follow label changes`,
    covers: ["label-change", "cnp-admin-deny-beats-np"],
    policies: [
      cnp("quarantine", {
        tier: "Admin",
        priority: 10,
        subject: { pods: { namespaceSelector: all, podSelector: labels({ quarantine: "true" }) } },
        ingress: [{ action: "Deny", from: [{ namespaces: all }] }],
        egress: [{ action: "Deny", to: [{ namespaces: all }] }],
      }),
    ],
    expect: matrix(),
    steps: [
      {
        description: "y/c gets quarantine=true",
        actions: [{ labelPod: { pod: "y/c", labels: { quarantine: "true" } } }],
        expect: matrix((r) => r.expectAllIngress("y/c", false).expectAllEgress("y/c", false)),
      },
      {
        description: "the label is removed again",
        actions: [{ labelPod: { pod: "y/c", labels: { quarantine: null } } }],
        expect: matrix(),
      },
    ],
  },
];

// ---------------------------------------------------------------------------
// Phases: the whole world a scenario describes at each probe, for pure checks

export interface World {
  /** Live policies, in the order they were created (an update keeps the place). */
  policies: KubeObject[];
  podLabels: Record<string, Record<string, string>>;
  namespaceLabels: Record<string, Record<string, string>>;
}

export interface Phase extends World {
  /** "initial" or the step's description. */
  description: string;
  expect: Expectation[];
  dns: DnsExpectation[];
}

/** Fresh copies: scenarios share builder values, and callers (defaulting, the API client) may change what they get. */
export function objectsOf(objects: Objects, ctx: ScenarioContext): KubeObject[] {
  return structuredClone(typeof objects === "function" ? objects(ctx) : objects);
}

export function refOf(o: KubeObject): ObjectRef {
  const ns = o.metadata?.namespace;
  return { kind: o.kind, ...(ns ? { namespace: ns } : {}), name: o.metadata?.name ?? "" };
}

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && (a.namespace ?? "") === (b.namespace ?? "") && a.name === b.name;
}

function relabel(current: Record<string, string>, change: Record<string, string | null>): Record<string, string> {
  const next = { ...current };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/** The world after the actions: apply creates or replaces by kind/namespace/name. */
export function applyActions(world: World, actions: readonly StepAction[], ctx: ScenarioContext): World {
  let { policies, podLabels: pods, namespaceLabels: nss } = world;
  for (const action of actions) {
    if ("apply" in action) {
      policies = [...policies];
      for (const o of objectsOf(action.apply, ctx)) {
        const i = policies.findIndex((p) => sameRef(refOf(p), refOf(o)));
        if (i >= 0) policies[i] = o;
        else policies.push(o);
      }
    } else if ("delete" in action) {
      for (const ref of action.delete) {
        if (!policies.some((p) => sameRef(refOf(p), ref))) throw new Error(`delete ${ref.kind} ${ref.namespace ?? ""}/${ref.name}: not in the scenario`);
      }
      policies = policies.filter((p) => !action.delete.some((ref) => sameRef(refOf(p), ref)));
    } else if ("labelPod" in action) {
      const { pod: p, labels: change } = action.labelPod;
      if (!pods[p]) throw new Error(`labelPod ${p}: no such pod`);
      pods = { ...pods, [p]: relabel(pods[p], change) };
    } else {
      const { namespace, labels: change } = action.labelNamespace;
      if (!nss[namespace]) throw new Error(`labelNamespace ${namespace}: no such namespace`);
      nss = { ...nss, [namespace]: relabel(nss[namespace], change) };
    }
  }
  return { policies, podLabels: pods, namespaceLabels: nss };
}

/** The topology's own labels, with the API server's automatic namespace-name label. */
export function initialWorld(): World {
  return {
    policies: [],
    podLabels: Object.fromEntries(PODS.map((p) => [p, podLabels(p)])),
    namespaceLabels: Object.fromEntries(NAMESPACES.map((ns) => [ns, { ...namespaceLabels(ns), [NS_NAME_LABEL]: ns }])),
  };
}

/** Every probe of the scenario with the world it runs in: the initial one, then one per step. */
export function scenarioPhases(s: Scenario, ctx: ScenarioContext): Phase[] {
  let world = applyActions(initialWorld(), [{ apply: s.policies }], ctx);
  const phases: Phase[] = [{ description: "initial", ...world, expect: s.expect, dns: s.dns ?? [] }];
  for (const step of s.steps ?? []) {
    world = applyActions(world, step.actions, ctx);
    phases.push({ description: step.description, ...world, expect: step.expect, dns: step.dns ?? [] });
  }
  return phases;
}
