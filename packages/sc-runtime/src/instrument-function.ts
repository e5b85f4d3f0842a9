// The per-function half of the instrumenter (see instrument.ts): each body metered at wasmer's points,
// its NaN-producing float results canonicalized, its frame weight taken on entry and given back on exit,
// and every opcode checked against the features Massa's runtime allows.
import { DEPTH_BUDGET, type FuncType, type InstrumentOptions } from "./instrument.js";
import { ModuleError, ValType, valType, WasmReader, WasmWriter } from "./wasm-binary.js";

const ACCOUNTING = new Set([0x03, 0x05, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11]);
/** f32 / f64 operations whose result may be a NaN that differs between machines. */
const F32_NAN_OPS = new Set([0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0xb6]);
const F64_NAN_OPS = new Set([0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xbb]);
const CANONICAL_F32 = Uint8Array.from([0x00, 0x00, 0xc0, 0x7f]);
const CANONICAL_F64 = Uint8Array.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);

/** Rewrites the code section: each function body metered, canonicalized and depth-counted. */
export function instrumentCode(
  r: WasmReader,
  defined: readonly number[],
  types: readonly FuncType[],
  G: number,
  o: InstrumentOptions,
): Uint8Array {
  const n = r.u32();
  if (n !== defined.length)
    throw new ModuleError(`${n} function bodies for ${defined.length} declared functions`);
  const w = new WasmWriter().u32(n);
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const body = new WasmReader(r.bytes, r.pos, r.pos + size);
    r.pos += size;
    const t = types[defined[i]!]!;
    const fn = instrumentFunction(body, t, G, o, i);
    w.u32(fn.length).bytes(fn);
  }
  return w.finish();
}

function blockTypeOk(bt: number, types: readonly FuncType[], where: string): void {
  if (bt === -64) return; // empty
  if (bt < 0) {
    const t = bt & 0x7f;
    if (t === ValType.i32 || t === ValType.i64 || t === ValType.f32 || t === ValType.f64) return;
    throw new ModuleError(`${where}: block type ${bt}`);
  }
  const ft = types[bt];
  if (!ft || ft.params.length > 0) throw new ModuleError(`${where}: multi-value block type (refused)`);
}

