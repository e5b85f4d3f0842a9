import type { KvRead } from "@massa-ts/ledger";
import { toLatin1 } from "@massa-ts/models";
import type { Database } from "lmdb";

/** A write settled in the journal but not yet applied to the state B-tree (null value = deleted). */
export interface PendingEntry {
  readonly value: Uint8Array | null;
  /** Journal sequence number of the record that wrote it. */
  readonly seq: number;
}

/**
 * Previous overlay entries of the keys one record wrote, to undo a record that failed half-way: flat pairs,
 * key then previous entry (one array for the record, not one per write).
 */
export type PendingUndo = (string | PendingEntry | undefined)[];

/** Keys as latin1 strings: one char per byte, so string order is byte order. */
export function keyString(key: Uint8Array): string {
  return toLatin1(key);
}

function keyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, "latin1"));
}

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
      return;
    }
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci]!;
    const at = lowerBound(chunk, key);
    if (chunk[at] === key) return;
    chunk.splice(at, 0, key);
    if (at === 0) this.mins[ci] = key;
    if (chunk.length > CHUNK_MAX) {
      const right = chunk.splice(CHUNK_MAX >> 1);
      this.chunks.splice(ci + 1, 0, right);
      this.mins.splice(ci + 1, 0, right[0]!);
    }
  }

  /** Keeps the keys for which `keep` is true. */
  filter(keep: (key: string) => boolean): void {
    const chunks: string[][] = [];
    for (const c of this.chunks) {
      const f = c.filter(keep);
      if (f.length > 0) chunks.push(f);
    }
    this.chunks = chunks;
    this.mins = chunks.map((c) => c[0]!);
  }

  /** Keys ≥ start, in order. */
  *from(start: string): Generator<string> {
    if (this.chunks.length === 0) return;
    let ci = this.chunkFor(start);
    let at = lowerBound(this.chunks[ci]!, start);
    for (; ci < this.chunks.length; ci++, at = 0) {
      const c = this.chunks[ci]!;
      for (; at < c.length; at++) yield c[at]!;
    }
  }
}

/**
 * The overlay of journaled writes over the state B-tree: the newest write of every key whose record
 * has not been applied yet. Point reads are one Map lookup; range reads walk the keys kept in order in
 * a {@link SortedKeys}. That index may hold keys no longer in the map (rolled back): reads skip them.
 */
export class PendingWrites {
  private readonly map = new Map<string, PendingEntry>();
  private readonly keys = new SortedKeys();

  get size(): number {
    return this.map.size;
  }

  lookup(key: Uint8Array): PendingEntry | undefined {
    return this.map.size === 0 ? undefined : this.map.get(keyString(key));
  }

  /** Lookup by the key's {@link keyString}. */
  lookupString(k: string): PendingEntry | undefined {
    return this.map.get(k);
  }

  set(key: Uint8Array, value: Uint8Array | null, seq: number, undo?: PendingUndo): void {
    this.setString(keyString(key), value, seq, undo);
  }

  /** {@link set} by the key's {@link keyString}. */
  setString(k: string, value: Uint8Array | null, seq: number, undo?: PendingUndo): void {
    this.setAfterLookup(k, this.map.get(k), value, seq, undo);
  }

  /** {@link setString} when the caller looked `k` up already: `previous` is what {@link lookupString} answered. */
  setAfterLookup(
    k: string,
    previous: PendingEntry | undefined,
    value: Uint8Array | null,
    seq: number,
    undo?: PendingUndo,
  ): void {
    undo?.push(k, previous);
    this.map.set(k, { value, seq });
    if (previous === undefined) this.keys.insert(k);
  }

  /** Restores the entries a failed record overwrote (newest first). */
  rollback(undo: PendingUndo): void {
    for (let i = undo.length - 2; i >= 0; i -= 2) {
      const k = undo[i] as string;
      const previous = undo[i + 1] as PendingEntry | undefined;
      if (previous === undefined) this.map.delete(k);
      else this.map.set(k, previous);
    }
  }

  /** Forgets every entry written by records up to `seq` (they are in the B-tree now). */
  prune(seq: number): void {
    // forEach: no [key, entry] array per entry (a Map may delete the entry being visited)
    this.map.forEach((e, k, map) => {
      if (e.seq <= seq) map.delete(k);
    });
    this.keys.filter((k) => this.map.has(k));
  }

  /** Entries with keys in `[start, end)` in byte order (end undefined = unbounded). */
  *range(start: string, end: string | undefined): Generator<[string, PendingEntry]> {
    if (this.map.size === 0) return;
    for (const k of this.keys.from(start)) {
      if (end !== undefined && k >= end) return;
      const e = this.map.get(k);
      if (e !== undefined) yield [k, e];
    }
  }
}

