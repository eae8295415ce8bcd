// The wire layer: our codec against dns2's (an independent implementation),
// the hot-path parser, replies built from precomputed sections (case echo by
// compression pointer, EDNS sizes, TC), and garbage in.
import { describe, expect, it } from "vitest";
import { Packet, type Header, type Question, type Resource } from "dns2";
import { FLAG, decodeMessage, encodeMessage, nameToWire, readName, type Message } from "../../src/dns/wire/codec.js";
import { ParseStatus, newParsedQuery, parseQuery, keyQname } from "../../src/dns/wire/query.js";
import { EDNS_UDP_SIZE, errorResponse, prepareAnswer, prepareRelayed, udpLimit, writeResponse } from "../../src/dns/wire/response.js";
import { buildIndex } from "../../src/dns/kubernetes/records.js";
import { DnsHandler } from "../../src/dns/handler.js";
import { Metrics } from "../../src/dns/metrics.js";
import { RCODE, TYPE, rrText, type RR } from "../../src/dns/rr.js";
import type { EndpointSlice, Service } from "../../src/api/types.js";

/** A query encoded by dns2. */
function dns2Query(name: string, type: number, opts: { id?: number; rd?: boolean; edns?: number; dnssecOk?: boolean; ednsVersion?: number } = {}): Buffer {
  const p = new Packet({ id: opts.id ?? 0x1234, rd: opts.rd === false ? 0 : 1 } as Header);
  p.questions.push({ name, type, class: Packet.CLASS.IN } as Question);
  if (opts.edns !== undefined) {
    // an OPT record as dns2 encodes it: class = UDP size, TTL = ext-rcode | version | DO
    const ttl = ((opts.ednsVersion ?? 0) << 16) | (opts.dnssecOk ? 0x8000 : 0);
    p.additionals.push({ name: "", type: Packet.TYPE.EDNS, class: opts.edns, ttl, rdata: [] } as unknown as Resource);
  }
  return p.toBuffer();
}

const every: RR[] = [
  { kind: "A", name: "web.app.svc.cluster.local", ttl: 30, address: "10.96.0.20" },
  { kind: "AAAA", name: "v6.example", ttl: 60, address: "fd00::1:2" },
  { kind: "CNAME", name: "ext.app.svc.cluster.local", ttl: 30, target: "example.com" },
  { kind: "PTR", name: "20.0.96.10.in-addr.arpa", ttl: 30, target: "web.app.svc.cluster.local" },
  { kind: "NS", name: "cluster.local", ttl: 30, target: "ns.dns.cluster.local" },
  { kind: "MX", name: "example.com", ttl: 300, preference: 10, exchange: "mail.example.com" },
  { kind: "SRV", name: "_http._tcp.web.app.svc.cluster.local", ttl: 30, priority: 0, weight: 100, port: 80, target: "web.app.svc.cluster.local" },
  { kind: "TXT", name: "dns-version.cluster.local", ttl: 28800, text: ["1.1.0"] },
  { kind: "SOA", name: "cluster.local", ttl: 30, mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 },
];

