// Validates a contract module against Massa's rules and rewrites it for metered, deterministic execution on
// Node's WebAssembly:
// - gas: every operator of the contract costs `operatorCost`; the cost of the operators since the last
//   check is charged at the same points as the metering middleware of Massa's runtime (wasmer's): before
//   each loop, end, else, br, br_if, br_table, call, call_indirect and return. A charge that does not fit
//   sets the exhausted flag and traps. The remaining points are an exported i64 global the host reads and
//   charges.
// - floats: the result of every operation that may produce a NaN (arithmetic, rounding, min/max,
//   promotion, demotion) is canonicalized, as Massa's compiler does, so that every machine computes the
//   same bits.
// - depth: a function's entry adds its frame weight (1 + its locals / 16) to an exported counter and traps
//   past a budget, its exit removes it: the recursion depth is the runtime's rule, not V8's stack size.
import { instrumentCode } from "./instrument-function.js";
import type { ModuleLimits } from "./limits.js";
import {
  limits,
  ModuleError,
  readSections,
  type Section,
  SectionId,
  skipConstExpr,
  ValType,
  valType,
  WasmReader,
  WasmWriter,
  writeModule,
} from "./wasm-binary.js";

/** Names of the injected exports. */
export const GAS_GLOBAL = "massa_gas_remaining";
export const EXHAUSTED_GLOBAL = "massa_gas_exhausted";
export const DEPTH_GLOBAL = "massa_depth";
/** Frame weight units a call stack may hold (see the header). */
export const DEPTH_BUDGET = 1_000;

export interface InstrumentOptions {
  readonly operatorCost: number;
  /** The gas the start function runs with (the remaining-points global's initial value). */
  readonly startGas: bigint;
  readonly limits: ModuleLimits;
}

export interface PreparedModule {
  /** The instrumented module. */
  readonly bytes: Uint8Array;
  /** The contract's exported function names. */
  readonly functions: ReadonlySet<string>;
  /** Imports as "module.name". */
  readonly imports: readonly string[];
}

export interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

