// Coins minted by a slot: the block credits split between producer and endorsers, and the deferred
// credits (roll sales) falling due; both through `mint`, where a failure is only an event.
import { type Address, Amount, Slot } from "@massa-ts/models";
import { creditKey } from "./layers.js";
import { OperationFailure, transfer } from "./operations.js";
import type { SlotContext } from "./slot-context.js";
import type { ExecBlock } from "./types.js";

/** Mints `amount` to `to` in the slot layer; a failure (a new address and too little) is only an event. */
export function mint(ctx: SlotContext, to: Address, amount: Amount, what: string): void {
  if (amount.isZero()) return;
  const sub = ctx.scratch();
  try {
    transfer(ctx, sub, undefined, to, amount);
    ctx.layer.absorb(sub.layer);
  } catch (e) {
    if (!(e instanceof OperationFailure)) throw e;
    ctx.emit(
      `{"massa_execution_error":"${what} of ${amount} to ${to} failed: ${e.message}"}`,
      true,
      undefined,
      to,
    );
  }
}

/** Block credits split in 3 × (1 + endorsement count) parts (`reference/ledger_execution.md` §3.7). */
export function payRewards(ctx: SlotContext, block: ExecBlock, credits: Amount): void {
  const parts = 3n * (1n + BigInt(ctx.config.endorsementCount));
  const part = credits.nano / parts;
  const rem = credits.nano % parts;
  let producer = 3n * part + rem;
  for (const e of block.endorsements) {
    producer += part;
    mint(ctx, e.creator, Amount.fromNano(part), "endorsement reward");
    mint(ctx, block.parentCreator, Amount.fromNano(part), "endorsed block reward");
  }
  mint(ctx, block.creator, Amount.fromNano(producer), "block reward");
}

/** Every non-zero deferred credit due at or before `slot` is paid, then zeroed. */
export function payDeferredCredits(ctx: SlotContext): void {
  const { slot, history, layer } = ctx;
  const due = new Map<string, [Slot, Address, Amount]>();
  for (const [s, a, amount] of ctx.fs.deferredCreditsUpTo(slot)) due.set(creditKey(s, a), [s, a, amount]);
  for (const l of [...history.map((h) => h.changes), layer]) {
    for (const [k, c] of l.credits) if (Slot.compare(c[0], slot) <= 0) due.set(k, c);
  }
  const keys = [...due.keys()].sort();
  for (const k of keys) {
    const [s, a, amount] = due.get(k)!;
    if (amount.isZero()) continue;
    mint(ctx, a, amount, "deferred credit");
    layer.credits.set(k, [s, a, Amount.ZERO]);
  }
}
