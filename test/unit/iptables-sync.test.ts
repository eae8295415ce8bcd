// A sync against the last one: what is re-rendered and rewritten
// (sync-plan.ts), how the restore text is cut into transactions
// (transaction.ts), and the jumps from built-in chains (jumps.ts).
import { describe, expect, it } from "vitest";
import type { EndpointInfo } from "../../src/agent/proxy/model.js";
import { readyEndpoint, servicePort } from "../support/fixtures.js";
import { JUMP_CHAINS, jumpRuleSpec, jumpSourceChains, missingJumps, renderJumpInserts } from "../../src/agent/proxy/iptables/jumps.js";
import type { ProxyInput } from "../../src/agent/proxy/iptables/render.js";
import { parseIptablesSave } from "../../src/agent/proxy/iptables/save.js";
import { MAX_TOP_LEVEL_EDITS, planSync, type SyncPlan } from "../../src/agent/proxy/iptables/sync-plan.js";
import { groupServices, renderSyncRestore, transactionChainLimit } from "../../src/agent/proxy/iptables/transaction.js";

const port = servicePort;
const ep = (ip: string) => readyEndpoint(ip);

function input(services: ProxyInput["services"]): ProxyInput {
  return { nodeName: "node-1", nodeIPs: ["172.18.0.2"], clusterCIDR: "10.244.0.0/16", masqueradeAll: false, masqueradeBit: 14, services };
}

const A = { port: port({ name: "a", clusterIP: "10.96.80.1" }), endpoints: [ep("10.244.1.20")] };
const B = { port: port({ name: "b", clusterIP: "10.96.80.2" }), endpoints: [ep("10.244.2.21")] };
const C = { port: port({ name: "c", clusterIP: "10.96.80.3" }), endpoints: [] as EndpointInfo[] };

// Chain names of the services above (upstream's hashes of "default/x:http" and the endpoint).
const SVC_A = "KUBE-SVC-LJLTKEPFIKH4UD4I";
const SVC_B = "KUBE-SVC-3G4NXN6J7AAOTTOD";
const SEP_B = "KUBE-SEP-NCEHEXD6T4XNLFQ6";

const keys = (p: SyncPlan) => p.rewrite.map((s) => s.key);

