// A thread's pool order as sorted chunks: after any mix of inserts, deletes and filters it walks exactly
// the operations a plain list sorted by the rule holds (fee, highest first, then operation id), both ways,
// across many chunk splits and emptied chunks. Seeded: the seed is printed, SEED=N replays a run.
import { Amount, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { seededRandom } from "@massa-ts/models/testing";
import { describe, expect, it } from "vitest";
import { PoolOrder } from "../src/node/pool-order.ts";
import { poolRule } from "./pool-rule.ts";

const te = new TextEncoder();

describe("pool order", () => {
  it("holds what a sorted list holds, in its order, through inserts, deletes and filters", () => {
    const rand = seededRandom("pool order");
    const key = new SecretKey(blake3(te.encode("pool-order")));
    const ops = Array.from({ length: 3000 }, (_, n) =>
      SignedOperation.sign(
        {
          // few fee levels: most ties are ordered by id
          fee: Amount.fromNano(BigInt(Math.floor(rand() * 5)) * 1000n),
          expirePeriod: 20,
          payload: { type: "RollBuy", rollCount: BigInt(n + 1) },
        },
        key,
        77n,
      ),
    );
    const order = new PoolOrder();
    let held: SignedOperation[] = [];
    const check = () => {
      const sorted = [...held].sort(poolRule);
      expect(order.size).toBe(sorted.length);
      expect([...order].map((o) => o.id.key)).toEqual(sorted.map((o) => o.id.key));
      expect([...order.backwards()].map((o) => o.id.key)).toEqual(sorted.reverse().map((o) => o.id.key));
    };
    // grow to 2 500 (chunks split), with deletes among the inserts
    let next = 0;
    while (next < 2500) {
      if (held.length > 0 && rand() < 0.25) {
        const i = Math.floor(rand() * held.length);
        expect(order.delete(held[i]!)).toBe(true);
        expect(order.delete(held[i]!)).toBe(false); // gone: a second delete finds nothing
        held.splice(i, 1);
      } else {
        order.insert(ops[next]!);
        held.push(ops[next++]!);
      }
    }
    check();
    expect(order.delete(ops[2999]!)).toBe(false); // never held
    // a filter drops about two thirds, then deletes empty whole chunks
    const keep = new Set(held.filter(() => rand() < 0.33));
    order.filter((o) => keep.has(o));
    held = held.filter((o) => keep.has(o));
    check();
    for (const o of [...held].sort(poolRule).slice(0, Math.floor(held.length / 2))) {
      expect(order.delete(o)).toBe(true);
      held.splice(held.indexOf(o), 1);
    }
    check();
    // and it grows again after that
    for (; next < 3000; next++) {
      order.insert(ops[next]!);
      held.push(ops[next]!);
    }
    check();
  });
});
