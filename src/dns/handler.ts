// The server's plugin chain, CoreDNS-style but flattened for speed:
//   parse → kubernetes (cluster zone, and PTRs of cluster IPs) → cache → forward.
// In-zone answers are encoded once per (qname, qtype) and kept until the zone
// changes; a query that hits that cache is answered synchronously with one
// Map lookup and a buffer copy. Nothing here throws to the caller: a bug
// becomes SERVFAIL (and coredns_panics_total).
import type { ZoneIndex } from "./kubernetes/records.js";
import { CLASS_IN, RCODE, type Answer, type RR } from "./rr.js";
import { ForwardCache } from "./forward/cache.js";
import { ForwardError, type Forwarder } from "./forward/forwarder.js";
import { PLUGIN, type Metrics, type PluginId } from "./metrics.js";
import { decodeMessage, nameToWire, readName } from "./wire/codec.js";
import { ParseStatus, keyQname, newParsedQuery, parseQuery, type ParsedQuery } from "./wire/query.js";
import { errorResponse, prepareAnswer, prepareRelayed, udpLimit, writeResponse, type Prepared } from "./wire/response.js";

/** Where the zone comes from: a KubernetesIndex, or anything with the same two members. */
export interface ZoneSource {
  readonly zone: ZoneIndex;
  readonly synced: boolean;
}

export interface HandlerOptions {
  zone: ZoneSource;
  metrics: Metrics;
  /** none: names outside the zone get REFUSED at once */
  forwarder?: Forwarder;
  forwardCache?: ForwardCache;
  /** how many encoded in-zone answers to keep (the cache is dropped when full) */
  answerCacheSize?: number;
}

export type Reply = (reply: Buffer) => void;

const FORWARD = 1;
const NOT_SYNCED = 2;
type Cached = Prepared | typeof FORWARD | { chase: { target: string; qtype: number }; answer: Answer; cnameOnly?: Prepared };

const TCP_LIMIT = 65535;

export class DnsHandler {
  private readonly zone: ZoneSource;
  private readonly metrics: Metrics;
  private readonly forwarder?: Forwarder;
  private readonly fcache: ForwardCache;
  private readonly answers = new Map<string, Cached>();
  private answersVersion = -1;
  private readonly answerCacheSize: number;
  private readonly q = newParsedQuery();
  private readonly inflight = new Map<string, Promise<Prepared>>();

  constructor(opts: HandlerOptions) {
    this.zone = opts.zone;
    this.metrics = opts.metrics;
    this.forwarder = opts.forwarder;
    this.fcache = opts.forwardCache ?? new ForwardCache();
    this.answerCacheSize = opts.answerCacheSize ?? 100_000;
    this.metrics.cacheEntries = () => this.fcache.counts();
  }

  /** Answers one DNS message; `reply` is called once, now or later, or never for a packet we drop. */
  handle(msg: Buffer, tcp: boolean, ipv6: boolean, reply: Reply): void {
    const q = this.q;
    let status: ParseStatus;
    try {
      status = parseQuery(msg, q);
    } catch {
      status = ParseStatus.DROP;
    }
    if (status !== ParseStatus.OK) {
      if (status === ParseStatus.DROP) return;
      const rcode = status === ParseStatus.NOTIMP ? RCODE.NOTIMP : RCODE.FORMERR;
      this.metrics.response(rcode, PLUGIN.NONE);
      reply(errorResponse(msg, undefined, rcode, tcp));
      return;
    }
    this.metrics.request(tcp, ipv6, q.qtype);
    const started = performance.now();
    const qtype = q.qtype;
    const answered = reply;
    reply = (response) => {
      this.metrics.duration(qtype, (performance.now() - started) / 1000);
      answered(response);
    };
    try {
      if (q.edns && q.ednsVersion > 0) return this.fail(msg, q, RCODE.BADVERS, tcp, reply);
      if (q.qclass !== CLASS_IN) return this.fail(msg, q, RCODE.REFUSED, tcp, reply);
      const zone = this.zone.zone;
      if (zone.version !== this.answersVersion) {
        this.answers.clear();
        this.answersVersion = zone.version;
      }
      let cached = this.answers.get(q.key);
      if (cached === undefined) {
        const filled = this.fill(q);
        if (filled === NOT_SYNCED) return this.fail(msg, q, RCODE.SERVFAIL, tcp, reply, PLUGIN.KUBERNETES);
        cached = filled;
      }
      if (cached === FORWARD) return this.forward(msg, { ...q }, tcp, reply);
      if ("chase" in cached) return this.chase(msg, { ...q }, cached, tcp, reply);
      this.metrics.response(cached.rcode, PLUGIN.KUBERNETES);
      reply(writeResponse(msg, q, cached, tcp ? TCP_LIMIT : udpLimit(q), tcp));
    } catch {
      this.metrics.panics++;
      this.fail(msg, q, RCODE.SERVFAIL, tcp, reply);
    }
  }

  private fail(msg: Buffer, q: ParsedQuery, rcode: number, tcp: boolean, reply: Reply, plugin: PluginId = PLUGIN.NONE): void {
    this.metrics.response(rcode, plugin);
    reply(errorResponse(msg, q, rcode, tcp));
  }

