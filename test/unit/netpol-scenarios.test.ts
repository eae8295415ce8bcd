// The NetworkPolicy scenario catalogue (test/support/netpol-scenarios.ts)
// against the policy evaluator (src/agent/policy/evaluate.ts): for every
// scenario and step, the evaluator's verdict for every cell of the matrix
// must equal the hand-written expectation. Also checks the truth-table
// helpers and that the catalogue itself is well formed (covers issue 10's
// list, full matrices, no vacuous scenario).
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import type { ClusterNetworkPolicy, KubeObject, Namespace, NetworkPolicy, Pod } from "../../src/api/types.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { validateObject } from "../../src/api/validation/index.js";
import { buildPolicyInputs } from "../../src/agent/policy/model.js";
import { PolicyIndex } from "../../src/agent/policy/evaluate.js";
import { renderPolicyTable, type PolicyTableState } from "../../src/agent/policy/render.js";
import { traceForward } from "../support/policy-tracer.js";
import {
  DNS_SERVER,
  NAMESPACES,
  PODS,
  PROBED,
  SCENARIOS,
  SWAPPED_NAMES_POD,
  cidrAround,
  scenarioPhases,
  topologyContainers,
  topologyManifests,
  type Feature,
  type Phase,
  type ScenarioContext,
} from "../support/netpol-scenarios.js";
import { Reachability, TruthTable, compareReachability, expectedCells, formatComparison, podMatcher, type Cell } from "../support/reachability.js";

// Pod IPs as a 3-node cluster would hand them out (node-N owns 10.244.N.0/24).
const IPS: Record<string, string> = Object.fromEntries(PODS.map((p, i) => [p, `10.244.${(i % 3) + 1}.${10 + i}`]));
const DNS_IP = "10.244.1.2";
const ctx: ScenarioContext = {
  podIP(pod) {
    const ip = IPS[pod];
    if (!ip) throw new Error(`no pod ${pod}`);
    return ip;
  },
};

function podObject(key: string, labels: Record<string, string>): Pod {
  const [namespace, name] = key.split("/") as [string, string];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, uid: `uid-${key}`, labels },
    spec: {
      nodeName: `node-${(PODS.indexOf(key) % 3) + 1}`,
      containers: topologyContainers(key).map((c) => ({ name: c.name, image: "agnhost", ports: c.ports })),
    },
    status: { podIP: ctx.podIP(key) },
  };
}

const dnsPod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace: DNS_SERVER.namespace, name: "coredns-abc12", uid: "uid-dns", labels: DNS_SERVER.labels },
  spec: { nodeName: "node-1", containers: [{ name: "coredns", image: "coredns", ports: DNS_SERVER.ports }] },
  status: { podIP: DNS_IP },
};

/**
 * The evaluator's view of one phase: the topology's pods with the phase's
 * labels, and its policies — as written, or as the API server stores them
 * (defaulted: policyTypes, protocol TCP).
 */
function indexFor(phase: Phase, stored: boolean): PolicyIndex {
  const namespaces: Namespace[] = [...NAMESPACES, DNS_SERVER.namespace].map((ns) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, labels: phase.namespaceLabels[ns] ?? { "kubernetes.io/metadata.name": ns } },
  }));
  const pods = [...PODS.map((p) => podObject(p, phase.podLabels[p]!)), dnsPod];
  const policies = stored ? phase.policies.map((o) => applyDefaults(o)) : phase.policies;
  const networkPolicies = policies.filter((o): o is NetworkPolicy => o.kind === "NetworkPolicy");
  const clusterNetworkPolicies = policies.filter((o): o is ClusterNetworkPolicy => o.kind === "ClusterNetworkPolicy");
  return new PolicyIndex(buildPolicyInputs({ pods, namespaces, networkPolicies, clusterNetworkPolicies }));
}

function observedCells(index: PolicyIndex): Cell[] {
  const cells: Cell[] = [];
  for (const { port, protocol } of PROBED) {
    for (const from of PODS) {
      for (const to of PODS) {
        const verdict = index.evaluate({ from: { pod: index.pod(from)! }, to: { pod: index.pod(to)! }, port, protocol });
        cells.push({ from, to, port, protocol, reachable: verdict.allowed });
      }
    }
  }
  return cells;
}

