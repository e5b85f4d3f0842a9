// BlockGraph: the active blocks, the waiting and discarded sets, and the public reads and writes; the rules,
// ancestry walks, cliques and finality it delegates to live in their own files. No clock, and no I/O but
// through what it is given (the final executed operations, the source of released blocks).
// Over 400 lines: the public face consensus's callers read (a dozen small reads) and what bounds its
// memory (pruning, releasing old blocks' operations) are kept in one class.
import {
  type Address,
  type BlockId,
  BoundedMap,
  type OperationId,
  type SelectionView,
  type SignedBlockHeader,
  type SignedOperation,
  type Slot,
} from "@massa-ts/models";
import { ancestryInWindow } from "./ancestry.js";
import { BlockMap } from "./block-map.js";
import {
  cliqueFitness,
  linkIncompatibilities,
  maxCliques,
  pickBlockclique,
  sameClique,
  sortedIds,
  staleBlocks,
  unlinkIncompatibilities,
} from "./cliques.js";
import { Finality } from "./finality.js";
import { checkBlock } from "./rules.js";
import {
  type ActiveBlock,
  type BlockStatus,
  type ConsensusBlock,
  type ConsensusConfig,
  ConsensusError,
  type ConsensusUpdate,
  DEFAULT_CONSENSUS_CONFIG,
  idFromKey,
  type MutableUpdate,
  type Verdict,
} from "./types.js";
import { WaitingBlocks } from "./waiting.js";

/** The operation ids of genesis and released blocks: none. */
const NO_OPS: ReadonlySet<string> = new Set();

/** A block discarded as stale, as the API lists it. */
export interface StaleBlock {
  readonly id: BlockId;
  readonly slot: Slot;
  readonly creator: Address;
  readonly parents: readonly BlockId[];
}

/**
 * The block graph (`reference/consensus_protocol.md` §3): header checks, today's incompatibility rule, max
 * cliques, the blockclique, finality with DELTA_F0, stale cliques, and (ours) operation reuse invalidating a
 * block. Pure logic: time comes in as the current slot, draws through {@link SelectionView}, final
 * executed operations through `isFinalExecuted`.
 */
export class BlockGraph {
  readonly config: ConsensusConfig;
  private readonly blocks = new BlockMap();
  /** Discarded blocks and why; the oldest forgotten past 1 000. */
  private readonly discarded = new BoundedMap<string, { kind: "invalid" | "stale"; reason: string }>(1000);
  /** Blocks discarded as stale whose header we had: what the API lists beside the active ones; 1 000. */
  private readonly staleHeaders = new BoundedMap<string, StaleBlock>(1000);
  private readonly waiting: WaitingBlocks;
  private cliques: Set<string>[] = [new Set()];
  private blockcliqueIndex = 0;
  /** Latest final blocks, final floor, newly-final tracking. */
  private readonly finality: Finality;
  /** Where released blocks are read back from (see {@link setBlockSource}). */
  private source: ((id: BlockId, slot: Slot) => ConsensusBlock | undefined) | undefined;
  private operationSource:
    | ((id: BlockId, slot: Slot, position: number) => SignedOperation | undefined)
    | undefined;

  constructor(
    config: Partial<ConsensusConfig>,
    genesis: readonly SignedBlockHeader[],
    private readonly draws: SelectionView,
    private readonly isFinalExecuted: (id: OperationId) => boolean = () => false,
  ) {
    this.config = { ...DEFAULT_CONSENSUS_CONFIG, ...config };
    if (genesis.length !== this.config.threadCount) {
      throw new ConsensusError(
        "BAD_GENESIS",
        `expected ${this.config.threadCount} genesis blocks, got ${genesis.length}`,
      );
    }
    this.waiting = new WaitingBlocks(this.config.maxWaitingBlocks);
    this.finality = new Finality(
      this.blocks,
      genesis.map((g) => g.id),
      this.config.threadCount,
      this.config.deltaF0,
    );
    for (const g of genesis) {
      this.blocks.set(g.id.key, {
        id: g.id,
        slot: g.content.slot,
        index: g.content.slot.index(this.config.threadCount),
        creator: g.creatorAddress,
        parents: [],
        fitness: 1,
        header: g,
        block: null,
        opIds: NO_OPS,
        children: new Set(),
        incomp: new Set(),
        final: true,
      });
    }
  }

