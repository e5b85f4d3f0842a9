// The operation pool: admission (chain, expiry horizon, fee, size, gas, signature, sender funds and per-sender
// bound, count and byte budgets), order by fee, selection for a block, pruning by execution status. Over
// 400 lines: one structure whose indexes (pool order per thread, per sender, held spending, operations
// taken since the last prune) must change together.
import { type Address, Amount, MassaTsError, type OperationId, type SignedOperation } from "@massa-ts/models";
import { comparePoolOrder, PoolOrder, poolPosition } from "./pool-order.js";

/** No operations (shared: never written to). */
const NONE: readonly SignedOperation[] = [];

/** Why an operation was refused: `send_operations` answers with an error code chosen from it. */
export type PoolRefusal =
  | "chain"
  | "expiry"
  | "fee"
  | "size"
  | "signature"
  | "funds"
  | "sender"
  | "full"
  | "gas";

/** An operation refused at the pool's door. */
export class PoolError extends MassaTsError {
  readonly reason: PoolRefusal;
  constructor(reason: PoolRefusal, message: string) {
    super("POOL", message);
    this.reason = reason;
  }
}

/** Operations one sender may have in the pool at most, unless configured (see config.ts). */
export const DEFAULT_MAX_PER_SENDER = 1000;

/** What the pool reads of its senders' coins (Massa's pool asks execution for the same). */
export interface SenderFunds {
  /**
   * The address's candidate balance (the active slots executed so far); undefined: no such address; null:
   * not known at hand (the operation is then admitted without this check: execution makes the real one).
   */
  balance(address: Address): Amount | undefined | null;
  /** The price of one roll: what a RollBuy spends per roll. */
  readonly rollPrice: Amount;
}

/**
 * What execution did with a held operation: `true` executed in a final slot (it leaves the pool),
 * `"candidate"` executed in a candidate slot (kept while its block may still go stale, but its spending is in
 * the candidate balance already), `false` not executed.
 */
export type HeldStatus = boolean | "candidate";

export interface PoolOptions {
  readonly chainId: bigint;
  readonly threadCount: number;
  readonly minimalFee: Amount;
  readonly maxOperations: number;
  /** Serialized bytes the pool holds at most (its operations' {@link SignedOperation.serializedSize}). */
  readonly maxBytes: number;
  /** The largest operation taken: a block's operation bytes (Massa's MAX_BLOCK_SIZE); a larger one never fits. */
  readonly maxOperationSize: number;
  readonly operationValidityPeriods: number;
  /**
   * Periods after the current one an operation's validity window (`expirePeriod − operationValidityPeriods`
   * onward) may start: Massa keeps an operation only if a block slot up to `now +
   * operation_max_future_start_delay + 2·t0` falls in its window. Default 0.
   */
  readonly maxFutureStartPeriods?: number;
  /** Operations held per sender address at most; default {@link DEFAULT_MAX_PER_SENDER}. */
  readonly maxPerSender?: number;
  /** The senders' balances: absent, operations are not checked against them (tests of the other rules). */
  readonly funds?: SenderFunds;
  /** Block gas: an operation's gas (Massa's `get_gas_usage`) and a block's maximum; absent, gas is not counted. */
  readonly gas?: { readonly of: (op: SignedOperation) => bigint; readonly maxPerBlock: bigint };
}

/**
 * The most coins an operation may take from its sender (Massa's `get_max_spending`): its fee plus a
 * Transaction's amount, a RollBuy's roll cost, an ExecuteSC's max coins or a CallSC's coins. Gas is paid by
 * the fee: there is no gas price. Saturates at the largest amount.
 */
export function maxSpending(op: SignedOperation, rollPrice: Amount): Amount {
  const p = op.content.payload;
  const spent =
    p.type === "Transaction"
      ? p.amount
      : p.type === "RollBuy"
        ? rollPrice.saturatingMul(p.rollCount)
        : p.type === "ExecuteSC"
          ? p.maxCoins
          : p.type === "CallSC"
            ? p.coins
            : Amount.ZERO;
  return spent.saturatingAdd(op.content.fee);
}

