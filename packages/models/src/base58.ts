// Base58 (Bitcoin alphabet), as Massa's `bs58` crate writes it: every id, key, address and signature in the
// API is one. The general radix conversion (one digit at a time over every byte) cost 6–10 µs for a
// signature, twice per submitted operation; this one converts five digits at a time over 16-bit limbs,
// in plain floating-point integers (every intermediate stays below 2^53).

import { toLatin1 } from "./bytes.js";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** 58^5: five base58 digits, the largest power of 58 whose product with a 16-bit limb stays exact. */
const CHUNK = 656_356_768;
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** Scratch space of {@link base58Encode} for inputs of up to 128 bytes (it allocates only the string). */
const LIMBS = new Uint32Array(64);
const TEXT = new Uint8Array(192);

/** Base58 text of `bytes`: one "1" per leading zero byte, then the number's digits. */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // the number as 16-bit limbs, most significant first
  const n = bytes.length - zeros;
  const count = (n + 1) >> 1;
  const limbs = count <= LIMBS.length ? LIMBS : new Uint32Array(count);
  // at most 1.37 digits a byte, in whole chunks of five, and the leading "1"s
  const size = zeros + 5 * Math.ceil((n * 1.38 + 1) / 5);
  const text = size <= TEXT.length ? TEXT : new Uint8Array(size);
  let j = 0;
  let i = zeros;
  if (n % 2 === 1) limbs[j++] = bytes[i++]!;
  for (; i < bytes.length; i += 2) limbs[j++] = (bytes[i]! << 8) | bytes[i + 1]!;
  // repeated division by 58^5: chunks of five digits, least significant first, written from the end
  let at = size;
  let start = 0;
  while (start < count) {
    let rem = 0;
    for (let k = start; k < count; k++) {
      const cur = rem * 65536 + limbs[k]!;
      const q = Math.floor(cur / CHUNK);
      rem = cur - q * CHUNK;
      limbs[k] = q;
    }
    for (let d = 0; d < 5; d++) {
      const q = Math.floor(rem / 58);
      text[--at] = CODES[rem - q * 58]!;
      rem = q;
    }
    while (start < count && limbs[start] === 0) start++;
  }
  // the top chunk's leading zero digits go; one "1" per leading zero byte comes first
  while (at < size && text[at] === 49) at++;
  for (let z = 0; z < zeros; z++) text[--at] = 49;
  return toLatin1(text.subarray(at, size));
}

/** Scratch limbs of {@link base58Decode} (texts of up to 170 digits); only the first `used` are read. */
const DECODE_LIMBS = new Uint32Array(64);

/** The bytes of base58 `text`, or null when a character is not in the alphabet. */
export function base58Decode(text: string): Uint8Array | null {
  const limbs = readDigits(text);
  if (limbs === null) return null;
  const out = new Uint8Array(decodedLength);
  writeBytes(limbs, out);
  return out;
}

/**
 * Decodes base58 `text` into the start of `out`: its length, or -1 when a character is not in the
 * alphabet, -2 when `out` is too short. For callers that keep only part of the bytes (a base58check's
 * payload without its checksum and version): a new array of more than 64 bytes lives off the V8 heap, an
 * allocation of its own for the collector to track, and a signature's text decodes to 69.
 */
export function base58DecodeInto(text: string, out: Uint8Array): number {
  const limbs = readDigits(text);
  if (limbs === null) return -1;
  if (decodedLength > out.length) return -2;
  out.fill(0, 0, decodedZeros);
  writeBytes(limbs, out);
  return decodedLength;
}

/** What {@link readDigits} read last: the text's leading "1"s, the top non-zero limb, the byte length. */
let decodedZeros = 0;
let decodedTop = -1;
let decodedLength = 0;

/** The number `text` writes, as 16-bit limbs (least significant first); null on a bad character. */
function readDigits(text: string): Uint32Array | null {
  let zeros = 0;
  while (zeros < text.length && text.charCodeAt(zeros) === 49 /* "1" */) zeros++;
  // at most 0.733 bytes a digit: 16-bit limbs enough for the whole text
  const need = ((text.length - zeros) * 0.74 + 2) >> 1 || 1;
  const limbs = need <= DECODE_LIMBS.length ? DECODE_LIMBS : new Uint32Array(need);
  let used = 0;
  for (let i = zeros; i < text.length; ) {
    const k = Math.min(5, text.length - i);
    let group = 0;
    let mul = 1;
    for (let t = 0; t < k; t++, i++) {
      const c = text.charCodeAt(i);
      const d = c < 128 ? DIGIT[c]! : -1;
      if (d < 0) return null;
      group = group * 58 + d;
      mul *= 58;
    }
    // limbs = limbs × 58^k + group
    let carry = group;
    for (let j = 0; j < used; j++) {
      const cur = limbs[j]! * mul + carry;
      carry = Math.floor(cur / 65536);
      limbs[j] = cur - carry * 65536;
    }
    while (carry > 0) {
      limbs[used++] = carry % 65536;
      carry = Math.floor(carry / 65536);
    }
  }
  let top = used - 1;
  while (top >= 0 && limbs[top] === 0) top--;
  decodedZeros = zeros;
  decodedTop = top;
  decodedLength = zeros + (top < 0 ? 0 : 2 * top + (limbs[top]! > 0xff ? 2 : 1));
  return limbs;
}

/** Big-endian bytes of the number read last, without its leading zero bytes, after the text's zeros. */
function writeBytes(limbs: Uint32Array, out: Uint8Array): void {
  let at = decodedLength - 1;
  for (let j = 0; j <= decodedTop; j++) {
    out[at--] = limbs[j]! & 0xff;
    if (at >= decodedZeros) out[at--] = limbs[j]! >> 8;
  }
}
