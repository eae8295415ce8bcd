// The router's upstream client: the response parser against RFC 9112's
// framing rules (§6.3 message body length, §7.1 chunked coding, §9.3
// persistence, §15.2 1xx), and the pool against real sockets on 127.0.0.1.
import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import { ResponseParseError, ResponseParser, MAX_HEAD_BYTES } from "../../src/ingress/proxy/response-parser.js";
import { UpstreamPool, requestHead, type UpstreamError, type UpstreamHandler } from "../../src/ingress/proxy/upstream-pool.js";

interface Parsed {
  heads: Array<{ status: number; reason: string; headers: string[] }>;
  body: string;
  ended: number;
}

function parserFor(method = "GET"): { p: ResponseParser; out: Parsed } {
  const out: Parsed = { heads: [], body: "", ended: 0 };
  const p = new ResponseParser({
    onHead: (status, reason, headers) => void out.heads.push({ status, reason, headers }),
    onBody: (chunk) => void (out.body += chunk.toString("latin1")),
    onEnd: () => void out.ended++,
  });
  p.expect(method);
  return { p, out };
}

/** Feeds the text one byte at a time: framing must not depend on where reads split. */
function byteByByte(p: ResponseParser, text: string): void {
  for (const b of Buffer.from(text, "latin1")) p.push(Buffer.from([b]));
}

