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
   * XORs BLAKE3-XOF-512 of `u64be(len k) ‖ k ‖ u64be(len v) ‖ v` into `acc` (512 bytes). Returns false,
   * touching nothing, when the input is longer than one chunk.
   */
  xorEntry(acc: Uint8Array, key: Uint8Array, value: Uint8Array): boolean {
    const len = 16 + key.length + value.length;
    if (len > XOF_KERNEL_MAX_INPUT) return false;
    const b = this.bytes;
    let at = IN_AT;
    b.fill(0, at, at + 8);
    writeLen(b, at + 4, key.length);
    b.set(key, at + 8);
    at += 8 + key.length;
    b.fill(0, at, at + 8);
    writeLen(b, at + 4, value.length);
    b.set(value, at + 8);
    at += 8 + value.length;
    const padded = Math.max(64, Math.ceil(len / 64) * 64);
    b.fill(0, at, IN_AT + padded);
    b.set(acc, ACC_AT);
    this.fn(IN_AT, len, ACC_AT);
    acc.set(b.subarray(ACC_AT, ACC_AT + 512));
    return true;
  }
}

/** Low 32 bits of a big-endian u64 length (lengths here are far below 2^32). */
function writeLen(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}
