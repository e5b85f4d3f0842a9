// Endorsements received or made for coming slots, waiting for the block of their slot.
import { BoundedMap, type SelectionView, type SignedEndorsement, type Slot } from "@massa-ts/models";

export class EndorsementPool {
  /** Slot key → "index:endorsed block" → endorsement; 256 slots. */
  private readonly bySlot = new BoundedMap<string, Map<string, SignedEndorsement>>(256);

  constructor(
    private readonly draws: SelectionView,
    /** The current slot (undefined before genesis) and the thread count: the horizon of what is kept. */
    private readonly now: () => Slot | undefined,
    private readonly threadCount: number,
  ) {}

  /**
   * Keeps an endorsement for the block of its slot, by (index, endorsed block): endorsements of competing
   * parents do not shadow each other. Kept only from the drawn endorser (draws known), for a slot from now
   * to one period ahead (spam for far or past slots cannot evict honest ones); at most 64 per slot.
   * Returns whether it was kept (only those are relayed).
   */
  add(e: SignedEndorsement): boolean {
    const c = e.content;
    const now = this.now();
    if (!now) return false;
    const i = c.slot.index(this.threadCount);
    const n = now.index(this.threadCount);
    if (i < n || i > n + this.threadCount) return false;
    try {
      const drawn = this.draws.getSelection(c.slot).endorsements[c.index];
      if (!drawn || !e.creatorAddress.equals(drawn)) return false;
    } catch {
      return false; // draws not known: cannot be checked, not kept, not relayed
    }
    const k = slotKey(c.slot);
    let m = this.bySlot.get(k);
    if (!m) {
      m = new Map();
      this.bySlot.set(k, m);
    }
    const key = `${c.index}:${c.endorsedBlock.key}`;
    if (m.has(key) || m.size >= 64) return false;
    m.set(key, e);
    return true;
  }

  /** The endorsement of `slot` at `index` endorsing `endorsed` (a block id key), if one arrived. */
  get(slot: Slot, index: number, endorsedKey: string): SignedEndorsement | undefined {
    return this.bySlot.get(slotKey(slot))?.get(`${index}:${endorsedKey}`);
  }

  /** Endorsements held. */
  get size(): number {
    let n = 0;
    for (const m of this.bySlot.values()) n += m.size;
    return n;
  }

  /** Every endorsement held. */
  all(): SignedEndorsement[] {
    return [...this.bySlot.values()].flatMap((m) => [...m.values()]);
  }

  /** The pooled endorsements among `ids` (endorsement id keys). */
  find(ids: ReadonlySet<string>): SignedEndorsement[] {
    const out: SignedEndorsement[] = [];
    for (const m of this.bySlot.values()) for (const e of m.values()) if (ids.has(e.id.key)) out.push(e);
    return out;
  }

  /** Forgets a slot whose block time has come. */
  drop(slot: Slot): void {
    this.bySlot.delete(slotKey(slot));
  }
}

const slotKey = (s: Slot) => `${s.period},${s.thread}`;
