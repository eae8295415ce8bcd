// An incremental parser of one HTTP/1.1 response at a time, as an upstream
// sends it to the router: the head (status line and header fields), then
// the body framed as RFC 9112 §6.3 says (no body for HEAD, 1xx, 204 and
// 304; Transfer-Encoding chunked; Content-Length; else until the
// connection closes). 1xx interim responses are skipped, as nginx skips
// them. Pure: bytes in, callbacks out; the connection is upstream-pool.ts.

/** Where a parsed response goes. Body chunks are views of the pushed buffers, not copies. */
export interface ResponseSink {
  /** `headers` is [name, value, …] with names lower-cased and values as sent (latin1) */
  onHead(status: number, reason: string, headers: string[]): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
}

/** A response the router must not pass on (answered 502, as nginx's "upstream sent invalid header"). */
export class ResponseParseError extends Error {
  readonly code = "UPSTREAM_INVALID_RESPONSE";
}

/** Node's and undici's default limit on a response head (http.maxHeaderSize). */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_LINE = 4096;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;
const CRLF2 = Buffer.from("\r\n\r\n");

type State =
  | { kind: "head" }
  | { kind: "length"; left: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; left: number }
  | { kind: "chunk-end" }
  | { kind: "trailers" }
  | { kind: "until-close" }
  | { kind: "done" };

export class ResponseParser {
  private state: State = { kind: "done" };
  private pending: Buffer = Buffer.alloc(0);
  private noBody = false;
  /** whether the connection may carry another request once this response is done */
  keepAlive = false;
  /** the upstream's Keep-Alive: timeout=N hint, in ms */
  keepAliveHintMs: number | undefined;

  constructor(private readonly sink: ResponseSink) {}

  /** Starts on the response to a request with this method. */
  expect(method: string): void {
    this.state = { kind: "head" };
    this.pending = Buffer.alloc(0);
    this.noBody = method === "HEAD";
    this.keepAlive = false;
    this.keepAliveHintMs = undefined;
  }

  get done(): boolean {
    return this.state.kind === "done";
  }

  /** True until the first byte of the response head has arrived. */
  get untouched(): boolean {
    return this.state.kind === "head" && this.pending.length === 0;
  }