/**
 * The operation pool: bounded in count and bytes, ordered by fee (highest first) then id; refuses bad
 * signatures, another chain's operations, operations larger than a block, expired ones, ones whose validity
 * starts too far ahead, fees below the minimum, senders who cannot pay (one operation, or all of theirs held
 * together) and senders holding too many; drops what expires, gets executed, or is no longer paid for.
 */
export class OperationPool {
  private readonly ops = new Map<string, SignedOperation>();
  private heldBytes = 0;
  /**
   * The same operations per sender thread (what a block of that thread selects from), each in pool order:
   * fee (highest first), then id ({@link PoolOrder}). The pool's whole order is their merge (the cheapest
   * held: the last of one of them), so it is not kept apart.
   */
  private byThread: PoolOrder[] = [];
  /** The same again, per sender address key, in the same order. */
  private bySender = new Map<string, SignedOperation[]>();
  /** Held operations executed in a candidate slot at the last prune: their spending is in the balance. */
  private readonly candidateExecuted = new Set<string>();
  /** Per sender: the max spending (nanoMAS) of its held operations not executed yet. */
  private heldSpending = new Map<string, bigint>();

  /** The period of the last prune that walked every sender. */
  private prunedPeriod = -1;
  /**
   * Operations taken since the last prune (their status was never looked at); null when more were taken
   * than it keeps (the next prune walks every sender).
   */
  private fresh: Set<SignedOperation> | null = new Set();

  private spend(op: SignedOperation, sign: 1n | -1n): void {
    const funds = this.opts.funds;
    if (!funds) return;
    const key = op.creatorAddress.key;
    const total = (this.heldSpending.get(key) ?? 0n) + sign * maxSpending(op, funds.rollPrice).nano;
    if (total === 0n) this.heldSpending.delete(key);
    else this.heldSpending.set(key, total);
  }
  private readonly maxPerSender: number;
  private readonly maxFutureStartPeriods: number;

  constructor(private readonly opts: PoolOptions) {
    this.maxPerSender = opts.maxPerSender ?? DEFAULT_MAX_PER_SENDER;
    this.maxFutureStartPeriods = opts.maxFutureStartPeriods ?? 0;
  }

  get size(): number {
    return this.ops.size;
  }

  /** Serialized bytes of the operations held. */
  get bytes(): number {
    return this.heldBytes;
  }

  has(id: OperationId): boolean {
    return this.ops.has(id.key);
  }

  get(id: OperationId): SignedOperation | undefined {
    return this.ops.get(id.key);
  }

  /** Operations held from one sender. */
  heldFrom(sender: Address): number {
    return this.bySender.get(sender.key)?.length ?? 0;
  }

