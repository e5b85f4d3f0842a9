// Executed operations in the final state: their records, the expiry index they are pruned by, and the
// `isExecuted` / `executedOpStatus` reads.
import type { KvWrite } from "@massa-ts/ledger";
import { ByteReader, ByteWriter, ID_VERSION, type OperationId, Slot, toHex } from "@massa-ts/models";
import { FinalStateError } from "./errors.js";
import type { HashingKv } from "./hashing-kv.js";
import { keyString, type OverlayKv } from "./pending.js";

/** One executed operation: kept until its expiry slot is more than 10 periods old. */
export interface ExecutedOp {
  readonly id: OperationId;
  readonly success: boolean;
  /** `(expire_period, thread of the sender)`. */
  readonly expirySlot: Slot;
}

/** Massa's KEEP_EXECUTED_HISTORY_EXTRA_PERIODS. */
export const KEEP_EXECUTED_HISTORY_EXTRA_PERIODS = 10;

/**
 * Settling slot S forgets the executed operations whose expiry slot index is below this bound: those that
 * expired before (S.period − 10, S.thread). Undefined: nothing is pruned yet.
 */
export function executedOpsPruneBound(slot: Slot, threadCount: number): number | undefined {
  if (slot.period < KEEP_EXECUTED_HISTORY_EXTRA_PERIODS) return undefined;
  return new Slot(slot.period - KEEP_EXECUTED_HISTORY_EXTRA_PERIODS, slot.thread).index(threadCount);
}
const EXECUTED_OPS_PREFIX = new TextEncoder().encode("executed_ops/");

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** Bytes of an operation id's hash. */
const ID_HASH_SIZE = 32;
/** Where the id's hash starts in an `executed_ops/` key: after the prefix and the id's version byte. */
const HASH_AT = EXECUTED_OPS_PREFIX.length + 1;

/** `executed_ops/ ‖ id (33 bytes)`, in one allocation. */
function executedOpKey(hash: Uint8Array): Uint8Array {
  const k = new Uint8Array(HASH_AT + hash.length);
  k.set(EXECUTED_OPS_PREFIX);
  k[EXECUTED_OPS_PREFIX.length] = ID_VERSION;
  k.set(hash, HASH_AT);
  return k;
}

/** {@link executedOpKey} of the id whose hash has hex `idKey` (`OperationId.key`), decoded natively. */
function executedOpKeyOfIdKey(idKey: string): Uint8Array {
  const k = Buffer.allocUnsafeSlow(HASH_AT + ID_HASH_SIZE);
  k.set(EXECUTED_OPS_PREFIX);
  k[EXECUTED_OPS_PREFIX.length] = ID_VERSION;
  if (k.write(idKey, HASH_AT, "hex") !== ID_HASH_SIZE)
    throw new FinalStateError(
      "FINAL_STATE_CORRUPT",
      `executed op index key ${idKey} is not a 32-byte hex hash`,
    );
  return k;
}

/**
 * The id hash (hex, as `OperationId.key`) of an `executed_ops/` key; a key under that prefix that is not
 * `prefix ‖ version ‖ 32-byte hash` is a corrupt record (it could not be pruned by its id).
 */
function idKeyOf(key: Uint8Array): string {
  if (key.length !== HASH_AT + ID_HASH_SIZE || key[EXECUTED_OPS_PREFIX.length] !== ID_VERSION)
    throw new FinalStateError(
      "FINAL_STATE_CORRUPT",
      `executed op key ${toHex(key)} is not an operation id's`,
    );
  return toHex(key.subarray(HASH_AT));
}

/**
 * The executed operations of the final state (`executed_ops/` ‖ op id → status byte ‖ expiry slot) and
 * their index by expiry slot. Writes go through a record's `KvWrite`; the index follows once the record is
 * committed (`indexOp`, `forgetExpired`).
 *
 * The index doubles as a membership filter: every executed operation the state holds is in it (it may
 * also hold a few the state no longer has: keys a bootstrap update deleted stay until their expiry), so
 * an operation it does not hold was not executed, known without reading the B-tree. Execution asks that
 * of every operation it executes, and settling writes every executed operation as a new key.
 */
export class ExecutedOps {
  /**
   * Executed operations (by the hex of their id's hash, `OperationId.key`: execution asks whether an
   * operation was executed without building its state key) by expiry slot index (period · T + thread);
   * rebuilt on open.
   */
  private readonly opsByExpiry = new Map<number, string[]>();
  /** The same ids: a superset of the state's `executed_ops/` keys. */
  private readonly known = new Set<string>();

  constructor(
    private readonly reader: OverlayKv,
    private readonly threadCount: number,
  ) {}

  /** Rebuilds the expiry index from the state; a bad record calls `onCorrupt` (closing the store), then throws. */
  loadExecutedOps(path: string, onCorrupt: () => void): void {
    const start = Buffer.from(EXECUTED_OPS_PREFIX);
    const end = Buffer.from(EXECUTED_OPS_PREFIX);
    end[end.length - 1]! += 1;
    for (const [k, value] of this.reader.entriesInRange(start, end)) {
      try {
        const { expirySlot } = this.decodeExecutedOp(value);
        this.indexOp(idKeyOf(k), expirySlot);
      } catch (e) {
        onCorrupt();
        throw new FinalStateError(
          "FINAL_STATE_CORRUPT",
          `${path}: executed op ${toHex(k)}: ${(e as Error).message}`,
        );
      }
    }
  }

