// The inclusion index against a plain model of its rule: the `max` operations recorded first most recently
// are held, each with the blocks it was recorded in (a block recorded again keeps its place and takes the
// new record), as long as that block's record is among the `max` records made last; an operation is found
// by reading its position in the first of those blocks that still holds it. Randomized (seeded), real
// signed operations; the model keeps plain lists where the index packs numbers into bounded maps.
import { Address, Amount, BlockId, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { seededRandom } from "@massa-ts/models/testing";
import { expect, it } from "vitest";
import { InclusionIndex } from "../src/node/inclusion-index.ts";

const te = new TextEncoder();
const keys = Array.from({ length: 5 }, (_, i) => new SecretKey(blake3(te.encode(`inclusion-sender-${i}`))));
const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
const ops = Array.from({ length: 120 }, (_, i) =>
  SignedOperation.sign(
    {
      fee: Amount.fromNano(BigInt(i)),
      expirePeriod: 10,
      payload: { type: "Transaction", recipient, amount: Amount.fromNano(1n) },
    },
    keys[i % keys.length]!,
    77n,
  ),
);

interface Ref {
  id: string;
  record: number;
  position: number;
}

it("holds the operations recorded last, each with its blocks and positions, and finds each by position", () => {
  const random = seededRandom("inclusion-index");
  // [bound, operations drawn from]: fewer operations than the bound keeps them all held while old blocks'
  // records are forgotten; more makes operations come and go
  for (const [max, universe] of [
    [2, 120],
    [7, 5],
    [40, 30],
    [40, 120],
    [1000, 120],
  ] as const) {
    const index = new InclusionIndex(max);
    const blocks: { id: string; ops: SignedOperation[] }[] = [];
    let records = 0;
    const held: string[] = []; // operation keys, oldest first
    const refs = new Map<string, Ref[]>();
    const visible = (r: Ref) => r.record >= records - max;
    const released = new Set<string>(); // blocks whose operations the graph no longer returns

    for (let b = 0; b < 400; b++) {
      // a block of 0–12 operations (now and then one twice, as a bad block would); now and then one recorded again
      const block =
        blocks.length > 0 && random() < 0.15
          ? blocks[Math.floor(random() * blocks.length)]!
          : {
              id: new BlockId(blake3(te.encode(`block-${max}-${b}`))).toString(),
              ops: Array.from(
                { length: Math.floor(random() * 13) },
                () => ops[Math.floor(random() * universe)]!,
              ),
            };
      blocks.push(block);
      index.record(BlockId.fromString(block.id), block.ops);
      if (block.ops.length > 0) {
        const record = records++;
        block.ops.forEach((op, position) => {
          const k = op.id.key;
          if (!held.includes(k)) {
            held.push(k);
            refs.set(k, [{ id: block.id, record, position }]);
            if (held.length > max) refs.delete(held.shift()!);
            return;
          }
          const list = refs.get(k)!.filter(visible);
          const same = list.find((r) => r.id === block.id);
          if (!same) list.push({ id: block.id, record, position });
          else if (same.record !== record) Object.assign(same, { record, position });
          refs.set(k, list);
        });
      }
      if (random() < 0.05) released.add(blocks[Math.floor(random() * blocks.length)]!.id);

      const operationAt = (id: string, position: number) =>
        released.has(id) ? undefined : blocks.find((x) => x.id === id)?.ops[position];
      for (const op of ops.slice(0, Math.min(universe, 40) + 1)) {
        const list = (refs.get(op.id.key) ?? []).filter(visible);
        expect(index.blocksOf(op.id)).toEqual(list.map((r) => r.id));
        const found = list.find((r) => operationAt(r.id, r.position)?.id.key === op.id.key);
        expect(index.find(op.id, operationAt)).toBe(
          found ? operationAt(found.id, found.position) : undefined,
        );
      }
    }
    // the model did reach the bounds it is about
    expect(held.length).toBe(Math.min(max, universe));
    expect(records).toBeGreaterThan(max < 1000 ? 4 * max : 0);
  }
});

it("refuses a block it cannot index rather than mixing up positions", () => {
  const index = new InclusionIndex(10);
  const huge = { length: 2 ** 21 + 1 } as unknown as SignedOperation[];
  expect(() => index.record(new BlockId(blake3(te.encode("huge"))), huge)).toThrow(RangeError);
});
