// The protobuf wire format, read by hand: tags, varints, length-delimited
// fields, fixed 32/64-bit values. Nothing here knows a schema; a malformed
// byte sequence is a WireError naming the offset.

/** Wire types of the protobuf encoding (3 and 4, groups, are not used by Kubernetes). */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

export class WireError extends Error {}

export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A base-128 varint of at most 10 bytes, as an unsigned 64-bit value. */
  varint(): bigint {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return BigInt.asUintN(64, value);
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** A field's tag: its number and wire type. */
  tag(): { field: number; wire: number } {
    const at = this.pos;
    const key = this.varint();
    const field = Number(key >> 3n);
    if (field === 0 || field > 0x1fffffff) throw new WireError(`invalid field number ${field} at byte ${at}`);
    return { field, wire: Number(key & 7n) };
  }

  /** The bounds of a length-delimited field's payload; the reader moves past it. */
  delimited(): { start: number; end: number } {
    const at = this.pos;
    const length = this.varint();
    if (length > BigInt(this.end - this.pos)) throw new WireError(`length ${length} at byte ${at} runs past the end of the message`);
    const start = this.pos;
    this.pos += Number(length);
    return { start, end: this.pos };
  }

  bytes(): Uint8Array {
    const { start, end } = this.delimited();
    return this.buf.subarray(start, end);
  }

  fixed(size: 4 | 8): DataView {
    if (this.end - this.pos < size) throw new WireError(`truncated ${size * 8}-bit value at byte ${this.pos}`);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, size);
    this.pos += size;
    return view;
  }

  /** Moves past a field whose number the schema does not know (upstream's decoders skip them too). */
  skip(wire: number): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.fixed(8);
        return;
      case WireType.LengthDelimited:
        this.delimited();
        return;
      case WireType.Fixed32:
        this.fixed(4);
        return;
      default:
        throw new WireError(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }
}