export function instrument(bytecode: Uint8Array, o: InstrumentOptions): PreparedModule {
  const L = o.limits;
  if (bytecode.length > L.maxBytecode)
    throw new ModuleError(`bytecode of ${bytecode.length} bytes exceeds ${L.maxBytecode}`);
  const sections = readSections(bytecode);
  const types: FuncType[] = [];
  const funcTypes: number[] = []; // type index of every function, imports first
  let importedFuncs = 0;
  let globals = 0;
  let customs = 0;
  const imports: string[] = [];
  const functions = new Set<string>();
  let exportCount = 0;
  let memories = 0;
  let tables = 0;
  const out: Section[] = [];

  for (const s of sections) {
    const r = new WasmReader(s.body);
    switch (s.id) {
      case SectionId.custom: {
        if (++customs > L.maxCustomSections)
          throw new ModuleError(`more than ${L.maxCustomSections} custom section`);
        if (s.body.length > L.maxCustomSectionData)
          throw new ModuleError(
            `a custom section of ${s.body.length} bytes exceeds ${L.maxCustomSectionData}`,
          );
        const name = r.name();
        if (name === "name") continue; // debug names: dropped (not needed to run)
        out.push(s);
        continue;
      }
      case SectionId.type:
        for (let n = r.u32(), i = 0; i < n; i++) {
          if (r.byte() !== 0x60) throw new ModuleError(`type ${i} is not a function type`);
          const params = Array.from({ length: r.u32() }, () => valType(r, `type ${i}`));
          const results = Array.from({ length: r.u32() }, () => valType(r, `type ${i}`));
          if (results.length > 1)
            throw new ModuleError(`type ${i} has ${results.length} results (multi-value is refused)`);
          if (params.length + results.length > L.maxSignatureLen)
            throw new ModuleError(`type ${i} has more than ${L.maxSignatureLen} parameters and results`);
          types.push({ params, results });
        }
        break;
      case SectionId.import:
        for (let n = r.u32(), i = 0; i < n; i++) {
          const mod = r.name();
          const name = r.name();
          if (mod.length > L.maxNameLen || name.length > L.maxNameLen)
            throw new ModuleError(`import ${i}: a name longer than ${L.maxNameLen}`);
          imports.push(`${mod}.${name}`);
          const kind = r.byte();
          if (kind === 0x00) {
            const t = r.u32();
            if (t >= types.length) throw new ModuleError(`import ${mod}.${name}: unknown type ${t}`);
            funcTypes.push(t);
            importedFuncs++;
          } else if (kind === 0x03) {
            valType(r, `import ${mod}.${name}`);
            r.byte();
            globals++;
          } else
            throw new ModuleError(
              `import ${mod}.${name}: only functions and globals may be imported (memories and tables are the module's own)`,
            );
        }
        if (imports.length > L.maxImports) throw new ModuleError(`more than ${L.maxImports} imports`);
        break;
      case SectionId.function:
        for (let n = r.u32(), i = 0; i < n; i++) {
          const t = r.u32();
          if (t >= types.length) throw new ModuleError(`function ${i}: unknown type ${t}`);
          funcTypes.push(t);
        }
        if (funcTypes.length > L.maxFunctions)
          throw new ModuleError(`${funcTypes.length} functions exceed ${L.maxFunctions}`);
        break;
      case SectionId.table:
        for (let n = r.u32(), i = 0; i < n; i++) {
          const et = r.byte();
          if (et !== 0x70)
            throw new ModuleError(`table ${i}: element type 0x${et.toString(16)} (funcref only)`);
          const [min, max] = limits(r, `table ${i}`);
          if (min > L.maxTableSize || (max ?? 0) > L.maxTableSize)
            throw new ModuleError(`table ${i}: more than ${L.maxTableSize} entries`);
          tables++;
        }
        if (tables > 1) throw new ModuleError(`${tables} tables (one without reference types)`);
        break;
      case SectionId.memory: {
        const n = r.u32();
        memories += n;
        if (memories > L.maxMemories)
          throw new ModuleError(`${memories} memories (at most ${L.maxMemories})`);
        const w = new WasmWriter().u32(n);
        for (let i = 0; i < n; i++) {
          const [min, max] = limits(r, `memory ${i}`);
          if (min > L.maxPages)
            throw new ModuleError(`memory ${i}: ${min} initial pages exceed ${L.maxPages}`);
          // as Massa's tunables: a missing or larger maximum becomes the limit
          w.byte(0x01)
            .u32(min)
            .u32(Math.min(max ?? L.maxPages, L.maxPages));
        }
        out.push({ id: s.id, body: w.finish() });
        continue;
      }
      case SectionId.global: {
        const n = r.u32();
        if (n > L.maxGlobalInitializers)
          throw new ModuleError(`${n} global initializers exceed ${L.maxGlobalInitializers}`);
        for (let i = 0; i < n; i++) {
          valType(r, `global ${i}`);
          r.byte();
          skipConstExpr(r, `global ${i}`);
        }
        globals += n;
        // appended: the gas left (i64), the exhausted flag (i32), the depth counter (i32)
        out.push({ id: s.id, body: appendGlobals(s.body, o.startGas) });
        continue;
      }
      case SectionId.export: {
        const n = r.u32();
        exportCount = n;
        if (n > L.maxExports) throw new ModuleError(`${n} exports exceed ${L.maxExports}`);
        for (let i = 0; i < n; i++) {
          const name = r.name();
          if (name.length > L.maxNameLen)
            throw new ModuleError(`export ${i}: a name longer than ${L.maxNameLen}`);
          if (name === GAS_GLOBAL || name === EXHAUSTED_GLOBAL || name === DEPTH_GLOBAL)
            throw new ModuleError(`export "${name}" is reserved by the runtime`);
          const kind = r.byte();
          r.u32();
          if (kind === 0x00) functions.add(name);
        }
        out.push({ id: s.id, body: s.body }); // rewritten below, once the globals' indices are known
        continue;
      }
      case SectionId.element:
        checkElements(r, L);
        break;
      case SectionId.data:
        checkData(r, L);
        break;
      case SectionId.code: {
        const G = globals;
        out.push({
          id: s.id,
          body: instrumentCode(r, funcTypes.slice(importedFuncs), types, G, o),
        });
        continue;
      }
      default:
        break;
    }
    out.push(s);
  }
  if (memories === 0) throw new ModuleError("the module has no memory");
  // the injected globals: add a global section if there was none, then export them
  if (!out.some((s) => s.id === SectionId.global)) {
    const at = out.findIndex((s) => s.id > SectionId.global && s.id !== SectionId.custom);
    const sec = { id: SectionId.global, body: appendGlobals(new WasmWriter().u32(0).finish(), o.startGas) };
    out.splice(at === -1 ? out.length : at, 0, sec);
  }
  const exportIdx = out.findIndex((s) => s.id === SectionId.export);
  const exportsBody = appendExports(
    exportIdx === -1 ? undefined : out[exportIdx]!.body,
    exportCount,
    globals,
  );
  if (exportIdx === -1) {
    const at = out.findIndex((s) => s.id > SectionId.export && s.id !== SectionId.custom);
    out.splice(at === -1 ? out.length : at, 0, { id: SectionId.export, body: exportsBody });
  } else out[exportIdx] = { id: SectionId.export, body: exportsBody };
  return { bytes: writeModule(out), functions, imports };
}