  /** Looks a question up in the zone and remembers the outcome (once synced). */
  private fill(q: ParsedQuery): Cached | typeof NOT_SYNCED {
    const wire = keyQname(q.key);
    const name = readName(wire, 0).name;
    const zone = this.zone.zone;
    const synced = this.zone.synced;
    if (!synced && zone.inZone(name)) return NOT_SYNCED;
    const answer = zone.lookup(name, q.qtype);
    let cached: Cached;
    if (!answer) cached = FORWARD;
    else if (answer.chase) cached = { chase: answer.chase, answer };
    else cached = prepareAnswer(wire, answer);
    if (synced) {
      if (this.answers.size >= this.answerCacheSize) this.answers.clear();
      this.answers.set(q.key, cached);
    }
    return cached;
  }

  private forward(msg: Buffer, q: ParsedQuery, tcp: boolean, reply: Reply): void {
    const limit = tcp ? TCP_LIMIT : udpLimit(q);
    const hit = this.fcache.get(q.key, Date.now());
    if (hit) {
      this.metrics.cacheHits[hit.entry.denial ? "denial" : "success"]++;
      this.metrics.response(hit.entry.prepared.rcode, PLUGIN.CACHE);
      reply(writeResponse(msg, q, hit.entry.prepared, limit, tcp, hit.remaining));
      return;
    }
    if (!this.forwarder) return this.fail(msg, q, RCODE.REFUSED, tcp, reply);
    this.metrics.cacheMisses++;
    this.upstream(keyQname(q.key), q.key, q.qtype, tcp).then(
      (prepared) => {
        this.metrics.response(prepared.rcode, PLUGIN.FORWARD);
        reply(writeResponse(msg, q, prepared, limit, tcp));
      },
      (err: unknown) => {
        const refused = err instanceof ForwardError && err.reason === "refused";
        this.fail(msg, q, refused ? RCODE.REFUSED : RCODE.SERVFAIL, tcp, reply, PLUGIN.FORWARD);
      },
    );
  }

  /**
   * Asks upstream (no cache lookup) and caches the reply. Identical questions
   * already on their way upstream share that exchange.
   */
  private upstream(qnameWire: Buffer, key: string, qtype: number, tcp: boolean): Promise<Prepared> {
    const flightKey = tcp ? `t${key}` : `u${key}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.forwarder!.exchange(qnameWire, qtype, CLASS_IN, tcp)
        .then((raw) => {
          const relayed = prepareRelayed(raw, 12 + qnameWire.length + 4);
          this.fcache.put(key, relayed, Date.now());
          return relayed.prepared;
        })
        .finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    return flight;
  }

  /**
   * An ExternalName whose target is outside the zone: the CNAME, then what the
   * upstream says about the target (CoreDNS resolves it the same way). Without
   * an upstream, or when it fails, the CNAME alone.
   */
  private chase(msg: Buffer, q: ParsedQuery, cached: Extract<Cached, { chase: unknown }>, tcp: boolean, reply: Reply): void {
    const limit = tcp ? TCP_LIMIT : udpLimit(q);
    const wire = keyQname(q.key);
    const cnameOnly = () => {
      cached.cnameOnly ??= prepareAnswer(wire, { ...cached.answer, chase: undefined });
      this.metrics.response(cached.cnameOnly.rcode, PLUGIN.KUBERNETES);
      reply(writeResponse(msg, q, cached.cnameOnly, limit, tcp));
    };
    if (!this.forwarder) return cnameOnly();
    const { target, qtype } = cached.chase;
    let targetWire: Buffer;
    try {
      targetWire = nameToWire(target);
    } catch {
      return cnameOnly();
    }
    const key = String.fromCharCode(qtype >> 8, qtype & 0xff) + targetWire.toString("latin1");
    const hit = this.fcache.get(key, Date.now());
    const got: Promise<{ prepared: Prepared; ttl?: number }> = hit
      ? Promise.resolve({ prepared: hit.entry.prepared, ttl: hit.remaining })
      : this.upstream(targetWire, key, qtype, tcp).then((prepared) => ({ prepared }));
    got
      .then(({ prepared, ttl }) => {
        const upstream = sectionsOf(targetWire, qtype, prepared, ttl);
        const combined: Answer = {
          rcode: prepared.rcode,
          aa: true,
          answer: [...cached.answer.answer, ...upstream.answer],
          authority: upstream.answer.length ? [] : upstream.authority,
          additional: [],
        };
        const p = prepareAnswer(wire, combined);
        this.metrics.response(p.rcode, PLUGIN.KUBERNETES);
        reply(writeResponse(msg, q, p, limit, tcp));
      })
      .catch(() => cnameOnly());
  }
}

/** The records of a relayed answer, decoded (for the ExternalName chase only). */
function sectionsOf(qnameWire: Buffer, qtype: number, p: Prepared, ttl?: number): { answer: RR[]; authority: RR[] } {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(p.an, 6);
  header.writeUInt16BE(p.ns, 8);
  header.writeUInt16BE(p.ar, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  const msg = decodeMessage(Buffer.concat([header, qnameWire, tail, p.body]));
  const fix = (rr: RR): RR => (ttl === undefined ? rr : { ...rr, ttl });
  return { answer: msg.answers.map(fix), authority: msg.authority.map(fix) };
}