describe("codec", () => {
  it("round-trips every record kind, and dns2 reads the same records", () => {
    const msg: Message = {
      id: 4321,
      flags: FLAG.QR | FLAG.AA | FLAG.RD,
      questions: [{ name: "web.app.svc.cluster.local", type: TYPE.A, class: 1 }],
      answers: every.slice(0, 5),
      authority: every.slice(5, 7),
      additional: every.slice(7),
    };
    const wire = encodeMessage(msg);
    expect(decodeMessage(wire)).toEqual(msg);
    // compression happened: the A's owner points at the question
    expect(wire.readUInt16BE(12 + nameToWire("web.app.svc.cluster.local").length + 4)).toBe(0xc00c);

    const p = Packet.parse(wire);
    expect(p.header).toMatchObject({ id: 4321, qr: 1, aa: 1, rd: 1, ra: 0, rcode: 0 });
    expect(p.answers.map((a) => [a.name, a.type, a.ttl])).toEqual(msg.answers.map((a) => [a.name, TYPE[a.kind as keyof typeof TYPE], a.ttl]));
    expect(p.answers[0]).toMatchObject({ address: "10.96.0.20" });
    expect(p.answers[2]).toMatchObject({ domain: "example.com" });
    expect(p.answers[3]).toMatchObject({ domain: "web.app.svc.cluster.local" });
    expect(p.answers[4]).toMatchObject({ ns: "ns.dns.cluster.local" });
    expect(p.authorities[0]).toMatchObject({ priority: 10, exchange: "mail.example.com" });
    expect(p.authorities[1]).toMatchObject({ priority: 0, weight: 100, port: 80, target: "web.app.svc.cluster.local" });
    expect(p.additionals[0]).toMatchObject({ name: "dns-version.cluster.local", ttl: 28800 });
    expect(p.additionals[1]).toMatchObject({ primary: "ns.dns.cluster.local", admin: "hostmaster.cluster.local", serial: 1700000000, refresh: 7200, retry: 1800, expiration: 86400, minimum: 30 });
  });

  it("decodes what dns2 encodes", () => {
    const p = new Packet({ id: 7, qr: 1, rd: 1 } as Header);
    p.questions.push({ name: "a.example", type: TYPE.A, class: 1 } as Question);
    p.answers.push({ name: "a.example", type: TYPE.A, class: 1, ttl: 60, address: "192.0.2.1" } as Resource);
    p.answers.push({ name: "a.example", type: TYPE.TXT, class: 1, ttl: 60, data: ["hello", "world"] } as Resource);
    const msg = decodeMessage(p.toBuffer());
    expect(msg.id).toBe(7);
    expect(msg.answers.map(rrText)).toEqual(["a.example. 60 IN A 192.0.2.1", 'a.example. 60 IN TXT "hello" "world"']);
  });

  it("escapes odd bytes in names and refuses pointer loops", () => {
    const wire = Buffer.from([3, 0x61, 0x2e, 0x20, 0]);
    expect(readName(wire, 0).name).toBe("a\\.\\032");
    expect(nameToWire("a\\.\\032")).toEqual(wire);
    const loop = Buffer.from([0xc0, 0x00]);
    expect(() => readName(loop, 0)).toThrow(/pointer/);
  });
});

describe("query parsing (hot path)", () => {
  it("reads id, question, a lower-cased key, and EDNS", () => {
    const q = newParsedQuery();
    const wire = dns2Query("WEB.App.svc.cluster.local", TYPE.SRV, { id: 99, edns: 4096, dnssecOk: true });
    expect(parseQuery(wire, q)).toBe(ParseStatus.OK);
    expect(q).toMatchObject({ id: 99, qtype: TYPE.SRV, qclass: 1, edns: true, udpSize: 4096, ednsVersion: 0, dnssecOk: true });
    expect(readName(keyQname(q.key), 0).name).toBe("web.app.svc.cluster.local");
    expect(q.key.charCodeAt(1)).toBe(TYPE.SRV);
    expect(q.questionEnd).toBe(12 + nameToWire("web.app.svc.cluster.local").length + 4);

    expect(parseQuery(dns2Query("web.app.svc.cluster.local", TYPE.A), q)).toBe(ParseStatus.OK);
    expect(q).toMatchObject({ edns: false, udpSize: 512 });
  });

  it("drops what is not a query and rejects malformed ones", () => {
    const q = newParsedQuery();
    const good = dns2Query("a.example", TYPE.A);
    expect(parseQuery(Buffer.alloc(5), q)).toBe(ParseStatus.DROP);
    const response = Buffer.from(good);
    response[2]! |= 0x80;
    expect(parseQuery(response, q)).toBe(ParseStatus.DROP);
    const notify = Buffer.from(good);
    notify[2] = 4 << 3;
    expect(parseQuery(notify, q)).toBe(ParseStatus.NOTIMP);
    const two = Buffer.from(good);
    two.writeUInt16BE(2, 4);
    expect(parseQuery(two, q)).toBe(ParseStatus.FORMERR);
    expect(parseQuery(good.subarray(0, good.length - 3), q)).toBe(ParseStatus.FORMERR);
    const longLabel = Buffer.from(good);
    longLabel[12] = 0x3f;
    expect(parseQuery(longLabel, q)).toBe(ParseStatus.FORMERR);
    const pointer = Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
    expect(parseQuery(pointer, q)).toBe(ParseStatus.FORMERR);
    const badOpt = Buffer.concat([good, Buffer.from([0])]);
    badOpt.writeUInt16BE(1, 10);
    expect(parseQuery(badOpt, q)).toBe(ParseStatus.FORMERR);
  });

  it("never throws on random bytes", () => {
    const q = newParsedQuery();
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const base = dns2Query("abc.default.svc.cluster.local", TYPE.A, { edns: 1232 });
    for (let i = 0; i < 20000; i++) {
      const b = i % 2 ? Buffer.from(base) : Buffer.alloc(rnd() % 80);
      for (let j = 0; j < (i % 7) + 1; j++) if (b.length) b[rnd() % b.length] = rnd();
      if (b.length > 2) b[2]! &= 0x7f;
      expect(() => parseQuery(b, q)).not.toThrow();
    }
  });
});