  /**
   * Checks and adds; throws {@link PoolError} saying why an operation is refused. `signatureChecked`: the
   * caller (the API) verified it already. Taking it may evict operations: the sender's cheaper ones it can no
   * longer pay for, its cheapest when it holds the most a sender may, the pool's cheapest when full.
   */
  add(op: SignedOperation, currentPeriod: number, signatureChecked = false): void {
    const { expirePeriod, fee } = op.content;
    if (op.chainId !== this.opts.chainId) {
      throw new PoolError(
        "chain",
        `operation ${op.id} is for chain ${op.chainId}, this node runs chain ${this.opts.chainId}`,
      );
    }
    if (expirePeriod < currentPeriod) {
      throw new PoolError(
        "expiry",
        `operation ${op.id} expired at period ${expirePeriod} (now ${currentPeriod}): it will never be included`,
      );
    }
    const horizon = currentPeriod + this.opts.operationValidityPeriods + this.maxFutureStartPeriods;
    if (expirePeriod > horizon) {
      throw new PoolError(
        "expiry",
        `operation ${op.id} expires at period ${expirePeriod}, after period ${horizon} (now ${currentPeriod}, validity ${this.opts.operationValidityPeriods} periods): its validity starts too far ahead`,
      );
    }
    if (fee.lt(this.opts.minimalFee)) {
      throw new PoolError(
        "fee",
        `fee ${fee} of operation ${op.id} is too low: the minimum is ${this.opts.minimalFee}`,
      );
    }
    const size = op.serializedSize;
    if (size > this.opts.maxOperationSize) {
      throw new PoolError(
        "size",
        `operation ${op.id} has ${size} bytes, more than a block's ${this.opts.maxOperationSize}: it can never be included`,
      );
    }
    const gas = this.opts.gas;
    if (gas && gas.of(op) > gas.maxPerBlock) {
      const p = op.content.payload;
      const overhead = gas.of(op) - (p.type === "CallSC" || p.type === "ExecuteSC" ? p.maxGas : 0n);
      throw new PoolError(
        "gas",
        `Upper gas limit for ${p.type} operation is ${gas.maxPerBlock - overhead}. Your operation will never be included in a block.`,
      );
    }
    if (!signatureChecked && !op.verifySignature())
      throw new PoolError("signature", `operation ${op.id} has a bad signature`);
    if (this.ops.has(op.id.key)) return;
    // nothing changes until every check passed: what leaves is gathered first
    // what leaves: usually nothing, and then no set is made (one per operation admitted)
    const unpaid = this.opts.funds ? this.unpaidWith(op, this.opts.funds) : NONE;
    let leave: Set<SignedOperation> | undefined = unpaid.length > 0 ? new Set(unpaid) : undefined;
    const mine = this.bySender.get(op.creatorAddress.key) ?? NONE;
    if (mine.length - (leave?.size ?? 0) >= this.maxPerSender) {
      let j = mine.length - 1;
      while (j >= 0 && leave?.has(mine[j]!)) j--;
      const cheapest = mine[j];
      if (!cheapest?.content.fee.lt(fee)) {
        throw new PoolError(
          "sender",
          `sender ${op.creatorAddress} already has ${this.maxPerSender} operations in the pool, the most one sender may have, and operation ${op.id} pays no more than the cheapest of them (fee ${fee})`,
        );
      }
      leave ??= new Set();
      leave.add(cheapest);
    }
    // full (in count or bytes): the cheapest leave if the newcomer pays more than each of them, else refused
    let count = this.ops.size - (leave?.size ?? 0);
    let bytes = this.heldBytes;
    for (const o of leave ?? NONE) bytes -= o.serializedSize;
    if (count >= this.opts.maxOperations || bytes + size > this.opts.maxBytes) {
      leave ??= new Set();
      const nextCheapest = this.cheapestFirst(leave);
      while (count >= this.opts.maxOperations || bytes + size > this.opts.maxBytes) {
        const cheapest = nextCheapest();
        if (!cheapest?.content.fee.lt(fee)) {
          throw new PoolError(
            "full",
            `the pool is full (${this.opts.maxOperations} operations, ${this.opts.maxBytes} bytes) and fee ${fee} is too low to enter`,
          );
        }
        leave.add(cheapest);
        count--;
        bytes -= cheapest.serializedSize;
      }
    }
    for (const o of leave ?? NONE) this.remove(o);
    this.ops.set(op.id.key, op);
    this.heldBytes += size;
    this.threadList(op).insert(op);
    const list = this.bySender.get(op.creatorAddress.key);
    if (list) list.splice(poolPosition(list, op), 0, op);
    else this.bySender.set(op.creatorAddress.key, [op]);
    this.spend(op, 1n);
    if (this.fresh && this.fresh.size >= this.opts.maxOperations) this.fresh = null;
    this.fresh?.add(op);
    this.onAdded?.(op);
  }

  /** The senders of the pooled operations, each once. */
  senders(): Address[] {
    return [...this.bySender.values()].map((ops) => ops[0]!.creatorAddress);
  }

  /** Ids of the operations `sender` has in the pool. */
  idsOf(sender: { key: string }): string[] {
    return (this.bySender.get(sender.key) ?? []).map((o) => o.id.toString());
  }

