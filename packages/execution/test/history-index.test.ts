// The active history's index: it may answer "may hold" for a key no layer holds (a read then asks the
// layers), never "cannot hold" for a key a held layer wrote; and it does not keep settled layers' keys.
import { Address, blake3, OperationId } from "@massa-ts/models";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HistoryIndex, Layer } from "../src/layers.ts";

const te = new TextEncoder();
const addresses = Array.from({ length: 12 }, (_, i) => new Address("user", blake3(te.encode(`index-${i}`))));
const ops = Array.from({ length: 12 }, (_, i) => new OperationId(blake3(te.encode(`index-op-${i}`))));

function layer(addrs: number[], opIdx: number[]): Layer {
  const l = new Layer();
  for (const i of addrs) l.ledger.createAddress(addresses[i]!);
  for (const i of opIdx) l.executedOps.set(ops[i]!.key, { id: ops[i]!, success: true } as never);
  return l;
}

describe("history index", () => {
  it("never rules out a key a held layer wrote, through adds, settles, blockclique drops and clears", () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("add" as const),
        addrs: fc.array(fc.nat(11), { maxLength: 4 }),
        ops: fc.array(fc.nat(11), { maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant("settle" as const) }),
      fc.record({ kind: fc.constant("dropFrom" as const), at: fc.nat(10) }),
      fc.record({ kind: fc.constant("clear" as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const index = new HistoryIndex();
        let held: { l: Layer; addrs: number[]; ops: number[] }[] = [];
        for (const s of steps) {
          if (s.kind === "add") {
            const l = layer(s.addrs, s.ops);
            held.push({ l, addrs: s.addrs, ops: s.ops });
            index.add(l);
          } else if (s.kind === "settle") {
            const h = held.shift();
            if (h) index.remove(h.l);
          } else if (s.kind === "dropFrom") {
            for (const h of held.splice(s.at)) index.remove(h.l);
          } else {
            held = [];
            index.clear();
          }
          for (let i = 0; i < 12; i++) {
            const a = held.some((h) => h.addrs.includes(i));
            const o = held.some((h) => h.ops.includes(i));
            if (a) expect(index.mayHoldAddress(addresses[i]!.key)).toBe(true);
            if (o) expect(index.mayHoldOp(ops[i]!.key)).toBe(true);
            // with no layer held, nothing may be held
            if (held.length === 0) {
              expect(index.mayHoldAddress(addresses[i]!.key)).toBe(false);
              expect(index.mayHoldOp(ops[i]!.key)).toBe(false);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("settling layers one by one rules their keys out and keeps the index small", () => {
    const index = new HistoryIndex();
    const many = 2000;
    const made: Address[][] = [];
    const layers: Layer[] = [];
    for (let i = 0; i < many; i++) {
      const l = new Layer();
      const mine = Array.from(
        { length: 5 },
        (_, j) => new Address("user", blake3(te.encode(`settle-${i}-${j}`))),
      );
      for (const a of mine) l.ledger.createAddress(a);
      made.push(mine);
      layers.push(l);
      index.add(l);
      // a history of 4 layers: the oldest is settled as the newest is added
      if (i >= 4) {
        index.remove(layers[i - 4]!);
        for (const a of made[i - 4]!) expect(index.mayHoldAddress(a.key)).toBe(false);
      }
    }
    for (const a of made[many - 1]!) expect(index.mayHoldAddress(a.key)).toBe(true);
    // the index's maps hold at most about twice the held layers' keys (it sweeps settled ones)
    const size = (index as unknown as { addresses: Map<string, number> }).addresses.size;
    expect(size).toBeLessThanOrEqual(3 * 4 * 5);
  });
});
