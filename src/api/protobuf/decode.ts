// A schema-driven protobuf decoder that writes the JSON a Go API server would
// have read: field names from the Go struct tags, apimachinery's special types
// as their JSON forms, and Go's zero-value rule — a non-pointer scalar at its
// zero value (gogo's marshaller always writes those) means "unset" and is left
// out, while a pointer field that is present keeps its value even when zero.
import { GO_ZERO_TIME_SECONDS, goDuration, rfc3339Micro, rfc3339Seconds, FormatError } from "./go-format.js";
import type { FieldDef, ProtoSchema } from "./schema.js";
import { WireError, WireReader, WireType } from "./wire.js";

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

/** apimachinery messages whose JSON is not an object of their fields. */
export const SPECIAL_TYPES = {
  time: `${META}.Time`,
  microTime: `${META}.MicroTime`,
  duration: `${META}.Duration`,
  fieldsV1: `${META}.FieldsV1`,
  intOrString: "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
  quantity: "k8s.io.apimachinery.pkg.api.resource.Quantity",
  rawExtension: "k8s.io.apimachinery.pkg.runtime.RawExtension",
} as const;

/** A body that does not decode: `path` is the JSON path of the field being read. */
export class DecodeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

/** One occurrence of a field on the wire: a varint, a fixed-width value, or a payload's bounds. */
type Occurrence =
  | { wire: typeof WireType.Varint; value: bigint }
  | { wire: typeof WireType.Fixed64 | typeof WireType.Fixed32; view: DataView }
  | { wire: typeof WireType.LengthDelimited; start: number; end: number };

const VARINT_TYPES = new Set(["int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool"]);
const FIXED32_TYPES = new Set(["fixed32", "sfixed32", "float"]);
const FIXED64_TYPES = new Set(["fixed64", "sfixed64", "double"]);
const SCALAR_TYPES = new Set([...VARINT_TYPES, ...FIXED32_TYPES, ...FIXED64_TYPES, "string", "bytes"]);

const utf8 = new TextDecoder("utf-8"); // not fatal: Go's JSON writes invalid UTF-8 as U+FFFD, so does this

export interface DecodeOptions {
  /** Messages deeper than this are refused (the JSON nesting limit is checked again on the result). */
  maxDepth: number;
}

export class MessageDecoder {
  constructor(
    private readonly schema: ProtoSchema,
    private readonly buf: Uint8Array,
    private readonly options: DecodeOptions,
  ) {}

  /** The JSON of the message `type` held in buf[start, end); undefined where Go's JSON would write null. */
  message(type: string, start: number, end: number, path: string, depth: number): unknown {
    if (depth > this.options.maxDepth) throw new DecodeError(path, `messages nest more than ${this.options.maxDepth} levels deep`);
    const special = this.special(type, start, end, path);
    if (special !== NOT_SPECIAL) return special;
    const def = this.schema.messages[type];
    if (!def) throw new DecodeError(path, `no schema for message ${type}`);
    const seen = this.fields(start, end, path);
    const entries = Object.entries(def.fields).sort((a, b) => Number(a[0]) - Number(b[0]));
    if (def.list) {
      const [number, field] = entries[0]!;
      return this.repeated(field, seen.get(Number(number)) ?? [], path, depth);
    }
    const out: Record<string, unknown> = {};
    for (const [number, field] of entries) {
      const occurrences = seen.get(Number(number));
      if (!occurrences) continue;
      const [json, fieldType, flags] = field;
      const at = path ? `${path}.${json}` : json;
      if (flags.includes("m")) {
        const map = this.map(field, occurrences, at, depth);
        if (Object.keys(map).length > 0) out[json] = map;
      } else if (flags.includes("r")) {
        const list = this.repeated(field, occurrences, at, depth);
        if (list.length > 0) out[json] = list;
      } else {
        const last = occurrences[occurrences.length - 1]!;
        const value = this.single(fieldType, last, at, depth);
        if (value === undefined) continue;
        if (!flags.includes("p") && isGoZero(value)) continue;
        if (flags.includes("i") && isObject(value)) Object.assign(out, value);
        else out[json] = value;
      }
    }
    return out;
  }

