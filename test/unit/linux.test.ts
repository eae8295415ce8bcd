import { describe, it, expect } from "vitest";
import { allocatePodIp, gatewayOf, nodeAddress, outsideAddress, subnetByIndex, subnetIndex } from "../../src/linux/addressing.js";
import { parseCIDR } from "../../src/net/cidr.js";
import { parseIP } from "../../src/net/ip.js";
import { describeTopology, renderTopology } from "../../src/linux/topology.js";
import { renderNodeSide, renderPodSide } from "../../src/agent/kubelet/sandbox.js";
import { netnsNames, podVethName, uplinkName, validateClusterName, IFNAME_MAX } from "../../src/linux/names.js";
import { renderPeerRoutes } from "../../src/agent/flannel.js";
import type { Node } from "../../src/api/types.js";

const inCidr = (ip: string, cidr: string): boolean => parseCIDR(cidr)!.contains(parseIP(ip)!);

describe("addressing", () => {
  it("splits the cluster CIDR into per-node /24s", () => {
    expect(subnetByIndex("10.244.0.0/16", 0)).toBe("10.244.0.0/24");
    expect(subnetByIndex("10.244.0.0/16", 3)).toBe("10.244.3.0/24");
    expect(subnetByIndex("10.244.0.0/16", 255)).toBe("10.244.255.0/24");
    expect(() => subnetByIndex("10.244.0.0/16", 256)).toThrow(RangeError);
    expect(subnetIndex("10.244.0.0/16", "10.244.7.0/24")).toBe(7);
  });

  it("gives the gateway and membership", () => {
    expect(gatewayOf("10.244.2.0/24")).toBe("10.244.2.1");
    expect(inCidr("10.244.2.9", "10.244.2.0/24")).toBe(true);
    expect(inCidr("10.244.3.9", "10.244.2.0/24")).toBe(false);
  });

  it("allocates pod IPs from .2, round-robin after the last one, skipping used ones", () => {
    expect(allocatePodIp("10.244.1.0/24", new Set())).toBe("10.244.1.2");
    expect(allocatePodIp("10.244.1.0/24", new Set(["10.244.1.2"]))).toBe("10.244.1.3");
    // A released address is not handed out again straight away.
    expect(allocatePodIp("10.244.1.0/24", new Set(["10.244.1.3"]), "10.244.1.3")).toBe("10.244.1.4");
    expect(allocatePodIp("10.244.1.0/24", new Set(), "10.244.1.254")).toBe("10.244.1.2");
    const all = new Set(Array.from({ length: 253 }, (_, i) => `10.244.1.${i + 2}`));
    expect(allocatePodIp("10.244.1.0/24", all)).toBeUndefined();
  });

  it("places nodes and the outside host on the underlay", () => {
    expect(outsideAddress("172.18.0.0/16")).toBe("172.18.0.1");
    expect(nodeAddress("172.18.0.0/16", 1)).toBe("172.18.0.2");
    expect(nodeAddress("172.18.0.0/16", 2)).toBe("172.18.0.3");
  });
});

describe("names", () => {
  it("fits interface names in 15 characters", () => {
    const uid = "3f9a1c2e-1111-2222-3333-444455556666";
    expect(podVethName(uid)).toBe("veth3f9a1c2e");
    expect(podVethName(uid).length).toBeLessThanOrEqual(IFNAME_MAX);
    expect(uplinkName(50).length).toBeLessThanOrEqual(IFNAME_MAX);
    expect(uplinkName("outside")).toBe("uplink-out");
  });

  it("prefixes every namespace with kemu-<cluster>-", () => {
    expect(netnsNames.underlay("c1")).toBe("kemu-c1-net");
    expect(netnsNames.node("c1", "node-2")).toBe("kemu-c1-node-2");
    expect(netnsNames.outside("c1")).toBe("kemu-c1-outside");
    expect(netnsNames.pod("c1", "3f9a1c2e-1111-2222-3333-444455556666")).toBe("kemu-c1-pod-3f9a1c2e1111");
  });

  it("rejects bad cluster names with the option named", () => {
    expect(validateClusterName("dev-1")).toBeUndefined();
    expect(validateClusterName("Dev")).toMatch(/^--name: invalid cluster name "Dev"/);
    expect(validateClusterName("a".repeat(21))).toMatch(/^--name/);
    expect(validateClusterName("-x")).toMatch(/^--name/);
  });
});

