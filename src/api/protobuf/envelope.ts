// The envelope of a Kubernetes protobuf body (apimachinery
// runtime/serializer/protobuf): the 4-byte prefix "k8s\0", then a
// runtime.Unknown message — typeMeta {apiVersion = 1, kind = 2} = 1,
// raw = 2 (the object's own message), contentEncoding = 3, contentType = 4.
import { WireError, WireReader, WireType } from "./wire.js";

export const PROTOBUF_PREFIX: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

const utf8 = new TextDecoder("utf-8");

/** Opens the envelope; a WireError carries upstream's words for a missing prefix or an empty body. */
export function readEnvelope(body: Uint8Array): Envelope {
  if (body.length === 0) throw new WireError("empty data");
  if (body.length < PROTOBUF_PREFIX.length || PROTOBUF_PREFIX.some((b, i) => body[i] !== b)) {
    throw new WireError(`provided data does not appear to be a protobuf message, expected prefix [${PROTOBUF_PREFIX.join(" ")}]`);
  }
  if (body.length === PROTOBUF_PREFIX.length) throw new WireError("empty body");
  const out: Envelope = { apiVersion: "", kind: "", raw: new Uint8Array(0), contentEncoding: "", contentType: "" };
  const reader = new WireReader(body, PROTOBUF_PREFIX.length);
  while (!reader.done()) {
    const { field, wire } = reader.tag();
    if (wire !== WireType.LengthDelimited || field > 4) {
      reader.skip(wire);
      continue;
    }
    const bytes = reader.bytes();
    if (field === 1) {
      const meta = new WireReader(bytes);
      while (!meta.done()) {
        const t = meta.tag();
        if (t.wire !== WireType.LengthDelimited || t.field > 2) {
          meta.skip(t.wire);
          continue;
        }
        const text = utf8.decode(meta.bytes());
        if (t.field === 1) out.apiVersion = text;
        else out.kind = text;
      }
    } else if (field === 2) out.raw = bytes;
    else if (field === 3) out.contentEncoding = utf8.decode(bytes);
    else out.contentType = utf8.decode(bytes);
  }
  return out;
}
