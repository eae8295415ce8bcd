// The policy renderer and sync plan: exact text for a small model, the
// partial syncs that changes produce, and — over many generated policy
// combinations — that a packet walked through the rendered rules gets the
// evaluator's verdict (the renderer and `kemu probe --explain` agree).
import { describe, expect, it } from "vitest";
import { buildPolicyInputs, type PolicyProtocol } from "../../src/agent/policy/model.js";
import { PolicyIndex } from "../../src/agent/policy/evaluate.js";
import { renderPolicyTable, type LocalPod, type PolicyTableState } from "../../src/agent/policy/render.js";
import { planPolicySync } from "../../src/agent/policy/sync-plan.js";
import type { ClusterNetworkPolicy, KubeObject, Namespace, NetworkPolicy, Pod } from "../../src/api/types.js";
import { traceForward } from "../support/policy-tracer.js";

type Port = { name: string; containerPort: number; protocol?: string };
function pod(ns: string, name: string, ip: string, node: string, labels: Record<string, string>, ports: Port[] = []): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: ns, name, uid: `${ns}${name}-uid`, labels },
    spec: { nodeName: node, containers: [{ name: "c", ports }] },
    status: { podIP: ip, phase: "Running" },
  } as Pod;
}
function namespace(name: string, labels: Record<string, string> = {}): Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } } } as Namespace;
}
function netpol(ns: string, name: string, spec: NetworkPolicy["spec"]): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace: ns, name }, spec };
}
function cnp(name: string, spec: ClusterNetworkPolicy["spec"]): ClusterNetworkPolicy {
  return { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name }, spec };
}
const veth = (p: { uid: string }) => `veth-${p.uid}`;

function tables(objects: { pods: Pod[]; namespaces: Namespace[]; policies: KubeObject[] }) {
  const inputs = buildPolicyInputs({
    pods: objects.pods,
    namespaces: objects.namespaces,
    networkPolicies: objects.policies.filter((p): p is NetworkPolicy => p.kind === "NetworkPolicy"),
    clusterNetworkPolicies: objects.policies.filter((p): p is ClusterNetworkPolicy => p.kind === "ClusterNetworkPolicy"),
  });
  const index = new PolicyIndex(inputs);
  const byNode = new Map<string, PolicyTableState>();
  for (const node of new Set(inputs.pods.map((p) => p.nodeName!))) {
    const local: LocalPod[] = inputs.pods.filter((p) => p.nodeName === node).map((p) => ({ pod: p, veth: veth(p) }));
    byNode.set(node, renderPolicyTable(index, local));
  }
  return { inputs, index, byNode };
}

