// kemu trace's pure parts: reading xtables-monitor's trace events (captures
// from a real 2-node cluster in test/corpus/trace/), naming each rule's
// object, the target grammar and resolver search order, and assembling hops.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AddressBook } from "../../src/observe/address-book.js";
import { assembleTrace, type HostCapture } from "../../src/observe/trace/assemble.js";
import { iptablesRuleObject, nftCommentsByHandle, nftRulesByHandle, policyRuleObject, ruleComment } from "../../src/observe/trace/attribute.js";
import { renderTrace } from "../../src/observe/trace/render.js";
import { renderTraceTable } from "../../src/observe/trace/session.js";
import { parseDigAnswer, parseResolvConf, parseTarget, searchCandidates, serviceOfName, servicePortOf } from "../../src/observe/trace/target.js";
import { parsePacketLine, parseTraceLine, parseXtablesTrace } from "../../src/observe/trace/xtables-monitor.js";
import type { Node, Pod, Service } from "../../src/api/types.js";

const corpus = (name: string) => readFileSync(new URL(`../corpus/trace/${name}`, import.meta.url), "utf8");

const node = (name: string, ip: string, podCIDR: string): Node => ({ apiVersion: "v1", kind: "Node", metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: "InternalIP", address: ip }] } });
const pod = (ns: string, name: string, ip: string, nodeName: string): Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: ns, name }, spec: { nodeName, containers: [] }, status: { phase: "Running", podIP: ip } });
const svc = (ns: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[], lb?: string): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { namespace: ns, name },
  spec: { clusterIP, ports: ports as NonNullable<Service["spec"]>["ports"] },
  ...(lb ? { status: { loadBalancer: { ingress: [{ ip: lb }] } } } : {}),
});

const book = new AddressBook({
  nodes: [node("node-1", "172.18.0.2", "10.244.1.0/24"), node("node-2", "172.18.0.3", "10.244.2.0/24")],
  pods: [pod("default", "client", "10.244.1.2", "node-1"), pod("default", "web-a", "10.244.1.3", "node-1"), pod("default", "web-b", "10.244.2.3", "node-2")],
  services: [svc("default", "web", "10.99.168.69", [{ name: "http", port: 80 }])],
  outsideIP: "172.18.0.1",
});

describe("xtables-monitor --trace", () => {
  it("reads a packet line: addresses, ports, interfaces, TCP flags and the IP id", () => {
    const p = parsePacketLine("PACKET: 2 08ee1bd3 IN=vethc08929c1 MACSRC=ce:1a MACDST=7e:ae MACPROTO=0800 SRC=10.244.1.2 DST=10.99.168.69 LEN=60 TOS=0x0 TTL=64 ID=50342 DF SPORT=45123 DPORT=80 SYN ");
    expect(p).toEqual({ family: 2, id: "08ee1bd3", packet: { src: "10.244.1.2", dst: "10.99.168.69", protocol: "tcp", sport: 45123, dport: 80, iif: "vethc08929c1", flags: "SYN", ipId: 50342 } });
    expect(parsePacketLine("PACKET: 2 b8ff IN=veth OUT=veth2 SRC=10.244.1.3 DST=10.244.1.2 LEN=60 ID=0 DF SPORT=8080 DPORT=45123 SYN ACK")!.packet.flags).toBe("SYN ACK");
    expect(parsePacketLine("PACKET: 2 34af IN=veth SRC=10.244.1.2 DST=10.244.2.3 LEN=37 ID=5 DF SPORT=50532 DPORT=9999")!.packet.protocol).toBe("udp");
    expect(parsePacketLine("PACKET: 2 ff44 IN=eth0 SRC=10.244.2.3 DST=10.244.1.2 LEN=65 TOS=0xc0 TTL=63 ID=54235")!.packet.protocol).toBe("icmp");
  });

  it("reads rule verdicts, jumps, nftables' hex verdict codes and chain policies", () => {
    expect(parseTraceLine(' TRACE: 2 08ee1bd3 nat:KUBE-SERVICES:rule:0x23:JUMP:KUBE-SVC-CDGGSHYLG3RE2FKL  -4 -t nat -A KUBE-SERVICES -d 10.99.168.69/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL')!.hit).toEqual({
      table: "nat",
      chain: "KUBE-SERVICES",
      kind: "rule",
      handle: 0x23,
      verdict: "JUMP:KUBE-SVC-CDGGSHYLG3RE2FKL",
      rule: '-4 -t nat -A KUBE-SERVICES -d 10.99.168.69/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL',
    });
    expect(parseTraceLine(" TRACE: 2 a nat:KUBE-POSTROUTING:rule:0xb:0xfffffffb  -4 -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN")!.hit.verdict).toBe("RETURN");
    expect(parseTraceLine(" TRACE: 2 a filter:FORWARD:policy:ACCEPT ")!.hit).toEqual({ table: "filter", chain: "FORWARD", kind: "policy", rule: "", verdict: "ACCEPT" });
    expect(parseTraceLine(" TRACE: 1 dd kemu-policy:pod-ingress-default/web-b:rule:0xe:DROP  ")!.hit).toEqual({ table: "kemu-policy", chain: "pod-ingress-default/web-b", kind: "rule", rule: "", verdict: "DROP", handle: 14 });
  });

  it("groups a capture into packets, each with its hooks in order", () => {
    const packets = parseXtablesTrace(corpus("clusterip-local.node-1.xt"));
    const syn = packets.find((p) => p.passes[0]!.packet.dst === "10.99.168.69" && p.passes[0]!.packet.flags === "SYN")!;
    expect(syn.passes.map((p) => p.hits[0]?.table)).toEqual(["kemu-trace", "nat", "filter", "kemu-policy", "nat"]);
    expect(syn.passes[1]!.hits.map((h) => h.chain)).toEqual(["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-CDGGSHYLG3RE2FKL", "KUBE-SEP-2AZ33KU3V5PGPQZH"]);
    // after DNAT the packet is shown with its new destination
    expect(syn.passes[2]!.packet.dst).toBe("10.244.1.3");
  });

  it("splits a reused trace id into two packets when the second enters kemu trace's table again", () => {
    const text = [
      "PACKET: 2 aa IN=v1 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 ID=1 SPORT=1 DPORT=2 SYN",
      " TRACE: 2 aa kemu-trace-x:pre:rule:0x4:CONTINUE  -4 -t kemu-trace-x -A pre -j TRACE",
      "PACKET: 2 aa IN=v1 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 ID=1 SPORT=1 DPORT=2 SYN",
      " TRACE: 2 aa nat:PREROUTING:policy:ACCEPT",
      "PACKET: 2 aa IN=v1 SRC=10.0.0.1 DST=10.0.0.2 LEN=52 ID=2 SPORT=1 DPORT=2 ACK",
      " TRACE: 2 aa kemu-trace-x:pre:rule:0x4:CONTINUE  -4 -t kemu-trace-x -A pre -j TRACE",
    ].join("\n");
    const packets = parseXtablesTrace(text);
    expect(packets.map((p) => p.passes[0]!.packet.ipId)).toEqual([1, 2]);
    expect(packets.map((p) => p.seq)).toEqual([0, 1]);
  });
});