/**
 * Reads of the final state: the pending overlay first, then the state B-tree. Range reads merge both in
 * byte order; a pending delete hides the B-tree's key.
 */
export class OverlayKv implements KvRead {
  constructor(
    private readonly pending: PendingWrites,
    private readonly db: Database<Uint8Array, Uint8Array>,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const e = this.pending.lookup(key);
    if (e !== undefined) return e.value ?? undefined;
    const v = this.db.getBinary(key);
    return v === undefined ? undefined : new Uint8Array(v);
  }

  /**
   * {@link get} without a copy: the overlay's own value or a view of lmdb's read buffer, valid until the
   * next read of this environment (for a value decoded at once).
   */
  peek(key: Uint8Array): Uint8Array | undefined {
    const e = this.pending.lookup(key);
    if (e !== undefined) return e.value ?? undefined;
    return this.btreePeek(key);
  }

  /** {@link get} with the key's {@link keyString} already computed. */
  getWithString(key: Uint8Array, k: string): Uint8Array | undefined {
    const e = this.pending.lookupString(k);
    if (e !== undefined) return e.value ?? undefined;
    return this.btreeGet(key);
  }

  /** The state B-tree's value of `key` (a copy), under no overlay. */
  btreeGet(key: Uint8Array): Uint8Array | undefined {
    const v = this.db.getBinary(key);
    return v === undefined ? undefined : new Uint8Array(v);
  }

  /**
   * The state B-tree's value of `key` without a copy: a view of lmdb's shared read buffer, valid only until
   * the next read of this environment (for a value used at once, such as the old entry a put hashes out).
   */
  btreePeek(key: Uint8Array): Uint8Array | undefined {
    const v = this.db.getBinaryFast(key);
    // lmdb hands its whole read buffer with a `length` property set to the value's size: a view of exactly
    // the value, or typed-array methods (set, slice) would see the whole buffer
    return v === undefined ? undefined : v.subarray(0, v.length);
  }

  keysInRange(start: Uint8Array, end: Uint8Array | undefined): Iterable<Uint8Array> {
    const lower = this.db.getKeys({ start: Buffer.from(start), ...(end ? { end: Buffer.from(end) } : {}) });
    return mergeRange(
      (function* () {
        for (const k of lower) yield [k as Uint8Array, undefined] as const;
      })(),
      this.pending.range(keyString(start), end ? keyString(end) : undefined),
      (k) => new Uint8Array(k),
      () => undefined,
      (k) => k,
    );
  }

  /** Keys and values in `[start, end)` in byte order (copies, safe to keep). */
  entriesInRange(
    start: Uint8Array | undefined,
    end: Uint8Array | undefined,
  ): Iterable<[Uint8Array, Uint8Array]> {
    const lower = this.db.getRange({
      ...(start ? { start: Buffer.from(start) } : {}),
      ...(end ? { end: Buffer.from(end) } : {}),
    });
    const merged = mergeRange(
      (function* () {
        for (const { key, value } of lower) yield [key as Uint8Array, value as Uint8Array] as const;
      })(),
      this.pending.range(start ? keyString(start) : "", end ? keyString(end) : undefined),
      (k) => new Uint8Array(k),
      (v) => new Uint8Array(v!),
      (k, v) => [k, v] as [Uint8Array, Uint8Array],
    );
    return merged;
  }
}

/**
 * Merges B-tree items with pending entries by key; pending wins, a pending delete drops the key. Both
 * iterators are closed when the consumer stops early (the LMDB cursor is released).
 */
function* mergeRange<V, R>(
  lower: Iterator<readonly [Uint8Array, V]>,
  upper: Iterator<[string, PendingEntry]>,
  copyKey: (k: Uint8Array) => Uint8Array,
  copyValue: (v: V) => Uint8Array | undefined,
  make: (k: Uint8Array, v: Uint8Array) => R,
): Generator<R> {
  try {
    let a = lower.next();
    let b = upper.next();
    let aKey: string | undefined = a.done ? undefined : keyString(a.value[0]);
    while (!a.done || !b.done) {
      if (!b.done && (a.done || b.value[0] <= aKey!)) {
        const [k, e] = b.value;
        if (!a.done && b.value[0] === aKey) {
          a = lower.next();
          aKey = a.done ? undefined : keyString(a.value[0]);
        }
        if (e.value !== null) yield make(keyBytes(k), e.value.slice());
        b = upper.next();
      } else if (!a.done) {
        const [k, v] = a.value;
        yield make(copyKey(k), copyValue(v) as Uint8Array);
        a = lower.next();
        aKey = a.done ? undefined : b.done ? "" : keyString(a.value[0]);
      }
    }
  } finally {
    lower.return?.();
    upper.return?.();
  }
}
