// The WebAssembly binary format, read and written (core specification 1.0 chapter 5, plus the bulk-memory,
// sign-extension and saturating-truncation proposals that Massa's runtime allows): LEB128 numbers, the
// section layout, and a writer for the sections the instrumenter rebuilds.

/** A module Massa's runtime would refuse, with the rule it breaks. */
export class ModuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModuleError";
  }
}

export class WasmReader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new ModuleError(`unexpected end of the module at byte ${this.pos}`);
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      if (shift === 28 && b > 0x0f) throw new ModuleError(`u32 out of range at byte ${this.pos - 1}`);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** A signed LEB128 of at most `bits` bits, skipped (the instrumenter copies immediates as they are). */
  skipSigned(bits: number): void {
    const max = Math.ceil(bits / 7);
    for (let i = 0; i < max; i++) if ((this.byte() & 0x80) === 0) return;
    throw new ModuleError(`signed LEB128 longer than ${bits} bits at byte ${this.pos}`);
  }

  /** A signed LEB128 of at most 33 bits (a block type's type index or value type). */
  s33(): number {
    let result = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (shift > 35n) throw new ModuleError(`block type too long at byte ${this.pos}`);
    } while (b & 0x80);
    if (b & 0x40) result -= 1n << shift;
    return Number(result);
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.end) throw new ModuleError(`a length of ${n} runs past the end of its section`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  name(): string {
    const n = this.u32();
    return new TextDecoder("utf-8", { fatal: true }).decode(this.take(n));
  }
}

/** Appends WebAssembly encodings to a growing buffer. */
export class WasmWriter {
  private buf = new Uint8Array(256);
  length = 0;

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.grow(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  u32(v: number): this {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  s64(v: bigint): this {
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  s32(v: number): this {
    return this.s64(BigInt(v));
  }

  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** The bytes written, as a vector (length first). */
  vec(): Uint8Array {
    return new WasmWriter().u32(this.length).bytes(this.finish()).finish();
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface Section {
  readonly id: number;
  /** The section's content (without id and size). */
  readonly body: Uint8Array;
}

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

const MAGIC_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** The sections of a module, in order; checks the header and the order of the known sections. */
export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || MAGIC_VERSION.some((b, i) => bytes[i] !== b))
    throw new ModuleError("not a WebAssembly 1.0 module (bad magic number or version)");
  const r = new WasmReader(bytes, 8);
  const out: Section[] = [];
  // the binary order of the known sections (data count comes before code)
  const rank = (id: number) => (id === SectionId.dataCount ? 9.5 : id);
  let last = 0;
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const body = r.take(size);
    if (id > SectionId.dataCount) throw new ModuleError(`unknown section id ${id}`);
    if (id !== SectionId.custom) {
      if (rank(id) <= last) throw new ModuleError(`section ${id} out of order or repeated`);
      last = rank(id);
    }
    out.push({ id, body });
  }
  return out;
}

export function writeModule(sections: readonly Section[]): Uint8Array {
  const w = new WasmWriter().bytes(Uint8Array.from(MAGIC_VERSION));
  for (const s of sections) w.byte(s.id).u32(s.body.length).bytes(s.body);
  return w.finish();
}

export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c } as const;
const VALUE_TYPES = new Set<number>(Object.values(ValType));

export function valType(r: WasmReader, where: string): number {
  const t = r.byte();
  if (!VALUE_TYPES.has(t))
    throw new ModuleError(`${where}: value type 0x${t.toString(16)} (only i32, i64, f32, f64 are allowed)`);
  return t;
}

/** Reads a limits pair (memory or table); returns [min, max?]. */
export function limits(r: WasmReader, where: string): [number, number | undefined] {
  const flag = r.byte();
  if (flag === 0x00) return [r.u32(), undefined];
  if (flag === 0x01) return [r.u32(), r.u32()];
  throw new ModuleError(`${where}: limits flag 0x${flag.toString(16)} (shared memories are refused)`);
}

/** Skips a constant expression (global initializers, segment offsets) up to its `end`. */
export function skipConstExpr(r: WasmReader, where: string): void {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b:
        return;
      case 0x41:
        r.skipSigned(32);
        break;
      case 0x42:
        r.skipSigned(64);
        break;
      case 0x43:
        r.take(4);
        break;
      case 0x44:
        r.take(8);
        break;
      case 0x23:
        r.u32();
        break;
      default:
        throw new ModuleError(`${where}: opcode 0x${op.toString(16)} in a constant expression`);
    }
  }
}
