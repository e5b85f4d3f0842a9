/**
 * A map bounded in entries and, optionally, in weight (bytes): inserting past a bound evicts the oldest
 * entries, in insertion order (setting a key again keeps its place, as a `Map` does: delete it first to
 * make it the newest). The one FIFO cache of the code base: seen sets, recently received items, answers kept
 * for clients, signature caches.
 *
 * The insertion order is kept in a queue of its own: finding a `Map`'s oldest key with `keys().next()`
 * walks past every entry deleted since the table was last rebuilt, so a full map of 200 000 that evicts one
 * entry per insertion paid ~100 µs per eviction (quadratic), and a node under load spent its main thread
 * there once its caches filled.
 */
export class BoundedMap<K, V> {
  /**
   * The entries themselves: no wrapper object per entry (a node holds hundreds of thousands of entries in
   * its seen sets and caches, and each object more is one more for every garbage collection to trace).
   */
  private readonly map = new Map<K, V>();
  /** Keys in insertion order from `head` on; a key deleted (then maybe set again) leaves a stale entry. */
  private queueKeys: K[] = [];
  private head = 0;
  /**
   * Stale queue entries per key (keys deleted since they were queued): a key's stale entries come before
   * its live one, so eviction skips that many occurrences of the key before the live entry.
   */
  private stale = new Map<K, number>();
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
    const size = this.map.size;
    if (this.weight && this.map.has(k)) this.totalWeight -= this.weight.of(this.map.get(k) as V);
    this.map.set(k, v);
    if (this.map.size !== size) this.queueKeys.push(k);
    this.totalWeight += w;
    while (this.map.size > this.maxEntries || (this.weight && this.totalWeight > this.weight.max))
      this.evictOldest();
    return true;
  }

  /** Deletes the oldest live entry: stale queue entries (of keys deleted since) are skipped. */
  private evictOldest(): void {
    while (this.head < this.queueKeys.length) {
      const k = this.queueKeys[this.head]!;
      this.head++;
      const stale = this.stale.get(k);
      if (stale === undefined) {
        // its one queue entry is this one, consumed: not stale
        if (this.weight) this.totalWeight -= this.weight.of(this.map.get(k) as V);
        this.map.delete(k);
        break;
      }
      if (stale === 1) this.stale.delete(k);
      else this.stale.set(k, stale - 1);
    }
    this.compact();
  }

  delete(k: K): boolean {
    if (!this.map.has(k)) return false;
    if (this.weight) this.totalWeight -= this.weight.of(this.map.get(k) as V);
    this.map.delete(k);
    // its queue entry stays (removing it would cost a search): counted stale, skipped when reached
    this.stale.set(k, (this.stale.get(k) ?? 0) + 1);
    this.compact();
    return true;
  }

  /** Drops the queue's consumed head, and its stale entries once they outnumber the live ones. */
  private compact(): void {
    const queued = this.queueKeys.length - this.head;
    if (queued > 2 * this.map.size + 1024) {
      // rebuilt from the map, whose iteration order is the insertion order of the live keys
      this.queueKeys = [...this.map.keys()];
      this.stale = new Map();
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queueKeys.length) {
      this.queueKeys = this.queueKeys.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.map.clear();
    this.queueKeys = [];
    this.stale = new Map();
    this.head = 0;
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
    return this.entries();
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
