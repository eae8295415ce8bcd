// The body of POST /api/trace read into a TraceRequest; each error names the
// field and what was expected. Pure.
import type { TraceProtocol, TraceRequest } from "../trace/model.js";

export class TraceRequestError extends Error {}

export const MAX_TRACE_BODY = 16 * 1024;

export function parseTraceRequest(text: string): TraceRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TraceRequestError("body: expected JSON, e.g. {\"from\": \"default/client\", \"target\": \"web:80\"}");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new TraceRequestError("body: expected a JSON object with from and target");
  const o = body as Record<string, unknown>;
  const text_ = (field: string, required: boolean): string | undefined => {
    const v = o[field];
    if (v === undefined || v === "") {
      if (required) throw new TraceRequestError(`${field}: required`);
      return undefined;
    }
    if (typeof v !== "string") throw new TraceRequestError(`${field}: expected a string, got ${JSON.stringify(v)}`);
    return v.trim();
  };
  const from = text_("from", true)!;
  const target = text_("target", true)!;
  const protocol = text_("protocol", false)?.toLowerCase();
  if (protocol !== undefined && protocol !== "tcp" && protocol !== "udp") throw new TraceRequestError(`protocol: expected tcp or udp, got ${JSON.stringify(o.protocol)}`);
  const namespace = text_("namespace", false);
  return { from, target, ...(protocol ? { protocol: protocol as TraceProtocol } : {}), ...(namespace ? { namespace } : {}) };
}