  /** Every field of buf[start, end), by number, in wire order. */
  private fields(start: number, end: number, path: string): Map<number, Occurrence[]> {
    const reader = new WireReader(this.buf, start, end);
    const seen = new Map<number, Occurrence[]>();
    try {
      while (!reader.done()) {
        const { field, wire } = reader.tag();
        let occurrence: Occurrence;
        if (wire === WireType.Varint) occurrence = { wire, value: reader.varint() };
        else if (wire === WireType.Fixed64) occurrence = { wire, view: reader.fixed(8) };
        else if (wire === WireType.Fixed32) occurrence = { wire, view: reader.fixed(4) };
        else if (wire === WireType.LengthDelimited) occurrence = { wire, ...reader.delimited() };
        else throw new WireError(`unsupported wire type ${wire} for field ${field}`);
        const list = seen.get(field);
        if (list) list.push(occurrence);
        else seen.set(field, [occurrence]);
      }
    } catch (err) {
      if (err instanceof WireError) throw new DecodeError(path, err.message);
      throw err;
    }
    return seen;
  }

  private single(type: string, o: Occurrence, path: string, depth: number): unknown {
    if (SCALAR_TYPES.has(type)) return this.scalar(type, o, path);
    if (o.wire !== WireType.LengthDelimited) throw new DecodeError(path, `wire type ${o.wire} cannot hold a message (${shortName(type)})`);
    return this.message(type, o.start, o.end, path, depth + 1);
  }

  private repeated(field: FieldDef, occurrences: Occurrence[], path: string, depth: number): unknown[] {
    const [, type] = field;
    const out: unknown[] = [];
    for (const o of occurrences) {
      // A packed run of numbers: one payload holding many varints or fixed values.
      if (o.wire === WireType.LengthDelimited && (VARINT_TYPES.has(type) || FIXED32_TYPES.has(type) || FIXED64_TYPES.has(type))) {
        const reader = new WireReader(this.buf, o.start, o.end);
        try {
          while (!reader.done()) {
            const item: Occurrence = VARINT_TYPES.has(type)
              ? { wire: WireType.Varint, value: reader.varint() }
              : { wire: FIXED32_TYPES.has(type) ? WireType.Fixed32 : WireType.Fixed64, view: reader.fixed(FIXED32_TYPES.has(type) ? 4 : 8) };
            out.push(this.scalar(type, item, `${path}[${out.length}]`));
          }
        } catch (err) {
          if (err instanceof WireError) throw new DecodeError(`${path}[${out.length}]`, err.message);
          throw err;
        }
        continue;
      }
      out.push(this.single(type, o, `${path}[${out.length}]`, depth) ?? null);
    }
    return out;
  }

  /** A map<string, T>: each occurrence is an entry message {key = 1, value = 2}. */
  private map(field: FieldDef, occurrences: Occurrence[], path: string, depth: number): Record<string, unknown> {
    const [, type] = field;
    const out: Record<string, unknown> = {};
    for (const o of occurrences) {
      if (o.wire !== WireType.LengthDelimited) throw new DecodeError(path, `wire type ${o.wire} cannot hold a map entry`);
      const entry = this.fields(o.start, o.end, path);
      const keyOccurrence = last(entry.get(1));
      const key = keyOccurrence ? (this.scalar("string", keyOccurrence, path) as string) : "";
      const valueOccurrence = last(entry.get(2));
      const at = `${path}[${JSON.stringify(key)}]`;
      // An entry without its value holds the type's zero value.
      const value = valueOccurrence ? this.single(type, valueOccurrence, at, depth) : SCALAR_TYPES.has(type) ? zeroOf(type) : this.message(type, 0, 0, at, depth + 1);
      out[key] = value ?? null;
    }
    return out;
  }

  private scalar(type: string, o: Occurrence, path: string): string | number | boolean {
    const wrongWire = () => new DecodeError(path, `wire type ${o.wire} cannot hold a ${type}`);
    if (type === "string" || type === "bytes") {
      if (o.wire !== WireType.LengthDelimited) throw wrongWire();
      const bytes = this.buf.subarray(o.start, o.end);
      // Go's encoding/json writes []byte as standard base64.
      return type === "string" ? utf8.decode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
    }
    if (VARINT_TYPES.has(type)) {
      if (o.wire !== WireType.Varint) throw wrongWire();
      const v = o.value;
      switch (type) {
        case "bool":
          return v !== 0n;
        case "int32":
          return Number(BigInt.asIntN(32, v));
        case "uint32":
          return Number(BigInt.asUintN(32, v));
        case "int64":
          return Number(BigInt.asIntN(64, v));
        case "sint32":
        case "sint64":
          return Number((v >> 1n) ^ -(v & 1n));
        default:
          return Number(v);
      }
    }
    if (o.wire !== WireType.Fixed32 && o.wire !== WireType.Fixed64) throw wrongWire();
    const view = o.view;
    if (FIXED32_TYPES.has(type) !== (o.wire === WireType.Fixed32)) throw wrongWire();
    switch (type) {
      case "float":
        return view.getFloat32(0, true);
      case "double":
        return view.getFloat64(0, true);
      case "fixed32":
        return view.getUint32(0, true);
      case "sfixed32":
        return view.getInt32(0, true);
      case "fixed64":
        return Number(view.getBigUint64(0, true));
      default:
        return Number(view.getBigInt64(0, true));
    }
  }

