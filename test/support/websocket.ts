// A WebSocket echo pod and a client that holds one socket across a change,
// for the router's end-to-end tests (Ingress and Gateway API alike).
import { createRequire } from "node:module";
import type { KubeObject } from "../../src/index.js";

/** An echo server with nothing but Node's own modules (the container sees the host's /usr/bin/node): text frames back, "ws only" to plain HTTP. */
const ECHO_SERVER = `
const http = require("http"), crypto = require("crypto");
const s = http.createServer((q, r) => r.end("ws only"));
s.on("upgrade", (req, sock) => {
  const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  sock.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  let buf = Buffer.alloc(0);
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 6) {
      const len = buf[1] & 127; if (len > 125 || buf.length < 6 + len) return;
      const mask = buf.subarray(2, 6), payload = Buffer.from(buf.subarray(6, 6 + len)).map((b, i) => b ^ mask[i % 4]);
      const op = buf[0] & 15; buf = buf.subarray(6 + len);
      if (op === 8) { sock.end(); return; }
      if (op === 1) sock.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
    }
  });
});
s.listen(8080);`;

/** The echo pod (label app=<name>) and its Service on port 80. */
export function websocketEcho(name: string): KubeObject[] {
  return [
    { apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: name } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "docker.io/library/node:20", command: ["/usr/bin/node", "-e", ECHO_SERVER], ports: [{ containerPort: 8080 }] }] } },
    { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
  ];
}

/**
 * A client script (run with node on the outside host): it opens `url` with
 * that Host, sends "before", waits until the file `go` appears, sends
 * "after" over the same socket, then prints both echoes as JSON.
 */
export function websocketClientScript(url: string, host: string, go: string): string {
  const wsModule = createRequire(import.meta.url).resolve("ws");
  return `
const WebSocket = require(${JSON.stringify(wsModule)}), fs = require("fs");
const ws = new WebSocket(${JSON.stringify(url)}, { headers: { Host: ${JSON.stringify(host)} } });
const got = [];
ws.on("message", (m) => { got.push(m.toString()); if (got.length === 1) { const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { clearInterval(t); ws.send("after"); } }, 50); } else { console.log(JSON.stringify(got)); process.exit(0); } });
ws.on("open", () => ws.send("before"));
ws.on("error", (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
setTimeout(() => { console.log(JSON.stringify({ timeout: got })); process.exit(1); }, 20000);`;
}
