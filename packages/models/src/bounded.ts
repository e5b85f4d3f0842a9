/**
 * A map bounded in entries and, optionally, in weight (bytes): inserting past a bound evicts the oldest
 * entries, in insertion order (setting a key again keeps its place, as a `Map` does: delete it first to
 * make it the newest). The one FIFO cache of the code base: seen sets, recently received items, answers kept
 * for clients, signature caches.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private totalWeight = 0;

  constructor(
    readonly maxEntries: number,
    /** Weight of a value (e.g. its bytes) and the most the map holds; by default only entries count. */
    private readonly weight?: { readonly of: (v: V) => number; readonly max: number },
  ) {
    if (!(maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${maxEntries}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** Sum of the values' weights (0 without a weigher). */
  get weightHeld(): number {
    return this.totalWeight;
  }

  has(k: K): boolean {
    return this.map.has(k);
  }

  get(k: K): V | undefined {
    return this.map.get(k);
  }

  /**
   * Keeps `v` under `k`, evicting the oldest entries while a bound is exceeded. A value heavier than the
   * whole weight bound is not kept (false).
   */
  set(k: K, v: V): boolean {
    const w = this.weight?.of(v) ?? 0;
    if (this.weight && w > this.weight.max) return false;
    const old = this.map.get(k);
    if (old !== undefined || this.map.has(k)) this.totalWeight -= this.weight?.of(old as V) ?? 0;
    this.map.set(k, v);
    this.totalWeight += w;
    while (this.map.size > this.maxEntries || (this.weight && this.totalWeight > this.weight.max)) {
      this.delete(this.map.keys().next().value as K);
    }
    return true;
  }

  delete(k: K): boolean {
    if (!this.map.has(k)) return false;
    if (this.weight) this.totalWeight -= this.weight.of(this.map.get(k) as V);
    return this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
    this.totalWeight = 0;
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}

/** A set bounded in entries: adding past the bound forgets the oldest. */
export class BoundedSet<K> {
  private readonly map: BoundedMap<K, true>;

  constructor(maxEntries: number) {
    this.map = new BoundedMap(maxEntries);
  }

  get size(): number {
    return this.map.size;
  }

  has(k: K): boolean {
    return this.map.has(k);
  }

  /** Adds `k`; false when it was there already (a "first seen" test). */
  add(k: K): boolean {
    if (this.map.has(k)) return false;
    this.map.set(k, true);
    return true;
  }

  delete(k: K): boolean {
    return this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }
}
