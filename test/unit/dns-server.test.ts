// The DNS server end to end on 127.0.0.1 (random ports, no root): a fake
// in-memory API as its source, Node's resolver (c-ares), raw UDP/TCP packets
// and dig as clients, and a tiny upstream server for forwarding.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dgram from "node:dgram";
import net from "node:net";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { promises as dnsPromises } from "node:dns";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Packet, type Header, type Question, type Resource } from "dns2";
import type { ListWatchSource, WatchHandle } from "../../src/api/informer.js";
import type { ResourceInfo } from "../../src/api/resources.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Stored, WatchEvent } from "../../src/api/types.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { startDnsServer, type RunningDnsServer } from "../../src/dns/server.js";
import { parseDnsArgs, FlagError } from "../../src/dns/main.js";
import { FLAG, decodeMessage, encodeMessage, type Message } from "../../src/dns/wire/codec.js";
import { RCODE, TYPE, rrText, type RR } from "../../src/dns/rr.js";

const run = promisify(execFile);

/** A ListWatchSource over an in-memory set of objects; writes are pushed to watchers at once. */
class FakeSource implements ListWatchSource {
  private readonly objects = new Map<string, Map<string, Stored<KubeObject>>>();
  private readonly watchers = new Set<{ plural: string; onEvent: (e: WatchEvent) => void }>();
  private rv = 1;
  /** when set, list() waits for it (an API that is not up yet) */
  gate?: Promise<void>;

  async list(resource: ResourceInfo): Promise<{ items: Stored<KubeObject>[]; metadata: { resourceVersion: string } }> {
    if (this.gate) await this.gate;
    return { items: [...(this.objects.get(resource.plural)?.values() ?? [])], metadata: { resourceVersion: String(this.rv) } };
  }

  watch(resource: ResourceInfo, _options: unknown, onEvent: (e: WatchEvent) => void): WatchHandle {
    const w = { plural: resource.plural, onEvent };
    this.watchers.add(w);
    return { stop: () => this.watchers.delete(w) };
  }

  put(obj: KubeObject): void {
    const resource = resourceByKind(obj.kind)!;
    const key = `${obj.metadata?.namespace ?? ""}/${obj.metadata!.name}`;
    let map = this.objects.get(resource.plural);
    if (!map) this.objects.set(resource.plural, (map = new Map()));
    const old = map.get(key);
    const stored = {
      ...obj,
      metadata: { ...obj.metadata, name: obj.metadata!.name!, uid: key, creationTimestamp: "2024-01-01T00:00:00Z", resourceVersion: String(++this.rv) },
    } as Stored<KubeObject>;
    map.set(key, stored);
    for (const w of this.watchers) if (w.plural === resource.plural) w.onEvent({ type: old ? "MODIFIED" : "ADDED", object: stored });
  }

  remove(obj: KubeObject): void {
    const resource = resourceByKind(obj.kind)!;
    const key = `${obj.metadata?.namespace ?? ""}/${obj.metadata!.name}`;
    const old = this.objects.get(resource.plural)?.get(key);
    if (!old) return;
    this.objects.get(resource.plural)!.delete(key);
    for (const w of this.watchers) if (w.plural === resource.plural) w.onEvent({ type: "DELETED", object: { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } } });
  }
}

const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const svc = (name: string, spec: Record<string, unknown>, namespace = "app"): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { namespace, name }, spec });
const slice = (service: string, ips: { ip: string; hostname?: string }[], ports: { name: string; port: number }[], namespace = "app"): KubeObject => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { namespace, name: `${service}-1`, labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints: ips.map((e) => ({ addresses: [e.ip], ...(e.hostname ? { hostname: e.hostname } : {}), conditions: { ready: true } })),
  ports: ports.map((p) => ({ ...p, protocol: "TCP" })),
});

