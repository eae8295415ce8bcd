// A SPDY/3.1 session over any byte stream (a socket after `Upgrade: SPDY/3.1`,
// or the binary messages of a WebSocket), in either role: the server answers
// the streams the client opens (kubectl's port-forward and exec), the client
// opens them (kemu port-forward). What it does and does not do is what
// moby/spdystream, kubectl's side, does (reference/kubectl-api.md §7):
// SYN_REPLY answers SYN_STREAM, FIN half-closes, PINGs are echoed, SETTINGS
// and WINDOW_UPDATE are read and ignored, and there is no flow control (the
// Go side sends no WINDOW_UPDATE, so a window would stall it): back-pressure
// comes from the transport alone.
import { EventEmitter } from "node:events";
import { Duplex, type Duplex as DuplexType } from "node:stream";
import {
  FLAG_FIN,
  GoAwayStatus,
  RstStatus,
  SpdyProtocolError,
  parseFrame,
  serializeFrame,
  type SpdyFrame,
  type SpdyHeaders,
} from "./spdy-frames.js";
import { HeaderCompressor, HeaderDecompressor } from "./spdy-headers.js";

/** DATA frames are cut at this size: what Go's io.Copy moves at a time is 32 KiB. */
const DATA_CHUNK = 64 * 1024;

/** One SPDY stream as a Node Duplex: what is written goes out in DATA frames, end() sends FIN. */
export class SpdyStream extends Duplex {
  /** The status of the peer's RST_STREAM, if it reset the stream. */
  resetStatus?: number;
  private replied = false;
  private readonly replyWaiters: Array<() => void> = [];

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** The headers of the SYN_STREAM (the peer's, or this side's own). */
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a header, by its lower-case name. */
  header(name: string): string | undefined {
    return this.headers[name]?.[0];
  }

  /** Answers the peer's SYN_STREAM; every stream the peer opens needs one, or its data is dropped. */
  reply(headers: SpdyHeaders = {}): void {
    if (this.replied) return;
    this.replied = true;
    this.session.sendHeaders({ type: "SYN_REPLY", streamId: this.id, flags: 0 }, headers);
  }

  /** Resolves when the peer has answered this side's SYN_STREAM. */
  whenReplied(): Promise<void> {
    if (this.replied) return Promise.resolve();
    return new Promise((resolve) => this.replyWaiters.push(resolve));
  }

  /** Sends RST_STREAM and drops the stream. */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.destroyed) return;
    this.session.sendFrame({ type: "RST_STREAM", streamId: this.id, status });
    this.destroy();
  }

  /** @internal the peer's SYN_REPLY arrived */
  markReplied(): void {
    this.replied = true;
    for (const resolve of this.replyWaiters.splice(0)) resolve();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true, callback);
  }

  override _read(): void {
    this.session.streamWantsMore(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.session.forget(this);
    callback(error);
  }
}

export interface SpdySessionEvents {
  /** The peer opened a stream (SYN_STREAM); answer it with stream.reply(). */
  stream: [SpdyStream];
  /** The peer sent GOAWAY. */
  goaway: [status: number];
  /** The transport ended and every stream with it. */
  close: [];
  /** A protocol error: the session has sent GOAWAY and closed. */
  error: [Error];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private pending: Buffer = Buffer.alloc(0);
  /** Frames wait here while a header block is being (de)compressed, so that order is kept. */
  private inTail: Promise<void> = Promise.resolve();
  private inBusy = 0;
  private outTail: Promise<void> = Promise.resolve();
  private outBusy = 0;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private readonly blocked = new Set<SpdyStream>();
  private closed = false;
  private goneAway = false;

  constructor(
    private readonly transport: DuplexType,
    readonly role: "server" | "client",
  ) {
    super();
    // Clients open odd streams, servers even ones (§2.3.2).
    this.nextStreamId = role === "client" ? 1 : 2;
    transport.on("data", (chunk: Buffer) => this.receive(chunk));
    transport.on("end", () => this.shutdown());
    transport.on("close", () => this.shutdown());
    transport.on("error", () => this.shutdown());
  }

  /** Opens a stream (SYN_STREAM); fin sends it half-closed, as kubectl does with the error stream of exec. */
  openStream(headers: SpdyHeaders, options: { fin?: boolean } = {}): SpdyStream {
    if (this.closed || this.goneAway) throw new Error("spdy: the session is closed");
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    this.sendHeaders({ type: "SYN_STREAM", streamId: id, associatedId: 0, priority: 0, slot: 0, flags: options.fin ? FLAG_FIN : 0 }, headers);
    if (options.fin) stream.end();
    return stream;
  }

