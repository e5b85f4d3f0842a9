// Massa's `interpolate_downtime`: settling the slots of a network-wide stop as missed by everyone.
import { LedgerChanges } from "@massa-ts/ledger";
import { Slot } from "@massa-ts/models";
import type { FinalStateAdmin, FinalStateController } from "./controller.js";
import { FinalStateError } from "./errors.js";

/** What the interpolation settles through: the slot settling of execution, paced by the backlog. */
export type DowntimeTarget = FinalStateController & Pick<FinalStateAdmin, "backlog" | "drain">;

/**
 * Massa's `interpolate_downtime`, for a restart after a network-wide stop: settles every slot after the
 * last final one up to `upTo` as missed by everyone, without execution: no ledger change, a **false**
 * seed bit per slot, rolls carried over as usual, and each cycle begun on the way starting with the
 * production statistics of the cycle before it (so the stop counts as nobody's miss and sells no rolls).
 * Completed cycles get their snapshot and reach the cycle listeners (the selector draws on). Deferred
 * credits due meanwhile stay, and execution pays them at its first slot. Returns the slots settled.
 */
export async function interpolateDowntime(
  fs: DowntimeTarget,
  upTo: Slot,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const from = fs.lastFinalSlot;
  if (!from)
    throw new FinalStateError("FINAL_STATE_EMPTY", "nothing to interpolate from: the final state is empty");
  const { threadCount: T, periodsPerCycle } = fs.config;
  const total = Slot.compare(upTo, from) > 0 ? upTo.index(T) - from.index(T) : 0;
  let slot = from;
  for (let done = 0; done < total; done++) {
    slot = slot.next(T);
    const first = slot.isFirstOfCycle(periodsPerCycle);
    const previous = first ? fs.cycleInfo(slot.cycle(periodsPerCycle) - 1) : undefined;
    fs.settleSlot(slot, {
      ledgerChanges: new LedgerChanges(),
      pos: { seedBits: [false], ...(previous ? { productionStats: previous.productionStats } : {}) },
    });
    if (fs.backlog.records > 32) await fs.drain();
    if (done % 256 === 0 || done === total - 1) onProgress?.(done + 1, total);
  }
  return total;
}
