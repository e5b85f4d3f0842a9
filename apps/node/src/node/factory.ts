// The block and endorsement factory: when one of our staking keys is drawn, produces the slot's block
// (best parents, endorsements, operations from the pool) and endorses the next slot's parent.
import type { BlockGraph, ConsensusUpdate } from "@massa-ts/consensus";
import {
  type BlockLimits,
  operationMerkleRoot,
  type Selection,
  type SelectionView,
  SignedBlockHeader,
  SignedEndorsement,
  type Slot,
} from "@massa-ts/models";
import type { Network } from "@massa-ts/protocol";
import type { Logger } from "pino";
import type { EndorsementPool } from "./endorsement-pool.js";
import type { ExecutionClient } from "./exec-thread/client.js";
import type { InclusionIndex } from "./inclusion-index.js";
import type { StakingKeys } from "./keys.js";
import type { NodeMetrics } from "./metrics.js";
import type { OperationPool } from "./pool.js";
import type { Relay } from "./relay.js";

export interface FactoryDeps {
  readonly threadCount: number;
  readonly periodsPerCycle: number;
  readonly limits: BlockLimits;
  readonly log: Logger;
  readonly keys: StakingKeys;
  readonly draws: SelectionView;
  readonly graph: BlockGraph;
  readonly pool: OperationPool;
  readonly endorsements: EndorsementPool;
  /** The execution thread's mirror: executed operations, the final slot. */
  readonly execution: Pick<ExecutionClient, "operationStatus" | "finalSlot">;
  readonly relay: Relay;
  readonly inclusion: InclusionIndex;
  readonly metrics: NodeMetrics;
  readonly network: () => Network | undefined;
  /**
   * Blocks are produced only once the graph's latest final index reaches this: a restarted node with
   * peers waits for the blocks that made its final state (else it would build on parents its peers left).
   */
  readonly produceFrom: number;
}

export class Factory {
  /** Blocks produced and draws of ours missed (not produced) in the current cycle. */
  readonly cycle = { blocks: 0, misses: 0 };
  /** The last cycle whose missing draws were reported (once per cycle, not at every slot). */
  private noDrawsReported = -1;

  constructor(private readonly d: FactoryDeps) {}

  /** Produces the block of `slot` if one of our keys is drawn, with our keys' endorsements. */
  produce(slot: Slot): ConsensusUpdate | undefined {
    const d = this.d;
    let sel: Selection;
    try {
      sel = d.draws.getSelection(slot);
    } catch (e) {
      const cycle = slot.cycle(d.periodsPerCycle);
      if (cycle !== this.noDrawsReported) {
        this.noDrawsReported = cycle;
        d.log.warn(
          { slot: slot.toJSON(), finalSlot: d.execution.finalSlot.toJSON(), err: (e as Error).message },
          "draws not available: not producing in this cycle until they are",
        );
      }
      return undefined;
    }
    const key = d.keys.of(sel.producer);
    if (!key) return undefined;
    if (d.graph.latestFinalIndex() < d.produceFrom) {
      this.cycle.misses++;
      d.log.warn(
        { slot: slot.toJSON(), finalSlot: d.execution.finalSlot.toJSON() },
        "not producing: the graph is behind the final state (waiting for the peers' blocks)",
      );
      return undefined;
    }
    const parents = d.graph.bestParents();
    // endorsements: ours, signed now, and the peers' from the pool, when they endorse the same parent and
    // come from the drawn endorser (anything else would make our own block invalid)
    const endorsements: SignedEndorsement[] = [];
    const endorsed = parents[slot.thread]!;
    sel.endorsements.forEach((a, index) => {
      const ek = d.keys.of(a);
      if (ek) {
        endorsements.push(SignedEndorsement.sign({ slot, index, endorsedBlock: endorsed }, ek));
        return;
      }
      const e = d.endorsements.get(slot, index, endorsed.key);
      if (e?.creatorAddress.equals(a)) endorsements.push(e);
    });
    // in an ancestor not executed yet (slots faster than execution) counts as used too
    const used = d.graph.opsInAncestry(parents[slot.thread]!, slot);
    const ops = d.pool.select(
      slot.period,
      slot.thread,
      d.limits.maxOperationsPerBlock,
      d.limits.maxBlockSize, // operations only: the header is not counted (as in Massa)
      (op) => used.has(op.id.key) || d.execution.operationStatus(op.id) !== undefined,
    );
    const header = SignedBlockHeader.sign(
      {
        currentVersion: 0,
        announcedVersion: undefined,
        slot,
        parents,
        operationMerkleRoot: operationMerkleRoot(ops.map((o) => o.id)),
        endorsements,
        denunciations: [],
      },
      key,
    );
    const r = d.graph.addBlock({ header, operations: ops }, slot);
    if (r.status.kind !== "active") {
      d.log.warn({ slot: slot.toJSON(), status: r.status }, "own block not accepted");
      return r.update;
    }
    d.inclusion.record(header.id, ops);
    d.relay.firstSeen(`b${header.id.key}`);
    const net = d.network();
    net?.broadcast({ type: "header", header });
    net?.broadcast({ type: "blockOpIds", blockId: header.id, ids: ops.map((o) => o.id) });
    d.metrics.blocksProduced.inc();
    this.cycle.blocks++;
    d.log.debug(
      { slot: slot.toJSON(), id: header.id.toString(), ops: ops.length, endorsements: endorsements.length },
      "block produced",
    );
    return r.update;
  }

  /** Endorsements of the next slot by our keys, endorsing its thread's best parent: pooled and sent. */
  endorseNext(slot: Slot): void {
    const d = this.d;
    const next = slot.next(d.threadCount);
    let sel: Selection;
    try {
      sel = d.draws.getSelection(next);
    } catch {
      return;
    }
    const parent = d.graph.bestParents()[next.thread]!;
    const made: SignedEndorsement[] = [];
    sel.endorsements.forEach((a, index) => {
      const k = d.keys.of(a);
      if (k) made.push(SignedEndorsement.sign({ slot: next, index, endorsedBlock: parent }, k));
    });
    for (const e of made) {
      d.relay.firstSeen(`e${e.id.key}`);
      d.endorsements.add(e);
    }
    if (made.length > 0) d.network()?.broadcast({ type: "endorsements", endorsements: made });
  }
}
