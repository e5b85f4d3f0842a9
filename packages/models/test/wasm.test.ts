import { newWasmMemory, Op, sleb, uleb, WasmKernel, WasmType, wasm } from "@massa-ts/models/wasm";
import { describe, expect, it } from "vitest";

describe("WebAssembly assembler", () => {
  it("encodes LEB128 as the spec's examples", () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456n)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63n)).toEqual([0x3f]);
    expect(sleb(64n)).toEqual([0xc0, 0x00]);
    expect(sleb(-64n)).toEqual([0x40]);
    expect(() => uleb(-1)).toThrow(RangeError);
  });

  it("assembles a module that the engine runs: u64 multiply-high and a memory loop", () => {
    const { get, set, i64, i32, mem } = wasm;
    const kernel = new WasmKernel([
      {
        // (a · b) >> 32 on native u64 (a, b < 2^32, so the product does not wrap)
        name: "mulshr32",
        params: [WasmType.i64, WasmType.i64],
        results: [WasmType.i64],
        locals: [],
        body: [...get(0), ...get(1), Op.i64_mul, ...i64(32n), Op.i64_shr_u, Op.end],
      },
      {
        // sum of n u32 at address 0
        name: "sum",
        params: [WasmType.i32],
        results: [WasmType.i32],
        locals: [[2, WasmType.i32]],
        body: [
          Op.block,
          WasmType.void,
          Op.loop,
          WasmType.void,
          ...[...get(1), ...get(0), Op.i32_ge_u, Op.br_if, 1],
          ...[...get(2), ...get(1), ...i32(4), Op.i32_mul, ...mem(Op.i32_load, 2, 0), Op.i32_add, ...set(2)],
          ...[...get(1), ...i32(1), Op.i32_add, ...set(1), Op.br, 0],
          Op.end,
          Op.end,
          ...get(2),
          Op.end,
        ],
      },
    ]);
    const memory = newWasmMemory(1024);
    const ex = kernel.instantiate(memory);
    const mulshr32 = ex.mulshr32 as (a: bigint, b: bigint) => bigint;
    expect(mulshr32(0xffff_ffffn, 0xffff_ffffn)).toBe((0xffff_ffffn * 0xffff_ffffn) >> 32n);
    new Uint32Array(memory.buffer, 0, 5).set([1, 2, 3, 4, 1000]);
    expect((ex.sum as (n: number) => number)(5)).toBe(1010);
  });
});
