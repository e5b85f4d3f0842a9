// The signature cache against a plain list of its rule: a key is remembered when it was added among the last
// `capacity` additions (a key added again counts again), with the signature bytes it was added with last.
// Randomized, seeded.
import { seededRandom } from "@massa-ts/models/testing";
import { describe, expect, it } from "vitest";
import { SignatureCache } from "../src/signature-cache.ts";

describe("SignatureCache", () => {
  it("remembers the keys added last with their exact signature bytes", () => {
    const random = seededRandom("signature-cache");
    const signature = () => Uint8Array.from({ length: 64 }, () => Math.floor(random() * 4)); // often alike
    for (const capacity of [1, 3, 50, 700]) {
      const cache = new SignatureCache(capacity);
      let adds: [string, Uint8Array][] = []; // the last `capacity` additions, oldest first
      const heldBy = (key: string): Uint8Array | undefined => {
        for (let i = adds.length - 1; i >= 0; i--) if (adds[i]![0] === key) return adds[i]![1];
        return undefined;
      };
      for (let step = 0; step < 20_000; step++) {
        const key = `k${Math.floor(random() * capacity * 3)}`;
        const sig = random() < 0.5 ? (heldBy(key) ?? signature()) : signature();
        if (random() < 0.6) {
          cache.add(key, sig);
          adds.push([key, sig.slice()]);
          if (adds.length > capacity) adds = adds.slice(-capacity);
        }
        const held = heldBy(key);
        const expected = held?.every((b, i) => b === sig[i]) ?? false;
        expect(cache.has(key, sig)).toBe(expected);
        if (step % 97 === 0) expect(cache.size).toBe(new Set(adds.map(([k]) => k)).size);
      }
      const model = [...new Set(adds.map(([k]) => k))].map((k) => [k, heldBy(k)!] as const);
      // every key the model holds, with its bytes, and one byte changed: refused
      for (const [k, sig] of model) {
        expect(cache.has(k, sig)).toBe(true);
        const forged = sig.slice();
        const at = Math.floor(random() * 64);
        forged[at] = forged[at]! ^ 0x80;
        expect(cache.has(k, forged)).toBe(false);
      }
    }
  });

  it("a reused slot does not answer for the key that held it, even with the new owner's bytes", () => {
    const cache = new SignatureCache(2);
    const a = new Uint8Array(64).fill(1);
    const b = new Uint8Array(64).fill(2);
    cache.add("a", a);
    cache.add("x", new Uint8Array(64));
    cache.add("b", b); // takes a's slot
    expect(cache.has("a", a)).toBe(false);
    expect(cache.has("a", b)).toBe(false);
    expect(cache.has("b", b)).toBe(true);
  });

  it("refuses bytes that are no signature, and a capacity that is none", () => {
    const cache = new SignatureCache(4);
    expect(() => cache.add("k", new Uint8Array(63))).toThrow(RangeError);
    expect(cache.has("k", new Uint8Array(65))).toBe(false);
    expect(() => new SignatureCache(0)).toThrow(RangeError);
  });
});
