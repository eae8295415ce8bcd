// The router's HTTP/1.1 client towards one endpoint: keep-alive connections
// (most recently used first, as nginx's upstream keepalive cache), one
// request at a time on each, the request written in one go and the
// response parsed by response-parser.ts. It does only what a reverse proxy
// needs, so a proxied request costs a fraction of a general client's work
// (docs/decisions.md "The router's own upstream client").
//
// Timeouts are nginx's: connect (proxy_connect_timeout), and read, which
// like proxy_read_timeout / proxy_send_timeout is inactivity on the socket
// between two reads or writes, not a limit on the whole response.
import net from "node:net";
import tls from "node:tls";
import { ResponseParseError, ResponseParser } from "./response-parser.js";

export interface UpstreamTarget {
  ip: string;
  port: number;
  secure: boolean;
  connectTimeoutMs: number;
}

export interface UpstreamRequest {
  method: string;
  /** the request target (path and query) */
  path: string;
  /** [name, value, …]; the router's framing headers (Host, Content-Length) are among them */
  headers: readonly string[];
  body?: Buffer;
  readTimeoutMs: number;
}

export interface UpstreamHandler {
  /** The request is being written on a connected socket: the endpoint took the connection. */
  onConnect(abort: () => void): void;
  /** `resume` restarts reading after onData returned false. */
  onHeaders(status: number, reason: string, headers: string[], resume: () => void): void;
  /** false: stop reading until resume() */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** Called at most once, and never after onComplete or after an abort. */
  onError(err: UpstreamError): void;
}

export type UpstreamErrorCode = "connect-failed" | "connect-timeout" | "read-timeout" | "closed" | "invalid-response" | "invalid-request";

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** nginx's upstream keepalive_timeout (60 s); an upstream's shorter Keep-Alive: timeout= hint wins. */
const IDLE_TIMEOUT_MS = 60_000;
/** A request line or header that could split the request (CR, LF, NUL) is never written. */
const UNSAFE = /[\r\n\0]/;

