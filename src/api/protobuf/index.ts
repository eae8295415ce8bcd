// Request bodies sent as application/vnd.kubernetes.protobuf (client-go's
// typed clients, so kubectl create, auth can-i…) become the JSON object a JSON
// client would have sent, for the kinds in schema.json.
import { ApiError } from "../errors.js";
import { DecodeError, decodeMessage } from "./decode.js";
import { readEnvelope } from "./envelope.js";
import { SCHEMA, type ProtoSchema } from "./schema.js";
import { WireError } from "./wire.js";

export const PROTOBUF = "application/vnd.kubernetes.protobuf";

/** The message that carries `apiVersion`/`kind`, if kemu can read it. */
export function messageForKind(apiVersion: string, kind: string, schema: ProtoSchema = SCHEMA): string | undefined {
  return schema.kinds[`${apiVersion}/${kind}`];
}

/**
 * Decodes a protobuf request body: 400 for bytes that are not a Kubernetes
 * protobuf message (upstream's words), 415 for a kind kemu has no schema for.
 */
export function decodeProtobufBody(body: Uint8Array, maxDepth: number, schema: ProtoSchema = SCHEMA): Record<string, unknown> {
  let envelope;
  try {
    envelope = readEnvelope(body);
  } catch (err) {
    if (err instanceof WireError) throw new ApiError("BadRequest", err.message);
    throw err;
  }
  const { apiVersion, kind } = envelope;
  if (!apiVersion || !kind) throw new ApiError("BadRequest", "the protobuf body names no apiVersion and kind (runtime.Unknown typeMeta)");
  if (envelope.contentEncoding) {
    throw new ApiError("UnsupportedMediaType", `the protobuf body's contentEncoding ${JSON.stringify(envelope.contentEncoding)} is not supported; send the object unencoded`);
  }
  const type = messageForKind(apiVersion, kind, schema);
  if (!type) {
    throw new ApiError(
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - ${PROTOBUF} is not accepted for ${kind} (${apiVersion}); accepted media types include: application/json`,
    );
  }
  try {
    return { apiVersion, kind, ...decodeMessage(schema, type, envelope.raw, { maxDepth }) };
  } catch (err) {
    if (err instanceof DecodeError) throw new ApiError("BadRequest", `error decoding ${kind} (${apiVersion}) from protobuf: ${err.message}`);
    throw err;
  }
}
