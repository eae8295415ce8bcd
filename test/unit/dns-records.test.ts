// The cluster zone (pure): Services, EndpointSlices and Namespaces in, the
// exact answers of CoreDNS's kubernetes plugin out (../shared/reference/dns.md
// §2–§5), with the deviations the reference asks for.
import { describe, expect, it } from "vitest";
import { buildIndex, ZoneIndex, type ZoneConfig } from "../../src/dns/kubernetes/records.js";
import { RCODE, TYPE, rrText, type Answer } from "../../src/dns/rr.js";
import type { EndpointSlice, Service } from "../../src/api/types.js";

const SERIAL = 1_700_000_000;

function svc(ns: string, name: string, spec: Record<string, unknown>): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec } as Service;
}

interface Ep {
  ip: string;
  hostname?: string;
  ready?: boolean;
}

function slice(ns: string, service: string, name: string, endpoints: Ep[], ports: { name?: string; port: number; protocol?: string }[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: ns, name, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.hostname ? { hostname: e.hostname } : {}),
      conditions: e.ready === undefined ? {} : { ready: e.ready },
    })),
    ports: ports.map((p) => ({ protocol: "TCP", ...p })),
  } as EndpointSlice;
}

const services = [
  svc("app", "web", {
    type: "ClusterIP",
    clusterIP: "10.96.0.20",
    clusterIPs: ["10.96.0.20"],
    ports: [
      { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
      { name: "metrics", port: 9090, protocol: "TCP" },
    ],
  }),
  svc("app", "plain", { clusterIP: "10.96.0.21", ports: [{ port: 8080, protocol: "TCP" }] }),
  svc("app", "db", { clusterIP: "None", ports: [{ name: "postgres", port: 5432, protocol: "TCP" }] }),
  svc("app", "empty", { clusterIP: "None", ports: [{ name: "http", port: 80 }] }),
  svc("app", "ext", { type: "ExternalName", externalName: "example.com" }),
  svc("app", "ip-ext", { type: "ExternalName", externalName: "1.2.3.4" }),
  svc("app", "alias", { type: "ExternalName", externalName: "web.app.svc.cluster.local" }),
  svc("app", "dangling", { type: "ExternalName", externalName: "nope.app.svc.cluster.local" }),
  svc("kube-system", "kube-dns", {
    clusterIP: "10.96.0.10",
    ports: [
      { name: "dns", port: 53, protocol: "UDP" },
      { name: "dns-tcp", port: 53, protocol: "TCP" },
      { name: "metrics", port: 9153, protocol: "TCP" },
    ],
  }),
];

const slices = [
  slice("app", "web", "web-abc", [{ ip: "10.244.1.10" }, { ip: "10.244.2.11", ready: false }], [{ name: "http", port: 8080 }]),
  slice(
    "app",
    "db",
    "db-xyz",
    [
      { ip: "10.244.1.5", hostname: "db-0", ready: true },
      { ip: "10.244.2.6", hostname: "db-1" },
      { ip: "10.244.1.7" },
      { ip: "10.244.2.8", hostname: "db-3", ready: false },
    ],
    [{ name: "postgres", port: 5432 }],
  ),
];

const config: Partial<ZoneConfig> = { zone: "cluster.local", ttl: 30, dnsIp: "10.96.0.10", now: () => SERIAL };

function index(extra: Partial<ZoneConfig> = {}): ZoneIndex {
  return buildIndex({ services, endpointSlices: slices, namespaces: ["default", "app", "kube-system"] }, { ...config, ...extra });
}

const SOA = `cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL} 7200 1800 86400 30`;

/** The answer as dig would show it. */
function ask(zone: ZoneIndex, name: string, type: number): { rcode: string; aa: boolean; answer: string[]; authority: string[]; additional: string[]; chase?: Answer["chase"] } | undefined {
  const a = zone.lookup(name, type);
  if (!a) return undefined;
  return {
    rcode: a.rcode === RCODE.NOERROR ? "NOERROR" : a.rcode === RCODE.NXDOMAIN ? "NXDOMAIN" : a.rcode === RCODE.REFUSED ? "REFUSED" : String(a.rcode),
    aa: a.aa,
    answer: a.answer.map(rrText),
    authority: a.authority.map(rrText),
    additional: a.additional.map(rrText),
    ...(a.chase ? { chase: a.chase } : {}),
  };
}

const NODATA = { rcode: "NOERROR", aa: true, answer: [], authority: [SOA], additional: [] };
const NXDOMAIN = { rcode: "NXDOMAIN", aa: true, answer: [], authority: [SOA], additional: [] };

describe("ClusterIP Services", () => {
  const zone = index();

  it("answers A with the ClusterIP, authoritatively", () => {
    expect(ask(zone, "web.app.svc.cluster.local", TYPE.A)).toEqual({
      rcode: "NOERROR",
      aa: true,
      answer: ["web.app.svc.cluster.local. 30 IN A 10.96.0.20"],
      authority: [],
      additional: [],
    });
    expect(ask(zone, "web.app.svc.cluster.local.", TYPE.A)?.answer).toEqual(["web.app.svc.cluster.local. 30 IN A 10.96.0.20"]);
  });

  it("answers A whatever the endpoints (an unnamed port, no slices)", () => {
    expect(ask(zone, "plain.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["plain.app.svc.cluster.local. 30 IN A 10.96.0.21"]);
  });

  it("answers NODATA for every other type of an existing name (IPv4-only: AAAA too)", () => {
    for (const t of [TYPE.AAAA, TYPE.TXT, TYPE.MX, TYPE.CNAME, TYPE.PTR, TYPE.NS, TYPE.SOA, TYPE.HTTPS, TYPE.ANY]) {
      expect(ask(zone, "web.app.svc.cluster.local", t), `type ${t}`).toEqual(NODATA);
    }
  });

  it("answers SRV per named port with the Service port, weight 100/N and the target's A", () => {
    expect(ask(zone, "_http._tcp.web.app.svc.cluster.local", TYPE.SRV)).toEqual({
      rcode: "NOERROR",
      aa: true,
      answer: ["_http._tcp.web.app.svc.cluster.local. 30 IN SRV 0 100 80 web.app.svc.cluster.local."],
      authority: [],
      additional: ["web.app.svc.cluster.local. 30 IN A 10.96.0.20"],
    });
    expect(ask(zone, "_dns._udp.kube-dns.kube-system.svc.cluster.local", TYPE.SRV)?.answer).toEqual([
      "_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local.",
    ]);
    // CoreDNS also answers SRV at the service name: every port.
    expect(ask(zone, "web.app.svc.cluster.local", TYPE.SRV)?.answer).toEqual([
      "web.app.svc.cluster.local. 30 IN SRV 0 50 80 web.app.svc.cluster.local.",
      "web.app.svc.cluster.local. 30 IN SRV 0 50 9090 web.app.svc.cluster.local.",
    ]);
  });

  it("answers NXDOMAIN for an unknown port name or the wrong protocol, NODATA for other types of an SRV name", () => {
    expect(ask(zone, "_http._udp.web.app.svc.cluster.local", TYPE.SRV)).toEqual(NXDOMAIN);
    expect(ask(zone, "_nope._tcp.web.app.svc.cluster.local", TYPE.SRV)).toEqual(NXDOMAIN);
    expect(ask(zone, "_dns-tcp._udp.kube-dns.kube-system.svc.cluster.local", TYPE.SRV)).toEqual(NXDOMAIN);
    // Not CoreDNS's quirk (A of an SRV name returning the ClusterIP): the name has SRV only.
    expect(ask(zone, "_http._tcp.web.app.svc.cluster.local", TYPE.A)).toEqual(NODATA);
  });

  it("answers NODATA for the empty non-terminal _tcp.<svc>", () => {
    expect(ask(zone, "_tcp.web.app.svc.cluster.local", TYPE.SRV)).toEqual(NODATA);
    expect(ask(zone, "_tcp.web.app.svc.cluster.local", TYPE.A)).toEqual(NODATA);
    expect(ask(zone, "_udp.kube-dns.kube-system.svc.cluster.local", TYPE.SRV)).toEqual(NODATA);
    expect(ask(zone, "_udp.web.app.svc.cluster.local", TYPE.SRV)).toEqual(NXDOMAIN);
  });

  it("serves the ready endpoints of a ClusterIP Service by dashed IP (as CoreDNS), not the unready ones", () => {
    expect(ask(zone, "10-244-1-10.web.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["10-244-1-10.web.app.svc.cluster.local. 30 IN A 10.244.1.10"]);
    expect(ask(zone, "10-244-2-11.web.app.svc.cluster.local", TYPE.A)).toEqual(NXDOMAIN);
  });
});

describe("headless Services", () => {
  const zone = index();

  it("answers A with every ready endpoint", () => {
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.A)?.answer).toEqual([
      "db.app.svc.cluster.local. 30 IN A 10.244.1.5",
      "db.app.svc.cluster.local. 30 IN A 10.244.2.6",
      "db.app.svc.cluster.local. 30 IN A 10.244.1.7",
    ]);
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.AAAA)).toEqual(NODATA);
  });

  it("answers per-endpoint names: hostname, else the dashed IP; unready endpoints do not exist", () => {
    expect(ask(zone, "db-0.db.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["db-0.db.app.svc.cluster.local. 30 IN A 10.244.1.5"]);
    expect(ask(zone, "db-1.db.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["db-1.db.app.svc.cluster.local. 30 IN A 10.244.2.6"]);
    expect(ask(zone, "10-244-1-7.db.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["10-244-1-7.db.app.svc.cluster.local. 30 IN A 10.244.1.7"]);
    // An endpoint with a hostname is named by it only.
    expect(ask(zone, "10-244-1-5.db.app.svc.cluster.local", TYPE.A)).toEqual(NXDOMAIN);
    expect(ask(zone, "db-3.db.app.svc.cluster.local", TYPE.A)).toEqual(NXDOMAIN);
    expect(ask(zone, "db-0.db.app.svc.cluster.local", TYPE.AAAA)).toEqual(NODATA);
  });

  it("answers SRV per ready endpoint × named port, with the endpoints' addresses", () => {
    expect(ask(zone, "_postgres._tcp.db.app.svc.cluster.local", TYPE.SRV)).toEqual({
      rcode: "NOERROR",
      aa: true,
      answer: [
        "_postgres._tcp.db.app.svc.cluster.local. 30 IN SRV 0 33 5432 db-0.db.app.svc.cluster.local.",
        "_postgres._tcp.db.app.svc.cluster.local. 30 IN SRV 0 33 5432 db-1.db.app.svc.cluster.local.",
        "_postgres._tcp.db.app.svc.cluster.local. 30 IN SRV 0 33 5432 10-244-1-7.db.app.svc.cluster.local.",
      ],
      authority: [],
      additional: [
        "db-0.db.app.svc.cluster.local. 30 IN A 10.244.1.5",
        "db-1.db.app.svc.cluster.local. 30 IN A 10.244.2.6",
        "10-244-1-7.db.app.svc.cluster.local. 30 IN A 10.244.1.7",
      ],
    });
    expect(ask(zone, "db-1.db.app.svc.cluster.local", TYPE.SRV)?.answer).toEqual(["db-1.db.app.svc.cluster.local. 30 IN SRV 0 100 5432 db-1.db.app.svc.cluster.local."]);
  });

  it("makes a headless Service without ready endpoints NXDOMAIN for every type", () => {
    for (const t of [TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.TXT]) expect(ask(zone, "empty.app.svc.cluster.local", t)).toEqual(NXDOMAIN);
    expect(ask(zone, "_http._tcp.empty.app.svc.cluster.local", TYPE.SRV)).toEqual(NXDOMAIN);
  });
});

describe("ExternalName Services", () => {
  const zone = index();

  it("answers CNAME with the external name", () => {
    expect(ask(zone, "ext.app.svc.cluster.local", TYPE.CNAME)).toEqual({
      rcode: "NOERROR",
      aa: true,
      answer: ["ext.app.svc.cluster.local. 30 IN CNAME example.com."],
      authority: [],
      additional: [],
    });
  });

  it("answers other types with the CNAME and asks for the target to be chased upstream", () => {
    for (const t of [TYPE.A, TYPE.AAAA, TYPE.TXT]) {
      expect(ask(zone, "ext.app.svc.cluster.local", t)).toEqual({
        rcode: "NOERROR",
        aa: true,
        answer: ["ext.app.svc.cluster.local. 30 IN CNAME example.com."],
        authority: [],
        additional: [],
        chase: { target: "example.com", qtype: t },
      });
    }
  });

  it("follows an in-zone target itself; a missing target gives the CNAME with NXDOMAIN (RFC 6604)", () => {
    expect(ask(zone, "alias.app.svc.cluster.local", TYPE.A)?.answer).toEqual([
      "alias.app.svc.cluster.local. 30 IN CNAME web.app.svc.cluster.local.",
      "web.app.svc.cluster.local. 30 IN A 10.96.0.20",
    ]);
    expect(ask(zone, "dangling.app.svc.cluster.local", TYPE.A)).toEqual({
      ...NXDOMAIN,
      answer: ["dangling.app.svc.cluster.local. 30 IN CNAME nope.app.svc.cluster.local."],
    });
  });

  it("serves nothing for an IP-literal externalName (NXDOMAIN)", () => {
    expect(ask(zone, "ip-ext.app.svc.cluster.local", TYPE.A)).toEqual(NXDOMAIN);
    expect(ask(zone, "ip-ext.app.svc.cluster.local", TYPE.CNAME)).toEqual(NXDOMAIN);
  });
});

describe("PTR", () => {
  const zone = index();

  it("names a ClusterIP's Service", () => {
    expect(ask(zone, "20.0.96.10.in-addr.arpa", TYPE.PTR)).toEqual({
      rcode: "NOERROR",
      aa: true,
      answer: ["20.0.96.10.in-addr.arpa. 30 IN PTR web.app.svc.cluster.local."],
      authority: [],
      additional: [],
    });
  });

  it("names ready endpoints by hostname or dashed IP", () => {
    expect(ask(zone, "5.1.244.10.in-addr.arpa", TYPE.PTR)?.answer).toEqual(["5.1.244.10.in-addr.arpa. 30 IN PTR db-0.db.app.svc.cluster.local."]);
    expect(ask(zone, "7.1.244.10.in-addr.arpa", TYPE.PTR)?.answer).toEqual(["7.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-7.db.app.svc.cluster.local."]);
    expect(ask(zone, "10.1.244.10.in-addr.arpa", TYPE.PTR)?.answer).toEqual(["10.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-10.web.app.svc.cluster.local."]);
  });

  it("gives a pod in two Services one PTR per Service", () => {
    const zone2 = buildIndex(
      {
        namespaces: ["app"],
        services: [svc("app", "a", { clusterIP: "10.96.1.1", ports: [{ port: 80 }] }), svc("app", "b", { clusterIP: "None", ports: [{ port: 80 }] })],
        endpointSlices: [slice("app", "a", "a-1", [{ ip: "10.244.1.9" }], [{ port: 80 }]), slice("app", "b", "b-1", [{ ip: "10.244.1.9" }], [{ port: 80 }])],
      },
      config,
    );
    expect(ask(zone2, "9.1.244.10.in-addr.arpa", TYPE.PTR)?.answer).toEqual([
      "9.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-9.a.app.svc.cluster.local.",
      "9.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-9.b.app.svc.cluster.local.",
    ]);
  });

  it("leaves unknown, unready and other reverse names to the forwarder (fallthrough in-addr.arpa)", () => {
    expect(ask(zone, "123.2.0.192.in-addr.arpa", TYPE.PTR)).toBeUndefined();
    expect(ask(zone, "8.2.244.10.in-addr.arpa", TYPE.PTR)).toBeUndefined();
    expect(ask(zone, "20.0.96.10.in-addr.arpa", TYPE.A)).toBeUndefined();
    expect(ask(zone, "0.96.10.in-addr.arpa", TYPE.PTR)).toBeUndefined();
  });
});

describe("the zone's own names", () => {
  const zone = index();

  it("serves SOA and NS at the apex, with glue", () => {
    expect(ask(zone, "cluster.local", TYPE.SOA)).toEqual({ rcode: "NOERROR", aa: true, answer: [SOA], authority: [], additional: [] });
    expect(ask(zone, "cluster.local", TYPE.NS)).toEqual({
      rcode: "NOERROR",
      aa: true,
      answer: ["cluster.local. 30 IN NS ns.dns.cluster.local."],
      authority: [],
      additional: ["ns.dns.cluster.local. 30 IN A 10.96.0.10"],
    });
    expect(ask(zone, "ns.dns.cluster.local", TYPE.A)?.answer).toEqual(["ns.dns.cluster.local. 30 IN A 10.96.0.10"]);
  });

  it("serves dns-version TXT 1.1.0 with TTL 28800, and NODATA for its other types", () => {
    expect(ask(zone, "dns-version.cluster.local", TYPE.TXT)?.answer).toEqual(['dns-version.cluster.local. 28800 IN TXT "1.1.0"']);
    expect(ask(zone, "dns-version.cluster.local", TYPE.A)).toEqual(NODATA);
  });

  it("answers the empty non-terminals with NODATA and the rest with NXDOMAIN (§4)", () => {
    for (const name of ["cluster.local", "svc.cluster.local", "pod.cluster.local", "app.svc.cluster.local", "default.svc.cluster.local", "app.pod.cluster.local", "dns.cluster.local"]) {
      expect(ask(zone, name, TYPE.A), name).toEqual(NODATA);
      expect(ask(zone, name, TYPE.AAAA), name).toEqual(NODATA);
    }
    for (const name of [
      "nope.svc.cluster.local",
      "web.nope.svc.cluster.local",
      "nope.app.svc.cluster.local",
      "x.y.cluster.local",
      "foo.cluster.local",
      "a.b.c.web.app.svc.cluster.local",
      "x._http._tcp.web.app.svc.cluster.local",
      "nope.pod.cluster.local",
      "x.ns.dns.cluster.local",
    ]) {
      expect(ask(zone, name, TYPE.A), name).toEqual(NXDOMAIN);
      expect(ask(zone, name, TYPE.AAAA), name).toEqual(NXDOMAIN);
    }
  });

  it("refuses zone transfers and leaves other zones alone", () => {
    expect(ask(zone, "cluster.local", TYPE.AXFR)?.rcode).toBe("REFUSED");
    expect(ask(zone, "cluster.local", TYPE.IXFR)?.rcode).toBe("REFUSED");
    expect(ask(zone, "example.com", TYPE.A)).toBeUndefined();
    expect(ask(zone, "notcluster.local", TYPE.A)).toBeUndefined();
    expect(ask(zone, "local", TYPE.A)).toBeUndefined();
  });

  it("echoes the question's spelling in owner names and matches case-insensitively", () => {
    expect(ask(zone, "WEB.App.SVC.Cluster.Local", TYPE.A)?.answer).toEqual(["WEB.App.SVC.Cluster.Local. 30 IN A 10.96.0.20"]);
    expect(ask(zone, "_HTTP._Tcp.web.APP.svc.cluster.local", TYPE.SRV)?.answer).toEqual([
      "_HTTP._Tcp.web.APP.svc.cluster.local. 30 IN SRV 0 100 80 web.app.svc.cluster.local.",
    ]);
    expect(ask(zone, "Dns-Version.CLUSTER.local", TYPE.TXT)?.answer).toEqual(['Dns-Version.CLUSTER.local. 28800 IN TXT "1.1.0"']);
  });

  it("caps the SOA's TTL at 300 and keeps the plugin TTL as MINIMUM", () => {
    const z = index({ ttl: 600 });
    expect(ask(z, "nope.app.svc.cluster.local", TYPE.A)?.authority).toEqual([
      `cluster.local. 300 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL} 7200 1800 86400 600`,
    ]);
  });

  it("serves another zone name when configured", () => {
    const z = index({ zone: "kemu.test" });
    expect(ask(z, "web.app.svc.kemu.test", TYPE.A)?.answer).toEqual(["web.app.svc.kemu.test. 30 IN A 10.96.0.20"]);
    expect(ask(z, "web.app.svc.cluster.local", TYPE.A)).toBeUndefined();
  });
});

describe("pods insecure", () => {
  it("answers a-b-c-d.<ns>.pod.<zone> with the IP from the name when the namespace exists", () => {
    const zone = index();
    expect(ask(zone, "10-244-1-5.app.pod.cluster.local", TYPE.A)?.answer).toEqual(["10-244-1-5.app.pod.cluster.local. 30 IN A 10.244.1.5"]);
    expect(ask(zone, "1-2-3-4.default.pod.cluster.local", TYPE.A)?.answer).toEqual(["1-2-3-4.default.pod.cluster.local. 30 IN A 1.2.3.4"]);
    expect(ask(zone, "10-244-1-5.app.pod.cluster.local", TYPE.AAAA)).toEqual(NODATA);
    for (const name of ["10-244-1-5.nope.pod.cluster.local", "1-2-3.app.pod.cluster.local", "01-2-3-4.app.pod.cluster.local", "1-2-3-256.app.pod.cluster.local", "x.1-2-3-4.app.pod.cluster.local"]) {
      expect(ask(zone, name, TYPE.A), name).toEqual(NXDOMAIN);
    }
  });

  it("answers NXDOMAIN under pod.<zone> with pods disabled", () => {
    const zone = index({ pods: "disabled" });
    expect(ask(zone, "10-244-1-5.app.pod.cluster.local", TYPE.A)).toEqual(NXDOMAIN);
    expect(ask(zone, "pod.cluster.local", TYPE.A)).toEqual(NODATA);
  });
});

describe("changes", () => {
  it("follows updates and deletions, bumping version and serial", () => {
    let now = SERIAL;
    const zone = buildIndex({ namespaces: ["app"], services: [services[2]!], endpointSlices: [slices[1]!] }, { ...config, now: () => now });
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.A)?.answer).toHaveLength(3);
    const v = zone.version;
    now += 10;
    zone.setEndpointSlice(slice("app", "db", "db-xyz", [{ ip: "10.244.3.3", hostname: "db-9" }], [{ name: "postgres", port: 5432 }]));
    expect(zone.version).toBeGreaterThan(v);
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["db.app.svc.cluster.local. 30 IN A 10.244.3.3"]);
    expect(ask(zone, "db-0.db.app.svc.cluster.local", TYPE.A)?.authority[0]).toContain(` ${SERIAL + 10} 7200`);
    expect(ask(zone, "3.3.244.10.in-addr.arpa", TYPE.PTR)?.answer).toEqual(["3.3.244.10.in-addr.arpa. 30 IN PTR db-9.db.app.svc.cluster.local."]);
    expect(ask(zone, "5.1.244.10.in-addr.arpa", TYPE.PTR)).toBeUndefined();

    zone.deleteEndpointSlice(slices[1]!);
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.A)?.rcode).toBe("NXDOMAIN");
    zone.deleteService(services[2]!);
    expect(ask(zone, "_postgres._tcp.db.app.svc.cluster.local", TYPE.SRV)?.rcode).toBe("NXDOMAIN");
    zone.setService(svc("app", "db", { clusterIP: "10.96.5.5", ports: [] }));
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["db.app.svc.cluster.local. 30 IN A 10.96.5.5"]);
    now += 5;
    zone.deleteNamespace("app");
    expect(ask(zone, "db.app.svc.cluster.local", TYPE.A)?.rcode).toBe("NXDOMAIN");
    expect(zone.serial).toBe(SERIAL + 15);
    expect(ask(zone, "app.svc.cluster.local", TYPE.A)?.rcode).toBe("NXDOMAIN");
  });

  it("moves a slice whose service label changes", () => {
    const zone = buildIndex(
      { namespaces: ["app"], services: [svc("app", "a", { clusterIP: "None" }), svc("app", "b", { clusterIP: "None" })], endpointSlices: [slice("app", "a", "s", [{ ip: "10.0.0.1" }], [])] },
      config,
    );
    expect(ask(zone, "a.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["a.app.svc.cluster.local. 30 IN A 10.0.0.1"]);
    zone.setEndpointSlice(slice("app", "b", "s", [{ ip: "10.0.0.1" }], []));
    expect(ask(zone, "a.app.svc.cluster.local", TYPE.A)?.rcode).toBe("NXDOMAIN");
    expect(ask(zone, "b.app.svc.cluster.local", TYPE.A)?.answer).toEqual(["b.app.svc.cluster.local. 30 IN A 10.0.0.1"]);
  });
});
