// The iptables renderer against upstream kube-proxy's rule text (v1.29–1.31):
// chain names, per-service chains, top-level chains, partial restores, jumps.
import { describe, expect, it } from "vitest";
import type { ServicePortInfo } from "../../src/agent/proxy/model.js";
import { readyEndpoint, servicePort } from "../support/fixtures.js";
import {
  endpointChainName,
  isServiceChainName,
  portProtoHash,
  serviceExternalChainName,
  serviceFirewallChainName,
  servicePortChainName,
  servicePortLocalChainName,
} from "../../src/agent/proxy/iptables/names.js";
import {
  masqueradeMark,
  nodePortDestinations,
  renderRules,
  type ProxyInput,
} from "../../src/agent/proxy/iptables/render.js";
import { probability } from "../../src/agent/proxy/iptables/service.js";
import { makeSyntheticInput } from "../../src/agent/proxy/iptables/synthetic.js";

/** A multi-line literal without its first newline and common indentation. */
function dedent(text: string): string {
  const lines = text.replace(/^\n/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join("\n");
}

const port = servicePort;
const ep = readyEndpoint;

function input(services: ProxyInput["services"], o: Partial<ProxyInput> = {}): ProxyInput {
  return { nodeName: "node-1", nodeIPs: ["172.18.0.2"], clusterCIDR: "10.244.0.0/16", masqueradeAll: false, masqueradeBit: 14, services, ...o };
}

// The parts every sync writes (with the defaults above), in upstream's order.
const FILTER_CHAINS = dedent(`
  :KUBE-SERVICES - [0:0]
  :KUBE-EXTERNAL-SERVICES - [0:0]
  :KUBE-FORWARD - [0:0]
  :KUBE-NODEPORTS - [0:0]
  :KUBE-PROXY-FIREWALL - [0:0]
  :KUBE-FIREWALL - [0:0]
  -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);
const FILTER_FORWARD = dedent(`
  -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
  -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT
  -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
const NAT_CHAINS = dedent(`
  :KUBE-SERVICES - [0:0]
  :KUBE-NODEPORTS - [0:0]
  :KUBE-POSTROUTING - [0:0]
  :KUBE-MARK-MASQ - [0:0]`);
const NAT_HEAD = dedent(`
  -A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN
  -A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000
  -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
  -A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000`);
const NAT_TAIL = `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`;

/** The filter table with the given service rules between the fixed parts. */
function filterWith(serviceRules: string): string {
  return [`*filter`, FILTER_CHAINS, ...(serviceRules ? [dedent(serviceRules)] : []), FILTER_FORWARD, `COMMIT`, ``].join("\n");
}

/** The nat table with the given service chain declarations and rules between the fixed parts. */
function natWith(chains: string, rules: string): string {
  return [`*nat`, NAT_CHAINS, ...(chains ? [dedent(chains)] : []), NAT_HEAD, ...(rules ? [dedent(rules)] : []), NAT_TAIL, `COMMIT`, ``].join("\n");
}

describe("chain names", () => {
  it("match the reference vectors (§1.2) and upstream's test names", () => {
    expect(servicePortChainName("ns1/svc1:p80", "TCP")).toBe("KUBE-SVC-XPGD46QRK7WJZT7O");
    expect(servicePortChainName("ns4/svc4:p80", "TCP")).toBe("KUBE-SVC-4SW47YFZTEDKD3PK");
    expect(endpointChainName("ns1/svc1:p80", "TCP", "10.180.0.1:80")).toBe("KUBE-SEP-SXIVWICOYRO3J4NJ");
    expect(servicePortChainName("ns2/svc2:p80", "TCP")).toBe("KUBE-SVC-GNZBNJ2PO5MGZ6GT");
    expect(endpointChainName("ns5/svc5:p80", "TCP", "10.180.0.3:80")).toBe("KUBE-SEP-I77PXRDZVX7PMWMN");
  });

  it("hash the key and the lowercase protocol; the four per-port prefixes share the suffix", () => {
    expect(servicePortChainName("ns1/svc1:p80", "tcp")).toBe(servicePortChainName("ns1/svc1:p80", "TCP"));
    expect(endpointChainName("ns1/svc1:p80", "tcp", "10.180.0.1:80")).toBe("KUBE-SEP-SXIVWICOYRO3J4NJ");
    expect(servicePortChainName("ns1/svc1:p80", "UDP")).not.toBe("KUBE-SVC-XPGD46QRK7WJZT7O");
    const h = portProtoHash("ns1/svc1:p80", "TCP");
    expect(h).toBe("XPGD46QRK7WJZT7O");
    expect([servicePortLocalChainName, serviceExternalChainName, serviceFirewallChainName].map((f) => f("ns1/svc1:p80", "TCP"))).toEqual([
      `KUBE-SVL-${h}`,
      `KUBE-EXT-${h}`,
      `KUBE-FW-${h}`,
    ]);
    // An unnamed port's key is just "ns/name".
    expect(servicePortChainName("default/sticky", "TCP")).toBe("KUBE-SVC-BJWR5DPVIKTHVKZU");
  });

  it("tell kube-proxy's per-service chains from everything else", () => {
    expect(["KUBE-SVC-X", "KUBE-SVL-X", "KUBE-EXT-X", "KUBE-FW-X", "KUBE-SEP-X"].every(isServiceChainName)).toBe(true);
    expect(["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-MARK-MASQ", "KUBE-XLB-X", "CUSTOM"].some(isServiceChainName)).toBe(false);
  });
});

describe("probabilities", () => {
  it("print 1/n with 10 decimals", () => {
    expect([1, 2, 3, 4].map(probability)).toEqual(["1.0000000000", "0.5000000000", "0.3333333333", "0.2500000000"]);
    expect([7, 1000].map(probability)).toEqual(["0.1428571429", "0.0010000000"]);
  });

  it("round an exact tie half to even, as Go's %0.10f (JS toFixed would round it up)", () => {
    expect(probability(2048)).toBe("0.0004882812");
    expect(probability(1024)).toBe("0.0009765625");
  });

  it("the mark is printed as Go's %#08x", () => {
    expect(masqueradeMark(14)).toBe("0x00004000");
    expect(masqueradeMark(0)).toBe("0x00000001");
  });
});

describe("renderRules", () => {
  it("(a) ClusterIP with 3 ready endpoints: exact full text", () => {
    const r = renderRules(
      input([{ port: port({ clusterIP: "10.96.10.10" }), endpoints: [ep("10.244.1.5", { isLocal: true, nodeName: "node-1" }), ep("10.244.2.3"), ep("10.244.2.10")] }]),
    );
    expect(r.filter).toBe(
      dedent(`
      *filter
      :KUBE-SERVICES - [0:0]
      :KUBE-EXTERNAL-SERVICES - [0:0]
      :KUBE-FORWARD - [0:0]
      :KUBE-NODEPORTS - [0:0]
      :KUBE-PROXY-FIREWALL - [0:0]
      :KUBE-FIREWALL - [0:0]
      -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
      -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
      -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT
      -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
      COMMIT
      `),
    );
    // Endpoints in upstream's order: by the "ip:port" string (10.244.2.10 before 10.244.2.3).
    expect(r.nat).toBe(
      dedent(`
      *nat
      :KUBE-SERVICES - [0:0]
      :KUBE-NODEPORTS - [0:0]
      :KUBE-POSTROUTING - [0:0]
      :KUBE-MARK-MASQ - [0:0]
      :KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
      :KUBE-SEP-AFGSLHOD2HFNCBX4 - [0:0]
      :KUBE-SEP-IQIBSY2R4USWK4F3 - [0:0]
      :KUBE-SEP-VQGOCFX4X6FWJPNR - [0:0]
      -A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN
      -A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000
      -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
      -A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000
      -A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.10.10 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.10.10 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-AFGSLHOD2HFNCBX4
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.10:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IQIBSY2R4USWK4F3
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.3:8080" -j KUBE-SEP-VQGOCFX4X6FWJPNR
      -A KUBE-SEP-AFGSLHOD2HFNCBX4 -m comment --comment default/web:http -s 10.244.1.5 -j KUBE-MARK-MASQ
      -A KUBE-SEP-AFGSLHOD2HFNCBX4 -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080
      -A KUBE-SEP-IQIBSY2R4USWK4F3 -m comment --comment default/web:http -s 10.244.2.10 -j KUBE-MARK-MASQ
      -A KUBE-SEP-IQIBSY2R4USWK4F3 -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.10:8080
      -A KUBE-SEP-VQGOCFX4X6FWJPNR -m comment --comment default/web:http -s 10.244.2.3 -j KUBE-MARK-MASQ
      -A KUBE-SEP-VQGOCFX4X6FWJPNR -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.3:8080
      -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
      COMMIT
      `),
    );
    expect(r.natChains).toEqual([
      "KUBE-SERVICES",
      "KUBE-NODEPORTS",
      "KUBE-POSTROUTING",
      "KUBE-MARK-MASQ",
      "KUBE-SVC-CDGGSHYLG3RE2FKL",
      "KUBE-SEP-AFGSLHOD2HFNCBX4",
      "KUBE-SEP-IQIBSY2R4USWK4F3",
      "KUBE-SEP-VQGOCFX4X6FWJPNR",
    ]);
    expect(r.filterChains).toEqual(["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL", "KUBE-FIREWALL"]);
  });

  it("(b) multi-port Service with named TCP, UDP and SCTP ports: one chain set per port", () => {
    const r = renderRules(
      input([
        { port: port({ namespace: "shop", name: "api", portName: "http", clusterIP: "10.96.20.1" }), endpoints: [ep("10.244.1.8"), ep("10.244.2.8")] },
        {
          port: port({ namespace: "shop", name: "api", portName: "dns", protocol: "UDP", clusterIP: "10.96.20.1", port: 53 }),
          endpoints: [ep("10.244.1.8", { port: 5353 }), ep("10.244.2.8", { port: 5353 })],
        },
        {
          port: port({ namespace: "shop", name: "api", portName: "diameter", protocol: "SCTP", clusterIP: "10.96.20.1", port: 3868 }),
          endpoints: [ep("10.244.1.8", { port: 3868 })],
        },
      ]),
    );
    expect(r.filter).toBe(filterWith(""));
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-SVC-RUKNB3TURLFC6SGL - [0:0]
        :KUBE-SEP-WZRD6TF2LQP7I3LM - [0:0]
        :KUBE-SEP-UN5UGRLIOKXDVVK3 - [0:0]
        :KUBE-SVC-TOO6WEO4NPNHHBYJ - [0:0]
        :KUBE-SEP-TAEQGGWGEL5I643N - [0:0]
        :KUBE-SEP-STOFV6SCDUKIQ36X - [0:0]
        :KUBE-SVC-IBIIG24V54XAML4K - [0:0]
        :KUBE-SEP-AXKZIRN7EXZPRAG2 - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "shop/api:http cluster IP" -m tcp -p tcp -d 10.96.20.1 --dport 80 -j KUBE-SVC-RUKNB3TURLFC6SGL
        -A KUBE-SVC-RUKNB3TURLFC6SGL -m comment --comment "shop/api:http cluster IP" -m tcp -p tcp -d 10.96.20.1 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-SVC-RUKNB3TURLFC6SGL -m comment --comment "shop/api:http -> 10.244.1.8:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-WZRD6TF2LQP7I3LM
        -A KUBE-SVC-RUKNB3TURLFC6SGL -m comment --comment "shop/api:http -> 10.244.2.8:8080" -j KUBE-SEP-UN5UGRLIOKXDVVK3
        -A KUBE-SEP-WZRD6TF2LQP7I3LM -m comment --comment shop/api:http -s 10.244.1.8 -j KUBE-MARK-MASQ
        -A KUBE-SEP-WZRD6TF2LQP7I3LM -m comment --comment shop/api:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.8:8080
        -A KUBE-SEP-UN5UGRLIOKXDVVK3 -m comment --comment shop/api:http -s 10.244.2.8 -j KUBE-MARK-MASQ
        -A KUBE-SEP-UN5UGRLIOKXDVVK3 -m comment --comment shop/api:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.8:8080
        -A KUBE-SERVICES -m comment --comment "shop/api:dns cluster IP" -m udp -p udp -d 10.96.20.1 --dport 53 -j KUBE-SVC-TOO6WEO4NPNHHBYJ
        -A KUBE-SVC-TOO6WEO4NPNHHBYJ -m comment --comment "shop/api:dns cluster IP" -m udp -p udp -d 10.96.20.1 --dport 53 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-SVC-TOO6WEO4NPNHHBYJ -m comment --comment "shop/api:dns -> 10.244.1.8:5353" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-TAEQGGWGEL5I643N
        -A KUBE-SVC-TOO6WEO4NPNHHBYJ -m comment --comment "shop/api:dns -> 10.244.2.8:5353" -j KUBE-SEP-STOFV6SCDUKIQ36X
        -A KUBE-SEP-TAEQGGWGEL5I643N -m comment --comment shop/api:dns -s 10.244.1.8 -j KUBE-MARK-MASQ
        -A KUBE-SEP-TAEQGGWGEL5I643N -m comment --comment shop/api:dns -m udp -p udp -j DNAT --to-destination 10.244.1.8:5353
        -A KUBE-SEP-STOFV6SCDUKIQ36X -m comment --comment shop/api:dns -s 10.244.2.8 -j KUBE-MARK-MASQ
        -A KUBE-SEP-STOFV6SCDUKIQ36X -m comment --comment shop/api:dns -m udp -p udp -j DNAT --to-destination 10.244.2.8:5353
        -A KUBE-SERVICES -m comment --comment "shop/api:diameter cluster IP" -m sctp -p sctp -d 10.96.20.1 --dport 3868 -j KUBE-SVC-IBIIG24V54XAML4K
        -A KUBE-SVC-IBIIG24V54XAML4K -m comment --comment "shop/api:diameter cluster IP" -m sctp -p sctp -d 10.96.20.1 --dport 3868 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-SVC-IBIIG24V54XAML4K -m comment --comment "shop/api:diameter -> 10.244.1.8:3868" -j KUBE-SEP-AXKZIRN7EXZPRAG2
        -A KUBE-SEP-AXKZIRN7EXZPRAG2 -m comment --comment shop/api:diameter -s 10.244.1.8 -j KUBE-MARK-MASQ
        -A KUBE-SEP-AXKZIRN7EXZPRAG2 -m comment --comment shop/api:diameter -m sctp -p sctp -j DNAT --to-destination 10.244.1.8:3868`,
      ),
    );
    expect([...r.serviceChains.keys()]).toEqual(["shop/api:http", "shop/api:dns", "shop/api:diameter"]);
  });

  it("(c) ClientIP affinity: recent --rcheck before the probabilities, --set on the DNAT", () => {
    const r = renderRules(input([{ port: port({ name: "sticky", portName: "", clusterIP: "10.96.30.3", affinityTimeoutSeconds: 10800 }), endpoints: [ep("10.244.1.4"), ep("10.244.2.4")] }]));
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-SVC-BJWR5DPVIKTHVKZU - [0:0]
        :KUBE-SEP-IBHVSYI3CZUQBJM7 - [0:0]
        :KUBE-SEP-JIW3GHZM7WLNI5CR - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/sticky cluster IP" -m tcp -p tcp -d 10.96.30.3 --dport 80 -j KUBE-SVC-BJWR5DPVIKTHVKZU
        -A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky cluster IP" -m tcp -p tcp -d 10.96.30.3 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.1.4:8080" -m recent --name KUBE-SEP-IBHVSYI3CZUQBJM7 --rcheck --seconds 10800 --reap -j KUBE-SEP-IBHVSYI3CZUQBJM7
        -A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.2.4:8080" -m recent --name KUBE-SEP-JIW3GHZM7WLNI5CR --rcheck --seconds 10800 --reap -j KUBE-SEP-JIW3GHZM7WLNI5CR
        -A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.1.4:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IBHVSYI3CZUQBJM7
        -A KUBE-SVC-BJWR5DPVIKTHVKZU -m comment --comment "default/sticky -> 10.244.2.4:8080" -j KUBE-SEP-JIW3GHZM7WLNI5CR
        -A KUBE-SEP-IBHVSYI3CZUQBJM7 -m comment --comment default/sticky -s 10.244.1.4 -j KUBE-MARK-MASQ
        -A KUBE-SEP-IBHVSYI3CZUQBJM7 -m comment --comment default/sticky -m recent --name KUBE-SEP-IBHVSYI3CZUQBJM7 --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.4:8080
        -A KUBE-SEP-JIW3GHZM7WLNI5CR -m comment --comment default/sticky -s 10.244.2.4 -j KUBE-MARK-MASQ
        -A KUBE-SEP-JIW3GHZM7WLNI5CR -m comment --comment default/sticky -m recent --name KUBE-SEP-JIW3GHZM7WLNI5CR --set -m tcp -p tcp -j DNAT --to-destination 10.244.2.4:8080`,
      ),
    );
    const short = renderRules(input([{ port: port({ name: "sticky", portName: "", clusterIP: "10.96.30.3", affinityTimeoutSeconds: 600 }), endpoints: [ep("10.244.1.4")] }]));
    expect(short.nat).toContain("--rcheck --seconds 600 --reap -j KUBE-SEP-IBHVSYI3CZUQBJM7\n");
  });

  it("(d) no usable endpoints: REJECT for the ClusterIP, the externalIP and the NodePort; no nat chains", () => {
    const r = renderRules(
      input([{ port: port({ name: "empty", clusterIP: "10.96.0.20", nodePort: 30080, externalIPs: ["192.0.2.10"] }), endpoints: [ep("10.244.2.9", { ready: false, serving: false })] }]),
    );
    expect(r.filter).toBe(
      filterWith(`
      -A KUBE-SERVICES -m comment --comment "default/empty:http has no endpoints" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j REJECT
      -A KUBE-EXTERNAL-SERVICES -m comment --comment "default/empty:http has no endpoints" -m tcp -p tcp -d 192.0.2.10 --dport 80 -j REJECT
      -A KUBE-EXTERNAL-SERVICES -m comment --comment "default/empty:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT`),
    );
    expect(r.nat).toBe(natWith("", ""));
    expect(r.serviceChains.get("default/empty:http")).toEqual({ chains: [], rules: [] });
  });

  it("(e) NodePort with externalTrafficPolicy Cluster: KUBE-NODEPORTS → KUBE-EXT, which masquerades everything", () => {
    const r = renderRules(input([{ port: port({ name: "np", clusterIP: "10.96.40.4", nodePort: 30080 }), endpoints: [ep("10.244.1.6", { isLocal: true }), ep("10.244.2.6")] }]));
    expect(r.filter).toBe(filterWith(""));
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-EXT-QUMPV5Z3SF2IMFUJ - [0:0]
        :KUBE-SVC-QUMPV5Z3SF2IMFUJ - [0:0]
        :KUBE-SEP-E56XXLWYSELKYLU4 - [0:0]
        :KUBE-SEP-CGYQQPYWHTNLFZ4E - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/np:http cluster IP" -m tcp -p tcp -d 10.96.40.4 --dport 80 -j KUBE-SVC-QUMPV5Z3SF2IMFUJ
        -A KUBE-NODEPORTS -m comment --comment default/np:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-QUMPV5Z3SF2IMFUJ
        -A KUBE-SVC-QUMPV5Z3SF2IMFUJ -m comment --comment "default/np:http cluster IP" -m tcp -p tcp -d 10.96.40.4 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-EXT-QUMPV5Z3SF2IMFUJ -m comment --comment "masquerade traffic for default/np:http external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-QUMPV5Z3SF2IMFUJ -j KUBE-SVC-QUMPV5Z3SF2IMFUJ
        -A KUBE-SVC-QUMPV5Z3SF2IMFUJ -m comment --comment "default/np:http -> 10.244.1.6:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-E56XXLWYSELKYLU4
        -A KUBE-SVC-QUMPV5Z3SF2IMFUJ -m comment --comment "default/np:http -> 10.244.2.6:8080" -j KUBE-SEP-CGYQQPYWHTNLFZ4E
        -A KUBE-SEP-E56XXLWYSELKYLU4 -m comment --comment default/np:http -s 10.244.1.6 -j KUBE-MARK-MASQ
        -A KUBE-SEP-E56XXLWYSELKYLU4 -m comment --comment default/np:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.6:8080
        -A KUBE-SEP-CGYQQPYWHTNLFZ4E -m comment --comment default/np:http -s 10.244.2.6 -j KUBE-MARK-MASQ
        -A KUBE-SEP-CGYQQPYWHTNLFZ4E -m comment --comment default/np:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.6:8080`,
      ),
    );
  });

  const lb = (o: Partial<ServicePortInfo> = {}): ServicePortInfo =>
    port({
      name: "lb",
      clusterIP: "10.96.50.5",
      nodePort: 31080,
      healthCheckNodePort: 32000,
      externalPolicyLocal: true,
      loadBalancerIPs: ["203.0.113.10"],
      externalIPs: ["192.0.2.20"],
      // The second range holds the node's IP (172.18.0.2), so the LB IP itself is allowed as a source.
      loadBalancerSourceRanges: ["198.51.100.0/24", "172.18.0.0/16"],
      ...o,
    });

  it("(f) LoadBalancer, eTP=Local, healthCheckNodePort, source ranges and an externalIP, with a local endpoint", () => {
    const r = renderRules(input([{ port: lb(), endpoints: [ep("10.244.1.7", { isLocal: true }), ep("10.244.2.7")] }]));
    expect(r.filter).toBe(
      filterWith(`
      -A KUBE-PROXY-FIREWALL -m comment --comment "default/lb:http traffic not accepted by KUBE-FW-JSLCNGWSGB5JPS5Q" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j DROP
      -A KUBE-NODEPORTS -m comment --comment "default/lb:http health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT`),
    );
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-EXT-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-FW-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SVC-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SVL-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SEP-HPZMXISJ2WHSLXFE - [0:0]
        :KUBE-SEP-C7BTMN4CDJDLVANM - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-SERVICES -m comment --comment "default/lb:http external IP" -m tcp -p tcp -d 192.0.2.20 --dport 80 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-SERVICES -m comment --comment "default/lb:http loadbalancer IP" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j KUBE-FW-JSLCNGWSGB5JPS5Q
        -A KUBE-NODEPORTS -m comment --comment default/lb:http -m tcp -p tcp --dport 31080 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "pod traffic for default/lb:http external destinations" -s 10.244.0.0/16 -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "masquerade LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "route LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -j KUBE-SVL-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http loadbalancer IP" -s 198.51.100.0/24 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http loadbalancer IP" -s 172.18.0.0/16 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http loadbalancer IP" -s 203.0.113.10 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "other traffic to default/lb:http will be dropped by KUBE-PROXY-FIREWALL"
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http -> 10.244.1.7:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-HPZMXISJ2WHSLXFE
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http -> 10.244.2.7:8080" -j KUBE-SEP-C7BTMN4CDJDLVANM
        -A KUBE-SVL-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http -> 10.244.1.7:8080" -j KUBE-SEP-HPZMXISJ2WHSLXFE
        -A KUBE-SEP-HPZMXISJ2WHSLXFE -m comment --comment default/lb:http -s 10.244.1.7 -j KUBE-MARK-MASQ
        -A KUBE-SEP-HPZMXISJ2WHSLXFE -m comment --comment default/lb:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:8080
        -A KUBE-SEP-C7BTMN4CDJDLVANM -m comment --comment default/lb:http -s 10.244.2.7 -j KUBE-MARK-MASQ
        -A KUBE-SEP-C7BTMN4CDJDLVANM -m comment --comment default/lb:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.7:8080`,
      ),
    );
  });

  it("(f) … without a local endpoint: external destinations DROP, pods and the node still short-circuit to the cluster chain", () => {
    const r = renderRules(input([{ port: lb(), endpoints: [ep("10.244.2.7")] }]));
    expect(r.filter).toBe(
      filterWith(`
      -A KUBE-EXTERNAL-SERVICES -m comment --comment "default/lb:http has no local endpoints" -m tcp -p tcp -d 192.0.2.20 --dport 80 -j DROP
      -A KUBE-PROXY-FIREWALL -m comment --comment "default/lb:http traffic not accepted by KUBE-FW-JSLCNGWSGB5JPS5Q" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j DROP
      -A KUBE-EXTERNAL-SERVICES -m comment --comment "default/lb:http has no local endpoints" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j DROP
      -A KUBE-EXTERNAL-SERVICES -m comment --comment "default/lb:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 31080 -j DROP
      -A KUBE-NODEPORTS -m comment --comment "default/lb:http health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT`),
    );
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-EXT-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-FW-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SVC-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SEP-C7BTMN4CDJDLVANM - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-SERVICES -m comment --comment "default/lb:http external IP" -m tcp -p tcp -d 192.0.2.20 --dport 80 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-SERVICES -m comment --comment "default/lb:http loadbalancer IP" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j KUBE-FW-JSLCNGWSGB5JPS5Q
        -A KUBE-NODEPORTS -m comment --comment default/lb:http -m tcp -p tcp --dport 31080 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "pod traffic for default/lb:http external destinations" -s 10.244.0.0/16 -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "masquerade LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "route LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http loadbalancer IP" -s 198.51.100.0/24 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http loadbalancer IP" -s 172.18.0.0/16 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http loadbalancer IP" -s 203.0.113.10 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-FW-JSLCNGWSGB5JPS5Q -m comment --comment "other traffic to default/lb:http will be dropped by KUBE-PROXY-FIREWALL"
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http -> 10.244.2.7:8080" -j KUBE-SEP-C7BTMN4CDJDLVANM
        -A KUBE-SEP-C7BTMN4CDJDLVANM -m comment --comment default/lb:http -s 10.244.2.7 -j KUBE-MARK-MASQ
        -A KUBE-SEP-C7BTMN4CDJDLVANM -m comment --comment default/lb:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.7:8080`,
      ),
    );
  });

  it("(f) … with only a terminating local endpoint: KUBE-SVL uses it, KUBE-SVC the ready remote one, both get a SEP chain", () => {
    const r = renderRules(
      input([
        {
          port: lb({ externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], healthCheckNodePort: 0 }),
          endpoints: [ep("10.244.1.7", { isLocal: true, ready: false, serving: true, terminating: true }), ep("10.244.2.7")],
        },
      ]),
    );
    expect(r.filter).toBe(filterWith(""));
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-EXT-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SVC-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SVL-JSLCNGWSGB5JPS5Q - [0:0]
        :KUBE-SEP-C7BTMN4CDJDLVANM - [0:0]
        :KUBE-SEP-HPZMXISJ2WHSLXFE - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-NODEPORTS -m comment --comment default/lb:http -m tcp -p tcp --dport 31080 -j KUBE-EXT-JSLCNGWSGB5JPS5Q
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "pod traffic for default/lb:http external destinations" -s 10.244.0.0/16 -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "masquerade LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "route LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-JSLCNGWSGB5JPS5Q
        -A KUBE-EXT-JSLCNGWSGB5JPS5Q -j KUBE-SVL-JSLCNGWSGB5JPS5Q
        -A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http -> 10.244.2.7:8080" -j KUBE-SEP-C7BTMN4CDJDLVANM
        -A KUBE-SVL-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http -> 10.244.1.7:8080" -j KUBE-SEP-HPZMXISJ2WHSLXFE
        -A KUBE-SEP-C7BTMN4CDJDLVANM -m comment --comment default/lb:http -s 10.244.2.7 -j KUBE-MARK-MASQ
        -A KUBE-SEP-C7BTMN4CDJDLVANM -m comment --comment default/lb:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.7:8080
        -A KUBE-SEP-HPZMXISJ2WHSLXFE -m comment --comment default/lb:http -s 10.244.1.7 -j KUBE-MARK-MASQ
        -A KUBE-SEP-HPZMXISJ2WHSLXFE -m comment --comment default/lb:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:8080`,
      ),
    );
  });

  it("(g) internalTrafficPolicy Local without a local endpoint: DROP (not REJECT) for the ClusterIP, no nat chains", () => {
    const r = renderRules(input([{ port: port({ name: "local-only", clusterIP: "10.96.60.6", internalPolicyLocal: true }), endpoints: [ep("10.244.2.11"), ep("10.244.3.11")] }]));
    expect(r.filter).toBe(
      filterWith(`
      -A KUBE-SERVICES -m comment --comment "default/local-only:http has no local endpoints" -m tcp -p tcp -d 10.96.60.6 --dport 80 -j DROP`),
    );
    expect(r.nat).toBe(natWith("", ""));
  });

  it("(g) … with a local endpoint: the ClusterIP goes to KUBE-SVL, which only knows the local endpoint", () => {
    const r = renderRules(
      input([{ port: port({ name: "local-only", clusterIP: "10.96.60.6", internalPolicyLocal: true }), endpoints: [ep("10.244.1.11", { isLocal: true }), ep("10.244.2.11")] }]),
    );
    expect(r.filter).toBe(filterWith(""));
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-SVL-35WPSUB37BQ4DMJ5 - [0:0]
        :KUBE-SEP-TNFEAMZGEVAJ6W5L - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/local-only:http cluster IP" -m tcp -p tcp -d 10.96.60.6 --dport 80 -j KUBE-SVL-35WPSUB37BQ4DMJ5
        -A KUBE-SVL-35WPSUB37BQ4DMJ5 -m comment --comment "default/local-only:http cluster IP" -m tcp -p tcp -d 10.96.60.6 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-SVL-35WPSUB37BQ4DMJ5 -m comment --comment "default/local-only:http -> 10.244.1.11:8080" -j KUBE-SEP-TNFEAMZGEVAJ6W5L
        -A KUBE-SEP-TNFEAMZGEVAJ6W5L -m comment --comment default/local-only:http -s 10.244.1.11 -j KUBE-MARK-MASQ
        -A KUBE-SEP-TNFEAMZGEVAJ6W5L -m comment --comment default/local-only:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.11:8080`,
      ),
    );
  });

  it("(h) only terminating endpoints: the serving ones get traffic, the others none", () => {
    const r = renderRules(
      input([
        {
          port: port({ name: "draining", clusterIP: "10.96.70.7" }),
          endpoints: [
            ep("10.244.1.12", { ready: false, serving: true, terminating: true }),
            ep("10.244.2.12", { ready: false, serving: false, terminating: true }),
            ep("10.244.3.12", { ready: false, serving: true, terminating: true }),
          ],
        },
      ]),
    );
    expect(r.filter).toBe(filterWith(""));
    expect(r.nat).toBe(
      natWith(
        `
        :KUBE-SVC-Y7EDZEKK3VQEVH55 - [0:0]
        :KUBE-SEP-FIXU5K35SF2EUTPY - [0:0]
        :KUBE-SEP-NBDMJEYPJ6ZJS6GF - [0:0]`,
        `
        -A KUBE-SERVICES -m comment --comment "default/draining:http cluster IP" -m tcp -p tcp -d 10.96.70.7 --dport 80 -j KUBE-SVC-Y7EDZEKK3VQEVH55
        -A KUBE-SVC-Y7EDZEKK3VQEVH55 -m comment --comment "default/draining:http cluster IP" -m tcp -p tcp -d 10.96.70.7 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
        -A KUBE-SVC-Y7EDZEKK3VQEVH55 -m comment --comment "default/draining:http -> 10.244.1.12:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-FIXU5K35SF2EUTPY
        -A KUBE-SVC-Y7EDZEKK3VQEVH55 -m comment --comment "default/draining:http -> 10.244.3.12:8080" -j KUBE-SEP-NBDMJEYPJ6ZJS6GF
        -A KUBE-SEP-FIXU5K35SF2EUTPY -m comment --comment default/draining:http -s 10.244.1.12 -j KUBE-MARK-MASQ
        -A KUBE-SEP-FIXU5K35SF2EUTPY -m comment --comment default/draining:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.12:8080
        -A KUBE-SEP-NBDMJEYPJ6ZJS6GF -m comment --comment default/draining:http -s 10.244.3.12 -j KUBE-MARK-MASQ
        -A KUBE-SEP-NBDMJEYPJ6ZJS6GF -m comment --comment default/draining:http -m tcp -p tcp -j DNAT --to-destination 10.244.3.12:8080`,
      ),
    );
    // Once a ready endpoint exists, terminating ones get no new connections.
    const mixed = renderRules(
      input([{ port: port({ name: "draining", clusterIP: "10.96.70.7" }), endpoints: [ep("10.244.1.12", { ready: false, serving: true, terminating: true }), ep("10.244.4.12")] }]),
    );
    expect(mixed.serviceChains.get("default/draining:http")!.rules.filter((l) => l.includes("DNAT"))).toEqual([
      "-A KUBE-SEP-4O7PN5UVR67VBJST -m comment --comment default/draining:http -m tcp -p tcp -j DNAT --to-destination 10.244.4.12:8080",
    ]);
  });

  it("masqueradeAll marks every ClusterIP connection; without a cluster CIDR only hairpin traffic is marked", () => {
    const svc = { port: lb(), endpoints: [ep("10.244.1.7", { isLocal: true })] };
    const all = renderRules(input([svc], { masqueradeAll: true })).serviceChains.get("default/lb:http")!.rules;
    expect(all[0]).toBe(
      `-A KUBE-SVC-JSLCNGWSGB5JPS5Q -m comment --comment "default/lb:http cluster IP" -m tcp -p tcp -d 10.96.50.5 --dport 80 -j KUBE-MARK-MASQ`,
    );
    const none = renderRules(input([svc], { clusterCIDR: "" })).serviceChains.get("default/lb:http")!.rules;
    expect(none.filter((l) => l.includes("cluster IP") || l.includes("pod traffic"))).toEqual([]);
    expect(none[0]).toBe(
      `-A KUBE-EXT-JSLCNGWSGB5JPS5Q -m comment --comment "masquerade LOCAL traffic for default/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
    );
  });

  it("ignores headless and non-IPv4 service ports", () => {
    const r = renderRules(input([{ port: port({ clusterIP: "" }), endpoints: [ep("10.244.1.5")] }, { port: port({ name: "v6", clusterIP: "fd00::10" }), endpoints: [] }]));
    expect(r.filter).toBe(filterWith(""));
    expect(r.nat).toBe(natWith("", ""));
    expect(r.serviceChains.size).toBe(0);
  });

  it("options: no localhost NodePorts, no --random-fully, liberal conntrack", () => {
    const r = renderRules(input([], { localhostNodePorts: false, randomFully: false, conntrackTCPLiberal: true }));
    expect(r.filter).toBe(
      dedent(`
      *filter
      :KUBE-SERVICES - [0:0]
      :KUBE-EXTERNAL-SERVICES - [0:0]
      :KUBE-FORWARD - [0:0]
      :KUBE-NODEPORTS - [0:0]
      :KUBE-PROXY-FIREWALL - [0:0]
      -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT
      -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
      COMMIT
      `),
    );
    expect(r.nat).toContain(`-j MASQUERADE\n`);
    expect(r.nat).toContain(`-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS\n`);
  });

  it("large-cluster mode (> 1000 endpoints): no comments on SVC→SEP and SEP rules", () => {
    const eps = (n: number) => Array.from({ length: n }, (_, i) => ep(`10.244.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`));
    const small = renderRules(input([{ port: port({}), endpoints: eps(1000) }]));
    expect(small.largeClusterMode).toBe(false);
    expect(small.serviceChains.get("default/web:http")!.rules[1]).toContain(`-m comment --comment "default/web:http -> `);
    const large = renderRules(input([{ port: port({}), endpoints: eps(1001) }]));
    expect(large.largeClusterMode).toBe(true);
    const rules = large.serviceChains.get("default/web:http")!.rules;
    expect(rules[0]).toContain(`-m comment --comment "default/web:http cluster IP"`);
    expect(rules[1]).toMatch(/^-A KUBE-SVC-CDGGSHYLG3RE2FKL -m statistic --mode random --probability 0\.0009990010 -j KUBE-SEP-[A-Z2-7]{16}$/);
    expect(rules[1001]).toMatch(/^-A KUBE-SVC-CDGGSHYLG3RE2FKL -j KUBE-SEP-[A-Z2-7]{16}$/);
    // "10.244.1.100:8080" sorts before "10.244.1.10:8080", as upstream's string order has it.
    expect(rules[1002]).toMatch(/^-A KUBE-SEP-[A-Z2-7]{16} -s 10\.244\.1\.100 -j KUBE-MARK-MASQ$/);
    expect(rules[1003]).toMatch(/^-A KUBE-SEP-[A-Z2-7]{16} -m tcp -p tcp -j DNAT --to-destination 10\.244\.1\.100:8080$/);
    expect(large.nat).toContain(`-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" `);
  });
});

