// Executing a block's operations against a SlotContext: fee, skips, each payload kind (transfers, roll
// buys and sells), the executed-op record; and `transfer`, the all-or-nothing coin move they share.
import { type Address, Amount, AmountError, type SignedOperation, Slot } from "@massa-ts/models";
import { creditKey } from "./layers.js";
import { operationGas, runCallSC, runExecuteSC } from "./sc/run-operation.js";
import type { Scratch, SlotContext } from "./slot-context.js";

/** An operation failed after its fee was paid: its own effects are dropped. */
export class OperationFailure extends Error {}

/** Runs one operation; returns the fee paid (to add to the block credits), or undefined if skipped. */
export function executeOperation(ctx: SlotContext, op: SignedOperation): Amount | undefined {
  const cfg = ctx.config;
  const slot = ctx.slot;
  const { fee, expirePeriod, payload } = op.content;
  const sender = op.creatorAddress;
  const senderThread = sender.thread(cfg.threadCount);
  // Skips (guards: protocol and consensus already make such blocks invalid): no fee, no record.
  if (slot.period > expirePeriod || slot.period < Math.max(0, expirePeriod - cfg.operationValidityPeriods))
    return;
  // not enough gas left in the block (Massa skips it: no fee, no record)
  const gas = operationGas(op, ctx, ctx.runtime);
  if (gas > ctx.blockGasLeft) return;
  if (senderThread !== slot.thread) return;
  if (ctx.view().executed(op.id) || ctx.fs.isExecuted(op.id)) return;
  const balance = ctx.view().balance(sender);
  if (balance === undefined || balance.lt(fee)) {
    const why =
      balance === undefined ? `address ${sender} does not exist` : `balance ${balance} < fee ${fee}`;
    ctx.emit(`{"massa_execution_error":"could not spend fees: ${why}"}`, true, op);
    return;
  }
  ctx.layer.ledger.setBalance(sender, balance.sub(fee));
  ctx.blockGasLeft -= gas;
  // A Transaction writes nothing until its last check has passed (see `transfer`), so it runs on the slot
  // layer itself: no scratch layer to create and fold in for every transfer of a block.
  const opScratch = payload.type === "Transaction" ? ctx.slotScratch() : ctx.scratch();
  const eventsBefore = ctx.events.length;
  // what a failed operation must not move (Massa's context snapshot): the contract address counter and
  // the contracts' random generator
  const createdBefore = ctx.createdAddresses;
  const rngBefore =
    payload.type === "ExecuteSC" || payload.type === "CallSC" ? ctx.rng.snapshot() : undefined;
  const v = opScratch.view;
  let success = true;
  let target: Address | undefined;
  /** For a Transaction's receipt: whether its recipient existed before it. */
  let recipientExisted = true;
  try {
    switch (payload.type) {
      case "Transaction": {
        const before = v.balance(payload.recipient);
        recipientExisted = before !== undefined;
        transfer(ctx, opScratch, sender, payload.recipient, payload.amount, before);
        break;
      }
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
          transfer(ctx, opScratch, sender, undefined, cost);
        } catch (e) {
          throw new OperationFailure(
            `${sender} failed to buy ${payload.rollCount} rolls: ${(e as Error).message}`,
          );
        }
        opScratch.layer.rolls.set(sender.key, [sender, v.rolls(sender) + payload.rollCount]);
        break;
      }
      case "RollSell": {
        const owned = v.rolls(sender);
        if (owned < payload.rollCount) {
          throw new OperationFailure(
            `${sender} failed to sell ${payload.rollCount} rolls: ${sender} tried to sell ${payload.rollCount} rolls but only has ${owned}`,
          );
        }
        opScratch.layer.rolls.set(sender.key, [sender, owned - payload.rollCount]);
        const at = Slot.lastOfCycle(slot.cycle(cfg.periodsPerCycle) + 3, cfg);
        const credit = v.credit(at, sender).saturatingAdd(cfg.rollPrice.saturatingMul(payload.rollCount));
        opScratch.layer.credits.set(creditKey(at, sender), [at, sender, credit]);
        break;
      }
      case "ExecuteSC":
        runExecuteSC(ctx, opScratch, op, ctx.runtime);
        checkMaxSpending(op, balance, v.balance(sender), payload.maxCoins);
        break;
      case "CallSC":
        target = payload.target;
        runCallSC(ctx, opScratch, op, ctx.runtime);
        checkMaxSpending(op, balance, v.balance(sender), payload.coins);
        break;
    }
  } catch (e) {
    if (!(e instanceof OperationFailure) && !(e instanceof AmountError)) throw e;
    success = false;
    ctx.createdAddresses = createdBefore;
    if (rngBefore) ctx.rng.restore(rngBefore);
    ctx.emit(
      JSON.stringify({
        massa_execution_error: `runtime error when executing operation ${op.id}: ${(e as Error).message}`,
      }).slice(0, cfg.sc.maxEventSize),
      true,
      op,
      target,
    );
    // what the failed operation's contracts emitted stays, flagged as an error (Massa's reset_to_snapshot)
    for (let i = eventsBefore; i < ctx.events.length; i++)
      ctx.events[i] = { ...ctx.events[i]!, isError: true };
  }
  // as in Massa, a successful operation emits no event of its own (only a contract it runs would)
  if (success && opScratch.layer !== ctx.layer) ctx.layer.absorb(opScratch.layer);
  if (payload.type === "Transaction") {
    const received = !success
      ? Amount.ZERO
      : recipientExisted
        ? payload.amount
        : payload.amount.sub(cfg.addressCreationCost);
    ctx.transfers.push({
      operationId: op.id,
      from: sender,
      to: payload.recipient,
      amount: payload.amount,
      effectiveReceived: received,
      succeed: success,
      fee,
    });
  }
  ctx.layer.executedOps.set(op.id.key, {
    id: op.id,
    success,
    expirySlot: new Slot(expirePeriod, senderThread),
  });
  return fee;
}

