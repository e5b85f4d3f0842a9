import type { FinalState, StateChanges } from "@massa-ts/final-state";
import {
  type Address,
  Amount,
  AmountError,
  type BlockId,
  blake3,
  compareAddresses,
  fromHex,
  type OperationId,
  type SignedOperation,
  Slot,
} from "@massa-ts/models";
import { creditKey, Layer, View } from "./layers.js";
import {
  DEFAULT_EXECUTION_CONFIG,
  type DrawsView,
  type ExecBlock,
  type ExecutionConfig,
  ExecutionError,
  type ExecutionEvent,
} from "./types.js";

/** The result of one executed slot, kept in the active history until the slot is final. */
export interface SlotOutput {
  readonly slot: Slot;
  readonly blockId: BlockId | undefined;
  readonly changes: Layer;
  readonly seedBit: boolean;
  readonly events: ExecutionEvent[];
}

/** An operation failed after its fee was paid: its own effects are dropped. */
class OperationFailure extends Error {}

/** Where an address's value is read: the final state only, or through the active history. */
export type ReadLevel = "final" | "candidate";

type Emit = (data: string, isError: boolean, op?: SignedOperation, concerned?: Address) => void;

/** Status of an executed operation. */
export interface OperationStatus {
  readonly success: boolean;
  readonly final: boolean;
  readonly slot?: Slot;
}

/** Event filter (all fields optional, combined with AND). */
export interface EventFilter {
  readonly operationId?: OperationId;
  readonly address?: Address;
  readonly fromSlot?: Slot;
  readonly toSlot?: Slot;
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
  private readonly finalEvents: ExecutionEvent[] = [];