describe("planSync", () => {
  it("plans a full sync first: every service rendered, every top-level chain written, unknown per-service chains deleted", () => {
    const p = planSync(undefined, input([A, B, C]), new Set(), { existingNatChains: ["KUBE-SERVICES", SVC_A, "KUBE-SEP-GONEGONEGONEGONE", "KUBE-FW-GONEGONEGONEGONE", "CUSTOM"] });
    expect(p.full).toBe(true);
    expect(keys(p)).toEqual(["default/a:http", "default/b:http", "default/c:http"]);
    expect([p.writeFilter, p.writeNatTop]).toEqual([true, true]);
    expect(p.stale).toEqual(["KUBE-SEP-GONEGONEGONEGONE", "KUBE-FW-GONEGONEGONEGONE"]);
    expect([...p.next.services.keys()]).toEqual(["default/a:http", "default/b:http", "default/c:http"]);
  });

  it("rewrites only a service whose endpoints changed; the top-level chains stay when its entries in them did not change", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    const B2 = { port: B.port, endpoints: [ep("10.244.2.99")] };
    const p = planSync(first.next, input([A, B2, C]), new Set(["default/b:http"]));
    expect(p.full).toBe(false);
    expect(keys(p)).toEqual(["default/b:http"]);
    expect([p.writeFilter, p.writeNatTop]).toEqual([false, false]);
    expect(p.stale).toEqual([SEP_B]);
    // The untouched services are carried over as they were.
    expect(p.next.services.get("default/a:http")).toBe(first.next.services.get("default/a:http"));
  });

  it("treats new objects for a service as a change even when `changed` does not name it, and the same objects as none", () => {
    const first = planSync(undefined, input([A, B]), new Set());
    expect(keys(planSync(first.next, input([A, B]), new Set()))).toEqual([]);
    expect(keys(planSync(first.next, input([A, { port: B.port, endpoints: [...B.endpoints] }]), new Set()))).toEqual(["default/b:http"]);
    expect(keys(planSync(first.next, input([A, B]), new Set(["default/a:http"])))).toEqual(["default/a:http"]);
  });

  it("edits nat KUBE-SERVICES and the filter table in place when a service gains or loses all its endpoints", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    const gained = planSync(first.next, input([A, B, { port: C.port, endpoints: [ep("10.244.3.3")] }]), new Set(["default/c:http"]));
    // The REJECT goes, the jump comes.
    expect([gained.writeFilter, gained.writeNatTop]).toEqual([false, false]);
    expect(gained.filterEdits).toEqual([`-D KUBE-SERVICES -m comment --comment "default/c:http has no endpoints" -m tcp -p tcp -d 10.96.80.3 --dport 80 -j REJECT`]);
    expect(gained.natEdits).toEqual([`-I KUBE-SERVICES -m comment --comment "default/c:http cluster IP" -m tcp -p tcp -d 10.96.80.3 --dport 80 -j ${gained.rewrite[0]!.chainNames[0]}`]);
    const lost = planSync(first.next, input([A, { port: B.port, endpoints: [] }, C]), new Set(["default/b:http"]));
    expect(lost.filterEdits).toEqual([`-I KUBE-SERVICES -m comment --comment "default/b:http has no endpoints" -m tcp -p tcp -d 10.96.80.2 --dport 80 -j REJECT`]);
    expect(lost.natEdits).toEqual([`-D KUBE-SERVICES -m comment --comment "default/b:http cluster IP" -m tcp -p tcp -d 10.96.80.2 --dport 80 -j ${SVC_B}`]);
    expect(lost.stale).toEqual([SVC_B, SEP_B]);
  });

  it("deletes a removed service's chains and its top-level entries", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    const p = planSync(first.next, input([A, C]), new Set(["default/b:http"]));
    expect(keys(p)).toEqual([]);
    expect(p.stale).toEqual([SVC_B, SEP_B]);
    expect([p.writeFilter, p.writeNatTop, p.filterEdits]).toEqual([false, false, []]);
    expect(p.natEdits).toEqual([`-D KUBE-SERVICES -m comment --comment "default/b:http cluster IP" -m tcp -p tcp -d 10.96.80.2 --dport 80 -j ${SVC_B}`]);
    // A removed service that had no endpoints only had a filter entry.
    const q = planSync(first.next, input([A, B]), new Set(["default/c:http"]));
    expect([q.natEdits, q.stale]).toEqual([[], []]);
    expect(q.filterEdits).toEqual([`-D KUBE-SERVICES -m comment --comment "default/c:http has no endpoints" -m tcp -p tcp -d 10.96.80.3 --dport 80 -j REJECT`]);
  });

  it("inserts a new service's entries on top in their order, and rewrites a top-level chain whole above MAX_TOP_LEVEL_EDITS entries", () => {
    const lb = { port: port({ name: "lb", clusterIP: "10.96.80.9", nodePort: 30009, externalIPs: ["192.0.2.9"] }), endpoints: [ep("10.244.1.9")] };
    const first = planSync(undefined, input([A]), new Set());
    const p = planSync(first.next, input([A, lb]), new Set(["default/lb:http"]));
    const names = p.rewrite[0]!.chainNames;
    const svc = names.find((c) => c.startsWith("KUBE-SVC-"));
    const ext = names.find((c) => c.startsWith("KUBE-EXT-"));
    // -I puts each on top: the last one written ends up first, so they are written in reverse.
    expect(p.natEdits).toEqual([
      `-I KUBE-NODEPORTS -m comment --comment default/lb:http -m tcp -p tcp --dport 30009 -j ${ext}`,
      `-I KUBE-SERVICES -m comment --comment "default/lb:http external IP" -m tcp -p tcp -d 192.0.2.9 --dport 80 -j ${ext}`,
      `-I KUBE-SERVICES -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.80.9 --dport 80 -j ${svc}`,
    ]);
    const many = Array.from({ length: MAX_TOP_LEVEL_EDITS + 1 }, (_, i) => ({ port: port({ name: `s${i}`, clusterIP: `10.96.81.${i}` }), endpoints: [ep("10.244.1.9")] }));
    const big = planSync(first.next, input([A, ...many]), new Set());
    expect([big.writeNatTop, big.natEdits, big.writeFilter]).toEqual([true, [], false]);
  });

  it("turns into a full sync when asked, or when large-cluster mode flips (every SEP rule's comment changes)", () => {
    const first = planSync(undefined, input([A, B]), new Set());
    const forced = planSync(first.next, input([A]), new Set(), { full: true });
    expect([forced.full, keys(forced), forced.stale]).toEqual([true, ["default/a:http"], [SVC_B, SEP_B]]);
    const many = Array.from({ length: 1001 }, (_, i) => ep(`10.244.${i >> 8}.${i & 255}`));
    const big = planSync(first.next, input([A, { port: B.port, endpoints: many }]), new Set(["default/b:http"]));
    expect([big.full, keys(big)]).toEqual([true, ["default/a:http", "default/b:http"]]);
  });
});

