// Runs contract functions the way Massa's runtime does: a module validated and instrumented once, cached
// by bytecode hash; a new instance per call whose start function runs on its own budget (the instance
// cost) with host calls refused; then the launch cost; then the function, its argument an ArrayBuffer and
// its result read from the ArrayBuffer it returns. Nested calls (SC → SC) run on the gas left, at most 25
// deep, and the frame-weight counter carries over so that recursion is bounded across contracts too.
import { createHash } from "node:crypto";
import { BoundedMap } from "@massa-ts/models";
import { buildImports, OutOfGas } from "./abi.js";
import { AbiError, type AsExports, AsMemory } from "./as-memory.js";
import { type GasCosts, MASSA_GAS_COSTS } from "./gas-costs.js";
import type { Host } from "./host.js";
import { DEPTH_BUDGET, DEPTH_GLOBAL, EXHAUSTED_GLOBAL, GAS_GLOBAL, instrument } from "./instrument.js";
import { MASSA_MODULE_LIMITS, type ModuleLimits } from "./limits.js";
import { ModuleError } from "./wasm-binary.js";

/** Massa's MAX_RECURSIVE_CALLS_DEPTH: nested contract calls. */
export const MAX_CALL_DEPTH = 25;
/** Frame weight a nested contract call adds for the host frames between the two instances. */
const NESTED_CALL_WEIGHT = 50;

/** A call failed: out of gas, a trap, a refused host call or a bad module. `gasUsed` was spent. */
export class ScError extends Error {
  constructor(
    message: string,
    readonly kind: "module" | "out-of-gas" | "depth" | "runtime",
  ) {
    super(message);
    this.name = "ScError";
  }
}

export interface CompiledModule {
  /** SHA-256 of the bytecode (hex): the cache key. */
  readonly hash: string;
  readonly module: WebAssembly.Module;
  readonly functions: ReadonlySet<string>;
  /** AssemblyScript's (module "massa" / "env") or not: the protobuf `abi_*` runtime is refused. */
  readonly legacyAbi: true;
}

export interface CallOutcome {
  readonly ret: Uint8Array;
  /** Gas left of the limit given. */
  readonly remaining: bigint;
  /** What the start function cost. */
  readonly initCost: bigint;
}

export interface RuntimeOptions {
  readonly costs?: GasCosts;
  readonly limits?: ModuleLimits;
  /** Compiled modules kept (by bytecode hash). */
  readonly cacheSize?: number;
}

export class ScRuntime {
  readonly costs: GasCosts;
  readonly limits: ModuleLimits;
  private readonly cache: BoundedMap<string, CompiledModule | ModuleError>;

  constructor(o: RuntimeOptions = {}) {
    this.costs = o.costs ?? MASSA_GAS_COSTS;
    this.limits = o.limits ?? MASSA_MODULE_LIMITS;
    this.cache = new BoundedMap(o.cacheSize ?? 256);
  }

  /** Validates, instruments and compiles `bytecode` (cached, refusals too); throws ScError("module"). */
  compile(bytecode: Uint8Array): CompiledModule {
    if (bytecode.length === 0) throw new ScError("load_module: bytecode is absent", "module");
    if (bytecode[0] === 0x01)
      throw new ScError(
        "the WebAssembly-v1 (protobuf abi_*) runtime is not supported: only AssemblyScript contracts run here",
        "module",
      );
    // the cache key only (not consensus data): the platform's SHA-256, ~20× faster than BLAKE3 in JS
    const hash = createHash("sha256").update(bytecode).digest("hex");
    let c = this.cache.get(hash);
    if (!c) {
      try {
        const p = instrument(bytecode, {
          operatorCost: this.costs.operator,
          startGas: BigInt(this.costs.maxInstance),
          limits: this.limits,
        });
        const bad = p.imports.find((i) => !i.startsWith("massa.") && !i.startsWith("env."));
        if (bad) throw new ModuleError(`import ${bad}: only modules "massa" and "env" can be imported`);
        c = { hash, module: new WebAssembly.Module(p.bytes), functions: p.functions, legacyAbi: true };
      } catch (e) {
        if (!(e instanceof ModuleError) && !(e instanceof WebAssembly.CompileError)) throw e;
        c = new ModuleError(`invalid module: ${(e as Error).message}`);
      }
      this.cache.set(hash, c);
    }
    if (c instanceof ModuleError) throw new ScError(c.message, "module");
    return c;
  }

  functionExists(bytecode: Uint8Array, fn: string): boolean {
    try {
      return this.compile(bytecode).functions.has(fn);
    } catch {
      return false;
    }
  }

