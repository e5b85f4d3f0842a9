import {
  newWasmMemory,
  Op,
  WASM_PAGE,
  WasmKernel,
  type WasmMemory,
  WasmType,
  wasm,
} from "@massa-ts/models/wasm";

/**
 * The sampling kernel of {@link WeightedAliasIndex} as a small WebAssembly function, assembled here from
 * the instruction list below (no toolchain, no binary in the repository). WebAssembly has native u64
 * arithmetic, which JavaScript lacks: Xoshiro256++ and rand's 64×64→128 widening multiply become a few
 * instructions each instead of 16-bit limb products on doubles.
 *
 * `sample(state, n, izone, sum, zone, table, out, count)`:
 * - `state`: byte offset of the generator state, four u64 little-endian (s0..s3), read and written back;
 * - `n`, `izone`: the `Uniform<u32>::new(0, n)` range and its accept zone for the low 32 bits;
 * - `sum`, `zone`: the `Uniform<u64>::new(0, sum)` range and its accept zone for the low 64 bits;
 * - `table`: byte offset of n 16-byte columns `{ odds: f64, alias: u32, pad: u32 }` (odds ≤ sum ≤ 2^53,
 *   so an f64 holds them exactly and the comparison with the sampled weight is exact);
 * - `out`, `count`: where to write `count` u32 samples.
 */

const {
  block: BLOCK,
  loop: LOOP,
  end: END,
  br: BR,
  br_if: BR_IF,
  select: SELECT,
  local_tee: LOCAL_TEE,
  i32_load: I32_LOAD,
  i64_load: I64_LOAD,
  f64_load: F64_LOAD,
  i32_store: I32_STORE,
  i64_store: I64_STORE,
  i32_ge_u: I32_GE_U,
  i32_gt_u: I32_GT_U,
  i64_gt_u: I64_GT_U,
  f64_lt: F64_LT,
  i32_add: I32_ADD,
  i32_mul: I32_MUL,
  i64_add: I64_ADD,
  i64_mul: I64_MUL,
  i64_and: I64_AND,
  i64_or: I64_OR,
  i64_xor: I64_XOR,
  i64_shl: I64_SHL,
  i64_shr_u: I64_SHR_U,
  i64_rotl: I64_ROTL,
  i32_wrap_i64: I32_WRAP_I64,
  i64_extend_i32_u: I64_EXTEND_I32_U,
  f64_convert_i64_u: F64_CONVERT_I64_U,
} = Op;
const { void: VOID, i32: T_I32, i64: T_I64 } = WasmType;
const { get, set, i32: i32c, i64: i64c, mem } = wasm;

// Parameters (locals 0..7) then locals.
const P_STATE = 0;
const P_N = 1;
const P_IZONE = 2;
const P_SUM = 3;
const P_ZONE = 4;
const P_TABLE = 5;
const P_OUT = 6;
const P_COUNT = 7;
const L_S0 = 8; // i64 locals 8..17
const L_S1 = 9;
const L_S2 = 10;
const L_S3 = 11;
const L_V = 12;
const L_M = 13;
const L_LL = 14;
const L_LH = 15;
const L_HL = 16;
const L_MID = 17;
const L_C = 18; // i32 locals 18..19
const L_END = 19;

/** Xoshiro256++ `next_u64` into L_V. */
const next: number[] = [
  // v = rotl(s0 + s3, 23) + s0
  ...get(L_S0),
  ...get(L_S3),
  I64_ADD,
  ...i64c(23n),
  I64_ROTL,
  ...get(L_S0),
  I64_ADD,
  ...set(L_V),
  // m = s1 << 17 (m is free here)
  ...get(L_S1),
  ...i64c(17n),
  I64_SHL,
  ...set(L_M),
  ...[...get(L_S2), ...get(L_S0), I64_XOR, ...set(L_S2)],
  ...[...get(L_S3), ...get(L_S1), I64_XOR, ...set(L_S3)],
  ...[...get(L_S1), ...get(L_S2), I64_XOR, ...set(L_S1)],
  ...[...get(L_S0), ...get(L_S3), I64_XOR, ...set(L_S0)],
  ...[...get(L_S2), ...get(L_M), I64_XOR, ...set(L_S2)],
  ...[...get(L_S3), ...i64c(45n), I64_ROTL, ...set(L_S3)],
];