  constructor(
    private readonly fs: FinalState,
    private readonly draws: DrawsView,
    config: Partial<ExecutionConfig> = {},
  ) {
    this.config = { ...DEFAULT_EXECUTION_CONFIG, ...config };
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
    const out = this.run(slot, block, this.history);
    this.history.push(out);
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
        this.history.length = i;
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
      } else {
        this.history = [];
        out = this.run(s, b, []);
      }
      this.fs.settleSlot(s, this.stateChanges(out));
      for (const e of out.events) this.finalEvents.push({ ...e, isFinal: true });
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
    };
  }

  // ---- one slot ----

  private run(slot: Slot, block: ExecBlock | null, history: readonly SlotOutput[]): SlotOutput {
    const cfg = this.config;
    if (block && !block.slot.equals(slot)) {
      throw new ExecutionError(
        "BLOCK_SLOT_MISMATCH",
        `block ${block.id} is at ${block.slot}, not at ${slot}`,
      );
    }
    const below = history.map((h) => h.changes).reverse();
    const slotLayer = new Layer();
    const events: ExecutionEvent[] = [];
    const view = (top?: Layer) => new View(top ? [top, slotLayer, ...below] : [slotLayer, ...below], this.fs);
    const emit = (data: string, isError: boolean, op?: SignedOperation, extra?: Address) => {
      const stack: Address[] = [];
      if (op) stack.push(op.creatorAddress);
      if (extra) stack.push(extra);
      events.push({
        slot,
        blockId: block?.id,
        indexInSlot: events.length,
        originOperationId: op?.id,
        callStack: stack,
        isError,
        isFinal: false,
        data,
      });
    };

    let seedBit: boolean;
    if (block) {
      let credits = cfg.blockReward;
      for (const op of block.operations) {
        const fee = this.executeOperation(op, slot, slotLayer, view, emit);
        if (fee) credits = credits.saturatingAdd(fee);
      }
      for (const a of block.slashed ?? []) {
        const coins = this.slash(slot, a, history, slotLayer, view(), emit);
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
      this.payRewards(block, credits, slotLayer, view, emit);
    } else {
      slotLayer.addStats(this.draws.getSelection(slot).producer, { blockFailure: 1n });
      seedBit = (blake3(slot.toKey())[0]! & 0x80) !== 0;
    }
    this.payDeferredCredits(slot, history, slotLayer, view, emit);
    if (this.isLastSlotOfCycle(slot)) this.implicitRollSales(slot, history, slotLayer, view, emit);
    return { slot, blockId: block?.id, changes: slotLayer, seedBit, events };
  }

  /** Runs one operation; returns the fee paid (to add to the block credits), or undefined if skipped. */
  private executeOperation(
    op: SignedOperation,
    slot: Slot,
    slotLayer: Layer,
    view: (top?: Layer) => View,
    emit: Emit,
  ): Amount | undefined {
    const cfg = this.config;
    const { fee, expirePeriod, payload } = op.content;
    const sender = op.creatorAddress;
    const senderThread = sender.thread(cfg.threadCount);
    // Skips (guards: protocol and consensus already make such blocks invalid): no fee, no record.
    if (slot.period > expirePeriod || slot.period < Math.max(0, expirePeriod - cfg.operationValidityPeriods))
      return;
    if (senderThread !== slot.thread) return;
    if (view().executed(op.id) || this.fs.isExecuted(op.id)) return;
    const balance = view().balance(sender);
    if (balance === undefined || balance.lt(fee)) {
      const why =
        balance === undefined ? `address ${sender} does not exist` : `balance ${balance} < fee ${fee}`;
      emit(`{"massa_execution_error":"could not spend fees: ${why}"}`, true, op);
      return;
    }
    slotLayer.ledger.setBalance(sender, balance.sub(fee));
    const opLayer = new Layer();
    const v = view(opLayer);
    let success = true;
    let target: Address | undefined;
    try {
      switch (payload.type) {
        case "Transaction":
          target = payload.recipient;
          this.transfer(v, opLayer, sender, payload.recipient, payload.amount);
          break;
        case "RollBuy": {
          let cost: Amount;
          try {
            cost = cfg.rollPrice.mul(payload.rollCount);
          } catch {
            throw new OperationFailure(
              `${sender} failed to buy ${payload.rollCount} rolls: overflow on the required coin amount`,
            );
          }
          try {
            this.transfer(v, opLayer, sender, undefined, cost);
          } catch (e) {
            throw new OperationFailure(
              `${sender} failed to buy ${payload.rollCount} rolls: ${(e as Error).message}`,
            );
          }
          opLayer.rolls.set(sender.key, [sender, v.rolls(sender) + payload.rollCount]);
          break;
        }
        case "RollSell": {
          const owned = v.rolls(sender);
          if (owned < payload.rollCount) {
            throw new OperationFailure(
              `${sender} failed to sell ${payload.rollCount} rolls: ${sender} tried to sell ${payload.rollCount} rolls but only has ${owned}`,
            );
          }
          opLayer.rolls.set(sender.key, [sender, owned - payload.rollCount]);
          const at = this.lastSlotOfCycle(this.cycleOf(slot) + 3);
          const credit = v.credit(at, sender).saturatingAdd(cfg.rollPrice.saturatingMul(payload.rollCount));
          opLayer.credits.set(creditKey(at, sender), [at, sender, credit]);
          break;
        }
        case "ExecuteSC":
          throw new OperationFailure(
            "ExecuteSC is not supported by this node: smart contracts do not run yet",
          );
        case "CallSC":
          target = payload.target;
          throw new OperationFailure("CallSC is not supported by this node: smart contracts do not run yet");
      }
    } catch (e) {
      if (!(e instanceof OperationFailure) && !(e instanceof AmountError)) throw e;
      success = false;
      emit(
        `{"massa_execution_error":"runtime error when executing operation ${op.id}: ${(e as Error).message}"}`,
        true,
        op,
        target,
      );
    }
    if (success) {
      slotLayer.absorb(opLayer);
      emit(`executed: ${payload.type}`, false, op, target);
    }
    slotLayer.executedOps.set(op.id.key, {
      id: op.id,
      success,
      expirySlot: new Slot(expirePeriod, senderThread),
    });
    return fee;
  }

  /**
   * `transfer(from?, to?, amount)` (`reference/ledger_execution.md` §3.6), all or nothing: `from` absent
   * mints, `to` absent burns; a new user address costs the creation cost, taken from the amount.
   */
  private transfer(
    v: View,
    layer: Layer,
    from: Address | undefined,
    to: Address | undefined,
    amount: Amount,
  ): void {
    let fromBalance: Amount | undefined;
    if (from) {
      const b = v.balance(from);
      if (b === undefined) throw new OperationFailure(`spending address ${from} not found`);
      if (b.lt(amount)) {
        throw new OperationFailure(
          `failed to transfer ${amount} coins from spending address ${from} due to insufficient balance ${b}`,
        );
      }
      fromBalance = b.sub(amount);
    }
    if (to) {
      const existing = from?.equals(to) ? fromBalance : v.balance(to);
      if (existing !== undefined) {
        let credited: Amount;
        try {
          credited = existing.add(amount);
        } catch {
          throw new OperationFailure(`crediting ${amount} to ${to} overflows its balance`);
        }
        if (from) layer.ledger.setBalance(from, fromBalance!);
        layer.ledger.setBalance(to, credited);
        return;
      }
      if (to.kind === "sc") {
        throw new OperationFailure(`cannot transfer coins to non-existing smart contract address ${to}`);
      }
      if (amount.lt(this.config.addressCreationCost)) {
        throw new OperationFailure(`insufficient amount ${amount} to create credited address ${to}`);
      }
      if (from) layer.ledger.setBalance(from, fromBalance!);
      layer.ledger.createAddress(to);
      layer.ledger.setBalance(to, amount.sub(this.config.addressCreationCost));
      return;
    }
    if (from) layer.ledger.setBalance(from, fromBalance!);
  }

  /** Mints `amount` to `to` in the slot layer; a failure (a new address and too little) is only an event. */
  private mint(
    view: (top?: Layer) => View,
    layer: Layer,
    to: Address,
    amount: Amount,
    emit: Emit,
    what: string,
  ): void {
    if (amount.isZero()) return;
    const sub = new Layer();
    try {
      this.transfer(view(sub), sub, undefined, to, amount);
      layer.absorb(sub);
    } catch (e) {
      if (!(e instanceof OperationFailure)) throw e;
      emit(
        `{"massa_execution_error":"${what} of ${amount} to ${to} failed: ${e.message}"}`,
        true,
        undefined,
        to,
      );
    }
  }

  /**
   * Slashes one roll's worth (ROLL_PRICE) from `a`, **ours**: deferred credits first (non-zero ones at
   * slots ≥ the current slot, earliest first), then, if some is still due, one roll (a roll is not split:
   * its whole price counts). Returns the coins taken; half goes to the block credits, the rest is burnt.
   */
  private slash(
    slot: Slot,
    a: Address,
    history: readonly SlotOutput[],
    layer: Layer,
    v: View,
    emit: Emit,
  ): Amount {
    let due = this.config.rollPrice.nano;
    let taken = 0n;
    // every credit slot of `a` from the current one on, from the final state and the speculative layers
    const slots = new Map<string, Slot>();
    const horizon = this.lastSlotOfCycle(this.cycleOf(slot) + 4);
    for (const [s, who] of this.fs.deferredCreditsUpTo(horizon)) {
      if (who.equals(a) && Slot.compare(s, slot) >= 0) slots.set(creditKey(s, a), s);
    }
    for (const l of [...history.map((h) => h.changes), layer]) {
      for (const [k, [s, who]] of l.credits) if (who.equals(a) && Slot.compare(s, slot) >= 0) slots.set(k, s);
    }
    for (const k of [...slots.keys()].sort()) {
      if (due === 0n) break;
      const s = slots.get(k)!;
      const current = v.credit(s, a).nano;
      const take = current < due ? current : due;
      if (take === 0n) continue;
      layer.credits.set(k, [s, a, Amount.fromNano(current - take)]);
      due -= take;
      taken += take;
    }
    if (due > 0n) {
      const owned = v.rolls(a);
      if (owned > 0n) {
        layer.rolls.set(a.key, [a, owned - 1n]);
        taken += this.config.rollPrice.nano;
      }
    }
    emit(`${a} slashed ${Amount.fromNano(taken)} (deferred credits first, then rolls)`, false, undefined, a);
    return Amount.fromNano(taken);
  }

  /** Block credits split in 3 × (1 + endorsement count) parts (`reference/ledger_execution.md` §3.7). */
  private payRewards(
    block: ExecBlock,
    credits: Amount,
    layer: Layer,
    view: (top?: Layer) => View,
    emit: Emit,
  ): void {
    const parts = 3n * (1n + BigInt(this.config.endorsementCount));
    const part = credits.nano / parts;
    const rem = credits.nano % parts;
    let producer = 3n * part + rem;
    for (const e of block.endorsements) {
      producer += part;
      this.mint(view, layer, e.creator, Amount.fromNano(part), emit, "endorsement reward");
      this.mint(view, layer, block.parentCreator, Amount.fromNano(part), emit, "endorsed block reward");
    }
    this.mint(view, layer, block.creator, Amount.fromNano(producer), emit, "block reward");
  }

  /** Every non-zero deferred credit due at or before `slot` is paid, then zeroed. */
  private payDeferredCredits(
    slot: Slot,
    history: readonly SlotOutput[],
    layer: Layer,
    view: (top?: Layer) => View,
    emit: Emit,
  ): void {
    const due = new Map<string, [Slot, Address, Amount]>();
    for (const [s, a, amount] of this.fs.deferredCreditsUpTo(slot)) due.set(creditKey(s, a), [s, a, amount]);
    for (const l of [...history.map((h) => h.changes), layer]) {
      for (const [k, c] of l.credits) if (Slot.compare(c[0], slot) <= 0) due.set(k, c);
    }
    const keys = [...due.keys()].sort();
    for (const k of keys) {
      const [s, a, amount] = due.get(k)!;
      if (amount.isZero()) continue;
      this.mint(view, layer, a, amount, emit, "deferred credit");
      layer.credits.set(k, [s, a, Amount.ZERO]);
    }
  }

  /** At the last slot of a cycle: addresses above the miss ratio sell all their rolls (credited at C + 3). */
  private implicitRollSales(
    slot: Slot,
    history: readonly SlotOutput[],
    layer: Layer,
    view: (top?: Layer) => View,
    emit: Emit,
  ): void {
    const cycle = this.cycleOf(slot);
    const stats = new Map<string, [Address, bigint, bigint]>();
    const add = (a: Address, success: bigint, failure: bigint) => {
      const cur = stats.get(a.key);
      stats.set(a.key, [a, (cur?.[1] ?? 0n) + success, (cur?.[2] ?? 0n) + failure]);
    };
    for (const [a, s] of this.fs.cycleInfo(cycle)?.productionStats ?? [])
      add(a, s.blockSuccess, s.blockFailure);
    for (const l of [...history.filter((h) => this.cycleOf(h.slot) === cycle).map((h) => h.changes), layer]) {
      for (const [, [a, s]] of l.stats) add(a, s.blockSuccess, s.blockFailure);
    }
    const [num, den] = this.config.maxMissRatio;
    const target = this.lastSlotOfCycle(cycle + 3);
    const v = view();
    for (const [a, success, failure] of [...stats.values()].sort((x, y) => compareAddresses(x[0], y[0]))) {
      if (success + failure === 0n || failure * den <= num * (success + failure)) continue;
      const owned = v.rolls(a);
      if (owned === 0n) continue;
      let coins: Amount;
      try {
        coins = this.config.rollPrice.mul(owned);
      } catch {
        continue;
      }
      layer.credits.set(creditKey(target, a), [target, a, v.credit(target, a).saturatingAdd(coins)]);
      layer.rolls.set(a.key, [a, 0n]);
      emit(
        `${a} missed ${failure} of ${success + failure} blocks in cycle ${cycle}: its ${owned} rolls are sold`,
        false,
        undefined,
        a,
      );
    }
  }

  private cycleOf(slot: Slot): number {
    return Math.floor(slot.period / this.config.periodsPerCycle);
  }

  private lastSlotOfCycle(cycle: number): Slot {
    return new Slot((cycle + 1) * this.config.periodsPerCycle - 1, this.config.threadCount - 1);
  }

  private isLastSlotOfCycle(slot: Slot): boolean {
    return (
      slot.thread === this.config.threadCount - 1 && (slot.period + 1) % this.config.periodsPerCycle === 0
    );
  }

  // ---- reads (the API's final and candidate values) ----

  private readView(level: ReadLevel): View {
    return new View(level === "final" ? [] : this.history.map((h) => h.changes).reverse(), this.fs);
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
    let keys: Set<string> | undefined;
    const finalKeys = this.fs.ledger.getDatastoreKeys(a);
    if (finalKeys) keys = new Set(finalKeys.map((k) => Buffer.from(k).toString("hex")));
    if (level === "candidate") {
      for (const h of this.history) {
        const c = h.changes.ledger.get(a);
        if (!c) continue;
        if (c.kind === "delete") keys = undefined;
        else if (c.kind === "set") keys = new Set(c.entry.datastore.keys());
        else {
          keys ??= new Set();
          for (const [k, v] of c.update.datastore) {
            if (v === null) keys.delete(k);
            else keys.add(k);
          }
        }
      }
    }
    return keys ? [...keys].sort().map((k) => fromHex(k)) : undefined;
  }

  /** Deferred credits of `a` at slots after the final slot, as the candidate state sees them. */
  deferredCredits(a: Address, level: ReadLevel): [Slot, Amount][] {
    const out = new Map<string, [Slot, Amount]>();
    const horizon = this.lastSlotOfCycle(this.cycleOf(this.lastExecutedSlot) + 4);
    for (const [s, who, amount] of this.fs.deferredCreditsUpTo(horizon)) {
      if (who.equals(a)) out.set(creditKey(s, a), [s, amount]);
    }
    if (level === "candidate") {
      for (const h of this.history) {
        for (const [k, [s, who, amount]] of h.changes.credits) if (who.equals(a)) out.set(k, [s, amount]);
      }
    }
    return [...out.entries()]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([, v]) => v)
      .filter(([, amount]) => !amount.isZero());
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
    const op = filter.operationId;
    return all.filter(
      (e) =>
        (op === undefined || (e.originOperationId !== undefined && e.originOperationId.equals(op))) &&
        (filter.address === undefined || e.callStack.some((a) => a.equals(filter.address!))) &&
        (filter.fromSlot === undefined || Slot.compare(e.slot, filter.fromSlot) >= 0) &&
        (filter.toSlot === undefined || Slot.compare(e.slot, filter.toSlot) <= 0) &&
        (filter.isFinal === undefined || e.isFinal === filter.isFinal) &&
        (filter.isError === undefined || e.isError === filter.isError),
    );
  }
}

function sameBlock(a: BlockId | undefined, b: BlockId | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.equals(b);
}