  /** Told of each operation the pool takes (APIv2's `new_operations`). */
  onAdded: ((op: SignedOperation) => void) | undefined;

  /**
   * Admission by balance (Massa's `prefilter_ops` and `eliminate_balance_overflows`, at the door): the sender
   * must exist and afford the operation's max spending; its operations held together, in pool order with the
   * newcomer among them, are paid for one after the other from its candidate balance. Throws if the newcomer
   * is not paid for; returns the sender's cheaper ones it leaves unpaid (they leave the pool).
   */
  private unpaidWith(op: SignedOperation, funds: SenderFunds): readonly SignedOperation[] {
    const sender = op.creatorAddress;
    const balance = funds.balance(sender);
    if (balance === null) return NONE;
    const cost = maxSpending(op, funds.rollPrice);
    if (balance === undefined) {
      throw new PoolError(
        "funds",
        `operation ${op.id}: its sender ${sender} does not exist (no coins): it cannot pay the fee ${op.content.fee}`,
      );
    }
    if (balance.lt(cost)) {
      throw new PoolError(
        "funds",
        `operation ${op.id}: its sender ${sender} has ${balance} coins (candidate balance), less than the ${cost} the operation may spend (fee plus amount, rolls or coins)`,
      );
    }
    // the common case: the balance pays for every held operation and this one (no order to walk)
    const held = this.heldSpending.get(sender.key) ?? 0n;
    if (balance.nano >= held + cost.nano) return NONE;
    let left = balance;
    let placed = false;
    const unpaid: SignedOperation[] = [];
    const place = () => {
      if (left.lt(cost)) {
        throw new PoolError(
          "funds",
          `operation ${op.id}: its sender ${sender} has ${balance} coins (candidate balance); its operations in the pool that pay more may spend ${balance.sub(left)} of them, and ${left} left is less than the ${cost} this one may spend`,
        );
      }
      left = left.sub(cost);
      placed = true;
    };
    for (const held of this.bySender.get(sender.key) ?? []) {
      if (!placed && comparePoolOrder(op, held) < 0) place();
      if (this.candidateExecuted.has(held.id.key)) continue;
      const c = maxSpending(held, funds.rollPrice);
      if (left.lt(c)) {
        if (placed) unpaid.push(held); // one paying more that is unpaid already leaves at the next prune
      } else left = left.sub(c);
    }
    if (!placed) place();
    return unpaid;
  }

  /**
   * The held operations from the cheapest up (the pool order backwards), `skip`'s passed over: a walk back
   * from the end of every thread's list, each step taking the last in pool order of their current ends.
   * Undefined once all are walked.
   */
  private cheapestFirst(skip: ReadonlySet<SignedOperation>): () => SignedOperation | undefined {
    const walks = this.byThread.map((l) => l?.backwards());
    // each thread's current end (undefined: to read from its walk; null: walked)
    const ends: (SignedOperation | null | undefined)[] = walks.map(() => undefined);
    return () => {
      let best = -1;
      for (let t = 0; t < walks.length; t++) {
        const walk = walks[t];
        if (!walk) continue;
        let end = ends[t];
        while (end === undefined || (end !== null && skip.has(end))) {
          const n = walk.next();
          end = n.done ? null : n.value;
        }
        ends[t] = end;
        if (end !== null && (best < 0 || comparePoolOrder(end, ends[best]!) > 0)) best = t;
      }
      if (best < 0) return undefined;
      const op = ends[best]!;
      ends[best] = undefined;
      return op;
    };
  }

  /** Removes one held operation. */
  private remove(op: SignedOperation): void {
    this.threadList(op).delete(op);
    this.detach(op);
  }

  /** The operations of `op`'s sender thread, in pool order. */
  private threadList(op: SignedOperation): PoolOrder {
    const t = op.senderThread(this.opts.threadCount);
    let l = this.byThread[t];
    if (!l) {
      l = new PoolOrder();
      this.byThread[t] = l;
    }
    return l;
  }