const LO32 = 0xffff_ffffn;

const body: number[] = [
  // load the state
  ...[...get(P_STATE), ...mem(I64_LOAD, 3, 0), ...set(L_S0)],
  ...[...get(P_STATE), ...mem(I64_LOAD, 3, 8), ...set(L_S1)],
  ...[...get(P_STATE), ...mem(I64_LOAD, 3, 16), ...set(L_S2)],
  ...[...get(P_STATE), ...mem(I64_LOAD, 3, 24), ...set(L_S3)],
  // end = out + 4 · count
  ...[...get(P_OUT), ...get(P_COUNT), ...i32c(4), I32_MUL, I32_ADD, ...set(L_END)],
  BLOCK,
  VOID,
  LOOP,
  VOID,
  ...[...get(P_OUT), ...get(L_END), I32_GE_U, BR_IF, 1],
  // ---- index: Uniform<u32>::new(0, n) on next_u64 >> 32 ----
  LOOP,
  VOID,
  ...next,
  ...[...get(L_V), ...i64c(32n), I64_SHR_U, ...get(P_N), I64_EXTEND_I32_U, I64_MUL, LOCAL_TEE, L_M],
  ...[I32_WRAP_I64, ...get(P_IZONE), I32_GT_U, BR_IF, 0],
  END,
  ...[...get(L_M), ...i64c(32n), I64_SHR_U, I32_WRAP_I64, ...set(L_C)],
  // ---- weight: Uniform<u64>::new(0, sum) on next_u64, 128-bit product from 32-bit halves ----
  LOOP,
  VOID,
  ...next,
  ...[...get(L_V), ...i64c(LO32), I64_AND, ...get(P_SUM), ...i64c(LO32), I64_AND, I64_MUL, ...set(L_LL)],
  ...[...get(L_V), ...i64c(LO32), I64_AND, ...get(P_SUM), ...i64c(32n), I64_SHR_U, I64_MUL, ...set(L_LH)],
  ...[...get(L_V), ...i64c(32n), I64_SHR_U, ...get(P_SUM), ...i64c(LO32), I64_AND, I64_MUL, ...set(L_HL)],
  // mid = (ll >> 32) + (lh & M) + (hl & M)   (< 3 · 2^32: no overflow)
  ...[...get(L_LL), ...i64c(32n), I64_SHR_U, ...get(L_LH), ...i64c(LO32), I64_AND, I64_ADD],
  ...[...get(L_HL), ...i64c(LO32), I64_AND, I64_ADD, ...set(L_MID)],
  // low 64 bits = (mid << 32) | (ll & M); rejected above the zone
  ...[...get(L_MID), ...i64c(32n), I64_SHL, ...get(L_LL), ...i64c(LO32), I64_AND, I64_OR],
  ...[...get(P_ZONE), I64_GT_U, BR_IF, 0],
  END,
  // high 64 bits = vh·sh + (lh >> 32) + (hl >> 32) + (mid >> 32), kept in L_M
  ...[...get(L_V), ...i64c(32n), I64_SHR_U, ...get(P_SUM), ...i64c(32n), I64_SHR_U, I64_MUL],
  ...[...get(L_LH), ...i64c(32n), I64_SHR_U, I64_ADD, ...get(L_HL), ...i64c(32n), I64_SHR_U, I64_ADD],
  ...[...get(L_MID), ...i64c(32n), I64_SHR_U, I64_ADD, ...set(L_M)],
  // *out = weight < odds[c] ? c : alias[c]; the column address is table + 16c, reusing L_C once c is on the stack
  ...get(P_OUT),
  ...get(L_C),
  ...[...get(P_TABLE), ...get(L_C), ...i32c(16), I32_MUL, I32_ADD, LOCAL_TEE, L_C, ...mem(I32_LOAD, 2, 8)],
  ...[...get(L_M), F64_CONVERT_I64_U, ...get(L_C), ...mem(F64_LOAD, 3, 0), F64_LT],
  SELECT,
  ...mem(I32_STORE, 2, 0),
  ...[...get(P_OUT), ...i32c(4), I32_ADD, ...set(P_OUT)],
  BR,
  0,
  END,
  END,
  // store the state back
  ...[...get(P_STATE), ...get(L_S0), ...mem(I64_STORE, 3, 0)],
  ...[...get(P_STATE), ...get(L_S1), ...mem(I64_STORE, 3, 8)],
  ...[...get(P_STATE), ...get(L_S2), ...mem(I64_STORE, 3, 16)],
  ...[...get(P_STATE), ...get(L_S3), ...mem(I64_STORE, 3, 24)],
  END,
];

