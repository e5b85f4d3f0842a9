// The blocks waiting to be checked again, for their slot or for missing parents, in arrival order; each
// of the two sets is bounded apart (see ConsensusConfig.maxWaitingBlocks).
import { type BlockId, Slot } from "@massa-ts/models";
import { type BlockStatus, type ConsensusBlock, idFromKey } from "./types.js";

interface Waiting {
  block: ConsensusBlock;
  missing: Set<string> | null;
  seq: number;
}

export class WaitingBlocks {
  private readonly waiting = new Map<string, Waiting>();
  private waitSeq = 0;

  constructor(private readonly maxWaitingBlocks: number) {}

  /** "waiting-parents" (with the parents still missing) or "waiting-slot", if `key` is waiting. */
  status(key: string): BlockStatus | undefined {
    const w = this.waiting.get(key);
    if (w)
      return w.missing
        ? { kind: "waiting-parents", missing: [...w.missing].map(idFromKey) }
        : { kind: "waiting-slot" };
    return undefined;
  }

  delete(key: string): void {
    this.waiting.delete(key);
  }

  waitForSlot(key: string, block: ConsensusBlock): void {
    this.waiting.set(key, { block, missing: null, seq: this.waitSeq++ });
  }

  waitForParents(key: string, block: ConsensusBlock, missing: readonly BlockId[]): void {
    this.waiting.set(key, {
      block,
      missing: new Set(missing.map((m) => m.key)),
      seq: this.waitSeq++,
    });
  }

  /**
   * The parents that waiting blocks miss and that are not waiting themselves (nobody has sent them yet), the
   * latest arrivals' first, each once, at most `limit`: what to ask peers for again.
   */
  missingParents(limit: number): string[] {
    const out = new Set<string>();
    const byArrival = [...this.waiting.values()].filter((w) => w.missing).sort((a, b) => b.seq - a.seq);
    for (const w of byArrival) {
      for (const k of w.missing!) {
        if (!this.waiting.has(k)) out.add(k);
        if (out.size >= limit) return [...out];
      }
    }
    return [...out];
  }

  /** Blocks waiting for a slot at or before `now`, in slot order (a snapshot: the set is left as is). */
  due(now: Slot): [string, ConsensusBlock][] {
    return [...this.waiting.entries()]
      .filter(([, w]) => w.missing === null && Slot.compare(w.block.header.content.slot, now) <= 0)
      .sort(([, x], [, y]) => Slot.compare(x.block.header.content.slot, y.block.header.content.slot))
      .map(([k, w]) => [k, w.block]);
  }

  /**
   * `key` arrived: over a snapshot of the set, in order, each block waiting for it misses it no more; one
   * that misses nothing more leaves the set and goes to `ready` at once (before the next is looked at).
   */
  release(key: string, ready: (block: ConsensusBlock) => void): void {
    for (const [k, w] of [...this.waiting.entries()]) {
      if (w.missing?.delete(key) && w.missing.size === 0) {
        this.waiting.delete(k);
        ready(w.block);
      }
    }
  }

  /**
   * `key` will never arrive: over a snapshot of the set, in order, each block waiting for it leaves the set
   * and goes to `dropped` at once.
   */
  dropDependents(key: string, dropped: (k: string) => void): void {
    for (const [k, w] of [...this.waiting]) {
      if (w.missing?.has(key)) {
        this.waiting.delete(k);
        dropped(k);
      }
    }
  }

  /** Drops the blocks whose slot is at or before their thread's latest final period (`finals`, per thread). */
  dropSettled(finals: readonly number[]): void {
    for (const [k, w] of this.waiting) {
      const s = w.block.header.content.slot;
      if (s.thread < finals.length && s.period <= finals[s.thread]!) this.waiting.delete(k);
    }
  }

  /**
   * Each waiting set keeps at most `maxWaitingBlocks`: those waiting for their slot keep the earliest
   * slots, those waiting for parents the latest arrivals.
   */
  bound(): void {
    const max = this.maxWaitingBlocks;
    const future: [string, Slot][] = [];
    const deps: [string, number][] = [];
    for (const [k, w] of this.waiting) {
      if (w.missing) deps.push([k, w.seq]);
      else future.push([k, w.block.header.content.slot]);
    }
    if (future.length > max) {
      future.sort(([ka, a], [kb, b]) => Slot.compare(a, b) || (ka < kb ? -1 : ka > kb ? 1 : 0));
      for (const [k] of future.slice(max)) this.waiting.delete(k);
    }
    if (deps.length > max) {
      deps.sort(([, a], [, b]) => a - b);
      for (const [k] of deps.slice(0, deps.length - max)) this.waiting.delete(k);
    }
  }
}