export function requestHead(method: string, path: string, headers: readonly string[]): string {
  if (UNSAFE.test(path) || path.includes(" ")) throw new UpstreamError("invalid-request", `the request target ${JSON.stringify(path.slice(0, 60))} cannot be sent`);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (UNSAFE.test(name) || UNSAFE.test(value)) throw new UpstreamError("invalid-request", `the header ${JSON.stringify(name.slice(0, 60))} cannot be sent`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

export class UpstreamPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();

  constructor(readonly target: UpstreamTarget) {}

  /** Sends the request on an idle connection, or on a new one. */
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    let head: string;
    try {
      head = requestHead(request.method, request.path, request.headers);
    } catch (err) {
      return handler.onError(err as UpstreamError);
    }
    let conn = this.idle.pop();
    while (conn && conn.closed) conn = this.idle.pop();
    conn ??= new Connection(this);
    conn.send(request, head, handler);
  }

  /** Connections open now (busy and idle). */
  get size(): number {
    return this.all.size;
  }

  destroy(): void {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  /** @internal */
  opened(c: Connection): void {
    this.all.add(c);
  }

  /** @internal */
  release(c: Connection): void {
    this.idle.push(c);
  }

  /** @internal */
  gone(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

/** One exchange in flight on a connection. */
interface Exchange {
  handler: UpstreamHandler;
  readTimeoutMs: number;
  /** the whole request has left */
  written: boolean;
  /** the response is complete */
  complete: boolean;
}

class Connection {
  private readonly socket: net.Socket;
  private readonly parser: ResponseParser;
  private connected = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private current: Exchange | undefined;
  closed = false;

  constructor(private readonly pool: UpstreamPool) {
    const t = pool.target;
    this.socket = t.secure
      ? tls.connect({ host: t.ip, port: t.port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] })
      : net.connect({ host: t.ip, port: t.port, noDelay: true });
    if (t.secure) this.socket.setNoDelay(true);
    pool.opened(this);
    this.parser = new ResponseParser({
      onHead: (status, reason, headers) => this.current?.handler.onHeaders(status, reason, headers, this.resume),
      onBody: (chunk) => {
        if (this.current && !this.current.handler.onData(chunk)) this.socket.pause();
      },
      onEnd: () => {
        const ex = this.current;
        if (!ex) return;
        ex.complete = true;
        ex.handler.onComplete();
      },
    });
    this.connectTimer = setTimeout(() => this.fail(new UpstreamError("connect-timeout", `connecting to ${t.ip}:${t.port} timed out`)), t.connectTimeoutMs);
    this.socket.once(t.secure ? "secureConnect" : "connect", () => {
      clearTimeout(this.connectTimer);
      this.connected = true;
      if (this.current) this.write();
    });
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("end", () => this.onEnd());
    this.socket.on("timeout", () => this.onTimeout());
    this.socket.on("error", (err) => this.fail(new UpstreamError(this.connected ? "closed" : "connect-failed", err.message)));
    this.socket.on("close", () => this.fail(new UpstreamError(this.connected ? "closed" : "connect-failed", "the upstream closed the connection")));
  }

  private readonly resume = () => {
    if (!this.closed) this.socket.resume();
  };

  private pendingHead = "";
  private pendingBody: Buffer | undefined;

  send(request: UpstreamRequest, head: string, handler: UpstreamHandler): void {
    this.current = { handler, readTimeoutMs: request.readTimeoutMs, written: false, complete: false };
    this.parser.expect(request.method);
    this.pendingHead = head;
    this.pendingBody = request.body;
    if (this.connected) this.write();
  }

  private write(): void {
    const ex = this.current!;
    const s = this.socket;
    s.setTimeout(ex.readTimeoutMs);
    ex.handler.onConnect(this.abort);
    if (this.current !== ex) return; // aborted in onConnect
    s.cork();
    s.write(this.pendingHead, "latin1");
    if (this.pendingBody && this.pendingBody.length > 0) s.write(this.pendingBody);
    s.uncork();
    this.pendingHead = "";
    this.pendingBody = undefined;
    ex.written = true;
  }

  private readonly abort = () => {
    this.current = undefined;
    this.destroy();
  };

  private onData(chunk: Buffer): void {
    const ex = this.current;
    if (!ex) return this.destroy(); // an idle connection does not talk
    try {
      this.parser.push(chunk);
    } catch (err) {
      const e = err instanceof ResponseParseError ? new UpstreamError("invalid-response", err.message) : (err as Error);
      return this.fail(e instanceof UpstreamError ? e : new UpstreamError("invalid-response", e.message));
    }
    if (ex.complete && this.current === ex) this.finished(ex);
  }

  private onEnd(): void {
    const ex = this.current;
    if (!ex) return this.destroy();
    try {
      this.parser.end();
    } catch (err) {
      return this.fail(new UpstreamError("closed", (err as Error).message));
    }
    this.destroy(); // a body read until close has ended: onEnd ran; the connection is done
  }

  private onTimeout(): void {
    if (!this.current) return this.destroy(); // idle past the keep-alive timeout
    this.fail(new UpstreamError("read-timeout", "the upstream did not answer in time"));
  }

  /** The response is complete: the connection goes back to the pool, or is closed when it cannot carry another. */
  private finished(ex: Exchange): void {
    this.current = undefined;
    if (!this.parser.keepAlive || !ex.written || this.socket.readableEnded || this.closed) return this.destroy();
    const hint = this.parser.keepAliveHintMs;
    this.socket.setTimeout(hint !== undefined ? Math.max(1000, Math.min(IDLE_TIMEOUT_MS, hint - 1000)) : IDLE_TIMEOUT_MS);
    if (this.socket.isPaused()) this.socket.resume();
    this.pool.release(this);
  }

  private fail(err: UpstreamError): void {
    const ex = this.current;
    this.current = undefined;
    this.destroy();
    if (ex && !ex.complete) ex.handler.onError(err);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.socket.destroy();
    this.pool.gone(this);
  }
}
