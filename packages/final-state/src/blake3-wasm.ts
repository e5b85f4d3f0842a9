import {
  BLAKE3_KERNEL_MAX_INPUT,
  blake3Kernel,
  blake3SimdKernel,
  interleavedOffset,
} from "@massa-ts/models/blake3-kernel";
import { newWasmMemory, type WasmMemory } from "@massa-ts/models/wasm";

/**
 * The per-entry step of the state hash: BLAKE3 extendable output, 512 bytes, XORed into an accumulator, by
 * the one-chunk WebAssembly kernel of models (`blake3-kernel.ts`). Inputs of one chunk (≤ 1024 bytes: every
 * ledger balance, PoS and executed-operation entry) are staged in the kernel's memory and hashed in
 * batches, one call for many entries (the call and the accumulator's copies in and out cost as much as a
 * third of an entry each); longer ones (bytecode, large datastore values) go to the general implementation.
 * Where WebAssembly has SIMD (every engine Node 20 ships), the kernel's SIMD batch computes the root's
 * output blocks four at a time into an accumulator laid out lane by lane; the copies in and out of the
 * kernel's memory convert between that layout and the plain one.
 */

/** For each of the 128 words of the plain accumulator (block t, word w at 64 t + 4 w), its SIMD offset. */
const INTERLEAVED = Array.from({ length: 128 }, (_, i) => interleavedOffset(i >> 4, i & 15));

/** Largest input hashed by the kernel: one chunk. */
export const XOF_KERNEL_MAX_INPUT = BLAKE3_KERNEL_MAX_INPUT;

const ACC_AT = 0;
/** Entries staged at most before a batch runs. */
const MAX_ENTRIES = 256;
const TABLE_AT = 512;
const IN_AT = TABLE_AT + 8 * MAX_ENTRIES;
/** Bytes of staged inputs before a batch runs (room for one more input of a whole chunk is kept). */
const STAGE_BYTES = 64 * 1024;

/** One kernel instance with its memory: the accumulator at 0, the batch's table, then its inputs. */
export class Blake3XorKernel {
  private readonly memory: WasmMemory;
  private readonly batch: (table: number, count: number, acc: number) => void;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** The accumulator the staged entries belong to (null: nothing staged). */
  private owner: Uint8Array | null = null;
  private count = 0;
  private at = IN_AT;

  /** Whether the batch is the SIMD one (its accumulator interleaved). */
  readonly simd: boolean;

  /** `simd: false` forces the scalar kernel (tests compare both with the reference). */
  constructor(opts: { simd?: boolean } = {}) {
    this.memory = newWasmMemory(IN_AT + STAGE_BYTES + XOF_KERNEL_MAX_INPUT + 64);
    const simd = opts.simd === false ? null : blake3SimdKernel();
    this.simd = simd !== null;
    this.batch = (simd ?? blake3Kernel()).instantiate(this.memory).xof512xorBatch as (
      table: number,
      count: number,
      acc: number,
    ) => void;
    this.bytes = new Uint8Array(this.memory.buffer);
    this.view = new DataView(this.memory.buffer);
  }

  /**
   * Stages BLAKE3-XOF-512 of `u64be(len k) ‖ k ‖ u64be(len v) ‖ v` to be XORed into `acc` (512 bytes) at the
   * next {@link flush} (a batch also runs when the stage is full, or when entries for another accumulator
   * come). Returns false, staging nothing, when the input is longer than one chunk.
   */
  xorEntry(acc: Uint8Array, key: Uint8Array, value: Uint8Array): boolean {
    const len = 16 + key.length + value.length;
    if (len > XOF_KERNEL_MAX_INPUT) return false;
    if (this.owner !== acc) {
      this.flush();
      this.owner = acc;
    }
    const b = this.bytes;
    const start = this.at;
    let at = writeLen(b, start, key.length);
    b.set(key, at);
    at = writeLen(b, at + key.length, value.length);
    b.set(value, at);
    at += value.length;
    const end = start + (len <= 64 ? 64 : (len + 63) & ~63);
    for (; at < end; at++) b[at] = 0;
    const t = TABLE_AT + 8 * this.count;
    this.view.setUint32(t, start, true);
    this.view.setUint32(t + 4, len, true);
    this.count++;
    this.at = end;
    if (this.count === MAX_ENTRIES || this.at > IN_AT + STAGE_BYTES) this.flush();
    return true;
  }

  /** Runs the staged entries into their accumulator (when `acc` is given: only if they are its). */
  flush(acc?: Uint8Array): void {
    const owner = this.owner;
    if (owner === null || (acc !== undefined && acc !== owner)) return;
    if (this.count > 0) {
      const b = this.bytes;
      if (this.simd) {
        for (let i = 0; i < 128; i++) copyWord(owner, 4 * i, b, ACC_AT + INTERLEAVED[i]!);
        this.batch(TABLE_AT, this.count, ACC_AT);
        for (let i = 0; i < 128; i++) copyWord(b, ACC_AT + INTERLEAVED[i]!, owner, 4 * i);
      } else {
        b.set(owner, ACC_AT);
        this.batch(TABLE_AT, this.count, ACC_AT);
        owner.set(b.subarray(ACC_AT, ACC_AT + 512));
      }
    }
    this.owner = null;
    this.count = 0;
    this.at = IN_AT;
  }
}

/** The 4 bytes of `src` at `from` to `dst` at `to`. */
function copyWord(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  dst[to] = src[from]!;
  dst[to + 1] = src[from + 1]!;
  dst[to + 2] = src[from + 2]!;
  dst[to + 3] = src[from + 3]!;
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
