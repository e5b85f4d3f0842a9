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

// Opcodes (WebAssembly core spec 1.0, §5.4).
const BLOCK = 0x02;
const LOOP = 0x03;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const SELECT = 0x1b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD = 0x28;
const I64_LOAD = 0x29;
const F64_LOAD = 0x2b;
const I32_STORE = 0x36;
const I64_STORE = 0x37;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I32_GE_U = 0x4f;
const I32_GT_U = 0x4b;
const I64_GT_U = 0x56;
const F64_LT = 0x63;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I64_ADD = 0x7c;
const I64_MUL = 0x7e;
const I64_AND = 0x83;
const I64_OR = 0x84;
const I64_XOR = 0x85;
const I64_SHL = 0x86;
const I64_SHR_U = 0x88;
const I64_ROTL = 0x89;
const I32_WRAP_I64 = 0xa7;
const I64_EXTEND_I32_U = 0xad;
const F64_CONVERT_I64_U = 0xba;
const VOID = 0x40;
const T_I32 = 0x7f;
const T_I64 = 0x7e;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "latin1")];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

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

const get = (l: number) => [LOCAL_GET, l];
const set = (l: number) => [LOCAL_SET, l];
const i64c = (v: bigint) => [I64_CONST, ...sleb(v)];
const i32c = (v: number) => [I32_CONST, ...sleb(BigInt(v))];
const mem = (op: number, align: number, offset: number) => [op, align, ...uleb(offset)];

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

function assemble(): Uint8Array {
  const params = [T_I32, T_I32, T_I32, T_I64, T_I64, T_I32, T_I32, T_I32];
  const type = [0x60, ...uleb(params.length), ...params, 0];
  const locals = vec([
    [...uleb(10), T_I64],
    [...uleb(2), T_I32],
  ]);
  const code = [...locals, ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    // import env.memory (min 1 page, no max)
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 1]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str("sample"), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

/** The part of the WebAssembly JS API used here (Node's @types for Node 20 do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null = null;

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
const PAGE = 65536;

/**
 * One memory kept per thread between tables: a cycle's draws build one table, sample it and drop it, so
 * the next cycle reuses the memory instead of page-faulting a fresh one (about 5 ms for 1 000 000 stakers).
 */
let spare: WasmMemory | null = null;

function memoryFor(bytes: number): WasmMemory {
  const pages = Math.ceil(bytes / PAGE);
  const m = spare;
  spare = null;
  if (m === null) return new WA.Memory({ initial: pages });
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
    compiled ??= new WA.Module(assemble());
    this.outAt = TABLE_AT + 16 * n;
    this.memory = memoryFor(this.outAt + PAGE);
    const inst = new WA.Instance(compiled, { env: { memory: this.memory } });
    this.fn = inst.exports.sample as SampleFn;
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