describe("response parser", () => {
  it("Content-Length body, in one read and byte by byte; HTTP/1.1 stays open", () => {
    const text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
    for (const feed of [(p: ResponseParser) => p.push(Buffer.from(text)), (p: ResponseParser) => byteByByte(p, text)]) {
      const { p, out } = parserFor();
      feed(p);
      expect(out).toEqual({ heads: [{ status: 200, reason: "OK", headers: ["content-type", "text/plain", "content-length", "5"] }], body: "hello", ended: 1 });
      expect(p.done).toBe(true);
      expect(p.keepAlive).toBe(true);
    }
  });

  it("chunked body with extensions and trailers (RFC 9112 §7.1), byte by byte", () => {
    const { p, out } = parserFor();
    byteByByte(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n");
    expect(out.body).toBe("helloabcdefghijklmnopqrstuvwxyz");
    expect(out.ended).toBe(1);
    expect(p.keepAlive).toBe(true);
  });

  it("no body for HEAD, 204 and 304 whatever the headers say (§6.3 items 1–2)", () => {
    const head = parserFor("HEAD");
    head.p.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
    expect(head.out.ended).toBe(1);
    for (const status of ["204 No Content", "304 Not Modified"]) {
      const { p, out } = parserFor();
      p.push(Buffer.from(`HTTP/1.1 ${status}\r\nContent-Length: 7\r\n\r\n`));
      expect(out.ended).toBe(1);
      expect(out.body).toBe("");
    }
  });

  it("skips 100 Continue and 103 Early Hints; 101 on a plain request is an error", () => {
    const { p, out } = parserFor();
    p.push(Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"));
    expect(out.heads.map((h) => h.status)).toEqual([201]);
    expect(out.body).toBe("ok");
    const up = parserFor();
    expect(() => up.p.push(Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))).toThrow(ResponseParseError);
  });

  it("no length: the body runs until the connection closes, and the connection is not reused (§6.3 item 8)", () => {
    const { p, out } = parserFor();
    p.push(Buffer.from("HTTP/1.1 200 OK\r\n\r\nsome"));
    p.push(Buffer.from(" more"));
    expect(out.ended).toBe(0);
    p.end();
    expect(out).toMatchObject({ body: "some more", ended: 1 });
    expect(p.keepAlive).toBe(false);
  });

  it("Transfer-Encoding wins over Content-Length, and such a connection is not reused (§6.3 item 3)", () => {
    const { p, out } = parserFor();
    p.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
    expect(out).toMatchObject({ body: "ok", ended: 1 });
    expect(p.keepAlive).toBe(false);
  });

  it("persistence: HTTP/1.1 unless Connection: close; HTTP/1.0 only with keep-alive (§9.3); the Keep-Alive timeout hint", () => {
    const cases: Array<[string, boolean]> = [
      ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false],
      ["HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n", false],
      ["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false],
      ["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true],
    ];
    for (const [text, keep] of cases) {
      const { p } = parserFor();
      p.push(Buffer.from(text));
      expect(p.keepAlive, text).toBe(keep);
    }
    const { p } = parserFor();
    p.push(Buffer.from("HTTP/1.1 200 OK\r\nKeep-Alive: max=100, timeout=5\r\nContent-Length: 0\r\n\r\n"));
    expect(p.keepAliveHintMs).toBe(5000);
  });

  it("refuses what it cannot frame safely: conflicting lengths, bad sizes, bad lines, a head over the limit, data after the response, an early close", () => {
    const bad = [
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX",
      "HTTP/2 200\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nextra",
      `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`,
    ];
    for (const text of bad) expect(() => parserFor().p.push(Buffer.from(text)), JSON.stringify(text.slice(0, 50))).toThrow(ResponseParseError);
    const early = parserFor();
    early.p.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"));
    expect(() => early.p.end()).toThrow(ResponseParseError);
  });
});

describe("request head", () => {
  it("writes the request line and headers in order; refuses CR, LF or NUL anywhere (request splitting)", () => {
    expect(requestHead("GET", "/a?b=c", ["host", "x.example", "x-a", "1"])).toBe("GET /a?b=c HTTP/1.1\r\nhost: x.example\r\nx-a: 1\r\n\r\n");
    expect(() => requestHead("GET", "/a\r\nX: y", [])).toThrow(/request target/);
    expect(() => requestHead("GET", "/", ["x-a", "1\r\nInjected: yes"])).toThrow(/header "x-a"/);
  });
});

// ---------------------------------------------------------------------------

const servers: net.Server[] = [];
const pools: UpstreamPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A raw upstream: `reply` answers each request (by the request's text) with raw bytes; it counts connections. */
async function upstream(reply: (request: string, socket: net.Socket) => string | undefined): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.on("error", () => {});
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const request = buf.slice(0, end);
      buf = buf.slice(end + 4);
      const answer = reply(request, s);
      if (answer !== undefined) s.write(answer);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, connections: () => n };
}

function send(pool: UpstreamPool, path = "/", readTimeoutMs = 5000): Promise<{ status: number; body: string; connected: boolean } | { error: UpstreamError; connected: boolean }> {
  return new Promise((resolve) => {
    let status = 0;
    let body = "";
    let connected = false;
    const handler: UpstreamHandler = {
      onConnect: () => void (connected = true),
      onHeaders: (s) => void (status = s),
      onData: (c) => ((body += c.toString()), true),
      onComplete: () => resolve({ status, body, connected }),
      onError: (error) => resolve({ error, connected }),
    };
    pool.dispatch({ method: "GET", path, headers: ["host", "x"], readTimeoutMs }, handler);
  });
}

function poolTo(port: number, connectTimeoutMs = 1000): UpstreamPool {
  const p = new UpstreamPool({ ip: "127.0.0.1", port, secure: false, connectTimeoutMs });
  pools.push(p);
  return p;
}

describe("upstream pool", () => {
  it("reuses a kept-alive connection; one that said Connection: close is not reused", async () => {
    const keep = await upstream(() => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const pool = poolTo(keep.port);
    for (let i = 0; i < 3; i++) expect(await send(pool)).toEqual({ status: 200, body: "ok", connected: true });
    expect(keep.connections()).toBe(1);

    const closing = await upstream(() => "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    const pool2 = poolTo(closing.port);
    for (let i = 0; i < 3; i++) expect(await send(pool2)).toMatchObject({ status: 200 });
    expect(closing.connections()).toBe(3);
  });

  it("a refused connect is connect-failed and never connected; silence past the read timeout is read-timeout", async () => {
    const closed = await upstream(() => undefined);
    const port = closed.port;
    await new Promise((r) => servers.pop()!.close(r));
    expect(await send(poolTo(port))).toMatchObject({ error: { code: "connect-failed" }, connected: false });

    const silent = await upstream(() => undefined);
    const started = Date.now();
    expect(await send(poolTo(silent.port), "/", 200)).toMatchObject({ error: { code: "read-timeout" }, connected: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("an upstream that closes mid-body is an error, not a complete response; a bad response is invalid-response", async () => {
    const cut = await upstream((_r, s) => {
      s.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
      return undefined;
    });
    expect(await send(poolTo(cut.port))).toMatchObject({ error: { code: "closed" } });
    const garbage = await upstream(() => "SSH-2.0-OpenSSH\r\n\r\n");
    expect(await send(poolTo(garbage.port))).toMatchObject({ error: { code: "invalid-response" } });
  });

  it("forgets a pooled connection the upstream closed while idle", async () => {
    const closer = await upstream((_r, s) => {
      setTimeout(() => s.end(), 20);
      return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    });
    const pool = poolTo(closer.port);
    expect(await send(pool)).toMatchObject({ status: 200 });
    await new Promise((r) => setTimeout(r, 100));
    expect(pool.size).toBe(0);
    expect(await send(pool)).toMatchObject({ status: 200 });
    expect(closer.connections()).toBe(2);
  });
});