  /** Removes `removed` from the per-thread orders (one pass when they are many). */
  private unorder(removed: ReadonlySet<SignedOperation>): void {
    if (removed.size > 32) {
      for (const l of this.byThread) l?.filter((op) => !removed.has(op));
    } else {
      for (const op of removed) this.threadList(op).delete(op);
    }
  }

  /** {@link remove} but for the pool orders (the caller removes it there). */
  private detach(op: SignedOperation): void {
    this.ops.delete(op.id.key);
    this.heldBytes -= op.serializedSize;
    if (!this.candidateExecuted.has(op.id.key)) this.spend(op, -1n);
    this.candidateExecuted.delete(op.id.key);
    const key = op.creatorAddress.key;
    const list = this.bySender.get(key)!;
    list.splice(poolPosition(list, op), 1);
    if (list.length === 0) this.bySender.delete(key);
  }

  /**
   * Operations a block at (period, thread) may include: sender in the thread, within the validity window,
   * within the block's bytes and gas (an operation that does not fit what is left is passed over).
   */
  select(
    period: number,
    thread: number,
    maxCount: number,
    maxBytes: number,
    skip: (op: SignedOperation) => boolean,
  ): SignedOperation[] {
    const out: SignedOperation[] = [];
    let bytes = 0;
    let gasLeft = this.opts.gas?.maxPerBlock ?? 0n;
    for (const op of this.byThread[thread] ?? []) {
      if (out.length >= maxCount) break;
      const e = op.content.expirePeriod;
      if (period > e || period < Math.max(0, e - this.opts.operationValidityPeriods)) continue;
      if (skip(op)) continue;
      const size = op.serializedSize;
      if (bytes + size > maxBytes) continue;
      if (this.opts.gas) {
        const g = this.opts.gas.of(op);
        if (g > gasLeft) continue;
        gasLeft -= g;
      }
      bytes += size;
      out.push(op);
    }
    return out;
  }

  /**
   * Drops expired operations and those `status` says are executed in a final slot, then checks the others
   * against their senders' balances again (they change every slot): per sender, in pool order (the best fees
   * first), each not executed yet is paid from the candidate balance; those left unpaid leave, as Massa's
   * pool refresh does. A boolean `status` (true: gone) works too.
   *
   * With `changed` (the operations whose execution status changed since the last prune), the work is
   * proportional to what changed rather than to the pool: the operations of `changed`, those taken since
   * the last prune and, when the period moved, the expired ones are updated one by one (dropped, marked
   * executed in a candidate slot or no longer); then only a sender whose balance (when at hand) does not
   * cover the max spending of its operations not executed yet is walked. Any other sender's walk would keep
   * all of them (each is paid for in turn: the balance covers their sum), so the result is the same.
   */
  prune(
    currentPeriod: number,
    status: (op: SignedOperation) => HeldStatus,
    changed?: ReadonlySet<string>,
  ): void {
    const funds = this.opts.funds;
    const fresh = this.fresh;
    this.fresh = new Set();
    if (!funds || changed === undefined || this.prunedPeriod < 0 || fresh === null) {
      this.pruneAll(currentPeriod, status);
      return;
    }
    const removed = new Set<SignedOperation>();
    const update = (op: SignedOperation) => {
      if (removed.has(op)) return;
      const s = op.content.expirePeriod < currentPeriod ? true : status(op);
      if (s === true) {
        removed.add(op);
        this.detach(op);
        return;
      }
      const k = op.id.key;
      const wasCandidate = this.candidateExecuted.has(k);
      if (s === "candidate" && !wasCandidate) {
        this.candidateExecuted.add(k);
        this.spend(op, -1n);
      } else if (s === false && wasCandidate) {
        this.candidateExecuted.delete(k);
        this.spend(op, 1n);
      }
    };
    for (const k of changed) {
      const op = this.ops.get(k);
      if (op) update(op);
    }
    for (const op of fresh) if (this.ops.get(op.id.key) === op) update(op);
    if (currentPeriod !== this.prunedPeriod) {
      for (const l of this.byThread)
        for (const op of l ?? []) if (op.content.expirePeriod < currentPeriod) update(op);
      this.prunedPeriod = currentPeriod;
    }
    const paid = this.payer(funds);
    for (const [key, list] of this.bySender) {
      const b = funds.balance(list[0]!.creatorAddress);
      if (b === null || (b !== undefined && b.nano >= (this.heldSpending.get(key) ?? 0n))) continue;
      // not covered: paid for one by one in pool order, as a walk of every sender does
      for (const op of list) this.candidateExecuted.delete(op.id.key);
      const kept = list.filter((op) => {
        if (this.keeps(op, currentPeriod, status, paid)) return true;
        removed.add(op);
        this.ops.delete(op.id.key);
        this.heldBytes -= op.serializedSize;
        return false;
      });
      let spending = 0n;
      for (const op of kept)
        if (!this.candidateExecuted.has(op.id.key)) spending += maxSpending(op, funds.rollPrice).nano;
      if (kept.length > 0) this.bySender.set(key, kept);
      else this.bySender.delete(key);
      if (spending === 0n) this.heldSpending.delete(key);
      else this.heldSpending.set(key, spending);
    }
    this.unorder(removed);
  }

