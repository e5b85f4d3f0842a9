// Gas metering, float canonicalization, the depth bound and the module rules, on modules written in the
// WebAssembly text format (assembled by wabt). Expected gas figures are counted by hand from Massa's rule:
// every operator costs 23, charged in basic blocks at wasmer's metering points.
import { describe, expect, it } from "vitest";
import wabtInit from "wabt";
import {
  DEPTH_BUDGET,
  type Host,
  instrument,
  MASSA_GAS_COSTS,
  MASSA_MODULE_LIMITS,
  ModuleError,
  ScError,
  ScRuntime,
} from "../src/index.ts";

const wabt = await wabtInit();
const wat = (text: string, features: Record<string, boolean> = {}): Uint8Array => {
  const m = wabt.parseWat("t.wat", text, features);
  return Uint8Array.from(m.toBinary({}).buffer);
};
const START = 1_000_000_000n;
const instrumented = (text: string) => {
  const p = instrument(wat(text), { operatorCost: 23, startGas: START, limits: MASSA_MODULE_LIMITS });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(p.bytes), {});
  const ex = inst.exports as Record<string, unknown>;
  return {
    call: (name: string, ...args: number[]) => (ex[name] as (...a: number[]) => unknown)(...args),
    used: () => START - ((ex.massa_gas_remaining as WebAssembly.Global).value as bigint),
  };
};
/** A host that refuses everything (its optional hooks absent): these modules call none of it. */
const noHost = new Proxy({} as Host, {
  get: (_, k) =>
    k === "beforeRun"
      ? undefined
      : () => {
          throw new Error(`host.${String(k)} called`);
        },
});

describe("gas metering", () => {
  it("a counting loop of n rounds costs 138 + 184 n (hand count: block+loop 46, each round 8 operators, loop end, block end, local.get + end 46)", () => {
    const m = instrumented(`(module (memory 1)
      (func (export "f") (param i32) (result i32) (local i32)
        block
          loop
            local.get 1  i32.const 1  i32.add  local.set 1
            local.get 1  local.get 0  i32.lt_u
            br_if 0
          end
        end
        local.get 1))`);
    expect(m.call("f", 10)).toBe(10);
    expect(m.used()).toBe(138n + 184n * 10n);
    const before = m.used();
    m.call("f", 1000);
    expect(m.used() - before).toBe(138n + 184n * 1000n);
  });

  it("if/else: the branch taken is charged; a call charges the caller before it and the callee on its own", () => {
    const m = instrumented(`(module (memory 1)
      (func $g (result i32) i32.const 7)
      (func (export "f") (param i32) (result i32)
        local.get 0
        if (result i32)
          call $g
        else
          i32.const 1
        end))`);
    // charges are placed statically, before each metering point, for the operators since the previous
    // one in code order: before `call` 69 (local.get, if, call), before `else` 23 (in the then branch),
    // before the if's `end` 46 (i32.const, end: in the else branch), before the function's `end` 23.
    // then: 69 + $g's 46 (i32.const, end) + 23 + 23 = 161
    m.call("f", 1);
    expect(m.used()).toBe(161n);
    const before = m.used();
    // else: 46 + 23 = 69 (local.get and if were charged at `call`, which the else branch skips: wasmer's
    // rule, kept for the same gas as Massa)
    m.call("f", 0);
    expect(m.used() - before).toBe(69n);
  });

  it("out of gas: an endless loop stops with Massa's message, and the gas is spent", () => {
    const rt = new ScRuntime();
    const code = wat(`(module (memory (export "memory") 1) (func (export "main") (loop br 0)))`);
    expect(() => rt.run(code, "main", new Uint8Array(), 3_000_000n, noHost)).toThrow(
      /Not enough gas, limit reached at: main/,
    );
  });

  it("a call costs the launch (15 700 after Massa's rounding) plus its operators; a start function's gas is the instance cost", () => {
    const rt = new ScRuntime();
    const plain = wat(`(module (memory (export "memory") 1) (func (export "main") nop))`);
    const r = rt.run(plain, "main", new Uint8Array(), 10_000_000n, noHost);
    expect(MASSA_GAS_COSTS.launch).toBe(15_700);
    expect(r.initCost).toBe(0n);
    expect(r.remaining).toBe(10_000_000n - 15_700n - 46n);
    const withStart = wat(`(module (memory (export "memory") 1) (global $g (mut i32) (i32.const 0))
      (func $s i32.const 5 global.set $g) (start $s) (func (export "main") nop))`);
    const s = rt.run(withStart, "main", new Uint8Array(), 10_000_000n, noHost);
    expect(s.initCost).toBe(69n); // i32.const, global.set, end
    expect(s.remaining).toBe(10_000_000n - 69n - 15_700n - 46n);
  });

  it("a call with less gas than the instance cost is refused before it runs", () => {
    const rt = new ScRuntime();
    const plain = wat(`(module (memory (export "memory") 1) (func (export "main") nop))`);
    expect(() => rt.run(plain, "main", new Uint8Array(), 2_099_999n, noHost)).toThrow(
      /lower than the base instance creation gas cost 2100000/,
    );
  });

  it("host calls are refused while the start function runs", () => {
    const rt = new ScRuntime();
    const code = wat(`(module (import "massa" "assembly_script_get_balance" (func $b (result i64)))
      (memory 1) (func $s call $b drop) (start $s) (func (export "main") nop))`);
    expect(() => rt.run(code, "main", new Uint8Array(), 10_000_000n, noHost)).toThrow(ScError);
  });
});

