// The client side of pods/portforward, as client-go's SPDY port forwarder
// does it (tools/portforward/portforward.go): one SPDY session per command,
// and per local connection an `error` stream (half-closed at once) and a
// `data` stream with the same requestid. kemu port-forward uses it over the
// API's unix socket with the raw `Upgrade: SPDY/3.1` handshake.
import http from "node:http";
import type net from "node:net";
import { KemuError } from "../../errors.js";
import { SpdySession } from "./spdy-session.js";
import { PORT_FORWARD_PROTOCOL } from "./portforward.js";

/** Upgrades POST …/pods/NAME/portforward on the API socket to a SPDY session. */
export function dialPortForward(socketPath: string, namespace: string, pod: string): Promise<SpdySession> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      method: "POST",
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward`,
      headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": PORT_FORWARD_PROTOCOL, "Content-Length": 0 },
      agent: false,
    });
    req.on("upgrade", (_res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(new SpdySession(socket, "client"));
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let message = text.trim() || `HTTP ${res.statusCode}`;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not a Status: the text as it is
        }
        reject(new KemuError(message));
      });
    });
    req.on("error", (err) => reject(new KemuError(`cannot reach the API at ${socketPath}: ${err.message}`)));
    req.end();
  });
}

/**
 * Carries one local connection to the pod's port. Resolves with the text of
 * the error stream ("" when the forward ended cleanly).
 */
export function forwardConnection(session: SpdySession, conn: net.Socket, remotePort: number, requestId: number): Promise<string> {
  const headers = (type: string) => ({ streamtype: [type], port: [String(remotePort)], requestid: [String(requestId)] });
  const error = session.openStream(headers("error"), { fin: true });
  const data = session.openStream(headers("data"));
  conn.on("error", () => data.reset());
  data.on("error", () => conn.destroy());
  conn.pipe(data);
  data.pipe(conn);
  // A reset (or the session's end) drops the connection; a FIN ends it through the pipe once its bytes are out.
  data.on("close", () => {
    if (!data.readableEnded) conn.destroy();
  });
  return new Promise((resolve) => {
    let text = "";
    error.setEncoding("utf8");
    error.on("data", (s: string) => (text += s));
    error.on("error", () => undefined);
    const done = () => {
      if (text) conn.destroy();
      resolve(text);
    };
    error.on("end", done);
    error.on("close", done);
  });
}