  /** {@link prune} walking every sender. */
  private pruneAll(currentPeriod: number, status: (op: SignedOperation) => HeldStatus): void {
    const funds = this.opts.funds;
    const paid = funds ? this.payer(funds) : () => true;
    this.prunedPeriod = currentPeriod;
    this.candidateExecuted.clear();
    this.bySender = new Map();
    this.heldSpending = new Map();
    // thread by thread, each in pool order: a sender's operations are all in one thread, so each sender is
    // walked in pool order (what paying them one by one needs; senders do not share balances)
    for (const l of this.byThread)
      l?.filter((op) => {
        if (!this.keeps(op, currentPeriod, status, paid)) {
          this.ops.delete(op.id.key);
          this.heldBytes -= op.serializedSize;
          return false;
        }
        const key = op.creatorAddress.key;
        const list = this.bySender.get(key);
        if (list) list.push(op);
        else this.bySender.set(key, [op]);
        if (!this.candidateExecuted.has(op.id.key)) this.spend(op, 1n);
        return true;
      });
  }

  /**
   * Whether a held operation stays (walked in pool order, sender by sender): not expired, not executed in a
   * final slot, and executed in a candidate slot (marked so) or paid for by `paid`.
   */
  private keeps(
    op: SignedOperation,
    currentPeriod: number,
    status: (op: SignedOperation) => HeldStatus,
    paid: (op: SignedOperation) => boolean,
  ): boolean {
    if (op.content.expirePeriod < currentPeriod) return false;
    const s = status(op);
    if (s === true) return false;
    if (s === "candidate") {
      this.candidateExecuted.add(op.id.key);
      return true;
    }
    return paid(op);
  }

  /**
   * Pays a sender's operations, called in pool order, from its candidate balance: true while what is left
   * covers one's max spending. A balance not at hand keeps the sender's operations (the next refresh checks
   * them).
   */
  private payer(funds: SenderFunds): (op: SignedOperation) => boolean {
    /** Coins each sender has left for its operations not yet paid (null: none; "unknown": not at hand). */
    const left = new Map<string, Amount | null | "unknown">();
    return (op) => {
      const key = op.creatorAddress.key;
      let l = left.get(key);
      if (l === undefined) {
        const b = funds.balance(op.creatorAddress);
        l = b === null ? "unknown" : (b ?? null);
      }
      if (l === "unknown") {
        left.set(key, l);
        return true;
      }
      const cost = maxSpending(op, funds.rollPrice);
      if (l === null || l.lt(cost)) {
        left.set(key, l);
        return false;
      }
      left.set(key, l.sub(cost));
      return true;
    };
  }
}
