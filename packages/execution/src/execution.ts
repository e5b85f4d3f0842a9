// The Execution class: drives candidate slots (active history, blockclique changes) and final settlement,
// and serves the read API; one slot's work is in slot-context, operations, rewards and penalties. Just over
// 400 lines: the active history and its index (what its layers hold) change together, in this class only.
import type { FinalStateController, StateChanges } from "@massa-ts/final-state";
import {
  type Address,
  Amount,
  type BlockId,
  blake3,
  type OperationId,
  type SelectionView,
  type SignedOperation,
  Slot,
} from "@massa-ts/models";
import { ScRuntime } from "@massa-ts/sc-runtime";
import { creditKey, HistoryIndex, View } from "./layers.js";
import { executeOperation } from "./operations.js";
import { implicitRollSales, slash } from "./penalties.js";
import { payDeferredCredits, payRewards } from "./rewards.js";
import { executeReadOnly, type ReadOnlyOutcome, type ReadOnlyRequest } from "./sc/read-only.js";
import { gasUsage } from "./sc/run-operation.js";
import { SlotContext, type SlotOutput } from "./slot-context.js";
import {
  DEFAULT_EXECUTION_CONFIG,
  type ExecBlock,
  type ExecutionConfig,
  ExecutionError,
  type ExecutionEvent,
  type TransferReceipt,
} from "./types.js";

export type { SlotOutput } from "./slot-context.js";

/** Where an address's value is read: the final state only, or through the active history. */
export type ReadLevel = "final" | "candidate";

/** Status of an executed operation. */
export interface OperationStatus {
  readonly success: boolean;
  readonly final: boolean;
  readonly slot?: Slot;
}

/** Event filter (all fields optional, combined with AND). */
/** Massa's event filter: every field given must match. */
export interface EventFilter {
  readonly operationId?: OperationId;
  /** The first address of the event's call stack (the operation's sender). */
  readonly originalCaller?: Address;
  /** The last address of the event's call stack (who emitted it). */
  readonly emitter?: Address;
  /** Slots from this one on. */
  readonly fromSlot?: Slot;
  /** Slots before this one (exclusive, as Massa's `end`). */
  readonly endSlot?: Slot;
  readonly isFinal?: boolean;
  readonly isError?: boolean;
}

/**
 * The execution module: executes slots in order over the final state plus the active (speculative)
 * history, re-executes from the first changed slot when the blockclique changes, and settles final slots
 * into the final state, one `settleSlot` each. It owns the ledger and the speculative roll registry; its
 * outputs are the only thing written to the final state.
 */
export class Execution {
  readonly config: ExecutionConfig;
  private history: SlotOutput[] = [];
  /** What the history's layers hold (kept with every change to `history`). */
  private readonly historyIndex = new HistoryIndex();
  private readonly finalEvents: ExecutionEvent[] = [];
  /** Transfer receipts of the newest final slots (slot key → receipts), oldest first. */
  private readonly finalTransfers = new Map<
    string,
    { blockId: BlockId | undefined; transfers: TransferReceipt[] }
  >();

  /** Told of each slot settled into the final state, right after it is (with what it changed). */
  onSettled: ((slot: Slot, changes: StateChanges, output: SlotOutput) => void) | undefined;

  /** Runs the contracts; its module cache is shared by every slot and read-only call. */
  readonly runtime: ScRuntime;

  constructor(
    private readonly fs: FinalStateController,
    private readonly draws: SelectionView,
    config: Partial<ExecutionConfig> = {},
    runtime?: ScRuntime,
  ) {
    this.config = { ...DEFAULT_EXECUTION_CONFIG, ...config };
    this.runtime = runtime ?? new ScRuntime();
    const shape = fs.config;
    if (
      shape.threadCount !== this.config.threadCount ||
      shape.periodsPerCycle !== this.config.periodsPerCycle
    ) {
      throw new ExecutionError(
        "CONFIG_MISMATCH",
        `the final state has ${shape.threadCount} threads and ${shape.periodsPerCycle} periods per cycle, execution was given ${this.config.threadCount} and ${this.config.periodsPerCycle}`,
      );
    }
    if (!fs.lastFinalSlot) {
      throw new ExecutionError(
        "NO_GENESIS",
        "the final state is empty: write the genesis (initGenesis) first",
      );
    }
  }

