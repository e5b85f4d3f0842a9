// Over 400 lines: the graph's seven rule stages still live in one class (check, cliques, finality, waits);
// issue 13 splits the stages out. Every rule here is pure: no clock, no I/O.
import {
  type Address,
  BlockId,
  MassaTsError,
  OperationId,
  type SignedBlockHeader,
  type SignedOperation,
  Slot,
} from "@massa-ts/models";

/** Consensus parameters (`../shared/spec/RULES.md` §1, §6). */
export interface ConsensusConfig {
  readonly threadCount: number;
  readonly endorsementCount: number;
  /** Finality threshold (fitness), 64 × (16 + 1) = 1088 on mainnet. */
  readonly deltaF0: number;
  readonly operationValidityPeriods: number;
  /**
   * Bound of each waiting set, kept apart (Massa's future and dependency bounds): blocks waiting for their
   * slot keep the earliest slots (a flood of far-future headers evicts only itself), blocks waiting for
   * their parents drop the oldest arrival first.
   */
  readonly maxWaitingBlocks: number;
}

export const DEFAULT_CONSENSUS_CONFIG: ConsensusConfig = {
  threadCount: 32,
  endorsementCount: 16,
  deltaF0: 1088,
  operationValidityPeriods: 10,
  maxWaitingBlocks: 2048,
};

/** Who the draws selected (pos-draws' `Selector` fits); throws while the cycle is not drawn yet. */
export interface ConsensusDraws {
  getSelection(slot: Slot): { readonly producer: Address; readonly endorsements: readonly Address[] };
}

/** A full block: its signed header and its operations (signatures and sizes already checked by protocol). */
export interface ConsensusBlock {
  readonly header: SignedBlockHeader;
  readonly operations: readonly SignedOperation[];
}

export class ConsensusError extends MassaTsError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** What became of a block handed to consensus. */
export type BlockStatus =
  | { readonly kind: "active"; readonly final: boolean }
  | { readonly kind: "waiting-slot" }
  | { readonly kind: "waiting-parents"; readonly missing: readonly BlockId[] }
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "stale"; readonly reason: string };

interface ActiveBlock {
  readonly id: BlockId;
  readonly slot: Slot;
  readonly index: number;
  readonly creator: Address;
  readonly parents: readonly BlockId[];
  readonly fitness: number;
  readonly block: ConsensusBlock | null; // null for genesis blocks
  readonly opIds: ReadonlySet<string>;
  readonly children: Set<string>;
  readonly incomp: Set<string>;
  final: boolean;
}

/** Changes the node must pass on after a call (to execution, the API, the factory). */
export interface ConsensusUpdate {
  readonly blockcliqueChanged: boolean;
  readonly newlyFinal: readonly BlockId[];
  readonly discarded: readonly BlockId[];
}

type Verdict =
  | { kind: "ok"; incomp: Set<string>; fitness: number }
  | { kind: "wait-slot" }
  | { kind: "wait-parents"; missing: BlockId[] }
  | { kind: "invalid"; reason: string }
  | { kind: "stale"; reason: string };

/**
 * The block graph (`reference/consensus_protocol.md` §3): header checks, today's incompatibility rule, max
 * cliques, the blockclique, finality with DELTA_F0, stale cliques, and (ours) operation reuse invalidating a
 * block. Pure logic: time comes in as the current slot, draws through {@link ConsensusDraws}, final
 * executed operations through `isFinalExecuted`.
 */
export class BlockGraph {
  readonly config: ConsensusConfig;
  private readonly blocks = new Map<string, ActiveBlock>();
  private readonly discarded = new Map<string, { kind: "invalid" | "stale"; reason: string }>();
  private readonly waiting = new Map<
    string,
    { block: ConsensusBlock; missing: Set<string> | null; seq: number }
  >();
  private waitSeq = 0;
  private cliques: Set<string>[] = [new Set()];
  private blockcliqueIndex = 0;
  private readonly latestFinal: BlockId[];
  /**
   * Slots up to this one are settled in the final state: a block there is stale, whatever the graph holds
   * (a graph rebuilt at a restart has its final floor at the final state's slot).
   */
  private floor: Slot | undefined;
  /** Blocks that became final since the last {@link takeNewlyFinal}, in the order they did. */
  private finalSinceTake: BlockId[] = [];

