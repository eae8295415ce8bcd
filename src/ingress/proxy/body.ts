// Reads a request body before any upstream is picked, as nginx does by
// default (proxy_request_buffering on): a connect failure can then be
// retried on another endpoint with the same body, and a body over
// proxy-body-size is refused with 413 while it streams in (reference §7).
import type { IncomingMessage } from "node:http";

export type BodyResult = { kind: "body"; body: Buffer } | { kind: "too-large" } | { kind: "aborted" };

/** Declared Content-Length over the limit: refused before reading (0 is no limit). */
export function declaredTooLarge(headers: IncomingMessage["headers"], limit: number): boolean {
  const cl = headers["content-length"];
  return limit > 0 && cl !== undefined && /^\d+$/.test(cl) && Number(cl) > limit;
}

export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (limit > 0 && size > limit) {
        req.pause();
        finish({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => finish({ kind: "body", body: Buffer.concat(chunks, size) }));
    req.once("error", () => finish({ kind: "aborted" }));
    req.once("close", () => finish(req.complete ? { kind: "body", body: Buffer.concat(chunks, size) } : { kind: "aborted" }));
  });
}
