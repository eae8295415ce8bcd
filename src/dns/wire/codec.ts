// DNS messages on the wire (RFC 1035 §4, EDNS0 RFC 6891): a name compressor,
// record encoders, and a full decoder. These serve the slow paths (building a
// cached answer once, error replies, forwarding, tests); the per-query hot path
// is in ./query.ts and ./response.ts.
import { IP, parseIP } from "../../net/ip.js";
import { CLASS_IN, TYPE, rrType, type RR } from "../rr.js";

export class WireError extends Error {}

// ---- names ---------------------------------------------------------------

/**
 * Splits a presentation name into labels, keeping escapes (`\.`, `\065`) as
 * written. "" and "." are the root (no labels).
 */
export function splitName(name: string): string[] {
  if (name === "" || name === ".") return [];
  const labels: string[] = [];
  let cur = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === "\\" && i + 1 < name.length) {
      const d = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        cur += `\\${d}`;
        i += 3;
      } else {
        cur += `\\${name[i + 1]}`;
        i += 1;
      }
    } else if (c === ".") {
      labels.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur !== "" || !name.endsWith(".")) labels.push(cur);
  return labels;
}

/** The bytes of one presentation label (escapes resolved). */
export function labelBytes(label: string): Buffer {
  if (!label.includes("\\")) return Buffer.from(label, "latin1");
  const out: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c === 0x5c && i + 1 < label.length) {
      const d = label.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        out.push(Number(d) & 0xff);
        i += 3;
      } else {
        out.push(label.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Presentation form of a label's bytes (dig's escaping). */
export function labelText(buf: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x40 || c === 0x24) {
      plain = false;
      break;
    }
  }
  if (plain) return buf.toString("latin1", start, end);
  let s = "";
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c <= 0x20 || c >= 0x7f) s += `\\${String(c).padStart(3, "0")}`;
    else if (c === 0x2e || c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x40 || c === 0x24) s += `\\${String.fromCharCode(c)}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

/** A name in wire form (uncompressed), e.g. for a question. Throws WireError if too long. */
export function nameToWire(name: string): Buffer {
  const parts: Buffer[] = [];
  let len = 1;
  for (const label of splitName(name)) {
    const b = labelBytes(label);
    if (b.length === 0 || b.length > 63) throw new WireError(`bad label length ${b.length} in ${JSON.stringify(name)}`);
    parts.push(Buffer.from([b.length]), b);
    len += b.length + 1;
  }
  if (len > 255) throw new WireError(`name longer than 255 bytes: ${name}`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * Reads a (possibly compressed) name at `offset`; returns the presentation
 * name (no trailing dot) and the offset just after it in the original stream.
 */
export function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  let total = 1;
  for (;;) {
    if (pos >= buf.length) throw new WireError("name runs past the end of the message");
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const tag = len & 0xc0;
    if (tag === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError("truncated compression pointer");
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= pos || ++jumps > 64) throw new WireError("bad compression pointer");
      pos = target;
      continue;
    }
    if (tag !== 0) throw new WireError("unsupported label type");
    if (pos + 1 + len > buf.length) throw new WireError("label runs past the end of the message");
    total += len + 1;
    if (total > 255) throw new WireError("name longer than 255 bytes");
    labels.push(labelText(buf, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.join("."), end };
}

/** Offset just after the name at `offset` (without following pointers). */
export function skipName(buf: Buffer, offset: number): number {
  let pos = offset;
  for (;;) {
    if (pos >= buf.length) throw new WireError("name runs past the end of the message");
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > buf.length) throw new WireError("truncated compression pointer");
      return pos + 2;
    }
    if (len & 0xc0) throw new WireError("unsupported label type");
    pos += 1 + len;
  }
}

// ---- writing ----------------------------------------------------------------

/**
 * An append-only message body with name compression. `base` is the message
 * offset of the first byte written (so pointers are right when the body is
 * placed after a header and question of known length).
 */
export class MessageWriter {
  private buf = Buffer.allocUnsafe(512);
  pos = 0;
  private readonly dict = new Map<string, number>();

  constructor(private readonly base = 0) {}

  /** Makes the suffixes of a name already present at message offset `at` available to pointers. */
  seedName(wire: Buffer, at: number): void {
    let pos = 0;
    const labels: { text: string; off: number }[] = [];
    while (pos < wire.length && wire[pos] !== 0) {
      const len = wire[pos]!;
      labels.push({ text: labelText(wire, pos + 1, pos + 1 + len).toLowerCase(), off: at + pos });
      pos += 1 + len;
    }
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => l.text)
        .join(".");
      if (!this.dict.has(key) && labels[i]!.off < 0x4000) this.dict.set(key, labels[i]!.off);
    }
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  /** Writes a name, pointing to an earlier occurrence of a suffix when `compress` (never for SRV targets, RFC 2782). */
  name(name: string, compress = true): void {
    const labels = splitName(name);
    let total = 1;
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join(".").toLowerCase();
      const known = this.dict.get(key);
      if (compress && known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      const off = this.base + this.pos;
      if (known === undefined && off < 0x4000) this.dict.set(key, off);
      const b = labelBytes(labels[i]!);
      if (b.length === 0 || b.length > 63) throw new WireError(`bad label length ${b.length} in ${JSON.stringify(name)}`);
      total += b.length + 1;
      if (total > 255) throw new WireError(`name longer than 255 bytes: ${name}`);
      this.u8(b.length);
      this.bytes(b);
    }
    this.u8(0);
  }

  /** Writes one record; returns the body offset of its TTL field. */
  rr(rr: RR): number {
    this.name(rr.name);
    this.u16(rrType(rr));
    this.u16(rr.class ?? CLASS_IN);
    const ttlAt = this.pos;
    this.u32(rr.ttl);
    const lenAt = this.pos;
    this.u16(0);
    const start = this.pos;
    switch (rr.kind) {
      case "A":
        this.bytes(ipv4Bytes(rr.address));
        break;
      case "AAAA":
        this.bytes(ipv6Bytes(rr.address));
        break;
      case "CNAME":
      case "PTR":
      case "NS":
        this.name(rr.target);
        break;
      case "MX":
        this.u16(rr.preference);
        this.name(rr.exchange);
        break;
      case "SRV":
        this.u16(rr.priority);
        this.u16(rr.weight);
        this.u16(rr.port);
        this.name(rr.target, false);
        break;
      case "TXT":
        for (const t of rr.text.length ? rr.text : [""]) {
          const b = Buffer.from(t, "utf8");
          for (let i = 0; i < b.length || i === 0; i += 255) {
            const chunk = b.subarray(i, i + 255);
            this.u8(chunk.length);
            this.bytes(chunk);
            if (b.length === 0) break;
          }
        }
        break;
      case "SOA":
        this.name(rr.mname);
        this.name(rr.rname);
        this.u32(rr.serial);
        this.u32(rr.refresh);
        this.u32(rr.retry);
        this.u32(rr.expire);
        this.u32(rr.minimum);
        break;
      case "RAW":
        this.bytes(rr.rdata);
        break;
    }
    this.setU16(lenAt, this.pos - start);
    return ttlAt;
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function ipv4Bytes(address: string): Buffer {
  const ip = parseIP(address);
  if (ip?.family !== 4) throw new WireError(`bad IPv4 address ${address}`);
  return Buffer.from(ip.toBytes());
}

function ipv6Bytes(address: string): Buffer {
  const ip = parseIP(address);
  if (ip?.family !== 6) throw new WireError(`bad IPv6 address ${address}`);
  return Buffer.from(ip.toBytes());
}

// ---- whole messages ----------------------------------------------------------

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Message {
  id: number;
  /** the 16 flag bits: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode */
  flags: number;
  questions: Question[];
  answers: RR[];
  authority: RR[];
  additional: RR[];
}

export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, AD: 0x0020, CD: 0x0010 } as const;

export function encodeMessage(msg: Message): Buffer {
  const w = new MessageWriter(0);
  w.u16(msg.id);
  w.u16(msg.flags);
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authority.length);
  w.u16(msg.additional.length);
  for (const q of msg.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of msg.answers) w.rr(rr);
  for (const rr of msg.authority) w.rr(rr);
  for (const rr of msg.additional) w.rr(rr);
  return w.toBuffer();
}

/** Decodes a whole message; throws WireError when it is malformed. */
export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new WireError("message shorter than a header");
  const qd = buf.readUInt16BE(4);
  const counts = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, end } = readName(buf, pos);
    if (end + 4 > buf.length) throw new WireError("truncated question");
    questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  const sections: RR[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const { rr, end } = readRR(buf, pos);
      sections[s]!.push(rr);
      pos = end;
    }
  }
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), questions, answers: sections[0]!, authority: sections[1]!, additional: sections[2]! };
}

export function readRR(buf: Buffer, offset: number): { rr: RR; end: number } {
  const { name, end: nameEnd } = readName(buf, offset);
  if (nameEnd + 10 > buf.length) throw new WireError("truncated record header");
  const type = buf.readUInt16BE(nameEnd);
  const cls = buf.readUInt16BE(nameEnd + 2);
  const ttl = buf.readUInt32BE(nameEnd + 4);
  const len = buf.readUInt16BE(nameEnd + 8);
  const start = nameEnd + 10;
  const end = start + len;
  if (end > buf.length) throw new WireError("record data runs past the end of the message");
  const base = { name, ttl, ...(cls !== CLASS_IN ? { class: cls } : {}) };
  const within = (n: { name: string; end: number }): string => {
    if (n.end > end) throw new WireError("name runs past the record data");
    return n.name;
  };
  let rr: RR;
  switch (type) {
    case TYPE.A:
      if (len !== 4) throw new WireError("A record of the wrong length");
      rr = { ...base, kind: "A", address: `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}` };
      break;
    case TYPE.AAAA:
      if (len !== 16) throw new WireError("AAAA record of the wrong length");
      rr = { ...base, kind: "AAAA", address: IP.fromBytes(buf.subarray(start, end)).toString() };
      break;
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.NS:
      rr = { ...base, kind: type === TYPE.CNAME ? "CNAME" : type === TYPE.PTR ? "PTR" : "NS", target: within(readName(buf, start)) };
      break;
    case TYPE.MX:
      if (len < 3) throw new WireError("short MX record");
      rr = { ...base, kind: "MX", preference: buf.readUInt16BE(start), exchange: within(readName(buf, start + 2)) };
      break;
    case TYPE.SRV:
      if (len < 7) throw new WireError("short SRV record");
      rr = {
        ...base,
        kind: "SRV",
        priority: buf.readUInt16BE(start),
        weight: buf.readUInt16BE(start + 2),
        port: buf.readUInt16BE(start + 4),
        target: within(readName(buf, start + 6)),
      };
      break;
    case TYPE.TXT: {
      const text: string[] = [];
      let p = start;
      while (p < end) {
        const l = buf[p]!;
        if (p + 1 + l > end) throw new WireError("TXT string runs past the record data");
        text.push(buf.toString("utf8", p + 1, p + 1 + l));
        p += 1 + l;
      }
      rr = { ...base, kind: "TXT", text };
      break;
    }
    case TYPE.SOA: {
      const m = readName(buf, start);
      const r = readName(buf, m.end);
      if (r.end + 20 !== end) throw new WireError("SOA record of the wrong length");
      rr = {
        ...base,
        kind: "SOA",
        mname: m.name,
        rname: r.name,
        serial: buf.readUInt32BE(r.end),
        refresh: buf.readUInt32BE(r.end + 4),
        retry: buf.readUInt32BE(r.end + 8),
        expire: buf.readUInt32BE(r.end + 12),
        minimum: buf.readUInt32BE(r.end + 16),
      };
      break;
    }
    default:
      rr = { ...base, kind: "RAW", type, rdata: Buffer.from(buf.subarray(start, end)) };
  }
  return { rr, end };
}

/** The OPT pseudo-record we send: our UDP size, version 0, optionally the DO bit. */
export function optRecord(udpSize: number, dnssecOk = false, extendedRcode = 0): RR {
  return { kind: "RAW", type: TYPE.OPT, name: "", class: udpSize, ttl: ((extendedRcode & 0xff) << 24) | (dnssecOk ? 0x8000 : 0), rdata: Buffer.alloc(0) };
}
