import { describe, expect, it } from "vitest";
import { BoundedMap, BoundedSet } from "../src/index.js";

describe("BoundedMap / BoundedSet", () => {
  it("evicts the oldest entries past the entry bound; setting a key again keeps its place (as a Map)", () => {
    const m = new BoundedMap<string, number>(3);
    m.set("a", 1);
    m.set("b", 2);
    m.set("c", 3);
    m.set("a", 10); // still the oldest
    m.set("d", 4); // evicts a
    expect([...m.keys()]).toEqual(["b", "c", "d"]);
    expect(m.has("a")).toBe(false);
    m.delete("b"); // delete, then set: the newest (how a cache refreshes an entry)
    m.set("b", 20);
    m.set("e", 5); // evicts c
    expect([...m.keys()]).toEqual(["d", "b", "e"]);
    expect(m.get("b")).toBe(20);
  });

  it("bounds the total weight, refuses a value heavier than the whole bound", () => {
    const m = new BoundedMap<string, Uint8Array>(100, { of: (v) => v.length, max: 10 });
    m.set("a", new Uint8Array(4));
    m.set("b", new Uint8Array(4));
    m.set("c", new Uint8Array(4)); // 12 > 10: a leaves
    expect([...m.keys()]).toEqual(["b", "c"]);
    expect(m.weightHeld).toBe(8);
    expect(m.set("huge", new Uint8Array(11))).toBe(false);
    expect(m.size).toBe(2);
    m.set("b", new Uint8Array(2)); // an update re-weighs in place: 6
    expect(m.weightHeld).toBe(6);
    m.set("d", new Uint8Array(10)); // both others leave
    expect([...m.keys()]).toEqual(["d"]);
    expect(m.weightHeld).toBe(10);
    m.delete("d");
    expect(m.weightHeld).toBe(0);
  });

  it("a set answers whether a key is new", () => {
    const s = new BoundedSet<number>(2);
    expect(s.add(1)).toBe(true);
    expect(s.add(1)).toBe(false);
    s.add(2);
    s.add(3); // forgets 1
    expect(s.has(1)).toBe(false);
    expect(s.add(1)).toBe(true);
  });
});

describe("BoundedMap against a reference FIFO", () => {
  it("keeps exactly the entries (and order, and weight) a plain list would, under random sets, re-sets and deletes", () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`bounded map test seed ${seed}`);
    let x = seed >>> 0;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (const [maxEntries, maxWeight] of [
      [5, undefined],
      [50, undefined],
      [40, 300],
      [1500, undefined],
    ] as const) {
      const m = new BoundedMap<number, number>(
        maxEntries,
        maxWeight === undefined ? undefined : { of: (v) => v, max: maxWeight },
      );
      // the reference: [key, value] oldest first
      let ref: [number, number][] = [];
      const refWeight = () => ref.reduce((s, [, v]) => s + (maxWeight === undefined ? 0 : v), 0);
      for (let step = 0; step < 12_000; step++) {
        const k = rnd(maxEntries * 3);
        if (rnd(4) === 0) {
          m.delete(k);
          ref = ref.filter(([rk]) => rk !== k);
        } else {
          const v = 1 + rnd(40);
          const kept = m.set(k, v);
          if (maxWeight !== undefined && v > maxWeight) {
            expect(kept).toBe(false);
            continue;
          }
          const at = ref.findIndex(([rk]) => rk === k);
          if (at >= 0) ref[at] = [k, v];
          else ref.push([k, v]);
          while (ref.length > maxEntries || (maxWeight !== undefined && refWeight() > maxWeight)) ref.shift();
        }
        if (step % 97 === 0 || maxEntries <= 50) {
          expect([...m.entries()]).toEqual(ref);
          expect(m.weightHeld).toBe(refWeight());
        }
      }
      expect([...m.entries()]).toEqual(ref);
      expect([...m.values()]).toEqual(ref.map(([, v]) => v));
    }
  });
});