describe("rule counts (upstream's number_generated_rules_test)", () => {
  const count = (text: string) => text.split("\n").filter((l) => l.startsWith("-A ")).length;

  it("ClusterIP: 5 fixed nat rules + (2 + 3E) per service; 10 × 10 = 325", () => {
    const cases: [number, number, number, number][] = [
      // services, endpoints per service, filter rules, nat rules
      [0, 0, 3, 5],
      [1, 0, 4, 5],
      [1, 1, 3, 10],
      [1, 2, 3, 13],
      [1, 10, 3, 37],
      [10, 0, 13, 5],
      [10, 1, 3, 55],
      [10, 2, 3, 85],
      [10, 10, 3, 325],
    ];
    for (const [s, e, filter, nat] of cases) {
      // That test's proxier had no KUBE-FIREWALL rule; ours adds one filter rule by default.
      const r = renderRules({ ...makeSyntheticInput(s, e), localhostNodePorts: false });
      expect([s, e, count(r.filter), count(r.nat)]).toEqual([s, e, filter, nat]);
      expect(count(renderRules(makeSyntheticInput(s, e)).filter)).toBe(filter + 1);
    }
  });

  it("LoadBalancer with an externalIP and a source range: 10 × 10 = 395 nat, 13 filter rules", () => {
    // Per service: 3 KUBE-SERVICES + 1 KUBE-NODEPORTS + 1 SVC masquerade + 2 EXT + 2 FW
    // (the range and the final comment rule) + E SVC→SEP + 2E SEP. Upstream's test
    // (an older revision, where " 1.2.3.4/28" produced no -s rule) says 385.
    const r = renderRules({ ...makeSyntheticInput(10, 10, { type: "LoadBalancer" }), localhostNodePorts: false });
    expect(count(r.nat)).toBe(395);
    expect(count(r.filter)).toBe(13);
    const none = renderRules({ ...makeSyntheticInput(10, 0, { type: "LoadBalancer" }), localhostNodePorts: false });
    expect([count(none.filter), count(none.nat)]).toEqual([43, 5]);
  });

  it("stays linear: 2000 services × 10 endpoints render and restore without trouble", () => {
    const r = renderRules(makeSyntheticInput(2000, 10));
    expect(r.largeClusterMode).toBe(true);
    expect(count(r.filter) + count(r.nat)).toBe(3 + 5 + 2000 * 32 + 1); // filter: KUBE-FORWARD ×3 + KUBE-FIREWALL
    expect(r.natChains).toHaveLength(4 + 2000 * 11);
  });
});

