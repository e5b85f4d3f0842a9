import { newWasmMemory, Op, SimdOp, uleb, WasmKernel, type WasmMemory, WasmType, wasm } from "./wasm.js";

/**
 * BLAKE3 of one chunk (inputs of at most 1 024 bytes) as WebAssembly functions assembled at load (see
 * `wasm.ts`): ids, addresses and the state hash's entries are all that short, and the kernel hashes them
 * several times faster than the JavaScript implementation, which stays for longer inputs. Specification:
 * the BLAKE3 paper, §2 (compression, chunk chaining, root output with the output block counter).
 *
 * - `hash256(input, len, out)`: the 32-byte hash of the `len` bytes at `input` into `out`.
 * - `xof512xorBatch(table, count, acc)`: for each of `count` inputs listed at `table` (pointer, length),
 *   the first 512 bytes of the extendable output XORed into the 512 bytes at `acc` (the final state's
 *   hash step).
 * - the same batch with SIMD (`blake3SimdKernel`): the eight output blocks of the root differ only in
 *   their counter, so four run at once in the four i32 lanes of a v128, and their words are XORed into an
 *   accumulator kept lane by lane ({@link interleavedOffset}) instead of block by block.
 * In both, the input is zero-padded to a multiple of 64 bytes (at least 64).
 */

const IV = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
] as const;
const MSG_PERMUTATION = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8] as const;
const CHUNK_END = 2;
const ROOT = 8;
/** Largest input hashed by the kernel: one chunk. */
export const BLAKE3_KERNEL_MAX_INPUT = 1024;

const { get, set, tee, i32, mem } = wasm;
const { i32: T } = WasmType;

// locals: params 0..2, then v0..v15, m0..m15, cv0..cv7, then scalars
const P_IN = 0;
const P_LEN = 1;
const P_OUT = 2;
const V = (i: number) => 3 + i;
const M = (i: number) => 19 + i;
const CV = (i: number) => 35 + i;
const L_BLK = 43;
const L_NBLOCKS = 44;
const L_T = 45;
const L_FLAGS = 46;
const L_BLEN = 47;
const L_P = 48;
const L_Q = 49;
const L_TABLE = 50;
const L_COUNT = 51;

const add = Op.i32_add;
const xor = Op.i32_xor;
const rotr = (n: number) => [...i32(n), Op.i32_rotr];

/** The quarter-round G on state words a, b, c, d with message locals x, y. */
function g(a: number, b: number, c: number, d: number, x: number, y: number): number[] {
  return [
    ...[...get(V(a)), ...get(V(b)), add, ...get(x), add, ...set(V(a))],
    ...[...get(V(d)), ...get(V(a)), xor, ...rotr(16), ...set(V(d))],
    ...[...get(V(c)), ...get(V(d)), add, ...set(V(c))],
    ...[...get(V(b)), ...get(V(c)), xor, ...rotr(12), ...set(V(b))],
    ...[...get(V(a)), ...get(V(b)), add, ...get(y), add, ...set(V(a))],
    ...[...get(V(d)), ...get(V(a)), xor, ...rotr(8), ...set(V(d))],
    ...[...get(V(c)), ...get(V(d)), add, ...set(V(c))],
    ...[...get(V(b)), ...get(V(c)), xor, ...rotr(7), ...set(V(b))],
  ];
}

/**
 * The compression function on cv (locals), the message in m (locals), counter low word from `counter`
 * (high word 0), block length and flags from locals; leaves the 16-word state in v. The message
 * permutation is applied at assembly time by renaming locals.
 */
function compress(counter: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(...get(CV(i)), ...set(V(i)));
  for (let i = 0; i < 4; i++) out.push(...i32(IV[i]!), ...set(V(8 + i)));
  out.push(...counter, ...set(V(12)), ...i32(0), ...set(V(13)));
  out.push(...get(L_BLEN), ...set(V(14)), ...get(L_FLAGS), ...set(V(15)));
  out.push(...rounds(g));
  return out;
}

/**
 * The seven rounds of the compression with `gOn` as the quarter-round (scalar or SIMD) on state words
 * a, b, c, d and message locals x, y: columns then diagonals, the message permuted between rounds by
 * renaming its locals.
 */
