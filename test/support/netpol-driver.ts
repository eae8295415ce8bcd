// Runs the NetworkPolicy scenario catalogue (netpol-scenarios.ts) against a
// real cluster, as upstream's e2e suite does: the x/y/z × a/b/c topology,
// then per scenario its policies, a full probe of the matrix (80 and 81, TCP
// and UDP), its steps, each probed again. Propagation is asynchronous (no API
// signal says a policy is programmed), so a phase is probed until it matches
// or 10 s pass, then judged. Every phase also checks the probe's own verdict
// (the evaluator behind `kemu probe --explain`) against the kernel.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Cluster, resourceByKind, type KubeObject, type Pod } from "../../src/index.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "./host.js";
import { NAMESPACES, PODS, PROBED, SCENARIOS, initialWorld, objectsOf, refOf, scenarioPhases, topologyManifests, type Scenario, type ScenarioContext, type StepAction, type World } from "./netpol-scenarios.js";
import { compareReachability, formatComparison, type Cell, type Expectation } from "./reachability.js";

const NETPOLS = resourceByKind("NetworkPolicy")!;
const CNPS = resourceByKind("ClusterNetworkPolicy")!;
const PODS_RES = resourceByKind("Pod")!;
const NAMESPACES_RES = resourceByKind("Namespace")!;

const ALL_REACHABLE = SCENARIOS.find((s) => s.name === "no-policies")!.expect;

export type Placement = "spread over 3 nodes" | "all on one node";