describe("renderPolicyTable + planPolicySync", () => {
  const pods = [
    pod("x", "a", "10.244.1.2", "node-1", { pod: "a" }, [{ name: "serve-80-tcp", containerPort: 80 }]),
    pod("x", "b", "10.244.2.2", "node-2", { pod: "b" }, [{ name: "http", containerPort: 8080 }]),
    pod("y", "a", "10.244.1.3", "node-1", { pod: "a" }),
  ];
  const namespaces = [namespace("x"), namespace("y")];
  const allowFromY = netpol("x", "allow-y", {
    podSelector: { matchLabels: { pod: "a" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "y" } } }], ports: [{ protocol: "TCP", port: "serve-80-tcp" }] },
      { from: [{ ipBlock: { cidr: "10.0.0.1/8", except: ["10.244.2.0/24"] } }], ports: [{ protocol: "UDP", port: 80, endPort: 81 }] },
    ],
    egress: [{ to: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ protocol: "TCP", port: "http" }] }],
  });

  it("writes the whole table on the first sync: per-pod chains dispatched by veth, selector and named-port sets, conntrack first", () => {
    const { byNode } = tables({ pods, namespaces, policies: [allowFromY] });
    expect(planPolicySync(undefined, byNode.get("node-1")!).text).toBe(`add table inet kemu-policy
delete table inet kemu-policy
table inet kemu-policy {
  set pods-ccb2e4be23 {
    type ipv4_addr;
    comment "all pods in namespaces {kubernetes.io/metadata.name=y}";
    elements = { 10.244.1.3 }
  }
  set ports-2cecbb5615 {
    type ipv4_addr . inet_proto . inet_service;
    comment "port http/TCP of pods {pod=b} in namespace x";
    elements = { 10.244.2.2 . tcp . 8080 }
  }
  map pod-ingress {
    type ifname : verdict;
    elements = { "veth-xa-uid" : jump pod-ingress-x/a }
  }
  map pod-egress {
    type ifname : verdict;
    elements = { "veth-xa-uid" : jump pod-egress-x/a }
  }
  chain pod-ingress-x/a {
  }
  chain pod-egress-x/a {
  }
  chain pod-ingress-x/a {
    ct state invalid drop
    ip saddr @pods-ccb2e4be23 meta l4proto tcp th dport 80 return comment "netpol x/allow-y ingress[0]"
    ip saddr 10.0.0.0/8 ip saddr != { 10.244.2.0/24 } meta l4proto udp th dport 80-81 return comment "netpol x/allow-y ingress[1]"
    log prefix "kemu-drop ingress np x/allow-y" group 1313 drop comment "isolated by NetworkPolicy x/allow-y"
  }
  chain pod-egress-x/a {
    ct state invalid drop
    ip daddr . meta l4proto . th dport @ports-2cecbb5615 return comment "netpol x/allow-y egress[0]"
    log prefix "kemu-drop egress np x/allow-y" group 1313 drop comment "isolated by NetworkPolicy x/allow-y"
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct state established,related accept
    iifname vmap @pod-egress
    oifname vmap @pod-ingress
  }
  chain input {
    type filter hook input priority filter; policy accept;
    ct state established,related accept
    iifname vmap @pod-egress
  }
}
`);
  });

  it("a pod's new IP changes only set elements; a policy gone removes its chains, dispatch and sets after nothing refers to them", () => {
    const before = tables({ pods, namespaces, policies: [allowFromY] }).byNode.get("node-1")!;
    const moved = [pods[0]!, pods[1]!, pod("y", "a", "10.244.1.9", "node-1", { pod: "a" })];
    const after = tables({ pods: moved, namespaces, policies: [allowFromY] }).byNode.get("node-1")!;
    const plan = planPolicySync(before, after);
    expect(plan.full).toBe(false);
    expect(plan.text).toBe(`delete element inet kemu-policy pods-ccb2e4be23 { 10.244.1.3 }
add element inet kemu-policy pods-ccb2e4be23 { 10.244.1.9 }
`);
    expect(planPolicySync(after, after).text).toBe("");

    const none = tables({ pods: moved, namespaces, policies: [] }).byNode.get("node-1")!;
    expect(planPolicySync(after, none).text).toBe(`flush chain inet kemu-policy pod-ingress-x/a
flush chain inet kemu-policy pod-egress-x/a
delete element inet kemu-policy pod-ingress { "veth-xa-uid" }
delete element inet kemu-policy pod-egress { "veth-xa-uid" }
delete chain inet kemu-policy pod-ingress-x/a
delete chain inet kemu-policy pod-egress-x/a
delete set inet kemu-policy pods-ccb2e4be23
delete set inet kemu-policy ports-2cecbb5615
`);
  });

  it("Admin rules come first in priority order, Pass goes to the pod's tier chain, Baseline applies only without an isolating NetworkPolicy", () => {
    const admin = cnp("pass-x", {
      tier: "Admin",
      priority: 5,
      subject: { namespaces: {} },
      ingress: [
        { name: "from-x", action: "Pass", from: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "x" } } }] },
        { action: "Deny", from: [{ networks: ["0.0.0.0/0"] }], protocols: [{ tcp: { destinationPort: { number: 81 } } }] },
      ],
    });
    const baseline = cnp("baseline-deny", { tier: "Baseline", priority: 0, subject: { namespaces: {} }, ingress: [{ action: "Deny", from: [{ namespaces: {} }] }] });
    const { byNode } = tables({ pods, namespaces, policies: [admin, baseline, allowFromY] });
    const node1 = byNode.get("node-1")!;
    expect(node1.chains.get("pod-ingress-x/a")!.rules).toEqual([
      "ct state invalid drop",
      'ip saddr @pods-cb1d8f5f1d goto pod-ingress-x/a-tiers comment "cnp Admin pass-x ingress[0] from-x"',
      'ip saddr 0.0.0.0/0 meta l4proto tcp th dport 81 log prefix "kemu-drop ingress cnp pass-x 1" group 1313 drop comment "cnp Admin pass-x ingress[1]"',
      "goto pod-ingress-x/a-tiers",
    ]);
    // x/a is isolated by a NetworkPolicy: Baseline never applies to it.
    expect(node1.chains.get("pod-ingress-x/a-tiers")!.rules.at(-1)).toBe('log prefix "kemu-drop ingress np x/allow-y" group 1313 drop comment "isolated by NetworkPolicy x/allow-y"');
    expect(node1.chains.get("pod-ingress-y/a-tiers")!.rules).toEqual(['ip saddr @pods-a3be40c910 log prefix "kemu-drop ingress cnp baseline-deny 0" group 1313 drop comment "cnp Baseline baseline-deny ingress[0]"']);
  });
});

