import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  applyLedgerChanges,
  type KvWrite,
  LEDGER_PREFIX,
  LedgerChanges,
  LedgerReader,
} from "@massa-ts/ledger";
import {
  type Address,
  type Amount,
  ByteReader,
  ByteWriter,
  bytesEqual,
  concatBytes,
  fromHex,
  MassaTsError,
  type OperationId,
  Slot,
  toHex,
  u64be,
} from "@massa-ts/models";
import { type Database, open, type RootDatabase } from "lmdb";
import { loadStateHasher, STATE_HASH_SIZE, StateHash } from "./hash.js";
import { keyString, OverlayKv, type PendingUndo, PendingWrites } from "./pending.js";
import { type CycleInfo, type PoSChanges, PoSError, PoSFinalState } from "./pos.js";
import { WriteLog } from "./write-log.js";

/** A final-state operation refused: wrong slot order, another chain's data dir, corrupt metadata. */
export class FinalStateError extends MassaTsError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

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

/** One executed operation: kept until its expiry slot is more than 10 periods old. */
export interface ExecutedOp {
  readonly id: OperationId;
  readonly success: boolean;
  /** `(expire_period, thread of the sender)`. */
  readonly expirySlot: Slot;
}

/** What one settled slot changes. (PoS changes come with the rest of issue 4.) */
export interface StateChanges {
  readonly ledgerChanges: LedgerChanges;
  readonly executedOps?: readonly ExecutedOp[];
  /** Required once the store has a PoS history (after `initGenesis`). */
  readonly pos?: PoSChanges;
}

/** Massa's KEEP_EXECUTED_HISTORY_EXTRA_PERIODS. */
export const KEEP_EXECUTED_HISTORY_EXTRA_PERIODS = 10;
const EXECUTED_OPS_PREFIX = new TextEncoder().encode("executed_ops/");

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

function executedOpKey(id: OperationId): Uint8Array {
  return concatBytes(EXECUTED_OPS_PREFIX, id.toBytes());
}

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

const META_CHANGE_ID = Uint8Array.from([0x63]); // "c": the last settled slot (Slot key, 9 bytes)
const META_HASH = Uint8Array.from([0x68]); // "h": the 512-byte state hash
const META_IDENTITY = Uint8Array.from([0x69]); // "i": chain id and thread count this dir was made for
const META_APPLIED = Uint8Array.from([0x61]); // "a": the last journal record applied to the state B-tree
/** Journal value: slot key (9 bytes) ‖ state hash after the record (512) ‖ packed writes. */
const JOURNAL_HEAD = 9 + STATE_HASH_SIZE;

/** One settled record (a slot, genesis or a bootstrap part) not yet applied to the state B-tree. */
interface JournalRecord {
  readonly seq: number;
  readonly slot: Slot;
  readonly hash: Uint8Array;
  readonly log: WriteLog;
}

/**
 * The hash-tracking write view of one record (a slot, genesis, a bootstrap part): reads see the state
 * B-tree under the pending overlay; every put and delete XORs the old entry out of the hash and the new
 * one in, goes to the overlay (with an undo entry) and to the record's write log.
 */
class HashingKv implements KvWrite {
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
    const old = this.reader.getWithString(key, k);
    if (old !== undefined) {
      if (bytesEqual(old, value)) return;
      this.hash.toggle(key, old);
    }
    this.hash.toggle(key, value);
    this.pending.setString(k, value.slice(), this.seq, this.undo);
    this.log.put(key, value);
  }
  delete(key: Uint8Array): void {
    const k = keyString(key);
    const old = this.reader.getWithString(key, k);
    if (old === undefined) return;
    this.hash.toggle(key, old);
    this.pending.setString(k, null, this.seq, this.undo);
    this.log.delete(key);
  }
}

function identityBytes(
  chainId: bigint,
  threadCount: number,
  periodsPerCycle: number,
  historyLength: number,
): Uint8Array {
  return new ByteWriter(32)
    .u64be(chainId)
    .u8(threadCount)
    .varint(periodsPerCycle)
    .varint(historyLength)
    .finish();
}

