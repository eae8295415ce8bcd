// CoreDNS's `forward` plugin, simply: names that are not ours go to the
// upstream servers in order (policy sequential), over UDP with a read timeout
// (2 s) before the next upstream is tried; over TCP when the client came over
// TCP or the UDP reply was truncated. At most `maxConcurrent` queries are
// outstanding; beyond that (and when no upstream is configured) the caller
// answers REFUSED at once.
import dgram from "node:dgram";
import net from "node:net";
import { EDNS_UDP_SIZE } from "../wire/response.js";
import { TYPE } from "../rr.js";

export interface Upstream {
  host: string;
  port: number;
}

/** "10.0.0.1:53", "10.0.0.1" (port 53), "[fd00::1]:53" or "fd00::1". */
export function parseUpstream(text: string): Upstream {
  const s = text.trim();
  let host = s;
  let port = 53;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else if (s.split(":").length === 2) {
    const i = s.lastIndexOf(":");
    host = s.slice(0, i);
    port = Number(s.slice(i + 1));
  }
  if (net.isIP(host) === 0) throw new Error(`upstream ${JSON.stringify(text)}: not an IP address (want ip:port)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`upstream ${JSON.stringify(text)}: bad port`);
  return { host, port };
}

export function upstreamName(u: Upstream): string {
  return net.isIPv6(u.host) ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

export class ForwardError extends Error {
  constructor(
    readonly reason: "refused" | "failed",
    message: string,
  ) {
    super(message);
  }
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** per-upstream read timeout, ms (2000) */
  timeoutMs?: number;
  /** outstanding upstream queries at most (1000) */
  maxConcurrent?: number;
  /** called for every upstream exchange (for metrics): rcode -1 means no reply */
  onExchange?: (to: string, rcode: number, seconds: number) => void;
  /** called when a query is refused for max_concurrent */
  onReject?: () => void;
}

interface Pending {
  resolve: (reply: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  host: string;
  port: number;
  question: Buffer;
}

export class Forwarder {
  readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private inflight = 0;
  private readonly sockets = new Map<"udp4" | "udp6", dgram.Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly tcpSockets = new Set<net.Socket>();
  private closed = false;

  constructor(private readonly opts: ForwarderOptions) {
    this.upstreams = opts.upstreams;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxConcurrent = opts.maxConcurrent ?? 1000;
  }

  get inFlight(): number {
    return this.inflight;
  }

  /**
   * Asks the upstreams `qname` (lower-case wire form) `qtype`/`qclass`;
   * resolves with the first reply, whose question is the one we sent.
   * Rejects with ForwardError("refused") when over max_concurrent or without
   * upstreams, ForwardError("failed") when every upstream failed.
   */
  async exchange(qnameWire: Buffer, qtype: number, qclass: number, tcp: boolean): Promise<Buffer> {
    if (this.upstreams.length === 0) throw new ForwardError("refused", "no upstream configured");
    if (this.inflight >= this.maxConcurrent) {
      this.opts.onReject?.();
      throw new ForwardError("refused", `more than ${this.maxConcurrent} concurrent upstream queries`);
    }
    this.inflight++;
    try {
      let last: Error | undefined;
      for (const u of this.upstreams) {
        const started = performance.now();
        try {
          let reply = tcp ? await this.tcp(u, qnameWire, qtype, qclass) : await this.udp(u, qnameWire, qtype, qclass);
          if (!tcp && (reply[2]! & 0x02) !== 0) reply = await this.tcp(u, qnameWire, qtype, qclass);
          this.opts.onExchange?.(upstreamName(u), reply[3]! & 0x0f, (performance.now() - started) / 1000);
          return reply;
        } catch (err) {
          this.opts.onExchange?.(upstreamName(u), -1, (performance.now() - started) / 1000);
          last = err as Error;
          if (this.closed) break;
        }
      }
      throw new ForwardError("failed", `every upstream failed: ${last?.message ?? "closed"}`);
    } finally {
      this.inflight--;
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error("forwarder closed"));
    }
    this.pending.clear();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const s of this.tcpSockets) s.destroy();
  }

  private query(id: number, qnameWire: Buffer, qtype: number, qclass: number): Buffer {
    const q = Buffer.alloc(12 + qnameWire.length + 4 + 11);
    q.writeUInt16BE(id, 0);
    q.writeUInt16BE(0x0100, 2); // RD
    q.writeUInt16BE(1, 4);
    q.writeUInt16BE(1, 10);
    qnameWire.copy(q, 12);
    let p = 12 + qnameWire.length;
    q.writeUInt16BE(qtype, p);
    q.writeUInt16BE(qclass, p + 2);
    p += 4;
    // OPT: root, type 41, our UDP size, no extended rcode/flags, no options
    q.writeUInt16BE(TYPE.OPT, p + 1);
    q.writeUInt16BE(EDNS_UDP_SIZE, p + 3);
    return q;
  }

  private socket(family: "udp4" | "udp6"): dgram.Socket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = dgram.createSocket(family);
    s.on("message", (msg, rinfo) => this.onReply(msg, rinfo));
    s.on("error", () => undefined);
    // exclusive: in a cluster worker a shared bind(0) would hand every worker the same socket,
    // and replies would reach workers that did not ask. Then room for a burst of replies
    // (a datagram costs ~1 KiB of buffer; the default holds ~200).
    s.bind({ port: 0, exclusive: true }, () => {
      try {
        s!.setRecvBufferSize(4 << 20);
      } catch {
        /* capped by net.core.rmem_max */
      }
    });
    this.sockets.set(family, s);
    return s;
  }

  private onReply(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p || rinfo.address !== p.host || rinfo.port !== p.port) return;
    if ((msg[2]! & 0x80) === 0 || !sameQuestion(msg, p.question)) return;
    this.pending.delete(msg.readUInt16BE(0));
    clearTimeout(p.timer);
    p.resolve(msg);
  }

  private udp(u: Upstream, qnameWire: Buffer, qtype: number, qclass: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error("forwarder closed"));
    let id = (Math.random() * 0x10000) | 0;
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const query = this.query(id, qnameWire, qtype, qclass);
    const question = query.subarray(12, 12 + qnameWire.length + 4);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${upstreamName(u)}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, host: u.host, port: u.port, question });
      this.socket(net.isIPv6(u.host) ? "udp6" : "udp4").send(query, u.port, u.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private tcp(u: Upstream, qnameWire: Buffer, qtype: number, qclass: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error("forwarder closed"));
    const id = (Math.random() * 0x10000) | 0;
    const query = this.query(id, qnameWire, qtype, qclass);
    const question = query.subarray(12, 12 + qnameWire.length + 4);
    return new Promise<Buffer>((resolve, reject) => {
      const sock = net.connect({ host: u.host, port: u.port });
      this.tcpSockets.add(sock);
      let buf: Buffer = Buffer.alloc(0);
      let done = false;
      const finish = (err: Error | undefined, reply?: Buffer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.tcpSockets.delete(sock);
        sock.destroy();
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => finish(new Error(`${upstreamName(u)}: no TCP reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      sock.on("connect", () => {
        const len = Buffer.allocUnsafe(2);
        len.writeUInt16BE(query.length, 0);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on("data", (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        while (buf.length >= 2) {
          const n = buf.readUInt16BE(0);
          if (buf.length < 2 + n) return;
          const msg = buf.subarray(2, 2 + n);
          buf = buf.subarray(2 + n);
          if (msg.length >= 12 && msg.readUInt16BE(0) === id && (msg[2]! & 0x80) !== 0 && sameQuestion(msg, question)) return finish(undefined, Buffer.from(msg));
        }
      });
      sock.on("error", (err) => finish(err));
      sock.on("close", () => finish(new Error(`${upstreamName(u)}: connection closed without a reply`)));
    });
  }
}

/** Does the reply carry exactly our question (names compared case-insensitively)? */
function sameQuestion(msg: Buffer, question: Buffer): boolean {
  if (msg.readUInt16BE(4) !== 1 || msg.length < 12 + question.length) return false;
  const nameLength = question.length - 4;
  for (let i = 0; i < question.length; i++) {
    let a = msg[12 + i]!;
    let b = question[i]!;
    if (i < nameLength) {
      if (a >= 0x41 && a <= 0x5a) a |= 0x20;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    }
    if (a !== b) return false;
  }
  return true;
}
