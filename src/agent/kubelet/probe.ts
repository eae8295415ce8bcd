// One run of a container probe, as the kubelet's prober does it
// (pkg/kubelet/prober, pkg/probe/{http,tcp,exec,grpc}): httpGet, tcpSocket,
// exec and grpc handlers with upstream's success rules and messages.
//
// The kubelet runs inside the node's network namespace, so plain sockets to
// the pod IP reach the pod; exec probes enter the container with
// `kemu-sandbox --enter <PID 1>` and the container's own identity.
import { spawn, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import * as net from "node:net";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { IHTTPGetAction } from "kubernetes-models/v1/HTTPGetAction";
import type { IGRPCAction } from "kubernetes-models/v1/GRPCAction";
import { expandVars } from "./env.js";
import { enterArgv } from "./runtime.js";

export type Probe = IProbe;
export type HTTPGetAction = IHTTPGetAction;

/** The Kubernetes version kemu claims in User-Agent headers (`kube-probe/1.31`). */
export const KUBE_VERSION = "1.31";
/** Response bodies and command output are read up to 10 KiB, as upstream. */
export const MAX_OUTPUT_BYTES = 10 * 1024;
/** Upstream retries a probe that could not be run (not one that failed) up to 3 times. */
export const MAX_PROBE_RETRIES = 3;

export interface ContainerPortRef {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** What a probe or hook runs against: one container of one pod. */
export interface ProbeTarget {
  podIP: string;
  /** The container's PID 1 as the host sees it; needed by exec handlers only. */
  containerPid?: number;
  /** The container's declared ports, for named-port resolution. */
  containerPorts: ContainerPortRef[];
  /**
   * Identity of this run of the container (the kubelet's `kemu://<pid>`).
   * Used by ProbeWorker to notice restarts; defaults to containerPid.
   */
  containerId?: string;
  /** When this run of the container started (ms, same clock as the worker); for initialDelaySeconds. */
  startedAtMs?: number;
  /** The container's environment: exec probes run with it and `$(VAR)` in their command is expanded from it. */
  env?: Record<string, string>;
  /** The launcher's identity options of the container (user, groups, capabilities): exec handlers run as the container does. */
  identity?: string[];
  /** The container's workingDir: exec handlers start there. */
  cwd?: string;
}

export interface ProbeResult {
  result: "success" | "failure";
  /** Upstream's probe output: response body, command output, or the failure message. */
  output: string;
  /** Success with a warning (upstream's probe.Warning: a redirect was not followed). */
  warning?: boolean;
  /**
   * The probe could not be run at all (upstream: result Unknown with an error,
   * e.g. an unknown named port). `result` is "failure"; ProbeWorker retries
   * such runs and then discards them without counting, as upstream does.
   */
  error?: boolean;
}

export interface CommandResult {
  exitCode: number | null;
  signal?: NodeJS.Signals | null;
  /** stdout and stderr together, at most MAX_OUTPUT_BYTES. */
  output: string;
  timedOut: boolean;
  /** The command could not be started at all. */
  spawnError?: string;
}

/**
 * Runs a command "in the container". The default enters the container with
 * the launcher; tests inject one that runs the command directly.
 */
export type CommandRunner = (command: string[], target: ProbeTarget, timeoutMs: number) => Promise<CommandResult>;

export interface RunProbeOptions {
  runCommand?: CommandRunner;
}

/** A problem that makes the probe impossible to run (upstream's Unknown + error). */
class ProbeSetupError extends Error {}

/** Runs one probe once: never throws, every problem is a result. */
export async function runProbe(probe: Probe, target: ProbeTarget, options: RunProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return await execProbe(probe.exec.command ?? [], target, timeoutMs, options.runCommand ?? enterRunner);
    if (probe.httpGet) return await httpProbe(probe.httpGet, target, timeoutMs);
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, target.containerPorts);
      return await tcpProbe(probe.tcpSocket.host || target.podIP, port, timeoutMs);
    }
    if (probe.grpc) return await grpcProbe(probe.grpc, target.podIP, timeoutMs);
    return { result: "failure", output: "missing probe handler", error: true };
  } catch (err) {
    return { result: "failure", output: (err as Error).message, error: true };
  }
}

// ---------------------------------------------------------------- ports