  /**
   * A graph restored from a peer's bootstrap: `finals` are final blocks (full), among them the latest final
   * block of every thread; the caller then adds the peer's non-final blocks with {@link addBlock}.
   */
  static fromFinalBlocks(
    config: Partial<ConsensusConfig>,
    finals: readonly ConsensusBlock[],
    draws: SelectionView,
    isFinalExecuted?: (id: OperationId) => boolean,
    finalFloor?: Slot,
  ): BlockGraph {
    const T = { ...DEFAULT_CONSENSUS_CONFIG, ...config }.threadCount;
    const latest: ConsensusBlock[] = [];
    for (const b of finals) {
      const t = b.header.content.slot.thread;
      const cur = latest[t];
      if (!cur || b.header.content.slot.period > cur.header.content.slot.period) latest[t] = b;
    }
    for (let t = 0; t < T; t++) {
      if (!latest[t])
        throw new ConsensusError("BAD_BOOTSTRAP", `no final block of thread ${t} in the bootstrap graph`);
    }
    const g = new BlockGraph(
      config,
      latest.map((b) => b.header),
      draws,
      isFinalExecuted,
    );
    for (const b of finals) {
      const h = b.header;
      g.blocks.set(h.id.key, {
        id: h.id,
        slot: h.content.slot,
        index: h.content.slot.index(T),
        creator: h.creatorAddress,
        parents: h.content.parents,
        fitness: 1 + h.content.endorsements.length,
        header: h,
        block: b,
        opIds: new Set(b.operations.map((o) => o.id.key)),
        children: new Set(),
        incomp: new Set(),
        final: true,
      });
    }
    for (const [k, b] of g.blocks) for (const p of b.parents) g.blocks.get(p.key)?.children.add(k);
    if (finalFloor) g.setFinalFloor(finalFloor);
    return g;
  }

  /**
   * Every block that became final since the previous call, in the order it did (whatever call made it
   * final: a block added, a tick): for whoever persists final blocks before their slots are settled.
   */
  takeNewlyFinal(): ConsensusBlock[] {
    return this.finality.takeNewlyFinal().flatMap((id) => this.get(id) ?? []);
  }

  /** Index of the newest latest-final block over all threads (T · period + thread). */
  latestFinalIndex(): number {
    return this.finality.latestFinalIndex();
  }

  /** The final floor (see {@link fromFinalBlocks}), if any. */
  get finalFloor(): Slot | undefined {
    return this.finality.finalFloor;
  }

  /** Sets the final floor of a graph built at a restart (never lowers it). */
  setFinalFloor(slot: Slot): void {
    this.finality.setFinalFloor(slot);
  }

  // ---- reads ----

  /**
   * An active block, whole (a released one read back from the block source). Undefined for genesis blocks
   * and blocks not active.
   */
  get(id: BlockId): ConsensusBlock | undefined {
    const a = this.blocks.get(id.key);
    if (!a) return undefined;
    return a.block ?? this.readBack(a);
  }

  /**
   * The operation at `position` in an active block (undefined past its end, for genesis blocks and blocks
   * not active): of a released block, read back alone when the source can (see {@link setBlockSource}).
   */
  operationAt(id: BlockId, position: number): SignedOperation | undefined {
    const a = this.blocks.get(id.key);
    if (!a || a.parents.length === 0) return undefined;
    if (a.block) return a.block.operations[position];
    if (this.operationSource) return this.operationSource(a.id, a.slot, position);
    return this.readBack(a)?.operations[position];
  }

  /** An active block's header (genesis blocks' too), without reading a released block back. */
  header(id: BlockId): SignedBlockHeader | undefined {
    return this.blocks.get(id.key)?.header;
  }

  /**
   * Where the operations of released blocks are read back from (the node's block store, which holds every
   * final block before the graph may release it): by id and slot. Needed by {@link releaseOperations}.
   */
  setBlockSource(
    source: (id: BlockId, slot: Slot) => ConsensusBlock | undefined,
    /** One operation of a released block by its position, without the rest (for {@link operationAt}). */
    operation?: (id: BlockId, slot: Slot, position: number) => SignedOperation | undefined,
  ): void {
    this.source = source;
    this.operationSource = operation;
  }

