import { join } from "node:path";
import type { ConsensusBlock } from "@massa-ts/consensus";
import {
  type BlockId,
  type BlockLimits,
  BoundedMap,
  ByteReader,
  ByteWriter,
  concatBytes,
  SignedBlockHeader,
  SignedOperation,
  Slot,
  toHex,
} from "@massa-ts/models";
import { type Database, open, type RootDatabase } from "lmdb";
import { CliError } from "../errors.js";

/**
 * The node's recent blocks, on LMDB beside the final state (`data_dir/blocks`): what a restarted node
 * rebuilds its consensus graph from, so that it resumes on the chain its final state was settled from
 * instead of on genesis blocks. Not part of the final state (no state hash, no bootstrap streaming).
 * - Final blocks are written durably as soon as they are final in the graph, which is before execution
 *   settles their slots: the blocks that made the final state's last slot final are always here.
 * - Active (not yet final) blocks are written too, without waiting for the disk (a clean stop flushes
 *   them): after every node of a network stopped at once, the blocks that were about to become final are
 *   still somewhere, so that a block final on one node before the stop becomes final on the others too.
 *   Those at settled slots are dropped as the final state moves.
 *
 * Key: slot key (9 bytes) ‖ block id (32 bytes), so that a scan is in slot order. Value: the signed header,
 * then varint(operation count) and each operation's wire bytes, length-prefixed.
 */
export class BlockStore {
  private readonly root: RootDatabase;
  private readonly db: Database<Uint8Array, Uint8Array>;
  private readonly active: Database<Uint8Array, Uint8Array>;
  /**
   * The last final blocks read back whole (what the graph no longer holds in memory): a block asked for
   * again (get_blocks, a peer) is decoded once. A few blocks, not a window: a full block of 5 000 transfers
   * decoded holds a few megabytes.
   */
  private readonly recent = new BoundedMap<string, ConsensusBlock>(4);

  private constructor(
    private readonly path: string,
    private readonly chainId: bigint,
    private readonly limits: BlockLimits,
  ) {
    this.root = open({ path, maxDbs: 2 });
    const sub = { keyEncoding: "binary", encoding: "binary", compression: false } as const;
    this.db = this.root.openDB<Uint8Array, Uint8Array>({ name: "final_blocks", ...sub });
    this.active = this.root.openDB<Uint8Array, Uint8Array>({ name: "active_blocks", ...sub });
  }

  /** Writes active blocks (not awaited: a clean stop flushes them, a crash may lose the last ones). */
  putActive(blocks: readonly ConsensusBlock[]): void {
    for (const b of blocks) void this.active.put(Buffer.from(keyOf(b)), Buffer.from(this.encode(b)));
  }

  /** Every stored active block, in slot order. */
  loadActive(): ConsensusBlock[] {
    return this.loadFrom(this.active);
  }

  /** Forgets active blocks at slots up to `settled` (final or discarded by now). */
  pruneActive(settled: Slot): void {
    const end = Buffer.from(settled.next(this.limits.threadCount).toKey());
    for (const key of this.active.getKeys({ end })) void this.active.remove(key as Buffer);
  }

  static open(dataDir: string, chainId: bigint, limits: BlockLimits): BlockStore {
    return new BlockStore(join(dataDir, "blocks"), chainId, limits);
  }

  /**
   * Writes final blocks without blocking this thread: lmdb's write thread commits them and syncs the disk;
   * resolves once they are durable (committed, then flushed: lmdb acknowledges a commit before its sync).
   */
  async putFinalDurably(blocks: readonly ConsensusBlock[]): Promise<void> {
    if (blocks.length === 0) return;
    let last: Promise<boolean> | undefined;
    for (const b of blocks) last = this.db.put(Buffer.from(keyOf(b)), Buffer.from(this.encode(b)));
    await last;
    await this.db.flushed;
  }

  /** Writes final blocks in one durable transaction, on this thread (returns once they are on disk). */
  putFinal(blocks: readonly ConsensusBlock[]): void {
    if (blocks.length === 0) return;
    this.db.transactionSync(() => {
      for (const b of blocks) this.db.putSync(Buffer.from(keyOf(b)), Buffer.from(this.encode(b)));
    });
  }

  /**
   * A stored final block by its slot and id (what the consensus graph reads back once it has released the
   * block's operations from memory); undefined if it is not stored.
   */
  getFinal(slot: Slot, id: BlockId): ConsensusBlock | undefined {
    const cached = this.recent.get(id.key);
    if (cached) return cached;
    const stored = this.read(slot, id);
    if (!stored) return undefined;
    const b = this.decodeStored(stored.key, stored.value);
    this.recent.set(id.key, b);
    return b;
  }

