import { DecodeError } from "./errors.js";

/** Compares two byte arrays as unsigned bytes, shorter-prefix first. Returns -1, 0 or 1. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

type Slicer = (this: Uint8Array, start: number, end: number) => string;
const slicers = Buffer.prototype as unknown as { hexSlice?: Slicer; latin1Slice?: Slicer };

/**
 * `bytes` as text in `encoding`, by Node's decoder called on the array itself when it has one (no Buffer
 * view to build first: half the cost), else through a Buffer view.
 */
function decodeAs(bytes: Uint8Array, encoding: "hex" | "latin1", slicer: Slicer | undefined): string {
  return slicer
    ? slicer.call(bytes, 0, bytes.length)
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
}

export function toHex(bytes: Uint8Array): string {
  // one flat string (a `+=` loop builds a rope of one piece per byte: kept as a Map key, an id's 64 hex
  // characters held 32 string objects, ~1 KB, for every id the node remembers)
  return decodeAs(bytes, "hex", slicers.hexSlice);
}

/** One character per byte: a string whose order is the bytes' order (a key for maps and sorted lists). */
export function toLatin1(bytes: Uint8Array): string {
  return decodeAs(bytes, "latin1", slicers.latin1Slice);
}

/** Value of each ASCII hexadecimal digit (either case), −1 for every other character code below 128. */
const HEX_DIGIT = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/**
 * Bytes of a hexadecimal string (either case). One table lookup per digit: no regular expression, no
 * substring or `parseInt` per byte (this decodes ids kept as hex keys, on settling's path).
 */
export function fromHex(hex: string, field = "hex"): Uint8Array {
  if (hex.length % 2 !== 0) throw new DecodeError(field, "expected an even number of hexadecimal digits");
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) {
    // a code of 128 or more reads undefined from the table: `?? -1`
    const hi = HEX_DIGIT[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_DIGIT[hex.charCodeAt(2 * i + 1)] ?? -1;
    if ((hi | lo) < 0) throw new DecodeError(field, "expected an even number of hexadecimal digits");
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** u64 as 8 bytes big-endian. */
export function u64be(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** u32 as 4 bytes little-endian. */
export function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}
