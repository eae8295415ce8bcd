// kemu flows' pure parts: conntrack and kemu-nflog lines, drop prefixes (as
// the policy renderer writes them), the filter's flags.
import { describe, expect, it } from "vitest";
import { isConntrackLossLine, isDnat, isSnat, parseConntrackLine } from "../../src/observe/flows/conntrack.js";
import { parseDropPrefix, parseNflogLine } from "../../src/observe/flows/nflog.js";
import { parseFlowFilter } from "../../src/observe/flows/name.js";
import { dropLogPrefix, loggedDrop } from "../../src/agent/policy/render.js";

describe("parseConntrackLine", () => {
  it("reads a NEW event of `conntrack -E -o timestamp,id`: both tuples, the state, the id; DNAT and masquerade from the reply tuple", () => {
    const e = parseConntrackLine(
      "[1796685011.632802]\t    [NEW] tcp      6 120 SYN_SENT src=10.244.1.2 dst=10.96.0.20 sport=43512 dport=80 [UNREPLIED] src=10.244.2.4 dst=172.18.0.2 sport=8080 dport=61000 id=1512964750",
    );
    expect(e).toEqual({
      type: "NEW",
      timestamp: 1796685011.632802,
      protocol: "tcp",
      protocolNumber: 6,
      state: "SYN_SENT",
      original: { src: "10.244.1.2", dst: "10.96.0.20", sport: 43512, dport: 80 },
      reply: { src: "10.244.2.4", dst: "172.18.0.2", sport: 8080, dport: 61000 },
      unreplied: true,
      assured: false,
      id: 1512964750,
    });
    expect(isDnat(e!)).toBe(true);
    expect(isSnat(e!)).toBe(true);
  });

  it("reads -o extended, UDP without a state, DESTROY without a timeout, and the byte counters of accounting", () => {
    const udp = parseConntrackLine("[1.5]\t [UPDATE] ipv4     2 udp      17 30 src=10.244.2.2 dst=10.244.1.2 sport=60263 dport=53 src=10.244.1.2 dst=10.244.2.2 sport=53 dport=60263 id=7");
    expect(udp).toMatchObject({ type: "UPDATE", protocol: "udp", protocolNumber: 17, id: 7, unreplied: false });
    expect(udp!.state).toBeUndefined();
    expect(isDnat(udp!) || isSnat(udp!)).toBe(false);
    const destroyed = parseConntrackLine(
      "[2.0]\t[DESTROY] tcp      6 src=10.244.1.2 dst=10.244.1.3 sport=1 dport=80 packets=6 bytes=400 src=10.244.1.3 dst=10.244.1.2 sport=80 dport=1 packets=4 bytes=900 [ASSURED] id=9",
    );
    expect(destroyed).toMatchObject({ type: "DESTROY", assured: true, id: 9, original: { packets: 6, bytes: 400 }, reply: { packets: 4, bytes: 900 } });
  });

  it("reads a `conntrack -L -o id` line as LISTED; ICMP's echo ids stay in their tuples", () => {
    const e = parseConntrackLine("icmp     1 29 src=10.244.1.2 dst=10.244.2.3 type=8 code=0 id=33 src=10.244.2.3 dst=10.244.1.2 type=0 code=0 id=33 mark=0 use=1 id=4242");
    expect(e).toMatchObject({ type: "LISTED", protocol: "icmp", id: 4242, original: { icmpId: 33 }, reply: { icmpId: 33 } });
  });

  it("ignores what is not an entry, and spots the ENOBUFS warning", () => {
    expect(parseConntrackLine("conntrack v1.4.7 (conntrack-tools): 23 flow entries have been shown.")).toBeUndefined();
    expect(parseConntrackLine("")).toBeUndefined();
    expect(isConntrackLossLine("WARNING: We have hit ENOBUFS! We are losing events.")).toBe(true);
    expect(isConntrackLossLine("conntrack v1.4.7 (conntrack-tools): 50 flow events have been shown.")).toBe(false);
  });
});