describe("determinism", () => {
  it("0/0 in f64 and f32 gives the canonical NaN bits on every machine", () => {
    const m = instrumented(`(module (memory 1)
      (func (export "d") (result i64) f64.const 0 f64.const 0 f64.div i64.reinterpret_f64)
      (func (export "s") (result i32) f32.const 0 f32.const 0 f32.div i32.reinterpret_f32)
      (func (export "sq") (result i64) f64.const -1 f64.sqrt i64.reinterpret_f64))`);
    expect(m.call("d")).toBe(0x7ff8000000000000n);
    expect(m.call("s")).toBe(0x7fc00000);
    expect(m.call("sq")).toBe(0x7ff8000000000000n);
  });

  it(`recursion stops at the runtime's depth budget (${DEPTH_BUDGET} frame units), a clean error, not V8's stack`, () => {
    const rt = new ScRuntime();
    const code = wat(`(module (memory (export "memory") 1) (func $r (export "main") call $r))`);
    let err: unknown;
    try {
      rt.run(code, "main", new Uint8Array(), 4_000_000_000n, noHost);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScError);
    expect((err as ScError).kind).toBe("depth");
    // a function with 160 params and locals weighs 1 + 160/16 = 11 units: the budget holds 90 frames, r(89)
    const heavy = instrumented(`(module (memory 1)
      (func $r (export "r") (param i32) (result i32) (local ${"i64 ".repeat(159)})
        local.get 0 i32.eqz if (result i32) i32.const 0 else local.get 0 i32.const 1 i32.sub call $r i32.const 1 i32.add end))`);
    expect(heavy.call("r", 89)).toBe(89);
    expect(() => heavy.call("r", 90)).toThrow(WebAssembly.RuntimeError);
  });
});

describe("module rules (hostile modules refused with the rule they break)", () => {
  const refused = (text: string, rule: RegExp, features: Record<string, boolean> = {}) =>
    expect(() =>
      instrument(wat(text, features), { operatorCost: 23, startGas: START, limits: MASSA_MODULE_LIMITS }),
    ).toThrow(rule);
  it("more than 64 pages", () => refused(`(module (memory 65))`, /65 initial pages exceed 64/));
  it("a memory without maximum gets 64 pages at most (grow past it fails)", () => {
    const m = instrumented(`(module (memory 1) (func (export "g") (result i32) i32.const 64 memory.grow))`);
    expect(m.call("g")).toBe(-1);
  });
  it("SIMD", () => refused(`(module (memory 1) (func v128.const i64x2 0 0 drop))`, /SIMD/, { simd: true }));
  it("threads", () =>
    refused(`(module (memory 1 1 shared))`, /shared memories are refused/, { threads: true }));
  it("a huge table", () => refused(`(module (memory 1) (table 200000 funcref))`, /more than 100000 entries/));
  it("multi-value results", () =>
    refused(`(module (memory 1) (func (result i32 i32) i32.const 1 i32.const 2))`, /multi-value/, {
      multi_value: true,
    }));
  it("reference types", () =>
    refused(`(module (memory 1) (table 1 funcref) (func table.size 0 drop))`, /reference types/, {
      reference_types: true,
    }));
  it("an import from a module other than massa or env", () => {
    const rt = new ScRuntime();
    expect(() =>
      rt.compile(wat(`(module (import "wasi" "fd_write" (func)) (memory 1) (func (export "main")))`)),
    ).toThrow(/only modules "massa" and "env"/);
  });
  it("bytes that are not WebAssembly, and the protobuf runtime's 0x01 prefix", () => {
    const rt = new ScRuntime();
    expect(() => rt.compile(Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8))).toThrow(
      /not a WebAssembly 1.0 module/,
    );
    expect(() => rt.compile(Uint8Array.of(1, 0, 0x61, 0x73, 0x6d))).toThrow(/WebAssembly-v1/);
    expect(() =>
      instrument(Uint8Array.of(1), { operatorCost: 23, startGas: 1n, limits: MASSA_MODULE_LIMITS }),
    ).toThrow(ModuleError);
  });
});
