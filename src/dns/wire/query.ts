// The per-query hot path, part 1: read what we need from a query without
// decoding it into objects. The result goes into a caller-owned struct, and
// the cache key is one latin1 string: the qtype's two bytes followed by the
// lower-cased wire-format qname (so "WEB.default…" and "web.default…" share
// an entry).
import { TYPE } from "../rr.js";

export const ParseStatus = {
  OK: 0,
  /** not even a header, or a response: send nothing */
  DROP: 1,
  /** a header but a malformed question or OPT: FORMERR */
  FORMERR: 2,
  /** an opcode other than QUERY: NOTIMP */
  NOTIMP: 3,
} as const;
export type ParseStatus = (typeof ParseStatus)[keyof typeof ParseStatus];

export interface ParsedQuery {
  id: number;
  /** offset just after the question (header + qname + type + class) */
  questionEnd: number;
  /** length of the wire qname (including the root label) */
  qnameLength: number;
  qtype: number;
  qclass: number;
  /** qtype (2 bytes) + lower-cased wire qname, latin1 */
  key: string;
  edns: boolean;
  /** the client's advertised UDP payload size (512 without EDNS) */
  udpSize: number;
  ednsVersion: number;
  dnssecOk: boolean;
}

export function newParsedQuery(): ParsedQuery {
  return { id: 0, questionEnd: 0, qnameLength: 0, qtype: 0, qclass: 0, key: "", edns: false, udpSize: 512, ednsVersion: 0, dnssecOk: false };
}

const scratch = Buffer.allocUnsafe(2 + 256);
// Buffer#latin1Slice is what toString("latin1") ends in, minus the argument checks.
const latin1 = (scratch as unknown as { latin1Slice?: (start: number, end: number) => string }).latin1Slice;
const scratchString: (end: number) => string =
  typeof latin1 === "function" ? (end) => latin1.call(scratch, 0, end) : (end) => scratch.toString("latin1", 0, end);

export function parseQuery(buf: Buffer, q: ParsedQuery): ParseStatus {
  const len = buf.length;
  if (len < 12) return ParseStatus.DROP;
  const b2 = buf[2]!;
  if (b2 & 0x80) return ParseStatus.DROP;
  q.id = (buf[0]! << 8) | buf[1]!;
  if ((b2 & 0x78) !== 0) return ParseStatus.NOTIMP;
  if (buf[4] !== 0 || buf[5] !== 1) return ParseStatus.FORMERR;

  // qname: plain labels only (a pointer in the only question has nothing to point at)
  let pos = 12;
  let out = 2;
  for (;;) {
    if (pos >= len) return ParseStatus.FORMERR;
    const l = buf[pos]!;
    scratch[out++] = l;
    pos++;
    if (l === 0) break;
    if (l > 63) return ParseStatus.FORMERR;
    if (pos + l > len || out + l > 2 + 255) return ParseStatus.FORMERR;
    for (let i = 0; i < l; i++) {
      const c = buf[pos + i]!;
      scratch[out + i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    pos += l;
    out += l;
  }
  if (pos + 4 > len) return ParseStatus.FORMERR;
  q.qnameLength = pos - 12;
  q.qtype = (buf[pos]! << 8) | buf[pos + 1]!;
  q.qclass = (buf[pos + 2]! << 8) | buf[pos + 3]!;
  pos += 4;
  q.questionEnd = pos;
  scratch[0] = buf[q.questionEnd - 4]!;
  scratch[1] = buf[q.questionEnd - 3]!;
  q.key = scratchString(out);

  q.edns = false;
  q.udpSize = 512;
  q.ednsVersion = 0;
  q.dnssecOk = false;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  if (ar === 0) return ParseStatus.OK;
  // Skip any answer/authority records (a query has none, normally), then look for OPT.
  for (let i = 0; i < an + ns; i++) {
    pos = skipRecord(buf, pos);
    if (pos < 0) return ParseStatus.FORMERR;
  }
  for (let i = 0; i < ar; i++) {
    const nameStart = pos;
    pos = skipNameFast(buf, pos);
    if (pos < 0 || pos + 10 > len) return ParseStatus.FORMERR;
    const type = (buf[pos]! << 8) | buf[pos + 1]!;
    if (type === TYPE.OPT) {
      if (q.edns || pos !== nameStart + 1) return ParseStatus.FORMERR; // one OPT, owner is the root
      q.edns = true;
      const size = (buf[pos + 2]! << 8) | buf[pos + 3]!;
      q.udpSize = size < 512 ? 512 : size;
      q.ednsVersion = buf[pos + 5]!;
      q.dnssecOk = (buf[pos + 6]! & 0x80) !== 0;
    }
    const rdlen = (buf[pos + 8]! << 8) | buf[pos + 9]!;
    pos += 10 + rdlen;
    if (pos > len) return ParseStatus.FORMERR;
  }
  return ParseStatus.OK;
}

function skipNameFast(buf: Buffer, offset: number): number {
  let pos = offset;
  for (;;) {
    if (pos >= buf.length) return -1;
    const l = buf[pos]!;
    if (l === 0) return pos + 1;
    if ((l & 0xc0) === 0xc0) return pos + 2 <= buf.length ? pos + 2 : -1;
    if (l & 0xc0) return -1;
    pos += 1 + l;
  }
}

function skipRecord(buf: Buffer, offset: number): number {
  const pos = skipNameFast(buf, offset);
  if (pos < 0 || pos + 10 > buf.length) return -1;
  const end = pos + 10 + ((buf[pos + 8]! << 8) | buf[pos + 9]!);
  return end > buf.length ? -1 : end;
}

/** The lower-cased wire qname of a parsed query's key. */
export function keyQname(key: string): Buffer {
  return Buffer.from(key.slice(2), "latin1");
}