  /** A stored final block's key and value (a copy), undefined if it is not stored. */
  private read(slot: Slot, id: BlockId): { key: Uint8Array; value: Uint8Array } | undefined {
    const key = concatBytes(slot.toKey(), id.toBytes());
    const v = this.db.get(Buffer.from(key));
    return v === undefined ? undefined : { key, value: new Uint8Array(v) };
  }

  /**
   * The operation at `position` of a stored final block, decoding only that one (a whole block is thousands
   * of operations: an API client asking for one operation of each of many old blocks must not cost a
   * block's decoding each). Undefined if the block is not stored or has fewer operations.
   */
  getFinalOperation(slot: Slot, id: BlockId, position: number): SignedOperation | undefined {
    const cached = this.recent.get(id.key);
    if (cached) return cached.operations[position];
    const stored = this.read(slot, id);
    if (!stored) return undefined;
    try {
      const r = new ByteReader(stored.value);
      SignedBlockHeader.deserialize(r, this.limits, "stored block header");
      const n = r.readVarintNumber("stored block operation count", this.limits.maxOperationsPerBlock);
      if (!(position >= 0 && position < n)) return undefined;
      for (let i = 0; i < position; i++)
        r.readBytes(r.readVarintNumber("stored operation length", 1_000_000), "stored operation");
      const len = r.readVarintNumber("stored operation length", 1_000_000);
      // a copy: a view would keep the whole block's bytes alive with the operation
      return SignedOperation.fromBytes(r.readBytes(len, "stored operation").slice(), this.chainId);
    } catch {
      return this.decodeStored(stored.key, stored.value).operations[position]; // names the broken record
    }
  }

  /** Every stored final block, in slot order. A record that does not decode is an error naming the fix. */
  load(): ConsensusBlock[] {
    return this.loadFrom(this.db);
  }

  private loadFrom(db: Database<Uint8Array, Uint8Array>): ConsensusBlock[] {
    const out: ConsensusBlock[] = [];
    for (const { key, value } of db.getRange({}))
      out.push(this.decodeStored(new Uint8Array(key as Uint8Array), new Uint8Array(value as Uint8Array)));
    return out;
  }

  private decodeStored(key: Uint8Array, value: Uint8Array): ConsensusBlock {
    try {
      return this.decode(value);
    } catch (e) {
      throw new CliError(
        `${this.path}: stored block ${toHex(key)} is unreadable (${(e as Error).message}): remove ${this.path} (the node then fetches the graph from its peers)`,
      );
    }
  }

  /**
   * Forgets blocks before period `from`, except the latest stored block of each thread (a restart needs
   * one root per thread). Returns how many were removed.
   */
  prune(from: number): number {
    const latest = new Map<number, string>();
    const old: Buffer[] = [];
    for (const key of this.db.getKeys({})) {
      const k = key as Buffer;
      const slot = Slot.fromKey(new Uint8Array(k.subarray(0, 9)), "stored block slot");
      latest.set(slot.thread, k.toString("hex"));
      if (slot.period < from) old.push(Buffer.from(k));
    }
    const keep = new Set(latest.values());
    const gone = old.filter((k) => !keep.has(k.toString("hex")));
    if (gone.length > 0)
      this.db.transactionSync(() => {
        for (const k of gone) this.db.removeSync(k);
      });
    return gone.length;
  }

  async close(): Promise<void> {
    await this.root.close();
  }

  private encode(b: ConsensusBlock): Uint8Array {
    let size = 1024;
    for (const op of b.operations) size += op.serializedSize + 3;
    const w = new ByteWriter(size);
    b.header.serialize(w);
    w.varint(b.operations.length);
    for (const op of b.operations) {
      w.varint(op.serializedSize);
      op.serialize(w);
    }
    return w.finish();
  }

  private decode(v: Uint8Array): ConsensusBlock {
    const r = new ByteReader(v);
    const header = SignedBlockHeader.deserialize(r, this.limits, "stored block header");
    const n = r.readVarintNumber("stored block operation count", this.limits.maxOperationsPerBlock);
    const operations: SignedOperation[] = [];
    for (let i = 0; i < n; i++) {
      const len = r.readVarintNumber("stored operation length", 1_000_000);
      operations.push(SignedOperation.fromBytes(r.readBytes(len, "stored operation"), this.chainId));
    }
    r.expectEnd("stored block");
    return { header, operations };
  }
}

function keyOf(b: ConsensusBlock): Uint8Array {
  return concatBytes(b.header.content.slot.toKey(), b.header.id.toBytes());
}
