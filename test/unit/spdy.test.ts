// The SPDY/3.1 codec and session behind port-forward (reference
// kubectl-api.md §7). Frame layouts: draft-mbelshe-httpbis-spdy-00 §2.2
// (control and data frame headers), §2.6.1-2.6.9 (each control frame),
// §2.6.10 (header blocks) and §2.6.10.1 (the compression dictionary).
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { Duplex, PassThrough } from "node:stream";
import zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "../../src/api/stream/spdy-dictionary.js";
import {
  FLAG_FIN,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeHeaderBlock,
  parseFrame,
  serializeFrame,
  type SpdyFrame,
} from "../../src/api/stream/spdy-frames.js";
import { HeaderCompressor, HeaderDecompressor } from "../../src/api/stream/spdy-headers.js";
import { SpdySession, type SpdyStream } from "../../src/api/stream/spdy-session.js";

/** RFC 1950 §8.2. */
function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("SPDY/3 dictionary (§2.6.10.1)", () => {
  it("is the draft's 1423 bytes", () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(createHash("sha256").update(SPDY3_DICTIONARY).digest("hex")).toBe("51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02");
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(hex("00000007 6f7074696f6e73"));
    expect(SPDY3_DICTIONARY.subarray(-6).toString()).toBe("enq=0.");
  });
});

describe("frames: exact bytes", () => {
  const cases: Array<[string, SpdyFrame, string]> = [
    ["DATA with FIN", { type: "DATA", streamId: 3, flags: FLAG_FIN, data: Buffer.from("hi") }, "00000003 01 000002 6869"],
    ["empty DATA (a bare FIN)", { type: "DATA", streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) }, "00000001 01 000000"],
    [
      "SYN_STREAM",
      { type: "SYN_STREAM", streamId: 5, associatedId: 0, priority: 0, slot: 0, flags: 0, headerBlock: hex("aabb") },
      "8003 0001 00 00000c 00000005 00000000 00 00 aabb",
    ],
    ["SYN_STREAM with priority 7 and FIN", { type: "SYN_STREAM", streamId: 1, associatedId: 2, priority: 7, slot: 0, flags: FLAG_FIN, headerBlock: Buffer.alloc(0) }, "8003 0001 01 00000a 00000001 00000002 e0 00"],
    ["SYN_REPLY", { type: "SYN_REPLY", streamId: 1, flags: 0, headerBlock: hex("01020304") }, "8003 0002 00 000008 00000001 01020304"],
    ["RST_STREAM CANCEL", { type: "RST_STREAM", streamId: 3, status: 5 }, "8003 0003 00 000008 00000003 00000005"],
    ["SETTINGS", { type: "SETTINGS", flags: 0, entries: [{ flags: 0, id: 7, value: 65536 }] }, "8003 0004 00 00000c 00000001 00 000007 00010000"],
    ["PING", { type: "PING", id: 1 }, "8003 0006 00 000004 00000001"],
    ["GOAWAY", { type: "GOAWAY", lastGoodStreamId: 7, status: 0 }, "8003 0007 00 000008 00000007 00000000"],
    ["HEADERS", { type: "HEADERS", streamId: 9, flags: 0, headerBlock: hex("ff") }, "8003 0008 00 000005 00000009 ff"],
    ["WINDOW_UPDATE", { type: "WINDOW_UPDATE", streamId: 1, delta: 1024 }, "8003 0009 00 000008 00000001 00000400"],
  ];
  for (const [name, frame, bytes] of cases) {
    it(`${name}: serializes and parses back`, () => {
      const wire = serializeFrame(frame);
      expect(wire).toEqual(hex(bytes));
      expect(parseFrame(wire)).toEqual({ frame, next: wire.length });
    });
  }

  it("needs a whole frame; reads one after another", () => {
    const a = serializeFrame({ type: "PING", id: 1 });
    const b = serializeFrame({ type: "DATA", streamId: 1, flags: 0, data: Buffer.from("x") });
    const both = Buffer.concat([a, b]);
    expect(parseFrame(both.subarray(0, 7))).toBeUndefined();
    expect(parseFrame(both.subarray(0, 11))).toBeUndefined();
    expect(parseFrame(both)?.next).toBe(12);
    expect(parseFrame(both, 12)).toEqual({ frame: { type: "DATA", streamId: 1, flags: 0, data: Buffer.from("x") }, next: 21 });
  });

  it("ignores the control bit's stream-id high bit and passes unknown control types through", () => {
    expect(parseFrame(hex("8003 000a 00 000002 abcd"))).toEqual({ frame: { type: "UNKNOWN", controlType: 10, flags: 0, payload: hex("abcd") }, next: 10 });
  });

  it("refuses other versions and short control frames", () => {
    expect(() => parseFrame(hex("8002 0006 00 000004 00000001"))).toThrow(SpdyProtocolError);
    expect(() => parseFrame(hex("8002 0006 00 000004 00000001"))).toThrow("control frame of version 2; only version 3 is spoken");
    expect(() => parseFrame(hex("8003 0003 00 000004 00000001"))).toThrow("RST_STREAM frame of 4 bytes; it needs at least 8");
  });

  it("refuses a payload over 24 bits", () => {
    expect(() => serializeFrame({ type: "DATA", streamId: 1, flags: 0, data: Buffer.alloc(0x1000000) })).toThrow("over the 24-bit limit");
  });
});

