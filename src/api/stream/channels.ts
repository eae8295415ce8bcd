// The channel protocol of exec and attach (k8s.io/apimachinery
// util/remotecommand constants, client-go tools/remotecommand): each binary
// message's first byte names the channel, the rest is its data. v4 and v5 are
// the same on the wire except that v5 adds the close channel (255), with
// which the client says "no more stdin" (shared reference kubectl-api.md §6).
// Pure: no sockets here.

export const PROTOCOL_V5 = "v5.channel.k8s.io";
export const PROTOCOL_V4 = "v4.channel.k8s.io";
/** In the server's order of preference. */
export const SUPPORTED_PROTOCOLS = [PROTOCOL_V5, PROTOCOL_V4] as const;
export type ChannelProtocol = (typeof SUPPORTED_PROTOCOLS)[number];

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** Server to client: the final metav1.Status as JSON. */
export const ERROR = 3;
/** Client to server: {"Width":W,"Height":H} for a terminal. */
export const RESIZE = 4;
/** v5, client to server: [255, channel] closes that channel (stdin EOF). */
export const CLOSE = 255;

/** The protocol to answer with, from the offered `Sec-WebSocket-Protocol` values; undefined when none is served. */
export function pickProtocol(offered: Iterable<string>): ChannelProtocol | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return SUPPORTED_PROTOCOLS.find((p) => set.has(p));
}

export function encodeFrame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const frame = Buffer.allocUnsafe(body.length + 1);
  frame[0] = channel;
  body.copy(frame, 1);
  return frame;
}

export interface Frame {
  channel: number;
  data: Buffer;
}

/** A received message; undefined for an empty one (which carries no channel: upstream ignores it). */
export function decodeFrame(message: Buffer): Frame | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0]!, data: message.subarray(1) };
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** A resize message (client-go's TerminalSize as JSON: {"Width":80,"Height":24}); undefined when it is not one. */
export function parseResize(data: Buffer): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { Width, Height } = value as Record<string, unknown>;
  const size = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  return size(Width) && size(Height) ? { width: Width as number, height: Height as number } : undefined;
}

/** The metav1.Status written on the error channel when a session ends. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export function successStatus(): ExecStatus {
  return { metadata: {}, status: "Success" };
}

/**
 * A command that ended with a non-zero code, as the kubelet's v4 stream
 * writes it (remotecommand NonZeroExitCodeReason, ExitCodeCauseType) and
 * with the message containerd's CRI exec gives (`error executing command
 * [argv], exit code N`). kubectl reads the code from the cause.
 */
export function exitCodeStatus(argv: readonly string[], code: number): ExecStatus {
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${argv.join(" ")}], exit code ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

/**
 * Any other failure (the command could not start, the container went away),
 * as the kubelet writes it: apierrors.NewInternalError. kubectl prints
 * `error: <message>` and exits 1.
 */
export function internalErrorStatus(message: string): ExecStatus {
  return { metadata: {}, status: "Failure", message: `Internal error occurred: ${message}`, reason: "InternalError", details: { causes: [{ message }] }, code: 500 };
}

export function statusFrame(status: ExecStatus): Buffer {
  return encodeFrame(ERROR, JSON.stringify(status));
}
