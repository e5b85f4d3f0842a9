// Final blocks whose operations the graph lets go of (Massa keeps a final block's operations in memory for
// `force_keep_final_periods`, its header longer): read back whole from the block source, their headers kept,
// and no verdict of the reuse rule changed. Expected values worked by hand from the finality rule (DELTA_F0
// 20, fitness 5 a block: a block is final once 5 blocks follow it) and the validity window (10 periods).
import { BlockGraph, type ConsensusBlock } from "@massa-ts/consensus";
import { Amount, type BlockId, genesisHeader, SignedOperation, Slot } from "@massa-ts/models";
import { describe, expect, it } from "vitest";
import { draws, genesisKey, graph, key, mk, T } from "./helpers.ts";

const sender = key("release-sender");
let nonce = 0;
/** A distinct operation (its roll count varies). */
const operation = () =>
  SignedOperation.sign(
    { fee: Amount.ZERO, expirePeriod: 1000, payload: { type: "RollBuy", rollCount: BigInt(++nonce) } },
    sender,
    77n,
  );

/** A chain of one block per slot from (1, 0) to `to`, each with one operation, kept by id as a store would. */
function chainWithOps(
  g: BlockGraph,
  to: Slot,
  store: Map<string, ConsensusBlock>,
  reuse?: Map<number, SignedOperation>,
) {
  const ids: BlockId[] = [];
  for (let s = new Slot(1, 0); Slot.compare(s, to) <= 0; s = s.next(T)) {
    const op = s.thread === 0 ? (reuse?.get(s.period) ?? operation()) : operation();
    const b = mk(s, g.bestParents(), { endorse: 4, ops: [op] });
    expect(g.addBlock(b, s).status.kind, `block at ${s}`).toBe("active");
    store.set(b.header.id.key, b);
    ids.push(b.header.id);
  }
  return ids;
}

