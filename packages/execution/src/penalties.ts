// Coins and rolls a slot takes away: slashing of denounced addresses, and the implicit sale of all the
// rolls of addresses that missed too many blocks in a cycle.
import { type Address, Amount, compareAddresses, Slot } from "@massa-ts/models";
import { creditKey } from "./layers.js";
import type { SlotContext } from "./slot-context.js";

/**
 * Slashes one roll's worth (ROLL_PRICE) from `a`, **ours**: deferred credits first (non-zero ones at
 * slots ≥ the current slot, earliest first), then, if some is still due, one roll (a roll is not split:
 * its whole price counts). Returns the coins taken; half goes to the block credits, the rest is burnt.
 */
export function slash(ctx: SlotContext, a: Address): Amount {
  const { slot, history, layer, config } = ctx;
  const v = ctx.view();
  let due = config.rollPrice.nano;
  let taken = 0n;
  // every credit slot of `a` from the current one on, from the final state and the speculative layers
  const slots = new Map<string, Slot>();
  const horizon = Slot.lastOfCycle(slot.cycle(config.periodsPerCycle) + 4, config);
  for (const [s, who] of ctx.fs.deferredCreditsUpTo(horizon)) {
    if (who.equals(a) && Slot.compare(s, slot) >= 0) slots.set(creditKey(s, a), s);
  }
  for (const l of [...history.map((h) => h.changes), layer]) {
    for (const [k, [s, who]] of l.credits) if (who.equals(a) && Slot.compare(s, slot) >= 0) slots.set(k, s);
  }
  for (const k of [...slots.keys()].sort()) {
    if (due === 0n) break;
    const s = slots.get(k)!;
    const current = v.credit(s, a).nano;
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min takes numbers)
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
      taken += config.rollPrice.nano;
    }
  }
  ctx.emit(
    `${a} slashed ${Amount.fromNano(taken)} (deferred credits first, then rolls)`,
    false,
    undefined,
    a,
  );
  return Amount.fromNano(taken);
}

/** At the last slot of a cycle: addresses above the miss ratio sell all their rolls (credited at C + 3). */
export function implicitRollSales(ctx: SlotContext): void {
  const { slot, history, layer, config } = ctx;
  const cycle = slot.cycle(config.periodsPerCycle);
  const stats = new Map<string, [Address, bigint, bigint]>();
  const add = (a: Address, success: bigint, failure: bigint) => {
    const cur = stats.get(a.key);
    stats.set(a.key, [a, (cur?.[1] ?? 0n) + success, (cur?.[2] ?? 0n) + failure]);
  };
  for (const [a, s] of ctx.fs.cycleInfo(cycle)?.productionStats ?? []) add(a, s.blockSuccess, s.blockFailure);
  for (const l of [
    ...history.filter((h) => h.slot.cycle(config.periodsPerCycle) === cycle).map((h) => h.changes),
    layer,
  ]) {
    for (const [, [a, s]] of l.stats) add(a, s.blockSuccess, s.blockFailure);
  }
  const [num, den] = config.maxMissRatio;
  const target = Slot.lastOfCycle(cycle + 3, config);
  const v = ctx.view();
  for (const [a, success, failure] of [...stats.values()].sort((x, y) => compareAddresses(x[0], y[0]))) {
    if (success + failure === 0n || failure * den <= num * (success + failure)) continue;
    const owned = v.rolls(a);
    if (owned === 0n) continue;
    let coins: Amount;
    try {
      coins = config.rollPrice.mul(owned);
    } catch {
      continue;
    }
    layer.credits.set(creditKey(target, a), [target, a, v.credit(target, a).saturatingAdd(coins)]);
    layer.rolls.set(a.key, [a, 0n]);
    ctx.emit(
      `${a} missed ${failure} of ${success + failure} blocks in cycle ${cycle}: its ${owned} rolls are sold`,
      false,
      undefined,
      a,
    );
  }
}