  /**
   * Lets go of the operations of final blocks more than `keepPeriods` periods older than the oldest
   * latest-final block of any thread, and never of blocks of periods from `settledPeriod` on (Massa keeps a
   * final block's operations in memory for `force_keep_final_periods`, its header longer). The block stays
   * in the graph (header, links, finality); {@link get} reads it back from the block source. A released
   * block no longer counts in the reuse rule, which is exact when `keepPeriods` is at least the validity
   * window: a new block's slot follows its thread's latest final block, so its window starts after every
   * released block. Returns how many were released.
   */
  releaseOperations(keepPeriods: number, settledPeriod = Number.POSITIVE_INFINITY): number {
    if (keepPeriods < this.config.operationValidityPeriods)
      throw new ConsensusError(
        "BAD_RELEASE",
        `operations are kept ${keepPeriods} periods, less than the validity window (${this.config.operationValidityPeriods}): the reuse rule needs them`,
      );
    if (!this.source)
      throw new ConsensusError("BAD_RELEASE", "no block source to read released blocks back from");
    const finals = this.finality.latestFinal.map((id) => this.blocks.get(id.key)!.slot.period);
    const horizon = Math.min(Math.min(...finals) - keepPeriods, settledPeriod);
    let n = 0;
    for (const b of this.blocks.values()) {
      if (b.block && b.final && b.slot.period < horizon && b.parents.length > 0) {
        b.block = null;
        b.opIds = NO_OPS;
        n++;
      }
    }
    return n;
  }

  private readBack(a: ActiveBlock): ConsensusBlock | undefined {
    if (a.parents.length === 0) return undefined; // a genesis block (never released): nothing to read
    const b = this.source?.(a.id, a.slot);
    if (!b)
      throw new ConsensusError("RELEASED_BLOCK_MISSING", `released block ${a.id} is not in the block source`);
    return b;
  }

  status(id: BlockId): BlockStatus | undefined {
    const a = this.blocks.get(id.key);
    if (a) return { kind: "active", final: a.final };
    const d = this.discarded.get(id.key);
    if (d) return d;
    return this.waiting.status(id.key);
  }

  /** The last 1 000 blocks discarded as stale (header known), oldest first. */
  staleBlocks(): StaleBlock[] {
    return [...this.staleHeaders.values()];
  }

  /**
   * Blocks that blocks waiting for their parents miss, known to the graph in no other way (not active,
   * discarded or waiting): what the node asks its peers for again until they come. At most `limit`.
   */
  missingParents(limit = 64): BlockId[] {
    return this.waiting
      .missingParents(limit * 2)
      .filter((k) => !this.blocks.has(k) && !this.discarded.get(k))
      .slice(0, limit)
      .map(idFromKey);
  }

  isInBlockclique(id: BlockId): boolean {
    return this.cliques[this.blockcliqueIndex]!.has(id.key);
  }

  /** Latest final block of each thread. */
  latestFinalBlocks(): readonly BlockId[] {
    return this.finality.latestFinal;
  }

  /** Non-final blocks of the blockclique, in slot order. */
  blockclique(): BlockId[] {
    return sortedIds(this.blocks, this.cliques[this.blockcliqueIndex]!);
  }

  /** Every max clique with its fitness. */
  allCliques(): { blockIds: BlockId[]; fitness: number; isBlockclique: boolean }[] {
    return this.cliques.map((c, i) => ({
      blockIds: sortedIds(this.blocks, c),
      fitness: cliqueFitness(this.blocks, c),
      isBlockclique: i === this.blockcliqueIndex,
    }));
  }

  /**
   * Operations a new block of `slot` with this same-thread `parent` may not include again: those of the
   * parent and its same-thread ancestors within the validity window, final or not. The block factory's half
   * of the reuse rule that {@link addBlock} enforces (it also skips what the final state executed).
   */
  opsInAncestry(parent: BlockId, slot: Slot): { has(opKey: string): boolean } {
    // a lookup in each ancestor's own set (about ten blocks), not a union of them: a producer asks about
    // the few hundred operations it may include, while the ancestors hold thousands
    const { blocks } = ancestryInWindow(this.blocks, this.config.operationValidityPeriods, parent, slot);
    return {
      has(opKey: string): boolean {
        for (const anc of blocks) if (anc.opIds.has(opKey)) return true;
        return false;
      },
    };
  }

