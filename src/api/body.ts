// Reading a request body the way kube-apiserver bounds it: never more than
// the limit is held in memory (a larger body is refused while it is read),
// only JSON media types are decoded, and nesting is checked right after
// parsing, before any recursive code sees the value. A server-side apply
// patch (application/apply-patch+yaml) is YAML; a POST or PUT may be
// Kubernetes protobuf (application/vnd.kubernetes.protobuf, as client-go's
// typed clients send it), decoded to the JSON a JSON client would have sent;
// every other body is JSON.
import type http from "node:http";
import { parse as parseYaml } from "yaml";
import { ApiError } from "./errors.js";
import { APPLY_PATCH, PATCH_TYPES } from "./patch/index.js";
import { PROTOBUF, decodeProtobufBody } from "./protobuf/index.js";
import { MAX_NESTING_DEPTH, MAX_REQUEST_BODY_BYTES, bodyTooLargeMessage, nestingDepth, tooDeepMessage } from "./limits.js";

/** Media types kemu decodes, per verb: PATCH takes the four patch types of a built-in kind, in upstream's order (never protobuf). */
const OBJECT_TYPES: readonly string[] = ["application/json", PROTOBUF];

/** Reads the whole body, refusing with 413 as soon as it passes `limit` bytes. */
export async function readBody(req: http.IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new ApiError("RequestEntityTooLarge", bodyTooLargeMessage(limit));
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early must not destroy the request: that would close the
  // connection under a client still sending, which then never reads the 413.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError("RequestEntityTooLarge", bodyTooLargeMessage(limit));
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The media type without parameters, lower-cased ("" when absent). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Decodes a body (its bytes, or its text when it is JSON or YAML): undefined
 * when empty; 415 for a media type kemu does not decode; 400 for a body that
 * does not decode or nests too deeply.
 */
export function decodeBody(body: string | Buffer, contentType: string | undefined, method: string, maxDepth = MAX_NESTING_DEPTH): unknown {
  const type = mediaType(contentType);
  const accepted = method === "PATCH" ? PATCH_TYPES : OBJECT_TYPES;
  if (type === PROTOBUF && accepted.includes(type) && body.length > 0) {
    const value = decodeProtobufBody(typeof body === "string" ? Buffer.from(body, "utf8") : body, maxDepth);
    if (nestingDepth(value, maxDepth) > maxDepth) throw new ApiError("BadRequest", tooDeepMessage(maxDepth));
    return value;
  }
  const text = typeof body === "string" ? body : body.toString("utf8");
  if (!text.trim()) return undefined;
  // A body without a Content-Type is read as JSON, as kemu's own clients always sent it.
  if (type !== "" && !accepted.includes(type)) {
    throw new ApiError(
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    );
  }
  let value: unknown;
  if (type === APPLY_PATCH) {
    try {
      value = parseYaml(text, { uniqueKeys: true });
    } catch (err) {
      throw new ApiError("BadRequest", `error decoding YAML: ${(err as Error).message.split("\n")[0]}`);
    }
  } else {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ApiError("BadRequest", `the request body is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (nestingDepth(value, maxDepth) > maxDepth) throw new ApiError("BadRequest", tooDeepMessage(maxDepth));
  return value;
}