describe("renderSyncRestore", () => {
  it("writes a one-endpoint change as one small nat transaction: the service's chains, then the deletion", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    const p = planSync(first.next, input([A, { port: B.port, endpoints: [ep("10.244.2.99")] }, C]), new Set(["default/b:http"]));
    const text = renderSyncRestore(p);
    const sep = p.rewrite[0]!.chainNames[1]!;
    expect(text).toBe(
      [
        "*nat",
        `:${SVC_B} - [0:0]`,
        `:${sep} - [0:0]`,
        `:${SEP_B} - [0:0]`,
        `-A ${SVC_B} -m comment --comment "default/b:http cluster IP" -m tcp -p tcp -d 10.96.80.2 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
        `-A ${SVC_B} -m comment --comment "default/b:http -> 10.244.2.99:8080" -j ${sep}`,
        `-A ${sep} -m comment --comment default/b:http -s 10.244.2.99 -j KUBE-MARK-MASQ`,
        `-A ${sep} -m comment --comment default/b:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.99:8080`,
        `-X ${SEP_B}`,
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("writes a removed service as one nat transaction: its entries deleted before its chains", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    expect(renderSyncRestore(planSync(first.next, input([A, C]), new Set(["default/b:http"])))).toBe(
      [
        "*nat",
        `:${SVC_B} - [0:0]`,
        `:${SEP_B} - [0:0]`,
        `-D KUBE-SERVICES -m comment --comment "default/b:http cluster IP" -m tcp -p tcp -d 10.96.80.2 --dport 80 -j ${SVC_B}`,
        `-X ${SVC_B}`,
        `-X ${SEP_B}`,
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("writes a service's first endpoint as filter and nat edits, the jump after the chains it leads to", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    const p = planSync(first.next, input([A, B, { port: C.port, endpoints: [ep("10.244.3.3")] }]), new Set(["default/c:http"]));
    const [svc, sep] = p.rewrite[0]!.chainNames;
    expect(renderSyncRestore(p)).toBe(
      [
        "*filter",
        `-D KUBE-SERVICES -m comment --comment "default/c:http has no endpoints" -m tcp -p tcp -d 10.96.80.3 --dport 80 -j REJECT`,
        "COMMIT",
        "*nat",
        `:${svc} - [0:0]`,
        `:${sep} - [0:0]`,
        `-A ${svc} -m comment --comment "default/c:http cluster IP" -m tcp -p tcp -d 10.96.80.3 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
        `-A ${svc} -m comment --comment "default/c:http -> 10.244.3.3:8080" -j ${sep}`,
        `-A ${sep} -m comment --comment default/c:http -s 10.244.3.3 -j KUBE-MARK-MASQ`,
        `-A ${sep} -m comment --comment default/c:http -m tcp -p tcp -j DNAT --to-destination 10.244.3.3:8080`,
        `-I KUBE-SERVICES -m comment --comment "default/c:http cluster IP" -m tcp -p tcp -d 10.96.80.3 --dport 80 -j ${svc}`,
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("writes nothing when nothing changed", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    expect(renderSyncRestore(planSync(first.next, input([A, B, C]), new Set()))).toBe("");
  });

  it("writes a full sync as filter (with the missing jumps), the mangle canary, and nat in transactions of whole services; top-level chains and deletions last", () => {
    const p = planSync(undefined, input([A, B, C]), new Set(), { existingNatChains: ["KUBE-SEP-GONEGONEGONEGONE"] });
    const jumps = missingJumps(new Map([["nat PREROUTING", ["-P PREROUTING ACCEPT", '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']]]));
    const text = renderSyncRestore(p, { missingJumps: jumps, maxChainsPerTransaction: 2 });
    const [sepA] = p.rewrite[0]!.chainNames.slice(1);
    expect(text).toBe(
      [
        "*filter",
        ":KUBE-SERVICES - [0:0]",
        ":KUBE-EXTERNAL-SERVICES - [0:0]",
        ":KUBE-FORWARD - [0:0]",
        ":KUBE-NODEPORTS - [0:0]",
        ":KUBE-PROXY-FIREWALL - [0:0]",
        ":KUBE-FIREWALL - [0:0]",
        ":KUBE-PROXY-CANARY - [0:0]",
        `-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
        `-A KUBE-SERVICES -m comment --comment "default/c:http has no endpoints" -m tcp -p tcp -d 10.96.80.3 --dport 80 -j REJECT`,
        "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
        `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT`,
        `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        `-I INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
        `-I FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
        `-I INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS`,
        `-I FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
        `-I OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
        `-I FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD`,
        `-I INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
        `-I OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
        `-I FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
        "-I INPUT -j KUBE-FIREWALL",
        "-I OUTPUT -j KUBE-FIREWALL",
        "COMMIT",
        "*mangle",
        ":KUBE-PROXY-CANARY - [0:0]",
        "COMMIT",
        // a: its two chains fill the first transaction, with the fixed chains.
        "*nat",
        ":KUBE-POSTROUTING - [0:0]",
        ":KUBE-MARK-MASQ - [0:0]",
        `:${SVC_A} - [0:0]`,
        `:${sepA} - [0:0]`,
        "-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000",
        `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
        "-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000",
        `-A ${SVC_A} -m comment --comment "default/a:http cluster IP" -m tcp -p tcp -d 10.96.80.1 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
        `-A ${SVC_A} -m comment --comment "default/a:http -> 10.244.1.20:8080" -j ${sepA}`,
        `-A ${sepA} -m comment --comment default/a:http -s 10.244.1.20 -j KUBE-MARK-MASQ`,
        `-A ${sepA} -m comment --comment default/a:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.20:8080`,
        "COMMIT",
        // b (and c, which has no chains) in the last one, with what jumps to them and the deletions.
        "*nat",
        ":KUBE-SERVICES - [0:0]",
        ":KUBE-NODEPORTS - [0:0]",
        ":KUBE-PROXY-CANARY - [0:0]",
        `:${SVC_B} - [0:0]`,
        `:${SEP_B} - [0:0]`,
        ":KUBE-SEP-GONEGONEGONEGONE - [0:0]",
        `-A ${SVC_B} -m comment --comment "default/b:http cluster IP" -m tcp -p tcp -d 10.96.80.2 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
        `-A ${SVC_B} -m comment --comment "default/b:http -> 10.244.2.21:8080" -j ${SEP_B}`,
        `-A ${SEP_B} -m comment --comment default/b:http -s 10.244.2.21 -j KUBE-MARK-MASQ`,
        `-A ${SEP_B} -m comment --comment default/b:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.21:8080`,
        `-A KUBE-SERVICES -m comment --comment "default/a:http cluster IP" -m tcp -p tcp -d 10.96.80.1 --dport 80 -j ${SVC_A}`,
        `-A KUBE-SERVICES -m comment --comment "default/b:http cluster IP" -m tcp -p tcp -d 10.96.80.2 --dport 80 -j ${SVC_B}`,
        `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
        "-X KUBE-SEP-GONEGONEGONEGONE",
        `-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
        `-I POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING`,
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("keeps a small full sync in one nat transaction", () => {
    const text = renderSyncRestore(planSync(undefined, input([A, B, C]), new Set()));
    expect(text.match(/^\*nat$/gm)).toHaveLength(1);
  });
});

describe("transactionChainLimit", () => {
  it("is 500 chains on a fresh node and grows with the square root of the chains already there", () => {
    expect([0, 1_000, 11_000, 110_000].map(transactionChainLimit)).toEqual([500, 500, 1259, 3980]);
  });

  it("is fed the chains written before, or the listed ones", () => {
    const first = planSync(undefined, input([A, B, C]), new Set());
    expect(first.chainsBefore).toBe(0);
    expect(planSync(first.next, input([A, B, C]), new Set()).chainsBefore).toBe(4); // SVC + SEP for a and b
    expect(planSync(undefined, input([A]), new Set(), { existingNatChains: ["KUBE-SERVICES", SVC_B, SEP_B, "OTHER"] }).chainsBefore).toBe(2);
  });
});

describe("groupServices", () => {
  it("packs whole services in order, up to the limit; a bigger service gets a group of its own", () => {
    const svc = (key: string, n: number) => ({ key, chainNames: Array.from({ length: n }, (_, i) => `${key}-${i}`) }) as never;
    const groups = groupServices([svc("a", 2), svc("b", 2), svc("c", 5), svc("d", 1), svc("e", 0)], 4);
    expect(groups.map((g) => g.map((s: { key: string }) => s.key))).toEqual([["a", "b"], ["c"], ["d", "e"]]);
    expect(groupServices([], 4)).toEqual([[]]);
  });
});

describe("jumps from the built-in chains", () => {
  it("are upstream's iptablesJumpChains then kubelet's KUBE-FIREWALL jumps, written as iptables -S prints them", () => {
    expect(JUMP_CHAINS.map((j) => `${j.table} ${j.srcChain} ${jumpRuleSpec(j)}`)).toEqual([
      `filter INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
      `filter FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
      `filter INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS`,
      `filter FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `filter OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `filter FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD`,
      `filter INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      `filter OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      `filter FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      `nat OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `nat PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `nat POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING`,
      "filter INPUT -j KUBE-FIREWALL",
      "filter OUTPUT -j KUBE-FIREWALL",
    ]);
    expect(jumpSourceChains()).toEqual([
      ["filter", "INPUT"],
      ["filter", "FORWARD"],
      ["filter", "OUTPUT"],
      ["nat", "OUTPUT"],
      ["nat", "PREROUTING"],
      ["nat", "POSTROUTING"],
    ]);
  });

  it("are found in iptables -S output whatever else the rules match; only the missing ones are inserted, in upstream's order", () => {
    // As iptables-nft 1.8.9 prints the filter INPUT chain of a node (extra rules of others in between).
    const input = [
      "-P INPUT ACCEPT",
      "-A INPUT -j KUBE-FIREWALL",
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      // the right target with another comment is not the jump
      '-A INPUT -m comment --comment "someone else" -j KUBE-EXTERNAL-SERVICES',
    ];
    const missing = missingJumps(new Map([["filter INPUT", input]]));
    expect(missing.filter((j) => j.srcChain === "INPUT" && j.table === "filter").map((j) => j.dstChain)).toEqual(["KUBE-EXTERNAL-SERVICES"]);
    expect(missing).toHaveLength(JUMP_CHAINS.length - 3);
    expect(renderJumpInserts(missing, "nat")).toEqual([
      `-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `-I PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `-I POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING`,
    ]);
    expect(missingJumps(new Map())).toEqual([...JUMP_CHAINS]);
  });
});

describe("parseIptablesSave", () => {
  it("reads the nat chains and every chain's rules, per table, from iptables-save output", () => {
    const saved = parseIptablesSave(
      [
        "# Generated by iptables-save v1.8.9 (nf_tables) on Sun Nov 22 15:10:40 2026",
        "*filter",
        ":INPUT ACCEPT [0:0]",
        ":KUBE-FIREWALL - [0:0]",
        "-A INPUT -j KUBE-FIREWALL",
        "COMMIT",
        "*nat",
        ":PREROUTING ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
        ":KUBE-SERVICES - [0:0]",
        ":KUBE-SEP-GONEGONEGONEGONE - [0:0]",
        ":FLANNEL-POSTRTG - [0:0]",
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        "-A POSTROUTING -j FLANNEL-POSTRTG",
        "-A KUBE-SEP-GONEGONEGONEGONE -s 10.244.1.2/32 -j KUBE-MARK-MASQ",
        "COMMIT",
        "# Completed on Sun Nov 22 15:10:40 2026",
        "",
      ].join("\n"),
    );
    expect(saved.natChains).toEqual(["PREROUTING", "POSTROUTING", "KUBE-SERVICES", "KUBE-SEP-GONEGONEGONEGONE", "FLANNEL-POSTRTG"]);
    expect(saved.rules.get("filter INPUT")).toEqual(["-A INPUT -j KUBE-FIREWALL"]);
    expect(saved.rules.get("nat PREROUTING")).toEqual(['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(saved.rules.get("nat KUBE-SERVICES")).toEqual([]);
    expect(saved.rules.get("filter OUTPUT")).toBeUndefined();
    // What a full sync then inserts: everything but the two jumps found.
    const missing = missingJumps(saved.rules).map((j) => `${j.table} ${j.srcChain} ${j.dstChain}`);
    expect(missing).not.toContain("nat PREROUTING KUBE-SERVICES");
    expect(missing).not.toContain("filter INPUT KUBE-FIREWALL");
    expect(missing).toHaveLength(JUMP_CHAINS.length - 2);
  });
});