  /** The last final (settled) slot. */
  get finalSlot(): Slot {
    return this.fs.lastFinalSlot!;
  }

  /** The last executed slot: the end of the active history, or the final slot. */
  get lastExecutedSlot(): Slot {
    return this.history.at(-1)?.slot ?? this.finalSlot;
  }

  /** Executed, not yet final slots, oldest first. */
  get activeHistory(): readonly SlotOutput[] {
    return this.history;
  }

  private next(slot: Slot): Slot {
    return slot.next(this.config.threadCount);
  }

  /**
   * Executes the next candidate slot with its blockclique block, or as a miss (`block` null), on top of the
   * final state and the active history.
   */
  executeSlot(slot: Slot, block: ExecBlock | null): SlotOutput {
    const expected = this.next(this.lastExecutedSlot);
    if (!slot.equals(expected)) {
      throw new ExecutionError(
        "SLOT_OUT_OF_ORDER",
        `cannot execute slot ${slot}: the next slot to execute is ${expected}`,
      );
    }
    const out = this.run(slot, block, this.history, this.historyIndex);
    this.history.push(out);
    this.historyIndex.add(out.changes);
    return out;
  }

  /**
   * A new blockclique: `blockAt(slot)` gives its block at each slot (null = none). The history is kept up
   * to the first slot whose block changed, and re-executed from there up to `upTo`. Returns the first
   * re-executed slot, if any changed.
   */
  onBlockcliqueChanged(blockAt: (slot: Slot) => ExecBlock | null, upTo: Slot): Slot | undefined {
    let changed: Slot | undefined;
    for (let i = 0; i < this.history.length; i++) {
      const h = this.history[i]!;
      const b = blockAt(h.slot);
      if (!sameBlock(h.blockId, b?.id)) {
        changed = h.slot;
        for (const dropped of this.history.splice(i)) this.historyIndex.remove(dropped.changes);
        break;
      }
    }
    let s = this.next(this.lastExecutedSlot);
    while (Slot.compare(s, upTo) <= 0) {
      changed ??= s;
      this.executeSlot(s, blockAt(s));
      s = this.next(s);
    }
    return changed;
  }

  /**
   * Slots up to `upTo` are final, with `finalBlockAt(slot)` their final block (null = missed). Each is
   * settled in order: the history's output when it executed the same block, else a fresh execution on the
   * final state (and the history after it is dropped, to be re-executed by the next blockclique change).
   */
  onSlotsFinal(upTo: Slot, finalBlockAt: (slot: Slot) => ExecBlock | null): void {
    while (Slot.compare(this.finalSlot, upTo) < 0) {
      const s = this.next(this.finalSlot);
      const b = finalBlockAt(s);
      let out: SlotOutput;
      const head = this.history[0];
      if (head?.slot.equals(s) && sameBlock(head.blockId, b?.id)) {
        out = this.history.shift()!;
        this.historyIndex.remove(out.changes);
      } else {
        this.history = [];
        this.historyIndex.clear();
        out = this.run(s, b, []);
      }
      const changes = this.stateChanges(out);
      this.fs.settleSlot(s, changes);
      this.onSettled?.(s, changes, out);
      for (const e of out.events) this.finalEvents.push({ ...e, isFinal: true });
      if (out.transfers.length > 0) {
        this.finalTransfers.set(`${s.period},${s.thread}`, {
          blockId: out.blockId,
          transfers: out.transfers,
        });
        while (this.finalTransfers.size > this.config.transferSlotsKept)
          this.finalTransfers.delete(this.finalTransfers.keys().next().value!);
      }
      const excess = this.finalEvents.length - this.config.maxFinalEvents;
      if (excess > 0) this.finalEvents.splice(0, excess);
    }
  }