describe("--nodeport-addresses", () => {
  const node = { nodeIPs: ["172.18.0.2"], localAddresses: ["172.18.0.2", "10.244.1.1", "127.0.0.1"] };

  it("picks the node's addresses inside the CIDRs (\"primary\": the node IP); none given or 0.0.0.0/0 means every local address", () => {
    expect(nodePortDestinations({ ...node, nodePortAddresses: ["172.18.0.0/16"] })).toEqual(["172.18.0.2"]);
    expect(nodePortDestinations({ ...node, nodePortAddresses: ["10.0.0.0/8", "primary", "172.18.0.2/32"] })).toEqual(["10.244.1.1", "172.18.0.2"]);
    expect(nodePortDestinations({ ...node, nodePortAddresses: ["127.0.0.0/8"] })).toEqual(["127.0.0.1"]);
    expect(nodePortDestinations({ ...node, nodePortAddresses: ["127.0.0.0/8"], localhostNodePorts: false })).toEqual([]);
    expect(nodePortDestinations({ ...node, nodePortAddresses: ["192.0.2.0/24"] })).toEqual([]);
    expect(nodePortDestinations({ ...node, nodePortAddresses: [] })).toBeUndefined();
    expect(nodePortDestinations({ ...node, nodePortAddresses: ["172.18.0.0/16", "0.0.0.0/0"] })).toBeUndefined();
    expect(() => nodePortDestinations({ ...node, nodePortAddresses: ["172.18.0.0"] })).toThrow('expected IPv4 CIDRs or "primary", got "172.18.0.0"');
  });

  it("turns the KUBE-SERVICES tail into one jump per address, still last", () => {
    const r = renderRules(input([{ port: port({ name: "np", clusterIP: "10.96.40.4", nodePort: 30080 }), endpoints: [ep("10.244.2.6")] }], { ...node, nodePortAddresses: ["172.18.0.0/16", "127.0.0.0/8"] }));
    const tail = r.nat.split("\n").filter((l) => l.startsWith("-A KUBE-SERVICES ")).slice(-2);
    expect(tail).toEqual([
      `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 172.18.0.2 -j KUBE-NODEPORTS`,
      `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.0.1 -j KUBE-NODEPORTS`,
    ]);
    expect(r.nat).not.toContain("--dst-type LOCAL -j KUBE-NODEPORTS");
  });
});
