import * as nodeCrypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { doubleSha256Head, sha256 } from "../src/sha256.ts";

// node:crypto (OpenSSL) is the oracle; FIPS 180-2's "abc" vector pins the known value
const ref = (d: Uint8Array) => new Uint8Array(nodeCrypto.createHash("sha256").update(d).digest());

describe("sha256", () => {
  it("gives FIPS 180-2's value for 'abc' and for the empty input", () => {
    expect(Buffer.from(sha256(new TextEncoder().encode("abc"))).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(Buffer.from(sha256(new Uint8Array(0))).toString("hex")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("equals node:crypto on random inputs of every length 0..300 (padding into one or two blocks)", () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`sha256 test seed ${seed}`);
    let x = seed >>> 0;
    const rnd = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x >>> 24;
    };
    for (let len = 0; len <= 300; len++) {
      const d = Uint8Array.from({ length: len }, rnd);
      expect(sha256(d), `length ${len}`).toEqual(ref(d));
      const twice = ref(ref(d));
      expect(doubleSha256Head(d), `length ${len}`).toBe(new DataView(twice.buffer).getUint32(0));
    }
  });

  it("hashes a view by its own bytes, not its buffer's", () => {
    const big = Uint8Array.from({ length: 200 }, (_, i) => i);
    const view = big.subarray(70, 135);
    expect(sha256(view)).toEqual(ref(view.slice()));
  });
});