// ---------------------------------------------------------------------------
// Renderer ↔ evaluator, over generated combinations

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NS = ["x", "y", "z"];
const PODS = ["a", "b", "c"];
const topology: Pod[] = NS.flatMap((ns, i) =>
  PODS.map((name, j) =>
    pod(ns, name, `10.244.${j + 1}.${10 + i}`, `node-${j + 1}`, { pod: name, ...(name === "c" ? { tier: "db" } : {}) }, [
      { name: "serve-80-tcp", containerPort: 80 },
      { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
      // y/b names its 81/TCP differently: named ports are per pod
      ...(ns === "y" && name === "b" ? [{ name: "web", containerPort: 81 }] : [{ name: "web", containerPort: 80 }]),
    ]),
  ),
);
const nsObjects = NS.map((n) => namespace(n, n === "z" ? { team: "ops" } : { team: "dev" }));

const POOL: KubeObject[] = [
  netpol("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
  netpol("x", "allow-same-ns", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
  netpol("y", "and-peer", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } }, podSelector: { matchLabels: { pod: "b" } } }] }] }),
  netpol("y", "or-peer", { podSelector: { matchLabels: { pod: "b" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }, { podSelector: { matchLabels: { pod: "c" } } }] }] }),
  netpol("z", "named-ports", { podSelector: {}, ingress: [{ ports: [{ protocol: "TCP", port: "web" }, { protocol: "UDP", port: "serve-81-udp" }] }] }),
  netpol("x", "egress-named", { podSelector: { matchLabels: { pod: "b" } }, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "TCP", port: "web" }] }] }),
  netpol("z", "ipblock", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.2.0/24", "10.244.3.11/32"] } }] }] }),
  netpol("y", "egress-range", { podSelector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] }, egress: [{ ports: [{ protocol: "TCP", port: 80, endPort: 80 }, { protocol: "UDP", port: 60, endPort: 90 }] }] }),
  netpol("z", "egress-ipblock", { podSelector: { matchLabels: { pod: "b" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.244.1.0/24" } }], ports: [{ protocol: "TCP", port: "serve-80-tcp" }] }] }),
  netpol("x", "sctp-only", { podSelector: { matchLabels: { pod: "c" } }, ingress: [{ ports: [{ protocol: "SCTP", port: 80 }] }] }),
  cnp("admin-deny-z", { tier: "Admin", priority: 10, subject: { namespaces: { matchLabels: { team: "dev" } } }, ingress: [{ action: "Deny", from: [{ namespaces: { matchLabels: { team: "ops" } } }] }] }),
  cnp("admin-accept", { tier: "Admin", priority: 5, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "a" } } } }, ingress: [{ action: "Accept", from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } } }], protocols: [{ udp: { destinationPort: { range: { start: 80, end: 81 } } } }] }] }),
  cnp("admin-pass", { tier: "Admin", priority: 1, subject: { namespaces: {} }, egress: [{ action: "Pass", to: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "x" } } }] }, { action: "Deny", to: [{ networks: ["10.244.3.0/24"] }] }] }),
  cnp("admin-named", { tier: "Admin", priority: 20, subject: { namespaces: {} }, egress: [{ action: "Deny", to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { tier: "db" } } } }], protocols: [{ destinationNamedPort: "web" }] }] }),
  cnp("baseline-deny", { tier: "Baseline", priority: 0, subject: { namespaces: {} }, ingress: [{ action: "Accept", from: [{ namespaces: { matchLabels: { team: "dev" } } }] }, { action: "Deny", from: [{ namespaces: {} }] }] }),
  cnp("baseline-pass", { tier: "Baseline", priority: 1, subject: { namespaces: {} }, egress: [{ action: "Pass", to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "a" } } } }] }, { action: "Deny", to: [{ networks: ["10.244.2.0/24"] }], protocols: [{ udp: {} }] }] }),
];