  constructor(
    config: Partial<ConsensusConfig>,
    genesis: readonly SignedBlockHeader[],
    private readonly draws: ConsensusDraws,
    private readonly isFinalExecuted: (id: OperationId) => boolean = () => false,
  ) {
    this.config = { ...DEFAULT_CONSENSUS_CONFIG, ...config };
    if (genesis.length !== this.config.threadCount) {
      throw new ConsensusError(
        "BAD_GENESIS",
        `expected ${this.config.threadCount} genesis blocks, got ${genesis.length}`,
      );
    }
    this.latestFinal = genesis.map((g) => g.id);
    for (const g of genesis) {
      this.blocks.set(g.id.key, {
        id: g.id,
        slot: g.content.slot,
        index: g.content.slot.index(this.config.threadCount),
        creator: g.creatorAddress,
        parents: [],
        fitness: 1,
        block: null,
        opIds: new Set(),
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
    draws: ConsensusDraws,
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
    const out = this.finalSinceTake.flatMap((id) => this.blocks.get(id.key)?.block ?? []);
    this.finalSinceTake = [];
    return out;
  }

  /** Index of the newest latest-final block over all threads (T · period + thread). */
  latestFinalIndex(): number {
    return Math.max(...this.latestFinal.map((id) => this.blocks.get(id.key)!.index));
  }

  /** The final floor (see {@link fromFinalBlocks}), if any. */
  get finalFloor(): Slot | undefined {
    return this.floor;
  }

  /** Sets the final floor of a graph built at a restart (never lowers it). */
  setFinalFloor(slot: Slot): void {
    if (!this.floor || Slot.compare(slot, this.floor) > 0) this.floor = slot;
  }

  // ---- reads ----

  get(id: BlockId): ConsensusBlock | undefined {
    return this.blocks.get(id.key)?.block ?? undefined;
  }

  status(id: BlockId): BlockStatus | undefined {
    const a = this.blocks.get(id.key);
    if (a) return { kind: "active", final: a.final };
    const d = this.discarded.get(id.key);
    if (d) return d;
    const w = this.waiting.get(id.key);
    if (w)
      return w.missing
        ? { kind: "waiting-parents", missing: [...w.missing].map(idFromKey) }
        : { kind: "waiting-slot" };
    return undefined;
  }

  isInBlockclique(id: BlockId): boolean {
    return this.cliques[this.blockcliqueIndex]!.has(id.key);
  }

  /** Latest final block of each thread. */
  latestFinalBlocks(): readonly BlockId[] {
    return this.latestFinal;
  }

  /** Non-final blocks of the blockclique, in slot order. */
  blockclique(): BlockId[] {
    return this.sortedIds(this.cliques[this.blockcliqueIndex]!);
  }

  /** Every max clique with its fitness. */
  allCliques(): { blockIds: BlockId[]; fitness: number; isBlockclique: boolean }[] {
    return this.cliques.map((c, i) => ({
      blockIds: this.sortedIds(c),
      fitness: this.cliqueFitness(c),
      isBlockclique: i === this.blockcliqueIndex,
    }));
  }

  /**
   * Operations a new block of `slot` with this same-thread `parent` may not include again: those of the
   * parent and its same-thread ancestors within the validity window, final or not. The block factory's half
   * of the reuse rule that {@link addBlock} enforces (it also skips what the final state executed).
   */
  opsInAncestry(parent: BlockId, slot: Slot): Set<string> {
    const out = new Set<string>();
    for (const anc of this.ancestryInWindow(parent, slot).blocks) for (const k of anc.opIds) out.add(k);
    return out;
  }

  /**
   * The same-thread ancestors of a block of `slot` whose same-thread parent is `parent`, within the
   * operation validity window (periods ≥ slot.period − validity), final or not (RULES.md §6). `complete` is
   * false when the walk met an ancestor no longer in the graph (pruned, or behind a rebuilt graph's roots)
   * before leaving the window: only then does the final state's executed-operations set stand in for it.
   */
  private ancestryInWindow(parent: BlockId, slot: Slot): { blocks: ActiveBlock[]; complete: boolean } {
    const horizon = slot.period - this.config.operationValidityPeriods;
    const blocks: ActiveBlock[] = [];
    let id: BlockId | undefined = parent;
    while (id) {
      const anc = this.blocks.get(id.key);
      if (!anc) return { blocks, complete: false };
      if (anc.slot.period < horizon) break;
      blocks.push(anc);
      id = anc.parents[slot.thread];
    }
    return { blocks, complete: true };
  }

  /** Parents for a new block: per thread, the latest blockclique block, else the latest final one. */
  bestParents(): BlockId[] {
    const best = this.latestFinal.map((id) => this.blocks.get(id.key)!);
    for (const k of this.cliques[this.blockcliqueIndex]!) {
      const b = this.blocks.get(k)!;
      const t = b.slot.thread;
      if (b.slot.period > best[t]!.slot.period) best[t] = b;
    }
    return best.map((b) => b.id);
  }

  /** The active block of the blockclique or the final chain at `slot`, if any. */
  blockAt(slot: Slot): ConsensusBlock | null {
    for (const b of this.blocks.values()) {
      if (b.slot.equals(slot) && (b.final || this.isInBlockclique(b.id)) && b.block) return b.block;
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
    const T = this.config.threadCount;
    const finals = this.latestFinal.map((id) => this.blocks.get(id.key)!.slot);
    const maxIndex = Math.max(...finals.map((s) => s.index(T)));
    let s = after;
    for (;;) {
      const n = s.next(T);
      const ok = n.period <= finals[n.thread]!.period || maxIndex >= n.index(T) + T;
      if (!ok) return s;
      s = n;
    }
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
      return { status: known, update: { blockcliqueChanged: false, newlyFinal: [], discarded: [] } };
    }
    this.waiting.delete(id.key);
    const acc: MutableUpdate = { blockcliqueChanged: false, newlyFinal: [], discarded: [] };
    const status = this.process(block, now, acc);
    this.boundWaiting();
    return { status, update: acc };
  }

  /**
   * Forgets final blocks more than `keepPeriods` periods older than the oldest latest-final block of any
   * thread (the latest final block of each thread always stays): bounds the graph's memory. Blocks still
   * waiting whose slot is at or before their thread's latest final period are dropped as stale.
   */
  prune(keepPeriods = 64): number {
    const finals = this.latestFinal.map((id) => this.blocks.get(id.key)!.slot.period);
    const horizon = Math.min(...finals) - keepPeriods;
    const keep = new Set(this.latestFinal.map((id) => id.key));
    let n = 0;
    for (const [k, b] of this.blocks) {
      if (b.final && b.slot.period < horizon && !keep.has(k)) {
        this.blocks.delete(k);
        for (const p of b.parents) this.blocks.get(p.key)?.children.delete(k);
        n++;
      }
    }
    for (const [k, w] of this.waiting) {
      const s = w.block.header.content.slot;
      if (s.thread < finals.length && s.period <= finals[s.thread]!) this.waiting.delete(k);
    }
    return n;
  }

  /** Re-checks the blocks waiting for their slot (call on every slot tick). */
  tick(now: Slot): ConsensusUpdate {
    const acc: MutableUpdate = { blockcliqueChanged: false, newlyFinal: [], discarded: [] };
    const due = [...this.waiting.entries()]
      .filter(([, w]) => w.missing === null && Slot.compare(w.block.header.content.slot, now) <= 0)
      .sort(([, x], [, y]) => Slot.compare(x.block.header.content.slot, y.block.header.content.slot));
    for (const [k, w] of due) {
      this.waiting.delete(k);
      this.process(w.block, now, acc);
    }
    return acc;
  }

  private process(block: ConsensusBlock, now: Slot | undefined, acc: MutableUpdate): BlockStatus {
    const h = block.header;
    const v = this.check(block, now);
    switch (v.kind) {
      case "wait-slot":
        this.waiting.set(h.id.key, { block, missing: null, seq: this.waitSeq++ });
        return { kind: "waiting-slot" };
      case "wait-parents":
        this.waiting.set(h.id.key, {
          block,
          missing: new Set(v.missing.map((m) => m.key)),
          seq: this.waitSeq++,
        });
        return { kind: "waiting-parents", missing: v.missing };
      case "invalid":
      case "stale":
        this.discard(h.id.key, v.kind, v.reason, acc);
        return { kind: v.kind, reason: v.reason };
    }
    this.activate(block, v.incomp, v.fitness, acc);
    // blocks that were waiting for this one
    for (const [k, w] of [...this.waiting.entries()]) {
      if (w.missing?.delete(h.id.key) && w.missing.size === 0) {
        this.waiting.delete(k);
        this.process(w.block, now, acc);
      }
    }
    return { kind: "active", final: this.blocks.get(h.id.key)?.final ?? false };
  }

  private check(block: ConsensusBlock, now: Slot | undefined): Verdict {
    const cfg = this.config;
    const T = cfg.threadCount;
    const h = block.header;
    const slot = h.content.slot;
    const parents = h.content.parents;
    if (slot.thread >= T) return { kind: "invalid", reason: `thread ${slot.thread} does not exist` };
    // 1. too old
    const finalInThread = this.blocks.get(this.latestFinal[slot.thread]!.key)!;
    if (slot.period <= finalInThread.slot.period) {
      return { kind: "stale", reason: `slot ${slot} is not after the latest final block of its thread` };
    }
    if (this.floor && Slot.compare(slot, this.floor) <= 0) {
      return { kind: "stale", reason: `slot ${slot} is already settled in the final state (${this.floor})` };
    }
    // 2. producer
    let selection: ReturnType<ConsensusDraws["getSelection"]>;
    try {
      selection = this.draws.getSelection(slot);
    } catch {
      return { kind: "wait-slot" };
    }
    if (!h.creatorAddress.equals(selection.producer)) {
      return {
        kind: "invalid",
        reason: `bad creator turn: ${h.creatorAddress} is not the producer of ${slot} (${selection.producer})`,
      };
    }
    // 3. future
    if (now === undefined || Slot.compare(slot, now) > 0) return { kind: "wait-slot" };
    // 4. parents
    if (parents.length !== T) return { kind: "invalid", reason: `${parents.length} parents, expected ${T}` };
    const missing: BlockId[] = [];
    const incomp = new Set<string>();
    const parentSet = new Set(parents.map((p) => p.key));
    for (let i = 0; i < T; i++) {
      const pid = parents[i]!;
      const d = this.discarded.get(pid.key);
      if (d) return { kind: d.kind, reason: `a parent was discarded: ${d.reason}` };
      const p = this.blocks.get(pid.key);
      if (!p) {
        missing.push(pid);
        continue;
      }
      if (p.slot.thread !== i || Slot.compare(p.slot, slot) >= 0) {
        return {
          kind: "invalid",
          reason: `parent ${i} (${pid}) is at ${p.slot}: wrong thread or not before ${slot}`,
        };
      }
      for (const k of p.incomp) {
        if (parentSet.has(k)) return { kind: "invalid", reason: "parents are not mutually compatible" };
        incomp.add(k);
      }
    }
    if (missing.length > 0) return { kind: "wait-parents", missing };
    // 5. topological consistency of parents (grandpa check)
    const gpMax = new Array<number>(T).fill(0);
    for (let i = 0; i < T; i++) {
      const p = this.blocks.get(parents[i]!.key)!;
      if (p.slot.period < gpMax[i]!)
        return { kind: "invalid", reason: `parent ${i} is older than a grandparent in its thread` };
      gpMax[i] = p.slot.period;
      if (p.parents.length === 0) continue; // genesis
      for (let j = 0; j < T; j++) {
        if (j === i) continue;
        const g = this.blocks.get(p.parents[j]!.key);
        if (!g) {
          if (p.final) continue; // pruned behind a final parent: nothing left to check there
          return { kind: "stale", reason: "a grandparent is no longer in the graph" };
        }
        if (g.slot.period > gpMax[j]!) {
          if (j < i)
            return { kind: "invalid", reason: "grandpa error: parents are not topologically consistent" };
          gpMax[j] = g.slot.period;
        }
      }
    }
    // 6. endorsements
    const seen = new Set<number>();
    for (const e of h.content.endorsements) {
      const c = e.content;
      if (!c.slot.equals(slot))
        return { kind: "invalid", reason: `an endorsement is for ${c.slot}, not ${slot}` };
      if (!c.endorsedBlock.equals(parents[slot.thread]!)) {
        return { kind: "invalid", reason: "an endorsement does not endorse the same-thread parent" };
      }
      if (c.index >= cfg.endorsementCount || seen.has(c.index)) {
        return { kind: "invalid", reason: `endorsement index ${c.index} is out of range or repeated` };
      }
      seen.add(c.index);
      const drawn = selection.endorsements[c.index];
      if (!drawn || !e.creatorAddress.equals(drawn)) {
        return { kind: "invalid", reason: `endorsement ${c.index} is not by the drawn endorser ${drawn}` };
      }
    }
    // ours: operations included twice, or reused from an ancestor within the validity window
    const ids = new Set<string>();
    for (const op of block.operations) {
      if (ids.has(op.id.key)) return { kind: "invalid", reason: `operation ${op.id} is included twice` };
      ids.add(op.id.key);
    }
    // every ancestor still in the graph counts, final or not: whether one is settled yet differs from
    // node to node, so the settled executed-ops set only stands in for ancestors the graph no longer holds
    const ancestry = this.ancestryInWindow(parents[slot.thread]!, slot);
    for (const anc of ancestry.blocks) {
      for (const k of anc.opIds) {
        if (ids.has(k))
          return {
            kind: "invalid",
            reason: `operation reuse: ${opIdFromKey(k)} is already in ancestor ${anc.id}`,
          };
      }
    }
    if (!ancestry.complete) {
      for (const op of block.operations) {
        if (this.isFinalExecuted(op.id))
          return { kind: "invalid", reason: `operation reuse: ${op.id} was already executed` };
      }
    }
    // 7. incompatibilities (today's rule, §3.5)
    const ancestors = new Set<string>();
    const earliest = new Array<number>(T).fill(Number.POSITIVE_INFINITY);
    for (const pid of parents) {
      let a = this.blocks.get(pid.key);
      while (a && !ancestors.has(a.id.key)) {
        ancestors.add(a.id.key);
        earliest[a.slot.thread] = Math.min(earliest[a.slot.thread]!, a.slot.period);
        if (a.final || a.parents.length === 0) break;
        a = this.blocks.get(a.parents[a.slot.thread]!.key);
      }
    }
    const index = slot.index(T);
    for (const x of this.blocks.values()) {
      if (ancestors.has(x.id.key) || x.slot.period < earliest[x.slot.thread]!) continue;
      const incompatible = x.slot.equals(slot) || Math.abs(x.index - index) >= T;
      if (!incompatible) continue;
      if (x.final) return { kind: "stale", reason: `incompatible with final block ${x.id}` };
      incomp.add(x.id.key);
      for (const d of this.descendants(x.id.key)) incomp.add(d);
    }
    for (const pid of parents) {
      if (incomp.has(pid.key)) return { kind: "invalid", reason: "incompatible with its own parent" };
    }
    return { kind: "ok", incomp, fitness: 1 + h.content.endorsements.length };
  }

  private descendants(key: string): Set<string> {
    const out = new Set<string>();
    const stack = [...(this.blocks.get(key)?.children ?? [])];
    while (stack.length > 0) {
      const k = stack.pop()!;
      if (out.has(k)) continue;
      out.add(k);
      for (const c of this.blocks.get(k)?.children ?? []) stack.push(c);
    }
    return out;
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
      block,
      opIds: new Set(block.operations.map((o) => o.id.key)),
      children: new Set(),
      incomp: new Set([...incomp].filter((k) => this.blocks.get(k) && !this.blocks.get(k)!.final)),
      final: false,
    };
    this.blocks.set(key, a);
    for (const p of a.parents) this.blocks.get(p.key)?.children.add(key);
    for (const k of a.incomp) this.blocks.get(k)!.incomp.add(key);
    this.recompute(acc);
  }

  /** Cliques, blockclique, stale cliques, finality; repeated until nothing more becomes final. */
  private recompute(acc: MutableUpdate): void {
    const before = this.cliques[this.blockcliqueIndex]!;
    for (;;) {
      this.cliques = this.maxCliques();
      this.blockcliqueIndex = this.pickBlockclique();
      // stale: blocks only in cliques more than DELTA_F0 behind the blockclique
      const threshold = this.cliqueFitness(this.cliques[this.blockcliqueIndex]!) - this.config.deltaF0;
      const keep = this.cliques.filter((c) => this.cliqueFitness(c) >= threshold);
      const alive = new Set(keep.flatMap((c) => [...c]));
      const stale = this.cliques.flatMap((c) => [...c]).filter((k) => !alive.has(k));
      if (stale.length > 0) {
        for (const k of new Set(stale))
          this.discard(k, "stale", "in a clique left DELTA_F0 behind the blockclique", acc);
        continue;
      }
      if (!this.finalize(acc)) break;
    }
    const after = this.cliques[this.blockcliqueIndex]!;
    if (before.size !== after.size || [...after].some((k) => !before.has(k))) acc.blockcliqueChanged = true;
  }

  /** Marks final the blocks in every clique whose descendants weigh more than DELTA_F0 in a heavy clique. */
  private finalize(acc: MutableUpdate): boolean {
    const f0 = this.config.deltaF0;
    const candidates = [...this.cliques[0]!].filter((k) => this.cliques.every((c) => c.has(k)));
    const heavy = this.cliques
      .map((c) => [c, this.cliqueFitness(c)] as const)
      .filter(([, f]) => f > f0)
      .sort((x, y) => y[1] - x[1]);
    const newly: string[] = [];
    for (const [c] of heavy) {
      for (const k of candidates) {
        if (newly.includes(k)) continue;
        let sum = 0;
        for (const d of this.descendants(k)) if (c.has(d)) sum += this.blocks.get(d)!.fitness;
        if (sum > f0) newly.push(k);
      }
    }
    if (newly.length === 0) return false;
    // final in slot order, so that the latest final block per thread only moves forward
    for (const k of newly.sort((x, y) => this.blocks.get(x)!.index - this.blocks.get(y)!.index)) {
      const b = this.blocks.get(k)!;
      b.final = true;
      for (const o of b.incomp) this.blocks.get(o)?.incomp.delete(k);
      b.incomp.clear();
      const t = b.slot.thread;
      if (b.slot.period > this.blocks.get(this.latestFinal[t]!.key)!.slot.period) this.latestFinal[t] = b.id;
      acc.newlyFinal.push(b.id);
      this.finalSinceTake.push(b.id);
    }
    return true;
  }

  private discard(key: string, kind: "invalid" | "stale", reason: string, acc: MutableUpdate): void {
    const b = this.blocks.get(key);
    if (b) {
      this.blocks.delete(key);
      for (const p of b.parents) this.blocks.get(p.key)?.children.delete(key);
      for (const o of b.incomp) this.blocks.get(o)?.incomp.delete(key);
      // descendants of a discarded block go with it
      for (const c of [...b.children]) this.discard(c, kind, `a parent was discarded: ${reason}`, acc);
      acc.discarded.push(b.id);
    }
    this.discarded.set(key, { kind, reason });
    if (this.discarded.size > 1000) this.discarded.delete(this.discarded.keys().next().value!);
    // blocks waiting for this one will never get it: they go too (and theirs, recursively)
    for (const [k, w] of [...this.waiting]) {
      if (w.missing?.has(key)) {
        this.waiting.delete(k);
        this.discard(k, kind, `a parent was discarded: ${reason}`, acc);
      }
    }
  }

  /**
   * Each waiting set keeps at most `maxWaitingBlocks`: those waiting for their slot keep the earliest
   * slots, those waiting for parents the latest arrivals.
   */
  private boundWaiting(): void {
    const max = this.config.maxWaitingBlocks;
    const future: [string, Slot][] = [];
    const deps: [string, number][] = [];
    for (const [k, w] of this.waiting) {
      if (w.missing) deps.push([k, w.seq]);
      else future.push([k, w.block.header.content.slot]);
    }
    if (future.length > max) {
      future.sort(([ka, a], [kb, b]) => Slot.compare(a, b) || (ka < kb ? -1 : ka > kb ? 1 : 0));
      for (const [k] of future.slice(max)) this.waiting.delete(k);
    }
    if (deps.length > max) {
      deps.sort(([, a], [, b]) => a - b);
      for (const [k] of deps.slice(0, deps.length - max)) this.waiting.delete(k);
    }
  }

  /** Maximal sets of mutually compatible non-final blocks (Bron–Kerbosch with pivot on compatibility). */
  private maxCliques(): Set<string>[] {
    const nodes = [...this.blocks.values()].filter((b) => !b.final).map((b) => b.id.key);
    if (nodes.every((k) => this.blocks.get(k)!.incomp.size === 0)) return [new Set(nodes)];
    const out: Set<string>[] = [];
    const compatible = (a: string, b: string) => !this.blocks.get(a)!.incomp.has(b);
    const bk = (r: string[], p: string[], x: string[]) => {
      if (p.length === 0 && x.length === 0) {
        out.push(new Set(r));
        return;
      }
      const pivot = [...p, ...x].reduce((best, u) =>
        p.filter((v) => v !== u && compatible(u, v)).length >
        p.filter((v) => v !== best && compatible(best, v)).length
          ? u
          : best,
      );
      for (const v of p.filter((w) => w === pivot || !compatible(pivot, w))) {
        bk(
          [...r, v],
          p.filter((w) => w !== v && compatible(v, w)),
          x.filter((w) => w !== v && compatible(v, w)),
        );
        p = p.filter((w) => w !== v);
        x = [...x, v];
      }
    };
    bk([], nodes, []);
    return out.length > 0 ? out : [new Set()];
  }

  private cliqueFitness(c: ReadonlySet<string>): number {
    let f = 0;
    for (const k of c) f += this.blocks.get(k)!.fitness;
    return f;
  }

  /** Highest fitness, then the smallest sum of block ids (33-byte big-endian integers). */
  private pickBlockclique(): number {
    let best = 0;
    let bestFit = -1;
    let bestSum = 0n;
    this.cliques.forEach((c, i) => {
      const f = this.cliqueFitness(c);
      let sum = 0n;
      for (const k of c) sum += BigInt(`0x${k}`);
      if (f > bestFit || (f === bestFit && sum < bestSum)) {
        best = i;
        bestFit = f;
        bestSum = sum;
      }
    });
    return best;
  }

  private sortedIds(c: ReadonlySet<string>): BlockId[] {
    return [...c]
      .map((k) => this.blocks.get(k)!)
      .sort((a, b) => a.index - b.index)
      .map((b) => b.id);
  }
}

interface MutableUpdate {
  blockcliqueChanged: boolean;
  newlyFinal: BlockId[];
  discarded: BlockId[];
}

function idFromKey(key: string): BlockId {
  return new BlockId(Uint8Array.from(Buffer.from(key, "hex")));
}

function opIdFromKey(key: string): OperationId {
  return new OperationId(Uint8Array.from(Buffer.from(key, "hex")));
}