describe("the evaluator reproduces every scenario's matrix", () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, () => {
      for (const phase of scenarioPhases(scenario, ctx)) {
        for (const stored of [true, false]) {
          const index = indexFor(phase, stored);
          const observed = observedCells(index);
          const comparison = compareReachability(phase.expect, observed);
          const as = stored ? "as stored" : "as written";
          expect(comparison.wrong, `${scenario.name} (${phase.description}, policies ${as}; ${scenario.cite})\n${formatComparison(phase.expect, observed, comparison)}`).toEqual([]);
          expect(comparison.correct).toBe(PROBED.length * (PODS.length * PODS.length - PODS.length));
          for (const d of phase.dns) {
            const kubeDns = index.pod(`${DNS_SERVER.namespace}/coredns-abc12`)!;
            const udp = index.evaluate({ from: { pod: index.pod(d.from)! }, to: { pod: kubeDns }, port: 53, protocol: "UDP" });
            expect(udp.allowed, `${scenario.name} (${phase.description}): ${d.from} resolving through kube-dns`).toBe(d.resolves);
          }
        }
      }
    });
  }
});

/**
 * The matrix as the kernel would see it: each node's rendered table (the
 * nft text's data), a packet traced through the client's node (egress) and
 * the server's (ingress) — one table when they share a node.
 */
function tracedCells(index: PolicyIndex, nodeOf: (pod: string) => string): Cell[] {
  const veth = (pod: string) => `veth-${pod}`;
  const tables = new Map<string, PolicyTableState>();
  for (const node of new Set(PODS.map(nodeOf))) {
    const local = PODS.filter((p) => nodeOf(p) === node).map((p) => ({ pod: index.pod(p)!, veth: veth(p) }));
    tables.set(node, renderPolicyTable(index, local));
  }
  const cells: Cell[] = [];
  for (const { port, protocol } of PROBED) {
    for (const from of PODS) {
      for (const to of PODS) {
        if (from === to) continue;
        const pkt = { src: ctx.podIP(from), dst: ctx.podIP(to), protocol, port };
        const egress = traceForward(tables.get(nodeOf(from))!, { ...pkt, inVeth: veth(from) });
        const ingress = traceForward(tables.get(nodeOf(to))!, { ...pkt, outVeth: veth(to) });
        cells.push({ from, to, port, protocol, reachable: egress.verdict === "accept" && ingress.verdict === "accept" });
      }
    }
  }
  return cells;
}

describe("the rendered nftables rules reproduce every scenario's matrix", () => {
  const spread = (pod: string) => `node-${(PODS.indexOf(pod) % 3) + 1}`;
  for (const scenario of SCENARIOS) {
    it(scenario.name, () => {
      for (const phase of scenarioPhases(scenario, ctx)) {
        const index = indexFor(phase, true);
        for (const [placement, nodeOf] of [["spread over 3 nodes", spread], ["all on one node", () => "node-1"]] as const) {
          const observed = tracedCells(index, nodeOf);
          const comparison = compareReachability(phase.expect, observed);
          expect(comparison.wrong, `${scenario.name} (${phase.description}, ${placement})\n${formatComparison(phase.expect, observed, comparison)}`).toEqual([]);
        }
      }
    });
  }
});

