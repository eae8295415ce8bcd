// src/net: addresses, CIDRs and ranges. Parsing cases come from the Go 1.16
// net package tests that Kubernetes keeps for its "sloppy" parsing
// (k8s.io/utils/internal/third_party/forked/golang/net/ip_test.go:
// parseIPTests, parseCIDRTests) and Go 1.17+'s net/ip_test.go (the strict
// rule); special addresses are Go's net.IP methods (src/net/ip.go); text
// forms are RFC 5952's.
import { describe, it, expect } from "vitest";
import { IP, parseIP, type IPSyntax } from "../../src/net/ip.js";
import { CIDR, parseCIDR } from "../../src/net/cidr.js";
import { IPRange } from "../../src/net/range.js";

const ip = (text: string, syntax?: IPSyntax): IP => {
  const v = parseIP(text, syntax);
  if (!v) throw new Error(`test address ${text} does not parse`);
  return v;
};
const cidr = (text: string): CIDR => {
  const v = parseCIDR(text);
  if (!v) throw new Error(`test CIDR ${text} does not parse`);
  return v;
};
/** Go's view of an address: its family after To4(), and its text. */
const goView = (text: string, syntax?: IPSyntax) => {
  const v = parseIP(text, syntax)?.unmapped();
  return v && { family: v.family, text: v.toString() };
};

