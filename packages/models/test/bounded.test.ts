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
