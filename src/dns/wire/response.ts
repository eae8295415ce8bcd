// The per-query hot path, part 2: replies from precomputed sections.
//
// A Prepared answer holds the encoded answer/authority/additional sections
// for one (lower-cased qname, qtype). Its names are compressed against the
// question at offset 12, so the owner names that equal the qname are pointers
// (0xC00C) to the question, which we copy from the query: the reply echoes the
// client's spelling without any per-query encoding. A reply is then one
// allocation and three copies; EDNS adds an 11-byte OPT at the end.
import type { Answer } from "../rr.js";
import { TYPE } from "../rr.js";
import { MessageWriter, WireError, decodeMessage, encodeMessage, skipName } from "./codec.js";
import type { ParsedQuery } from "./query.js";

/** Our EDNS UDP payload size (the DNS flag day 2020 value, as CoreDNS). */
export const EDNS_UDP_SIZE = 1232;
/** The largest UDP reply without EDNS (RFC 1035). */
export const PLAIN_UDP_SIZE = 512;

export interface Prepared {
  /** the full rcode, for metrics */
  rcode: number;
  /** bits OR-ed into header byte 2: AA */
  flagsHi: number;
  /** header byte 3 without CD: RA, AD and the rcode's low bits */
  flagsLo: number;
  an: number;
  ns: number;
  ar: number;
  /** the sections, encoded for a message whose question ends at 12 + qname + 4 */
  body: Buffer;
  /** offsets (in body) of every record's TTL field, for answers served with aged TTLs */
  ttlOffsets: number[];
}

/** Encodes an Answer for a question whose lower-cased wire qname is `qnameWire`. */
export function prepareAnswer(qnameWire: Buffer, answer: Answer): Prepared {
  const w = new MessageWriter(12 + qnameWire.length + 4);
  w.seedName(qnameWire, 12);
  const ttlOffsets: number[] = [];
  for (const rr of answer.answer) ttlOffsets.push(w.rr(rr));
  for (const rr of answer.authority) ttlOffsets.push(w.rr(rr));
  for (const rr of answer.additional) ttlOffsets.push(w.rr(rr));
  return {
    rcode: answer.rcode,
    flagsHi: answer.aa ? 0x04 : 0,
    flagsLo: answer.rcode & 0x0f,
    an: answer.answer.length,
    ns: answer.authority.length,
    ar: answer.additional.length,
    body: w.toBuffer(),
    ttlOffsets,
  };
}

/** The size limit of a reply to this query over UDP (RFC 6891 §6.2.5: at least 512, at most our 1232). */
export function udpLimit(q: ParsedQuery): number {
  if (!q.edns) return PLAIN_UDP_SIZE;
  return q.udpSize < EDNS_UDP_SIZE ? q.udpSize : EDNS_UDP_SIZE;
}

/**
 * The reply to `query` (parsed into `q`) carrying `p`. Over UDP (`tcp`
 * false) a reply larger than `limit` goes out with TC=1 and no records, and
 * the client retries over TCP. Over TCP the 2-byte length prefix is included.
 * `ttl`, when given, replaces every record's TTL (answers from the cache).
 */
export function writeResponse(query: Buffer, q: ParsedQuery, p: Prepared, limit: number, tcp: boolean, ttl?: number): Buffer {
  const qEnd = q.questionEnd;
  const opt = q.edns ? 11 : 0;
  let size = qEnd + p.body.length + opt;
  const truncated = size > limit;
  if (truncated) size = qEnd + opt;
  const pre = tcp ? 2 : 0;
  const out = Buffer.allocUnsafe(pre + size);
  if (tcp) {
    out[0] = size >>> 8;
    out[1] = size & 0xff;
  }
  query.copy(out, pre, 0, qEnd);
  out[pre + 2] = 0x80 | (query[2]! & 0x79) | p.flagsHi | (truncated ? 0x02 : 0);
  out[pre + 3] = p.flagsLo | (query[3]! & 0x10);
  // qdcount stays 1 (copied)
  const an = truncated ? 0 : p.an;
  const ns = truncated ? 0 : p.ns;
  const ar = (truncated ? 0 : p.ar) + (opt ? 1 : 0);
  out[pre + 6] = an >>> 8;
  out[pre + 7] = an & 0xff;
  out[pre + 8] = ns >>> 8;
  out[pre + 9] = ns & 0xff;
  out[pre + 10] = ar >>> 8;
  out[pre + 11] = ar & 0xff;
  let pos = pre + qEnd;
  if (!truncated) {
    p.body.copy(out, pos);
    if (ttl !== undefined) for (const off of p.ttlOffsets) out.writeUInt32BE(ttl, pos + off);
    pos += p.body.length;
  }
  if (opt) writeOpt(out, pos, 0, q.dnssecOk);
  return out;
}