describe("the scenario catalogue", () => {
  it("has at least 36 scenarios with unique names and a citation each", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(36);
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const s of SCENARIOS) {
      expect(s.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(s.cite.length, s.name).toBeGreaterThan(10);
    }
  });

  it("covers every item of issue 10's test list", () => {
    const wanted: Feature[] = [
      "default-deny-ingress",
      "default-deny-egress",
      "default-deny-all",
      "same-namespace",
      "pod-vs-namespace-selector",
      "and-vs-or",
      "namespace-selector-empty",
      "ipblock-except-pod-ip",
      "named-port",
      "end-port",
      "protocols",
      "sctp",
      "egress-dns",
      "policy-types-defaulting",
      "union",
      "label-change",
      "cnp-admin-deny-beats-np",
      "cnp-admin-accept-beats-np",
      "cnp-pass-to-np",
      "cnp-pass-to-baseline",
      "cnp-baseline-unisolated-only",
      "cnp-priority",
      "cnp-rule-order",
      "cnp-networks",
    ];
    const covered = new Set(SCENARIOS.flatMap((s) => s.covers));
    expect(wanted.filter((f) => !covered.has(f))).toEqual([]);
  });

  it("gives every phase the full matrix on ports 80 and 81, TCP and UDP, and blocks something somewhere", () => {
    for (const s of SCENARIOS) {
      const phases = scenarioPhases(s, ctx);
      for (const phase of phases) {
        expect(phase.expect.map((e) => `${e.port}/${e.protocol}`), `${s.name}: ${phase.description}`).toEqual(PROBED.map((p) => `${p.port}/${p.protocol}`));
        for (const e of phase.expect) expect(e.reachability.pods).toEqual(PODS);
      }
      // Only the no-policy baseline may expect everything reachable in every phase: a scenario that blocks nothing tests nothing.
      const blocks = phases.some((p) => expectedCells(p.expect).some((c) => !c.reachable));
      expect(blocks, s.name).toBe(s.name !== "no-policies");
    }
  });

  it("writes objects the API serves: namespaced NetworkPolicies, cluster-scoped ClusterNetworkPolicies", () => {
    for (const s of SCENARIOS) {
      for (const phase of scenarioPhases(s, ctx)) {
        for (const o of phase.policies) {
          if (o.kind === "NetworkPolicy") {
            expect(o.apiVersion).toBe("networking.k8s.io/v1");
            expect(NAMESPACES as readonly string[], `${s.name}: ${o.metadata?.name}`).toContain(o.metadata?.namespace);
          } else {
            expect(o.kind, s.name).toBe("ClusterNetworkPolicy");
            expect(o.apiVersion).toBe("policy.networking.k8s.io/v1alpha2");
            expect(o.metadata?.namespace).toBeUndefined();
          }
        }
      }
    }
  });

  it("writes only objects the API server accepts (after its defaulting), so a cluster can apply every phase", () => {
    const refused: string[] = [];
    for (const s of SCENARIOS) {
      for (const phase of scenarioPhases(s, ctx)) {
        for (const o of phase.policies) {
          const errs = validateObject(applyDefaults(o));
          if (errs.length > 0) refused.push(`${s.name}: ${o.kind} ${o.metadata?.name}: ${JSON.stringify(errs)}`);
        }
      }
    }
    expect(refused).toEqual([]);
  });

  it("hands out fresh objects, so a caller that defaults them in place changes no other scenario", () => {
    const s = SCENARIOS.find((x) => x.name === "default-deny-ingress")!;
    const first = scenarioPhases(s, ctx)[0]!.policies[0] as NetworkPolicy;
    first.spec.podSelector.matchLabels = { changed: "yes" };
    const again = scenarioPhases(s, ctx)[0]!.policies[0] as NetworkPolicy;
    expect(again.spec.podSelector).toEqual({});
  });

  it("follows steps: updates replace by name, deletes remove, labels merge and null removes", () => {
    const labelled = scenarioPhases(SCENARIOS.find((s) => s.name === "pod-label-moves-peer-in-and-out")!, ctx);
    expect(labelled.map((p) => p.podLabels["x/b"])).toEqual([{ pod: "b" }, { pod: "b", pod2: "updated" }, { pod: "b" }]);
    const deleted = scenarioPhases(SCENARIOS.find((s) => s.name === "policy-deleted")!, ctx);
    expect(deleted.map((p) => p.policies.length)).toEqual([1, 0]);
    const updated = scenarioPhases(SCENARIOS.find((s) => s.name === "ipblock-except-pod-ip-then-second-policy")!, ctx);
    expect(updated.map((p) => p.policies.map((o) => o.metadata?.name))).toEqual([
      ["allow-client-a-via-cidr-egress-rule"],
      ["allow-client-a-via-cidr-egress-rule", "allow-client-a-to-x-b"],
      ["allow-client-a-via-cidr-egress-rule", "allow-client-a-to-x-b"],
    ]);
    const ns = scenarioPhases(SCENARIOS.find((s) => s.name === "namespace-label-moves-peers-in-and-out")!, ctx);
    expect(ns[1]!.namespaceLabels.y).toEqual({ ns: "y", "kubernetes.io/metadata.name": "y", ns2: "updated" });
  });

  it("cidrAround gives the network of that size containing the address (upstream's makeLargeCIDRForIP uses /4)", () => {
    expect(cidrAround("10.244.2.13", 4)).toBe("0.0.0.0/4");
    expect(cidrAround("10.244.2.13", 16)).toBe("10.244.0.0/16");
    expect(cidrAround("10.244.2.13", 32)).toBe("10.244.2.13/32");
    expect(cidrAround("192.168.77.1", 20)).toBe("192.168.64.0/20");
    expect(() => cidrAround("10.244.2", 8)).toThrow(/not an IPv4 address/);
  });
});

