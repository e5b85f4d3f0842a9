// One scenario per rule stage and per graph behaviour, each built from the helpers beside this file.
import { BlockGraph } from "@massa-ts/consensus";
import {
  Amount,
  type BlockId,
  operationMerkleRoot,
  SignedBlockHeader,
  SignedEndorsement,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { describe, expect, it } from "vitest";
import { chain, chain2, draws, graph, key, mk, other, staker, T } from "./helpers.ts";

describe("block graph", () => {
  it("a linear chain: one clique, blocks become final once their descendants weigh more than DELTA_F0", () => {
    const { g } = graph(20);
    const ids = chain(g, new Slot(6, 1), { endorse: 4 }); // fitness 5 each
    // (1,0) has 11 descendants × 5 = 55 > 20: final; the last blocks are not
    expect(g.status(ids[0]!)).toEqual({ kind: "active", final: true });
    expect(g.status(ids.at(-1)!)).toEqual({ kind: "active", final: false });
    expect(g.allCliques()).toHaveLength(1);
    // exactly: a block is final when the fitness of its descendants exceeds 20, i.e. ≥ 5 descendants
    const finals = ids.map((id) => (g.status(id) as { final: boolean }).final);
    expect(finals).toEqual(ids.map((_, i) => ids.length - 1 - i >= 5));
    // the final slot bound: every slot up to the latest final block's slot
    // latest final blocks (4, 0) and (3, 1): every slot up to (4, 0) is final
    expect(g.finalSlotBound(new Slot(0, 1)).toString()).toBe(new Slot(4, 0).toString());
  });

  it("two blocks at one slot are incompatible: two cliques, the heavier one is the blockclique", () => {
    const { g } = graph(1000);
    chain(g, new Slot(1, 1));
    const parents = g.bestParents();
    const a = mk(new Slot(2, 0), parents, { endorse: 1 });
    const b = mk(new Slot(2, 0), parents, { endorse: 3 });
    g.addBlock(a, new Slot(2, 0));
    const r = g.addBlock(b, new Slot(2, 0));
    expect(r.status.kind).toBe("active");
    expect(r.update.blockcliqueChanged).toBe(true);
    const cliques = g.allCliques();
    expect(cliques).toHaveLength(2);
    expect(g.isInBlockclique(b.header.id)).toBe(true);
    expect(g.isInBlockclique(a.header.id)).toBe(false);
    // the block at a slot is the blockclique's, not the other clique's
    expect(g.blockAt(new Slot(2, 0))?.header.id.key).toBe(b.header.id.key);
    expect(g.blockAt(new Slot(2, 1))).toBeNull();
    // a child of `a` makes a's clique heavier: the blockclique switches
    const c = mk(new Slot(2, 1), [a.header.id, parents[1]!], { endorse: 4 });
    expect(g.addBlock(c, new Slot(2, 1)).update.blockcliqueChanged).toBe(true);
    expect(g.isInBlockclique(a.header.id)).toBe(true);
    expect(g.bestParents().map(String)).toEqual([a.header.id, c.header.id].map(String));
    expect(g.blockAt(new Slot(2, 0))?.header.id.key).toBe(a.header.id.key);
    expect(g.blockAt(new Slot(2, 1))?.header.id.key).toBe(c.header.id.key);
  });

  it("blocks a full period apart on different branches are incompatible (today's rule)", () => {
    const { g, genesis } = graph(1000);
    // branch A: (1,0); branch B built on genesis only, two periods later in thread 0
    const a = mk(new Slot(1, 0), genesis);
    g.addBlock(a, new Slot(5, 0));
    const b = mk(new Slot(3, 0), genesis);
    g.addBlock(b, new Slot(5, 0));
    expect(g.allCliques()).toHaveLength(2);
  });

  it("a clique left DELTA_F0 behind is discarded as stale", () => {
    const { g } = graph(12);
    chain(g, new Slot(1, 1));
    const parents = g.bestParents();
    const loser = mk(new Slot(2, 0), parents);
    g.addBlock(loser, new Slot(2, 0));
    const winner = mk(new Slot(2, 0), parents, { endorse: 1 });
    g.addBlock(winner, new Slot(2, 0));
    let s = new Slot(2, 1);
    let discarded = false;
    for (let i = 0; i < 8 && !discarded; i++) {
      const r = g.addBlock(mk(s, g.bestParents(), { endorse: 4 }), s);
      discarded = r.update.discarded.some((d) => d.equals(loser.header.id));
      s = s.next(T);
    }
    expect(discarded).toBe(true);
    expect(g.status(loser.header.id)?.kind).toBe("stale");
    // listed among the stale blocks (get_graph_interval), with its slot and creator
    const listed = g.staleBlocks().find((b) => b.id.equals(loser.header.id));
    expect(listed?.slot.toString()).toBe(new Slot(2, 0).toString());
    expect(listed?.creator.equals(loser.header.creatorAddress)).toBe(true);
  });

  it("invalid: wrong producer, endorsement of another block, operation twice or reused from an ancestor", () => {
    const { g } = graph(1000);
    chain(g, new Slot(1, 1));
    const s = new Slot(2, 0);
    expect(g.addBlock(mk(s, g.bestParents(), { by: other }), s).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/bad creator turn/),
    });
    expect(g.addBlock(mk(s, g.bestParents(), { endorse: 1, endorseWrong: true }), s).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/same-thread parent/),
    });
    const sender = key("sender"); // any thread: protocol checks the thread, not consensus
    const o = SignedOperation.sign(
      { fee: Amount.ZERO, expirePeriod: 8, payload: { type: "RollBuy", rollCount: 1n } },
      sender,
      77n,
    );
    expect(g.addBlock(mk(s, g.bestParents(), { ops: [o, o] }), s).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/included twice/),
    });
    const withOp = mk(s, g.bestParents(), { ops: [o] });
    expect(g.addBlock(withOp, s).status.kind).toBe("active");
    g.addBlock(mk(new Slot(2, 1), g.bestParents()), new Slot(3, 0));
    // the factory's view of the same rule: the thread-0 ancestry of the next block holds the operation,
    // that of thread 1 does not
    const p = g.bestParents();
    expect(g.opsInAncestry(p[0]!, new Slot(3, 0)).has(o.id.key)).toBe(true);
    expect(g.opsInAncestry(p[1]!, new Slot(3, 1)).has(o.id.key)).toBe(false);
    expect(g.opsInAncestry(p[0]!, new Slot(12, 0)).has(o.id.key)).toBe(true); // period 2 = 12 − 10: still in
    expect(g.opsInAncestry(p[0]!, new Slot(13, 0)).has(o.id.key)).toBe(false); // beyond the window
    expect(
      g.addBlock(mk(new Slot(3, 0), g.bestParents(), { ops: [o] }), new Slot(3, 0)).status,
    ).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/operation reuse/),
    });
  });

  it("invalid: parents in the wrong thread or not before the slot, mutually incompatible parents, bad endorsement indices", () => {
    const { g } = graph(1000);
    chain(g, new Slot(2, 1));
    const p = g.bestParents();
    const s = new Slot(3, 0);
    expect(g.addBlock(mk(s, [p[1]!, p[0]!]), s).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/wrong thread/),
    });
    // two blocks at (3, 0): a child in thread 1 taking one as parent 0 and … the other's sibling as parent 1
    const x = mk(s, p);
    const y = mk(s, p, { endorse: 1 });
    g.addBlock(x, s);
    g.addBlock(y, s);
    const yChild = mk(new Slot(3, 1), [y.header.id, p[1]!]);
    g.addBlock(yChild, new Slot(3, 1));
    const mixed = mk(new Slot(4, 0), [x.header.id, yChild.header.id]);
    expect(g.addBlock(mixed, new Slot(4, 0)).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/not mutually compatible|incompatible/),
    });
    // a parent at the block's own slot is not before it
    const same = mk(new Slot(3, 1), [x.header.id, p[1]!]);
    const sameSlotChild = mk(new Slot(3, 1), [x.header.id, same.header.id]);
    g.addBlock(same, new Slot(3, 1));
    expect(g.addBlock(sameSlotChild, new Slot(3, 1)).status).toMatchObject({ kind: "invalid" });
    // endorsement index repeated: build the header by hand
    const e = SignedEndorsement.sign({ slot: new Slot(4, 1), index: 0, endorsedBlock: p[1]! }, staker);
    const twice = SignedBlockHeader.sign(
      {
        currentVersion: 0,
        announcedVersion: undefined,
        slot: new Slot(4, 1),
        parents: [x.header.id, p[1]!],
        operationMerkleRoot: operationMerkleRoot([]),
        endorsements: [e, e],
        denunciations: [],
      },
      staker,
    );
    expect(g.addBlock({ header: twice, operations: [] }, new Slot(4, 1)).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/repeated/),
    });
  });

  it("a child of an invalid block is invalid; a block incompatible with a final one is stale", () => {
    const { g, genesis } = graph(20);
    chain(g, new Slot(1, 1));
    const s = new Slot(2, 0);
    const badParent = mk(s, g.bestParents(), { by: other });
    expect(g.addBlock(badParent, s).status.kind).toBe("invalid");
    const child = mk(new Slot(2, 1), [badParent.header.id, g.bestParents()[1]!]);
    expect(g.addBlock(child, new Slot(2, 1)).status).toMatchObject({
      kind: "invalid",
      reason: expect.stringMatching(/parent was discarded/),
    });
    // finalize a few periods, then a block on genesis two periods after a final block of its thread
    chain2(g, new Slot(8, 1));
    const late = mk(new Slot(9, 1), genesis);
    expect(g.addBlock(late, new Slot(9, 1)).status).toMatchObject({ kind: "stale" });
  });

  it("prune forgets old final blocks and the chain keeps growing on the kept ones", () => {
    const { g } = graph(20);
    const ids = chain(g, new Slot(20, 1), { endorse: 4 });
    const first = g.blockAt(new Slot(1, 0))!;
    expect(first.header.id.key).toBe(ids[0]!.key);
    const removed = g.prune(4);
    expect(removed).toBeGreaterThan(10);
    expect(g.status(ids[0]!)).toBeUndefined();
    // a pruned block is no longer the block at its slot; a kept final one still is
    expect(g.blockAt(new Slot(1, 0))).toBeNull();
    const kept = g.latestFinalBlocks()[0]!;
    expect(g.blockAt(g.slotOf(kept)!)?.header.id.key).toBe(kept.key);
    expect(g.latestFinalBlocks().every((id) => g.status(id)?.kind === "active")).toBe(true);
    chain2(g, new Slot(24, 1));
    expect(g.status(g.bestParents()[1]!)).toEqual({ kind: "active", final: false });
    expect(g.finalSlotBound(new Slot(20, 0)).period).toBeGreaterThan(20);
  });

  it("a block from the future waits for its slot; one with a missing parent waits for it; too old is stale", () => {
    const { g } = graph(20);
    chain(g, new Slot(1, 1));
    const p = g.bestParents();
    const future = mk(new Slot(2, 0), p);
    expect(g.addBlock(future, new Slot(1, 1)).status.kind).toBe("waiting-slot");
    const child = mk(new Slot(2, 1), [future.header.id, p[1]!]);
    expect(g.addBlock(child, new Slot(2, 1)).status).toMatchObject({ kind: "waiting-parents" });
    // the slot comes: the future block activates, then its waiting child
    const u = g.tick(new Slot(2, 1));
    expect(u.blockcliqueChanged).toBe(true);
    expect(g.status(future.header.id)?.kind).toBe("active");
    expect(g.status(child.header.id)?.kind).toBe("active");
    chain2(g, new Slot(8, 1));
    const old = mk(new Slot(2, 0), p);
    expect(g.addBlock(old, new Slot(9, 0)).status).toMatchObject({ kind: "stale" });
  });
});