export function describeNetpolScenarios(placement: Placement, scenarios: readonly Scenario[] = SCENARIOS): void {
  describe.skipIf(!rootOnly())(`NetworkPolicy scenarios, pods ${placement}`, () => {
    const name = uniqueClusterName(placement === "all on one node" ? "np1n" : "np3n");
    let cluster: Cluster;
    const ips = new Map<string, string>();
    const ctx: ScenarioContext = {
      podIP: (pod) => {
        const ip = ips.get(pod);
        if (!ip) throw new Error(`no IP for ${pod}`);
        return ip;
      },
    };

    beforeAll(async () => {
      const nodes = placement === "all on one node" ? ["node-1"] : ["node-1", "node-2", "node-3"];
      cluster = await Cluster.start({ ingress: false, name, nodes: 3, timeoutMs: 90_000, manifests: topologyManifests({ nodes }) });
      for (const ns of NAMESPACES) {
        for (const p of await cluster.waitForPods({ namespace: ns, count: 3, condition: "Ready", timeoutMs: 60_000 })) {
          ips.set(`${ns}/${p.metadata.name}`, p.status!.podIP!);
          expect(nodes).toContain(p.spec.nodeName);
        }
      }
    }, 120_000);

    afterAll(async () => {
      await cluster?.stop();
      expect(leftovers(name)).toEqual(NONE);
    });

    const probe = async () =>
      cluster.probe({ namespaces: [...NAMESPACES], ports: [80, 81], protocols: ["TCP", "UDP"], timeoutMs: 300, compare: true });

    /** Probes until the matrix matches (or 10 s pass); returns the last observation. */
    async function probeUntil(expectations: Expectation[]) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const result = await probe();
        const observed: Cell[] = result.cells
          .filter((c) => c.reachable !== null)
          .map((c) => ({ from: c.from, to: c.to, port: c.port, protocol: c.protocol as Cell["protocol"], reachable: c.reachable! }));
        const comparison = compareReachability(expectations, observed);
        if (comparison.wrong.length === 0 || Date.now() > deadline) return { result, observed, comparison };
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    async function act(actions: readonly StepAction[]): Promise<void> {
      for (const a of actions) {
        if ("apply" in a) await cluster.apply(objectsOf(a.apply, ctx));
        else if ("delete" in a) {
          for (const ref of a.delete) await cluster.api.delete(ref.kind === "ClusterNetworkPolicy" ? CNPS : NETPOLS, ref.namespace, ref.name);
        } else if ("labelPod" in a) {
          const [ns, pod] = a.labelPod.pod.split("/") as [string, string];
          await cluster.api.patch<Pod>(PODS_RES, ns, pod, { metadata: { labels: a.labelPod.labels } });
        } else {
          await cluster.api.patch(NAMESPACES_RES, undefined, a.labelNamespace.namespace, { metadata: { labels: a.labelNamespace.labels } });
        }
      }
    }

    /** Back to the bare topology: no policy, the original labels. */
    async function reset(world: World): Promise<void> {
      for (const p of world.policies) {
        const ref = refOf(p as KubeObject);
        await cluster.api.delete(ref.kind === "ClusterNetworkPolicy" ? CNPS : NETPOLS, ref.namespace, ref.name).catch(() => undefined);
      }
      const initial = initialWorld();
      for (const pod of PODS) {
        const extra = Object.keys(world.podLabels[pod] ?? {}).filter((k) => !(k in initial.podLabels[pod]!));
        if (extra.length || JSON.stringify(world.podLabels[pod]) !== JSON.stringify(initial.podLabels[pod])) {
          await act([{ labelPod: { pod, labels: { ...Object.fromEntries(extra.map((k) => [k, null])), ...initial.podLabels[pod] } } }]);
        }
      }
      for (const ns of NAMESPACES) {
        const extra = Object.keys(world.namespaceLabels[ns] ?? {}).filter((k) => !(k in initial.namespaceLabels[ns]!));
        if (extra.length || JSON.stringify(world.namespaceLabels[ns]) !== JSON.stringify(initial.namespaceLabels[ns])) {
          await act([{ labelNamespace: { namespace: ns, labels: { ...Object.fromEntries(extra.map((k) => [k, null])), ...initial.namespaceLabels[ns] } } }]);
        }
      }
      // The next scenario starts from a kernel that has forgotten this one.
      const { comparison, observed } = await probeUntil(ALL_REACHABLE);
      expect(comparison.wrong.length, `after reset:\n${formatComparison(ALL_REACHABLE, observed, comparison)}`).toBe(0);
    }

    const dnsWorks = async (pod: string) => {
      const [ns, name] = pod.split("/") as [string, string];
      const r = await cluster.exec(name, ["dig", "+short", "+time=1", "+tries=1", "kubernetes.default.svc.cluster.local"], { namespace: ns });
      // dig prints its errors (";; communications error …") on stdout too: an answer is an address.
      return r.exitCode === 0 && /^\d+\.\d+\.\d+\.\d+$/m.test(r.stdout);
    };

    for (const scenario of scenarios) {
      it(`${scenario.name} — ${scenario.cite}`, async () => {
        const phases = scenarioPhases(scenario, ctx);
        let world: World = initialWorld();
        try {
          for (const [i, phase] of phases.entries()) {
            await act(i === 0 ? [{ apply: scenario.policies }] : scenario.steps![i - 1]!.actions);
            world = phase;
            const { result, observed, comparison } = await probeUntil(phase.expect);
            const where = `${scenario.name} (${phase.description}), pods ${placement}`;
            expect(comparison.wrong.length, `${where}: the kernel disagrees with the expectation\n${formatComparison(phase.expect, observed, comparison)}`).toBe(0);
            expect(comparison.correct).toBe(PROBED.length * PODS.length * (PODS.length - 1));
            // The probe's own verdict (the evaluator) agrees with the kernel on every cell.
            const disagreements = result.comparison?.mismatches ?? [];
            expect(disagreements.map((d) => `${d.from} -> ${d.to} ${d.port}/${d.protocol}: evaluator ${d.expected}, kernel ${d.observed} (${d.why ?? ""})`), `${where}: probe --compare`).toEqual([]);
            for (const d of phase.dns) {
              let works = await dnsWorks(d.from);
              const until = Date.now() + 5000;
              while (works !== d.resolves && Date.now() < until) works = await dnsWorks(d.from);
              expect(works, `${where}: ${d.from} resolving through kube-dns`).toBe(d.resolves);
            }
          }
        } finally {
          await reset(world);
        }
      }, 90_000);
    }
  });
}