  /** Bytes from the connection. Throws ResponseParseError; bytes after a complete response are an error too. */
  push(data: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    this.pending = Buffer.alloc(0);
    let at = 0;
    while (at < buf.length) {
      const s = this.state;
      switch (s.kind) {
        case "done":
          throw new ResponseParseError("the upstream sent data after its response");
        case "head": {
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD_BYTES) throw new ResponseParseError("the upstream's response head is too big");
            this.pending = buf.subarray(at);
            return;
          }
          if (end - at > MAX_HEAD_BYTES) throw new ResponseParseError("the upstream's response head is too big");
          const head = buf.toString("latin1", at, end);
          at = end + 4;
          this.onHeadText(head);
          break;
        }
        case "length": {
          const take = Math.min(s.left, buf.length - at);
          s.left -= take;
          const chunk = buf.subarray(at, at + take);
          at += take;
          this.sink.onBody(chunk);
          if (s.left === 0) this.finish();
          break;
        }
        case "until-close":
          this.sink.onBody(at === 0 ? buf : buf.subarray(at));
          return;
        case "chunk-size":
        case "trailers": {
          const eol = buf.indexOf("\r\n", at, "latin1");
          if (eol < 0) {
            if (buf.length - at > MAX_CHUNK_LINE) throw new ResponseParseError("the upstream's chunk header is too long");
            this.pending = buf.subarray(at);
            return;
          }
          const line = buf.toString("latin1", at, eol);
          at = eol + 2;
          if (s.kind === "trailers") {
            if (line === "") this.finish();
            continue;
          }
          const size = line.split(";", 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new ResponseParseError(`the upstream sent an invalid chunk size ${JSON.stringify(line.slice(0, 40))}`);
          const n = parseInt(size, 16);
          this.state = n === 0 ? { kind: "trailers" } : { kind: "chunk-data", left: n };
          break;
        }
        case "chunk-data": {
          const take = Math.min(s.left, buf.length - at);
          s.left -= take;
          const chunk = buf.subarray(at, at + take);
          at += take;
          this.sink.onBody(chunk);
          if (s.left === 0) this.state = { kind: "chunk-end" };
          break;
        }
        case "chunk-end": {
          if (buf.length - at < 2) {
            this.pending = buf.subarray(at);
            return;
          }
          if (buf[at] !== 13 || buf[at + 1] !== 10) throw new ResponseParseError("the upstream's chunk does not end with CRLF");
          at += 2;
          this.state = { kind: "chunk-size" };
          break;
        }
      }
    }
  }

  /** The connection closed: ends a body read until close; anything else unfinished is an error. */
  end(): void {
    if (this.state.kind === "until-close") return this.finish();
    if (this.state.kind !== "done") throw new ResponseParseError("the upstream closed the connection before its response was complete");
  }

  private finish(): void {
    this.state = { kind: "done" };
    this.sink.onEnd();
  }

  private onHeadText(head: string): void {
    const lines = head.split("\r\n");
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) throw new ResponseParseError(`the upstream sent an invalid status line ${JSON.stringify(lines[0]!.slice(0, 60))}`);
    const minor = m[1]!;
    const status = Number(m[2]);
    const headers: string[] = [];
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection = "";
    let keepAliveHint: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      // obs-fold and header lines without a name are refused (RFC 9112 §5.2 lets a client refuse them)
      if (colon <= 0) throw new ResponseParseError(`the upstream sent an invalid header line ${JSON.stringify(line.slice(0, 60))}`);
      const name = line.slice(0, colon).toLowerCase();
      if (!TOKEN.test(name)) throw new ResponseParseError(`the upstream sent an invalid header name ${JSON.stringify(name.slice(0, 60))}`);
      const value = line.slice(colon + 1).trim();
      if (value.includes("\0") || value.includes("\r") || value.includes("\n")) throw new ResponseParseError(`the upstream sent an invalid value for header ${name}`);
      headers.push(name, value);
      if (name === "content-length") {
        if (contentLength !== undefined && contentLength !== value) throw new ResponseParseError("the upstream sent conflicting Content-Length headers");
        contentLength = value;
      } else if (name === "transfer-encoding") transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      else if (name === "connection") connection += `,${value.toLowerCase()}`;
      else if (name === "keep-alive") keepAliveHint = value;
    }
    // interim responses (100 Continue, 103 Early Hints) are not passed on; the final one follows
    if (status >= 100 && status < 200) {
      if (status === 101) throw new ResponseParseError("the upstream switched protocols on a request that did not ask for it");
      this.state = { kind: "head" };
      return;
    }
    const tokens = connection.split(",").map((t) => t.trim());
    this.keepAlive = minor === "1" ? !tokens.includes("close") : tokens.includes("keep-alive");
    const hint = keepAliveHint ? /(?:^|[\s,])timeout=(\d+)/i.exec(keepAliveHint) : null;
    if (hint) this.keepAliveHintMs = Number(hint[1]) * 1000;
    this.sink.onHead(status, m[3] ?? "", headers);
    if (this.noBody || status === 204 || status === 304) return this.finish();
    if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(",").map((t) => t.trim());
      if (codings[codings.length - 1] === "chunked") {
        // Transfer-Encoding beside Content-Length: TE wins, and the connection is not trusted again (RFC 9112 §6.3 item 3)
        if (contentLength !== undefined) this.keepAlive = false;
        this.state = { kind: "chunk-size" };
        return;
      }
      this.keepAlive = false;
      this.state = { kind: "until-close" };
      return;
    }
    if (contentLength !== undefined) {
      if (!/^\d{1,15}$/.test(contentLength)) throw new ResponseParseError(`the upstream sent an invalid Content-Length ${JSON.stringify(contentLength.slice(0, 30))}`);
      const n = Number(contentLength);
      if (n === 0) return this.finish();
      this.state = { kind: "length", left: n };
      return;
    }
    this.keepAlive = false;
    this.state = { kind: "until-close" };
  }
}