  /** Parents for a new block: per thread, the latest blockclique block, else the latest final one. */
  bestParents(): BlockId[] {
    const best = this.finality.latestFinal.map((id) => this.blocks.get(id.key)!);
    for (const k of this.cliques[this.blockcliqueIndex]!) {
      const b = this.blocks.get(k)!;
      const t = b.slot.thread;
      if (b.slot.period > best[t]!.slot.period) best[t] = b;
    }
    return best.map((b) => b.id);
  }

  /** The active block of the blockclique or the final chain at `slot`, if any. */
  blockAt(slot: Slot): ConsensusBlock | null {
    for (const b of this.blocks.atIndex(slot.index(this.config.threadCount))) {
      if (b.final || this.isInBlockclique(b.id)) {
        const full = b.block ?? this.readBack(b);
        if (full) return full;
      }
    }
    return null;
  }

  /** Slot of an active block. */
  slotOf(id: BlockId): Slot | undefined {
    return this.blocks.get(id.key)?.slot;
  }

  /** Creator of an active block (for the endorsed-block reward). */
  creatorOf(id: BlockId): Address | undefined {
    return this.blocks.get(id.key)?.creator;
  }

  /** Active blocks (final and not) with their flags, for the API's graph views. */
  activeBlocks(): {
    id: BlockId;
    slot: Slot;
    creator: Address;
    parents: readonly BlockId[];
    final: boolean;
    inBlockclique: boolean;
  }[] {
    return [...this.blocks.values()].map((b) => ({
      id: b.id,
      slot: b.slot,
      creator: b.creator,
      parents: b.parents,
      final: b.final,
      inBlockclique: this.isInBlockclique(b.id),
    }));
  }

  /**
   * The last slot up to which every slot is final (`reference/ledger_execution.md` §2.4): S is final when
   * S.period ≤ the latest final period of S's thread, or some thread's latest final slot is ≥ T slots after S.
   */
  finalSlotBound(after: Slot): Slot {
    return this.finality.finalSlotBound(after);
  }

  // ---- writes ----

  /**
   * Hands a full block to consensus at current slot `now` (undefined before genesis). It becomes active,
   * waits (for its slot or parents), or is refused as invalid or stale.
   */
  addBlock(block: ConsensusBlock, now: Slot | undefined): { status: BlockStatus; update: ConsensusUpdate } {
    const id = block.header.id;
    const known = this.status(id);
    if (known && known.kind !== "waiting-slot" && known.kind !== "waiting-parents") {
      return {
        status: known,
        update: { activated: [], blockcliqueChanged: false, newlyFinal: [], discarded: [] },
      };
    }
    this.waiting.delete(id.key);
    const acc: MutableUpdate = { activated: [], blockcliqueChanged: false, newlyFinal: [], discarded: [] };
    const status = this.process(block, now, acc);
    this.waiting.bound();
    return { status, update: acc };
  }

  /**
   * Forgets final blocks more than `keepPeriods` periods older than the oldest latest-final block of any
   * thread (the latest final block of each thread always stays): bounds the graph's memory. Blocks still
   * waiting whose slot is at or before their thread's latest final period are dropped as stale. Blocks of
   * periods from `settledPeriod` on (execution's final slot's) stay whatever their age.
   */
  prune(keepPeriods = 64, settledPeriod = Number.POSITIVE_INFINITY): number {
    const latestFinal = this.finality.latestFinal;
    const finals = latestFinal.map((id) => this.blocks.get(id.key)!.slot.period);
    // never a block execution has not settled yet: reuse checks of ancestors no longer held read the
    // settled executed operations, which must already hold theirs
    const horizon = Math.min(Math.min(...finals) - keepPeriods, settledPeriod);
    const keep = new Set(latestFinal.map((id) => id.key));
    let n = 0;
    for (const [k, b] of this.blocks) {
      if (b.final && b.slot.period < horizon && !keep.has(k)) {
        this.blocks.delete(k);
        for (const p of b.parents) this.blocks.get(p.key)?.children.delete(k);
        n++;
      }
    }
    this.waiting.dropSettled(finals);
    return n;
  }

  /** Re-checks the blocks waiting for their slot (call on every slot tick). */
  tick(now: Slot): ConsensusUpdate {
    const acc: MutableUpdate = { activated: [], blockcliqueChanged: false, newlyFinal: [], discarded: [] };
    for (const [k, block] of this.waiting.due(now)) {
      this.waiting.delete(k);
      this.process(block, now, acc);
    }
    return acc;
  }

