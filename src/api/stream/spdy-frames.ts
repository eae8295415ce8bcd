// SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 §2.2, §2.6; SPDY/3.1 adds
// only stream-level WINDOW_UPDATE semantics): pure parsing and serializing.
// Header blocks stay compressed here; spdy-headers.ts turns them into names
// and values. kubectl's port-forward and exec speak this through
// moby/spdystream (reference/kubectl-api.md §7).

export const SPDY_VERSION = 3;
/** The 8-byte header every frame starts with. */
export const FRAME_HEADER_BYTES = 8;
/** Lengths are 24 bits. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (§2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
} as const;

/** GOAWAY status codes (§2.6.6). */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

const ControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export interface SettingsEntry {
  flags: number;
  id: number;
  value: number;
}

export type SpdyFrame =
  | { type: "DATA"; streamId: number; flags: number; data: Buffer }
  | { type: "SYN_STREAM"; streamId: number; associatedId: number; priority: number; slot: number; flags: number; headerBlock: Buffer }
  | { type: "SYN_REPLY"; streamId: number; flags: number; headerBlock: Buffer }
  | { type: "RST_STREAM"; streamId: number; status: number }
  | { type: "SETTINGS"; flags: number; entries: SettingsEntry[] }
  | { type: "PING"; id: number }
  | { type: "GOAWAY"; lastGoodStreamId: number; status: number }
  | { type: "HEADERS"; streamId: number; flags: number; headerBlock: Buffer }
  | { type: "WINDOW_UPDATE"; streamId: number; delta: number }
  /** A control frame type this codec does not know (CREDENTIAL, NOOP…): to be ignored, as the draft says. */
  | { type: "UNKNOWN"; controlType: number; flags: number; payload: Buffer };

/** The peer broke the framing: the session answers with GOAWAY PROTOCOL_ERROR and closes. */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(`spdy: ${message}`);
    this.name = "SpdyProtocolError";
  }
}

const STREAM_ID_MASK = 0x7fffffff;

/**
 * The first complete frame in buf at offset, and where the next one starts;
 * undefined when the bytes there do not make a whole frame yet.
 */
export function parseFrame(buf: Buffer, offset = 0): { frame: SpdyFrame; next: number } | undefined {
  if (buf.length - offset < FRAME_HEADER_BYTES) return undefined;
  const first = buf.readUInt32BE(offset);
  const flags = buf[offset + 4]!;
  const length = buf.readUIntBE(offset + 5, 3);
  const end = offset + FRAME_HEADER_BYTES + length;
  if (buf.length < end) return undefined;
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
  if ((first & 0x80000000) === 0) return { frame: { type: "DATA", streamId: first & STREAM_ID_MASK, flags, data: payload }, next: end };
  const version = (first >>> 16) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`control frame of version ${version}; only version ${SPDY_VERSION} is spoken`);
  return { frame: parseControl(first & 0xffff, flags, payload), next: end };
}

function need(payload: Buffer, bytes: number, what: string): void {
  if (payload.length < bytes) throw new SpdyProtocolError(`${what} frame of ${payload.length} bytes; it needs at least ${bytes}`);
}