describe("parseNflogLine", () => {
  it("reads a logged packet, its conntrack original direction when the kernel attached it, and the prefix with its spaces", () => {
    expect(
      parseNflogLine("seq=12 time=1796685011.632802 proto=6 src=10.244.2.2 dst=10.244.1.3 sport=43512 dport=8080 orig-src=10.244.2.2 orig-sport=43512 orig-dst=10.96.0.20 orig-dport=80 flags=S prefix=kemu-drop ingress np x/deny-all"),
    ).toEqual({
      kind: "packet",
      packet: { seq: 12, time: 1796685011.632802, protocolNumber: 6, src: "10.244.2.2", dst: "10.244.1.3", sport: 43512, dport: 8080, origSrc: "10.244.2.2", origSport: 43512, origDst: "10.96.0.20", origDport: 80, prefix: "kemu-drop ingress np x/deny-all" },
    });
  });

  it("reads loss lines, and ignores the ready line", () => {
    expect(parseNflogLine("lost=17")).toEqual({ kind: "lost", count: 17 });
    expect(parseNflogLine("lost=? reason=ENOBUFS: the kernel's socket buffer overflowed")).toEqual({ kind: "lost", reason: "ENOBUFS: the kernel's socket buffer overflowed" });
    expect(parseNflogLine("ready group=1313")).toBeUndefined();
  });
});

describe("drop prefixes: written by the policy renderer, read by kemu flows", () => {
  it("names NetworkPolicies (the first as the policy, the others counted) and ClusterNetworkPolicy rules", () => {
    expect(loggedDrop("ingress", ["np", "x/deny-all"])).toBe('log prefix "kemu-drop ingress np x/deny-all" group 1313 drop');
    expect(parseDropPrefix("kemu-drop ingress np x/deny-all")).toEqual({ direction: "ingress", policy: { kind: "NetworkPolicy", namespace: "x", name: "deny-all", part: "ingress" }, reason: "ingress np x/deny-all" });
    expect(parseDropPrefix("kemu-drop egress np x/a x/b")).toMatchObject({ policy: { name: "a" }, others: 1 });
    expect(parseDropPrefix("kemu-drop egress cnp admin-deny 3")).toEqual({ direction: "egress", policy: { kind: "ClusterNetworkPolicy", name: "admin-deny", part: "egress rule 3" }, reason: "egress cnp admin-deny 3" });
    expect(parseDropPrefix("kemu-drop ingress invalid")).toEqual({ direction: "ingress", reason: "ingress invalid" });
    expect(parseDropPrefix("something else")).toBeUndefined();
    expect(parseDropPrefix("kemu-drop sideways np x/a")).toBeUndefined();
  });

  it("stays within the kernel's 127 bytes: names that do not fit are counted as +N", () => {
    const ids = Array.from({ length: 6 }, (_, i) => `namespace-${i}/policy-with-a-long-name-${i}`);
    const prefix = dropLogPrefix("ingress", ["np", ...ids]);
    expect(Buffer.byteLength(prefix)).toBeLessThanOrEqual(127);
    expect(prefix).toBe(`kemu-drop ingress np ${ids[0]} ${ids[1]} +4`);
    expect(parseDropPrefix(prefix)).toMatchObject({ policy: { namespace: "namespace-0", name: "policy-with-a-long-name-0" }, others: 5 });
    const huge = `ns/${"p".repeat(200)}`;
    expect(dropLogPrefix("egress", ["np", huge])).toBe("kemu-drop egress np +1");
    expect(parseDropPrefix("kemu-drop egress np +1")).toEqual({ direction: "egress", others: 1, reason: "egress np +1" });
  });
});

describe("parseFlowFilter", () => {
  it("takes -n, --pod, --verdict (any case), --node; names the flag when a value is wrong", () => {
    expect(parseFlowFilter({ namespace: "x", pod: "web", verdict: "DROPPED", node: "node-2" })).toEqual({ namespace: "x", pod: "web", verdict: "dropped", node: "node-2" });
    expect(() => parseFlowFilter({ verdict: "denied" })).toThrow('--verdict: expected one of forwarded, dropped, rejected, got "denied"');
    expect(() => parseFlowFilter({ namespace: "X_Y" })).toThrow("-n: ");
    expect(() => parseFlowFilter({ pod: "a/b/c" })).toThrow("--pod: expected a pod name");
  });
});
