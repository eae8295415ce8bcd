// A plain HTTP answer on a socket that asked for an upgrade (WebSocket or
// SPDY): the Status as JSON, then the socket closed. kubectl prints the
// Status's message when both its WebSocket and SPDY attempts get one.
import http from "node:http";
import type { Duplex } from "node:stream";
import { ApiError } from "../errors.js";

export function refuseUpgrade(socket: Duplex, err: unknown): void {
  const status = (err instanceof ApiError ? err : new ApiError("InternalError", `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`)).toStatus();
  const body = JSON.stringify(status);
  const reason = http.STATUS_CODES[status.code] ?? "Error";
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
