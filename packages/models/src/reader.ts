import { DecodeError } from "./errors.js";
import { decodeVarint, encodeVarint } from "./varint.js";

const U64_MAX = (1n << 64n) - 1n;

/** Bounded cursor over untrusted bytes. Every read names its field; nothing reads past the end. */
export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  readU8(field: string): number {
    if (this.offset >= this.bytes.length) throw new DecodeError(field, "unexpected end of input");
    return this.bytes[this.offset++]!;
  }
  /** Throws unless `n` more bytes are there to read. */
  private need(n: number, field: string): void {
    if (n < 0 || this.offset + n > this.bytes.length) {
      throw new DecodeError(field, `needs ${n} bytes, only ${this.remaining} left`);
    }
  }
  readBytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const end = this.offset + n;
    // A view of a small array would move the array's bytes off the V8 heap: an array of at most 64 bytes
    // lives on the heap until something asks for its buffer (a view does), which then costs ~1 µs and an
    // off-heap allocation the garbage collector tracks, once per operation submitted (its content bytes).
    // A copy of so few bytes costs next to nothing.
    const out =
      this.bytes.length <= 64 ? this.bytes.slice(this.offset, end) : this.bytes.subarray(this.offset, end);
    this.offset = end;
    return out;
  }
  readVarint(field: string, max: bigint = U64_MAX): bigint {
    const n = this.shortVarint(field);
    if (n < 0) return this.longVarint(field, max);
    const value = BigInt(n);
    if (value > max) throw new DecodeError(field, `value ${value} exceeds the maximum ${max}`);
    return value;
  }
  /** A varint that must fit in a JS safe integer (periods, counts, lengths). */
  readVarintNumber(field: string, max: number = Number.MAX_SAFE_INTEGER): number {
    const n = this.shortVarint(field);
    if (n < 0) return Number(this.longVarint(field, BigInt(max)));
    if (n > max) throw new DecodeError(field, `value ${n} exceeds the maximum ${max}`);
    return n;
  }
  /**
   * A varint of at most 7 bytes (49 bits: periods, counts, lengths, most amounts) read in plain numbers,
   * the offset moved past it; -1, nothing moved, when it is longer (`decodeVarint` reads those). The same
   * checks and errors as `decodeVarint`, without its BigInt and result object per field (four of each in
   * every submitted transfer).
   */
  private shortVarint(field: string): number {
    const b = this.bytes;
    const o = this.offset;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (o + i >= b.length) throw new DecodeError(field, "truncated varint");
      const x = b[o + i]!;
      n += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) {
        if (x === 0 && i > 0) throw new DecodeError(field, "non-minimal varint");
        this.offset = o + i + 1;
        return n;
      }
      mul *= 0x80;
    }
    return -1;
  }
  /** A varint {@link shortVarint} left (8 to 10 bytes), through `decodeVarint`'s BigInt path. */
  private longVarint(field: string, max: bigint): bigint {
    const { value, length } = decodeVarint(this.bytes, this.offset, field, max);
    this.offset += length;
    return value;
  }
  /** `varint u64 length ‖ bytes`, with the length bounded by `maxLength`. */
  readLengthPrefixed(field: string, maxLength: number): Uint8Array {
    const len = this.readVarintNumber(`${field}.length`, maxLength);
    return this.readBytes(len, field);
  }
  readU64BE(field: string): bigint {
    this.need(8, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 8;
    // by hand, not through a DataView: asking for the buffer of a small array moves it off the heap
    const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  expectEnd(field: string): void {
    if (this.remaining !== 0) throw new DecodeError(field, `${this.remaining} unexpected trailing bytes`);
  }
}

/** Growable output buffer for serializers. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = Math.max(64, this.buf.length * 2);
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  varint(v: number | bigint): this {
    if (typeof v === "number" && v >= 0 && v <= 0x7fff_ffff && Number.isInteger(v)) {
      // the common case (lengths, counts) written in place
      this.ensure(5);
      let x = v;
      while (x >= 0x80) {
        this.buf[this.len++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      this.buf[this.len++] = x;
      return this;
    }
    return this.bytes(encodeVarint(v));
  }
  lengthPrefixed(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }
  u64be(v: bigint | number): this {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setBigUint64(this.len, BigInt(v));
    this.len += 8;
    return this;
  }
  get length(): number {
    return this.len;
  }
  /** The bytes written (the writer's own buffer when it is exactly full: a later write reallocates). */
  finish(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}
