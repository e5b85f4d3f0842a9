import { DecodeError } from "./errors.js";

const U64_MAX = (1n << 64n) - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Unsigned LEB128 (Massa's `U64VarIntSerializer`), minimal form. */
export function encodeVarint(value: number | bigint): Uint8Array {
  // amounts in nanoMAS are bigints, most of them far below 2^53: written as numbers
  if (typeof value === "bigint" && value >= 0n && value <= SAFE_MAX) value = Number(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: ${value} is not a u64`);
    if (value < 0x80) return Uint8Array.of(value);
    let n = 1;
    for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
    const out = new Uint8Array(n);
    let v = value;
    for (let i = 0; i < n - 1; i++) {
      out[i] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[n - 1] = v;
    return out;
  }
  if (value < 0n || value > U64_MAX) throw new RangeError(`varint: ${value} is not a u64`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Length in bytes of the varint encoding of `value`. */
export function varintLength(value: number | bigint): number {
  let v = BigInt(value);
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/**
 * Decodes a minimal unsigned LEB128 at `offset`. Rejects non-minimal encodings, values above `max`
 * and encodings longer than 10 bytes. Returns the value and the number of bytes read.
 */
export function decodeVarint(
  bytes: Uint8Array,
  offset: number,
  field: string,
  max: bigint = U64_MAX,
): { value: bigint; length: number } {
  // up to 7 bytes (49 bits) in plain numbers: amounts and counts are mostly that short
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    const pos = offset + i;
    if (pos >= bytes.length) throw new DecodeError(field, "truncated varint");
    const b = bytes[pos]!;
    n += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new DecodeError(field, "non-minimal varint");
      const value = BigInt(n);
      if (value > max) throw new DecodeError(field, `value ${value} exceeds the maximum ${max}`);
      return { value, length: i + 1 };
    }
    mul *= 0x80;
  }
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const pos = offset + i;
    if (pos >= bytes.length) throw new DecodeError(field, "truncated varint");
    const b = bytes[pos]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new DecodeError(field, "non-minimal varint");
      if (result > max) throw new DecodeError(field, `value ${result} exceeds the maximum ${max}`);
      return { value: result, length: i + 1 };
    }
    shift += 7n;
  }
  throw new DecodeError(field, "varint longer than 10 bytes");
}