let kernel: WasmKernel | null = null;

type SampleFn = (
  state: number,
  n: number,
  izone: number,
  sum: bigint,
  zone: bigint,
  table: number,
  out: number,
  count: number,
) => void;

/** Byte offsets in a {@link WasmSampler}'s memory. */
const STATE_AT = 0;
const TABLE_AT = 64;
const PAGE = WASM_PAGE;

/**
 * One memory kept per thread between tables: a cycle's draws build one table, sample it and drop it, so
 * the next cycle reuses the memory instead of page-faulting a fresh one (about 5 ms for 1 000 000 stakers).
 */
let spare: WasmMemory | null = null;

function memoryFor(bytes: number): WasmMemory {
  const pages = Math.ceil(bytes / PAGE);
  const m = spare;
  spare = null;
  if (m === null) return newWasmMemory(pages * PAGE);
  const have = m.buffer.byteLength / PAGE;
  if (have < pages) m.grow(pages - have);
  return m;
}

/**
 * One alias table in WebAssembly memory: the builder writes odds/aliases straight into {@link odds} /
 * {@link aliases} (strided views: column i is `odds[2i]`, `aliases[4i + 2]`). {@link release} hands the
 * memory back for the next table; the sampler is unusable afterwards.
 */
export class WasmSampler {
  readonly n: number;
  private memory: WasmMemory | null;
  private readonly fn: SampleFn;
  private readonly outAt: number;
  odds: Float64Array;
  aliases: Int32Array;

  constructor(n: number) {
    this.n = n;
    kernel ??= new WasmKernel([
      {
        name: "sample",
        params: [T_I32, T_I32, T_I32, T_I64, T_I64, T_I32, T_I32, T_I32],
        results: [],
        locals: [
          [10, T_I64],
          [2, T_I32],
        ],
        body,
      },
    ]);
    this.outAt = TABLE_AT + 16 * n;
    this.memory = memoryFor(this.outAt + PAGE);
    this.fn = kernel.instantiate(this.memory).sample as SampleFn;
    this.odds = new Float64Array(this.memory.buffer, TABLE_AT, 2 * n);
    this.aliases = new Int32Array(this.memory.buffer, TABLE_AT, 4 * n);
  }

  /** Runs the kernel: `out.length` samples from the generator state (8 u32: s0.hi, s0.lo, …), updated. */
  sample(state: Uint32Array, sum: bigint, izone: number, zone: bigint, out: Uint32Array): void {
    const memory = this.memory;
    if (memory === null) throw new Error("this alias table was released");
    const need = this.outAt + 4 * out.length;
    const have = memory.buffer.byteLength;
    if (need > have) {
      memory.grow(Math.ceil((need - have) / PAGE));
      // growing detaches the old buffer: re-create the views
      this.odds = new Float64Array(memory.buffer, TABLE_AT, 2 * this.n);
      this.aliases = new Int32Array(memory.buffer, TABLE_AT, 4 * this.n);
    }
    const words = new Uint32Array(memory.buffer, STATE_AT, 8);
    for (let i = 0; i < 4; i++) {
      words[2 * i] = state[2 * i + 1]!; // little-endian u64: low word first
      words[2 * i + 1] = state[2 * i]!;
    }
    this.fn(STATE_AT, this.n, izone | 0, sum, BigInt.asIntN(64, zone), TABLE_AT, this.outAt, out.length);
    out.set(new Uint32Array(memory.buffer, this.outAt, out.length));
    for (let i = 0; i < 4; i++) {
      state[2 * i + 1] = words[2 * i]!;
      state[2 * i] = words[2 * i + 1]!;
    }
  }

  /** Gives the memory back for the next table. */
  release(): void {
    if (this.memory === null) return;
    spare = this.memory;
    this.memory = null;
    this.odds = new Float64Array(0);
    this.aliases = new Int32Array(0);
  }
}