/**
 * The final state on LMDB: one environment per node, a `state` sub-database in Massa's key layout (ledger
 * keys now; PoS and executed operations next) and a `meta` one (last settled slot, state hash, identity).
 * `settleSlot` applies exactly the next slot in one write transaction together with the new hash.
 */
export class FinalState {
  private readonly root: RootDatabase;
  private readonly state: Database<Uint8Array, Uint8Array>;
  private readonly meta: Database<Uint8Array, Uint8Array>;
  private readonly threadCount: number;
  private readonly periodsPerCycle: number;
  private readonly pos: PoSFinalState;
  private readonly cycleListeners: ((info: CycleInfo) => void)[] = [];
  /** The writes of the last `changeHistoryLength` settled slots, oldest first (for bootstrap servers). */
  private readonly changeHistory: { slot: Slot; writes: WriteLog }[] = [];
  private readonly changeHistoryLength: number;
  private hash: StateHash;
  private lastSlot: Slot | undefined;
  /** Executed operations by expiry slot index (period · T + thread), for pruning; rebuilt on open. */
  private readonly opsByExpiry = new Map<number, Uint8Array[]>();
  readonly ledger: LedgerReader;
  private readonly reader: OverlayKv;
  /** The journal: settled records not yet applied to the state B-tree (its own small environment). */
  private readonly journalRoot: RootDatabase | null;
  private readonly journal: Database<Uint8Array, Uint8Array> | null;
  private readonly pending = new PendingWrites();
  private unapplied: JournalRecord[] = [];
  private appliedSeq = 0;
  private nextSeq = 1;
  private applying: Promise<void> | null = null;
  private applyError: Error | null = null;
  private readonly readOnly: boolean;
  private readonly maxBacklog: number;

  private constructor(opts: FinalStateOptions) {
    this.readOnly = opts.readOnly ?? false;
    this.maxBacklog = opts.maxBacklog ?? 512;
    if (!opts.readOnly) mkdirSync(opts.path, { recursive: true });
    this.root = open({ path: opts.path, readOnly: opts.readOnly ?? false, maxDbs: 4 });
    const sub = { keyEncoding: "binary", encoding: "binary", compression: false } as const;
    this.state = this.root.openDB<Uint8Array, Uint8Array>({ name: "state", ...sub });
    this.meta = this.root.openDB<Uint8Array, Uint8Array>({ name: "meta", ...sub });
    this.threadCount = opts.threadCount;
    this.periodsPerCycle = opts.periodsPerCycle ?? 128;
    this.changeHistoryLength = opts.changeHistoryLength ?? 600;
    this.pos = new PoSFinalState({
      threadCount: opts.threadCount,
      periodsPerCycle: this.periodsPerCycle,
      historyLength: opts.historyLength ?? 7,
    });
    const identity = identityBytes(
      opts.chainId,
      opts.threadCount,
      this.periodsPerCycle,
      opts.historyLength ?? 7,
    );
    const stored = this.meta.getBinary(META_IDENTITY);
    if (stored === undefined) {
      if (opts.readOnly) {
        this.root.close();
        throw new FinalStateError("FINAL_STATE_EMPTY", `${opts.path} holds no final state`);
      }
      this.meta.transactionSync(() => this.meta.putSync(Buffer.from(META_IDENTITY), Buffer.from(identity)));
    } else if (!bytesEqual(new Uint8Array(stored), identity)) {
      this.root.close();
      throw new FinalStateError(
        "FINAL_STATE_OTHER_CHAIN",
        `${opts.path} holds the final state of another chain or config (stored ${toHex(new Uint8Array(stored))}, expected ${toHex(identity)}); use another --data-dir`,
      );
    }
    const h = this.meta.getBinary(META_HASH);
    if (h !== undefined && h.length !== STATE_HASH_SIZE) {
      this.root.close();
      throw new FinalStateError(
        "FINAL_STATE_CORRUPT",
        `${opts.path}: the stored state hash has ${h.length} bytes, not ${STATE_HASH_SIZE}`,
      );
    }
    this.hash = new StateHash(h === undefined ? undefined : new Uint8Array(h));
    const c = this.meta.getBinary(META_CHANGE_ID);
    try {
      this.lastSlot = c === undefined ? undefined : Slot.fromKey(new Uint8Array(c), "last settled slot");
    } catch (e) {
      this.root.close();
      throw new FinalStateError("FINAL_STATE_CORRUPT", `${opts.path}: ${(e as Error).message}`);
    }
    const a = this.meta.getBinary(META_APPLIED);
    this.appliedSeq =
      a === undefined || a.length !== 8 ? 0 : Number(new DataView(a.buffer, a.byteOffset, 8).getBigUint64(0));
    this.nextSeq = this.appliedSeq + 1;
    this.reader = new OverlayKv(this.pending, this.state);
    this.ledger = new LedgerReader(this.reader);
    const journalPath = join(opts.path, "journal");
    if (opts.readOnly && !existsSync(journalPath)) {
      this.journalRoot = null;
      this.journal = null;
    } else {
      this.journalRoot = open({ path: journalPath, readOnly: opts.readOnly ?? false, maxDbs: 2 });
      this.journal = this.journalRoot.openDB<Uint8Array, Uint8Array>({ name: "journal", ...sub });
      try {
        this.replayJournal();
      } catch (e) {
        this.root.close();
        this.journalRoot.close();
        throw new FinalStateError("FINAL_STATE_CORRUPT", `${journalPath}: ${(e as Error).message}`);
      }
    }
    this.loadExecutedOps(opts.path);
    if (this.unapplied.length > 0) this.scheduleApply();
  }