describe("the topology", () => {
  it("is namespaces x, y, z and pods a, b, c, each serving TCP and UDP on 80 and 81 with named ports", () => {
    const objects = topologyManifests();
    expect(objects.filter((o) => o.kind === "Namespace").map((o) => [o.metadata?.name, o.metadata?.labels])).toEqual([
      ["x", { ns: "x" }],
      ["y", { ns: "y" }],
      ["z", { ns: "z" }],
    ]);
    const pods = objects.filter((o): o is Pod => o.kind === "Pod");
    expect(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(PODS);
    const xa = pods[0]!;
    expect(xa.metadata.labels).toEqual({ pod: "a" });
    expect(xa.spec.containers.map((c) => [c.name, c.args, c.ports])).toEqual([
      [
        "cont-80",
        ["netexec", "--http-port=80", "--udp-port=80"],
        [
          { name: "serve-80-tcp", containerPort: 80, protocol: "TCP" },
          { name: "serve-80-udp", containerPort: 80, protocol: "UDP" },
        ],
      ],
      [
        "cont-81",
        ["netexec", "--http-port=81", "--udp-port=81"],
        [
          { name: "serve-81-tcp", containerPort: 81, protocol: "TCP" },
          { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
        ],
      ],
    ]);
    expect(xa.spec.nodeName).toBeUndefined();
  });

  it(`swaps ${SWAPPED_NAMES_POD}'s TCP port names (unless told not to), names stay unique in each pod`, () => {
    const names = (pod: string, swap?: boolean) => topologyContainers(pod, { swapNamedPorts: swap }).flatMap((c) => c.ports.map((p) => `${p.name}=${p.containerPort}/${p.protocol}`));
    expect(names(SWAPPED_NAMES_POD)).toEqual(["serve-81-tcp=80/TCP", "serve-80-udp=80/UDP", "serve-80-tcp=81/TCP", "serve-81-udp=81/UDP"]);
    expect(names(SWAPPED_NAMES_POD, false)).toEqual(["serve-80-tcp=80/TCP", "serve-80-udp=80/UDP", "serve-81-tcp=81/TCP", "serve-81-udp=81/UDP"]);
    for (const p of PODS) expect(new Set(names(p)).size).toBe(4);
  });

  it("places pods round robin on the nodes it is given, and adds a Service per pod on request", () => {
    const spread = topologyManifests({ nodes: ["node-1", "node-2", "node-3"], services: true });
    const pods = spread.filter((o): o is Pod => o.kind === "Pod");
    expect(pods.map((p) => p.spec.nodeName)).toEqual(["node-1", "node-2", "node-3", "node-1", "node-2", "node-3", "node-1", "node-2", "node-3"]);
    const services = spread.filter((o) => o.kind === "Service");
    expect(services.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual(PODS.map((p) => `${p.split("/")[0]}/s-${p.replace("/", "-")}`));
    expect((services[0]!.spec as { ports: unknown[] }).ports).toHaveLength(4);
    const single = topologyManifests({ nodes: ["node-1"] }).filter((o): o is Pod => o.kind === "Pod");
    expect(new Set(single.map((p) => p.spec.nodeName))).toEqual(new Set(["node-1"]));
  });

  it("is what examples/netpol-lab/topology.yaml holds (without the swapped names)", () => {
    const text = readFileSync(new URL("../../examples/netpol-lab/topology.yaml", import.meta.url), "utf8");
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    expect(docs).toEqual(topologyManifests({ swapNamedPorts: false }));
  });
});

describe("reachability truth tables (upstream's reachability.go / truthtable.go)", () => {
  const pods = ["x/a", "x/b", "y/a", "y/b"];

  it("starts all-reachable and edits cells, patterns, columns and rows", () => {
    const r = new Reachability(pods);
    r.expectPeer("*", "x/*", false).expect("y/a", "x/a", true).expectAllEgress("y/b", false).expectPeer("*/b", "y/a", false);
    expect(r.expected.render()).toBe(
      [
        "-\tx/a\tx/b\ty/a\ty/b",
        "x/a\tX\tX\t.\t.",
        "x/b\tX\tX\tX\t.",
        "y/a\t.\tX\t.\t.",
        "y/b\tX\tX\tX\tX",
      ].join("\n"),
    );
    r.expectAllIngress("y/b", true);
    expect(r.reachable("y/b", "y/b")).toBe(true);
  });

  it("matches patterns like upstream's Peer (empty namespace or pod = any)", () => {
    expect(podMatcher("x/*")("x/b")).toBe(true);
    expect(podMatcher("x/*")("y/b")).toBe(false);
    expect(podMatcher("*/b")("y/b")).toBe(true);
    expect(podMatcher("*/b")("y/a")).toBe(false);
    expect(podMatcher("*")("z/c")).toBe(true);
    expect(podMatcher("*/*")("z/c")).toBe(true);
    expect(podMatcher("y/a")("y/a")).toBe(true);
  });

  it("refuses unknown pods, malformed names and patterns that match nothing", () => {
    const r = new Reachability(pods);
    expect(() => r.expect("x/a", "q/a", false)).toThrow(/no column "q\/a"/);
    expect(() => r.expectPeer("q/*", "*", false)).toThrow(/no pod pair matches/);
    expect(() => new Reachability(["x"])).toThrow(/expected "namespace\/name"/);
    expect(() => new TruthTable(["x/a", "x/a"])).toThrow(/duplicate/);
  });

  it("compares cell by cell: the diagonal is ignored, a wrong or missing cell is reported with its direction", () => {
    const r = new Reachability(pods).expectAllIngress("x/a", false);
    const expectation = [{ port: 80, protocol: "TCP" as const, reachability: r }];
    const cells = expectedCells(expectation);
    expect(cells).toHaveLength(12);
    expect(compareReachability(expectation, cells)).toEqual({ correct: 12, ignored: 4, wrong: [] });
    // y/a → x/a observed reachable (expected blocked), x/b → y/b missing, and a loopback cell that disagrees (ignored).
    const observed = cells
      .filter((c) => !(c.from === "x/b" && c.to === "y/b"))
      .map((c) => (c.from === "y/a" && c.to === "x/a" ? { ...c, reachable: true } : c));
    observed.push({ from: "x/a", to: "x/a", port: 80, protocol: "TCP", reachable: true });
    const comparison = compareReachability(expectation, observed);
    expect(comparison.correct).toBe(10);
    expect(comparison.ignored).toBe(4);
    expect(comparison.wrong).toEqual([
      { from: "x/b", to: "y/b", port: 80, protocol: "TCP", expected: true, observed: undefined },
      { from: "y/a", to: "x/a", port: 80, protocol: "TCP", expected: false, observed: true },
    ]);
    const text = formatComparison(expectation, observed, comparison);
    expect(text).toContain("reachability: correct 10, incorrect 2, ignored 4");
    expect(text).toContain("80/TCP comparison (X = wrong):\n-\tx/a\tx/b\ty/a\ty/b\nx/a\t-\t.\t.\t.\nx/b\t.\t-\t.\t?\ny/a\tX\t.\t-\t.");
    expect(text).toContain("y/a → x/a 80/TCP: expected blocked, observed reachable");
    expect(text).toContain("x/b → y/b 80/TCP: expected reachable, observed not probed");
  });

  it("counts the diagonal when asked to", () => {
    const r = new Reachability(pods).expectAllIngress("x/a", false);
    const expectation = [{ port: 81, protocol: "UDP" as const, reachability: r }];
    expect(expectedCells(expectation, { ignoreLoopback: false })).toHaveLength(16);
    const c = compareReachability(expectation, expectedCells(expectation, { ignoreLoopback: false }), { ignoreLoopback: false });
    expect(c).toEqual({ correct: 16, ignored: 0, wrong: [] });
  });
});

describe("the lab README (examples/netpol-lab)", () => {
  const lab = new URL("../../examples/netpol-lab/", import.meta.url);
  const readme = readFileSync(new URL("README.md", lab), "utf8");
  const policyFile = (f: string) => new URL(`policies/${f}`, lab);

  /** The evaluator's view of the lab's topology (no swapped names) with these policy files applied. */
  function labIndex(files: string[]): PolicyIndex {
    const objects = files.flatMap((f) => parseAllDocuments(readFileSync(policyFile(f), "utf8")).map((d) => d.toJS() as KubeObject));
    const pods: Pod[] = PODS.map((key) => {
      const pod = podObject(key, { pod: key.split("/")[1]! });
      pod.spec.containers = topologyContainers(key, { swapNamedPorts: false }).map((c) => ({ name: c.name, image: "agnhost", ports: c.ports }));
      return pod;
    });
    const namespaces: Namespace[] = [...NAMESPACES, "kube-system"].map((ns) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: { ns, "kubernetes.io/metadata.name": ns } },
    }));
    return new PolicyIndex(
      buildPolicyInputs({
        pods,
        namespaces,
        networkPolicies: objects.filter((o): o is NetworkPolicy => o.kind === "NetworkPolicy"),
        clusterNetworkPolicies: objects.filter((o): o is ClusterNetworkPolicy => o.kind === "ClusterNetworkPolicy"),
      }),
    );
  }

  /** Each table that follows a `<!-- lab-check: FILE... -->` marker: the policy files in force, and the table. */
  const checks = [...readme.matchAll(/<!-- lab-check:([^>]*)-->\n```text\n([\s\S]*?)```/g)].map((m) => ({
    files: m[1]!.trim().split(/\s+/).filter(Boolean),
    table: m[2]!.trim().split("\n"),
  }));

  it("has its tables marked, and every file it names exists", () => {
    expect(checks.length).toBeGreaterThanOrEqual(6);
    const named = new Set([...readme.matchAll(/policies\/([\w.-]+\.yaml)/g)].map((m) => m[1]!));
    for (const c of checks) for (const f of c.files) named.add(f);
    for (const f of named) expect(existsSync(policyFile(f)), f).toBe(true);
  });

  it("shows, for each step, the 80/TCP matrix the policies give (diagonal aside)", () => {
    for (const c of checks) {
      const [heading, header, ...rows] = c.table;
      expect(heading, c.files.join(" ")).toBe("80/TCP");
      const columns = header!.trim().split(/\s+/).slice(1);
      expect(columns).toEqual(PODS);
      const index = labIndex(c.files);
      const wrong: string[] = [];
      expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(PODS);
      for (const row of rows) {
        const [from, ...marks] = row.trim().split(/\s+/);
        marks.forEach((m, i) => {
          const to = columns[i]!;
          if (from === to) return;
          const allowed = index.evaluate({ from: { pod: index.pod(from!)! }, to: { pod: index.pod(to)! }, port: 80, protocol: "TCP" }).allowed;
          if ((m === ".") !== allowed) wrong.push(`${from} -> ${to}: README says ${m}, the policies say ${allowed ? "." : "X"}`);
        });
      }
      expect(wrong, `after ${c.files.join(", ") || "no policy"}`).toEqual([]);
    }
  });
});
