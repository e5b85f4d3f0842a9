// The state hash's per-entry kernel, SIMD and scalar batches each against @noble/hashes' XOF-512 (the
// reference): accumulators that start non-zero, batches past the stage's 256 entries, every length the
// kernel takes (16 + key + value ≤ 1024 bytes).

import { Blake3XorKernel, entryHashReference } from "@massa-ts/final-state/testing";
import { toHex } from "@massa-ts/models";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const xorInto = (acc: Uint8Array, h: Uint8Array) => {
  for (let i = 0; i < acc.length; i++) acc[i]! ^= h[i]!;
};

describe("the state hash's XOR kernel", () => {
  it("has WebAssembly SIMD on this Node, so the SIMD batch is the one the node runs", () => {
    expect(new Blake3XorKernel().simd).toBe(true);
    expect(new Blake3XorKernel({ simd: false }).simd).toBe(false);
  });

  for (const simd of [true, false]) {
    const name = simd ? "SIMD" : "scalar";
    it(`${name}: random entries XORed into a random accumulator give the reference bytes`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 512, maxLength: 512 }),
          fc.array(fc.tuple(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 888 })), {
            maxLength: 12,
          }),
          (start, entries) => {
            const kernel = new Blake3XorKernel({ simd });
            const acc = start.slice();
            const want = start.slice();
            for (const [k, v] of entries) {
              expect(kernel.xorEntry(acc, k, v)).toBe(true);
              xorInto(want, entryHashReference(k, v));
            }
            kernel.flush();
            expect(toHex(acc)).toBe(toHex(want));
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${name}: 700 entries (several batches) and every block boundary up to one chunk`, () => {
      const kernel = new Blake3XorKernel({ simd });
      const acc = new Uint8Array(512).fill(0xa5);
      const want = acc.slice();
      for (let i = 0; i < 700; i++) {
        const k = Uint8Array.of(i & 0xff, i >> 8, 3);
        const v = new Uint8Array(i % 7 === 0 ? 1008 - 3 : (i * 37) % 500).fill(i & 0xff);
        expect(kernel.xorEntry(acc, k, v)).toBe(true);
        xorInto(want, entryHashReference(k, v));
      }
      for (const len of [0, 1, 47, 48, 49, 111, 112, 113, 1007, 1008]) {
        const v = new Uint8Array(len).map((_, j) => j * 13);
        expect(kernel.xorEntry(acc, new Uint8Array(0), v)).toBe(true);
        xorInto(want, entryHashReference(new Uint8Array(0), v));
      }
      // one past a chunk is not the kernel's
      expect(kernel.xorEntry(acc, new Uint8Array(0), new Uint8Array(1009))).toBe(false);
      kernel.flush();
      expect(toHex(acc)).toBe(toHex(want));
    });
  }
});