function svc(name: string, spec: Record<string, unknown>): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: "app", name }, spec } as Service;
}

const bigSlice: EndpointSlice = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { namespace: "app", name: "big-1", labels: { "kubernetes.io/service-name": "big" } },
  addressType: "IPv4",
  endpoints: Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.244.${1 + (i >> 6)}.${(i % 64) + 2}`], conditions: { ready: true } })),
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
} as EndpointSlice;

const zone = buildIndex(
  {
    namespaces: ["app"],
    services: [svc("web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80 }] }), svc("big", { clusterIP: "None", ports: [{ name: "http", port: 8080 }] })],
    endpointSlices: [bigSlice],
  },
  { zone: "cluster.local", ttl: 30, now: () => 1700000000 },
);

function reply(query: Buffer, tcp = false): Buffer {
  const q = newParsedQuery();
  expect(parseQuery(query, q)).toBe(ParseStatus.OK);
  const name = readName(keyQname(q.key), 0).name;
  const p = prepareAnswer(keyQname(q.key), zone.lookup(name, q.qtype)!);
  return writeResponse(query, q, p, tcp ? 65535 : udpLimit(q), tcp);
}

describe("replies from precomputed sections", () => {
  it("copies id, question and RD, sets QR and AA, not RA, and echoes the query's case by pointer", () => {
    const r = reply(dns2Query("WEB.App.SVC.cluster.local", TYPE.A, { id: 0xbeef }));
    const p = Packet.parse(r);
    expect(p.header).toMatchObject({ id: 0xbeef, qr: 1, aa: 1, tc: 0, rd: 1, ra: 0, rcode: 0, qdcount: 1, ancount: 1 });
    expect(p.questions[0]).toMatchObject({ name: "WEB.App.SVC.cluster.local", type: TYPE.A });
    expect(p.answers[0]).toMatchObject({ name: "WEB.App.SVC.cluster.local", address: "10.96.0.20", ttl: 30 });
    expect(decodeMessage(r).answers.map(rrText)).toEqual(["WEB.App.SVC.cluster.local. 30 IN A 10.96.0.20"]);
    const noRd = Packet.parse(reply(dns2Query("web.app.svc.cluster.local", TYPE.A, { rd: false })));
    expect(noRd.header.rd).toBe(0);
  });

  it("carries NXDOMAIN and NODATA with the SOA in authority", () => {
    const nx = decodeMessage(reply(dns2Query("nope.app.svc.cluster.local", TYPE.A)));
    expect(nx.flags & 0x0f).toBe(RCODE.NXDOMAIN);
    expect(nx.answers).toEqual([]);
    expect(nx.authority.map(rrText)).toEqual(["cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30"]);
    const nodata = decodeMessage(reply(dns2Query("web.app.svc.cluster.local", TYPE.AAAA)));
    expect(nodata.flags & 0x0f).toBe(RCODE.NOERROR);
    expect(nodata.answers).toEqual([]);
    expect(nodata.authority).toHaveLength(1);
  });

  it("answers EDNS with an OPT of our size 1232, and limits the reply to min(client's size, 1232)", () => {
    const q = newParsedQuery();
    parseQuery(dns2Query("x.example", TYPE.A, { edns: 4096 }), q);
    expect(udpLimit(q)).toBe(1232);
    parseQuery(dns2Query("x.example", TYPE.A, { edns: 800 }), q);
    expect(udpLimit(q)).toBe(800);
    parseQuery(dns2Query("x.example", TYPE.A, { edns: 100 }), q);
    expect(udpLimit(q)).toBe(512);
    parseQuery(dns2Query("x.example", TYPE.A), q);
    expect(udpLimit(q)).toBe(512);

    const r = Packet.parse(reply(dns2Query("web.app.svc.cluster.local", TYPE.SRV, { edns: 4096, dnssecOk: true })));
    const opt = r.additionals.find((a) => a.type === TYPE.OPT)!;
    expect(opt).toMatchObject({ name: "", class: EDNS_UDP_SIZE });
    expect(r.answers).toHaveLength(1);
    expect(r.additionals).toHaveLength(2); // the target's A, then OPT
    const plain = Packet.parse(reply(dns2Query("web.app.svc.cluster.local", TYPE.A)));
    expect(plain.additionals).toHaveLength(0);
  });

  it("truncates a 100-endpoint headless answer over UDP (TC, no records) and sends it whole over TCP", () => {
    const udp = Packet.parse(reply(dns2Query("big.app.svc.cluster.local", TYPE.A)));
    expect(udp.header).toMatchObject({ tc: 1, ancount: 0, rcode: 0 });
    expect(udp.questions[0]!.name).toBe("big.app.svc.cluster.local");
    const udpEdns = reply(dns2Query("big.app.svc.cluster.local", TYPE.A, { edns: 4096 }));
    expect(udpEdns.length).toBeLessThanOrEqual(1232);
    expect(Packet.parse(udpEdns).header).toMatchObject({ tc: 1, ancount: 0, arcount: 1 });
    const tcp = reply(dns2Query("big.app.svc.cluster.local", TYPE.A), true);
    expect(tcp.readUInt16BE(0)).toBe(tcp.length - 2);
    const whole = decodeMessage(tcp.subarray(2));
    expect(whole.flags & FLAG.TC).toBe(0);
    expect(whole.answers).toHaveLength(100);
    expect(new Set(whole.answers.map((a) => (a.kind === "A" ? a.address : "")))).toHaveProperty("size", 100);
    // An answer that fits 1232 but not 512 needs EDNS.
    const srv = decodeMessage(reply(dns2Query("_http._tcp.big.app.svc.cluster.local", TYPE.SRV, { edns: 1232 })));
    expect(srv.flags & FLAG.TC).toBe(FLAG.TC);
  });

  it("writes error replies with the question, or a bare header", () => {
    const query = dns2Query("x.example", TYPE.A, { id: 5, edns: 1232 });
    const q = newParsedQuery();
    parseQuery(query, q);
    const refused = Packet.parse(errorResponse(query, q, RCODE.REFUSED, false));
    expect(refused.header).toMatchObject({ id: 5, qr: 1, rcode: RCODE.REFUSED, qdcount: 1, arcount: 1 });
    const badvers = Packet.parse(errorResponse(query, q, RCODE.BADVERS, false));
    expect(badvers.header.rcode).toBe(RCODE.BADVERS);
    const bare = decodeMessage(errorResponse(Buffer.from([0xab, 0xcd, 0x01, 0x00, 0xff]), undefined, RCODE.FORMERR, false));
    expect(bare).toMatchObject({ id: 0xabcd, questions: [], answers: [] });
    expect(bare.flags).toBe(FLAG.QR | FLAG.RD | RCODE.FORMERR);
  });
});

describe("relayed replies", () => {
  it("strips the upstream's OPT, keeps its flags, and rewrites TTLs when served from cache", () => {
    const upstream: Message = {
      id: 1,
      flags: FLAG.QR | FLAG.RD | FLAG.RA,
      questions: [{ name: "www.example.com", type: TYPE.A, class: 1 }],
      answers: [
        { kind: "CNAME", name: "www.example.com", ttl: 300, target: "example.com" },
        { kind: "A", name: "example.com", ttl: 120, address: "192.0.2.7" },
      ],
      authority: [],
      additional: [{ kind: "RAW", type: TYPE.OPT, name: "", class: 1232, ttl: 0, rdata: Buffer.alloc(0) }],
    };
    const raw = encodeMessage(upstream);
    const qEnd = 12 + nameToWire("www.example.com").length + 4;
    const relayed = prepareRelayed(raw, qEnd);
    expect(relayed).toMatchObject({ truncated: false, minTtl: 120 });
    expect(relayed.prepared).toMatchObject({ rcode: 0, an: 2, ns: 0, ar: 0, flagsLo: 0x80 });

    const query = dns2Query("WWW.example.com", TYPE.A, { id: 77 });
    const q = newParsedQuery();
    parseQuery(query, q);
    const out = decodeMessage(writeResponse(query, q, relayed.prepared, 512, false, 42));
    expect(out.id).toBe(77);
    expect(out.flags & FLAG.RA).toBe(FLAG.RA);
    expect(out.answers.map(rrText)).toEqual(["WWW.example.com. 42 IN CNAME example.com.", "example.com. 42 IN A 192.0.2.7"]);
    expect(out.additional).toEqual([]);
  });

  it("finds the negative TTL in an upstream SOA", () => {
    const raw = encodeMessage({
      id: 1,
      flags: FLAG.QR | RCODE.NXDOMAIN,
      questions: [{ name: "nope.example", type: TYPE.A, class: 1 }],
      answers: [],
      authority: [{ kind: "SOA", name: "example", ttl: 900, mname: "ns.example", rname: "h.example", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 60 }],
      additional: [],
    });
    const relayed = prepareRelayed(raw, 12 + nameToWire("nope.example").length + 4);
    expect(relayed.negativeTtl).toBe(60);
    expect(relayed.prepared.rcode).toBe(RCODE.NXDOMAIN);
  });
});

describe("the handler never throws", () => {
  it("answers FORMERR to a readable header with a bad question, drops the rest", () => {
    const handler = new DnsHandler({ zone: { zone, synced: true }, metrics: new Metrics() });
    const replies: Buffer[] = [];
    handler.handle(Buffer.from([1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]), false, false, (r) => replies.push(r));
    expect(replies).toHaveLength(1);
    expect(replies[0]![3]! & 0x0f).toBe(RCODE.FORMERR);
    handler.handle(Buffer.from([1, 2, 3]), false, false, (r) => replies.push(r));
    expect(replies).toHaveLength(1);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const base = dns2Query("web.app.svc.cluster.local", TYPE.A, { edns: 1232 });
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(base);
      for (let j = 0; j < 3; j++) b[rnd() % b.length] = rnd();
      b[2]! &= 0x7f;
      expect(() => handler.handle(b, i % 2 === 0, false, () => undefined)).not.toThrow();
    }
  });

  it("answers SERVFAIL in the zone before the index has synced", () => {
    const handler = new DnsHandler({ zone: { zone, synced: false }, metrics: new Metrics() });
    let got: Buffer | undefined;
    handler.handle(dns2Query("web.app.svc.cluster.local", TYPE.A), false, false, (r) => (got = r));
    expect(Packet.parse(got!).header.rcode).toBe(RCODE.SERVFAIL);
  });
});

