// `FinalState`, the final state's facade: opens the data dir, settles slots (ledger, executed operations,
// PoS) and serves reads, delegating to the journal, executed ops, bootstrap and downtime modules.
import { mkdirSync } from "node:fs";
import { applyLedgerChanges, LEDGER_PREFIX, type LedgerChanges, LedgerReader } from "@massa-ts/ledger";
import { type Address, type Amount, type OperationId, Slot } from "@massa-ts/models";
import { type Database, open, type RootDatabase } from "lmdb";
import { type BootstrapCursor, type BootstrapPart, BootstrapStream } from "./bootstrap.js";
import type { FinalStateAdmin, FinalStateController, FinalStateReader, StateChanges } from "./controller.js";
import { interpolateDowntime as interpolate } from "./downtime.js";
import { FinalStateError } from "./errors.js";
import { ExecutedOps } from "./executed-ops.js";
import { loadStateHasher, StateHash } from "./hash.js";
import { checkIdentity, withStoredIdentity } from "./identity.js";
import { Journal } from "./journal.js";
import type { OverlayKv } from "./pending.js";
import { type CycleInfo, PoSError, PoSFinalState } from "./pos.js";

/** Massa's EXECUTION_TRAIL_HASH_PREFIX: one key of the state, so in its hash and in bootstrap. */
export const EXECUTION_TRAIL_HASH_KEY = new TextEncoder().encode("execution_trail_hash/");

export type { BootstrapCursor, BootstrapPart } from "./bootstrap.js";
export type { StateChanges } from "./controller.js";
export { FinalStateError } from "./errors.js";
export {
  type ExecutedOp,
  executedOpsPruneBound,
  KEEP_EXECUTED_HISTORY_EXTRA_PERIODS,
} from "./executed-ops.js";

export interface FinalStateOptions {
  /** Data directory (created if missing). */
  readonly path: string;
  readonly chainId: bigint;
  readonly threadCount: number;
  /** Default 128. */
  readonly periodsPerCycle?: number;
  /** Cycles kept in the PoS history (POS_SAVED_CYCLES). Default 7. */
  readonly historyLength?: number;
  /** Settled slots whose writes are kept in memory for bootstrap clients (Massa: 600). Default 600. */
  readonly changeHistoryLength?: number;
  readonly readOnly?: boolean;
  /**
   * Journal records (settled slots) allowed to wait for the background apply before `settleSlot` refuses
   * with APPLY_BACKLOG_FULL (await `drain()` then). Default 512.
   */
  readonly maxBacklog?: number;
}

/**
 * The final state on LMDB: one environment per node, a `state` sub-database in Massa's key layout (ledger
 * keys now; PoS and executed operations next) and a `meta` one (last settled slot, state hash, identity).
 * `settleSlot` applies exactly the next slot in one write transaction together with the new hash.
 */
export class FinalState implements FinalStateReader, FinalStateController, FinalStateAdmin {
  private readonly root: RootDatabase;
  private readonly state: Database<Uint8Array, Uint8Array>;
  private readonly threadCount: number;
  private readonly periodsPerCycle: number;
  private readonly pos: PoSFinalState;
  private readonly cycleListeners: ((info: CycleInfo) => void)[] = [];
  readonly ledger: LedgerReader;
  private readonly reader: OverlayKv;
  /** Settled records not yet in the state B-tree, and the overlay every read goes through first. */
  private readonly journal: Journal;
  private readonly executedOps: ExecutedOps;
  private readonly bootstrap: BootstrapStream;
  private readonly readOnly: boolean;

  private constructor(opts: FinalStateOptions) {
    this.readOnly = opts.readOnly ?? false;
    if (!opts.readOnly) mkdirSync(opts.path, { recursive: true });
    this.root = open({ path: opts.path, readOnly: opts.readOnly ?? false, maxDbs: 4 });
    const sub = { keyEncoding: "binary", encoding: "binary", compression: false } as const;
    this.state = this.root.openDB<Uint8Array, Uint8Array>({ name: "state", ...sub });
    const meta = this.root.openDB<Uint8Array, Uint8Array>({ name: "meta", ...sub });
    this.threadCount = opts.threadCount;
    this.periodsPerCycle = opts.periodsPerCycle ?? 128;
    this.pos = new PoSFinalState({
      threadCount: opts.threadCount,
      periodsPerCycle: this.periodsPerCycle,
      historyLength: opts.historyLength ?? 7,
    });
    checkIdentity(this.root, meta, opts.path, opts.readOnly, {
      chainId: opts.chainId,
      threadCount: opts.threadCount,
      periodsPerCycle: this.periodsPerCycle,
      historyLength: opts.historyLength ?? 7,
    });
    this.journal = new Journal({
      path: opts.path,
      readOnly: this.readOnly,
      maxBacklog: opts.maxBacklog ?? 512,
      root: this.root,
      state: this.state,
      meta,
    });
    this.reader = this.journal.reader;
    this.ledger = new LedgerReader(this.reader);
    this.executedOps = new ExecutedOps(this.reader, this.threadCount);
    this.executedOps.loadExecutedOps(opts.path, () => {
      this.root.close();
      void this.journal.close();
    });
    this.bootstrap = new BootstrapStream(
      this.journal,
      this.executedOps,
      this.threadCount,
      opts.changeHistoryLength ?? 600,
    );
    this.journal.resume();
  }