function parseControl(type: number, flags: number, payload: Buffer): SpdyFrame {
  switch (type) {
    case ControlType.SYN_STREAM:
      need(payload, 10, "SYN_STREAM");
      return {
        type: "SYN_STREAM",
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload[8]! >> 5,
        slot: payload[9]!,
        flags,
        headerBlock: payload.subarray(10),
      };
    case ControlType.SYN_REPLY:
      need(payload, 4, "SYN_REPLY");
      return { type: "SYN_REPLY", streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: payload.subarray(4) };
    case ControlType.RST_STREAM:
      need(payload, 8, "RST_STREAM");
      return { type: "RST_STREAM", streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case ControlType.SETTINGS: {
      need(payload, 4, "SETTINGS");
      const count = payload.readUInt32BE(0);
      need(payload, 4 + count * 8, "SETTINGS");
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < count; i++) {
        const at = 4 + i * 8;
        entries.push({ flags: payload[at]!, id: payload.readUIntBE(at + 1, 3), value: payload.readUInt32BE(at + 4) });
      }
      return { type: "SETTINGS", flags, entries };
    }
    case ControlType.PING:
      need(payload, 4, "PING");
      return { type: "PING", id: payload.readUInt32BE(0) };
    case ControlType.GOAWAY:
      need(payload, 4, "GOAWAY");
      // SPDY/2 peers send no status; SPDY/3 ones do.
      return { type: "GOAWAY", lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
    case ControlType.HEADERS:
      need(payload, 4, "HEADERS");
      return { type: "HEADERS", streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: payload.subarray(4) };
    case ControlType.WINDOW_UPDATE:
      need(payload, 8, "WINDOW_UPDATE");
      return { type: "WINDOW_UPDATE", streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, delta: payload.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { type: "UNKNOWN", controlType: type, flags, payload };
  }
}

function frameHeader(first: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`spdy: a frame payload of ${length} bytes is over the 24-bit limit`);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(first >>> 0, 0);
  header[4] = flags;
  header.writeUIntBE(length, 5, 3);
  return header;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader((0x8000 | SPDY_VERSION) * 0x10000 + type, flags, payload.length), payload]);
}

function words(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32BE(v >>> 0, i * 4));
  return buf;
}

/** The bytes of a frame; header blocks must be compressed already. */
export function serializeFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case "DATA":
      return Buffer.concat([frameHeader(frame.streamId & STREAM_ID_MASK, frame.flags, frame.data.length), frame.data]);
    case "SYN_STREAM": {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedId & STREAM_ID_MASK, 4);
      fixed[8] = (frame.priority & 0x7) << 5;
      fixed[9] = frame.slot;
      return control(ControlType.SYN_STREAM, frame.flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case "SYN_REPLY":
      return control(ControlType.SYN_REPLY, frame.flags, Buffer.concat([words(frame.streamId & STREAM_ID_MASK), frame.headerBlock]));
    case "RST_STREAM":
      return control(ControlType.RST_STREAM, 0, words(frame.streamId & STREAM_ID_MASK, frame.status));
    case "SETTINGS": {
      const payload = Buffer.alloc(4 + frame.entries.length * 8);
      payload.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        payload[4 + i * 8] = e.flags;
        payload.writeUIntBE(e.id, 5 + i * 8, 3);
        payload.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return control(ControlType.SETTINGS, frame.flags, payload);
    }
    case "PING":
      return control(ControlType.PING, 0, words(frame.id));
    case "GOAWAY":
      return control(ControlType.GOAWAY, 0, words(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status));
    case "HEADERS":
      return control(ControlType.HEADERS, frame.flags, Buffer.concat([words(frame.streamId & STREAM_ID_MASK), frame.headerBlock]));
    case "WINDOW_UPDATE":
      return control(ControlType.WINDOW_UPDATE, 0, words(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK));
    case "UNKNOWN":
      return control(frame.controlType, frame.flags, frame.payload);
  }
}

/** Name → values. Names are lower case on the wire (§2.6.10); several values travel NUL-separated. */
export type SpdyHeaders = Record<string, string[]>;

/** An uncompressed header block (§2.6.10): a 32-bit count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const names = Object.keys(headers);
  const parts: Buffer[] = [words(names.length)];
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), "utf8");
    const v = Buffer.from(headers[name]!.join("\0"), "utf8");
    parts.push(words(n.length), n, words(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let at = 0;
  const u32 = (what: string): number => {
    if (block.length - at < 4) throw new SpdyProtocolError(`header block ends inside ${what}`);
    const v = block.readUInt32BE(at);
    at += 4;
    return v;
  };
  const bytes = (length: number, what: string): string => {
    if (block.length - at < length) throw new SpdyProtocolError(`header block ends inside ${what} (${length} bytes announced)`);
    const s = block.toString("utf8", at, at + length);
    at += length;
    return s;
  };
  const count = u32("the pair count");
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = bytes(u32("a name's length"), "a name");
    if (name === "") throw new SpdyProtocolError("header block has an empty name");
    const value = bytes(u32("a value's length"), `the value of ${name}`);
    (headers[name.toLowerCase()] ??= []).push(...value.split("\0"));
  }
  return headers;
}
