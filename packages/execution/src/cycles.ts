// Cycle arithmetic over the execution config: the cycle of a slot, a cycle's last slot.
import { Slot } from "@massa-ts/models";
import type { ExecutionConfig } from "./types.js";

export function cycleOf(config: ExecutionConfig, slot: Slot): number {
  return Math.floor(slot.period / config.periodsPerCycle);
}

export function lastSlotOfCycle(config: ExecutionConfig, cycle: number): Slot {
  return new Slot((cycle + 1) * config.periodsPerCycle - 1, config.threadCount - 1);
}

export function isLastSlotOfCycle(config: ExecutionConfig, slot: Slot): boolean {
  return slot.thread === config.threadCount - 1 && (slot.period + 1) % config.periodsPerCycle === 0;
}