describe("rules back to objects", () => {
  const hit = (chain: string, rule: string) => ({ table: "nat", chain, kind: "rule" as const, rule, verdict: "ACCEPT" });
  it("names kube-proxy's Service rules by the comment upstream writes", () => {
    expect(ruleComment('-A X -m comment --comment "default/web:http cluster IP" -j Y')).toBe("default/web:http cluster IP");
    expect(iptablesRuleObject(hit("KUBE-SERVICES", '-m comment --comment "default/web:http cluster IP" -j KUBE-SVC-X'))).toEqual({ kind: "Service", namespace: "default", name: "web", part: "port http, cluster IP" });
    expect(iptablesRuleObject(hit("KUBE-SVC-X", '-m comment --comment "default/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.33 -j KUBE-SEP-Y'))).toEqual({ kind: "Service", namespace: "default", name: "web", part: "port http, endpoint 10.244.1.3:8080" });
    expect(iptablesRuleObject(hit("KUBE-SEP-Y", '-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.3:8080'))).toEqual({ kind: "Service", namespace: "default", name: "web", part: "port http, endpoint 10.244.1.3:8080" });
    expect(iptablesRuleObject(hit("KUBE-SERVICES", '-m comment --comment "default/empty:http has no endpoints" -j REJECT'))!.part).toBe("port http, has no endpoints");
    expect(iptablesRuleObject(hit("KUBE-SERVICES", '-m comment --comment "default/plain: cluster IP" -j KUBE-SVC-Z'))!.part).toBe("its port, cluster IP");
    expect(iptablesRuleObject(hit("KUBE-EXT-X", '-m comment --comment "masquerade traffic for default/web-lb:http external destinations" -j KUBE-MARK-MASQ'))).toEqual({ kind: "Service", namespace: "default", name: "web-lb", part: "port http, masquerade traffic for external destinations" });
    expect(iptablesRuleObject(hit("PREROUTING", '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'))).toEqual({ kind: "kube-proxy", name: "kube-proxy", part: "kubernetes service portals" });
    expect(iptablesRuleObject(hit("FLANNEL-POSTRTG", '-s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN'))!.kind).toBe("flannel");
    expect(iptablesRuleObject(hit("OUTPUT", "-j ACCEPT"))).toBeUndefined();
  });

  it("names NetworkPolicy rules by the comment kemu's policy table carries, looked up by handle", () => {
    const listing = corpus("netpol-drop.node-2.nft");
    const comments = nftCommentsByHandle(listing);
    expect(comments.get(13)).toBe("netpol default/deny-web-hvjt6 ingress[0]");
    expect(nftRulesByHandle(listing).get(14)).toBe('drop comment "isolated by NetworkPolicy default/deny-web-hvjt6"');
    expect(nftRulesByHandle(listing).has(11)).toBe(false); // a chain, not a rule
    const h = { table: "kemu-policy", chain: "pod-ingress-default/web-b", kind: "rule" as const, rule: "", verdict: "DROP" };
    expect(policyRuleObject(h, comments.get(13))).toEqual({ kind: "NetworkPolicy", namespace: "default", name: "deny-web-hvjt6", part: "ingress rule 0" });
    expect(policyRuleObject(h, comments.get(14))).toMatchObject({ kind: "NetworkPolicy", namespace: "default", name: "deny-web-hvjt6" });
    expect(policyRuleObject(h, "cnp Admin deny-all egress[2] block")).toEqual({ kind: "ClusterNetworkPolicy", name: "deny-all", part: "Admin tier, egress rule 2 (block)" });
    expect(policyRuleObject(h, undefined)).toEqual({ kind: "Pod", namespace: "default", name: "web-b", part: "ingress chain, invalid connection state" });
  });
});

