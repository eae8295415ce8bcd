// Exec and attach over WebSocket, as kubectl 1.32 speaks it first: the
// subprotocol v5.channel.k8s.io (or v4) echoed in the 101 answer, binary
// messages whose first byte is the channel, close code 1000 at the end
// (shared reference kubectl-api.md §6). `ws` answers kubectl's pings.
import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { ApiError } from "../errors.js";
import { SUPPORTED_PROTOCOLS, decodeFrame, encodeFrame, pickProtocol, type ChannelProtocol } from "./channels.js";
import type { ChannelTransport } from "./session.js";

/** ws's "unsupported data": a text message where only binary ones belong. */
const CLOSE_UNSUPPORTED_DATA = 1003;

const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  // Answering with a protocol the client did not offer never happens: the request was checked first.
  handleProtocols: (offered) => pickProtocol(offered) ?? false,
});

export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

/** The protocols the client offered, comma-separated in one or more headers. */
export function offeredProtocols(req: http.IncomingMessage): string[] {
  const raw = req.headers["sec-websocket-protocol"];
  return (Array.isArray(raw) ? raw.join(",") : (raw ?? "")).split(",").map((p) => p.trim()).filter(Boolean);
}

/**
 * The channel protocol for this upgrade, or a 400 that makes kubectl fall
 * back to SPDY (upstream wsstream: "requested protocol(s) are not supported").
 */
export function negotiate(req: http.IncomingMessage): ChannelProtocol {
  const offered = offeredProtocols(req);
  const protocol = pickProtocol(offered);
  if (!protocol) throw new ApiError("BadRequest", `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${SUPPORTED_PROTOCOLS.join(" ")}]`);
  return protocol;
}

/** Completes the WebSocket handshake (call negotiate first) and returns the connection as a duplex of channels. */
export function acceptWebSocket(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<ChannelTransport> {
  return new Promise((resolve) => {
    server.handleUpgrade(req, socket, head, (ws) => resolve(new WebSocketChannels(ws)));
  });
}

/** A WebSocket as a ChannelTransport; messages that arrive before a listener is set are kept for it. */
class WebSocketChannels implements ChannelTransport {
  private pending: Buffer[] = [];
  private messageListener?: (channel: number, data: Buffer) => void;
  private goneListener?: () => void;
  private ended = false;
  private gone = false;

  constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) {
        ws.close(CLOSE_UNSUPPORTED_DATA, "only binary messages are allowed");
        return;
      }
      const message = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (this.messageListener) this.deliver(message);
      else this.pending.push(message);
    });
    ws.on("close", () => {
      if (this.ended || this.gone) return;
      this.gone = true;
      this.goneListener?.();
    });
    ws.on("error", () => ws.terminate());
  }

  private deliver(message: Buffer): void {
    const frame = decodeFrame(message);
    if (frame) this.messageListener!(frame.channel, frame.data);
  }

  send(channel: number, data: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeFrame(channel, data), { binary: true });
  }

  onMessage(listener: (channel: number, data: Buffer) => void): void {
    this.messageListener = listener;
    const queued = this.pending;
    this.pending = [];
    for (const message of queued) this.deliver(message);
  }

  /** WebSocket has no per-channel close; v5 says it with the close channel, a message. */
  onChannelClosed(): void {}

  onGone(listener: () => void): void {
    this.goneListener = listener;
    if (this.gone) listener();
  }

  end(): void {
    this.ended = true;
    // ws sends the close frame after everything queued before it.
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
  }
}