  /** What `settleSlot` receives for an executed slot. */
  stateChanges(out: SlotOutput): StateChanges {
    const c = out.changes;
    return {
      ledgerChanges: c.ledger,
      executedOps: [...c.executedOps.values()],
      pos: {
        seedBits: [out.seedBit],
        rollChanges: [...c.rolls.values()],
        productionStats: [...c.stats.values()],
        deferredCredits: [...c.credits.values()],
      },
      executionTrailHash: out.trailHash,
    };
  }

  // ---- one slot ----

  private run(
    slot: Slot,
    block: ExecBlock | null,
    history: readonly SlotOutput[],
    index?: HistoryIndex,
  ): SlotOutput {
    const cfg = this.config;
    if (block && !block.slot.equals(slot)) {
      throw new ExecutionError(
        "BLOCK_SLOT_MISMATCH",
        `block ${block.id} is at ${block.slot}, not at ${slot}`,
      );
    }
    const ctx = new SlotContext(slot, block, history, this.fs, cfg, this.runtime, false, index);
    const slotLayer = ctx.layer;

    let seedBit: boolean;
    if (block) {
      let credits = cfg.blockReward;
      for (const op of block.operations) {
        const fee = executeOperation(ctx, op);
        if (fee) credits = credits.saturatingAdd(fee);
      }
      for (const a of block.slashed ?? []) {
        const coins = slash(ctx, a);
        credits = credits.saturatingAdd(Amount.fromNano(coins.nano / 2n));
      }
      // production stats: the producer succeeded; included endorsers succeeded, the others drawn failed
      slotLayer.addStats(block.creator, { blockSuccess: 1n });
      const drawn = this.draws.getSelection(slot).endorsements;
      const included = new Set(block.endorsements.map((e) => e.index));
      for (const e of block.endorsements) slotLayer.addStats(e.creator, { endorsementSuccess: 1n });
      drawn.forEach((a, i) => {
        if (!included.has(i)) slotLayer.addStats(a, { endorsementFailure: 1n });
      });
      seedBit = block.id.seedBit();
      payRewards(ctx, block, credits);
    } else {
      slotLayer.addStats(this.draws.getSelection(slot).producer, { blockFailure: 1n });
      seedBit = (blake3(slot.toKey())[0]! & 0x80) !== 0;
    }
    payDeferredCredits(ctx);
    if (slot.isLastOfCycle(cfg)) implicitRollSales(ctx);
    return ctx.output(seedBit);
  }

  /**
   * A read-only execution at the slot after the last executed one, on top of the active history; nothing
   * it does is kept.
   */
  readOnly(req: ReadOnlyRequest): ReadOnlyOutcome {
    return executeReadOnly(
      req,
      this.next(this.lastExecutedSlot),
      this.history,
      this.fs,
      this.config,
      this.runtime,
    );
  }

  /** The gas an operation counts against its block (Massa's `get_gas_usage`). */
  gasUsage(op: SignedOperation): bigint {
    return gasUsage(op, this.config.sc.baseOperationGas, BigInt(this.runtime.costs.spCompilation));
  }

  // ---- reads (the API's final and candidate values) ----

  private readView(level: ReadLevel): View {
    if (level === "final") return new View([], this.fs);
    return new View(this.history.map((h) => h.changes).reverse(), this.fs, this.historyIndex, 0);
  }

  balance(a: Address, level: ReadLevel): Amount | undefined {
    return this.readView(level).balance(a);
  }

  rolls(a: Address, level: ReadLevel): bigint {
    return this.readView(level).rolls(a);
  }

  bytecode(a: Address, level: ReadLevel): Uint8Array | undefined {
    return this.readView(level).bytecode(a);
  }

  dataEntry(a: Address, key: Uint8Array, level: ReadLevel): Uint8Array | undefined {
    return this.readView(level).dataEntry(a, key);
  }

