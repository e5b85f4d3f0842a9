import { describe, expect, it } from "vitest";
import { BoundedMap, BoundedSet } from "../src/index.js";

describe("BoundedMap / BoundedSet", () => {
  it("evicts the oldest entries past the entry bound; re-setting a key moves it last", () => {
    const m = new BoundedMap<string, number>(3);
    for (const [k, v] of [
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ] as const)
      m.set(k, v);
    m.set("a", 10); // now the newest
    m.set("d", 4); // evicts b, the oldest
    expect([...m.keys()]).toEqual(["c", "a", "d"]);
    expect(m.get("a")).toBe(10);
    expect(m.has("b")).toBe(false);
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