describe("parseIP: the API's sloppy rule (netutils.ParseIPSloppy)", () => {
  it("reads what Go 1.16's ParseIP reads", () => {
    expect(goView("127.0.1.2")).toEqual({ family: 4, text: "127.0.1.2" });
    expect(goView("::ffff:127.1.2.3")).toEqual({ family: 4, text: "127.1.2.3" });
    expect(goView("::ffff:7f01:0203")).toEqual({ family: 4, text: "127.1.2.3" });
    expect(goView("0:0:0:0:0000:ffff:127.1.2.3")).toEqual({ family: 4, text: "127.1.2.3" });
    expect(goView("0:0:0:0::ffff:127.1.2.3")).toEqual({ family: 4, text: "127.1.2.3" });
    expect(ip("2001:4860:0:2001::68").toBytes()).toEqual([0x20, 0x01, 0x48, 0x60, 0, 0, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x68]);
    expect(ip("2001:4860:0000:2001:0000:0000:0000:0068").equals(ip("2001:4860:0:2001::68"))).toBe(true);
  });

  it("reads leading zeros as decimal (issue.k8s.io/100895), unlike Go 1.17+ and ipaddr.js", () => {
    expect(goView("127.001.002.003")).toEqual({ family: 4, text: "127.1.2.3" });
    expect(goView("::ffff:127.001.002.003")).toEqual({ family: 4, text: "127.1.2.3" });
    expect(goView("123.000.000.000")).toEqual({ family: 4, text: "123.0.0.0" });
    expect(goView("0123.0.0.1")).toEqual({ family: 4, text: "123.0.0.1" });
    expect(goView("010.0.0.1")?.text).toBe("10.0.0.1"); // ipaddr.js: octal, 8.0.0.1
    expect(goView("00000010.1.1.1")?.text).toBe("10.1.1.1"); // kemu: at most 8 digits an octet
    expect(parseIP("000000010.1.1.1")).toBeUndefined();
  });

  it("refuses what Go refuses, and the forms only ipaddr.js or inet_aton read", () => {
    for (const bad of ["-0.0.0.0", "0.-1.0.0", "0.0.-2.0", "0.0.0.-3", "127.0.0.256", "abc", "123:", "fe80::1%lo0", "fe80::1%911", "", "a1:a2:a3:a4::b1:b2:b3:b4", "1.2..4"]) {
      expect(parseIP(bad), bad).toBeUndefined();
    }
    for (const bad of ["10.1", "167772161", "0x0a.0.0.1", "10.0.0.1 ", " 10.0.0.1", "1::2::3", ":::1", "1:2:3:4:5:6:7:8::", "1:2:3:4:5:6:7", "12345::1", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4"]) {
      expect(parseIP(bad), bad).toBeUndefined();
    }
  });

  it("keeps kemu's known differences from Go 1.16 (groups of at most 4 hex digits; an IPv4 tail on either side of ::)", () => {
    // Go 1.16 read 000000 as one group; kemu never did.
    expect(parseIP("0:0:0:0:000000:ffff:127.1.2.3")).toBeUndefined();
    // Go refuses an embedded IPv4 address before "::"; kemu's API has always read it.
    expect(parseIP("1.2.3.4::")?.toString()).toBe("102:304::");
  });

  it("keeps the family as written; to4()/unmapped() give Go's view", () => {
    const mapped = ip("::ffff:10.0.0.1");
    expect(mapped.family).toBe(6);
    expect(mapped.isIPv4Mapped()).toBe(true);
    expect(mapped.to4()?.toString()).toBe("10.0.0.1");
    expect(mapped.equals(ip("10.0.0.1"))).toBe(false);
    expect(ip("fd00::1").to4()).toBeUndefined();
    expect(ip("fd00::1").unmapped().toString()).toBe("fd00::1");
    expect(ip("10.0.0.1").to4()?.toString()).toBe("10.0.0.1");
  });
});

describe("parseIP: the dotted (kube-proxy) and strict (DNS) rules", () => {
  it("dotted: octets of 1-3 digits", () => {
    expect(parseIP("010.0.0.1", "dotted")?.toString()).toBe("10.0.0.1");
    expect(parseIP("0010.0.0.1", "dotted")).toBeUndefined();
    expect(parseIP("256.0.0.1", "dotted")).toBeUndefined();
    expect(parseIP("::ffff:10.0.0.1", "dotted")?.family).toBe(6);
  });

  it("strict: no leading zeros, as Go 1.17+'s ParseIP and Node's net.isIP", () => {
    for (const bad of ["127.001.002.003", "::ffff:127.001.002.003", "123.000.000.000", "0123.0.0.1", "01.2.3.4"]) {
      expect(parseIP(bad, "strict"), bad).toBeUndefined();
    }
    expect(parseIP("0.0.0.0", "strict")?.toString()).toBe("0.0.0.0");
    expect(parseIP("10.244.1.5", "strict")?.toString()).toBe("10.244.1.5");
    expect(parseIP("2001:db8::ffff", "strict")?.family).toBe(6);
    expect(parseIP("::ffff:127.1.2.3", "strict")?.to4()?.toString()).toBe("127.1.2.3");
  });
});

describe("IP", () => {
  it("prints IPv6 as RFC 5952 (section 4)", () => {
    expect(ip("2001:db8:0:0:1:0:0:1").toString()).toBe("2001:db8::1:0:0:1");
    expect(ip("2001:0db8:0:0:0:0:2:1").toString()).toBe("2001:db8::2:1");
    expect(ip("2001:db8:0:1:1:1:1:1").toString()).toBe("2001:db8:0:1:1:1:1:1");
    expect(ip("2001:DB8::1").toString()).toBe("2001:db8::1");
    expect(ip("0:0:0:0:0:0:0:0").toString()).toBe("::");
    expect(ip("::ffff:10.0.0.1").toString()).toBe("::ffff:a00:1");
  });

  it("converts from and to bytes and numbers", () => {
    expect(IP.fromIPv4Number(0x0a600001).toString()).toBe("10.96.0.1");
    expect(IP.fromBytes([192, 0, 2, 1]).toString()).toBe("192.0.2.1");
    expect(IP.fromBytes(ip("fd00::1").toBytes()).toString()).toBe("fd00::1");
    expect(IP.fromIPv6Groups([0xfd00, 0, 0, 0, 0, 0, 0, 2]).toString()).toBe("fd00::2");
    expect(() => IP.fromIPv4Number(2 ** 32)).toThrow(RangeError);
    expect(() => IP.fromBytes([1, 2, 3])).toThrow(RangeError);
    expect(() => IP.fromIPv6Groups([0x10000, 0, 0, 0, 0, 0, 0, 0])).toThrow(RangeError);
  });

  it("counts addresses: plus, minus, compare", () => {
    expect(ip("10.0.0.255").plus(1)?.toString()).toBe("10.0.1.0");
    expect(ip("10.0.1.0").plus(-1)?.toString()).toBe("10.0.0.255");
    expect(ip("255.255.255.255").plus(1)).toBeUndefined();
    expect(ip("0.0.0.0").plus(-1)).toBeUndefined();
    expect(ip("10.0.1.0").minus(ip("10.0.0.0"))).toBe(256);
    expect(ip("10.0.0.0").minus(ip("10.0.1.0"))).toBe(-256);
    expect(ip("10.0.0.1").minus(ip("::1"))).toBeUndefined();
    expect(ip("fd00::ffff").plus(1)?.toString()).toBe("fd00::1:0");
    expect(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").plus(1)).toBeUndefined();
    expect(ip("fd00::1:0").minus(ip("fd00::"))).toBe(65536);
    expect(ip("fd00::").plus(1n << 64n)?.toString()).toBe("fd00:0:0:1::");
    expect(ip("fd00::").minus(ip("::"))).toBeUndefined(); // beyond 2^53
    expect(ip("10.0.0.2").compare(ip("10.0.0.10"))).toBeLessThan(0);
    expect(ip("255.255.255.255").compare(ip("::"))).toBeLessThan(0);
    expect(ip("fd00::2").compare(ip("fd00::10"))).toBeLessThan(0);
    expect(ip("010.0.0.1").equals(ip("10.0.0.1"))).toBe(true);
  });

  it("masks", () => {
    expect(ip("10.96.3.4").masked(12).toString()).toBe("10.96.0.0");
    expect(ip("10.96.3.4").masked(0).toString()).toBe("0.0.0.0");
    expect(ip("10.96.3.4").masked(32).toString()).toBe("10.96.3.4");
    expect(ip("abcd:2345::1").masked(24).toString()).toBe("abcd:2300::");
    expect(() => ip("10.0.0.1").masked(33)).toThrow(RangeError);
  });

  it("knows Go's special addresses (net.IP's IsUnspecified, IsLoopback, IsLinkLocalUnicast, IsLinkLocalMulticast)", () => {
    const kinds = (t: string) => {
      const a = ip(t);
      return [a.isUnspecified(), a.isLoopback(), a.isLinkLocalUnicast(), a.isLinkLocalMulticast()].map((b) => (b ? 1 : 0)).join("");
    };
    expect(kinds("0.0.0.0")).toBe("1000");
    expect(kinds("0.0.0.1")).toBe("0000");
    expect(kinds("::")).toBe("1000");
    expect(kinds("127.0.0.1")).toBe("0100");
    expect(kinds("127.255.255.254")).toBe("0100");
    expect(kinds("128.1.2.3")).toBe("0000");
    expect(kinds("::1")).toBe("0100");
    expect(kinds("::2")).toBe("0000");
    expect(kinds("169.254.0.0")).toBe("0010");
    expect(kinds("169.255.0.0")).toBe("0000");
    expect(kinds("fe80::1")).toBe("0010");
    expect(kinds("febf::1")).toBe("0010");
    expect(kinds("fec0::1")).toBe("0000");
    expect(kinds("224.0.0.251")).toBe("0001");
    expect(kinds("224.0.1.0")).toBe("0000");
    expect(kinds("ff02::1")).toBe("0001");
    expect(kinds("ff12::1")).toBe("0001");
    expect(kinds("ff01::1")).toBe("0000");
    // As written: an IPv4-mapped loopback address is IPv6 until unmapped.
    expect(ip("::ffff:127.0.0.1").isLoopback()).toBe(false);
    expect(ip("::ffff:127.0.0.1").unmapped().isLoopback()).toBe(true);
  });
});

describe("parseCIDR", () => {
  it("reads Go's ParseCIDR cases: the address as written, the network masked", () => {
    const c = cidr("135.104.0.1/24");
    expect([c.ip.toString(), c.network.toString(), c.prefix, c.toString()]).toEqual(["135.104.0.1", "135.104.0.0", 24, "135.104.0.0/24"]);
    expect(cidr("0.0.0.0/24").toString()).toBe("0.0.0.0/24");
    expect(cidr("135.104.0.0/32").toString()).toBe("135.104.0.0/32");
    expect(cidr("abcd:2345::/24").toString()).toBe("abcd:2300::/24");
    expect(cidr("2001:DB8::1/48").toString()).toBe("2001:db8::/48");
    expect(cidr("abcd:2345::/127").toString()).toBe("abcd:2345::/127");
    for (const bad of ["192.168.1.1/255.255.255.0", "192.168.1.1/35", "2001:db8::1/-1", "2001:db8::1/-0", "-0.0.0.0/32", "0.0.0.0/-0", "", "10.0.0.0", "10.0.0.0/", "10.0.0.0/8/8", "fd00::/129", " 10.0.0.0/8"]) {
      expect(parseCIDR(bad), bad).toBeUndefined();
    }
  });

  it("prefix digits per syntax: sloppy up to 3, dotted 2 for IPv4 (kube-proxy), strict without leading zeros", () => {
    expect(parseCIDR("127.000.000.001/032")?.toString()).toBe("127.0.0.1/32");
    expect(parseCIDR("10.0.0.0/0008")).toBeUndefined();
    expect(parseCIDR("10.0.0.0/08", "dotted")?.toString()).toBe("10.0.0.0/8");
    expect(parseCIDR("10.0.0.0/008", "dotted")).toBeUndefined();
    expect(parseCIDR("fd00::/064", "dotted")?.toString()).toBe("fd00::/64");
    expect(parseCIDR("10.0.0.0/08", "strict")).toBeUndefined();
    expect(parseCIDR("fd00::/128", "strict")?.toString()).toBe("fd00::/128");
  });

  it("reads an IPv4-mapped address as IPv6, with up to 128 bits", () => {
    const c = cidr("::ffff:10.0.0.0/104");
    expect(c.family).toBe(6);
    expect(c.ip.to4()?.toString()).toBe("10.0.0.0");
    expect(parseCIDR("::ffff:10.0.0.0/120")?.prefix).toBe(120);
  });
});

describe("CIDR", () => {
  it("contains addresses of its own family only", () => {
    const c = cidr("10.244.2.0/24");
    expect(c.contains(ip("10.244.2.9"))).toBe(true);
    expect(c.contains(ip("10.244.3.9"))).toBe(false);
    expect(c.contains(ip("::ffff:10.244.2.9"))).toBe(false);
    expect(c.contains(ip("::ffff:10.244.2.9").unmapped())).toBe(true);
    expect(cidr("0.0.0.0/0").contains(ip("255.255.255.255"))).toBe(true);
    expect(cidr("0.0.0.0/0").contains(ip("::"))).toBe(false);
    expect(cidr("fd00::/64").contains(ip("fd00::1"))).toBe(true);
    expect(cidr("fd00::/64").contains(ip("fd00:0:0:1::1"))).toBe(false);
    expect(cidr("10.0.0.1/32").contains(ip("10.0.0.1"))).toBe(true);
    expect(cidr("10.0.0.1/32").contains(ip("10.0.0.2"))).toBe(false);
  });

  it("addresses by offset, and back", () => {
    const c = cidr("10.96.0.0/12");
    expect(c.size).toBe(2 ** 20);
    expect(c.at(1)?.toString()).toBe("10.96.0.1");
    expect(c.at(c.size - 1)?.toString()).toBe("10.111.255.255");
    expect(c.last.toString()).toBe("10.111.255.255");
    expect(c.at(c.size)).toBeUndefined();
    expect(c.at(-1)).toBeUndefined();
    expect(c.offsetOf(ip("10.96.1.0"))).toBe(256);
    expect(c.offsetOf(ip("10.112.0.0"))).toBeUndefined();
    expect(cidr("0.0.0.0/0").last.toString()).toBe("255.255.255.255");
    const v6 = cidr("fd00::/108");
    expect(v6.size).toBe(2 ** 20);
    expect(v6.at(1)?.toString()).toBe("fd00::1");
    expect(v6.last.toString()).toBe("fd00::f:ffff");
    expect(v6.offsetOf(ip("fd00::1:0"))).toBe(65536);
    expect(cidr("::/0").last.toString()).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect(cidr("fd00::/64").last.toString()).toBe("fd00::ffff:ffff:ffff:ffff");
  });

  it("cuts subnets by index", () => {
    const c = cidr("10.244.0.0/16");
    expect(c.subnet(24, 0)?.toString()).toBe("10.244.0.0/24");
    expect(c.subnet(24, 3)?.toString()).toBe("10.244.3.0/24");
    expect(c.subnet(24, 255)?.toString()).toBe("10.244.255.0/24");
    expect(c.subnet(24, 256)).toBeUndefined();
    expect(c.subnet(15, 0)).toBeUndefined();
    expect(c.subnet(16, 0)?.toString()).toBe("10.244.0.0/16");
    expect(cidr("fd00:10:244::/56").subnet(64, 3)?.toString()).toBe("fd00:10:244:3::/64");
  });

  it("is built from an address and a prefix", () => {
    expect(CIDR.of(ip("10.96.3.4"), 12).toString()).toBe("10.96.0.0/12");
    expect(() => CIDR.of(ip("10.96.3.4"), 33)).toThrow(RangeError);
  });
});

describe("IPRange", () => {
  it("holds first..last of one family", () => {
    const r = IPRange.of(ip("172.18.255.1"), ip("172.18.255.3"))!;
    expect(r.size).toBe(3);
    expect(r.contains(ip("172.18.255.3"))).toBe(true);
    expect(r.contains(ip("172.18.255.4"))).toBe(false);
    expect(r.offsetOf(ip("172.18.255.2"))).toBe(1);
    expect(r.at(2)?.toString()).toBe("172.18.255.3");
    expect(r.at(3)).toBeUndefined();
    expect(r.toString()).toBe("172.18.255.1-172.18.255.3");
    expect(IPRange.of(ip("10.0.0.2"), ip("10.0.0.1"))).toBeUndefined();
    expect(IPRange.of(ip("10.0.0.1"), ip("fd00::1"))).toBeUndefined();
    expect(IPRange.fromCIDR(cidr("172.18.255.0/30")).toString()).toBe("172.18.255.0-172.18.255.3");
    expect(IPRange.fromCIDR(cidr("fd00::/126")).size).toBe(4);
  });
});