function appendGlobals(body: Uint8Array, startGas: bigint): Uint8Array {
  const r = new WasmReader(body);
  const n = r.u32();
  const w = new WasmWriter().u32(n + 3).bytes(body.subarray(r.pos));
  w.byte(ValType.i64).byte(0x01).byte(0x42).s64(startGas).byte(0x0b);
  w.byte(ValType.i32).byte(0x01).byte(0x41).s32(0).byte(0x0b);
  w.byte(ValType.i32).byte(0x01).byte(0x41).s32(0).byte(0x0b);
  return w.finish();
}

function appendExports(body: Uint8Array | undefined, n: number, G: number): Uint8Array {
  const w = new WasmWriter().u32(n + 3);
  if (body) {
    const r = new WasmReader(body);
    r.u32();
    w.bytes(body.subarray(r.pos));
  }
  w.name(GAS_GLOBAL).byte(0x03).u32(G);
  w.name(EXHAUSTED_GLOBAL)
    .byte(0x03)
    .u32(G + 1);
  w.name(DEPTH_GLOBAL)
    .byte(0x03)
    .u32(G + 2);
  return w.finish();
}

function checkElements(r: WasmReader, L: ModuleLimits): void {
  const n = r.u32();
  let active = 0;
  let passive = 0;
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    if (flags === 0) {
      skipConstExpr(r, `element ${i}`);
      active++;
    } else if (flags === 1 || flags === 2) {
      if (flags === 2) {
        r.u32();
        skipConstExpr(r, `element ${i}`);
        active++;
      } else passive++;
      if (r.byte() !== 0x00) throw new ModuleError(`element ${i}: element kind other than funcref`);
    } else throw new ModuleError(`element ${i}: segment form ${flags} needs reference types (refused)`);
    for (let k = r.u32(), j = 0; j < k; j++) r.u32();
  }
  if (active > L.maxTableInitializers)
    throw new ModuleError(`${active} table initializers exceed ${L.maxTableInitializers}`);
  if (passive > L.maxPassiveElements)
    throw new ModuleError(`${passive} passive element segments exceed ${L.maxPassiveElements}`);
}

function checkData(r: WasmReader, L: ModuleLimits): void {
  let passive = 0;
  for (let n = r.u32(), i = 0; i < n; i++) {
    const flags = r.u32();
    if (flags === 0) skipConstExpr(r, `data ${i}`);
    else if (flags === 1) passive++;
    else if (flags === 2) {
      r.u32();
      skipConstExpr(r, `data ${i}`);
    } else throw new ModuleError(`data ${i}: segment form ${flags}`);
    r.take(r.u32());
  }
  if (passive > L.maxPassiveData)
    throw new ModuleError(`${passive} passive data segments exceed ${L.maxPassiveData}`);
}