  private process(block: ConsensusBlock, now: Slot | undefined, acc: MutableUpdate): BlockStatus {
    const h = block.header;
    const v = this.check(block, now);
    switch (v.kind) {
      case "wait-slot":
        this.waiting.waitForSlot(h.id.key, block);
        return { kind: "waiting-slot" };
      case "wait-parents":
        this.waiting.waitForParents(h.id.key, block, v.missing);
        return { kind: "waiting-parents", missing: v.missing };
      case "invalid":
      case "stale":
        if (v.kind === "stale")
          this.staleHeaders.set(h.id.key, {
            id: h.id,
            slot: h.content.slot,
            creator: h.creatorAddress,
            parents: h.content.parents,
          });
        this.discard(h.id.key, v.kind, v.reason, acc);
        return { kind: v.kind, reason: v.reason };
    }
    this.activate(block, v.incomp, v.fitness, acc);
    // blocks that were waiting for this one
    this.waiting.release(h.id.key, (ready) => this.process(ready, now, acc));
    return { kind: "active", final: this.blocks.get(h.id.key)?.final ?? false };
  }

  /** The verdict of the rule stages (`rules.ts`) on `block`, read against the graph as it is now. */
  private check(block: ConsensusBlock, now: Slot | undefined): Verdict {
    return checkBlock(
      {
        config: this.config,
        blocks: this.blocks,
        discarded: this.discarded,
        latestFinal: this.finality.latestFinal,
        floor: this.finality.finalFloor,
        draws: this.draws,
        isFinalExecuted: this.isFinalExecuted,
      },
      block,
      now,
    );
  }

  private activate(block: ConsensusBlock, incomp: Set<string>, fitness: number, acc: MutableUpdate): void {
    const h = block.header;
    const key = h.id.key;
    const a: ActiveBlock = {
      id: h.id,
      slot: h.content.slot,
      index: h.content.slot.index(this.config.threadCount),
      creator: h.creatorAddress,
      parents: h.content.parents,
      fitness,
      header: h,
      block,
      opIds: new Set(block.operations.map((o) => o.id.key)),
      children: new Set(),
      incomp: new Set([...incomp].filter((k) => this.blocks.get(k) && !this.blocks.get(k)!.final)),
      final: false,
    };
    this.blocks.set(key, a);
    acc.activated.push(h.id);
    for (const p of a.parents) this.blocks.get(p.key)?.children.add(key);
    linkIncompatibilities(this.blocks, key, a);
    this.recompute(acc);
  }

  /** Cliques, blockclique, stale cliques, finality; repeated until nothing more becomes final. */
  private recompute(acc: MutableUpdate): void {
    const before = this.cliques[this.blockcliqueIndex]!;
    for (;;) {
      this.cliques = maxCliques(this.blocks);
      this.blockcliqueIndex = pickBlockclique(this.blocks, this.cliques);
      // stale: blocks only in cliques more than DELTA_F0 behind the blockclique
      const stale = staleBlocks(this.blocks, this.cliques, this.blockcliqueIndex, this.config.deltaF0);
      if (stale.size > 0) {
        for (const k of stale)
          this.discard(k, "stale", "in a clique left DELTA_F0 behind the blockclique", acc);
        continue;
      }
      const newly = this.finality.finalize(this.cliques);
      if (newly.length === 0) break;
      acc.newlyFinal.push(...newly);
    }
    const after = this.cliques[this.blockcliqueIndex]!;
    if (!sameClique(before, after)) acc.blockcliqueChanged = true;
  }

  private discard(key: string, kind: "invalid" | "stale", reason: string, acc: MutableUpdate): void {
    const b = this.blocks.get(key);
    if (b) {
      if (kind === "stale")
        this.staleHeaders.set(key, { id: b.id, slot: b.slot, creator: b.creator, parents: b.parents });
      this.blocks.delete(key);
      for (const p of b.parents) this.blocks.get(p.key)?.children.delete(key);
      unlinkIncompatibilities(this.blocks, key, b);
      // descendants of a discarded block go with it
      for (const c of [...b.children]) this.discard(c, kind, `a parent was discarded: ${reason}`, acc);
      acc.discarded.push(b.id);
    }
    this.discarded.set(key, { kind, reason });
    // blocks waiting for this one will never get it: they go too (and theirs, recursively)
    this.waiting.dropDependents(key, (k) => this.discard(k, kind, `a parent was discarded: ${reason}`, acc));
  }
}
