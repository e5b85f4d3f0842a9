// What the proof-of-stake draws chose for a slot, and the one read-only view of them every package takes
// (pos-draws' Selector implements it; protocol, consensus and execution only read it).
import type { Address } from "./address.js";
import type { Slot } from "./slot.js";

/** The producer and the endorsers drawn for one slot. */
export interface Selection {
  readonly producer: Address;
  /** One address per endorsement index. */
  readonly endorsements: readonly Address[];
}

/** The draws of a slot; throws while its cycle is not drawn yet (callers decide what that means). */
export interface SelectionView {
  getSelection(slot: Slot): Selection;
}