  /** Records waiting for the background apply, and the keys they hold in memory. */
  get backlog(): { records: number; pendingKeys: number } {
    return this.journal.backlog;
  }

  /**
   * Waits until every slot settled so far is on disk (`settleSlot` returns before: reads see the slot at
   * once, lmdb's write thread writes and flushes it). A kill after it loses none of them.
   */
  flushed(): Promise<void> {
    return this.journal.flushed();
  }

  /** Waits until every settled record is in the state B-tree (the backlog is empty). */
  drain(): Promise<void> {
    return this.journal.drain();
  }

  /** Whether `id` was executed in a final slot and is still within its validity window (+10 periods). */
  isExecuted(id: OperationId): boolean {
    return this.executedOps.isExecuted(id);
  }

  /** Status of a final executed operation: true = success, false = failed, undefined = unknown/pruned. */
  executedOpStatus(id: OperationId): boolean | undefined {
    return this.executedOps.executedOpStatus(id);
  }

  /** Every executed operation kept: its id's hash (hex, as `OperationId.key`), success, expiry slot index. */
  executedOpEntries(): Iterable<[idHex: string, success: boolean, expiryIndex: number]> {
    return this.executedOps.entries();
  }

  /**
   * Opens an existing data dir read-only with the chain id and shape recorded in it (for inspection
   * tools such as `massa-ts state`).
   */
  static async openExisting(path: string): Promise<FinalState> {
    return withStoredIdentity(path, (identity) => FinalState.open({ path, ...identity, readOnly: true }));
  }

  static async open(opts: FinalStateOptions): Promise<FinalState> {
    await loadStateHasher();
    return new FinalState(opts);
  }

  /** The last settled slot, or undefined before the first one. */
  get lastFinalSlot(): Slot | undefined {
    return this.journal.lastSlot;
  }

  /** The 512-byte state hash (a copy). */
  get stateHash(): StateHash {
    return this.journal.stateHash;
  }

  /**
   * Applies the changes of `slot`, which must be the slot right after the last settled one (or any first
   * slot on an empty state), as one journal record with the new change id and hash: reads see it on
   * return; lmdb's write thread writes it to the journal in one transaction and flushes it ({@link flushed}).
   */
  settleSlot(slot: Slot, changes: StateChanges): void {
    const lastSlot = this.journal.lastSlot;
    if (lastSlot) {
      const expected = lastSlot.next(this.threadCount);
      if (!slot.equals(expected)) {
        throw new FinalStateError(
          "SLOT_OUT_OF_ORDER",
          `cannot settle slot ${slot}: the final state is at ${lastSlot}, so the next slot is ${expected}`,
        );
      }
    }
    let newOps: [string, Slot][] = [];
    let completedCycle: number | undefined;
    let pruned: number[] = [];
    const { log } = this.journal.commitRecord(slot, (kv, hash) => {
      applyLedgerChanges(changes.ledgerChanges, kv);
      newOps = this.executedOps.putExecutedOps(kv, changes.executedOps ?? []);
      if (changes.pos) {
        const { cycle, completed } = this.pos.applySlot(kv, slot, changes.pos);
        if (completed) completedCycle = cycle;
        // Massa writes the cycle's snapshot right after the slot: the hash including this slot.
        this.pos.putSnapshot(kv, cycle, hash.bytes.slice());
      } else if (this.pos.cycles(kv).length > 0) {
        throw new PoSError(`slot ${slot} carries no PoS changes, but this final state has a PoS history`);
      }
      if (changes.executionTrailHash) kv.put(EXECUTION_TRAIL_HASH_KEY, changes.executionTrailHash);
      // Prune ops whose expiry slot is before (S.period − 10, S.thread).
      pruned = this.executedOps.pruneExpired(kv, slot);
    });
    this.executedOps.forgetExpired(pruned);
    for (const [k, expiry] of newOps) this.executedOps.indexOp(k, expiry);
    this.bootstrap.recordSlot(slot, log);
    if (completedCycle !== undefined) {
      const info = this.pos.cycleInfo(this.reader, completedCycle)!;
      for (const l of this.cycleListeners) l(info);
    }
  }

  /**
   * Genesis on an empty store: the initial ledger and cycle 0 (initial rolls, `threadCount` false seed
   * bits), attached to slot (0, threadCount − 1), in one transaction.
   */
  initGenesis(ledgerChanges: LedgerChanges, initialRolls: readonly (readonly [Address, bigint])[]): void {
    const lastSlot = this.journal.lastSlot;
    if (lastSlot) throw new FinalStateError("GENESIS_TWICE", `the final state is already at ${lastSlot}`);
    const slot = new Slot(0, this.threadCount - 1);
    this.journal.commitRecord(slot, (kv) => {
      applyLedgerChanges(ledgerChanges, kv);
      this.pos.createInitialCycle(kv, initialRolls);
      // as Massa's genesis: the execution trail starts at the zero hash
      kv.put(EXECUTION_TRAIL_HASH_KEY, new Uint8Array(32));
    });
  }

