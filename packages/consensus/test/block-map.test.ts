// The graph's slot index against the rule it stands for: the blocks at a slot are exactly those of the map
// whose index is that slot's, after any sequence of inserts, re-inserts and deletes (randomized, seeded).
import { BlockId, Slot } from "@massa-ts/models";
import { describe, expect, it } from "vitest";
import { BlockMap } from "../src/block-map.js";
import type { ActiveBlock } from "../src/types.js";

function block(n: number, index: number): ActiveBlock {
  const id = new BlockId(new Uint8Array(32).fill(n % 251).map((v, i) => (i === 0 ? n >> 8 : v)));
  return { id, index, slot: Slot.fromIndex(index, 4) } as unknown as ActiveBlock;
}

describe("BlockMap", () => {
  it("atIndex lists exactly the map's blocks at that index after random inserts and deletes", () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`block-map seed ${seed} (SEED=${seed} to repeat)`);
    let r = seed;
    const rnd = (n: number) => {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      return r % n;
    };
    const m = new BlockMap();
    const blocks = Array.from({ length: 60 }, (_, n) => block(n, rnd(12)));
    for (let step = 0; step < 3000; step++) {
      const b = blocks[rnd(blocks.length)]!;
      const op = rnd(10);
      if (op < 5) m.set(b.id.key, b);
      else if (op < 9) m.delete(b.id.key);
      else if (op === 9 && rnd(50) === 0) m.clear();
      for (let i = 0; i < 12; i++) {
        const want = [...m.values()].filter((x) => x.index === i).map((x) => x.id.key);
        expect([...m.atIndex(i)].map((x) => x.id.key).sort()).toEqual(want.sort());
      }
    }
    // a block re-inserted under another index moves
    const b = blocks[0]!;
    m.set(b.id.key, b);
    const moved = { ...b, index: (b.index + 1) % 12 } as ActiveBlock;
    m.set(b.id.key, moved);
    expect([...m.atIndex(b.index)].some((x) => x.id.key === b.id.key)).toBe(false);
    expect([...m.atIndex(moved.index)].some((x) => x.id.key === b.id.key)).toBe(true);
    expect([...m.atIndex(99)]).toEqual([]);
  });
});