/** Upstream's ResolveContainerPort: a number as is, a name from the container's ports. */
export function resolvePort(port: number | string, ports: ContainerPortRef[]): number {
  let n: number;
  if (typeof port === "number") n = port;
  else {
    const found = ports.find((p) => p.name === port);
    if (!found) throw new ProbeSetupError(`port ${goQuote(port)} not found`);
    n = found.containerPort;
  }
  if (!(Number.isInteger(n) && n > 0 && n < 65536)) throw new ProbeSetupError(`invalid port number: ${n}`);
  return n;
}

function joinHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's %q for the strings we print (close enough: JSON string syntax). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's time.Duration formatting for whole-millisecond durations ("1s", "1m30s", "500ms"). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, "")}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

// ---------------------------------------------------------------- exec

/**
 * The default runner: the command runs in the container's namespaces (network,
 * UTS, IPC, mount, PID) with the container's user, groups and capabilities.
 */
export const enterRunner: CommandRunner = async (command, target, timeoutMs) => {
  if (target.containerPid === undefined) return { exitCode: null, output: "", timedOut: false, spawnError: "container is not running" };
  return runCommand(enterArgv(target.containerPid, target.identity ?? [], command, target.cwd), { timeoutMs, env: target.env });
};

/**
 * Runs argv with stdout+stderr captured (at most maxOutput bytes). On timeout
 * the whole process group is killed: the launcher forks the command into the
 * PID namespace, and a SIGKILL cannot be passed on, so killing the launcher
 * alone would leave the command running.
 */
export function runCommand(argv: string[], options: { timeoutMs: number; env?: Record<string, string>; maxOutput?: number }): Promise<CommandResult> {
  const max = options.maxOutput ?? MAX_OUTPUT_BYTES;
  return new Promise((resolve) => {
    if (argv.length === 0) {
      resolve({ exitCode: null, output: "", timedOut: false, spawnError: "no command given" });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env, detached: true });
    } catch (err) {
      resolve({ exitCode: null, output: "", timedOut: false, spawnError: (err as Error).message });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (b: Buffer) => {
      if (size >= max) return;
      const part = b.subarray(0, max - size);
      chunks.push(part);
      size += part.length;
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    let timedOut = false;
    let settled = false;
    const timer =
      options.timeoutMs > 0 && Number.isFinite(options.timeoutMs)
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child);
          }, options.timeoutMs)
        : undefined;
    const finish = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(result);
    };
    child.once("error", (err) => finish({ exitCode: null, output: "", timedOut, spawnError: err.message }));
    child.once("exit", (code, signal) => {
      // Output may still be in the pipes: wait for them to close, but not for
      // a background process that inherited them.
      const done = () => finish({ exitCode: code, signal, output: Buffer.concat(chunks).toString("utf8"), timedOut });
      const grace = setTimeout(done, 100);
      child.once("close", () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

async function execProbe(command: string[], target: ProbeTarget, timeoutMs: number, runner: CommandRunner): Promise<ProbeResult> {
  if (command.length === 0) return { result: "failure", output: "exec probe has no command", error: true };
  // Upstream expands $(VAR) references in probe commands from the container's environment.
  const argv = target.env ? command.map((a) => expandVars(a, target.env!)) : command;
  const r = await runner(argv, target, timeoutMs);
  if (r.timedOut) return { result: "failure", output: `command ${goQuote(argv.join(" "))} timed out` };
  if (r.spawnError !== undefined) return { result: "failure", output: r.spawnError, error: true };
  return { result: r.exitCode === 0 ? "success" : "failure", output: r.output };
}

// ---------------------------------------------------------------- tcp

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    let done = false;
    const socket = net.connect({ host, port });
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ result: "failure", output: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    socket.once("connect", () => finish({ result: "success", output: "" }));
    socket.once("error", (err: NodeJS.ErrnoException) => finish({ result: "failure", output: `dial tcp ${addr}: ${dialErrorText(err)}` }));
  });
}

function dialErrorText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED": return "connect: connection refused";
    case "EHOSTUNREACH": return "connect: no route to host";
    case "ENETUNREACH": return "connect: network is unreachable";
    case "ETIMEDOUT": return "connect: connection timed out";
    case "EADDRNOTAVAIL": return "connect: cannot assign requested address";
    default: return err.message;
  }
}

