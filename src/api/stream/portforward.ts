// POST/GET …/pods/NAME/portforward as kubectl 1.32 speaks it (reference
// kubectl-api.md §7): SPDY/3.1, first tunnelled in a WebSocket with the
// subprotocol SPDY/3.1+portforward.k8s.io (the apiserver's PortForwardWebsockets
// tunnel), else over the raw socket after `Upgrade: SPDY/3.1`. The client opens
// an `error` and a `data` stream per local connection, paired by `requestid`;
// each pair is one TCP connection to localhost:PORT inside the pod's network
// namespace, as the kubelet's runtime makes it (containerd's PortForward).
// Failures are written on the error stream in the kubelet's words ("error
// forwarding port %d to pod %s, uid %v: %v", kubelet cri/streaming/portforward/httpstream.go).
import type http from "node:http";
import { spawn } from "node:child_process";
import type { Duplex } from "node:stream";
import { WebSocketServer, createWebSocketStream } from "ws";
import { ApiError } from "../errors.js";
import type { ApiServer } from "../apiserver.js";
import { resourceByKind } from "../resources.js";
import type { Pod, Stored } from "../types.js";
import { SpdySession, type SpdyStream } from "./spdy-session.js";
import { RstStatus } from "./spdy-frames.js";
import { refuseUpgrade } from "./refuse.js";
import { netnsNames, netnsPath } from "../../linux/names.js";
import { builtinPath } from "../../paths.js";

const PODS = resourceByKind("Pod")!;

/** The WebSocket subprotocol of the tunnel (k8s.io/apimachinery/pkg/util/httpstream/wsstream: "SPDY/3.1+portforward.k8s.io"). */
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
/** X-Stream-Protocol-Version of the raw SPDY upgrade (portforward.ProtocolV1Name). */
export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";

export interface PortForwardDeps {
  api: ApiServer;
  /** The pod's network namespace file and the name the error messages give its sandbox. */
  sandboxOf(pod: Stored<Pod>): { netnsPath: string; sandboxId: string };
  /** The kemu-portforward program. */
  helperPath: string;
}

/** The deps of a cluster's daemon: pods' sandboxes are their network namespaces, kemu-<cluster>-pod-<uid>. */
export function clusterPortForwardDeps(api: ApiServer, cluster: string): PortForwardDeps {
  return {
    api,
    sandboxOf: (pod) => {
      const name = netnsNames.pod(cluster, pod.metadata.uid);
      return { netnsPath: netnsPath(name), sandboxId: name };
    },
    helperPath: builtinPath("kemu-portforward"),
  };
}

type PodUpgradeRoute = (subresource: string, namespace: string, name: string, q: URLSearchParams, req: http.IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;

/** The REST server's podUpgrade route with pods/portforward served here and the other subresources handed to `others`. */
export function withPortForward(deps: PortForwardDeps, others: PodUpgradeRoute): PodUpgradeRoute {
  return async (subresource, namespace, name, q, req, socket, head) => {
    if (subresource !== "portforward") return others(subresource, namespace, name, q, req, socket, head);
    try {
      await servePortForward(deps, namespace, name, req, socket, head);
    } catch (err) {
      refuseUpgrade(socket, err);
    }
  };
}

/** Serves one portforward upgrade; a refusal throws an ApiError before anything is written. */
export async function servePortForward(deps: PortForwardDeps, namespace: string, name: string, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const pod = deps.api.get(PODS, namespace, name) as Stored<Pod>;
  checkForwardable(pod);
  const sandbox = deps.sandboxOf(pod);
  const transport = isWebSocket(req) ? await acceptTunnel(req, socket, head) : acceptSpdy(req, socket, head);
  const session = new SpdySession(transport, "server");
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  session.on("error", () => undefined);
  session.on("stream", (stream) => {
    stream.reply();
    const type = stream.header("streamtype");
    const requestId = stream.header("requestid");
    if ((type !== "error" && type !== "data") || requestId === undefined) {
      // The kubelet refuses these too ("invalid stream type", "requestID header is required").
      stream.reset(RstStatus.PROTOCOL_ERROR);
      return;
    }
    const pair = pairs.get(requestId) ?? {};
    if (pair[type]) return stream.reset(RstStatus.PROTOCOL_ERROR);
    pair[type] = stream;
    pairs.set(requestId, pair);
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      forward(deps.helperPath, sandbox, pair.error, pair.data);
    }
  });
}

/**
 * What the API server and kubectl check before forwarding: a node assigned
 * (apiserver pod strategy PortForwardLocation) and phase Running (kubectl's
 * own check, said in its words, for clients that do not make it).
 */