function writeOpt(out: Buffer, pos: number, extendedRcode: number, dnssecOk: boolean): void {
  out[pos] = 0; // root
  out[pos + 1] = 0;
  out[pos + 2] = TYPE.OPT;
  out[pos + 3] = EDNS_UDP_SIZE >>> 8;
  out[pos + 4] = EDNS_UDP_SIZE & 0xff;
  out[pos + 5] = extendedRcode;
  out[pos + 6] = 0; // version
  out[pos + 7] = dnssecOk ? 0x80 : 0;
  out[pos + 8] = 0;
  out[pos + 9] = 0; // rdlength
  out[pos + 10] = 0;
}

/**
 * An error reply with no records: with the question (and OPT) when the query
 * was parsed, a bare header otherwise (FORMERR for a question we could not read).
 */
export function errorResponse(query: Buffer, q: ParsedQuery | undefined, rcode: number, tcp: boolean): Buffer {
  const qEnd = q ? q.questionEnd : 12;
  const opt = q?.edns ? 11 : 0;
  const size = qEnd + opt;
  const pre = tcp ? 2 : 0;
  const out = Buffer.alloc(pre + size);
  if (tcp) out.writeUInt16BE(size, 0);
  if (q) query.copy(out, pre, 0, qEnd);
  else query.copy(out, pre, 0, Math.min(2, query.length));
  out[pre + 2] = 0x80 | ((query[2] ?? 0) & 0x79);
  out[pre + 3] = (rcode & 0x0f) | ((query[3] ?? 0) & 0x10);
  out.writeUInt16BE(q ? 1 : 0, pre + 4);
  out.writeUInt16BE(0, pre + 6);
  out.writeUInt16BE(0, pre + 8);
  out.writeUInt16BE(opt ? 1 : 0, pre + 10);
  if (opt) writeOpt(out, pre + qEnd, rcode >> 4, q?.dnssecOk ?? false);
  return out;
}

// ---- relayed (forwarded) replies ----------------------------------------------

export interface Relayed {
  prepared: Prepared;
  truncated: boolean;
  /** the smallest TTL of any record (Infinity when there is none) */
  minTtl: number;
  /** min(SOA TTL, SOA MINIMUM) of an SOA in the authority section (RFC 2308), if any */
  negativeTtl?: number;
}

/**
 * Turns an upstream reply (whose question occupies the same bytes as ours,
 * ending at `questionEnd`) into a Prepared answer: its sections as they are,
 * without its OPT record (we add our own per client). Throws WireError when
 * the reply is malformed.
 */
export function prepareRelayed(resp: Buffer, questionEnd: number): Relayed {
  if (resp.length < questionEnd) throw new WireError("reply shorter than its question");
  const counts = [resp.readUInt16BE(6), resp.readUInt16BE(8), resp.readUInt16BE(10)];
  let pos = questionEnd;
  const ttlOffsets: number[] = [];
  let minTtl = Infinity;
  let negativeTtl: number | undefined;
  let optAt = -1;
  let optEnd = -1;
  let optCount = 0;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const start = pos;
      const nameEnd = skipName(resp, pos);
      if (nameEnd + 10 > resp.length) throw new WireError("truncated record");
      const type = resp.readUInt16BE(nameEnd);
      const ttl = resp.readUInt32BE(nameEnd + 4);
      const end = nameEnd + 10 + resp.readUInt16BE(nameEnd + 8);
      if (end > resp.length) throw new WireError("record data runs past the end of the reply");
      if (type === TYPE.OPT && s === 2) {
        optAt = start;
        optEnd = end;
        optCount++;
      } else {
        ttlOffsets.push(nameEnd + 4 - questionEnd);
        if (ttl < minTtl) minTtl = ttl;
        if (s === 1 && type === TYPE.SOA && end - 4 >= nameEnd + 10) {
          const minimum = resp.readUInt32BE(end - 4);
          negativeTtl = Math.min(ttl, minimum);
        }
      }
      pos = end;
    }
  }
  const flags = resp.readUInt16BE(2);
  const rcode = flags & 0x0f;
  if (optCount > 1 || (optCount === 1 && optEnd !== pos)) {
    // An OPT that is not the last record: re-encode without it (rare; never on the hot path).
    const msg = decodeMessage(resp.subarray(0, pos));
    msg.additional = msg.additional.filter((rr) => !(rr.kind === "RAW" && rr.type === TYPE.OPT));
    return prepareRelayed(encodeMessage(msg), questionEnd);
  }
  const bodyEnd = optCount ? optAt : pos;
  return {
    prepared: {
      rcode,
      flagsHi: resp[2]! & 0x04,
      flagsLo: resp[3]! & 0xef,
      an: counts[0]!,
      ns: counts[1]!,
      ar: counts[2]! - optCount,
      body: Buffer.from(resp.subarray(questionEnd, bodyEnd)),
      ttlOffsets: ttlOffsets.filter((o) => o + questionEnd < bodyEnd),
    },
    truncated: (flags & 0x0200) !== 0,
    minTtl,
    negativeTtl,
  };
}
