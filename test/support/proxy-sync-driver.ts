// Runs kube-proxy's IptablesSyncer on a scripted sequence of states in the
// network namespace it is started in (the caller enters one with nsenter),
// then prints iptables-save. Used by test/integration/proxy-sync.test.ts.
//   node --import tsx proxy-sync-driver.ts sequence|final
// "sequence": a full sync of the first state, then partial syncs through
// every later one; "final": one full sync of the last state.
import { execFileSync } from "node:child_process";
import { IptablesSyncer } from "../../src/agent/proxy/iptables-proxier.js";
import { makeSyntheticInput } from "../../src/agent/proxy/iptables/synthetic.js";
import { servicePortKey } from "../../src/agent/proxy/model.js";
import type { ProxyState } from "../../src/agent/proxy/changes.js";

type Services = ProxyState["services"];

/** The states, each derived from the one before (unchanged services keep their objects, as the change tracker does). */
export function scriptedStates(): Services[] {
  const clusterIP = makeSyntheticInput(40, 3).services;
  const lb = makeSyntheticInput(3, 2, { type: "LoadBalancer" }).services.map((s, i) => ({
    port: { ...s.port, name: `lb${i}`, clusterIP: `10.1.0.${i + 1}`, nodePort: 31000 + i, externalIPs: [`192.0.2.${i + 1}`], loadBalancerIPs: [`198.51.100.${i + 1}`] },
    endpoints: s.endpoints,
  }));
  const s0: Services = [...clusterIP, ...lb];
  const states = [s0];
  const next = (f: (s: Services) => Services) => states.push(f(states[states.length - 1]!));
  const replace = (s: Services, i: number, entry: Services[number]) => s.map((e, j) => (j === i ? entry : e));
  // An endpoint moves; a service loses all endpoints; one is removed; one is added.
  next((s) => replace(s, 10, { port: s[10]!.port, endpoints: s[10]!.endpoints.map((e, j) => (j === 0 ? { ...e, ip: "172.17.9.9" } : e)) }));
  next((s) => replace(s, 20, { port: s[20]!.port, endpoints: [] }));
  next((s) => s.filter((_, j) => j !== 30));
  next((s) => [...s, { port: { ...s[0]!.port, name: "added", clusterIP: "10.9.9.9" }, endpoints: s[0]!.endpoints }]);
  // The empty one gets endpoints again; a LoadBalancer loses its NodePort and externalIP; another gains a source range.
  next((s) => replace(s, 20, { port: s[20]!.port, endpoints: [{ ...s[21]!.endpoints[0]!, ip: "172.17.7.7" }] }));
  next((s) => {
    const i = s.findIndex((e) => e.port.name === "lb0");
    return replace(s, i, { port: { ...s[i]!.port, nodePort: 0, externalIPs: [] }, endpoints: s[i]!.endpoints });
  });
  next((s) => {
    const i = s.findIndex((e) => e.port.name === "lb1");
    return replace(s, i, { port: { ...s[i]!.port, loadBalancerSourceRanges: ["203.0.113.0/24"] }, endpoints: s[i]!.endpoints });
  });
  return states;
}

/** Keys of the service ports that differ (by object) between two states. */
function changedKeys(before: Services, after: Services): Set<string> {
  const old = new Map(before.map((e) => [servicePortKey(e.port), e]));
  const out = new Set<string>();
  for (const e of after) {
    const k = servicePortKey(e.port);
    if (old.get(k) !== e) out.add(k);
    old.delete(k);
  }
  for (const k of old.keys()) out.add(k);
  return out;
}

if (process.argv[1]?.endsWith("proxy-sync-driver.ts")) {
  const mode = process.argv[2];
  const states = scriptedStates();
  const syncer = new IptablesSyncer({ nodeName: "node-1", nodeIPs: ["172.18.0.2"], clusterCIDR: "10.244.0.0/16", masqueradeAll: false });
  const kinds: string[] = [];
  if (mode === "final") {
    kinds.push((await syncer.sync({ services: states[states.length - 1]!, changed: new Set() })).full ? "full" : "partial");
  } else {
    let prev: Services = [];
    for (const s of states) {
      const stats = await syncer.sync({ services: s, changed: changedKeys(prev, s) });
      kinds.push(stats.full ? "full" : `partial:${stats.rewritten}`);
      prev = s;
    }
  }
  console.log(`# syncs: ${kinds.join(" ")}`);
  console.log(execFileSync("iptables-save", [], { encoding: "utf8" }));
}