export function checkForwardable(pod: Stored<Pod>): void {
  if (!pod.spec.nodeName) throw new ApiError("BadRequest", `pod ${pod.metadata.name} does not have a host assigned`);
  const phase = pod.status?.phase ?? "Pending";
  if (phase !== "Running") throw new ApiError("BadRequest", `unable to forward port because pod is not running. Current status=${phase}`);
}

function isWebSocket(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

function headerList(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value.join(",") : (value ?? "")).split(",").map((p) => p.trim()).filter(Boolean);
}

// ws checks Sec-WebSocket-Protocol against RFC 7230's token characters, which
// "/" is not: the header is swapped for a placeholder before the handshake
// and the real name given back as the chosen protocol (ws does not check that).
const PLACEHOLDER = "kemu-spdy-portforward";
const tunnelServer = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => (offered.has(PLACEHOLDER) ? PORT_FORWARD_WEBSOCKET_PROTOCOL : false),
});

function acceptTunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<Duplex> {
  const offered = headerList(req.headers["sec-websocket-protocol"]);
  // Anything else (the older v4.channel.k8s.io port-forward) gets the 400 that makes kubectl fall back to SPDY.
  if (!offered.includes(PORT_FORWARD_WEBSOCKET_PROTOCOL)) {
    throw new ApiError("BadRequest", `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${PORT_FORWARD_WEBSOCKET_PROTOCOL}]`);
  }
  req.headers["sec-websocket-protocol"] = PLACEHOLDER;
  return new Promise((resolve) => {
    tunnelServer.handleUpgrade(req, socket, head, (ws) => {
      // Binary messages carry one SPDY byte stream; their boundaries mean nothing.
      const stream = createWebSocketStream(ws);
      stream.on("error", () => stream.destroy());
      resolve(stream);
    });
  });
}

/** The raw upgrade: 101 with Upgrade: SPDY/3.1 and the negotiated X-Stream-Protocol-Version (apimachinery httpstream.Handshake). */
function acceptSpdy(req: http.IncomingMessage, socket: Duplex, head: Buffer): Duplex {
  if ((req.headers.upgrade ?? "").toLowerCase() !== "spdy/3.1") {
    throw new ApiError("BadRequest", `unable to upgrade: Upgrade must be SPDY/3.1 or websocket, not ${JSON.stringify(req.headers.upgrade ?? "")}`);
  }
  const offered = headerList(req.headers["x-stream-protocol-version"]);
  if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) {
    throw new ApiError("Forbidden", `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${PORT_FORWARD_PROTOCOL}]`);
  }
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
      (offered.length > 0 ? `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n` : "") +
      "\r\n",
  );
  if (head.length > 0) socket.unshift(head);
  socket.on("error", () => socket.destroy());
  return socket;
}

/** Upstream's text for a failed forward; the sandbox stands for the CRI pod sandbox id (the uid is empty there too). */
export function forwardError(port: string, sandbox: { netnsPath: string; sandboxId: string }, reason: string): string {
  return `error forwarding port ${port} to pod ${sandbox.sandboxId}, uid : failed to execute portforward in network namespace ${JSON.stringify(sandbox.netnsPath)}: failed to connect to localhost:${port} inside namespace ${JSON.stringify(sandbox.sandboxId)}, ${reason}`;
}

/** One pair: a kemu-portforward process in the pod's netns, the data stream piped through it. */
function forward(helperPath: string, sandbox: { netnsPath: string; sandboxId: string }, error: SpdyStream, data: SpdyStream): void {
  const port = data.header("port") ?? "";
  const number = Number(port);
  error.resume();
  error.on("error", () => undefined);
  data.on("error", () => undefined);
  if (!/^[0-9]+$/.test(port) || number < 1 || number > 65535) {
    error.end(`error forwarding port ${port} to pod ${sandbox.sandboxId}, uid : invalid port ${JSON.stringify(port)}: expected a number 1-65535`);
    data.end();
    return;
  }
  const child = spawn(helperPath, ["--netns", sandbox.netnsPath, String(number)], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  child.stdin.on("error", () => undefined);
  child.stdout.on("error", () => undefined);
  data.pipe(child.stdin);
  child.stdout.pipe(data, { end: false });
  // The client went away (RST_STREAM, or the session ended): the connection goes too.
  data.on("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });
  child.on("error", (err) => finish(`IPv4: ${err.message}`));
  child.on("close", (code) => finish(code === 0 ? undefined : stderr.trim() || `kemu-portforward exited with ${code}`));
  let finished = false;
  function finish(failure: string | undefined): void {
    if (finished) return;
    finished = true;
    // FIN on error as well: without it kubectl never closes its local socket (reference §7).
    if (failure && !error.destroyed) error.write(forwardError(String(number), sandbox, failure));
    if (!error.destroyed) error.end();
    if (!data.destroyed) data.end();
  }
}
