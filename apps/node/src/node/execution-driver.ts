// Consensus → execution: at each slot tick, hands the execution thread the blockclique's changes
// (candidate slots, as far as the draws go), the draws of the slots it may execute, and the final slots
// to settle; writes blocks to the block store as they become final. One tick is in flight at a time: a
// tick that comes meanwhile is run once the thread answers (ticks coalesce, nothing queues up).
import type { BlockGraph, ConsensusBlock } from "@massa-ts/consensus";
import type { ExecBlock } from "@massa-ts/execution";
import { type Address, type BlockId, type SelectionView, Slot } from "@massa-ts/models";
import type { Logger } from "pino";
import { CliError } from "../errors.js";
import type { BlockStore } from "./block-store.js";
import type { Clock } from "./clock.js";
import type { ExecutionClient } from "./exec-thread/client.js";
import {
  type ExecBlockW,
  execBlockW,
  type SelectionW,
  type SettledW,
  type SlotW,
  selectionW,
  slotW,
} from "./exec-thread/wire.js";
import type { NodeMetrics } from "./metrics.js";

/** Keeps the last `n` (slot, hash) pairs for `get_final_state_hashes`. */
const FINAL_HASHES_KEPT = 1000;

export interface ExecutionDriverDeps {
  readonly threadCount: number;
  readonly periodsPerCycle: number;
  readonly graph: BlockGraph;
  readonly exec: ExecutionClient;
  readonly draws: SelectionView;
  readonly blockStore: BlockStore;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  readonly log: Logger;
  /** Told after each tick the execution thread answered (the mirrors are up to date). */
  readonly onTicked?: () => void;
}

/** Massa's `stats_time_window_duration`: execution statistics count the last minute. */
export const STATS_WINDOW_MS = 60_000;

export class ExecutionDriver {
  /** (final slot, state fingerprint) of the last 1 000 final slots, oldest first. */
  readonly finalHashes: { slot: Slot; hash: string }[] = [];
  /** Final slots settled in the last {@link STATS_WINDOW_MS}: when, and their block's operation count. */
  private readonly settled: { at: number; block: boolean; operations: number }[] = [];
  /** Active blocks already written to the block store (ids). */
  private readonly storedActive = new Map<string, BlockId>();
  /** The block the execution thread holds at each slot past the final one (slot index → id key). */
  private readonly sentBlocks = new Map<number, string>();
  /** Slots past the final one whose draws the execution thread holds. */
  private readonly sentDraws = new Set<number>();
  /** Final blocks taken from the graph and not yet on disk (a write failed: tried again next tick). */
  private unwritten: ConsensusBlock[] = [];
  private inFlight: Promise<void> | undefined;
  /** A tick that came while one was in flight: run when it is answered. */
  private again: Slot | undefined;

  constructor(private readonly d: ExecutionDriverDeps) {}

