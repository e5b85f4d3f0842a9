// The key index of the settle overlay: keys in byte order, sorted only when a range read needs them.

function lowerBound(list: readonly string[], key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys per chunk of {@link SortedKeys} before it splits in two. */
const CHUNK_MAX = 512;

/**
 * Strings in order, as a list of sorted chunks (each at most {@link CHUNK_MAX}) indexed by their first
 * key: an insert is two binary searches and a splice in one small chunk, a range read is a binary search
 * then a walk. (The layout of Python's `sortedcontainers`.)
 */
export class SortedKeys {
  private chunks: string[][] = [];
  private mins: string[] = [];
  private count = 0;

  private chunkFor(key: string): number {
    // the last chunk whose first key is ≤ key (or the first chunk)
    let lo = 0;
    let hi = this.mins.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.mins[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : lo - 1;
  }

  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.mins.push(key);
      this.count = 1;
      return;
    }
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci]!;
    const at = lowerBound(chunk, key);
    if (chunk[at] === key) return;
    chunk.splice(at, 0, key);
    this.count++;
    if (at === 0) this.mins[ci] = key;
    if (chunk.length > CHUNK_MAX) {
      const right = chunk.splice(CHUNK_MAX >> 1);
      this.chunks.splice(ci + 1, 0, right);
      this.mins.splice(ci + 1, 0, right[0]!);
    }
  }

  /**
   * Adds `batch`, sorted in byte order (duplicates allowed): one by one when it is small next to the keys
   * held, else by one merge that rebuilds the chunks (linear in both).
   */
  insertSorted(batch: readonly string[]): void {
    if (batch.length * 16 < this.count) {
      for (const k of batch) this.insert(k);
      return;
    }
    const merged: string[] = [];
    const old = this.from("");
    let a = old.next();
    let i = 0;
    while (!a.done || i < batch.length) {
      let k: string;
      if (i >= batch.length || (!a.done && a.value <= batch[i]!)) {
        k = a.value as string;
        a = old.next();
      } else k = batch[i++]!;
      if (merged.length === 0 || merged[merged.length - 1] !== k) merged.push(k);
    }
    const half = CHUNK_MAX >> 1;
    this.chunks = [];
    for (let j = 0; j < merged.length; j += half) this.chunks.push(merged.slice(j, j + half));
    this.mins = this.chunks.map((c) => c[0]!);
    this.count = merged.length;
  }

  /** Keys ≥ start, in order (an {@link insertSorted} during the walk does not change what it yields). */
  *from(start: string): Generator<string> {
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    let ci = this.chunkFor(start);
    let at = lowerBound(chunks[ci]!, start);
    for (; ci < chunks.length; ci++, at = 0) {
      const c = chunks[ci]!;
      for (; at < c.length; at++) yield c[at]!;
    }
  }
}

/**
 * The keys of one overlay generation, put in order only when a range read needs them: a new key is
 * appended to its family's list (families by first byte: `ledger/`, `executed_ops/`, `cycle_history/`,
 * `deferred_credits/`…), and a range read sorts the families it walks into their {@link SortedKeys}. A
 * node's settles read ranges of the proof-of-stake families every slot but of the ledger and the executed
 * operations rarely (datastore listings, a bootstrap server), so their thousands of keys a slot are
 * appended, not sorted in one by one.
 */
export class KeyIndex {
  /** By the key's first char code (0 for the empty key, which sorts before every other). */
  private readonly families: ({ sorted: SortedKeys; fresh: string[] } | undefined)[] = new Array(256);

  insert(key: string): void {
    const f = key.length === 0 ? 0 : key.charCodeAt(0);
    let family = this.families[f];
    if (family === undefined) {
      family = { sorted: new SortedKeys(), fresh: [] };
      this.families[f] = family;
    }
    family.fresh.push(key);
  }

  /**
   * Keys ≥ start, in order (duplicates of a key inserted twice appear once), up to the family of `end`
   * (exclusive bound, undefined: none): families past it are not sorted, though the walk may yield keys of
   * its own family ≥ end.
   */
  *from(start: string, end?: string): Generator<string> {
    const last = end === undefined ? 255 : end.length === 0 ? -1 : end.charCodeAt(0);
    for (let f = start.length === 0 ? 0 : start.charCodeAt(0); f <= last; f++) {
      const family = this.families[f];
      if (family === undefined) continue;
      if (family.fresh.length > 0) {
        // latin1 strings compare by char code, which is byte order (the default sort's order)
        family.sorted.insertSorted(family.fresh.sort());
        family.fresh = [];
      }
      yield* family.sorted.from(start);
    }
  }
}