function instrumentFunction(
  r: WasmReader,
  t: FuncType,
  G: number,
  o: InstrumentOptions,
  index: number,
): Uint8Array {
  const where = `function ${index}`;
  const localsStart = r.pos;
  let locals = 0;
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    const count = r.u32();
    valType(r, where);
    locals += count;
    if (locals > o.limits.maxLocals)
      throw new ModuleError(`${where}: more than ${o.limits.maxLocals} locals`);
  }
  const localsEnd = r.pos;
  const nParams = t.params.length;
  const f32Tmp = nParams + locals;
  const f64Tmp = f32Tmp + 1;
  const weight = 1 + Math.floor((nParams + locals) / 16);
  const gas = G;
  const exhausted = G + 1;
  const depth = G + 2;

  const code = new WasmWriter();
  let pending = 0; // cost of operators since the last charge
  let open = 0; // blocks open inside the function body (its own label excluded)
  let finished = false;
  const charge = () => {
    if (pending === 0) return;
    code.byte(0x23).u32(gas).byte(0x42).s64(BigInt(pending)).byte(0x54); // global.get; i64.const; i64.lt_u
    code.byte(0x04).byte(0x40).byte(0x41).s32(1).byte(0x24).u32(exhausted).byte(0x00).byte(0x0b);
    code.byte(0x23).u32(gas).byte(0x42).s64(BigInt(pending)).byte(0x7d).byte(0x24).u32(gas); // -=
    pending = 0;
  };
  const copy = (from: number) => code.bytes(r.bytes.subarray(from, r.pos));

  while (!r.done) {
    if (finished) throw new ModuleError(`${where}: code after the function's end`);
    const at = r.pos;
    const op = r.byte();
    pending += o.operatorCost;
    if (ACCOUNTING.has(op)) charge();
    switch (op) {
      case 0x00: // unreachable
      case 0x01: // nop
      case 0x1a: // drop
      case 0x1b: // select
        copy(at);
        break;
      case 0x02: // block
      case 0x03: // loop
      case 0x04: // if
        blockTypeOk(r.s33(), [], where);
        open++;
        copy(at);
        break;
      case 0x05: // else
        copy(at);
        break;
      case 0x0b: // end
        if (open === 0) {
          // the body's end: close the wrapper, release the frame, end the function
          code.byte(0x0b);
          code.byte(0x23).u32(depth).byte(0x41).s32(weight).byte(0x6b).byte(0x24).u32(depth);
          code.byte(0x0b);
          finished = true;
        } else {
          open--;
          copy(at);
        }
        break;
      case 0x0c: // br
      case 0x0d: // br_if
        r.u32();
        copy(at);
        break;
      case 0x0e: // br_table
        for (let k = r.u32(), j = 0; j <= k; j++) r.u32();
        copy(at);
        break;
      case 0x0f: // return: a branch to the wrapper block, whose end releases the frame
        code.byte(0x0c).u32(open);
        break;
      case 0x10: // call
        r.u32();
        copy(at);
        break;
      case 0x11: // call_indirect
        r.u32();
        if (r.byte() !== 0x00) throw new ModuleError(`${where}: call_indirect on a table other than 0`);
        copy(at);
        break;
      case 0x20:
      case 0x21:
      case 0x22:
      case 0x23:
      case 0x24:
        r.u32();
        copy(at);
        break;
      case 0x3f: // memory.size
      case 0x40: // memory.grow
        if (r.byte() !== 0x00) throw new ModuleError(`${where}: memory index other than 0`);
        copy(at);
        break;
      case 0x41:
        r.skipSigned(32);
        copy(at);
        break;
      case 0x42:
        r.skipSigned(64);
        copy(at);
        break;
      case 0x43:
        r.take(4);
        copy(at);
        break;
      case 0x44:
        r.take(8);
        copy(at);
        break;
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) {
          // saturating truncations
        } else if (sub === 8) {
          r.u32();
          r.byte();
        } else if (sub === 9 || sub === 13) r.u32();
        else if (sub === 10) {
          r.byte();
          r.byte();
        } else if (sub === 11) r.byte();
        else if (sub === 12 || sub === 14) {
          r.u32();
          r.u32();
        } else throw new ModuleError(`${where}: opcode 0xfc ${sub} (reference types are refused)`);
        copy(at);
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) {
          r.u32();
          r.u32();
          copy(at);
        } else if (op >= 0x45 && op <= 0xc4) {
          copy(at);
          if (F32_NAN_OPS.has(op)) canonicalize(code, f32Tmp, 0x43, CANONICAL_F32, 0x5c);
          else if (F64_NAN_OPS.has(op)) canonicalize(code, f64Tmp, 0x44, CANONICAL_F64, 0x62);
        } else if (op === 0xfd) throw new ModuleError(`${where}: SIMD instructions are refused`);
        else if (op === 0xfe) throw new ModuleError(`${where}: thread instructions are refused`);
        else throw new ModuleError(`${where}: opcode 0x${op.toString(16)} is not allowed`);
    }
  }
  if (!finished) throw new ModuleError(`${where}: the body has no end`);
  // locals: the original ones, then the two scratch floats
  const w = new WasmWriter();
  const origLocals = r.bytes.subarray(localsStart, localsEnd);
  const lr = new WasmReader(origLocals);
  const nGroups = lr.u32();
  w.u32(nGroups + 2).bytes(origLocals.subarray(lr.pos));
  w.u32(1).byte(ValType.f32).u32(1).byte(ValType.f64);
  // prologue: take the frame's weight, trap past the budget; then the wrapper block with the results
  w.byte(0x23).u32(depth).byte(0x41).s32(weight).byte(0x6a).byte(0x24).u32(depth);
  w.byte(0x23).u32(depth).byte(0x41).s32(DEPTH_BUDGET).byte(0x4b); // i32.gt_u
  w.byte(0x04).byte(0x40).byte(0x00).byte(0x0b);
  w.byte(0x02).byte(t.results.length === 0 ? 0x40 : t.results[0]!);
  w.bytes(code.finish());
  return w.finish();
}

/** [x] → [x, or the canonical NaN when x is a NaN]: select(canonical, x, x != x). */
function canonicalize(w: WasmWriter, tmp: number, constOp: number, nan: Uint8Array, neOp: number): void {
  w.byte(0x21).u32(tmp); // local.set
  w.byte(constOp).bytes(nan);
  w.byte(0x20).u32(tmp).byte(0x20).u32(tmp).byte(0x20).u32(tmp).byte(neOp);
  w.byte(0x1b);
}
