// The router's own answers, shaped like nginx's built-in error pages (the
// reason phrases nginx prints: "503 Service Temporarily Unavailable",
// "504 Gateway Time-out", "413 Request Entity Too Large").
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";

export const REASONS: Readonly<Record<number, string>> = {
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  403: "Forbidden",
  404: "Not Found",
  413: "Request Entity Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out",
};

export function statusPage(status: number): string {
  const title = `${status} ${REASONS[status] ?? ""}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>kemu ingress router</center>\r\n</body>\r\n</html>\r\n`;
}

/** Answers with a status page (and Location for redirects); `close` drops the connection after it (an unread body must not be parsed as the next request). */
export function sendStatus(res: ServerResponse, status: number, extra: { location?: string; close?: boolean } = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = statusPage(status);
  res.statusCode = status;
  res.statusMessage = REASONS[status] ?? "";
  res.setHeader("Content-Type", "text/html");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  if (extra.location !== undefined) res.setHeader("Location", extra.location);
  if (extra.close) res.setHeader("Connection", "close");
  res.end(body);
}

/** The same on a socket that asked for an upgrade (no ServerResponse exists there). */
export function sendStatusOnSocket(socket: Socket, status: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = statusPage(status);
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  socket.destroySoon();
}