function rounds(
  gOn: (a: number, b: number, c: number, d: number, x: number, y: number) => number[],
): number[] {
  const out: number[] = [];
  let s = Array.from({ length: 16 }, (_, i) => M(i));
  for (let r = 0; r < 7; r++) {
    out.push(...gOn(0, 4, 8, 12, s[0]!, s[1]!), ...gOn(1, 5, 9, 13, s[2]!, s[3]!));
    out.push(...gOn(2, 6, 10, 14, s[4]!, s[5]!), ...gOn(3, 7, 11, 15, s[6]!, s[7]!));
    out.push(...gOn(0, 5, 10, 15, s[8]!, s[9]!), ...gOn(1, 6, 11, 12, s[10]!, s[11]!));
    out.push(...gOn(2, 7, 8, 13, s[12]!, s[13]!), ...gOn(3, 4, 9, 14, s[14]!, s[15]!));
    s = MSG_PERMUTATION.map((k) => s[k]!);
  }
  return out;
}

const loadMessage: number[] = Array.from({ length: 16 }, (_, i) => [
  ...get(L_P),
  ...mem(Op.i32_load, 2, 4 * i),
  ...set(M(i)),
]).flat();

/** Initial chaining value, then every block but the last chained; leaves the last block's position. */
const chainBlocks: number[] = [
  ...Array.from({ length: 8 }, (_, i) => [...i32(IV[i]!), ...set(CV(i))]).flat(),
  // nblocks = max(1, ceil(len / 64))
  ...[...get(P_LEN), ...i32(63), add, ...i32(6), Op.i32_shr_u, ...tee(L_NBLOCKS)],
  ...[Op.i32_eqz, Op.if, WasmType.void, ...i32(1), ...set(L_NBLOCKS), Op.end],
  ...[...i32(0), ...set(L_BLK), ...get(P_IN), ...set(L_P), ...i32(64), ...set(L_BLEN)],
  // every block but the last: chain
  Op.block,
  WasmType.void,
  Op.loop,
  WasmType.void,
  ...[...get(L_BLK), ...i32(1), add, ...get(L_NBLOCKS), Op.i32_ge_u, Op.br_if, 1],
  ...loadMessage,
  ...[...get(L_BLK), Op.i32_eqz, ...set(L_FLAGS)], // CHUNK_START (1) on the first block: i32.eqz of its index
  ...compress(i32(0)),
  ...Array.from({ length: 8 }, (_, i) => [...get(V(i)), ...get(V(8 + i)), xor, ...set(CV(i))]).flat(),
  ...[...get(L_BLK), ...i32(1), add, ...set(L_BLK)],
  ...[...get(L_P), ...i32(64), add, ...set(L_P)],
  ...[Op.br, 0],
  Op.end,
  Op.end,
];

/** The last block's length and flags (CHUNK_START too when it is the first). */
const lastBlock: number[] = [
  ...loadMessage,
  ...[...get(P_LEN), ...get(L_BLK), ...i32(6), Op.i32_shl, Op.i32_sub, ...set(L_BLEN)],
  ...[...get(L_BLK), Op.i32_eqz, ...i32(CHUNK_END | ROOT), Op.i32_or, ...set(L_FLAGS)],
];

/** The root compression at counter 0; the hash is its first 8 output words. */
const rootHash256: number[] = [
  ...compress(i32(0)),
  ...Array.from({ length: 8 }, (_, i) => [
    ...get(P_OUT),
    ...[...get(V(i)), ...get(V(8 + i)), xor],
    ...mem(Op.i32_store, 2, 4 * i),
  ]).flat(),
  Op.end,
];

/** The last block as the root: 8 output blocks (counter t), XORed into the accumulator at `acc` (a loop body of the batch). */
const rootXof512Xor: number[] = [
  ...[...i32(0), ...set(L_T), ...get(P_OUT), ...set(L_Q)],
  Op.loop,
  WasmType.void,
  ...compress(get(L_T)),
  ...Array.from({ length: 8 }, (_, i) => [
    ...get(L_Q),
    ...[...get(L_Q), ...mem(Op.i32_load, 2, 4 * i), ...get(V(i)), xor, ...get(V(8 + i)), xor],
    ...mem(Op.i32_store, 2, 4 * i),
    ...get(L_Q),
    ...[...get(L_Q), ...mem(Op.i32_load, 2, 32 + 4 * i), ...get(V(8 + i)), xor, ...get(CV(i)), xor],
    ...mem(Op.i32_store, 2, 32 + 4 * i),
  ]).flat(),
  ...[...get(L_Q), ...i32(64), add, ...set(L_Q)],
  ...[...get(L_T), ...i32(1), add, ...tee(L_T), ...i32(8), Op.i32_lt_u, Op.br_if, 0],
  Op.end,
  Op.end,
];

/**
 * `xof512xorBatch(table, count, acc)`: the chunk and root XOF steps for each of `count` inputs listed at
 * `table` as (input pointer, length) pairs of u32 (little-endian), all into the same accumulator: one call
 * for many entries. `root` is the root stage (scalar or SIMD), without a function end.
 */
