// Endorsements received or made for coming slots, waiting for the block of their slot.
import { BoundedMap, type SelectionView, type SignedEndorsement, type Slot } from "@massa-ts/models";

export class EndorsementPool {
  /** Slot key → "index:endorsed block" → endorsement; 256 slots. */
  private readonly bySlot = new BoundedMap<string, Map<string, SignedEndorsement>>(256);

  constructor(private readonly draws: SelectionView) {}

  /**
   * Keeps an endorsement for the block of its slot, by (index, endorsed block): endorsements of competing
   * parents do not shadow each other. One by anyone but the drawn endorser is not kept (when the draws are
   * known); at most 64 per slot.
   */
  add(e: SignedEndorsement): void {
    const c = e.content;
    try {
      const drawn = this.draws.getSelection(c.slot).endorsements[c.index];
      if (!drawn || !e.creatorAddress.equals(drawn)) return;
    } catch {
      // draws not known yet: kept; the producer checks again
    }
    const k = slotKey(c.slot);
    let m = this.bySlot.get(k);
    if (!m) {
      m = new Map();
      this.bySlot.set(k, m);
    }
    const key = `${c.index}:${c.endorsedBlock.key}`;
    if (!m.has(key) && m.size < 64) m.set(key, e);
  }

  /** The endorsement of `slot` at `index` endorsing `endorsed` (a block id key), if one arrived. */
  get(slot: Slot, index: number, endorsedKey: string): SignedEndorsement | undefined {
    return this.bySlot.get(slotKey(slot))?.get(`${index}:${endorsedKey}`);
  }

  /** Forgets a slot whose block time has come. */
  drop(slot: Slot): void {
    this.bySlot.delete(slotKey(slot));
  }
}

const slotKey = (s: Slot) => `${s.period},${s.thread}`;