  /** The JSON of apimachinery's special types, or NOT_SPECIAL. */
  private special(type: string, start: number, end: number, path: string): unknown {
    switch (type) {
      case SPECIAL_TYPES.time:
      case SPECIAL_TYPES.microTime: {
        // Upstream's Unmarshal: no bytes is the zero time, which Go's JSON writes as null.
        if (start === end) return undefined;
        const f = this.fields(start, end, path);
        const seconds = this.bigint(f.get(1), path);
        const nanos = Number(BigInt.asIntN(32, this.bigint(f.get(2), path)));
        if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return undefined;
        try {
          return type === SPECIAL_TYPES.time ? rfc3339Seconds(seconds) : rfc3339Micro(seconds, nanos);
        } catch (err) {
          if (err instanceof FormatError) throw new DecodeError(path, err.message);
          throw err;
        }
      }
      case SPECIAL_TYPES.duration:
        return goDuration(this.bigint(this.fields(start, end, path).get(1), path));
      case SPECIAL_TYPES.intOrString: {
        const f = this.fields(start, end, path);
        const kind = this.bigint(f.get(1), path);
        if (kind === 0n) return last(f.get(2)) ? this.scalar("int32", last(f.get(2))!, path) : 0;
        if (kind === 1n) return last(f.get(3)) ? this.scalar("string", last(f.get(3))!, path) : "";
        throw new DecodeError(path, `IntOrString type ${kind} is neither 0 (Int) nor 1 (String)`);
      }
      case SPECIAL_TYPES.quantity: {
        const value = last(this.fields(start, end, path).get(1));
        return value ? this.scalar("string", value, path) : "0";
      }
      case SPECIAL_TYPES.rawExtension:
      case SPECIAL_TYPES.fieldsV1: {
        // The embedded object is JSON text in the bytes field.
        const raw = last(this.fields(start, end, path).get(1));
        if (!raw || raw.wire !== WireType.LengthDelimited || raw.start === raw.end) return undefined;
        const text = utf8.decode(this.buf.subarray(raw.start, raw.end));
        try {
          return JSON.parse(text) as unknown;
        } catch (err) {
          throw new DecodeError(path, `the embedded object is not JSON: ${(err as Error).message}`);
        }
      }
      default:
        return NOT_SPECIAL;
    }
  }

  private bigint(occurrences: Occurrence[] | undefined, path: string): bigint {
    const o = last(occurrences);
    if (!o) return 0n;
    if (o.wire !== WireType.Varint) throw new DecodeError(path, `wire type ${o.wire} cannot hold an integer`);
    return BigInt.asIntN(64, o.value);
  }
}

const NOT_SPECIAL = Symbol("not special");

function last<T>(list: T[] | undefined): T | undefined {
  return list?.[list.length - 1];
}

function zeroOf(type: string): string | number | boolean {
  return type === "string" || type === "bytes" ? "" : type === "bool" ? false : 0;
}

/** Go's zero for a value field: what a JSON client would have left out. */
function isGoZero(value: unknown): boolean {
  return value === 0 || value === "" || value === false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shortName(type: string): string {
  return type.slice(type.lastIndexOf(".") + 1);
}

/** Decodes buf as the message `type` into its JSON object. */
export function decodeMessage(schema: ProtoSchema, type: string, buf: Uint8Array, options: DecodeOptions): Record<string, unknown> {
  const value = new MessageDecoder(schema, buf, options).message(type, 0, buf.length, "", 1);
  if (!isObject(value)) throw new DecodeError("", `${shortName(type)} does not decode to an object`);
  return value;
}
