import type { KvRead } from "@massa-ts/ledger";
import { toLatin1 } from "@massa-ts/models";
import type { Database } from "lmdb";
import { KeyIndex } from "./key-index.js";

/**
 * A key's value in the overlay: the bytes written, or null for a delete (the B-tree's value is hidden);
 * undefined where the overlay does not hold the key.
 */
export type PendingValue = Uint8Array | null;

/**
 * What one record overwrote in the overlay's newest generation, to undo a record that failed half-way:
 * flat pairs, key then its previous value there (undefined: it had none), one array for the record.
 */
export type PendingUndo = (string | PendingValue | undefined)[];

/** Keys as latin1 strings: one char per byte, so string order is byte order. */
export function keyString(key: Uint8Array): string {
  return toLatin1(key);
}

function keyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, "latin1"));
}

/**
 * One generation of the overlay: the newest value of every key written by a run of consecutive records,
 * with their keys' index. Dropped whole once the state B-tree holds all its records.
 */
class Generation {
  readonly values = new Map<string, PendingValue>();
  readonly keys = new KeyIndex();
  /** Journal sequence number of the newest record that wrote here. */
  maxSeq = 0;
}

/**
 * The overlay of journaled writes over the state B-tree: the newest write of every key whose record has
 * not been applied yet (and of some whose record has). Writes go to the newest of two generations; when
 * lmdb's write thread has applied every record of a generation it is dropped whole (no walk over its
 * keys), and a newest generation still waiting for records becomes the older one. Reads look in the newest
 * generation, then the older, then the B-tree. A value left in a generation after its record was applied is
 * still the key's final value (every write passes through the newest generation), so reads stay exact.
 * Point reads are Map lookups; range reads walk each generation's {@link KeyIndex}, which may hold keys no
 * longer in its map (rolled back): reads skip them.
 */
export class PendingWrites {
  private newest = new Generation();
  private older: Generation | null = null;

  /** Keys held, over both generations (a key in both counts twice). */
  get size(): number {
    return this.newest.values.size + (this.older?.values.size ?? 0);
  }

  lookup(key: Uint8Array): PendingValue | undefined {
    return this.newest.values.size === 0 && this.older === null
      ? undefined
      : this.lookupString(keyString(key));
  }

  /** Lookup by the key's {@link keyString}. */
  lookupString(k: string): PendingValue | undefined {
    const v = this.newest.values.get(k);
    return v !== undefined || this.older === null ? v : this.older.values.get(k);
  }

  /** The value of `k` in the newest generation only (what {@link setAfterLookup} wants as `mine`). */
  lookupNewest(k: string): PendingValue | undefined {
    return this.newest.values.get(k);
  }

  /** The value of `k` in the older generation only (after {@link lookupNewest} found none). */
  lookupOlder(k: string): PendingValue | undefined {
    return this.older?.values.get(k);
  }

  /** Writes `key` → `value` (null: deleted) for the record `seq` (journal replay: no undo). */
  set(key: Uint8Array, value: PendingValue, seq: number): void {
    const k = keyString(key);
    this.setAfterLookup(k, this.newest.values.get(k), value, seq);
  }

  /**
   * Writes `k` → `value` for the record `seq`, `mine` being what {@link lookupNewest} answered for `k`
   * (the caller looked it up already); `undo` gets what is overwritten.
   */
  setAfterLookup(
    k: string,
    mine: PendingValue | undefined,
    value: PendingValue,
    seq: number,
    undo?: PendingUndo,
  ): void {
    const g = this.newest;
    undo?.push(k, mine);
    g.values.set(k, value);
    if (mine === undefined) g.keys.insert(k);
    if (seq > g.maxSeq) g.maxSeq = seq;
  }

  /** Restores the newest generation's values the failed record `seq` overwrote (newest first). */
  rollback(undo: PendingUndo, seq: number): void {
    // what is left in the generation was written by records before `seq`
    if (this.newest.maxSeq >= seq) this.newest.maxSeq = seq - 1;
    const values = this.newest.values;
    for (let i = undo.length - 2; i >= 0; i -= 2) {
      const k = undo[i] as string;
      const mine = undo[i + 1] as PendingValue | undefined;
      if (mine === undefined) values.delete(k);
      else values.set(k, mine);
    }
  }

  /** The B-tree holds every record up to `seq`: drops the generations all of whose records it holds. */
  prune(seq: number): void {
    // the older generation's records all precede the newest's
    if (this.older !== null && this.older.maxSeq <= seq) this.older = null;
    if (this.newest.values.size === 0) return;
    if (this.newest.maxSeq <= seq) this.newest = new Generation();
    else if (this.older === null) {
      this.older = this.newest;
      this.newest = new Generation();
    }
  }

  /** Entries with keys in `[start, end)` in byte order (end undefined = unbounded), the newest value of each. */
  *range(start: string, end: string | undefined): Generator<[string, PendingValue]> {
    const a = this.newest.keys.from(start, end);
    const b = this.older?.keys.from(start, end);
    try {
      let x = a.next();
      let y = b?.next();
      let last: string | undefined;
      while (!x.done || (y !== undefined && !y.done)) {
        let k: string;
        if (y === undefined || y.done || (!x.done && x.value <= y.value)) {
          k = x.value as string;
          x = a.next();
        } else {
          k = y.value;
          y = b!.next();
        }
        if (k === last) continue;
        last = k;
        if (end !== undefined && k >= end) return;
        const v = this.lookupString(k);
        if (v !== undefined) yield [k, v];
      }
    } finally {
      a.return(undefined);
      b?.return(undefined);
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
    if (e !== undefined) return e ?? undefined;
    const v = this.db.getBinary(key);
    return v === undefined ? undefined : new Uint8Array(v);
  }

  /**
   * {@link get} without a copy: the overlay's own value or a view of lmdb's read buffer, valid until the
   * next read of this environment (for a value decoded at once).
   */
  peek(key: Uint8Array): Uint8Array | undefined {
    const e = this.pending.lookup(key);
    if (e !== undefined) return e ?? undefined;
    return this.btreePeek(key);
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
  upper: Iterator<[string, PendingValue]>,
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
        const [k, v] = b.value;
        if (!a.done && b.value[0] === aKey) {
          a = lower.next();
          aKey = a.done ? undefined : keyString(a.value[0]);
        }
        if (v !== null) yield make(keyBytes(k), v.slice());
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
