// The forward plugin's parts on their own: upstream order and timeouts,
// max_concurrent, and the cache's TTL rules (127.0.0.1 only).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dgram from "node:dgram";
import { Forwarder, ForwardError, parseUpstream } from "../../src/dns/forward/forwarder.js";
import { ForwardCache } from "../../src/dns/forward/cache.js";
import { FLAG, decodeMessage, encodeMessage, nameToWire } from "../../src/dns/wire/codec.js";
import { prepareRelayed } from "../../src/dns/wire/response.js";
import { RCODE, TYPE, type RR } from "../../src/dns/rr.js";

/** A UDP server that answers A 192.0.2.1 (TTL 100), except for names starting with "slow" (no reply). */
async function upstream(): Promise<{ port: number; seen: string[]; close: () => void }> {
  const seen: string[] = [];
  const s = dgram.createSocket("udp4");
  s.on("message", (msg, rinfo) => {
    const q = decodeMessage(msg);
    const name = q.questions[0]!.name;
    seen.push(name);
    if (name.startsWith("slow")) return;
    const answers: RR[] = [{ kind: "A", name, ttl: 100, address: "192.0.2.1" }];
    s.send(encodeMessage({ id: q.id, flags: FLAG.QR | FLAG.RD | FLAG.RA, questions: q.questions, answers, authority: [], additional: [] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: s.address().port, seen, close: () => s.close() };
}

/** A port where nothing answers (bound, silent). */
async function silent(): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: s.address().port, close: () => s.close() };
}

describe("Forwarder", () => {
  let up: Awaited<ReturnType<typeof upstream>>;
  let dead: Awaited<ReturnType<typeof silent>>;

  beforeAll(async () => {
    up = await upstream();
    dead = await silent();
  });
  afterAll(() => {
    up.close();
    dead.close();
  });

  it("parses upstream addresses", () => {
    expect(parseUpstream("10.0.0.1:5353")).toEqual({ host: "10.0.0.1", port: 5353 });
    expect(parseUpstream("10.0.0.1")).toEqual({ host: "10.0.0.1", port: 53 });
    expect(parseUpstream("[fd00::1]:54")).toEqual({ host: "fd00::1", port: 54 });
    expect(parseUpstream("fd00::1")).toEqual({ host: "fd00::1", port: 53 });
    expect(() => parseUpstream("example.com:53")).toThrow(/not an IP address/);
    expect(() => parseUpstream("10.0.0.1:0")).toThrow(/bad port/);
  });

  it("asks with its own ID and RD, and returns the reply to our question", async () => {
    const f = new Forwarder({ upstreams: [{ host: "127.0.0.1", port: up.port }] });
    try {
      const reply = decodeMessage(await f.exchange(nameToWire("www.example.com"), TYPE.A, 1, false));
      expect(reply.questions).toEqual([{ name: "www.example.com", type: TYPE.A, class: 1 }]);
      expect(reply.answers).toHaveLength(1);
    } finally {
      f.close();
    }
  });

  it("moves to the next upstream after the timeout, and fails when all fail", async () => {
    const exchanges: string[] = [];
    const f = new Forwarder({
      upstreams: [{ host: "127.0.0.1", port: dead.port }, { host: "127.0.0.1", port: up.port }],
      timeoutMs: 200,
      onExchange: (to, rcode) => exchanges.push(`${to} ${rcode}`),
    });
    try {
      const started = Date.now();
      const reply = decodeMessage(await f.exchange(nameToWire("a.example"), TYPE.A, 1, false));
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(reply.answers).toHaveLength(1);
      expect(exchanges).toEqual([`127.0.0.1:${dead.port} -1`, `127.0.0.1:${up.port} 0`]);
      await expect(f.exchange(nameToWire("slow.example"), TYPE.A, 1, false)).rejects.toMatchObject({ reason: "failed" });
    } finally {
      f.close();
    }
  });

  it("refuses beyond max_concurrent, and without upstreams, at once", async () => {
    let rejects = 0;
    const f = new Forwarder({ upstreams: [{ host: "127.0.0.1", port: up.port }], timeoutMs: 300, maxConcurrent: 2, onReject: () => rejects++ });
    try {
      const a = f.exchange(nameToWire("slow1.example"), TYPE.A, 1, false);
      const b = f.exchange(nameToWire("slow2.example"), TYPE.A, 1, false);
      expect(f.inFlight).toBe(2);
      await expect(f.exchange(nameToWire("c.example"), TYPE.A, 1, false)).rejects.toBeInstanceOf(ForwardError);
      expect(rejects).toBe(1);
      await Promise.allSettled([a, b]);
      expect(f.inFlight).toBe(0);
      expect((await f.exchange(nameToWire("c.example"), TYPE.A, 1, false)).length).toBeGreaterThan(12);
    } finally {
      f.close();
    }
    const none = new Forwarder({ upstreams: [] });
    await expect(none.exchange(nameToWire("c.example"), TYPE.A, 1, false)).rejects.toMatchObject({ reason: "refused" });
  });
});

function relayed(answers: RR[], opts: { rcode?: number; soa?: { ttl: number; minimum: number }; tc?: boolean } = {}) {
  const name = "q.example";
  const raw = encodeMessage({
    id: 1,
    flags: FLAG.QR | (opts.rcode ?? 0) | (opts.tc ? FLAG.TC : 0),
    questions: [{ name, type: TYPE.A, class: 1 }],
    answers,
    authority: opts.soa ? [{ kind: "SOA", name: "example", ttl: opts.soa.ttl, mname: "ns", rname: "h", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: opts.soa.minimum }] : [],
    additional: [],
  });
  return prepareRelayed(raw, 12 + nameToWire(name).length + 4);
}

const a = (ttl: number): RR => ({ kind: "A", name: "q.example", ttl, address: "192.0.2.1" });

describe("ForwardCache", () => {
  it("keeps positive answers for their smallest TTL, capped at 3600, at least 5 s, and counts down", () => {
    const c = new ForwardCache();
    expect(c.put("k1", relayed([a(100), a(50)]), 0)).toMatchObject({ ttl: 50, denial: false });
    expect(c.get("k1", 20_500)).toMatchObject({ remaining: 30 });
    expect(c.get("k1", 50_000)).toBeUndefined();
    expect(c.size).toBe(0);
    expect(c.put("k2", relayed([a(86400)]), 0)?.ttl).toBe(3600);
    expect(c.put("k3", relayed([a(0)]), 0)?.ttl).toBe(5);
  });

  it("keeps denials for min(SOA TTL, MINIMUM), capped at 1800, and nothing for SERVFAIL, REFUSED or TC", () => {
    const c = new ForwardCache();
    expect(c.put("nx", relayed([], { rcode: RCODE.NXDOMAIN, soa: { ttl: 900, minimum: 60 } }), 0)).toMatchObject({ ttl: 60, denial: true });
    expect(c.put("nodata", relayed([], { soa: { ttl: 7200, minimum: 7200 } }), 0)).toMatchObject({ ttl: 1800, denial: true });
    expect(c.put("nosoa", relayed([], { rcode: RCODE.NXDOMAIN }), 0)?.ttl).toBe(5);
    expect(c.put("sf", relayed([], { rcode: RCODE.SERVFAIL }), 0)).toBeUndefined();
    expect(c.put("rf", relayed([], { rcode: RCODE.REFUSED }), 0)).toBeUndefined();
    expect(c.put("tc", relayed([a(100)], { tc: true }), 0)).toBeUndefined();
    expect(c.counts()).toEqual({ success: 0, denial: 3 });
  });

  it("evicts the oldest entry when full", () => {
    const c = new ForwardCache({ capacity: 3 });
    for (const k of ["a", "b", "c", "d"]) c.put(k, relayed([a(100)]), 0);
    expect(c.size).toBe(3);
    expect(c.get("a", 0)).toBeUndefined();
    expect(c.get("d", 0)).toBeDefined();
  });
});
