import type { ActiveBlock } from "./types.js";

/**
 * The graph's active blocks by id, with an index of their ids by slot (T · period + thread): the
 * execution driver asks for the block at each candidate slot on every tick, which walked every block of
 * the graph per slot (64 periods × 32 threads on mainnet). Every insert and delete goes through the Map's
 * own `set` and `delete`, so the index cannot drift from the map whoever mutates it.
 */
export class BlockMap extends Map<string, ActiveBlock> {
  private readonly bySlot = new Map<number, Set<string>>();

  override set(key: string, block: ActiveBlock): this {
    const old = super.get(key);
    if (old !== undefined && old.index !== block.index) this.unindex(key, old.index);
    super.set(key, block);
    let ids = this.bySlot.get(block.index);
    if (ids === undefined) {
      ids = new Set();
      this.bySlot.set(block.index, ids);
    }
    ids.add(key);
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old === undefined) return false;
    this.unindex(key, old.index);
    return super.delete(key);
  }

  override clear(): void {
    this.bySlot.clear();
    super.clear();
  }

  /** The active blocks at slot index `index`, in the order they were added. */
  *atIndex(index: number): Generator<ActiveBlock> {
    const ids = this.bySlot.get(index);
    if (ids === undefined) return;
    for (const k of ids) yield super.get(k)!;
  }

  private unindex(key: string, index: number): void {
    const ids = this.bySlot.get(index);
    if (ids === undefined) return;
    ids.delete(key);
    if (ids.size === 0) this.bySlot.delete(index);
  }
}
