import { BLAKE3_KERNEL_MAX_INPUT, blake3Kernel } from "@massa-ts/models/blake3-kernel";
import { newWasmMemory, type WasmMemory } from "@massa-ts/models/wasm";

/**
 * The per-entry step of the state hash: BLAKE3 extendable output, 512 bytes, XORed into an accumulator, by
 * the one-chunk WebAssembly kernel of models (`blake3-kernel.ts`). Inputs of one chunk (≤ 1024 bytes: every
 * ledger balance, PoS and executed-operation entry) are hashed there; longer ones (bytecode, large
 * datastore values) go to the general implementation.
 */

/** Largest input hashed by the kernel: one chunk. */
export const XOF_KERNEL_MAX_INPUT = BLAKE3_KERNEL_MAX_INPUT;

const ACC_AT = 0;
const IN_AT = 512;

/** One kernel instance with its memory: the accumulator at 0, the input at 512. */
export class Blake3XorKernel {
  private readonly memory: WasmMemory;
  private readonly fn: (input: number, len: number, acc: number) => void;
  private readonly bytes: Uint8Array;

  constructor() {
    this.memory = newWasmMemory(IN_AT + XOF_KERNEL_MAX_INPUT + 64);
    this.fn = blake3Kernel().instantiate(this.memory).xof512xor as (
      input: number,
      len: number,
      acc: number,
    ) => void;
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  /**
   * XORs BLAKE3-XOF-512 of `u64be(len k) ‖ k ‖ u64be(len v) ‖ v` into `acc` (512 bytes), for `value` and,
   * when given, `other` too (a put's old and new entry: the accumulator crosses into WebAssembly memory
   * once). Returns false, touching nothing, when an input is longer than one chunk.
   */
  xorEntry(acc: Uint8Array, key: Uint8Array, value: Uint8Array, other?: Uint8Array): boolean {
    if (16 + key.length + Math.max(value.length, other?.length ?? 0) > XOF_KERNEL_MAX_INPUT) return false;
    const b = this.bytes;
    b.set(acc, ACC_AT);
    this.fn(IN_AT, this.input(key, value), ACC_AT);
    if (other) this.fn(IN_AT, this.input(key, other), ACC_AT);
    acc.set(b.subarray(ACC_AT, ACC_AT + 512));
    return true;
  }

  /** Writes the zero-padded preimage at IN_AT; returns its length. */
  private input(key: Uint8Array, value: Uint8Array): number {
    const b = this.bytes;
    let at = IN_AT;
    at = writeLen(b, at, key.length);
    b.set(key, at);
    at = writeLen(b, at + key.length, value.length);
    b.set(value, at);
    at += value.length;
    const len = at - IN_AT;
    const end = IN_AT + (len <= 64 ? 64 : (len + 63) & ~63);
    for (; at < end; at++) b[at] = 0;
    return len;
  }
}

/** `u64be(n)` at `at` (lengths here are far below 2^32); returns the position after it. */
function writeLen(b: Uint8Array, at: number, n: number): number {
  b[at] = 0;
  b[at + 1] = 0;
  b[at + 2] = 0;
  b[at + 3] = 0;
  b[at + 4] = n >>> 24;
  b[at + 5] = (n >>> 16) & 0xff;
  b[at + 6] = (n >>> 8) & 0xff;
  b[at + 7] = n & 0xff;
  return at + 8;
}