  private decodeExecutedOp(v: Uint8Array): { success: boolean; expirySlot: Slot } {
    const r = new ByteReader(v);
    const flag = r.readU8("executed op status");
    if (flag > 1) throw new FinalStateError("FINAL_STATE_CORRUPT", `bad executed op status byte ${flag}`);
    const expirySlot = Slot.deserialize(r, this.threadCount, "executed op expiry slot");
    r.expectEnd("executed op");
    return { success: flag === 1, expirySlot };
  }

  /** Indexes the executed operation whose id's hash has hex `k` (`OperationId.key`). */
  indexOp(k: string, expiry: Slot): void {
    if (this.known.has(k)) return; // indexed already (a bootstrap update of a key it has)
    this.known.add(k);
    const i = expiry.index(this.threadCount);
    const list = this.opsByExpiry.get(i);
    if (list) list.push(k);
    else this.opsByExpiry.set(i, [k]);
  }

  /**
   * Writes the records of `ops`; returns their ids' keys and expiry slots, to index once the record is
   * committed.
   * Through a {@link HashingKv}, an operation the index does not hold is written as a new key (no B-tree read).
   */
  putExecutedOps(kv: KvWrite | HashingKv, ops: readonly ExecutedOp[]): [string, Slot][] {
    const added: [string, Slot][] = [];
    const fresh = "putAbsent" in kv ? kv : undefined;
    // a block's operations share a few expiry slots: one encoded value for each (status, expiry slot)
    const values = new Map<number, Uint8Array>();
    for (const op of ops) {
      const key = executedOpKey(op.id.hash);
      const tag = op.expirySlot.index(this.threadCount) * 2 + (op.success ? 1 : 0);
      let value = values.get(tag);
      if (value === undefined) {
        const w = new ByteWriter(16).u8(op.success ? 1 : 0);
        op.expirySlot.serialize(w);
        value = w.finish();
        values.set(tag, value);
      }
      const id = op.id.key;
      if (fresh && !this.known.has(id)) fresh.putAbsent(key, keyString(key), value);
      else kv.put(key, value);
      added.push([id, op.expirySlot]);
    }
    return added;
  }

  /**
   * Deletes the ops settled slot `slot` prunes: those whose expiry slot is before (S.period − 10, S.thread).
   * Returns the expiry indexes emptied, to drop from the index once the record is committed.
   */
  pruneExpired(kv: KvWrite, slot: Slot): number[] {
    const pruned: number[] = [];
    const bound = executedOpsPruneBound(slot, this.threadCount);
    if (bound !== undefined) {
      for (const [i, keys] of this.opsByExpiry) {
        if (i < bound) {
          for (const k of keys) kv.delete(executedOpKeyOfIdKey(k));
          pruned.push(i);
        }
      }
    }
    return pruned;
  }

  /** Drops the expiry indexes `pruneExpired` emptied. */
  forgetExpired(pruned: readonly number[]): void {
    for (const i of pruned) {
      for (const k of this.opsByExpiry.get(i) ?? []) this.known.delete(k);
      this.opsByExpiry.delete(i);
    }
  }

  /**
   * The id key (`OperationId.key`) and expiry slot of a state entry if it is an executed operation's
   * record (throws if it is a bad one).
   */
  executedOpOfEntry(key: Uint8Array, value: Uint8Array): [string, Slot] | undefined {
    return startsWith(key, EXECUTED_OPS_PREFIX)
      ? [idKeyOf(key), this.decodeExecutedOp(value).expirySlot]
      : undefined;
  }

  /** Every executed operation of the final state: its id's hash (hex), success, expiry slot index. */
  *entries(): Iterable<[idHex: string, success: boolean, expiryIndex: number]> {
    const start = Buffer.from(EXECUTED_OPS_PREFIX);
    const end = Buffer.from(EXECUTED_OPS_PREFIX);
    end[end.length - 1]! += 1;
    for (const [k, value] of this.reader.entriesInRange(start, end)) {
      const { success, expirySlot } = this.decodeExecutedOp(value);
      yield [toHex(k.subarray(HASH_AT)), success, expirySlot.index(this.threadCount)];
    }
  }

  /** Whether `id` was executed in a final slot and is still within its validity window (+10 periods). */
  isExecuted(id: OperationId): boolean {
    return this.known.has(id.key) && this.reader.get(executedOpKey(id.hash)) !== undefined;
  }

  /** Status of a final executed operation: true = success, false = failed, undefined = unknown/pruned. */
  executedOpStatus(id: OperationId): boolean | undefined {
    if (!this.known.has(id.key)) return undefined;
    const v = this.reader.get(executedOpKey(id.hash));
    return v === undefined ? undefined : this.decodeExecutedOp(v).success;
  }
}
