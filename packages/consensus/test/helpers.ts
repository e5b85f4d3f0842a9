// The block graph tests' common ground: two threads, one staker drawn for every slot and endorsement (real
// draws), a graph on genesis blocks, and blocks and chains built on it.
import { BlockGraph, type ConsensusBlock } from "@massa-ts/consensus";
import {
  Address,
  type BlockId,
  blake3,
  genesisHeader,
  type OperationId,
  operationMerkleRoot,
  SecretKey,
  SignedBlockHeader,
  SignedEndorsement,
  type SignedOperation,
  Slot,
} from "@massa-ts/models";
import { CycleDraws, initialSeeds } from "@massa-ts/pos-draws";
import { expect } from "vitest";

export const T = 2;
const te = new TextEncoder();
export const key = (n: string) => new SecretKey(blake3(te.encode(`consensus-test-${n}`)));
export const staker = key("staker");
export const other = key("other");
export const genesisKey = key("genesis");
export const stakerAddr = Address.fromPublicKey(staker.publicKey);

/** One staker: it is drawn producer and every endorser of every slot (real draws). */
export const draws = (() => {
  const cache = new Map<number, CycleDraws>();
  return {
    getSelection(slot: Slot) {
      const c = Math.floor(slot.period / 8);
      if (c > 50) throw new Error("not drawn yet");
      let d = cache.get(c);
      if (!d) {
        d = CycleDraws.draw(
          c,
          { periodsPerCycle: 8, threadCount: T, endorsementCount: 4 },
          [[stakerAddr, 5n]],
          initialSeeds()[0]!,
          Address.fromPublicKey(genesisKey.publicKey),
        );
        cache.set(c, d);
      }
      return d.selection(slot.period, slot.thread);
    },
  };
})();

export function graph(
  deltaF0 = 20,
  opts: { isFinalExecuted?: (id: OperationId) => boolean; maxWaiting?: number } = {},
) {
  const genesis = [0, 1].map((t) => genesisHeader(t, genesisKey));
  const g = new BlockGraph(
    {
      threadCount: T,
      endorsementCount: 4,
      deltaF0,
      operationValidityPeriods: 10,
      ...(opts.maxWaiting ? { maxWaitingBlocks: opts.maxWaiting } : {}),
    },
    genesis,
    draws,
    opts.isFinalExecuted,
  );
  return { g, genesis: genesis.map((h) => h.id) };
}

let salt = 0;
export function mk(
  slot: Slot,
  parents: readonly BlockId[],
  opts: { by?: SecretKey; endorse?: number; ops?: SignedOperation[]; endorseWrong?: boolean } = {},
): ConsensusBlock {
  const ops = opts.ops ?? [];
  const endorsements = Array.from({ length: opts.endorse ?? 0 }, (_, index) =>
    SignedEndorsement.sign(
      { slot, index, endorsedBlock: parents[opts.endorseWrong ? 1 - slot.thread : slot.thread]! },
      staker,
    ),
  );
  const header = SignedBlockHeader.sign(
    {
      currentVersion: 0,
      announcedVersion: salt++, // varies the id of otherwise equal blocks
      slot,
      parents,
      operationMerkleRoot: operationMerkleRoot(ops.map((o) => o.id)),
      endorsements,
      denunciations: [],
    },
    opts.by ?? staker,
  );
  return { header, operations: ops };
}

/** Builds a linear chain: one block per slot from (1, 0), parents = best parents. */
export function chain(g: BlockGraph, to: Slot, opts: { endorse?: number } = {}) {
  let s = new Slot(1, 0);
  const ids: BlockId[] = [];
  while (Slot.compare(s, to) <= 0) {
    const b = mk(s, g.bestParents(), opts);
    const r = g.addBlock(b, to);
    expect(r.status.kind).toBe("active");
    ids.push(b.header.id);
    s = s.next(T);
  }
  return ids;
}

/** Extends the best chain one block per slot (endorsed four times) from after its newest parent up to `to`. */
export function chain2(g: BlockGraph, to: Slot) {
  let s = g
    .bestParents()
    .reduce((m, id) => {
      const st = g.activeBlocks().find((b) => b.id.equals(id))!.slot;
      return Slot.compare(st, m) > 0 ? st : m;
    }, new Slot(0, 0))
    .next(T);
  while (Slot.compare(s, to) <= 0) {
    g.addBlock(mk(s, g.bestParents(), { endorse: 4 }), to);
    s = s.next(T);
  }
}