describe("released operations", () => {
  it("final blocks behind the window give their operations back to the source, and are read back whole", () => {
    const { g } = graph(20);
    const store = new Map<string, ConsensusBlock>();
    const ids = chainWithOps(g, new Slot(30, 1), store);
    let reads = 0;
    g.setBlockSource((id) => {
      reads++;
      return store.get(id.key);
    });
    // the last block is (30, 1), index 61: blocks up to index 56 are final, so the latest final blocks are
    // (28, 0) and (27, 1); the oldest of them is at period 27
    // settled up to period 12: only periods 1 to 11 go (22 blocks)
    expect(g.releaseOperations(10, 12)).toBe(22);
    // then the whole horizon, 27 − 10 = 17: periods 12 to 16 go too (10 blocks)
    expect(g.releaseOperations(10)).toBe(10);
    expect(g.releaseOperations(10)).toBe(0);
    expect(reads).toBe(0);
    const byPeriod = (p: number, t: number) => ids[(p - 1) * T + t]!;
    // a released block: whole again from the source, its header at hand without a read
    const old = byPeriod(5, 1);
    expect(g.header(old)?.id.equals(old)).toBe(true);
    expect(reads).toBe(0);
    const back = g.get(old);
    expect(reads).toBe(1);
    expect(back).toBe(store.get(old.key));
    expect(back?.operations).toHaveLength(1);
    expect(g.blockAt(new Slot(5, 1))).toBe(store.get(old.key));
    expect(reads).toBe(2);
    // a block of period 17 keeps its operations in memory
    const kept = byPeriod(17, 0);
    expect(g.get(kept)).toBe(store.get(kept.key));
    expect(reads).toBe(2);
    // a final block read back through takeNewlyFinal's path too: the newly final list is whole
    expect(g.takeNewlyFinal().every((b) => b.operations.length === 1)).toBe(true);
  });

  it("one operation of a block by position: from memory, from the operation source, or from the whole block", () => {
    const { g, genesis } = graph(20);
    const store = new Map<string, ConsensusBlock>();
    const ids = chainWithOps(g, new Slot(30, 1), store);
    const byPeriod = (p: number, t: number) => ids[(p - 1) * T + t]!;
    let reads = 0;
    const opReads: [string, number][] = [];
    g.setBlockSource(
      (id) => {
        reads++;
        return store.get(id.key);
      },
      (id, _slot, position) => {
        opReads.push([id.key, position]);
        return store.get(id.key)?.operations[position];
      },
    );
    expect(g.releaseOperations(10)).toBe(32);
    const kept = byPeriod(17, 0);
    const old = byPeriod(5, 1);
    // held in memory: no read of either kind
    expect(g.operationAt(kept, 0)).toBe(store.get(kept.key)!.operations[0]);
    expect(g.operationAt(kept, 1)).toBeUndefined();
    expect([reads, opReads.length]).toEqual([0, 0]);
    // released: the operation source alone, asked for that block and position
    expect(g.operationAt(old, 0)).toBe(store.get(old.key)!.operations[0]);
    expect(opReads).toEqual([[old.key, 0]]);
    expect(reads).toBe(0);
    // genesis blocks and unknown blocks have none, without a read
    expect(g.operationAt(genesis[0]!, 0)).toBeUndefined();
    expect(g.operationAt(mk(new Slot(40, 0), genesis).header.id, 0)).toBeUndefined();
    expect([reads, opReads.length]).toEqual([0, 1]);
    // without an operation source, the whole block is read back
    g.setBlockSource((id) => {
      reads++;
      return store.get(id.key);
    });
    expect(g.operationAt(old, 0)).toBe(store.get(old.key)!.operations[0]);
    expect(reads).toBe(1);
  });

  it("refuses to release inside the validity window, or without a source", () => {
    const { g } = graph(20);
    expect(() => g.releaseOperations(10)).toThrow(/no block source/);
    g.setBlockSource(() => undefined);
    expect(() => g.releaseOperations(9)).toThrow(/validity window \(10\)/);
  });

  it("a block released but missing from its source is an error that names it, not a block without operations", () => {
    const { g } = graph(20);
    const store = new Map<string, ConsensusBlock>();
    const ids = chainWithOps(g, new Slot(30, 1), store);
    g.setBlockSource(() => undefined);
    g.releaseOperations(10);
    expect(() => g.get(ids[0]!)).toThrow(new RegExp(`released block ${ids[0]} is not in the block source`));
  });

  it("the reuse rule says the same with and without released blocks: invalid up to 10 periods back, valid after", () => {
    // an operation included at (2, 0) and offered again at (2 + k, 0): within the window (k ≤ 10) the
    // ancestor holding it counts, past it (k ≥ 11) it does not (the final state's executed operations are
    // only asked about ancestors the graph no longer holds; none here)
    for (const k of [9, 10, 11, 12]) {
      const verdicts = [false, true].map((release) => {
        const { g } = graph(20);
        const store = new Map<string, ConsensusBlock>();
        g.setBlockSource((id) => store.get(id.key));
        const op = operation();
        // blocks up to (1 + k, 1), releasing after every block when asked to
        const reuse = new Map([[2, op]]);
        for (let s = new Slot(1, 0); Slot.compare(s, new Slot(1 + k, 1)) <= 0; s = s.next(T)) {
          const o = s.thread === 0 ? (reuse.get(s.period) ?? operation()) : operation();
          const b = mk(s, g.bestParents(), { endorse: 4, ops: [o] });
          expect(g.addBlock(b, s).status.kind).toBe("active");
          store.set(b.header.id.key, b);
          if (release) g.releaseOperations(10);
        }
        const again = mk(new Slot(2 + k, 0), g.bestParents(), { endorse: 4, ops: [op] });
        return g.addBlock(again, new Slot(2 + k, 0)).status.kind;
      });
      expect(verdicts, `k = ${k}`).toEqual(k <= 10 ? ["invalid", "invalid"] : ["active", "active"]);
    }
  });

  it("a graph rebuilt from stored final blocks releases them like any other, never its genesis blocks", () => {
    const { g } = graph(20);
    const store = new Map<string, ConsensusBlock>();
    chainWithOps(g, new Slot(30, 1), store);
    const finals = g
      .activeBlocks()
      .filter((b) => b.final && b.slot.period > 0)
      .map((b) => g.get(b.id)!);
    // as a restarted node rebuilds it: its genesis blocks (no operations) beside the stored final blocks
    const genesis = [0, 1].map((t) => ({ header: genesisHeader(t, genesisKey), operations: [] }));
    const r = BlockGraph.fromFinalBlocks(
      { threadCount: T, endorsementCount: 4, deltaF0: 20, operationValidityPeriods: 10 },
      [...genesis, ...finals],
      draws,
    );
    r.setBlockSource((id) => store.get(id.key));
    // latest final blocks (28, 0) and (27, 1) as before: periods 1 to 16 go, 32 blocks, no genesis block
    expect(r.releaseOperations(10)).toBe(32);
    expect(r.get(genesis[0]!.header.id)).toBe(genesis[0]);
  });
});
