// Consensus → execution: hands the blockclique (candidate slots, as far as the draws go) and the final
// slots to execution, one final slot at a time; writes blocks to the block store as they become final.
import type { BlockGraph, ConsensusBlock } from "@massa-ts/consensus";
import type { ExecBlock, Execution } from "@massa-ts/execution";
import type { FinalStateReader } from "@massa-ts/final-state";
import { type Address, type BlockId, BoundedMap, Slot } from "@massa-ts/models";
import { CliError } from "../errors.js";
import type { BlockStore } from "./block-store.js";
import type { Clock } from "./clock.js";
import type { NodeMetrics } from "./metrics.js";

/** Keeps the last `n` (slot, hash) pairs for `get_final_state_hashes`. */
const FINAL_HASHES_KEPT = 1000;

export interface ExecutionDriverDeps {
  readonly threadCount: number;
  readonly periodsPerCycle: number;
  readonly graph: BlockGraph;
  readonly execution: Execution;
  readonly fs: FinalStateReader;
  readonly blockStore: BlockStore;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
}

/** Massa's `stats_time_window_duration`: execution statistics count the last minute. */
export const STATS_WINDOW_MS = 60_000;

export class ExecutionDriver {
  /** (final slot, state fingerprint) of the last 1 000 final slots, oldest first. */
  readonly finalHashes: { slot: Slot; hash: string }[] = [];
  private readonly execBlocks = new BoundedMap<string, ExecBlock>(20_000);
  /** Final slots settled in the last {@link STATS_WINDOW_MS}: when, and their block's operation count. */
  private readonly settled: { at: number; block: boolean; operations: number }[] = [];
  /** Active blocks already written to the block store (ids). */
  private readonly storedActive = new Map<string, BlockId>();

  constructor(private readonly d: ExecutionDriverDeps) {}

  /** Hands the blockclique and the final slots to execution. */
  apply(now: Slot): void {
    const d = this.d;
    const at = (s: Slot) => {
      const b = d.graph.blockAt(s);
      return b ? this.toExec(b) : null;
    };
    // candidate slots only as far as the draws go: cycle D is drawn once D − 2 is complete in the final state
    const f = d.execution.finalSlot;
    const drawn = f.cycle(d.periodsPerCycle) - (f.isLastOfCycle(d) ? 0 : 1) + 2;
    const lastDrawn = Slot.lastOfCycle(drawn, d);
    try {
      d.execution.onBlockcliqueChanged(at, Slot.compare(now, lastDrawn) < 0 ? now : lastDrawn);
    } catch (e) {
      // a cycle still being drawn in the worker: the same slots run again at the next tick
      if ((e as { code?: string }).code !== "CYCLE_PENDING") throw e;
      return;
    }
    // final blocks reach the disk before any of their slots is settled (a restart resumes on them)
    d.blockStore.putFinal(d.graph.takeNewlyFinal());
    this.persistActive();
    const bound = d.graph.finalSlotBound(d.execution.finalSlot);
    // one slot at a time, so that every final slot's state hash is recorded
    while (Slot.compare(bound, d.execution.finalSlot) > 0) {
      const s = d.execution.finalSlot.next(d.threadCount);
      d.execution.onSlotsFinal(s, at);
      this.finalHashes.push({ slot: s, hash: d.fs.stateHash.toString() });
      const b = at(s);
      const now = d.clock.now();
      this.settled.push({ at: now, block: b !== null, operations: b?.operations.length ?? 0 });
      while (this.settled[0]!.at < now - STATS_WINDOW_MS) this.settled.shift();
      if (this.finalHashes.length > FINAL_HASHES_KEPT) this.finalHashes.shift();
    }
    d.metrics.finalPeriod.set(d.execution.finalSlot.period);
  }

  /** Final blocks and their operations settled in the last minute (`get_status.execution_stats`). */
  executionStats(now: number): { finalBlocks: number; finalOperations: number } {
    while (this.settled.length > 0 && this.settled[0]!.at < now - STATS_WINDOW_MS) this.settled.shift();
    let finalBlocks = 0;
    let finalOperations = 0;
    for (const x of this.settled) {
      if (x.block) finalBlocks++;
      finalOperations += x.operations;
    }
    return { finalBlocks, finalOperations };
  }

  /** Writes the graph's active blocks not written yet (see BlockStore: a whole-network stop keeps them). */
  persistActive(): void {
    const fresh: ConsensusBlock[] = [];
    for (const b of this.d.graph.activeBlocks()) {
      if (b.final || this.storedActive.has(b.id.key)) continue;
      const full = this.d.graph.get(b.id);
      if (!full) continue;
      fresh.push(full);
      this.storedActive.set(b.id.key, b.id);
    }
    this.d.blockStore.putActive(fresh);
  }

  /** Forgets written active blocks, and execution's view of blocks, the graph no longer holds. */
  forgetGone(): void {
    for (const [k, id] of this.storedActive) if (!this.d.graph.status(id)) this.storedActive.delete(k);
    // a block pruned from the graph is settled: execution will not ask for it again (its view held the
    // block's operations and 17 addresses: ~5 KB a block, 20 000 blocks before the bound)
    for (const [k, e] of [...this.execBlocks]) if (!this.d.graph.status(e.id)) this.execBlocks.delete(k);
  }

  private toExec(b: ConsensusBlock): ExecBlock {
    const id = b.header.id;
    let e = this.execBlocks.get(id.key);
    if (!e) {
      const h = b.header.content;
      e = {
        id,
        slot: h.slot,
        creator: b.header.creatorAddress,
        operations: b.operations,
        endorsements: h.endorsements.map((x) => ({ index: x.content.index, creator: x.creatorAddress })),
        parentCreator: this.parentCreator(b),
      };
      this.execBlocks.set(id.key, e);
    }
    return e;
  }

  /** Creator of a block's same-thread parent (the endorsed block: its creator earns a reward part). */
  private parentCreator(b: ConsensusBlock): Address {
    const h = b.header.content;
    const parent = h.parents[h.slot.thread]!;
    const creator = this.d.graph.creatorOf(parent);
    if (!creator) {
      throw new CliError(
        `block ${b.header.id} at ${h.slot}: its parent ${parent} is not in the graph, so the endorsed-block reward has no recipient`,
      );
    }
    return creator;
  }
}
