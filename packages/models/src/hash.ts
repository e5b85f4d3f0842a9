import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { createBLAKE3, type IHasher } from "hash-wasm";
import { base58DecodeInto, base58Encode } from "./base58.js";
import { blake3Short } from "./blake3-kernel.js";
import { DecodeError } from "./errors.js";
import { doubleSha256Head } from "./sha256.js";

/** Size of a Massa hash (BLAKE3-256) in bytes. */
export const HASH_SIZE = 32;

/**
 * BLAKE3 for inputs longer than a chunk (a block's operation list, bytecode): hash-wasm's WebAssembly build,
 * ~14× @noble/hashes here. Its loading is asynchronous: it starts when this module loads, and until it is
 * done (or if it fails) @noble/hashes answers, with the same bytes.
 */
let longHasher: IHasher | undefined;
const longHasherLoad: Promise<void> = createBLAKE3(256).then(
  (h) => {
    longHasher = h;
  },
  () => {},
);

/** Resolves once the WebAssembly BLAKE3 for long inputs is loaded (or could not be). */
export function blake3Loaded(): Promise<void> {
  return longHasherLoad;
}

/** BLAKE3-256 of `data` (Massa's `Hash::compute_from`). */
export function blake3(data: Uint8Array): Uint8Array {
  const short = blake3Short(data);
  if (short) return short;
  if (longHasher) {
    longHasher.init();
    longHasher.update(data);
    return longHasher.digest("binary");
  }
  return nobleBlake3(data);
}

/** BLAKE3 in extendable-output mode, `outputLength` bytes (the final-state hash uses 512). */
export function blake3Xof(data: Uint8Array, outputLength: number): Uint8Array {
  return nobleBlake3(data, { dkLen: outputLength });
}

/** BLAKE3 over `u64be(len) ‖ part` for each part (Massa's `Hash::compute_from_tuple`). */
export function blake3Tuple(parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += 8 + p.length;
  const buf = new Uint8Array(len);
  const view = new DataView(buf.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at + 4, p.length); // u64be: lengths are far below 2^32
    buf.set(p, at + 8);
    at += 8 + p.length;
  }
  return blake3(buf);
}

/** Payload and checksum of {@link encodeBs58Check} (up to 124 bytes of payload: every id, key, signature). */
const CHECKED = new Uint8Array(128);

/** Bitcoin-alphabet base58 with a 4-byte double-SHA-256 checksum (Rust `bs58::with_check`). */
export function encodeBs58Check(payload: Uint8Array): string {
  const sum = doubleSha256Head(payload);
  const len = payload.length + 4;
  const b = len <= CHECKED.length ? CHECKED.subarray(0, len) : new Uint8Array(len);
  b.set(payload);
  new DataView(b.buffer, b.byteOffset, len).setUint32(payload.length, sum);
  return base58Encode(b);
}

export function decodeBs58Check(text: string, field: string): Uint8Array {
  return decodeBs58CheckView(text, field).slice();
}

/** Scratch of {@link decodeBs58CheckView}: a base58 text of up to 200 characters is at most 200 bytes. */
const DECODED = new Uint8Array(200);

/**
 * The payload of base58check `text` (checksum checked) as a view of a scratch array, valid until the next
 * call: for callers that copy the part they keep (a signature's 64 bytes without the version) and so make
 * one small array on the V8 heap instead of two of more than 64 bytes off it.
 */
export function decodeBs58CheckView(text: string, field: string): Uint8Array {
  if (typeof text !== "string" || text.length === 0 || text.length > 200)
    throw new DecodeError(field, "bad base58check length");
  const n = base58DecodeInto(text, DECODED);
  if (n === -2) throw new DecodeError(field, "bad base58check length");
  if (n < 0) throw new DecodeError(field, "invalid base58check (a character outside the base58 alphabet)");
  if (n < 4) throw new DecodeError(field, "invalid base58check (shorter than its checksum)");
  const payload = DECODED.subarray(0, n - 4);
  const at = payload.length;
  const b = DECODED;
  const sum = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  if (sum !== doubleSha256Head(payload)) throw new DecodeError(field, "invalid base58check (bad checksum)");
  return payload;
}

/** Text form of a plain hash (e.g. `operation_merkle_root` in JSON): base58check of the 32 bytes. */
export function hashToString(hash: Uint8Array): string {
  return encodeBs58Check(hash);
}

export function hashFromString(text: string, field = "hash"): Uint8Array {
  const b = decodeBs58Check(text, field);
  if (b.length !== HASH_SIZE) throw new DecodeError(field, `expected ${HASH_SIZE} bytes, got ${b.length}`);
  return b;
}