// ---------------------------------------------------------------- http

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export interface HttpGetOutcome {
  /** The first request's URL. */
  url: string;
  /** Status of the final response, when one arrived. */
  status?: number;
  /** Its body, at most MAX_OUTPUT_BYTES. */
  body: string;
  /** Go-style client error (`Get "url": dial tcp …: connect: connection refused`) when no response was usable. */
  error?: string;
  /** The deadline passed (error is set too). */
  timedOut?: boolean;
  /** The response arrived but reading its body failed. */
  bodyError?: string;
}

export interface PreparedRequest {
  url: URL;
  /** The Host header to send. */
  host: string;
  /** Whether Host was set by the user (kept across relative redirects, as Go does). */
  customHost: boolean;
  headers: [string, string][];
}

/** Go's CanonicalMIMEHeaderKey for ordinary header names: "x-custom-header" → "X-Custom-Header". */
function canonicalHeader(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name
    .split("-")
    .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1).toLowerCase() : part))
    .join("-");
}

/**
 * Upstream's NewRequestForHTTPGetAction: scheme (default HTTP), host (default
 * the pod IP), port (number or named), path (may carry a query), headers,
 * `User-Agent: kube-<purpose>/<version>` and `Accept: *\/*` unless given
 * (an empty Accept removes it), and a Host header taken from the headers.
 */
export function prepareHttpGet(action: HTTPGetAction, target: ProbeTarget, purpose: "probe" | "lifecycle"): PreparedRequest {
  const scheme = (action.scheme ?? "HTTP").toLowerCase();
  const host = action.host || target.podIP;
  const port = resolvePort(action.port, target.containerPorts);
  const rawPath = action.path ?? "";
  const path = rawPath.startsWith("/") ? rawPath : `/${rawPath}`;
  let url: URL;
  try {
    url = new URL(`${scheme}://${joinHostPort(host, port)}${path}`);
  } catch {
    throw new ProbeSetupError(`invalid URL ${goQuote(`${scheme}://${joinHostPort(host, port)}${path}`)}`);
  }
  const headers: [string, string][] = (action.httpHeaders ?? []).map((h) => [canonicalHeader(h.name), h.value]);
  const has = (name: string) => headers.some(([k]) => k === name);
  const first = (name: string) => headers.find(([k]) => k === name)?.[1];
  if (!has("User-Agent")) headers.push(["User-Agent", `kube-${purpose}/${KUBE_VERSION}`]);
  if (!has("Accept")) headers.push(["Accept", "*/*"]);
  else if (first("Accept") === "") removeHeader(headers, "Accept");
  const hostHeader = first("Host");
  removeHeader(headers, "Host");
  return { url, host: hostHeader || joinHostPort(host, port), customHost: !!hostHeader, headers };
}

function removeHeader(headers: [string, string][], name: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0] === name) headers.splice(i, 1);
}

/**
 * GET with upstream's client rules: no keep-alive, no compression, TLS
 * without verification, one deadline for everything, redirects followed
 * only to the same host name (at most 10), body read up to 10 KiB.
 */
export async function httpGet(request: PreparedRequest, timeoutMs: number): Promise<HttpGetOutcome> {
  const firstUrl = request.url.href;
  const deadline = Date.now() + timeoutMs;
  let current = request;
  for (let via = 0; ; ) {
    const r = await sendOnce(current, deadline);
    if ("error" in r) return { url: firstUrl, body: "", error: `Get ${goQuote(current.url.href)}: ${r.error}`, timedOut: r.timedOut };
    const location = r.location;
    if (REDIRECT_CODES.has(r.status) && location) {
      let next: URL;
      try {
        next = new URL(location, current.url);
      } catch {
        return { url: firstUrl, body: "", error: `Get ${goQuote(current.url.href)}: failed to parse Location header ${goQuote(location)}` };
      }
      // Upstream's redirect checker: a redirect to another host is not
      // followed; the 3xx itself is the answer.
      if (next.hostname !== request.url.hostname) return { url: firstUrl, status: r.status, body: r.body, bodyError: r.bodyError };
      via++;
      if (via >= MAX_REDIRECTS) return { url: firstUrl, body: "", error: `Get ${goQuote(next.href)}: stopped after ${MAX_REDIRECTS} redirects` };
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        return { url: firstUrl, body: "", error: `Get ${goQuote(next.href)}: unsupported protocol scheme ${goQuote(next.protocol.replace(/:$/, ""))}` };
      }
      const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(location);
      const keepHost = current.customHost && !absolute;
      current = { url: next, host: keepHost ? current.host : next.host, customHost: keepHost, headers: current.headers };
      continue;
    }
    return { url: firstUrl, status: r.status, body: r.body, bodyError: r.bodyError };
  }
}