  /**
   * Calls `fn` of `bytecode` with `param` on `gas`. Throws ScError on failure; the host's effects are
   * its own to roll back.
   */
  run(bytecode: Uint8Array, fn: string, param: Uint8Array, gas: bigint, host: Host): CallOutcome {
    return this.runAt(bytecode, fn, param, gas, host, 0, 0);
  }

  private runAt(
    bytecode: Uint8Array,
    fn: string,
    param: Uint8Array,
    gas: bigint,
    host: Host,
    callDepth: number,
    frames: number,
  ): CallOutcome {
    if (callDepth > MAX_CALL_DEPTH)
      throw new ScError(`recursion depth limit of ${MAX_CALL_DEPTH} nested calls reached`, "depth");
    if (gas < BigInt(this.costs.maxInstance))
      throw new ScError(
        `Provided gas ${gas} is lower than the base instance creation gas cost ${this.costs.maxInstance}`,
        "out-of-gas",
      );
    const compiled = this.compile(bytecode);
    host.beforeRun?.(gas);
    let depthGlobal: WebAssembly.Global | undefined;
    const ctx = {
      host,
      costs: this.costs,
      enabled: false,
      memory: undefined as AsMemory | undefined,
      gas: undefined as WebAssembly.Global | undefined,
      call: (code: Uint8Array, name: string, p: Uint8Array, g: bigint) => {
        const at = (depthGlobal?.value as number) + NESTED_CALL_WEIGHT;
        const r = this.runAt(code, name, p, g, host, callDepth + 1, at);
        return { ret: r.ret, remaining: r.remaining };
      },
      functionExists: (code: Uint8Array, name: string) => this.functionExists(code, name),
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(compiled.module, buildImports(ctx));
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) throw new ScError(`invalid module: ${e.message}`, "module");
      throw new ScError(
        e instanceof WebAssembly.RuntimeError
          ? "Not enough gas, limit reached at initialization"
          : `instantiation failed: ${(e as Error).message}`,
        e instanceof WebAssembly.RuntimeError ? "out-of-gas" : "runtime",
      );
    }
    const ex = instance.exports as unknown as AsExports & Record<string, unknown>;
    const gasGlobal = ex[GAS_GLOBAL] as WebAssembly.Global;
    const exhausted = ex[EXHAUSTED_GLOBAL] as WebAssembly.Global;
    depthGlobal = ex[DEPTH_GLOBAL] as WebAssembly.Global;
    depthGlobal.value = frames;
    if (!(ex.memory instanceof WebAssembly.Memory))
      throw new ScError("the module exports no memory", "module");
    const initCost = BigInt(this.costs.maxInstance) - (gasGlobal.value as bigint);
    ctx.memory = new AsMemory(ex);
    ctx.gas = gasGlobal;
    ctx.enabled = true;
    let left = gas - initCost - BigInt(this.costs.launch);
    if (left < 0n) throw new ScError("Not enough gas to launch the virtual machine", "out-of-gas");
    gasGlobal.value = left;
    const f = ex[fn];
    if (typeof f !== "function" || !compiled.functions.has(fn))
      throw new ScError(`Missing export ${fn}`, "runtime");
    const wasmFn = f as (...a: number[]) => unknown;
    let result: unknown;
    try {
      if (wasmFn.length === 0) result = wasmFn();
      else if (wasmFn.length === 1) {
        const ptr = ctx.memory.newBytes(param);
        result = wasmFn(ptr);
      } else throw new ScError("Unexpected number of parameters in the function called", "runtime");
    } catch (e) {
      if (e instanceof ScError) throw e;
      if (e instanceof OutOfGas) throw new ScError(e.message, "out-of-gas");
      if ((exhausted.value as number) !== 0)
        throw new ScError(`Not enough gas, limit reached at: ${fn}`, "out-of-gas");
      if ((depthGlobal.value as number) > DEPTH_BUDGET)
        throw new ScError(`call depth exceeded in ${fn}: recursion too deep`, "depth");
      if (e instanceof RangeError) throw new ScError(`call depth exceeded in ${fn}: ${e.message}`, "depth");
      if (e instanceof AbiError || e instanceof WebAssembly.RuntimeError || e instanceof Error)
        throw new ScError(`${e.message}`, "runtime");
      throw new ScError(String(e), "runtime");
    }
    left = gasGlobal.value as bigint;
    let ret: Uint8Array = new Uint8Array();
    if (fn !== "main" && typeof result === "number") ret = ctx.memory.bytes(result >>> 0, "return value");
    return { ret, remaining: left, initCost };
  }
}
