// The slot journal: settled records in their own small LMDB environment, the in-memory overlay reads are
// served from until lmdb's write thread has applied them to the state B-tree, and that apply's bookkeeping.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { concatBytes, Slot, toHex, u64be } from "@massa-ts/models";
import { type Database, open, type RootDatabase } from "lmdb";
import { FinalStateError } from "./errors.js";
import { STATE_HASH_SIZE, StateHash } from "./hash.js";
import { HashingKv } from "./hashing-kv.js";
import { OverlayKv, PendingWrites } from "./pending.js";
import { WriteLog } from "./write-log.js";

const META_CHANGE_ID = Uint8Array.from([0x63]); // "c": the last settled slot (Slot key, 9 bytes)
const META_HASH = Uint8Array.from([0x68]); // "h": the 512-byte state hash
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

export interface JournalOptions {
  /** The data directory (the journal environment is its `journal/` subdirectory). */
  readonly path: string;
  readonly readOnly: boolean;
  /** Records allowed to wait for the background apply before `commitRecord` refuses. */
  readonly maxBacklog: number;
  /** The state environment: closed when the open fails on corrupt metadata or a corrupt record. */
  readonly root: RootDatabase;
  /** The state B-tree the records are applied to. */
  readonly state: Database<Uint8Array, Uint8Array>;
  /** Where the last applied record, its slot and its hash are kept (`a`, `c`, `h`). */
  readonly meta: Database<Uint8Array, Uint8Array>;
}

/**
 * Settled records not yet applied to the state B-tree, with the overlay of their writes. Opening reads the
 * applied point from `meta` and replays the journal into the overlay; `commitRecord` settles one record
 * (its journal write and flush run on lmdb's write thread) and `scheduleApply` moves records the journal
 * has on disk to the B-tree in the background.
 */
export class Journal {
  /** Reads of the final state: the pending overlay first, then the state B-tree. */
  readonly reader: OverlayKv;
  private readonly root: RootDatabase;
  private readonly state: Database<Uint8Array, Uint8Array>;
  private readonly meta: Database<Uint8Array, Uint8Array>;
  /** The journal: settled records not yet applied to the state B-tree (its own small environment). */
  private readonly journalRoot: RootDatabase | null;
  private readonly journal: Database<Uint8Array, Uint8Array> | null;
  private readonly pending = new PendingWrites();
  private unapplied: JournalRecord[] = [];
  private appliedSeq = 0;
  /** The newest record the journal holds on disk (committed and flushed): the apply goes no further. */
  private journaledSeq = 0;
  /** The journal's write of the newest record, until it is on disk. */
  private journaling: Promise<void> | null = null;
  /** Records on disk whose earlier records are not all on disk yet: the apply waits for a whole prefix. */
  private readonly journaledAhead = new Set<number>();
  /**
   * Resolves once a write has failed (`applyError` set). Waits race it: the flush of a failed journal
   * transaction never resolves, and a write chained to it would wait forever.
   */
  private readonly failed: Promise<void>;
  private signalFailure: () => void = () => {};
  private nextSeq = 1;
  private applying: Promise<void> | null = null;
  private applyError: Error | null = null;
  private readonly readOnly: boolean;
  private readonly maxBacklog: number;
  /** The state hash after the last settled record. */
  private hash: StateHash;
  /** The slot of the last settled record. */
  private lastSettled: Slot | undefined;