type SendResult = { status: number; location?: string; body: string; bodyError?: string } | { error: string; timedOut?: boolean };

function sendOnce(req: PreparedRequest, deadline: number): Promise<SendResult> {
  return new Promise((resolve) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      resolve({ error: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", timedOut: true });
      return;
    }
    const tls = req.url.protocol === "https:";
    const hostname = req.url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(req.url.port || (tls ? 443 : 80));
    const raw: string[] = ["Host", req.host];
    for (const [k, v] of req.headers) raw.push(k, v);
    let settled = false;
    let phase: "headers" | "body" = "headers";
    let timedOut = false;
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let location: string | undefined;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const body = () => Buffer.concat(chunks).toString("utf8");
    const options: https.RequestOptions = {
      hostname,
      port,
      path: `${req.url.pathname}${req.url.search}`,
      method: "GET",
      headers: raw,
      agent: false,
      setHost: false,
      ...(tls ? { rejectUnauthorized: false } : {}),
    };
    const request = (tls ? https : http).request(options, (res) => {
      phase = "body";
      status = res.statusCode ?? 0;
      const loc = res.headers.location;
      location = Array.isArray(loc) ? loc[0] : loc;
      res.on("data", (b: Buffer) => {
        if (size >= MAX_OUTPUT_BYTES) return;
        const part = b.subarray(0, MAX_OUTPUT_BYTES - size);
        chunks.push(part);
        size += part.length;
        // Upstream stops reading at the limit; the connection is closed.
        if (size >= MAX_OUTPUT_BYTES) {
          finish({ status, location, body: body() });
          res.destroy();
        }
      });
      res.once("end", () => finish({ status, location, body: body() }));
      res.once("error", (err) => finish({ status, location, body: body(), bodyError: timedOut ? "context deadline exceeded (Client.Timeout or context cancellation while reading body)" : err.message }));
      res.once("close", () => {
        if (!res.complete) finish({ status, location, body: body(), bodyError: timedOut ? "context deadline exceeded (Client.Timeout or context cancellation while reading body)" : "unexpected EOF" });
      });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (phase === "headers") finish({ error: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", timedOut: true });
      else finish({ status, location, body: body(), bodyError: "context deadline exceeded (Client.Timeout or context cancellation while reading body)" });
      request.destroy();
    }, remaining);
    request.once("error", (err: NodeJS.ErrnoException) => {
      if (phase !== "headers") return;
      if (err.code === "ECONNRESET" && /socket hang up/.test(err.message)) finish({ error: "EOF" });
      else if (err.code === "ECONNRESET") finish({ error: "read: connection reset by peer" });
      else if (err.code && /^E(CONNREFUSED|HOSTUNREACH|NETUNREACH|TIMEDOUT|ADDRNOTAVAIL)$/.test(err.code)) finish({ error: `dial tcp ${joinHostPort(hostname, port)}: ${dialErrorText(err)}` });
      else finish({ error: err.message });
    });
    request.end();
  });
}

async function httpProbe(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const o = await httpGet(prepareHttpGet(action, target, "probe"), timeoutMs);
  // Client errors (refused, timeout, too many redirects) are failures.
  if (o.error !== undefined) return { result: "failure", output: o.error };
  // A body that cannot be read makes the run unusable (upstream returns an error).
  if (o.bodyError !== undefined) return { result: "failure", output: o.bodyError, error: true };
  const status = o.status ?? 0;
  if (status >= 200 && status < 300) return { result: "success", output: o.body };
  if (status >= 300 && status < 400) return { result: "success", output: `Probe terminated redirects, Response body: ${o.body}`, warning: true };
  return { result: "failure", output: `HTTP probe failed with statuscode: ${status}` };
}

// ---------------------------------------------------------------- grpc

const GRPC_CODES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
  "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
];
const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** grpc.health.v1.HealthCheckRequest{service} as a length-prefixed gRPC message. */
function healthCheckFrame(service: string): Buffer {
  const s = Buffer.from(service, "utf8");
  const msg = s.length ? Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** The `status` field (1, varint) of a HealthCheckResponse; 0 (UNKNOWN) when absent. */
function servingStatus(data: Buffer): number | undefined {
  if (data.length < 5) return undefined;
  const len = data.readUInt32BE(1);
  const msg = data.subarray(5, 5 + len);
  let status = 0;
  for (let i = 0; i < msg.length; ) {
    let key = 0;
    let shift = 0;
    let b: number;
    do {
      b = msg[i++]!;
      key |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && i < msg.length);
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      let v = 0;
      shift = 0;
      do {
        b = msg[i++]!;
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80 && i < msg.length);
      if (field === 1) status = v;
    } else if (wire === 2) {
      let l = 0;
      shift = 0;
      do {
        b = msg[i++]!;
        l |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80 && i < msg.length);
      i += l;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return undefined;
  }
  return status;
}

function decodeGrpcMessage(s: string | undefined): string {
  if (!s) return "";
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** gRPC health checking protocol (grpc.health.v1.Health/Check) over cleartext HTTP/2, to the pod IP. */
function grpcProbe(action: IGRPCAction, podIP: string, timeoutMs: number): Promise<ProbeResult> {
  const addr = joinHostPort(podIP, action.port);
  const service = action.service ?? "";
  const dur = goDuration(timeoutMs);
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const session = http2.connect(`http://${addr}`);
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => {
      if (!connected) finish({ result: "failure", output: `timeout: failed to connect service ${goQuote(addr)} within ${dur}: context deadline exceeded` });
      else finish({ result: "failure", output: `timeout: health rpc did not complete within ${dur}` });
    }, timeoutMs);
    session.once("error", (err: NodeJS.ErrnoException) => {
      if (!connected) finish({ result: "failure", output: `error: failed to connect service at ${goQuote(addr)}: ${err.code && err.syscall === "connect" ? `dial tcp ${addr}: ${dialErrorText(err)}` : err.message}` });
      else finish({ result: "failure", output: `error: health rpc probe failed: ${err.message}` });
    });
    session.once("connect", () => {
      connected = true;
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        "content-type": "application/grpc",
        te: "trailers",
        "user-agent": `kube-probe/${KUBE_VERSION}`,
        "grpc-timeout": `${Math.max(1, timeoutMs)}m`,
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const data: Buffer[] = [];
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (b: Buffer) => data.push(b));
      stream.once("error", (err) => finish({ result: "failure", output: `error: health rpc probe failed: ${err.message}` }));
      stream.once("close", () => {
        const httpStatus = Number(headers[":status"] ?? 0);
        const grpcStatus = trailers["grpc-status"] ?? headers["grpc-status"];
        const grpcMessage = decodeGrpcMessage((trailers["grpc-message"] ?? headers["grpc-message"]) as string | undefined);
        if (httpStatus !== 200) {
          finish({ result: "failure", output: `error: health rpc probe failed: rpc error: code = Unknown desc = unexpected HTTP status code received from server: ${httpStatus}` });
          return;
        }
        const code = grpcStatus === undefined ? 2 : Number(grpcStatus);
        if (code !== 0) {
          if (code === 12) finish({ result: "failure", output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}` });
          else if (code === 4) finish({ result: "failure", output: `timeout: health rpc did not complete within ${dur}` });
          else finish({ result: "failure", output: `error: health rpc probe failed: rpc error: code = ${GRPC_CODES[code] ?? `Code(${code})`} desc = ${grpcMessage}` });
          return;
        }
        const status = servingStatus(Buffer.concat(data));
        if (status === undefined) {
          finish({ result: "failure", output: "error: health rpc probe failed: rpc error: code = Internal desc = malformed response" });
          return;
        }
        if (status !== 1) finish({ result: "failure", output: `service unhealthy (responded with ${goQuote(SERVING_STATUS[status] ?? String(status))})` });
        else finish({ result: "success", output: "service healthy" });
      });
      stream.end(healthCheckFrame(service));
    });
  });
}
