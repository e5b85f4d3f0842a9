// Finality: which blocks a heavy clique makes final (DELTA_F0), the latest final block of each thread,
// the final floor, the last slot up to which every slot is final, and the blocks made final since a take.
import { type BlockId, Slot } from "@massa-ts/models";
import { descendants } from "./ancestry.js";
import { cliqueFitness, unlinkIncompatibilities } from "./cliques.js";
import type { ActiveBlock } from "./types.js";

export class Finality {
  /** Latest final block of each thread. */
  readonly latestFinal: BlockId[];
  /**
   * Slots up to this one are settled in the final state: a block there is stale, whatever the graph holds
   * (a graph rebuilt at a restart has its final floor at the final state's slot).
   */
  private floor: Slot | undefined;
  /** Blocks that became final since the last {@link takeNewlyFinal}, in the order they did. */
  private finalSinceTake: BlockId[] = [];

  /** `blocks` is the graph's own map (read, and its blocks marked final); `genesis` the roots per thread. */
  constructor(
    private readonly blocks: ReadonlyMap<string, ActiveBlock>,
    genesis: readonly BlockId[],
    private readonly threadCount: number,
    private readonly deltaF0: number,
  ) {
    this.latestFinal = [...genesis];
  }

  /** The blocks that became final since the previous call, in the order they did. */
  takeNewlyFinal(): BlockId[] {
    const out = this.finalSinceTake;
    this.finalSinceTake = [];
    return out;
  }

  /** Index of the newest latest-final block over all threads (T · period + thread). */
  latestFinalIndex(): number {
    return Math.max(...this.latestFinal.map((id) => this.blocks.get(id.key)!.index));
  }

  get finalFloor(): Slot | undefined {
    return this.floor;
  }

  /** Sets the final floor (never lowers it). */
  setFinalFloor(slot: Slot): void {
    if (!this.floor || Slot.compare(slot, this.floor) > 0) this.floor = slot;
  }

  /**
   * The last slot up to which every slot is final (`reference/ledger_execution.md` §2.4): S is final when
   * S.period ≤ the latest final period of S's thread, or some thread's latest final slot is ≥ T slots after S.
   */
  finalSlotBound(after: Slot): Slot {
    const T = this.threadCount;
    const finals = this.latestFinal.map((id) => this.blocks.get(id.key)!.slot);
    const maxIndex = Math.max(...finals.map((s) => s.index(T)));
    let s = after;
    for (;;) {
      const n = s.next(T);
      const ok = n.period <= finals[n.thread]!.period || maxIndex >= n.index(T) + T;
      if (!ok) return s;
      s = n;
    }
  }

  /**
   * Marks final the blocks in every clique whose descendants weigh more than DELTA_F0 in a heavy clique.
   * Returns them in the order they became final (none: nothing changed).
   */
  finalize(cliques: readonly ReadonlySet<string>[]): BlockId[] {
    const f0 = this.deltaF0;
    const candidates = [...cliques[0]!].filter((k) => cliques.every((c) => c.has(k)));
    const heavy = cliques
      .map((c) => [c, cliqueFitness(this.blocks, c)] as const)
      .filter(([, f]) => f > f0)
      .sort((x, y) => y[1] - x[1]);
    const newly: string[] = [];
    for (const [c] of heavy) {
      for (const k of candidates) {
        if (newly.includes(k)) continue;
        let sum = 0;
        for (const d of descendants(this.blocks, k)) if (c.has(d)) sum += this.blocks.get(d)!.fitness;
        if (sum > f0) newly.push(k);
      }
    }
    const out: BlockId[] = [];
    // final in slot order, so that the latest final block per thread only moves forward
    for (const k of newly.sort((x, y) => this.blocks.get(x)!.index - this.blocks.get(y)!.index)) {
      const b = this.blocks.get(k)!;
      b.final = true;
      unlinkIncompatibilities(this.blocks, k, b);
      b.incomp.clear();
      const t = b.slot.thread;
      if (b.slot.period > this.blocks.get(this.latestFinal[t]!.key)!.slot.period) this.latestFinal[t] = b.id;
      out.push(b.id);
      this.finalSinceTake.push(b.id);
    }
    return out;
  }
}
