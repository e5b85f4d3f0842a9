// Base58 (Bitcoin alphabet), as Massa's `bs58` crate writes it: every id, key, address and signature in the
// API is one. The general radix conversion (one digit at a time over every byte) cost 6–10 µs for a
// signature, twice per submitted operation; this one converts five digits at a time over 16-bit limbs,
// in plain floating-point integers (every intermediate stays below 2^53).

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** 58^5: five base58 digits, the largest power of 58 whose product with a 16-bit limb stays exact. */
const CHUNK = 656_356_768;
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** Base58 text of `bytes`: one "1" per leading zero byte, then the number's digits. */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // the number as 16-bit limbs, most significant first
  const n = bytes.length - zeros;
  const limbs = new Uint32Array((n + 1) >> 1);
  let j = 0;
  let i = zeros;
  if (n % 2 === 1) limbs[j++] = bytes[i++]!;
  for (; i < bytes.length; i += 2) limbs[j++] = (bytes[i]! << 8) | bytes[i + 1]!;
  // repeated division by 58^5: chunks of five digits, least significant first
  const chunks: number[] = [];
  let start = 0;
  while (start < limbs.length) {
    let rem = 0;
    for (let k = start; k < limbs.length; k++) {
      const cur = rem * 65536 + limbs[k]!;
      const q = Math.floor(cur / CHUNK);
      rem = cur - q * CHUNK;
      limbs[k] = q;
    }
    chunks.push(rem);
    while (start < limbs.length && limbs[start] === 0) start++;
  }
  // digits, most significant first: five per chunk, the top chunk without its leading zeros
  const codes: number[] = [];
  for (let z = 0; z < zeros; z++) codes.push(49);
  for (let c = chunks.length - 1; c >= 0; c--) {
    let v = chunks[c]!;
    const at = codes.length;
    for (let d = 0; d < 5; d++) {
      const q = Math.floor(v / 58);
      codes.push(CODES[v - q * 58]!);
      v = q;
    }
    // the five just pushed are least significant first: reverse them in place
    for (let a = at, b = at + 4; a < b; a++, b--) {
      const t = codes[a]!;
      codes[a] = codes[b]!;
      codes[b] = t;
    }
    if (c === chunks.length - 1) {
      let lead = at;
      while (lead < codes.length && codes[lead] === 49) lead++;
      codes.splice(at, lead - at);
    }
  }
  return String.fromCharCode(...codes);
}

/** The bytes of base58 `text`, or null when a character is not in the alphabet. */
export function base58Decode(text: string): Uint8Array | null {
  let zeros = 0;
  while (zeros < text.length && text.charCodeAt(zeros) === 49 /* "1" */) zeros++;
  // the number as 16-bit limbs, least significant first
  // at most 0.733 bytes a digit: 16-bit limbs enough for the whole text
  const limbs = new Uint32Array(((text.length - zeros) * 0.74 + 2) >> 1 || 1);
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
  // big-endian bytes without the number's leading zero bytes, after the text's leading zeros
  let top = used - 1;
  while (top >= 0 && limbs[top] === 0) top--;
  const numberBytes = top < 0 ? 0 : 2 * top + (limbs[top]! > 0xff ? 2 : 1);
  const out = new Uint8Array(zeros + numberBytes);
  let at = out.length - 1;
  for (let j = 0; j <= top; j++) {
    out[at--] = limbs[j]! & 0xff;
    if (at >= zeros) out[at--] = limbs[j]! >> 8;
  }
  return out;
}
