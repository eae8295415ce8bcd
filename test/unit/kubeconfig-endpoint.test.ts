// The HTTPS endpoint's own behaviour, without a cluster: credentials made once
// (mode 0600) and reused with the port on the next start (a daemon started
// again keeps its kubeconfig valid); kube-apiserver's 401 for a request or an
// upgrade without the token; authenticated requests reach the REST server's handler.
import { describe, it, expect, afterEach } from "vitest";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { HttpsEndpoint, httpsFiles, readApiEndpoint } from "../../src/api/https.js";

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const UNAUTHORIZED = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 };

describe.skipIf(!hasOpenssl)("HttpsEndpoint", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(dir: string, upgrade?: (req: http.IncomingMessage, socket: net.Socket) => void) {
    const inner = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ handled: req.url }));
    });
    if (upgrade) inner.on("upgrade", upgrade);
    const endpoint = new HttpsEndpoint(inner);
    const port = await endpoint.listen(dir, "unit");
    cleanups.push(() => endpoint.close());
    return { endpoint, port, ...readApiEndpoint(dir) };
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "kemu-https-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it("makes a CA, a serving certificate for 127.0.0.1 and a token, readable by the owner only", async () => {
    const dir = tempDir();
    const { server, port } = await start(dir);
    expect(server).toBe(`https://127.0.0.1:${port}`);
    const files = httpsFiles(dir);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(files.dir).sort()).toEqual(["apiserver.crt", "apiserver.key", "ca.crt", "ca.key", "port", "token"]);
    for (const f of readdirSync(files.dir)) expect([f, statSync(join(files.dir, f)).mode & 0o777]).toEqual([f, 0o600]);
    const text = execFileSync("openssl", ["x509", "-in", files.cert, "-noout", "-ext", "subjectAltName,extendedKeyUsage"], { encoding: "utf8" });
    expect(text).toContain("IP Address:127.0.0.1, DNS:localhost");
    expect(text).toContain("TLS Web Server Authentication");
  });

  it("a request without the token, with another, or with another scheme: 401 Unauthorized; with it: the REST handler", async () => {
    const { server, caPem, token } = await start(tempDir());
    expect(await get(server, caPem, "/api")).toEqual({ code: 401, body: UNAUTHORIZED });
    expect(await get(server, caPem, "/healthz", "Bearer wrong")).toEqual({ code: 401, body: UNAUTHORIZED });
    expect(await get(server, caPem, "/api", `Token ${token}`)).toEqual({ code: 401, body: UNAUTHORIZED });
    expect(await get(server, caPem, "/api?x=1", `Bearer ${token}`)).toEqual({ code: 200, body: { handled: "/api?x=1" } });
  });

  it("an upgrade without the token: 401; with it: handed to the REST server's upgrade handler, or 404 when it has none", async () => {
    const plain = await start(tempDir());
    expect(await upgrade(plain.port, plain.caPem)).toBe(`HTTP/1.1 401 Unauthorized|${JSON.stringify(UNAUTHORIZED)}`);
    expect(await upgrade(plain.port, plain.caPem, plain.token)).toBe(
      `HTTP/1.1 404 Not Found|${JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "kemu does not serve websocket upgrades (exec, attach, port-forward) yet: GET /api/v1/namespaces/default/pods/web/exec", reason: "NotFound", code: 404 })}`,
    );
    const served = await start(tempDir(), (req, socket) => socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`));
    expect(await upgrade(served.port, served.caPem, served.token)).toBe("HTTP/1.1 101 Switching Protocols|");
  });

  it("started again: the same CA, token and port; another port when that one is taken", async () => {
    const dir = tempDir();
    const first = await start(dir);
    await first.endpoint.close();
    const again = await start(dir);
    expect([again.port, again.caPem, again.token]).toEqual([first.port, first.caPem, first.token]);
    expect((await get(again.server, first.caPem, "/", `Bearer ${first.token}`)).code).toBe(200);
    // Restarting while the old port is held by someone else.
    await again.endpoint.close();
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(first.port, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const moved = await start(dir);
    expect(moved.port).not.toBe(first.port);
    expect(moved.caPem).toBe(first.caPem);
    expect(Number(readFileSync(httpsFiles(dir).port, "utf8"))).toBe(moved.port);
  });
});

function get(server: string, ca: string, path: string, authorization?: string): Promise<{ code: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${server}${path}`, { ca, agent: false, headers: authorization ? { authorization } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on("error", reject);
  });
}

/** An upgrade request over TLS; the answer's status line and body, "|"-joined. */
function upgrade(port: number, ca: string, token?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      socket.write(
        `GET /api/v1/namespaces/default/pods/web/exec HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${token ? `Authorization: Bearer ${token}\r\n` : ""}\r\n`,
      );
    });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => (text += c));
    socket.on("end", () => {
      const [head, body] = text.split("\r\n\r\n");
      resolve(`${head!.split("\r\n")[0]}|${body ?? ""}`);
    });
    socket.on("error", reject);
  });
}