function batchXof512Xor(root: readonly number[]): number[] {
  return [
    ...[...get(P_IN), ...set(L_TABLE), ...get(P_LEN), ...set(L_COUNT)],
    Op.block,
    WasmType.void,
    Op.loop,
    WasmType.void,
    ...[...get(L_COUNT), Op.i32_eqz, Op.br_if, 1],
    ...[...get(L_TABLE), ...mem(Op.i32_load, 2, 0), ...set(P_IN)],
    ...[...get(L_TABLE), ...mem(Op.i32_load, 2, 4), ...set(P_LEN)],
    ...chainBlocks,
    ...lastBlock,
    ...root,
    ...[...get(L_TABLE), ...i32(8), add, ...set(L_TABLE)],
    ...[...get(L_COUNT), ...i32(1), Op.i32_sub, ...set(L_COUNT)],
    ...[Op.br, 0],
    Op.end,
    Op.end,
    Op.end,
  ];
}

// ---- SIMD: the root's eight output blocks four at a time ----

const { simd } = wasm;
/**
 * v128 locals after the 49 i32 ones of the batch: the state, four lanes for four counters. The message
 * words stay scalar and are splatted where used (fewer live vectors than the 16 x64 has registers for).
 */
const SV = (i: number) => 52 + i;
const vadd = simd(SimdOp.i32x4_add);
const splat = simd(SimdOp.i32x4_splat);
const vxor = simd(SimdOp.v128_xor);
/** Each i32 lane rotated right by 16 or 8: a byte shuffle (lanes are little-endian). */
const laneShuffle = (bytes: readonly number[]) =>
  simd(SimdOp.i8x16_shuffle, ...[0, 1, 2, 3].flatMap((lane) => bytes.map((b) => 4 * lane + b)));
const vrotr16 = laneShuffle([2, 3, 0, 1]);
const vrotr8 = laneShuffle([1, 2, 3, 0]);
/** Rotation of the v128 local `l` right by `n` (12 or 7): two shifts and an or. */
const vrotr = (l: number, n: number) => [
  ...get(l),
  ...i32(n),
  ...simd(SimdOp.i32x4_shr_u),
  ...get(l),
  ...i32(32 - n),
  ...simd(SimdOp.i32x4_shl),
  ...simd(SimdOp.v128_or),
];

function gSimd(a: number, b: number, c: number, d: number, x: number, y: number): number[] {
  const [A, B, C, D] = [SV(a), SV(b), SV(c), SV(d)];
  return [
    ...[...get(A), ...get(B), ...vadd, ...get(x), ...splat, ...vadd, ...set(A)],
    ...[...get(D), ...get(A), ...vxor, ...tee(D), ...get(D), ...vrotr16, ...set(D)],
    ...[...get(C), ...get(D), ...vadd, ...set(C)],
    ...[...get(B), ...get(C), ...vxor, ...set(B), ...vrotr(B, 12), ...set(B)],
    ...[...get(A), ...get(B), ...vadd, ...get(y), ...splat, ...vadd, ...set(A)],
    ...[...get(D), ...get(A), ...vxor, ...tee(D), ...get(D), ...vrotr8, ...set(D)],
    ...[...get(C), ...get(D), ...vadd, ...set(C)],
    ...[...get(B), ...get(C), ...vxor, ...set(B), ...vrotr(B, 7), ...set(B)],
  ];
}

/**
 * The root block (message in M, chaining value in CV, length and flags in their locals) compressed for
 * counters 0..7, four lanes at a time, each output word XORed into the interleaved accumulator at P_OUT.
 */