describe("topology rendering", () => {
  it("renders the ip batches for the underlay, nodes and outside host", () => {
    const spec = describeTopology("c1", "172.18.0.0/16", [{ name: "node-1", index: 1, ip: "172.18.0.2" }], "172.18.0.1");
    const p = renderTopology(spec);
    expect(p.root).toEqual(["netns add kemu-c1-net", "netns add kemu-c1-node-1", "netns add kemu-c1-outside"]);
    expect(p.underlay).toEqual([
      "link set lo up",
      "link add br0 type bridge",
      "link set br0 up",
      "link add uplink-1 type veth peer name eth0 netns kemu-c1-node-1",
      "link set uplink-1 master br0 up",
      "link add uplink-out type veth peer name eth0 netns kemu-c1-outside",
      "link set uplink-out master br0 up",
    ]);
    expect(p.hosts.get("kemu-c1-node-1")).toEqual(["link set lo up", "addr add 172.18.0.2/16 dev eth0", "link set eth0 up", "route add default via 172.18.0.1 dev eth0"]);
    expect(p.hosts.get("kemu-c1-outside")).toEqual(["link set lo up", "addr add 172.18.0.1/16 dev eth0", "link set eth0 up"]);
  });

  it("renders a routed pod sandbox: node side and pod side", () => {
    const s = { netns: "kemu-c1-pod-abc", veth: "vethabc", ip: "10.244.1.5", prefix: 24, gateway: "10.244.1.1" };
    expect(renderNodeSide(s)).toEqual([
      "netns add kemu-c1-pod-abc",
      "link add vethabc type veth peer name eth0 netns kemu-c1-pod-abc",
      "link set vethabc up",
      "route replace 10.244.1.5/32 dev vethabc scope link",
    ]);
    expect(renderPodSide(s)).toEqual(["link set lo up", "addr add 10.244.1.5/24 dev eth0", "link set eth0 up", "route add default via 10.244.1.1 dev eth0"]);
  });

  it("routes every other node's pod subnet via its node IP (host-gw)", () => {
    const node = (name: string, cidr: string | undefined, ip: string): Node =>
      ({ apiVersion: "v1", kind: "Node", metadata: { name }, spec: cidr ? { podCIDR: cidr } : {}, status: { addresses: [{ type: "InternalIP", address: ip }] } }) as Node;
    const routes = renderPeerRoutes("node-1", [node("node-1", "10.244.1.0/24", "172.18.0.2"), node("node-2", "10.244.2.0/24", "172.18.0.3"), node("node-3", undefined, "172.18.0.4")]);
    expect([...routes.values()]).toEqual(["10.244.2.0/24 via 172.18.0.3 dev eth0 onlink"]);
  });
});

describe("flannel ipMasq", () => {
  it("masquerades pod traffic that leaves the cluster network, and nothing between pods", async () => {
    const { renderIpMasq } = await import("../../src/agent/flannel.js");
    const r = renderIpMasq("10.244.0.0/16");
    expect(r.restore).toBe(
      '*nat\n:FLANNEL-POSTRTG - [0:0]\n-A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN\n-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully\nCOMMIT\n',
    );
    expect(r.jump).toEqual(["-t", "nat", "-A", "POSTROUTING", "-m", "comment", "--comment", "flanneld masq", "-j", "FLANNEL-POSTRTG"]);
  });
});
