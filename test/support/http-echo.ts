// Upstreams for the router's unit tests: "pods" on 127.0.0.1 that echo
// what they received (named, so a response tells which one answered), and
// a plain HTTP client that returns status, headers and the parsed echo.
import http from "node:http";
import net from "node:net";
import type { Endpoint } from "../../src/ingress/proxy/router.js";

export interface Echo {
  name: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
/** what the test's afterEach closes */
export const closers: Array<() => Promise<void>> = [];

export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        if ("closeAllConnections" in server) (server as http.Server).closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

export async function echoPod(name: string, delayMs = 0): Promise<Endpoint> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = () => {
        res.setHeader("content-type", "application/json");
        res.setHeader("set-cookie", "app=1; Path=/");
        res.end(JSON.stringify({ name, method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() } satisfies Echo));
      };
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  return { ip: "127.0.0.1", port: await listen(server) };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  echo?: Echo;
}

export function request(port: number, urlPath: string, opts: { host?: string; method?: string; headers?: Record<string, string>; body?: string | string[] } = {}): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: urlPath, method: opts.method ?? "GET", agent: false, headers: { host: opts.host ?? "example.test", ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        const isEcho = (res.headers["content-type"] ?? "").includes("json");
        resolveReply({ status: res.statusCode!, headers: res.headers, text, ...(isEcho ? { echo: JSON.parse(text) as Echo } : {}) });
      });
    });
    req.on("error", reject);
    if (Array.isArray(opts.body)) for (const part of opts.body) req.write(part); // chunked: no Content-Length
    else if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