  /** Datastore keys of `a` in byte order; undefined if `a` does not exist at that level. */
  datastoreKeys(a: Address, level: ReadLevel): Uint8Array[] | undefined {
    return this.readView(level).datastoreKeys(a);
  }

  /**
   * The Transaction receipts of an executed slot with the block they came from: the active history's (the
   * candidate execution) or a recent final slot's; undefined when the slot is not executed or too old.
   */
  transfersAt(
    slot: Slot,
  ): { blockId: BlockId | undefined; transfers: readonly TransferReceipt[] } | undefined {
    const h = this.history.find((o) => o.slot.equals(slot));
    if (h) return { blockId: h.blockId, transfers: h.transfers };
    if (Slot.compare(slot, this.finalSlot) > 0) return undefined;
    return this.finalTransfers.get(`${slot.period},${slot.thread}`) ?? { blockId: undefined, transfers: [] };
  }

  /** Deferred credits of `a` at slots after the final slot, as the candidate state sees them. */
  deferredCredits(a: Address, level: ReadLevel): [Slot, Amount][] {
    return this.deferredCreditsOf([a], level).get(a.key) ?? [];
  }

  /**
   * {@link deferredCredits} of several addresses (by address key) in one pass over the stored credits: an
   * API request for many addresses costs one scan, not one per address.
   */
  deferredCreditsOf(addresses: readonly Address[], level: ReadLevel): Map<string, [Slot, Amount][]> {
    const wanted = new Set(addresses.map((a) => a.key));
    const found = new Map<string, Map<string, [Slot, Amount]>>();
    const note = (k: string, s: Slot, who: Address, amount: Amount) => {
      if (!wanted.has(who.key)) return;
      let m = found.get(who.key);
      if (!m) {
        m = new Map();
        found.set(who.key, m);
      }
      m.set(k, [s, amount]);
    };
    const horizon = Slot.lastOfCycle(
      this.lastExecutedSlot.cycle(this.config.periodsPerCycle) + 4,
      this.config,
    );
    for (const [s, who, amount] of this.fs.deferredCreditsUpTo(horizon))
      note(creditKey(s, who), s, who, amount);
    if (level === "candidate") {
      for (const h of this.history) {
        for (const [k, [s, who, amount]] of h.changes.credits) note(k, s, who, amount);
      }
    }
    const out = new Map<string, [Slot, Amount][]>();
    for (const [who, m] of found) {
      out.set(
        who,
        [...m.entries()]
          .sort(([x], [y]) => (x < y ? -1 : 1))
          .map(([, v]) => v)
          .filter(([, amount]) => !amount.isZero()),
      );
    }
    return out;
  }

  /** Whether and how an operation was executed: candidate (active history) first, then final. */
  operationStatus(id: OperationId): OperationStatus | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const r = this.history[i]!.changes.executedOps.get(id.key);
      if (r) return { success: r.success, final: false, slot: this.history[i]!.slot };
    }
    const s = this.fs.executedOpStatus(id);
    return s === undefined ? undefined : { success: s, final: true };
  }

  /** Events of final (bounded) and active slots matching `filter`, oldest first. */
  events(filter: EventFilter = {}): ExecutionEvent[] {
    const all = [...this.finalEvents, ...this.history.flatMap((h) => h.events)];
    const { operationId: op, originalCaller: caller, emitter } = filter;
    return all.filter(
      (e) =>
        (op === undefined || e.originOperationId?.equals(op) === true) &&
        (caller === undefined || e.callStack[0]?.equals(caller) === true) &&
        (emitter === undefined || e.callStack[e.callStack.length - 1]?.equals(emitter) === true) &&
        (filter.fromSlot === undefined || Slot.compare(e.slot, filter.fromSlot) >= 0) &&
        (filter.endSlot === undefined || Slot.compare(e.slot, filter.endSlot) < 0) &&
        (filter.isFinal === undefined || e.isFinal === filter.isFinal) &&
        (filter.isError === undefined || e.isError === filter.isError),
    );
  }
}

function sameBlock(a: BlockId | undefined, b: BlockId | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.equals(b);
}