describe("header blocks (§2.6.10)", () => {
  it("encodes count, names and values, lower-casing names and NUL-joining values", () => {
    expect(encodeHeaderBlock({ StreamType: ["error"], a: ["1", "2"] })).toEqual(
      hex("00000002 0000000a 73747265616d74797065 00000005 6572726f72 00000001 61 00000003 310032"),
    );
    expect(decodeHeaderBlock(encodeHeaderBlock({ StreamType: ["error"], a: ["1", "2"] }))).toEqual({ streamtype: ["error"], a: ["1", "2"] });
    expect(encodeHeaderBlock({})).toEqual(hex("00000000"));
  });

  it("refuses truncated blocks, naming the part", () => {
    expect(() => decodeHeaderBlock(hex("000000"))).toThrow("header block ends inside the pair count");
    expect(() => decodeHeaderBlock(hex("00000001 00000004 6162"))).toThrow("header block ends inside a name (4 bytes announced)");
    expect(() => decodeHeaderBlock(hex("00000001 00000000 00000000"))).toThrow("header block has an empty name");
  });

  it("compresses with the dictionary, one context for the session, a sync flush per block", async () => {
    const out = new HeaderCompressor();
    const inp = new HeaderDecompressor();
    const headers = { streamtype: ["data"], port: ["8080"], requestid: ["0"] };
    const first = await out.compress(headers);
    const second = await out.compress({ ...headers, requestid: ["1"] });
    // Each block ends at a sync flush (an empty stored block) …
    expect(first.subarray(-4)).toEqual(hex("0000ffff"));
    expect(second.subarray(-4)).toEqual(hex("0000ffff"));
    // … only the first carries the zlib header, with FDICT and the dictionary's Adler-32 (RFC 1950).
    expect(first[0]).toBe(0x78);
    expect(first[1]! & 0x20).toBe(0x20);
    expect(first.readUInt32BE(2)).toBe(adler32(SPDY3_DICTIONARY));
    // The second block refers back to the first: shorter, and not inflatable alone.
    expect(second.length).toBeLessThan(first.length);
    expect(await inp.decompress(first)).toEqual(headers);
    expect(await inp.decompress(second)).toEqual({ ...headers, requestid: ["1"] });
    // An independent inflater needs the dictionary.
    expect(() => zlib.inflateSync(first, { finishFlush: zlib.constants.Z_SYNC_FLUSH })).toThrow(/dictionary/i);
    expect(decodeHeaderBlock(zlib.inflateSync(first, { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH }))).toEqual(headers);
    out.close();
    inp.close();
  });

  it("inflates a block made by another zlib with the dictionary", async () => {
    const block = zlib.deflateSync(encodeHeaderBlock({ port: ["80"] }), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const inp = new HeaderDecompressor();
    expect(await inp.decompress(block)).toEqual({ port: ["80"] });
    await expect(inp.decompress(hex("ffffffff"))).rejects.toThrow("header block does not inflate");
    inp.close();
  });
});

/** Two Duplexes joined back to back. */
function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

/** The far end of a session, driven frame by frame with the codec. */
class ScriptedPeer {
  readonly frames: SpdyFrame[] = [];
  readonly headers: Array<Record<string, string[]>> = [];
  private buf = Buffer.alloc(0);
  private readonly out = new HeaderCompressor();
  private readonly inp = new HeaderDecompressor();
  private work: Promise<void> = Promise.resolve();

  constructor(readonly end: Duplex) {
    end.on("data", (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      for (;;) {
        const parsed = parseFrame(this.buf);
        if (!parsed) break;
        this.buf = this.buf.subarray(parsed.next);
        const frame = parsed.frame;
        this.work = this.work.then(async () => {
          if ("headerBlock" in frame) this.headers.push(await this.inp.decompress(frame.headerBlock));
          this.frames.push(frame);
        });
      }
    });
  }

  send(frame: SpdyFrame): void {
    this.end.write(serializeFrame(frame));
  }

  async syn(streamId: number, headers: Record<string, string[]>, flags = 0): Promise<void> {
    this.send({ type: "SYN_STREAM", streamId, associatedId: 0, priority: 0, slot: 0, flags, headerBlock: await this.out.compress(headers) });
  }

  async until(count: number): Promise<SpdyFrame[]> {
    for (let i = 0; i < 200 && this.frames.length < count; i++) await new Promise((r) => setTimeout(r, 5));
    await this.work;
    return this.frames;
  }
}

function read(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    stream.on("data", (c: Buffer) => parts.push(c));
    stream.on("end", () => resolve(Buffer.concat(parts).toString()));
  });
}