const rootXof512XorSimd: number[] = [
  ...[...i32(0), ...set(L_T), ...get(P_OUT), ...set(L_Q)],
  Op.loop,
  WasmType.void,
  ...Array.from({ length: 8 }, (_, i) => [...get(CV(i)), ...simd(SimdOp.i32x4_splat), ...set(SV(i))]).flat(),
  ...Array.from({ length: 4 }, (_, i) => [
    ...i32(IV[i]!),
    ...simd(SimdOp.i32x4_splat),
    ...set(SV(8 + i)),
  ]).flat(),
  // counters t .. t + 3 (high words 0)
  ...[...wasm.i32x4([0, 1, 2, 3]), ...get(L_T), ...simd(SimdOp.i32x4_splat), ...vadd, ...set(SV(12))],
  ...[...wasm.i32x4([0, 0, 0, 0]), ...set(SV(13))],
  ...[...get(L_BLEN), ...simd(SimdOp.i32x4_splat), ...set(SV(14))],
  ...[...get(L_FLAGS), ...simd(SimdOp.i32x4_splat), ...set(SV(15))],
  ...rounds(gSimd),
  // word i of the four blocks: v[i] ^ v[i + 8]; word 8 + i: v[i + 8] ^ cv[i]
  ...Array.from({ length: 8 }, (_, i) => [
    ...get(L_Q),
    ...[...get(L_Q), ...simd(SimdOp.v128_load, 4, ...uleb(16 * i)), ...get(SV(i)), ...vxor],
    ...[...get(SV(8 + i)), ...vxor, ...simd(SimdOp.v128_store, 4, ...uleb(16 * i))],
    ...get(L_Q),
    ...[...get(L_Q), ...simd(SimdOp.v128_load, 4, ...uleb(128 + 16 * i)), ...get(SV(8 + i)), ...vxor],
    ...[...get(CV(i)), ...simd(SimdOp.i32x4_splat), ...vxor],
    ...simd(SimdOp.v128_store, 4, ...uleb(128 + 16 * i)),
  ]).flat(),
  ...[...get(L_Q), ...i32(256), add, ...set(L_Q)],
  ...[...get(L_T), ...i32(4), add, ...tee(L_T), ...i32(8), Op.i32_lt_u, Op.br_if, 0],
  Op.end,
];

/**
 * Where word `w` (0..15, of 4 bytes) of output block `t` (0..7) sits in the SIMD kernel's accumulator:
 * blocks 0..3 then 4..7, each word as one v128 of the four blocks' values. The plain layout has it at
 * `64 t + 4 w`.
 */
export function interleavedOffset(t: number, w: number): number {
  return 256 * (t >> 2) + 16 * w + 4 * (t & 3);
}

let kernel: WasmKernel | null = null;
let simdKernel: WasmKernel | null | false = null;

/** The compiled module (once per thread); bind it to a memory with `instantiate`. */
export function blake3Kernel(): WasmKernel {
  kernel ??= new WasmKernel([
    {
      name: "hash256",
      params: [T, T, T],
      results: [],
      locals: [[47, T]] as [number, number][],
      body: [...chainBlocks, ...lastBlock, ...rootHash256],
    },
    {
      name: "xof512xorBatch",
      params: [T, T, T],
      results: [],
      locals: [[49, T]] as [number, number][],
      body: batchXof512Xor(rootXof512Xor.slice(0, -1)), // the root stage without the function's end
    },
  ]);
  return kernel;
}

/**
 * The SIMD batch: `xof512xorBatch(table, count, acc)` as in {@link blake3Kernel}, with `acc` in the
 * interleaved layout ({@link interleavedOffset}). Null where the engine has no WebAssembly SIMD.
 */
export function blake3SimdKernel(): WasmKernel | null {
  if (simdKernel === null) {
    try {
      simdKernel = new WasmKernel([
        {
          name: "xof512xorBatch",
          params: [T, T, T],
          results: [],
          locals: [
            [49, T],
            [16, WasmType.v128],
          ] as [number, number][],
          body: batchXof512Xor(rootXof512XorSimd),
        },
      ]);
    } catch {
      simdKernel = false;
    }
  }
  return simdKernel === false ? null : simdKernel;
}

const OUT_AT = 0;
const IN_AT = 64;
let hasher: { fn: (input: number, len: number, out: number) => void; bytes: Uint8Array } | null | false =
  null;

/**
 * BLAKE3-256 of `data` with the kernel, or null when `data` is longer than one chunk (the caller uses the
 * general implementation).
 */
export function blake3Short(data: Uint8Array): Uint8Array | null {
  const len = data.length;
  if (len > BLAKE3_KERNEL_MAX_INPUT || hasher === false) return null;
  if (hasher === null) {
    try {
      const memory: WasmMemory = newWasmMemory(IN_AT + BLAKE3_KERNEL_MAX_INPUT + 64);
      const fn = blake3Kernel().instantiate(memory).hash256 as (
        input: number,
        len: number,
        out: number,
      ) => void;
      hasher = { fn, bytes: new Uint8Array(memory.buffer) };
    } catch {
      hasher = false; // no WebAssembly here (or a host that refuses to compile it): the general code
      return null;
    }
  }
  const b = hasher.bytes;
  b.set(data, IN_AT);
  const padded = len <= 64 ? 64 : (len + 63) & ~63;
  b.fill(0, IN_AT + len, IN_AT + padded);
  hasher.fn(IN_AT, len, OUT_AT);
  return b.slice(OUT_AT, OUT_AT + 32);
}
