import { blake3Short } from "@massa-ts/models/blake3-kernel";
import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { describe, expect, it } from "vitest";

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));
/** The official vectors' input: byte i is i mod 251. */
const vectorInput = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

describe("BLAKE3 one-chunk WebAssembly kernel", () => {
  it("gives the official test vectors (BLAKE3 repository, test_vectors.json)", () => {
    expect(hex(blake3Short(vectorInput(0)))).toBe(
      "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    );
    expect(hex(blake3Short(vectorInput(1)))).toBe(
      "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
    );
  });

  it("equals @noble/hashes for every length up to one chunk, and declines longer inputs", () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`blake3 kernel test seed ${seed}`);
    let x = seed >>> 0;
    const byte = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x >>> 24;
    };
    for (let n = 0; n <= 1024; n++) {
      const data = Uint8Array.from({ length: n }, byte);
      expect(hex(blake3Short(data)), `length ${n}`).toBe(hex(nobleBlake3(data)));
    }
    // a shorter input after a longer one: the padding left by the longer one must not leak in
    const long = new Uint8Array(1000).fill(0xff);
    blake3Short(long);
    expect(hex(blake3Short(Uint8Array.of(1, 2, 3)))).toBe(hex(nobleBlake3(Uint8Array.of(1, 2, 3))));
    expect(blake3Short(new Uint8Array(1025))).toBeNull();
  });
});

describe("BLAKE3 of inputs longer than a chunk", () => {
  it("equals @noble/hashes once the WebAssembly hasher is loaded (chunk and tree boundaries, a block's list)", async () => {
    const { blake3, blake3Loaded, blake3Tuple } = await import("@massa-ts/models");
    await blake3Loaded();
    for (const n of [1025, 2047, 2048, 2049, 3072, 4097, 65_537, 205_000]) {
      const data = vectorInput(n);
      expect(hex(blake3(data)), `length ${n}`).toBe(hex(nobleBlake3(data)));
    }
    // Massa's compute_from_tuple: u64be(len) ‖ part for each part (an operation list of 5 000 ids)
    const parts = Array.from({ length: 5000 }, (_, i) => vectorInput(33).map((b) => (b + i) & 0xff));
    const joined = new Uint8Array(5000 * 41);
    parts.forEach((p, i) => {
      joined[i * 41 + 7] = 33;
      joined.set(p, i * 41 + 8);
    });
    expect(hex(blake3Tuple(parts))).toBe(hex(nobleBlake3(joined)));
  });
});
