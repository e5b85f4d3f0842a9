// Bootstrap streaming: the bounded history of recent settled slots' writes, cutting parts of the state for
// a client (server side) and applying received parts as journal records (client side).
import { concatBytes, fromHex, Slot, toHex } from "@massa-ts/models";
import { FinalStateError } from "./errors.js";
import type { ExecutedOps } from "./executed-ops.js";
import type { Journal } from "./journal.js";
import type { WriteLog } from "./write-log.js";

/** Where a bootstrap client is: the state slot it holds and the last key it received. */
export interface BootstrapCursor {
  readonly slot?: Slot;
  readonly lastKey?: Uint8Array;
  readonly finished?: boolean;
}

/** One bounded part of a bootstrap stream. */
export interface BootstrapPart {
  /** The server's last final slot when the part was cut: the client's state slot after applying it. */
  readonly slot: Slot;
  /** New state entries, in key order, after the cursor's last key. */
  readonly entries: [Uint8Array, Uint8Array][];
  /** Writes since the cursor's slot to keys the client already has (null = deleted). */
  readonly updates: [Uint8Array, Uint8Array | null][];
  /** The cursor to send with the next request. */
  readonly cursor: BootstrapCursor;
}

/** Both sides of a bootstrap on one store: parts served from it, parts applied to it. */
export class BootstrapStream {
  /** The writes of the last `changeHistoryLength` settled slots, oldest first (for bootstrap servers). */
  private readonly changeHistory: { slot: Slot; writes: WriteLog }[] = [];

  constructor(
    private readonly journal: Journal,
    private readonly executedOps: ExecutedOps,
    private readonly threadCount: number,
    private readonly changeHistoryLength: number,
  ) {}

  /** Keeps the writes of a settled slot for the clients catching up (the oldest beyond the length go). */
  recordSlot(slot: Slot, writes: WriteLog): void {
    this.changeHistory.push({ slot, writes });
    while (this.changeHistory.length > this.changeHistoryLength) this.changeHistory.shift();
  }

  /**
   * Bootstrap server side: one bounded part of the state for a client whose cursor is `cursor`. New
   * entries continue the key-order scan after `cursor.lastKey`; `updates` are the writes made since
   * `cursor.slot` to keys the client already has. Throws `SLOT_TOO_OLD` when the client is further behind
   * than the change history (it must start over).
   */
  bootstrapPart(cursor: BootstrapCursor, maxBytes: number): BootstrapPart {
    const slot = this.journal.lastSlot;
    if (!slot) throw new FinalStateError("FINAL_STATE_EMPTY", "nothing to stream: the final state is empty");
    const updates: [Uint8Array, Uint8Array | null][] = [];
    if (cursor.slot && !cursor.slot.equals(slot)) {
      if (Slot.compare(cursor.slot, slot) > 0) {
        throw new FinalStateError(
          "SLOT_IN_FUTURE",
          `the client is at ${cursor.slot}, after the server's ${slot}`,
        );
      }
      const first = this.changeHistory[0];
      if (!first || Slot.compare(cursor.slot.next(this.threadCount), first.slot) < 0) {
        throw new FinalStateError(
          "SLOT_TOO_OLD",
          `the client at ${cursor.slot} is behind the server's change history: start over`,
        );
      }
      const merged = new Map<string, Uint8Array | null>();
      for (const h of this.changeHistory) {
        if (Slot.compare(h.slot, cursor.slot) <= 0) continue;
        for (const [k, v] of h.writes.records()) merged.set(toHex(k), v === null ? null : v.slice());
      }
      const bound = cursor.finished ? undefined : cursor.lastKey ? toHex(cursor.lastKey) : "";
      for (const [k, v] of [...merged].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (bound === undefined || k <= bound) updates.push([fromHex(k), v]);
      }
    }
    const entries: [Uint8Array, Uint8Array][] = [];
    let lastKey = cursor.lastKey;
    if (!cursor.finished) {
      let size = 0;
      const start = cursor.lastKey ? Buffer.from(concatBytes(cursor.lastKey, Uint8Array.of(0))) : undefined;
      for (const [k, v] of this.journal.reader.entriesInRange(start, undefined)) {
        size += k.length + v.length + 8;
        if (size > maxBytes && entries.length > 0) break;
        entries.push([k, v]);
        lastKey = k;
      }
    }
    const finished = cursor.finished || entries.length === 0;
    return { slot, entries, updates, cursor: { slot, lastKey, finished } };
  }

  /**
   * Bootstrap client side: applies one part to this (fresh) store as one journal record. A client
   * streaming a large state awaits `drain()` when `backlog.records` grows (the server side is not limited).
   */
  applyBootstrapPart(part: BootstrapPart): void {
    const ops: [string, Slot][] = [];
    const noteOp = (k: Uint8Array, v: Uint8Array) => {
      const op = this.executedOps.executedOpOfEntry(k, v);
      if (op !== undefined) ops.push(op);
    };
    this.journal.commitRecord(part.slot, (kv) => {
      for (const [k, v] of part.updates) {
        if (v === null) kv.delete(k);
        else {
          noteOp(k, v);
          kv.put(k, v.slice()); // the overlay keeps what it is given: not a view of the part's message
        }
      }
      for (const [k, v] of part.entries) {
        noteOp(k, v);
        kv.put(k, v.slice());
      }
    });
    // executed operations streamed in are pruned at their expiry like settled ones (Massa recomputes
    // this cache once a bootstrap ends); a key indexed twice is deleted once, the second delete is a no-op
    for (const [k, expiry] of ops) this.executedOps.indexOp(k, expiry);
  }
}