/**
 * Massa's check at the end of an operation: the sender keeps at least its balance before the operation
 * less the operation's max spending (fee plus the coins it may move).
 */
function checkMaxSpending(
  op: SignedOperation,
  before: Amount,
  after: Amount | undefined,
  coins: Amount,
): void {
  const maxSpending = op.content.fee.saturatingAdd(coins);
  const min = before.lt(maxSpending) ? Amount.ZERO : before.sub(maxSpending);
  const has = after ?? Amount.ZERO;
  if (has.lt(min))
    throw new OperationFailure(
      `at the end of the execution of the operation, the sender ${op.creatorAddress} was expected to have at least ${min} coins according to the operation's max spending, but has only ${has}.`,
    );
}

/**
 * `transfer(from?, to?, amount)` (`reference/ledger_execution.md` §3.6), all or nothing: `from` absent
 * mints, `to` absent burns; a new user address costs the creation cost, taken from the amount.
 * Reads through `into.view`, writes into `into.layer`, and only once every check has passed: a failed
 * transfer leaves `into.layer` untouched (a Transaction relies on it to run on the slot layer).
 * `toBalance`, when not null, is `to`'s balance the caller has just read through `into.view` (undefined:
 * no such address), so that it is not read twice.
 */
export function transfer(
  ctx: SlotContext,
  into: Scratch,
  from: Address | undefined,
  to: Address | undefined,
  amount: Amount,
  toBalance: Amount | undefined | null = null,
): void {
  const { view: v, layer } = into;
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
    const existing = from?.equals(to) ? fromBalance : toBalance !== null ? toBalance : v.balance(to);
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
    if (amount.lt(ctx.config.addressCreationCost)) {
      throw new OperationFailure(`insufficient amount ${amount} to create credited address ${to}`);
    }
    if (from) layer.ledger.setBalance(from, fromBalance!);
    layer.ledger.createAddress(to);
    layer.ledger.setBalance(to, amount.sub(ctx.config.addressCreationCost));
    return;
  }
  if (from) layer.ledger.setBalance(from, fromBalance!);
}