describe("targets and the resolver's search order", () => {
  it("reads URLs, HOST:PORT and SERVICE[:PORT], and says what is wrong with the rest", () => {
    expect(parseTarget("http://web/hostname?x=1")).toEqual({ host: "web", port: 80, url: "http://web/hostname?x=1", path: "/hostname?x=1" });
    expect(parseTarget("http://10.96.0.5:8080/")).toMatchObject({ host: "10.96.0.5", port: 8080 });
    expect(parseTarget("web")).toEqual({ host: "web" });
    expect(parseTarget("web:http")).toEqual({ host: "web", port: "http" });
    expect(parseTarget("10.244.1.3:8080")).toEqual({ host: "10.244.1.3", port: 8080 });
    expect(() => parseTarget("https://web/")).toThrow(/only http:\/\/ URLs/);
    expect(() => parseTarget("10.244.1.3")).toThrow(/an address needs a port/);
    expect(() => parseTarget("web:70000")).toThrow(/not between 1 and 65535/);
    expect(() => parseTarget("we_b:80")).toThrow(/neither an IPv4 address nor a DNS name/);
  });

  it("finds the Service a cluster name points at, and its port by number, name or first", () => {
    const services = [svc("default", "web", "10.0.0.1", [{ name: "http", port: 80 }, { name: "dns", port: 53, protocol: "UDP" }]), svc("other", "web", "10.0.0.2", [{ port: 81 }])];
    expect(serviceOfName("web", "default", "cluster.local", services)?.spec?.clusterIP).toBe("10.0.0.1");
    expect(serviceOfName("web.other", "default", "cluster.local", services)?.spec?.clusterIP).toBe("10.0.0.2");
    expect(serviceOfName("web.other.svc.cluster.local.", "default", "cluster.local", services)?.spec?.clusterIP).toBe("10.0.0.2");
    expect(serviceOfName("web.example.com", "default", "cluster.local", services)).toBeUndefined();
    expect(servicePortOf(services[0]!, undefined)).toEqual({ port: 80, protocol: "tcp", name: "http" });
    expect(servicePortOf(services[0]!, "dns")).toEqual({ port: 53, protocol: "udp", name: "dns" });
    expect(() => servicePortOf(services[0]!, "grpc")).toThrow(/no port named "grpc" \(its ports: http, dns\)/);
  });

  it("asks search-path names first below ndots, the name itself first at or above it (glibc res_search)", () => {
    const conf = parseResolvConf("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    expect(conf).toEqual({ nameservers: ["10.96.0.10"], search: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], ndots: 5 });
    expect(searchCandidates("web", conf)).toEqual(["web.default.svc.cluster.local.", "web.svc.cluster.local.", "web.cluster.local.", "web."]);
    expect(searchCandidates("a.b.c.d.e.f", conf)[0]).toBe("a.b.c.d.e.f.");
    expect(searchCandidates("web.default.svc.cluster.local.", conf)).toEqual(["web.default.svc.cluster.local."]);
  });

  it("reads dig's status and answers", () => {
    const text = ";; Got answer:\n;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n\nweb.default.svc.cluster.local. 30 IN A 10.99.168.69\n";
    expect(parseDigAnswer(text)).toEqual({ rcode: "NOERROR", answers: ["10.99.168.69"] });
    expect(parseDigAnswer(";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 2\n")).toEqual({ rcode: "NXDOMAIN", answers: [] });
    expect(parseDigAnswer(";; connection timed out; no servers could be reached")).toBeUndefined();
  });
});

describe("assembling hops", () => {
  const noPolicy = { policyRules: new Map<number, string>(), policyComments: new Map<number, string>() };
  it("a ClusterIP connection answered on the client's node: KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT, delivered, then the reply", () => {
    const capture: HostCapture = { host: "node-1", packets: parseXtablesTrace(corpus("clusterip-local.node-1.xt")), ...noPolicy };
    const a = assembleTrace({ clientHost: "node-1", clientIP: "10.244.1.2", sourcePort: 45123, protocol: "tcp", destination: { ip: "10.99.168.69", port: 80 }, hosts: [capture], book, traceTablePrefix: "kemu-trace" });
    const [request, reply] = a.hops;
    expect(a.hops.map((h) => `${h.direction} ${h.host} ${h.outcome}`)).toEqual(["request node-1 delivered", "reply node-1 delivered"]);
    expect(request!.dnat).toBe("10.244.1.3:8080");
    expect(request!.masquerade).toBeUndefined();
    expect(request!.rules.filter((r) => r.table === "nat" && r.kind === "rule").map((r) => r.chain).slice(0, 4)).toEqual(["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-CDGGSHYLG3RE2FKL", "KUBE-SEP-2AZ33KU3V5PGPQZH"]);
    expect(request!.rules.some((r) => r.table.startsWith("kemu-trace"))).toBe(false);
    expect(request!.to).toBe("default/web (Service cluster IP, 10.99.168.69:80)");
    expect(reply!.packet).toMatchObject({ src: "10.244.1.3", sport: 8080, dst: "10.244.1.2", dport: 45123, flags: "SYN ACK" });
    expect(a.endpoint).toEqual({ ip: "10.244.1.3", port: 8080 });
    expect(a.droppedBy).toBeUndefined();
  });

  it("a connection to a pod on another node, dropped there by a NetworkPolicy: the same packet found by its IP id", () => {
    const hosts: HostCapture[] = [
      { host: "node-1", packets: parseXtablesTrace(corpus("netpol-drop.node-1.xt")), ...noPolicy },
      { host: "node-2", packets: parseXtablesTrace(corpus("netpol-drop.node-2.xt")), policyRules: nftRulesByHandle(corpus("netpol-drop.node-2.nft")), policyComments: nftCommentsByHandle(corpus("netpol-drop.node-2.nft")) },
    ];
    const a = assembleTrace({ clientHost: "node-1", clientIP: "10.244.1.2", sourcePort: 52720, protocol: "tcp", destination: { ip: "10.244.2.3", port: 8080 }, hosts, book, traceTablePrefix: "kemu-trace" });
    expect(a.hops.map((h) => `${h.direction} ${h.host} ${h.outcome}`)).toEqual(["request node-1 forwarded", "request node-2 dropped"]);
    expect(a.droppedBy).toMatchObject({ host: "node-2", table: "kemu-policy", chain: "pod-ingress-default/web-js5bck5-hvjt6", verdict: "DROP", rule: 'drop comment "isolated by NetworkPolicy default/deny-web-hvjt6"' });
    expect(a.droppedBy!.object).toMatchObject({ kind: "NetworkPolicy", namespace: "default", name: "deny-web-hvjt6" });
    expect(a.endpoint).toBeUndefined();
    const text = renderTrace({ from: "default/client", target: "10.244.2.3:8080", protocol: "tcp", destination: { ip: "10.244.2.3", port: 8080 }, sourcePort: 52720, hops: a.hops, result: "timed out", droppedBy: a.droppedBy!, elapsedMs: 1000 });
    expect(text).toContain("result: timed out, dropped on node-2 by kemu-policy pod-ingress-default/web-js5bck5-hvjt6 [NetworkPolicy default/deny-web-hvjt6");
  });
});

describe("the trace table", () => {
  it("marks packets to or from the peers before conntrack and NAT, in its own table", () => {
    expect(renderTraceTable("kemu-trace-ab", ["10.244.1.2", "172.18.0.2", "10.244.1.2"])).toBe(
      [
        "table ip kemu-trace-ab {",
        "  set peers { type ipv4_addr; elements = { 10.244.1.2, 172.18.0.2 } }",
        "  chain pre { type filter hook prerouting priority -350; policy accept;",
        "    ip saddr @peers meta nftrace set 1",
        "    ip daddr @peers meta nftrace set 1",
        "  }",
        "  chain out { type filter hook output priority -350; policy accept;",
        "    ip saddr @peers meta nftrace set 1",
        "    ip daddr @peers meta nftrace set 1",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });
});