  constructor(opts: JournalOptions) {
    this.root = opts.root;
    this.state = opts.state;
    this.meta = opts.meta;
    this.readOnly = opts.readOnly;
    this.maxBacklog = opts.maxBacklog;
    this.failed = new Promise((resolve) => {
      this.signalFailure = resolve;
    });
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
      this.lastSettled = c === undefined ? undefined : Slot.fromKey(new Uint8Array(c), "last settled slot");
    } catch (e) {
      this.root.close();
      throw new FinalStateError("FINAL_STATE_CORRUPT", `${opts.path}: ${(e as Error).message}`);
    }
    const a = this.meta.getBinary(META_APPLIED);
    this.appliedSeq =
      a === undefined || a.length !== 8 ? 0 : Number(new DataView(a.buffer, a.byteOffset, 8).getBigUint64(0));
    this.nextSeq = this.appliedSeq + 1;
    this.journaledSeq = this.appliedSeq;
    this.reader = new OverlayKv(this.pending, this.state);
    const journalPath = join(opts.path, "journal");
    if (opts.readOnly && !existsSync(journalPath)) {
      this.journalRoot = null;
      this.journal = null;
    } else {
      const sub = { keyEncoding: "binary", encoding: "binary", compression: false } as const;
      this.journalRoot = open({ path: journalPath, readOnly: opts.readOnly, maxDbs: 2 });
      this.journal = this.journalRoot.openDB<Uint8Array, Uint8Array>({ name: "journal", ...sub });
      try {
        this.replayJournal();
      } catch (e) {
        this.root.close();
        this.journalRoot.close();
        throw new FinalStateError("FINAL_STATE_CORRUPT", `${journalPath}: ${(e as Error).message}`);
      }
    }
  }

  /** The slot of the last settled record, or undefined before the first one. */
  get lastSlot(): Slot | undefined {
    return this.lastSettled;
  }

  /** The state hash after the last settled record (a copy). */
  get stateHash(): StateHash {
    return this.hash.clone();
  }

  /**
   * Loads the journal records the state B-tree does not have yet into the pending overlay (in order), and
   * drops the ones it has (left behind when the process stopped between an apply and the journal trim).
   * Records after a missing one are dropped too: each builds on the one before (its hash does), and a
   * record is missing only when its write failed while a later one's succeeded.
   */
  private replayJournal(): void {
    const stale: Uint8Array[] = [];
    let gap = false;
    for (const { key, value } of this.journal!.getRange({})) {
      const k = new Uint8Array(key as Uint8Array);
      if (k.length !== 8) throw new RangeError(`journal key ${toHex(k)} is not 8 bytes`);
      const seq = Number(new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0));
      if (seq <= this.appliedSeq || gap || seq !== this.nextSeq) {
        gap ||= seq > this.appliedSeq;
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
      this.lastSettled = slot;
      this.hash = new StateHash(hash);
      this.nextSeq = seq + 1;
      this.journaledSeq = seq;
    }
    if (!this.readOnly) for (const k of stale) this.trim(Buffer.from(k));
  }

  /** Removes a journal record the state no longer needs; a failed removal stops further writes. */
  private trim(key: Buffer): void {
    this.journal!.remove(key).catch((e: unknown) =>
      this.fail(
        `trimming the journal failed: ${e instanceof Error ? e.message : String(e)}; restart to retry`,
      ),
    );
  }

  /** Records the first failure: every later settle, flush and drain refuses with its message. */
  private fail(message: string): void {
    if (this.applyError) return;
    this.applyError = new Error(message);
    this.signalFailure();
  }

  /** Starts applying the records replayed at open, if any (once the rest of the open has succeeded). */
  resume(): void {
    if (this.unapplied.length > 0) this.scheduleApply();
  }

  /** Records waiting for the background apply, and the keys they hold in memory. */
  get backlog(): { records: number; pendingKeys: number } {
    return { records: this.unapplied.length, pendingKeys: this.pending.size };
  }

  /**
   * Starts applying the unapplied records the journal holds on disk to the state B-tree in the background
   * (lmdb's write thread: this thread only queues the writes). Writes are absolute and replayed in order,
   * so a batch cut by a crash is simply applied again from the journal at the next open.
   */
  private scheduleApply(): void {
    if (this.applying || this.readOnly || this.applyError) return;
    let n = 0;
    while (n < this.unapplied.length && this.unapplied[n]!.seq <= this.journaledSeq) n++;
    if (n === 0) return;
    const batch = this.unapplied.slice(0, n);
    const last = batch[batch.length - 1]!;
    const put = (k: Buffer, v: Buffer | null) => {
      if (v === null) void this.state.remove(k);
      else void this.state.put(k, v);
    };
    for (const r of batch) r.log.forEachRecord(put);
    void this.meta.put(Buffer.from(META_CHANGE_ID), Buffer.from(last.slot.toKey()));
    void this.meta.put(Buffer.from(META_HASH), Buffer.from(last.hash));
    const done = this.meta.put(Buffer.from(META_APPLIED), Buffer.from(u64be(last.seq)));
    const failed = (e: unknown) =>
      this.fail(
        `applying settled slots to the state failed: ${e instanceof Error ? e.message : String(e)}; the journal keeps them, restart to retry`,
      );
    this.applying = done.then(
      () => {
        this.applying = null;
        try {
          this.markApplied(last.seq);
          this.scheduleApply();
        } catch (e) {
          failed(e);
        }
      },
      (e: unknown) => {
        this.applying = null;
        failed(e);
      },
    );
  }

  private markApplied(seq: number): void {
    const first = this.appliedSeq + 1;
    this.appliedSeq = seq;
    this.unapplied = this.unapplied.filter((r) => r.seq > seq);
    this.pending.prune(seq);
    for (let s = first; s <= seq; s++) this.trim(Buffer.from(u64be(s)));
  }

  /**
   * Starts the journal's write of a settled record on lmdb's write thread (for the journal environment);
   * once it is committed and flushed to disk, the record may be applied to the state B-tree.
   */
  private writeJournal(seq: number, key: Buffer, value: Buffer): void {
    const journal = this.journal!;
    const written = journal.put(key, value).then(() => journal.flushed);
    const failed = (e: unknown) =>
      this.fail(
        `writing settled record ${seq} to the journal failed (${e instanceof Error ? e.message : String(e)}); a restart resumes from the last record on disk`,
      );
    const p: Promise<void> = written.then(
      () => {
        if (this.journaling === p) this.journaling = null;
        // the apply takes only a whole prefix: never a record after one whose write failed
        this.journaledAhead.add(seq);
        while (this.journaledAhead.delete(this.journaledSeq + 1)) this.journaledSeq++;
        try {
          this.scheduleApply();
        } catch (e) {
          failed(e);
        }
      },
      (e: unknown) => {
        if (this.journaling === p) this.journaling = null;
        failed(e);
      },
    );
    this.journaling = p;
  }

  /**
   * Waits until every record settled so far is on disk in the journal (committed and flushed): a kill after
   * it loses none of them. Refuses, as {@link drain} does, once a write has failed.
   */
  async flushed(): Promise<void> {
    if (this.journaling) await Promise.race([this.journaling, this.failed]);
    this.refuseIfFailed();
  }

  /** Throws the first failure recorded (a write, an apply or a trim), if any. */
  private refuseIfFailed(): void {
    if (this.applyError) throw new FinalStateError("APPLY_FAILED", this.applyError.message);
  }

  /** Waits until every settled record is in the journal and in the state B-tree (the backlog is empty). */
  async drain(): Promise<void> {
    while (!this.applyError && (this.unapplied.length > 0 || this.applying || this.journaling)) {
      if (!this.applying) this.scheduleApply();
      if (this.applying) await Promise.race([this.applying, this.failed]);
      else if (this.journaling) await Promise.race([this.journaling, this.failed]);
      else break; // read-only: nothing is applied
    }
    if (this.applyError) {
      // an apply already queued ends before the caller closes the environments (its commit settles it)
      if (this.applying) await this.applying;
      this.refuseIfFailed();
    }
  }

  /**
   * Runs one record: `body` writes through a hash-tracking view; then the record (slot, new hash, writes)
   * is settled: reads see it at once, and lmdb's write thread writes it to the journal (one record a
   * value), flushes it to disk and only then lets it reach the state B-tree. This thread does not wait
   * for the disk: a kill before the flush loses the newest records, never part of one, and the next open
   * resumes from the last record on disk (as after a kill between a block's finality and its settle). On
   * an error in `body` the overlay is rolled back and nothing is settled.
   */
  commitRecord(
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
      this.writeJournal(seq, Buffer.from(u64be(seq)), Buffer.from(concatBytes(head, kv.log.bytes())));
    } catch (e) {
      this.pending.rollback(kv.undo, seq);
      throw e;
    }
    this.nextSeq = seq + 1;
    this.hash = hash;
    this.lastSettled = slot;
    this.unapplied.push({ seq, slot, hash: hash.bytes.slice(), log: kv.log });
    return { log: kv.log, hash };
  }

  /** Closes the journal environment (without draining: the caller drains first when it writes). */
  async close(): Promise<void> {
    await this.journalRoot?.close();
  }
}