describe("the rendered rules agree with the evaluator", () => {
  const cells: Array<[PolicyProtocol, number]> = [
    ["TCP", 80],
    ["TCP", 81],
    ["UDP", 80],
    ["UDP", 81],
    ["SCTP", 80],
  ];
  const random = rng(10);
  const combos: KubeObject[][] = [[], ...POOL.map((p) => [p])];
  for (let i = 0; i < 150; i++) combos.push(POOL.filter(() => random() < 0.3));

  it(`on every cell of ${combos.length} policy combinations over the 9-pod topology on 3 nodes`, () => {
    let checked = 0;
    let denied = 0;
    for (const policies of combos) {
      const { inputs, index, byNode } = tables({ pods: topology, namespaces: nsObjects, policies });
      for (const from of inputs.pods) {
        for (const to of inputs.pods) {
          if (from.key === to.key) continue;
          for (const [protocol, port] of cells) {
            const expected = index.evaluate({ from: { pod: from }, to: { pod: to }, protocol, port }).allowed;
            const pkt = { src: from.ip!, dst: to.ip!, protocol, port };
            // Egress runs on the client's node, ingress on the server's (the same table when they share a node).
            const egress = traceForward(byNode.get(from.nodeName!)!, { ...pkt, inVeth: veth(from) });
            const ingress = traceForward(byNode.get(to.nodeName!)!, { ...pkt, outVeth: veth(to) });
            const traced = egress.verdict === "accept" && ingress.verdict === "accept";
            if (traced !== expected) {
              throw new Error(`${policies.map((p) => p.metadata!.name).join("+")}: ${from.key} -> ${to.key} ${port}/${protocol}: evaluator ${expected}, rules ${traced} (${JSON.stringify([egress, ingress])})`);
            }
            checked++;
            if (!expected) denied++;
          }
        }
      }
    }
    // The pool is rich enough to deny a good share of cells, and to allow most.
    expect(denied).toBeGreaterThan(checked / 10);
    expect(denied).toBeLessThan(checked * 0.9);
  });
});

describe("hostNetwork pods (network-policy.md §3: their traffic is the node's)", () => {
  it("are never subjects nor pod peers, in the evaluator and in the rendered table alike", () => {
    const host = pod("x", "h", "172.18.0.2", "node-1", { pod: "a" });
    (host.spec as { hostNetwork?: boolean }).hostNetwork = true;
    const client = pod("x", "a", "10.244.1.2", "node-1", { pod: "a" });
    const server = pod("y", "s", "10.244.2.2", "node-2", { app: "s" });
    const policies = [
      netpol("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      netpol("y", "from-pod-a", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: "a" } } }] }] }),
    ];
    const { inputs, index, byNode } = tables({ pods: [host, client, server], namespaces: [namespace("x"), namespace("y")], policies });
    const [h, a, s] = ["x/h", "x/a", "y/s"].map((k) => index.pod(k)!);
    // x/h is selected by nothing (deny-all picks every pod of x but it), and is no peer of from-pod-a.
    expect(index.evaluate({ from: { pod: h! }, to: { pod: s! }, protocol: "TCP", port: 80 }).egress.reason).toBe("not-a-pod");
    expect(index.evaluate({ from: { pod: h! }, to: { pod: s! }, protocol: "TCP", port: 80 }).allowed).toBe(false);
    expect(index.evaluate({ from: { pod: a! }, to: { pod: h! }, protocol: "TCP", port: 80 }).ingress.reason).toBe("not-a-pod");
    const node1 = byNode.get("node-1")!;
    expect([...node1.dispatch.ingress.keys()]).toEqual([veth(a!)]);
    expect([...node1.sets.values()].flatMap((set) => set.elements)).not.toContain("172.18.0.2");
    expect(inputs.pods.find((p) => p.key === "x/h")!.hostNetwork).toBe(true);
  });
});