  /** GOAWAY, then the transport is ended once what is queued has been written. */
  close(status: number = GoAwayStatus.OK): void {
    if (this.closed) return;
    this.sendFrame({ type: "GOAWAY", lastGoodStreamId: this.lastPeerStreamId, status });
    void this.outTail.then(() => this.transport.end());
    this.shutdown();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  // ---- output ----

  /** @internal a frame without a header block */
  sendFrame(frame: SpdyFrame, callback?: (error?: Error | null) => void): void {
    if (this.outBusy === 0) return this.write(serializeFrame(frame), callback);
    this.queueOut(async () => this.write(serializeFrame(frame), callback));
  }

  /** @internal a frame whose header block is compressed in this side's context, in order */
  sendHeaders(frame: Extract<SpdyFrame, { type: "SYN_STREAM" | "SYN_REPLY" | "HEADERS" }> | Omit<Extract<SpdyFrame, { type: "SYN_STREAM" | "SYN_REPLY" | "HEADERS" }>, "headerBlock">, headers: SpdyHeaders): void {
    this.queueOut(async () => {
      const headerBlock = await this.compressor.compress(headers);
      this.write(serializeFrame({ ...frame, headerBlock } as SpdyFrame));
    });
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean, callback: (error?: Error | null) => void): void {
    if (this.closed) return callback();
    if (data.length <= DATA_CHUNK) return this.sendFrame({ type: "DATA", streamId, flags: fin ? FLAG_FIN : 0, data }, callback);
    for (let at = 0; at < data.length; at += DATA_CHUNK) {
      const last = at + DATA_CHUNK >= data.length;
      this.sendFrame({ type: "DATA", streamId, flags: last && fin ? FLAG_FIN : 0, data: data.subarray(at, at + DATA_CHUNK) }, last ? callback : undefined);
    }
  }

  private queueOut(work: () => Promise<void>): void {
    this.outBusy++;
    this.outTail = this.outTail
      .then(work)
      .catch((err: unknown) => this.fail(err as Error))
      .finally(() => this.outBusy--);
  }

  private write(bytes: Buffer, callback?: (error?: Error | null) => void): void {
    if (this.closed && !this.transport.writable) return callback?.();
    if (!this.transport.writable) return callback?.();
    // The callback fires once the transport has taken the bytes: the writer's back-pressure.
    this.transport.write(bytes, callback ? (err) => callback(err ?? null) : undefined);
  }

  // ---- input ----

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const parsed = parseFrame(this.pending, offset);
        if (!parsed) break;
        offset = parsed.next;
        this.dispatch(parsed.frame);
      }
    } catch (err) {
      return this.fail(err as Error);
    }
    this.pending = offset === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(offset);
  }

  private dispatch(frame: SpdyFrame): void {
    const needsInflate = frame.type === "SYN_STREAM" || frame.type === "SYN_REPLY" || frame.type === "HEADERS";
    if (!needsInflate && this.inBusy === 0) return this.handle(frame, {});
    this.inBusy++;
    // The data a frame points into may be overwritten by later reads only if copied; subarrays of the pending buffer are safe (never reused).
    this.inTail = this.inTail
      .then(async () => this.handle(frame, needsInflate ? await this.decompressor.decompress(frame.headerBlock) : {}))
      .catch((err: unknown) => this.fail(err as Error))
      .finally(() => this.inBusy--);
  }

  private handle(frame: SpdyFrame, headers: SpdyHeaders): void {
    if (this.closed) return;
    switch (frame.type) {
      case "SYN_STREAM": {
        if (this.streams.has(frame.streamId)) return this.sendFrame({ type: "RST_STREAM", streamId: frame.streamId, status: RstStatus.PROTOCOL_ERROR });
        if (this.goneAway) return this.sendFrame({ type: "RST_STREAM", streamId: frame.streamId, status: RstStatus.REFUSED_STREAM });
        this.lastPeerStreamId = Math.max(this.lastPeerStreamId, frame.streamId);
        const stream = new SpdyStream(this, frame.streamId, headers);
        this.streams.set(frame.streamId, stream);
        this.emit("stream", stream);
        if (frame.flags & FLAG_FIN) stream.push(null);
        return;
      }
      case "SYN_REPLY": {
        const stream = this.streams.get(frame.streamId);
        stream?.markReplied();
        if (stream && frame.flags & FLAG_FIN) stream.push(null);
        return;
      }
      case "HEADERS":
        return;
      case "DATA": {
        const stream = this.streams.get(frame.streamId);
        // Data for a stream that is gone (reset, or never opened) is dropped, as spdystream does.
        if (!stream || stream.destroyed) return;
        if (frame.data.length > 0 && !stream.push(frame.data)) this.block(stream);
        if (frame.flags & FLAG_FIN) stream.push(null);
        return;
      }
      case "RST_STREAM": {
        const stream = this.streams.get(frame.streamId);
        if (!stream) return;
        stream.resetStatus = frame.status;
        stream.destroy();
        return;
      }
      case "PING":
        // Pings carry the sender's parity: echo the peer's, ignore the answers to ours.
        if ((frame.id & 1) !== (this.nextStreamId & 1)) this.sendFrame(frame);
        return;
      case "GOAWAY":
        this.goneAway = true;
        this.emit("goaway", frame.status);
        return;
      case "SETTINGS":
      case "WINDOW_UPDATE":
      case "UNKNOWN":
        return;
    }
  }

  /** A stream's reader is full: stop reading the transport until it asks for more (there is no per-stream window). */
  private block(stream: SpdyStream): void {
    this.blocked.add(stream);
    this.transport.pause();
  }

  /** @internal */
  streamWantsMore(stream: SpdyStream): void {
    if (!this.blocked.delete(stream)) return;
    if (this.blocked.size === 0 && !this.closed) this.transport.resume();
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.streamWantsMore(stream);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    if (err instanceof SpdyProtocolError) {
      this.write(serializeFrame({ type: "GOAWAY", lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.PROTOCOL_ERROR }));
      this.transport.end();
    } else this.transport.destroy();
    this.shutdown();
    if (this.listenerCount("error") > 0) this.emit("error", err);
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.destroy();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    this.emit("close");
  }
}
