// Exec and attach over SPDY/3.1: what kubectl falls back to when its
// WebSocket upgrade fails (or KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false), and
// what older clients speak (shared reference kubectl-api.md §6 "Fallback").
// The kubelet's side (pkg/kubelet/cri/streaming/remotecommand/httpstream.go):
// the raw upgrade answers 101 with the negotiated X-Stream-Protocol-Version,
// the client opens one stream per channel named by its `streamtype` header,
// and the server waits for all it expects before the command runs; at the
// end the status goes on the `error` stream — a metav1.Status as JSON from
// v4 on, the message alone before (and nothing on success) — every stream
// gets FIN and the session closes.
import type http from "node:http";
import type { Duplex } from "node:stream";
import { ApiError } from "../errors.js";
import { ERROR, RESIZE, STDERR, STDIN, STDOUT, type ExecStatus } from "./channels.js";
import type { ChannelTransport } from "./session.js";
import { SpdySession, type SpdyStream } from "./spdy-session.js";
import { RstStatus } from "./spdy-frames.js";

/** remotecommand's protocol names, the server's preference first ("channel.k8s.io" is v1). */
export const SPDY_EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;
export type SpdyExecProtocol = (typeof SPDY_EXEC_PROTOCOLS)[number];

/** How long the client has to open its streams (the kubelet's default streamCreationTimeout). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** streamtype header → channel (remotecommand StreamType* constants). */
const CHANNEL_OF_STREAM: Readonly<Record<string, number>> = { error: ERROR, stdin: STDIN, stdout: STDOUT, stderr: STDERR, resize: RESIZE };

export function isSpdyUpgrade(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "spdy/3.1";
}

function headerList(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value.join(",") : (value ?? "")).split(",").map((p) => p.trim()).filter(Boolean);
}

/**
 * The protocol to answer with: the highest the client offers; v1 when it
 * offers none (httpstream.Handshake then sets no header); a 403 when it
 * offers only protocols the server does not speak, worded as upstream.
 */
export function negotiateSpdyExec(offered: readonly string[]): { protocol: SpdyExecProtocol; echo: boolean } {
  if (offered.length === 0) return { protocol: "channel.k8s.io", echo: false };
  const protocol = SPDY_EXEC_PROTOCOLS.find((p) => offered.includes(p));
  if (!protocol) {
    throw new ApiError("Forbidden", `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${SPDY_EXEC_PROTOCOLS.join(" ")}]`);
  }
  return { protocol, echo: true };
}

/** The channels a session needs the client to open (remotecommand's expected stream count). */
export interface ExpectedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function expectedStreamTypes(protocol: SpdyExecProtocol, o: ExpectedStreams): string[] {
  const types = ["error"];
  if (o.stdin) types.push("stdin");
  if (o.stdout) types.push("stdout");
  if (o.stderr && !o.tty) types.push("stderr");
  // The resize stream came with v3.
  if (o.tty && protocol !== "v2.channel.k8s.io" && protocol !== "channel.k8s.io") types.push("resize");
  return types;
}

/** What goes on the error stream at the end: the Status as JSON from v4 on; before, a failure's message and nothing on success. */
export function errorStreamBytes(protocol: SpdyExecProtocol, status: ExecStatus): Buffer | undefined {
  if (protocol === "v5.channel.k8s.io" || protocol === "v4.channel.k8s.io") return Buffer.from(JSON.stringify(status));
  return status.status === "Success" ? undefined : Buffer.from(status.message ?? "");
}

/**
 * Completes the raw upgrade and waits for the client's streams; resolves with
 * them as a ChannelTransport. A refusal before the 101 is thrown as an
 * ApiError (the caller answers it); a client that never opens its streams
 * gets the session closed.
 */
export function acceptSpdyExec(req: http.IncomingMessage, socket: Duplex, head: Buffer, expected: ExpectedStreams, timeoutMs = STREAM_CREATION_TIMEOUT_MS): Promise<ChannelTransport> {
  const { protocol, echo } = negotiateSpdyExec(headerList(req.headers["x-stream-protocol-version"]));
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${echo ? `X-Stream-Protocol-Version: ${protocol}\r\n` : ""}\r\n`);
  if (head.length > 0) socket.unshift(head);
  socket.on("error", () => socket.destroy());
  const session = new SpdySession(socket, "server");
  session.on("error", () => undefined);
  const wanted = expectedStreamTypes(protocol, expected);
  const streams = new Map<number, SpdyStream>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.close();
      reject(new Error(`timed out waiting for client to create streams (${wanted.join(", ")})`));
    }, timeoutMs);
    timer.unref();
    const onClose = () => {
      clearTimeout(timer);
      reject(new Error("the client went away before it opened its streams"));
    };
    session.once("close", onClose);
    session.on("stream", (stream) => {
      const type = stream.header("streamtype") ?? "";
      const channel = CHANNEL_OF_STREAM[type];
      // The kubelet refuses other stream types ("unexpected stream type").
      if (channel === undefined || streams.has(channel)) return stream.reset(RstStatus.PROTOCOL_ERROR);
      stream.reply();
      streams.set(channel, stream);
      if (wanted.every((t) => streams.has(CHANNEL_OF_STREAM[t]!))) {
        clearTimeout(timer);
        session.off("close", onClose);
        resolve(new SpdyChannels(session, streams, protocol));
      }
    });
  });
}

/** The client's streams as a ChannelTransport. */
class SpdyChannels implements ChannelTransport {
  private ended = false;
  private gone = false;
  private goneListener?: () => void;

  constructor(
    private readonly session: SpdySession,
    private readonly streams: ReadonlyMap<number, SpdyStream>,
    private readonly protocol: SpdyExecProtocol,
  ) {
    for (const s of streams.values()) s.on("error", () => undefined);
    session.on("close", () => {
      if (this.ended || this.gone) return;
      this.gone = true;
      this.goneListener?.();
    });
  }

  send(channel: number, data: Buffer): void {
    const stream = this.streams.get(channel);
    if (!stream || stream.writableEnded || stream.destroyed) return;
    const bytes = channel === ERROR ? errorStreamBytes(this.protocol, JSON.parse(data.toString("utf8")) as ExecStatus) : data;
    if (bytes && bytes.length > 0) stream.write(bytes);
  }

  onMessage(listener: (channel: number, data: Buffer) => void): void {
    this.streams.get(STDIN)?.on("data", (chunk: Buffer) => listener(STDIN, chunk));
    const resize = this.streams.get(RESIZE);
    if (resize) {
      // client-go writes one JSON TerminalSize per line (json.Encoder).
      let buffered = "";
      resize.setEncoding("utf8");
      resize.on("data", (text: string) => {
        buffered += text;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) listener(RESIZE, Buffer.from(line));
        }
      });
    }
    // Streams that carry nothing from the client are still read, so that their FIN is seen.
    for (const [channel, s] of this.streams) if (channel !== STDIN && channel !== RESIZE) s.resume();
  }

  onChannelClosed(listener: (channel: number) => void): void {
    this.streams.get(STDIN)?.on("end", () => listener(STDIN));
  }

  onGone(listener: () => void): void {
    this.goneListener = listener;
    if (this.gone) listener();
  }

  /** FIN on every stream once its data is out, then GOAWAY and the socket closed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const finished = [...this.streams.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed || s.writableFinished) return resolve();
          s.once("finish", resolve);
          s.once("close", resolve);
          s.end();
        }),
    );
    void Promise.all(finished).then(() => this.session.close());
  }
}