  /**
   * Loads the journal records the state B-tree does not have yet into the pending overlay (in order), and
   * drops the ones it has (left behind when the process stopped between an apply and the journal trim).
   */
  private replayJournal(): void {
    const stale: Uint8Array[] = [];
    for (const { key, value } of this.journal!.getRange({})) {
      const k = new Uint8Array(key as Uint8Array);
      if (k.length !== 8) throw new RangeError(`journal key ${toHex(k)} is not 8 bytes`);
      const seq = Number(new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0));
      if (seq <= this.appliedSeq) {
        stale.push(k);
        continue;
      }
      const v = new Uint8Array(value as Uint8Array);
      if (v.length < JOURNAL_HEAD)
        throw new RangeError(`journal record ${seq} is truncated (${v.length} bytes)`);
      const slot = Slot.fromKey(v.subarray(0, 9), `journal record ${seq} slot`);
      const hash = v.slice(9, JOURNAL_HEAD);
      const log = WriteLog.fromBytes(v.subarray(JOURNAL_HEAD));
      for (const [wk, wv] of log.records()) this.pending.set(wk, wv === null ? null : wv.slice(), seq);
      this.unapplied.push({ seq, slot, hash, log });
      this.lastSlot = slot;
      this.hash = new StateHash(hash);
      this.nextSeq = seq + 1;
    }
    if (!this.readOnly) for (const k of stale) void this.journal!.remove(Buffer.from(k));
  }

  /** Records waiting for the background apply, and the keys they hold in memory. */
  get backlog(): { records: number; pendingKeys: number } {
    return { records: this.unapplied.length, pendingKeys: this.pending.size };
  }

  /**
   * Starts applying every unapplied record to the state B-tree in the background (lmdb's write thread:
   * the main thread only queues the writes). Writes are absolute and replayed in order, so a batch cut by a
   * crash is simply applied again from the journal at the next open.
   */
  private scheduleApply(): void {
    if (this.applying || this.readOnly || this.unapplied.length === 0) return;
    const batch = this.unapplied;
    const last = batch[batch.length - 1]!;
    const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length);
    for (const r of batch) {
      for (const [k, v] of r.log.records()) {
        if (v === null) void this.state.remove(view(k));
        else void this.state.put(view(k), view(v));
      }
    }
    void this.meta.put(Buffer.from(META_CHANGE_ID), Buffer.from(last.slot.toKey()));
    void this.meta.put(Buffer.from(META_HASH), Buffer.from(last.hash));
    const done = this.meta.put(Buffer.from(META_APPLIED), Buffer.from(u64be(last.seq)));
    this.applying = done.then(
      () => {
        this.applying = null;
        this.markApplied(last.seq);
        this.scheduleApply();
      },
      (e: unknown) => {
        this.applying = null;
        this.applyError = e instanceof Error ? e : new Error(String(e));
      },
    );
  }

  private markApplied(seq: number): void {
    const first = this.appliedSeq + 1;
    this.appliedSeq = seq;
    this.unapplied = this.unapplied.filter((r) => r.seq > seq);
    this.pending.prune(seq);
    for (let s = first; s <= seq; s++) void this.journal!.remove(Buffer.from(u64be(s)));
  }

  /** Waits until every settled record is in the state B-tree (the backlog is empty). */
  async drain(): Promise<void> {
    while (this.unapplied.length > 0 || this.applying) {
      if (this.applyError) break;
      if (!this.applying) this.scheduleApply();
      await this.applying;
    }
    if (this.applyError) {
      throw new FinalStateError(
        "APPLY_FAILED",
        `applying settled slots to the state failed: ${this.applyError.message}; the journal keeps them, restart to retry`,
      );
    }
  }

  /**
   * Runs one record: `body` writes through a hash-tracking view; then the record (slot, new hash, writes)
   * is committed to the journal in one durable LMDB transaction. On any error the overlay is rolled back
   * and nothing is settled.
   */
  private commitRecord(
    slot: Slot,
    body: (kv: HashingKv, hash: StateHash) => void,
  ): { log: WriteLog; hash: StateHash } {
    if (this.readOnly || this.journal === null) {
      throw new FinalStateError("FINAL_STATE_READ_ONLY", "this final state was opened read-only");
    }
    if (this.applyError) {
      throw new FinalStateError("APPLY_FAILED", `the state cannot be written: ${this.applyError.message}`);
    }
    if (this.unapplied.length >= this.maxBacklog) {
      throw new FinalStateError(
        "APPLY_BACKLOG_FULL",
        `${this.unapplied.length} settled records wait for the background apply (limit ${this.maxBacklog}): await drain() before settling more`,
      );
    }
    const seq = this.nextSeq;
    const hash = this.hash.clone();
    const kv = new HashingKv(this.reader, this.pending, hash, seq);
    try {
      body(kv, hash);
      kv.log.seal();
      const head = new Uint8Array(JOURNAL_HEAD);
      head.set(slot.toKey(), 0);
      head.set(hash.bytes, 9);
      this.journal.putSync(Buffer.from(u64be(seq)), Buffer.from(concatBytes(head, kv.log.bytes())));
    } catch (e) {
      this.pending.rollback(kv.undo);
      throw e;
    }
    this.nextSeq = seq + 1;
    this.hash = hash;
    this.lastSlot = slot;
    this.unapplied.push({ seq, slot, hash: hash.bytes.slice(), log: kv.log });
    this.scheduleApply();
    return { log: kv.log, hash };
  }

  private loadExecutedOps(path: string): void {
    const start = Buffer.from(EXECUTED_OPS_PREFIX);
    const end = Buffer.from(EXECUTED_OPS_PREFIX);
    end[end.length - 1]! += 1;
    for (const [k, value] of this.reader.entriesInRange(start, end)) {
      try {
        const { expirySlot } = this.decodeExecutedOp(value);
        this.indexOp(k, expirySlot);
      } catch (e) {
        this.root.close();
        this.journalRoot?.close();
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

  private indexOp(key: Uint8Array, expiry: Slot): void {
    const i = expiry.index(this.threadCount);
    const list = this.opsByExpiry.get(i);
    if (list) list.push(key);
    else this.opsByExpiry.set(i, [key]);
  }

  /** Whether `id` was executed in a final slot and is still within its validity window (+10 periods). */
  isExecuted(id: OperationId): boolean {
    return this.reader.get(executedOpKey(id)) !== undefined;
  }

  /** Status of a final executed operation: true = success, false = failed, undefined = unknown/pruned. */
  executedOpStatus(id: OperationId): boolean | undefined {
    const v = this.reader.get(executedOpKey(id));
    return v === undefined ? undefined : this.decodeExecutedOp(v).success;
  }

  /**
   * Opens an existing data dir read-only with the chain id and shape recorded in it (for inspection
   * tools such as `massa-ts state`).
   */
  static async openExisting(path: string): Promise<FinalState> {
    if (!existsSync(path)) throw new FinalStateError("FINAL_STATE_EMPTY", `${path} does not exist`);
    const root = open({ path, readOnly: true, maxDbs: 4 });
    let identity: Buffer | undefined;
    try {
      const meta = root.openDB<Uint8Array, Uint8Array>({
        name: "meta",
        keyEncoding: "binary",
        encoding: "binary",
      });
      identity = meta.getBinary(META_IDENTITY);
    } finally {
      await root.close();
    }
    if (identity === undefined)
      throw new FinalStateError("FINAL_STATE_EMPTY", `${path} holds no massa-ts final state`);
    const r = new ByteReader(new Uint8Array(identity));
    try {
      const chainId = r.readU64BE("chain id");
      const threadCount = r.readU8("thread count");
      const periodsPerCycle = r.readVarintNumber("periods per cycle");
      const historyLength = r.readVarintNumber("history length");
      return await FinalState.open({
        path,
        chainId,
        threadCount,
        periodsPerCycle,
        historyLength,
        readOnly: true,
      });
    } catch (e) {
      if (e instanceof FinalStateError) throw e;
      throw new FinalStateError(
        "FINAL_STATE_CORRUPT",
        `${path}: bad identity record (${(e as Error).message})`,
      );
    }
  }

  static async open(opts: FinalStateOptions): Promise<FinalState> {
    await loadStateHasher();
    return new FinalState(opts);
  }

  /** The last settled slot, or undefined before the first one. */
  get lastFinalSlot(): Slot | undefined {
    return this.lastSlot;
  }

  /** The 512-byte state hash (a copy). */
  get stateHash(): StateHash {
    return this.hash.clone();
  }

  /**
   * Applies the changes of `slot`, which must be the slot right after the last settled one (or any first
   * slot on an empty state), in one LMDB write transaction with the new change id and hash.
   */
  settleSlot(slot: Slot, changes: StateChanges): void {
    if (this.lastSlot) {
      const expected = this.lastSlot.next(this.threadCount);
      if (!slot.equals(expected)) {
        throw new FinalStateError(
          "SLOT_OUT_OF_ORDER",
          `cannot settle slot ${slot}: the final state is at ${this.lastSlot}, so the next slot is ${expected}`,
        );
      }
    }
    const newOps: [Uint8Array, Slot][] = [];
    let completedCycle: number | undefined;
    const pruned: number[] = [];
    const { log } = this.commitRecord(slot, (kv, hash) => {
      applyLedgerChanges(changes.ledgerChanges, kv);
      for (const op of changes.executedOps ?? []) {
        const key = executedOpKey(op.id);
        const w = new ByteWriter(16).u8(op.success ? 1 : 0);
        op.expirySlot.serialize(w);
        kv.put(key, w.finish());
        newOps.push([key, op.expirySlot]);
      }
      if (changes.pos) {
        const { cycle, completed } = this.pos.applySlot(kv, slot, changes.pos);
        if (completed) completedCycle = cycle;
        // Massa writes the cycle's snapshot right after the slot: the hash including this slot.
        this.pos.putSnapshot(kv, cycle, hash.bytes.slice());
      } else if (this.pos.cycles(kv).length > 0) {
        throw new PoSError(`slot ${slot} carries no PoS changes, but this final state has a PoS history`);
      }
      // Prune ops whose expiry slot is before (S.period − 10, S.thread).
      if (slot.period >= KEEP_EXECUTED_HISTORY_EXTRA_PERIODS) {
        const bound = new Slot(slot.period - KEEP_EXECUTED_HISTORY_EXTRA_PERIODS, slot.thread).index(
          this.threadCount,
        );
        for (const [i, keys] of this.opsByExpiry) {
          if (i < bound) {
            for (const k of keys) kv.delete(k);
            pruned.push(i);
          }
        }
      }
    });
    for (const i of pruned) this.opsByExpiry.delete(i);
    for (const [k, expiry] of newOps) this.indexOp(k, expiry);
    this.changeHistory.push({ slot, writes: log });
    while (this.changeHistory.length > this.changeHistoryLength) this.changeHistory.shift();
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
    if (this.lastSlot)
      throw new FinalStateError("GENESIS_TWICE", `the final state is already at ${this.lastSlot}`);
    const slot = new Slot(0, this.threadCount - 1);
    this.commitRecord(slot, (kv) => {
      applyLedgerChanges(ledgerChanges, kv);
      this.pos.createInitialCycle(kv, initialRolls);
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
    if (!this.lastSlot) return 0n;
    return this.pos.rollsOf(this.reader, Math.floor(this.lastSlot.period / this.periodsPerCycle), address);
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
  async interpolateDowntime(upTo: Slot, onProgress?: (done: number, total: number) => void): Promise<number> {
    const from = this.lastSlot;
    if (!from)
      throw new FinalStateError("FINAL_STATE_EMPTY", "nothing to interpolate from: the final state is empty");
    const T = this.threadCount;
    const total = Slot.compare(upTo, from) > 0 ? upTo.index(T) - from.index(T) : 0;
    let slot = from;
    for (let done = 0; done < total; done++) {
      slot = slot.next(T);
      const first = slot.thread === 0 && slot.period % this.periodsPerCycle === 0;
      const previous = first ? this.cycleInfo(slot.cycle(this.periodsPerCycle) - 1) : undefined;
      this.settleSlot(slot, {
        ledgerChanges: new LedgerChanges(),
        pos: { seedBits: [false], ...(previous ? { productionStats: previous.productionStats } : {}) },
      });
      if (this.backlog.records > 32) await this.drain();
      if (done % 256 === 0 || done === total - 1) onProgress?.(done + 1, total);
    }
    return total;
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
    const slot = this.lastSlot;
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
        for (const [k, v] of h.writes.records()) merged.set(toHex(k), v && v.slice());
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
      for (const [k, v] of this.reader.entriesInRange(start, undefined)) {
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
    const ops: [Uint8Array, Slot][] = [];
    const noteOp = (k: Uint8Array, v: Uint8Array) => {
      if (startsWith(k, EXECUTED_OPS_PREFIX)) ops.push([k, this.decodeExecutedOp(v).expirySlot]);
    };
    this.commitRecord(part.slot, (kv) => {
      for (const [k, v] of part.updates) {
        if (v === null) kv.delete(k);
        else {
          noteOp(k, v);
          kv.put(k, v);
        }
      }
      for (const [k, v] of part.entries) {
        noteOp(k, v);
        kv.put(k, v);
      }
    });
    // executed operations streamed in are pruned at their expiry like settled ones (Massa recomputes
    // this cache once a bootstrap ends); a key indexed twice is deleted once, the second delete is a no-op
    for (const [k, expiry] of ops) this.indexOp(k, expiry);
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
      await this.journalRoot?.close();
      await this.root.close();
    }
  }
}