function fixture(source: FakeSource): void {
  for (const n of ["default", "app", "kube-system"]) source.put(ns(n));
  source.put(svc("web", { clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20"], ports: [{ name: "http", port: 80, protocol: "TCP" }] }));
  source.put(slice("web", [{ ip: "10.244.1.10" }], [{ name: "http", port: 8080 }]));
  source.put(svc("db", { clusterIP: "None", ports: [{ name: "postgres", port: 5432 }] }));
  source.put(slice("db", [{ ip: "10.244.1.5", hostname: "db-0" }, { ip: "10.244.2.6", hostname: "db-1" }], [{ name: "postgres", port: 5432 }]));
  source.put(svc("big", { clusterIP: "None", ports: [{ name: "http", port: 80 }] }));
  source.put(slice("big", Array.from({ length: 100 }, (_, i) => ({ ip: `10.244.3.${i + 2}` })), [{ name: "http", port: 80 }]));
  source.put(svc("ext", { type: "ExternalName", externalName: "www.example.com" }));
  source.put(svc("kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }, "kube-system"));
}

// ---- a tiny upstream on 127.0.0.1 ---------------------------------------------------

interface Upstream {
  port: number;
  queries: string[];
  close(): Promise<void>;
}

function upstreamAnswer(query: Buffer, tcp: boolean): Buffer {
  const q = decodeMessage(query);
  const question = q.questions[0]!;
  const name = question.name.toLowerCase();
  const answers: RR[] = [];
  let rcode: number = RCODE.NOERROR;
  let truncated = false;
  if (name === "www.example.com" && question.type === TYPE.A) answers.push({ kind: "A", name: question.name, ttl: 100, address: "192.0.2.7" });
  else if (name === "123.2.0.192.in-addr.arpa" && question.type === TYPE.PTR) answers.push({ kind: "PTR", name: question.name, ttl: 100, target: "my.test" });
  else if (name.startsWith("huge") && question.type === TYPE.TXT) {
    if (!tcp) truncated = true;
    else for (let i = 0; i < 40; i++) answers.push({ kind: "TXT", name: question.name, ttl: 100, text: ["x".repeat(100)] });
  } else if (name === "slow.example") return Buffer.alloc(0);
  else if (name !== "www.example.com") rcode = RCODE.NXDOMAIN;
  const reply: Message = {
    id: q.id,
    flags: FLAG.QR | FLAG.RD | FLAG.RA | rcode | (truncated ? FLAG.TC : 0),
    questions: q.questions,
    answers,
    authority: answers.length ? [] : [{ kind: "SOA", name: "example", ttl: 3600, mname: "ns.example", rname: "h.example", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 }],
    additional: [],
  };
  return encodeMessage(reply);
}

async function startUpstream(): Promise<Upstream> {
  const queries: string[] = [];
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, rinfo) => {
    const q = decodeMessage(msg).questions[0]!;
    queries.push(`udp ${q.name} ${q.type}`);
    const r = upstreamAnswer(msg, false);
    if (r.length) udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  const port = udp.address().port;
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on("data", (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const q = decodeMessage(msg).questions[0]!;
        queries.push(`tcp ${q.name} ${q.type}`);
        const r = upstreamAnswer(msg, true);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.length);
        sock.write(Buffer.concat([len, r]));
      }
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => tcp.listen(port, "127.0.0.1", () => r()));
  return {
    port,
    queries,
    close: async () => {
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

// ---- clients ------------------------------------------------------------------------------

let nextId = 1;
function query(name: string, type: number, opts: { edns?: number; id?: number } = {}): Buffer {
  const p = new Packet({ id: opts.id ?? nextId++, rd: 1 } as Header);
  p.questions.push({ name, type, class: 1 } as Question);
  if (opts.edns) p.additionals.push({ name: "", type: Packet.TYPE.EDNS, class: opts.edns, ttl: 0, rdata: [] } as unknown as Resource);
  return p.toBuffer();
}

function udpAsk(port: number, msg: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => {
      s.close();
      reject(new Error("no UDP reply"));
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, "127.0.0.1");
  });
}

function tcpAsk(port: number, msgs: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    sock.on("connect", () => {
      // all queries in one write: pipelining
      sock.write(Buffer.concat(msgs.flatMap((m) => [Buffer.from([m.length >> 8, m.length & 0xff]), m])));
    });
    sock.on("data", (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + replies.at(-1)!.length);
      }
      if (replies.length === msgs.length) {
        sock.end();
        resolve(replies);
      }
    });
    sock.on("error", reject);
  });
}

function text(msg: Buffer): { rcode: number; flags: number; answers: string[]; authority: string[]; additional: string[] } {
  const m = decodeMessage(msg);
  return { rcode: m.flags & 0x0f, flags: m.flags, answers: m.answers.map(rrText), authority: m.authority.map(rrText), additional: m.additional.map(rrText) };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

// ---- the tests ------------------------------------------------------------------------------

describe("DNS server (in-process, fake API)", () => {
  let source: FakeSource;
  let upstream: Upstream;
  let server: RunningDnsServer;
  let resolver: dnsPromises.Resolver;

  beforeAll(async () => {
    source = new FakeSource();
    fixture(source);
    upstream = await startUpstream();
    server = await startDnsServer({
      source,
      zone: "cluster.local",
      dnsIp: "10.96.0.10",
      ttl: 30,
      host: "127.0.0.1",
      port: 0,
      healthPort: 0,
      readyPort: 0,
      metricsPort: 0,
      upstreams: [`127.0.0.1:${upstream.port}`],
      forwardTimeoutMs: 300,
    });
    await server.whenReady();
    resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${server.port}`]);
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  it("resolves A, SRV, PTR, TXT and CNAME through Node's resolver", async () => {
    expect(await resolver.resolve4("web.app.svc.cluster.local")).toEqual(["10.96.0.20"]);
    expect(await resolver.resolve4("Web.APP.svc.cluster.local", { ttl: true })).toEqual([{ address: "10.96.0.20", ttl: 30 }]);
    expect((await resolver.resolve4("db.app.svc.cluster.local")).sort()).toEqual(["10.244.1.5", "10.244.2.6"]);
    expect(await resolver.resolve4("db-1.db.app.svc.cluster.local")).toEqual(["10.244.2.6"]);
    expect(await resolver.resolveSrv("_http._tcp.web.app.svc.cluster.local")).toEqual([{ name: "web.app.svc.cluster.local", port: 80, priority: 0, weight: 100 }]);
    expect((await resolver.resolveSrv("_postgres._tcp.db.app.svc.cluster.local")).map((s) => s.name).sort()).toEqual([
      "db-0.db.app.svc.cluster.local",
      "db-1.db.app.svc.cluster.local",
    ]);
    expect(await resolver.reverse("10.96.0.20")).toEqual(["web.app.svc.cluster.local"]);
    expect(await resolver.reverse("10.244.1.5")).toEqual(["db-0.db.app.svc.cluster.local"]);
    expect(await resolver.resolveTxt("dns-version.cluster.local")).toEqual([["1.1.0"]]);
    expect(await resolver.resolveCname("ext.app.svc.cluster.local")).toEqual(["www.example.com"]);
    expect(await resolver.resolve4("10-244-9-9.app.pod.cluster.local")).toEqual(["10.244.9.9"]);
    expect(await resolver.resolveNs("cluster.local")).toEqual(["ns.dns.cluster.local"]);
  });

  it("tells NXDOMAIN from NODATA", async () => {
    await expect(resolver.resolve4("nope.app.svc.cluster.local")).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(resolver.resolve6("web.app.svc.cluster.local")).rejects.toMatchObject({ code: "ENODATA" });
    await expect(resolver.resolve6("nope.app.svc.cluster.local")).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(resolver.resolve4("app.svc.cluster.local")).rejects.toMatchObject({ code: "ENODATA" });

    const nx = text(await udpAsk(server.port, query("nope.app.svc.cluster.local", TYPE.A)));
    expect(nx.rcode).toBe(RCODE.NXDOMAIN);
    expect(nx.flags & FLAG.AA).toBe(FLAG.AA);
    expect(nx.flags & FLAG.RA).toBe(0);
    expect(nx.authority).toHaveLength(1);
    expect(nx.authority[0]).toMatch(/^cluster\.local\. 30 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/);
  });

  it("answers over TCP with pipelined queries", async () => {
    const replies = await tcpAsk(server.port, [query("web.app.svc.cluster.local", TYPE.A, { id: 11 }), query("nope.app.svc.cluster.local", TYPE.A, { id: 12 }), query("db.app.svc.cluster.local", TYPE.A, { id: 13 })]);
    const byId = new Map(replies.map((r) => [r.readUInt16BE(0), text(r)]));
    expect(byId.get(11)!.answers).toEqual(["web.app.svc.cluster.local. 30 IN A 10.96.0.20"]);
    expect(byId.get(12)!.rcode).toBe(RCODE.NXDOMAIN);
    expect(byId.get(13)!.answers).toHaveLength(2);
  });

  it("sets TC on a large UDP answer, and the resolver falls back to TCP", async () => {
    const udp = text(await udpAsk(server.port, query("big.app.svc.cluster.local", TYPE.A)));
    expect(udp.flags & FLAG.TC).toBe(FLAG.TC);
    expect(udp.answers).toEqual([]);
    expect(await resolver.resolve4("big.app.svc.cluster.local")).toHaveLength(100);
  });

  it("forwards names outside the zone, caches them, and relays the upstream's TTL then what is left of it", async () => {
    const before = upstream.queries.length;
    const first = text(await udpAsk(server.port, query("www.example.com", TYPE.A)));
    expect(first.answers).toEqual(["www.example.com. 100 IN A 192.0.2.7"]);
    expect(first.flags & FLAG.RA).toBe(FLAG.RA);
    const second = text(await udpAsk(server.port, query("WWW.Example.com", TYPE.A)));
    expect(second.answers).toEqual(["WWW.Example.com. 100 IN A 192.0.2.7"]);
    expect(upstream.queries.length - before).toBe(1);
    // NXDOMAIN from upstream, cached too
    const nx = text(await udpAsk(server.port, query("nothing.example", TYPE.A)));
    expect(nx.rcode).toBe(RCODE.NXDOMAIN);
    await udpAsk(server.port, query("nothing.example", TYPE.A));
    expect(upstream.queries.filter((q) => q.startsWith("udp nothing.example"))).toHaveLength(1);
  });

  it("forwards PTRs outside the cluster's records (fallthrough in-addr.arpa)", async () => {
    expect(await resolver.reverse("192.0.2.123")).toEqual(["my.test"]);
  });

  it("chases an ExternalName upstream: CNAME first, then the target's address", async () => {
    const r = text(await udpAsk(server.port, query("ext.app.svc.cluster.local", TYPE.A)));
    expect(r.answers).toEqual(["ext.app.svc.cluster.local. 30 IN CNAME www.example.com.", "www.example.com. 100 IN A 192.0.2.7"]);
    expect(r.flags & FLAG.AA).toBe(FLAG.AA);
    expect(await resolver.resolve4("ext.app.svc.cluster.local")).toEqual(["192.0.2.7"]);
  });

  it("asks upstream over TCP for TCP clients, and retries over TCP when the UDP reply is truncated", async () => {
    const [r] = await tcpAsk(server.port, [query("huge.example", TYPE.TXT)]);
    expect(text(r!).answers).toHaveLength(40);
    expect(upstream.queries.filter((q) => q.includes(" huge.example "))).toEqual(["tcp huge.example 16"]);

    // A UDP client: UDP upstream (truncated), TCP upstream, then TC to the client, whose TCP retry hits the cache.
    expect(text(await udpAsk(server.port, query("huge2.example", TYPE.TXT, { edns: 4096 }))).flags & FLAG.TC).toBe(FLAG.TC);
    expect(upstream.queries.filter((q) => q.includes(" huge2.example "))).toEqual(["udp huge2.example 16", "tcp huge2.example 16"]);
    const [again] = await tcpAsk(server.port, [query("huge2.example", TYPE.TXT)]);
    expect(text(again!).answers).toHaveLength(40);
    expect(upstream.queries.filter((q) => q.includes(" huge2.example "))).toHaveLength(2);
  });

  it("answers SERVFAIL when the upstream does not answer", async () => {
    const r = text(await udpAsk(server.port, query("slow.example", TYPE.A)));
    expect(r.rcode).toBe(RCODE.SERVFAIL);
  });

  it("answers FORMERR to a malformed query and ignores garbage", async () => {
    const bad = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61]);
    const r = await udpAsk(server.port, bad);
    expect(r.readUInt16BE(0)).toBe(9);
    expect(r[3]! & 0x0f).toBe(RCODE.FORMERR);
    await expect(udpAsk(server.port, Buffer.from([1, 2, 3]), 300)).rejects.toThrow("no UDP reply");
    // and it still serves
    expect(await resolver.resolve4("web.app.svc.cluster.local")).toEqual(["10.96.0.20"]);
  });

  it("reflects a change of the API in answers within 100 ms", async () => {
    const started = Date.now();
    source.put(svc("late", { clusterIP: "10.96.7.7", ports: [{ port: 80 }] }));
    let got: string[] = [];
    while (Date.now() - started < 1000) {
      got = await resolver.resolve4("late.app.svc.cluster.local").catch(() => []);
      if (got.length) break;
    }
    expect(got).toEqual(["10.96.7.7"]);
    expect(Date.now() - started).toBeLessThan(100);

    source.put(slice("db", [{ ip: "10.244.2.6", hostname: "db-1" }], [{ name: "postgres", port: 5432 }]));
    expect(await resolver.resolve4("db.app.svc.cluster.local")).toEqual(["10.244.2.6"]);
    source.remove(svc("late", {}));
    await expect(resolver.resolve4("late.app.svc.cluster.local")).rejects.toMatchObject({ code: "ENOTFOUND" });
  });

  it("serves /health, /ready and /metrics", async () => {
    expect(await get(server.healthPort!, "/health")).toEqual({ status: 200, body: "OK" });
    expect(await get(server.readyPort!, "/ready")).toEqual({ status: 200, body: "OK" });
    const m = await get(server.metricsPort!, "/metrics");
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^coredns_dns_requests_total\{family="1",proto="udp",server="dns:\/\/127\.0\.0\.1:\d+",type="A",zone="\."\} \d+$/m);
    expect(m.body).toMatch(/^coredns_dns_requests_total\{family="1",proto="tcp",server="[^"]+",type="A",zone="\."\} \d+$/m);
    expect(m.body).toMatch(/^coredns_dns_responses_total\{plugin="kubernetes",rcode="NXDOMAIN",server="[^"]+",zone="\."\} \d+$/m);
    expect(m.body).toMatch(/^coredns_dns_responses_total\{plugin="forward",rcode="NOERROR",server="[^"]+",zone="\."\} \d+$/m);
    expect(m.body).toMatch(/^coredns_dns_responses_total\{plugin="cache",rcode="NOERROR",server="[^"]+",zone="\."\} \d+$/m);
    expect(m.body).toMatch(/^coredns_cache_hits_total\{server="[^"]+",type="success",zones="\."\} [1-9]\d*$/m);
    expect(m.body).toMatch(/^coredns_proxy_request_duration_seconds_count\{proxy_name="forward",rcode="NOERROR",to="127\.0\.0\.1:\d+"\} \d+$/m);
    expect(m.body).toContain("coredns_panics_total 0");
  });

  it("looks right to dig (flags, AA, no RA, answers over UDP and TCP)", async () => {
    const dig = async (...args: string[]) => (await run("dig", ["@127.0.0.1", "-p", String(server.port), "+time=2", "+tries=1", ...args])).stdout;
    const out = await dig("web.app.svc.cluster.local", "A");
    expect(out).toMatch(/flags: qr aa rd;/);
    expect(out).toContain("recursion requested but not available");
    expect(out).toMatch(/^web\.app\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.96\.0\.20$/m);
    expect(out).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    expect(await dig("+short", "+tcp", "_postgres._tcp.db.app.svc.cluster.local", "SRV")).toBe("0 100 5432 db-1.db.app.svc.cluster.local.\n");
    expect(await dig("+short", "-x", "10.96.0.20")).toBe("web.app.svc.cluster.local.\n");
    expect(await dig("+short", "ext.app.svc.cluster.local", "CNAME")).toBe("www.example.com.\n");
    // truncated over UDP: dig retries over TCP by itself
    expect((await dig("+short", "+notcp", "big.app.svc.cluster.local")).trim().split("\n")).toHaveLength(100);
  });
});

describe("DNS server without upstream, before sync", () => {
  it("answers REFUSED outside the zone at once, SERVFAIL in the zone until synced, and /ready 503 until then", async () => {
    const source = new FakeSource();
    fixture(source);
    let open!: () => void;
    source.gate = new Promise<void>((r) => (open = r));
    const server = await startDnsServer({ source, host: "127.0.0.1", port: 0, healthPort: 0, readyPort: 0, metricsPort: null });
    try {
      expect(await get(server.readyPort!, "/ready")).toEqual({ status: 503, body: "kubernetes" });
      expect(await get(server.healthPort!, "/health")).toEqual({ status: 200, body: "OK" });
      const started = Date.now();
      expect(text(await udpAsk(server.port, query("www.example.com", TYPE.A))).rcode).toBe(RCODE.REFUSED);
      expect(Date.now() - started).toBeLessThan(200);
      expect(text(await udpAsk(server.port, query("web.app.svc.cluster.local", TYPE.A))).rcode).toBe(RCODE.SERVFAIL);
      open();
      await server.whenReady();
      expect(await get(server.readyPort!, "/ready")).toEqual({ status: 200, body: "OK" });
      expect(text(await udpAsk(server.port, query("web.app.svc.cluster.local", TYPE.A))).answers).toEqual(["web.app.svc.cluster.local. 30 IN A 10.96.0.20"]);
      // an ExternalName without an upstream: the CNAME alone
      expect(text(await udpAsk(server.port, query("ext.app.svc.cluster.local", TYPE.A))).answers).toEqual(["ext.app.svc.cluster.local. 30 IN CNAME www.example.com."]);
      expect(text(await udpAsk(server.port, query("1.2.0.192.in-addr.arpa", TYPE.PTR))).rcode).toBe(RCODE.REFUSED);
    } finally {
      open();
      await server.close();
    }
  });
});

describe("command line", () => {
  it("parses flags and names the flag in errors", () => {
    const cmd = parseDnsArgs(["--api-socket", "/run/x.sock", "--zone=kemu.test", "--dns-ip", "10.96.0.10", "--upstream", "172.18.0.1:53", "--upstream", "8.8.8.8", "--port", "5353", "--metrics-port", "off", "--workers", "2", "--forward-timeout", "500ms"]);
    expect(cmd).toMatchObject({
      options: { apiSocket: "/run/x.sock", zone: "kemu.test", dnsIp: "10.96.0.10", upstreams: ["172.18.0.1:53", "8.8.8.8"], port: 5353, metricsPort: null, healthPort: 8080, readyPort: 8181, workers: 2, forwardTimeoutMs: 500, ttl: 30 },
      lameduckMs: 0,
    });
    expect(parseDnsArgs(["--help"])).toBe("help");
    const bad: [string[], RegExp][] = [
      [[], /^--api-socket: required/],
      [["--api-socket", "s", "--ttl", "x"], /^--ttl: must be an integer from 0 to 3600/],
      [["--api-socket", "s", "--ttl", "4000"], /^--ttl:/],
      [["--api-socket", "s", "--upstream", "dns.google"], /^--upstream: upstream "dns.google": not an IP address/],
      [["--api-socket", "s", "--port", "53", "--upstream", "127.0.0.1:53"], /^--upstream 127\.0\.0\.1:53: points back at this server/],
      [["--api-socket", "s", "--bogus", "1"], /^unknown flag --bogus/],
      [["--api-socket", "s", "--pods", "verified"], /^--pods: must be insecure or disabled/],
      [["--api-socket", "s", "--dns-ip", "fd00::a"], /^--dns-ip: must be an IPv4 address/],
      [["--api-socket"], /^--api-socket: needs a value/],
    ];
    for (const [argv, re] of bad) {
      expect(() => parseDnsArgs(argv), argv.join(" ")).toThrow(FlagError);
      expect(() => parseDnsArgs(argv), argv.join(" ")).toThrow(re);
    }
  });
});

describe("DNS server with two worker processes (node:cluster)", () => {
  let dir: string;
  let rest: RestServer;
  let api: ApiServer;
  let server: RunningDnsServer | undefined;
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream();
    dir = mkdtempSync(join(tmpdir(), "kemu-dns-"));
    api = new ApiServer();
    for (const n of ["default", "app"]) api.create(resourceByKind("Namespace")!, ns(n));
    api.create(resourceByKind("Service")!, svc("web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] }));
    rest = new RestServer(api);
    await rest.listen(join(dir, "api.sock"));
  });

  afterAll(async () => {
    await server?.close();
    await rest?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves one port from both workers, each with its own index, and sums their metrics", async () => {
    server = await startDnsServer({ apiSocket: join(dir, "api.sock"), host: "127.0.0.1", port: 0, healthPort: 0, readyPort: 0, metricsPort: 0, workers: 2, upstreams: [`127.0.0.1:${upstream.port}`] });
    await server.whenReady();
    expect(await get(server.readyPort!, "/ready")).toEqual({ status: 200, body: "OK" });
    const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([`127.0.0.1:${server.port}`]);
    const ip = api.get(resourceByKind("Service")!, "app", "web").spec as { clusterIP: string };
    for (let i = 0; i < 50; i++) expect(await resolver.resolve4("web.app.svc.cluster.local")).toEqual([ip.clusterIP]);
    const replies = await tcpAsk(server.port, [query("web.app.svc.cluster.local", TYPE.A)]);
    expect(text(replies[0]!).answers).toHaveLength(1);
    // a change reaches every worker
    api.create(resourceByKind("Service")!, svc("late", { ports: [{ port: 80, protocol: "TCP" }] }));
    const late = (api.get(resourceByKind("Service")!, "app", "late").spec as { clusterIP: string }).clusterIP;
    const deadline = Date.now() + 2000;
    let seen = 0;
    while (Date.now() < deadline && seen < 20) {
      const got = await resolver.resolve4("late.app.svc.cluster.local").catch(() => []);
      seen = got[0] === late ? seen + 1 : 0;
    }
    expect(seen).toBe(20);
    // Each worker's upstream replies come back to that worker (its own socket, not a shared one).
    const forwarded = await Promise.all(Array.from({ length: 40 }, (_, i) => udpAsk(server!.port, query(`n${i}.example`, TYPE.A))));
    expect(forwarded.map((r) => text(r).rcode)).toEqual(new Array(40).fill(RCODE.NXDOMAIN));
    const m = await get(server.metricsPort!, "/metrics");
    const total = [...m.body.matchAll(/^coredns_dns_requests_total\{[^}]*type="A"[^}]*\} (\d+)$/gm)].reduce((a, x) => a + Number(x[1]), 0);
    expect(total).toBeGreaterThanOrEqual(71);
  });

  it("runs as a program: serves from flags, exits 0 on SIGTERM, and 2 on a bad flag", async () => {
    const main = join(process.cwd(), "src/dns/main.ts");
    const child = spawn(process.execPath, ["--import", "tsx", main, "--api-socket", join(dir, "api.sock"), "--host", "127.0.0.1", "--port", "0", "--health-port", "0", "--ready-port", "0", "--metrics-port", "off"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      let stderr = "";
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr!.on("data", (c: Buffer) => {
          stderr += c.toString();
          const m = /on 127\.0\.0\.1:(\d+) \(udp, tcp\)/.exec(stderr);
          if (m) resolve(Number(m[1]));
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect(stderr).toContain("no upstream (REFUSED outside the zone)");
      const resolver = new dnsPromises.Resolver({ timeout: 1000, tries: 3 });
      resolver.setServers([`127.0.0.1:${port}`]);
      let got: string[] = [];
      for (let i = 0; i < 50 && got.length === 0; i++) got = await resolver.resolve4("web.app.svc.cluster.local").catch(() => new Promise<string[]>((r) => setTimeout(() => r([]), 50)));
      expect(got).toHaveLength(1);
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    const bad = await run(process.execPath, ["--import", "tsx", main, "--api-socket", "x", "--ttl", "-1"]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: 'kemu-dns: --ttl: must be an integer from 0 to 3600 (got "-1")\n' });
  });
});