  /** Called after the commit of each slot that completes a cycle (pos-draws is fed from here). */
  onCycleCompleted(listener: (info: CycleInfo) => void): void {
    this.cycleListeners.push(listener);
  }

  /** Cycles in the PoS history, oldest first. */
  cycles(): { cycle: number; complete: boolean }[] {
    return this.pos.cycles(this.reader);
  }

  cycleInfo(cycle: number): CycleInfo | undefined {
    return this.pos.cycleInfo(this.reader, cycle);
  }

  /** Roll count of `address` in the newest cycle of the history (0 when none). */
  rollsOf(address: Address): bigint {
    const lastSlot = this.journal.lastSlot;
    if (!lastSlot) return 0n;
    return this.pos.rollsOf(this.reader, lastSlot.cycle(this.periodsPerCycle), address);
  }

  deferredCredit(slot: Slot, address: Address): Amount | undefined {
    return this.pos.deferredCredit(this.reader, slot, address);
  }

  /** Every final deferred credit due at a slot ≤ `slot`. */
  deferredCreditsUpTo(slot: Slot): [Slot, Address, Amount][] {
    return this.pos.deferredCreditsUpTo(this.reader, slot, this.threadCount);
  }

  /**
   * Massa's `interpolate_downtime`, for a restart after a network-wide stop: settles every slot after the
   * last final one up to `upTo` as missed by everyone, without execution: no ledger change, a **false**
   * seed bit per slot, rolls carried over as usual, and each cycle begun on the way starting with the
   * production statistics of the cycle before it (so the stop counts as nobody's miss and sells no rolls).
   * Completed cycles get their snapshot and reach the cycle listeners (the selector draws on). Deferred
   * credits due meanwhile stay, and execution pays them at its first slot. Returns the slots settled.
   */
  interpolateDowntime(upTo: Slot, onProgress?: (done: number, total: number) => void): Promise<number> {
    return interpolate(this, upTo, onProgress);
  }

  /**
   * The execution trail hash of the last settled slot (smart-contract addresses and the contracts' random
   * seed derive from it); the zero hash when none was written.
   */
  get executionTrailHash(): Uint8Array {
    return this.reader.get(EXECUTION_TRAIL_HASH_KEY)?.slice() ?? new Uint8Array(32);
  }

  /** The shape this store was opened with. */
  get config(): { threadCount: number; periodsPerCycle: number } {
    return { threadCount: this.threadCount, periodsPerCycle: this.periodsPerCycle };
  }

  deferredCreditsAt(slot: Slot): [Address, Amount][] {
    return this.pos.deferredCreditsAt(this.reader, slot);
  }

  /**
   * Bootstrap server side: one bounded part of the state for a client whose cursor is `cursor`. New
   * entries continue the key-order scan after `cursor.lastKey`; `updates` are the writes made since
   * `cursor.slot` to keys the client already has. Throws `SLOT_TOO_OLD` when the client is further behind
   * than the change history (it must start over).
   */
  bootstrapPart(cursor: BootstrapCursor, maxBytes = 1_000_000): BootstrapPart {
    return this.bootstrap.bootstrapPart(cursor, maxBytes);
  }

  /**
   * Bootstrap client side: applies one part to this (fresh) store as one journal record. A client
   * streaming a large state awaits `drain()` when `backlog.records` grows (the server side is not limited).
   */
  applyBootstrapPart(part: BootstrapPart): void {
    this.bootstrap.applyBootstrapPart(part);
  }

  /** Recomputes the hash by scanning the whole state (for checks; O(state)). */
  recomputeHash(): StateHash {
    const h = new StateHash();
    for (const [key, value] of this.reader.entriesInRange(undefined, undefined)) h.toggle(key, value);
    return h;
  }

  /**
   * Records in the B-tree (LMDB's own count, O(1)): what a bootstrap streams, give or take the slots not
   * applied yet. For progress reports, not for checks.
   */
  approxRecordCount(): number {
    const stats = this.state.getStats() as { entryCount?: number };
    return stats.entryCount ?? 0;
  }

  /** Number of ledger entries (addresses with a version key). */
  countLedgerEntries(): number {
    let n = 0;
    const start = Buffer.from(LEDGER_PREFIX);
    const end = Buffer.from(LEDGER_PREFIX);
    end[end.length - 1]! += 1;
    for (const key of this.reader.keysInRange(start, end)) {
      if (key.length === LEDGER_PREFIX.length + 1 + 34 + 1 && key[key.length - 1] === 0) n++;
    }
    return n;
  }

  /** Applies what the journal still holds (unless read-only), then closes both environments. */
  async close(): Promise<void> {
    try {
      if (!this.readOnly) await this.drain();
    } finally {
      await this.journal.close();
      await this.root.close();
    }
  }
}
