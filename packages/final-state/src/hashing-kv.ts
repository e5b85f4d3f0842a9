// The hash-tracking write view one journal record (a slot, genesis, a bootstrap part) is written through.
import type { KvWrite } from "@massa-ts/ledger";
import { bytesEqual } from "@massa-ts/models";
import type { StateHash } from "./hash.js";
import {
  keyString,
  type OverlayKv,
  type PendingUndo,
  type PendingValue,
  type PendingWrites,
} from "./pending.js";
import { WriteLog } from "./write-log.js";

/**
 * The hash-tracking write view of one record (a slot, genesis, a bootstrap part): reads see the state
 * B-tree under the pending overlay; every put and delete XORs the old entry out of the hash and the new
 * one in, goes to the overlay (with an undo entry) and to the record's write log. The overlay keeps the
 * value it is given, not a copy (`KvWrite.put`'s contract: every writer of the final state hands fresh
 * values, and the bootstrap copies the ones it reads from a part).
 */
export class HashingKv implements KvWrite {
  readonly log = new WriteLog();
  readonly undo: PendingUndo = [];
  constructor(
    private readonly reader: OverlayKv,
    private readonly pending: PendingWrites,
    private readonly hash: StateHash,
    private readonly seq: number,
  ) {}
  get(key: Uint8Array): Uint8Array | undefined {
    return this.reader.get(key);
  }
  keysInRange(start: Uint8Array, end: Uint8Array | undefined): Iterable<Uint8Array> {
    return this.reader.keysInRange(start, end);
  }
  put(key: Uint8Array, value: Uint8Array): void {
    const k = keyString(key);
    const mine = this.pending.lookupNewest(k);
    const held = mine !== undefined ? mine : this.pending.lookupOlder(k);
    // the B-tree's value is only compared and hashed (copied into the kernel's memory) here: no copy
    const old = held !== undefined ? (held ?? undefined) : this.reader.btreePeek(key);
    this.replace(key, k, mine, old, value);
  }
  /**
   * {@link put} of a key the final state is known not to hold (`k` its {@link keyString}): neither the
   * B-tree nor the overlay has a value for it (a delete pending in the overlay is no value), so neither is
   * read but for the overlay's newest generation, whose entry a rollback must restore. The caller vouches
   * for that: a value of the key elsewhere would be counted twice in the hash. (The executed operations'
   * index does: the state holds no record of an operation it does not index.)
   */
  putAbsent(key: Uint8Array, k: string, value: Uint8Array): void {
    const mine = this.pending.lookupNewest(k);
    this.replace(key, k, mine, mine ?? undefined, value);
  }

  /**
   * Writes `key` → `value` over its current value `old` (undefined: none), `mine` its value in the
   * overlay's newest generation.
   */
  private replace(
    key: Uint8Array,
    k: string,
    mine: PendingValue | undefined,
    old: Uint8Array | undefined,
    value: Uint8Array,
  ): void {
    if (old !== undefined) {
      if (bytesEqual(old, value)) return;
      this.hash.toggle(key, old, value);
    } else this.hash.toggle(key, value);
    this.pending.setAfterLookup(k, mine, value, this.seq, this.undo);
    this.log.put(key, value);
  }
  delete(key: Uint8Array): void {
    const k = keyString(key);
    const mine = this.pending.lookupNewest(k);
    const held = mine !== undefined ? mine : this.pending.lookupOlder(k);
    const old = held !== undefined ? (held ?? undefined) : this.reader.btreePeek(key);
    if (old === undefined) return;
    this.hash.toggle(key, old);
    this.pending.setAfterLookup(k, mine, null, this.seq, this.undo);
    this.log.delete(key);
  }
}
