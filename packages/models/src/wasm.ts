/**
 * A minimal WebAssembly assembler: enough to write one hot function as a list of named instructions and
 * get a module back, with no toolchain and no binary in the repository. Used for the draw sampler
 * (pos-draws) and the state hash (final-state), where native u64 / u32 arithmetic beats JavaScript numbers.
 * Encoding: WebAssembly core specification 1.0, chapter 5 (binary format).
 */

/** Opcodes used by massa-ts kernels (add more as needed; names follow the text format). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  i64_load: 0x29,
  f64_load: 0x2b,
  i32_store: 0x36,
  i64_store: 0x37,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_u: 0x49,
  i32_gt_u: 0x4b,
  i32_le_u: 0x4d,
  i32_ge_u: 0x4f,
  i64_gt_u: 0x56,
  f64_lt: 0x63,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  i32_rotr: 0x78,
  i64_add: 0x7c,
  i64_mul: 0x7e,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_u: 0x88,
  i64_rotl: 0x89,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_u: 0xad,
  f64_convert_i64_u: 0xba,
} as const;

/** Value types (v128: the SIMD proposal, in every engine Node 20 ships). */
export const WasmType = { i32: 0x7f, i64: 0x7e, f64: 0x7c, v128: 0x7b, void: 0x40 } as const;

/**
 * SIMD opcodes (0xfd-prefixed, then their number as LEB128; the fixed-width SIMD proposal, merged into the
 * WebAssembly 2.0 specification). Names follow the text format.
 */
export const SimdOp = {
  v128_load: 0x00,
  v128_store: 0x0b,
  v128_const: 0x0c,
  i8x16_shuffle: 0x0d,
  i32x4_splat: 0x11,
  v128_or: 0x50,
  v128_xor: 0x51,
  i32x4_shl: 0xab,
  i32x4_shr_u: 0xad,
  i32x4_add: 0xae,
} as const;

export function uleb(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: bigint): number[] {
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

/** Instruction helpers returning byte lists. */
export const wasm = {
  get: (l: number): number[] => [Op.local_get, ...uleb(l)],
  set: (l: number): number[] => [Op.local_set, ...uleb(l)],
  tee: (l: number): number[] => [Op.local_tee, ...uleb(l)],
  i32: (v: number): number[] => [Op.i32_const, ...sleb(BigInt(v | 0))],
  i64: (v: bigint): number[] => [Op.i64_const, ...sleb(BigInt.asIntN(64, v))],
  /** A load or store with its alignment exponent and constant offset. */
  mem: (op: number, align: number, offset: number): number[] => [op, align, ...uleb(offset)],
  /** A SIMD instruction and its immediates (a memory argument, 16 constant or lane bytes). */
  simd: (op: number, ...immediates: number[]): number[] => [0xfd, ...uleb(op), ...immediates],
  /** `v128.const` of four i32 lanes (lane 0 first). */
  i32x4: (lanes: readonly [number, number, number, number]): number[] => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) view.setUint32(4 * i, lanes[i]! >>> 0, true);
    return [0xfd, ...uleb(SimdOp.v128_const), ...bytes];
  },
};

const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "latin1")];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** One exported function. `locals` are declared after the parameters, in groups of one type. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly (readonly [count: number, type: number])[];
  /** The instructions, ending with `Op.end`. */
  readonly body: readonly number[];
}

/** A module importing one memory as `env.memory` and exporting `functions` under their names. */
export function assembleModule(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...uleb(f.params.length),
    ...f.params,
    ...uleb(f.results.length),
    ...f.results,
  ]);
  const bodies = functions.map((f) => {
    const code = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body];
    return [...uleb(code.length), ...code];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 1]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

/** The part of the WebAssembly JS API used here (Node 20's @types do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const WASM_PAGE = 65536;

/** A fresh memory of at least `bytes` bytes. */
export function newWasmMemory(bytes: number): WasmMemory {
  return new WA.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) });
}

/** A compiled module; `instantiate` binds it to a memory and returns its exports. */
export class WasmKernel {
  private readonly module: object;
  constructor(functions: readonly WasmFunction[]) {
    this.module = new WA.Module(assembleModule(functions));
  }
  instantiate(memory: WasmMemory): Record<string, unknown> {
    return new WA.Instance(this.module, { env: { memory } }).exports;
  }
}