  /** Hands the blockclique and the final slots to execution (now, or once the tick in flight is answered). */
  apply(now: Slot): void {
    if (this.inFlight) {
      this.again = now;
      return;
    }
    this.inFlight = this.run(now).finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Resolves once no tick is in flight (tests, and stop). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async run(first: Slot): Promise<void> {
    let now: Slot | undefined = first;
    while (now) {
      this.again = undefined;
      try {
        const durable = await this.writeFinalBlocks();
        const r = await this.d.exec.tick(this.command(now, durable));
        this.noteSettled(r.settled);
        if (r.stopped) this.d.log.debug({ why: r.stopped.message }, "execution waits for draws");
      } catch (e) {
        if (this.d.exec.failed) return;
        this.d.log.error({ err: (e as Error).message }, "execution tick failed");
      }
      const fin = this.d.exec.finalSlot.index(this.d.threadCount);
      for (const i of this.sentBlocks.keys()) if (i <= fin) this.sentBlocks.delete(i);
      for (const i of this.sentDraws) if (i <= fin) this.sentDraws.delete(i);
      this.d.metrics.finalPeriod.set(this.d.exec.finalSlot.period);
      this.d.onTicked?.();
      now = this.again;
    }
  }

  /**
   * Final blocks reach the disk before any of their slots is settled (a restart resumes on them): the blocks
   * made final since the last tick (and any a failed write left) are written off this thread, and the
   * final slots this tick may settle are those already final when they were taken. Returns that bound.
   */
  private async writeFinalBlocks(): Promise<Slot> {
    const d = this.d;
    this.unwritten.push(...d.graph.takeNewlyFinal());
    const bound = d.graph.finalSlotBound(d.exec.finalSlot);
    if (this.unwritten.length > 0) {
      try {
        await d.blockStore.putFinalDurably(this.unwritten);
      } catch (e) {
        throw new Error(
          `${this.unwritten.length} final blocks could not be written to the block store (tried again next tick): ${(e as Error).message}`,
        );
      }
      this.unwritten = [];
    }
    return bound;
  }

  /** The tick's command, built from the graph as it is now; final slots up to `durable` at most. */
  private command(now: Slot, durable: Slot) {
    const d = this.d;
    const T = d.threadCount;
    // candidate slots only as far as the draws go: cycle D is drawn once D − 2 is complete in the final state
    const f = d.exec.finalSlot;
    const drawn = f.cycle(d.periodsPerCycle) - (f.isLastOfCycle(d) ? 0 : 1) + 2;
    const lastDrawn = Slot.lastOfCycle(drawn, d);
    let upTo = Slot.compare(now, lastDrawn) < 0 ? now : lastDrawn;
    this.persistActive();
    // final slots too, those whose blocks are on disk (see writeFinalBlocks); a slot past the drawn cycles
    // cannot be executed (a node catching up settles up to there; the cycle it completes is fed to the
    // selector and the next tick goes on)
    let finalUpTo = Slot.compare(durable, lastDrawn) < 0 ? durable : lastDrawn;
    const end = Slot.compare(upTo, finalUpTo) > 0 ? upTo : finalUpTo;
    const selections: [SlotW, SelectionW][] = [];
    const blocks: [SlotW, ExecBlockW | null][] = [];
    // what the execution thread will hold once it has the command (recorded only if the command is whole)
    const drawsSent: number[] = [];
    const blocksSent: [number, string | undefined][] = [];
    for (let s = f.next(T); Slot.compare(s, end) <= 0; s = s.next(T)) {
      const i = s.index(T);
      if (!this.sentDraws.has(i)) {
        try {
          selections.push([slotW(s), selectionW(d.draws.getSelection(s))]);
          drawsSent.push(i);
        } catch (e) {
          // a cycle still being drawn in the worker pool (or not fed yet): execution stops before it, the
          // next tick goes on
          if ((e as { code?: string }).code !== "CYCLE_PENDING")
            d.log.warn({ slot: s.toJSON(), err: (e as Error).message }, "no draws for a slot to execute");
          const before = Slot.fromIndex(i - 1, T);
          if (Slot.compare(upTo, before) > 0) upTo = before;
          if (Slot.compare(finalUpTo, before) > 0) finalUpTo = before;
          break;
        }
      }
      const b = d.graph.blockAt(s);
      const want = b?.header.id.key;
      if (want === this.sentBlocks.get(i)) continue;
      blocks.push([slotW(s), b ? execBlockW(this.toExec(b)) : null]);
      blocksSent.push([i, want]);
    }
    for (const i of drawsSent) this.sentDraws.add(i);
    for (const [i, want] of blocksSent) {
      if (want) this.sentBlocks.set(i, want);
      else this.sentBlocks.delete(i);
    }
    return { blocks, selections, upTo: slotW(upTo), finalUpTo: slotW(finalUpTo) };
  }

  private noteSettled(settled: readonly SettledW[]) {
    const now = this.d.clock.now();
    for (const s of settled) {
      this.finalHashes.push({ slot: new Slot(s.slot[0], s.slot[1]), hash: s.hash });
      if (this.finalHashes.length > FINAL_HASHES_KEPT) this.finalHashes.shift();
      this.settled.push({ at: now, block: s.block, operations: s.operationCount });
    }
    while (this.settled.length > 0 && this.settled[0]!.at < now - STATS_WINDOW_MS) this.settled.shift();
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

  /** Forgets written active blocks the graph no longer holds. */
  forgetGone(): void {
    for (const [k, id] of this.storedActive) if (!this.d.graph.status(id)) this.storedActive.delete(k);
  }

  private toExec(b: ConsensusBlock): ExecBlock {
    const h = b.header.content;
    return {
      id: b.header.id,
      slot: h.slot,
      creator: b.header.creatorAddress,
      operations: b.operations,
      endorsements: h.endorsements.map((x) => ({ index: x.content.index, creator: x.creatorAddress })),
      parentCreator: this.parentCreator(b),
    };
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
