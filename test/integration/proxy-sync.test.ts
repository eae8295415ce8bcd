// kube-proxy's iptables syncs against the kernel, without a cluster: partial
// syncs through a scripted series of changes (endpoints moved and gone,
// services removed and added, NodePort/externalIP/source-range changes) must
// leave exactly the rules one full sync of the final state writes — same
// chains, same rules in each chain; only the order of independent entries in
// the top-level chains may differ (partial syncs insert new entries on top).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { rootOnly, uniqueClusterName } from "../support/host.js";

const DRIVER = fileURLToPath(new URL("../support/proxy-sync-driver.ts", import.meta.url));
const TOP_LEVEL = new Set(["filter KUBE-SERVICES", "filter KUBE-EXTERNAL-SERVICES", "filter KUBE-NODEPORTS", "filter KUBE-PROXY-FIREWALL", "nat KUBE-SERVICES", "nat KUBE-NODEPORTS"]);

/** iptables-save as table → chain → rules (without counters and comments). */
function parseSave(text: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  let table = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith(":")) chains.set(`${table} ${line.slice(1).split(" ")[0]}`, []);
    else if (line.startsWith("-A ")) chains.get(`${table} ${line.split(" ")[1]}`)!.push(line);
  }
  // Entries of the top-level chains are independent of each other: compare them as sets
  // (KUBE-SERVICES's last rule, the jump to KUBE-NODEPORTS, is checked separately).
  for (const [k, rules] of chains) if (TOP_LEVEL.has(k)) chains.set(k, [...rules].sort());
  return chains;
}

describe.skipIf(!rootOnly())("kube-proxy iptables syncs", () => {
  const namespaces: string[] = [];
  afterAll(() => {
    for (const ns of namespaces) execFileSync("ip", ["netns", "del", ns]);
  });

  function runIn(mode: "sequence" | "final"): string {
    const ns = `kemu-${uniqueClusterName("sync")}-${mode}`;
    execFileSync("ip", ["netns", "add", ns]);
    namespaces.push(ns);
    return execFileSync("nsenter", [`--net=/run/netns/${ns}`, process.execPath, "--import", "tsx", DRIVER, mode], { encoding: "utf8", timeout: 120_000 });
  }

  it("partial syncs through many kinds of change end where one full sync of the final state does", () => {
    const sequence = runIn("sequence");
    const final = runIn("final");
    // The first sync is full, every later one partial (and rewrites only the one service that changed).
    expect(sequence.split("\n")[0]).toBe("# syncs: full partial:1 partial:1 partial:0 partial:1 partial:1 partial:1 partial:1");
    const got = parseSave(sequence);
    const want = parseSave(final);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [chain, rules] of want) expect({ chain, rules: got.get(chain) }).toEqual({ chain, rules });
    // The jump to KUBE-NODEPORTS stays the last rule of nat KUBE-SERVICES.
    const natServices = sequence.split("\n").filter((l) => l.startsWith("-A KUBE-SERVICES ") && sequence.indexOf("*nat") < sequence.indexOf(l));
    expect(natServices[natServices.length - 1]).toContain("-j KUBE-NODEPORTS");
    // Rules a full sync wrote are really there: 43 service ports' chains and the jumps from the built-in chains.
    expect(sequence).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect([...got.keys()].filter((k) => k.startsWith("nat KUBE-SVC-")).length).toBe(43);
  });
});