describe("SpdySession against a scripted peer", () => {
  it("replies to each stream, carries data both ways with FIN, echoes the peer's pings, ignores SETTINGS and WINDOW_UPDATE", async () => {
    const [server, client] = duplexPair();
    const session = new SpdySession(server, "server");
    const peer = new ScriptedPeer(client);
    const opened: SpdyStream[] = [];
    session.on("stream", (s) => {
      opened.push(s);
      s.reply();
    });

    peer.send({ type: "SETTINGS", flags: 0, entries: [{ flags: 0, id: 7, value: 65536 }] });
    await peer.syn(1, { streamtype: ["error"], port: ["8080"], requestid: ["0"] }, FLAG_FIN);
    await peer.syn(3, { streamtype: ["data"], port: ["8080"], requestid: ["0"] });
    peer.send({ type: "PING", id: 1 });
    peer.send({ type: "WINDOW_UPDATE", streamId: 3, delta: 1000 });
    peer.send({ type: "DATA", streamId: 3, flags: 0, data: Buffer.from("hel") });
    peer.send({ type: "DATA", streamId: 3, flags: FLAG_FIN, data: Buffer.from("lo") });

    const frames = await peer.until(3);
    expect(frames.slice(0, 3)).toEqual([
      { type: "SYN_REPLY", streamId: 1, flags: 0, headerBlock: expect.any(Buffer) },
      { type: "SYN_REPLY", streamId: 3, flags: 0, headerBlock: expect.any(Buffer) },
      { type: "PING", id: 1 },
    ]);
    expect(peer.headers).toEqual([{}, {}]);
    expect(opened.map((s) => [s.id, s.header("streamtype"), s.header("requestid")])).toEqual([
      [1, "error", "0"],
      [3, "data", "0"],
    ]);
    const data = opened[1]!;
    expect(await read(data)).toBe("hello");
    expect(await read(opened[0]!)).toBe("");

    data.end("world");
    const after = await peer.until(5);
    expect(after.slice(3)).toEqual([
      { type: "DATA", streamId: 3, flags: 0, data: Buffer.from("world") },
      { type: "DATA", streamId: 3, flags: FLAG_FIN, data: Buffer.alloc(0) },
    ]);

    // An answer to a ping of the server's own parity is not echoed again.
    peer.send({ type: "PING", id: 2 });
    // RST_STREAM ends a stream on this side.
    await peer.syn(5, { streamtype: ["data"] });
    await peer.until(6);
    peer.send({ type: "RST_STREAM", streamId: 5, status: 5 });
    await new Promise((r) => setTimeout(r, 20));
    expect(opened[2]!.destroyed).toBe(true);
    expect(opened[2]!.resetStatus).toBe(5);
    expect(peer.frames.filter((f) => f.type === "PING")).toEqual([{ type: "PING", id: 1 }]);
    session.close();
  });

  it("answers a broken frame with GOAWAY PROTOCOL_ERROR and closes", async () => {
    const [server, client] = duplexPair();
    const session = new SpdySession(server, "server");
    const errors: Error[] = [];
    session.on("error", (e) => errors.push(e));
    const peer = new ScriptedPeer(client);
    peer.end.write(hex("8002 0006 00 000004 00000001"));
    const frames = await peer.until(1);
    expect(frames).toEqual([{ type: "GOAWAY", lastGoodStreamId: 0, status: 1 }]);
    expect(errors.map((e) => e.message)).toEqual(["spdy: control frame of version 2; only version 3 is spoken"]);
  });

  it("refuses a stream id already in use with RST_STREAM PROTOCOL_ERROR", async () => {
    const [server, client] = duplexPair();
    const session = new SpdySession(server, "server");
    session.on("stream", (s) => s.reply());
    const peer = new ScriptedPeer(client);
    await peer.syn(1, { a: ["1"] });
    await peer.syn(1, { a: ["2"] });
    const frames = await peer.until(2);
    expect(frames[1]).toEqual({ type: "RST_STREAM", streamId: 1, status: 1 });
    session.close();
  });
});

describe("SpdySession client to server", () => {
  it("moves 1 MB each way on one stream and several streams at once", async () => {
    const [a, b] = duplexPair();
    const server = new SpdySession(a, "server");
    const client = new SpdySession(b, "client");
    server.on("stream", (s) => {
      s.reply({ ok: ["yes"] });
      // An echo: what comes in goes back, then FIN.
      s.pipe(s);
    });
    const big = Buffer.alloc(1024 * 1024, 7);
    big.write("start");
    const streams = [0, 1, 2].map((i) => client.openStream({ streamtype: ["data"], requestid: [String(i)] }));
    expect(streams.map((s) => s.id)).toEqual([1, 3, 5]);
    await Promise.all(streams.map((s) => s.whenReplied()));
    const results = streams.map(
      (s) =>
        new Promise<Buffer>((resolve) => {
          const parts: Buffer[] = [];
          s.on("data", (c: Buffer) => parts.push(c));
          s.on("end", () => resolve(Buffer.concat(parts)));
        }),
    );
    streams[0]!.end(big);
    streams[1]!.end("one");
    streams[2]!.end();
    const [r0, r1, r2] = await Promise.all(results);
    expect(r0!.equals(big)).toBe(true);
    expect(r1!.toString()).toBe("one");
    expect(r2!.length).toBe(0);
    client.close();
  });
});
