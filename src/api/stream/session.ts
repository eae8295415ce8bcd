// One exec or attach session, independent of the transport: a WebSocket
// (websocket.ts) or, when wired, SPDY streams. The transport carries numbered
// channels (channels.ts); the session moves stdin/resize from the client to
// the process and stdout/stderr back, then writes the Status and ends.
import type { Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { CLOSE, ERROR, RESIZE, STDERR, STDIN, STDOUT, parseResize, type ExecStatus, type TerminalSize } from "./channels.js";

/** A duplex of channels: what the session needs from a transport. */
export interface ChannelTransport {
  /** Sends one channel's data (stdout, stderr, the status). */
  send(channel: number, data: Buffer): void;
  /** Data the client sent: (channel, data); `closed` when it closed a channel (v5 close signal, SPDY FIN). */
  onMessage(listener: (channel: number, data: Buffer) => void): void;
  onChannelClosed(listener: (channel: number) => void): void;
  /** The client went away before the session ended. */
  onGone(listener: () => void): void;
  /** Ends the session cleanly (WebSocket close 1000) once everything sent is flushed. */
  end(): void;
}

/** The process side: a command started in a container, or a container's own output. */
export interface SessionProcess {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  resize?(size: TerminalSize): void;
  /** Stops it when the client leaves. */
  kill(): void;
  /** Settles once the process ended and its output was read. */
  done: Promise<ExecStatus>;
}

/** Adapts a transport's channels to `process`, then writes the status and ends. Resolves when the session is over. */
export function runSession(transport: ChannelTransport, process: SessionProcess): Promise<void> {
  let gone = false;
  const forward = (channel: number, stream: Readable | undefined) =>
    stream?.on("data", (chunk: Buffer) => {
      if (!gone) transport.send(channel, chunk);
    });
  forward(STDOUT, process.stdout);
  forward(STDERR, process.stderr);
  // A client writing after the process closed its stdin is not an error of the session.
  process.stdin?.on("error", () => undefined);

  transport.onMessage((channel, data) => {
    if (channel === STDIN) {
      if (process.stdin && !process.stdin.writableEnded) process.stdin.write(data);
    } else if (channel === RESIZE) {
      const size = parseResize(data);
      if (size) process.resize?.(size);
    } else if (channel === CLOSE) {
      // v5: [255, n] closes channel n; only stdin can be closed by the client.
      if (data[0] === STDIN) process.stdin?.end();
    }
  });
  transport.onChannelClosed((channel) => {
    if (channel === STDIN) process.stdin?.end();
  });
  transport.onGone(() => {
    gone = true;
    process.kill();
  });

  return process.done.then(async (status) => {
    // The last output before the status.
    await Promise.all([process.stdout, process.stderr].map((s) => (s ? finished(s).catch(() => undefined) : undefined)));
    if (gone) return;
    transport.send(ERROR, Buffer.from(JSON.stringify(status)));
    transport.end();
  });
}