describe("block graph: verdicts that do not depend on timing", () => {
  const sender = key("reuse-sender");
  const op = SignedOperation.sign(
    { fee: Amount.ZERO, expirePeriod: 9, payload: { type: "RollBuy", rollCount: 1n } },
    sender,
    77n,
  );

  it("an operation reused from a final ancestor behind the first final one is invalid, settled or not", () => {
    // RULES.md §6: every ancestor within the validity window counts, final or not. One node may have
    // settled the original inclusion already (its executed-ops set has it), another not yet: both must
    // say "invalid"
    for (const settled of [false, true]) {
      const executed = new Set<string>();
      const { g } = graph(20, { isFinalExecuted: (id) => executed.has(id.key) });
      let s = new Slot(1, 0);
      let withOp: BlockId | undefined;
      while (Slot.compare(s, new Slot(5, 1)) <= 0) {
        const b = mk(s, g.bestParents(), { endorse: 4, ...(s.equals(new Slot(2, 0)) ? { ops: [op] } : {}) });
        expect(g.addBlock(b, s).status.kind).toBe("active");
        if (s.equals(new Slot(2, 0))) withOp = b.header.id;
        s = s.next(T);
      }
      // fitness 5 per block, DELTA_F0 20: (3, 0) has 5 descendants (final), (4, 0) has 3 (not final)
      const p = g.bestParents();
      const ancestors = g.activeBlocks().filter((b) => b.slot.thread === 0 && b.slot.period >= 2);
      expect(ancestors.find((b) => b.slot.period === 3)?.final).toBe(true);
      expect(ancestors.find((b) => b.slot.period === 4)?.final).toBe(false);
      expect(g.status(withOp!)).toEqual({ kind: "active", final: true });
      if (settled) executed.add(op.id.key);
      expect(g.opsInAncestry(p[0]!, new Slot(6, 0)).has(op.id.key)).toBe(true);
      const reuse = mk(new Slot(6, 0), p, { endorse: 4, ops: [op] });
      expect(g.addBlock(reuse, new Slot(6, 0)).status, `settled: ${settled}`).toMatchObject({
        kind: "invalid",
        reason: expect.stringMatching(/operation reuse/),
      });
    }
  });

  it("a block waiting for a parent that turns out invalid is discarded with it", () => {
    const { g } = graph(1000);
    chain(g, new Slot(1, 1));
    const p = g.bestParents();
    const bad = mk(new Slot(2, 0), p, { by: other });
    const child = mk(new Slot(2, 1), [bad.header.id, p[1]!]);
    const grandchild = mk(new Slot(3, 0), [bad.header.id, child.header.id]);
    expect(g.addBlock(child, new Slot(3, 0)).status.kind).toBe("waiting-parents");
    expect(g.addBlock(grandchild, new Slot(3, 0)).status.kind).toBe("waiting-parents");
    expect(g.addBlock(bad, new Slot(3, 0)).status.kind).toBe("invalid");
    expect(g.status(child.header.id)).toMatchObject({ kind: "invalid", reason: /parent was discarded/ });
    expect(g.status(grandchild.header.id)).toMatchObject({ kind: "invalid" });
  });

  it("far-future blocks cannot evict blocks waiting for their parents; the earliest future slots are kept", () => {
    const { g } = graph(1000, { maxWaiting: 4 });
    chain(g, new Slot(1, 1));
    const p = g.bestParents();
    const parent = mk(new Slot(2, 0), p);
    const orphan = mk(new Slot(2, 1), [parent.header.id, p[1]!]);
    expect(g.addBlock(orphan, new Slot(2, 1)).status.kind).toBe("waiting-parents");
    const future = Array.from({ length: 10 }, (_, i) => mk(new Slot(40 - i, 0), p));
    for (const b of future) expect(g.addBlock(b, new Slot(2, 1)).status.kind).toBe("waiting-slot");
    expect(g.status(orphan.header.id)?.kind).toBe("waiting-parents");
    const kept = future.filter((b) => g.status(b.header.id)?.kind === "waiting-slot");
    expect(kept.map((b) => b.header.content.slot.period).sort()).toEqual([31, 32, 33, 34]);
    expect(g.addBlock(parent, new Slot(2, 1)).status.kind).toBe("active");
    expect(g.status(orphan.header.id)?.kind).toBe("active");
  });

  it("a graph rebuilt from final blocks refuses blocks at slots its final state has settled", () => {
    const { g } = graph(20);
    chain(g, new Slot(6, 1), { endorse: 4 });
    const finals = g
      .activeBlocks()
      .filter((b) => b.final && b.slot.period > 0)
      .map((b) => g.get(b.id)!);
    const latest = g.latestFinalBlocks().map((id) => g.activeBlocks().find((b) => b.id.equals(id))!.slot);
    // a final state settled two periods past the latest final blocks (those slots were missed)
    const floor = new Slot(latest[0]!.period + 2, 1);
    const r = BlockGraph.fromFinalBlocks(
      { threadCount: T, endorsementCount: 4, deltaF0: 20, operationValidityPeriods: 10 },
      finals,
      draws,
      undefined,
      floor,
    );
    const p = r.bestParents();
    const atFloor = mk(floor, p);
    expect(r.addBlock(atFloor, floor.next(T)).status).toMatchObject({ kind: "stale" });
    const after = mk(floor.next(T), p);
    expect(r.addBlock(after, floor.next(T)).status.kind).toBe("active");
  });
});
