// The slot clock: calls `onSlot` at the start of every slot (Massa's T0 / thread_count cadence).
import { Slot, type SlotConfig } from "@massa-ts/models";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";

export class SlotClock {
  private timer: unknown;
  private stopped = true;

  constructor(
    private readonly config: SlotConfig,
    private readonly clock: Clock,
    private readonly onSlot: (slot: Slot) => void,
    private readonly log: Logger,
  ) {}

  /** The latest slot at time `t` (undefined before genesis). */
  slotAt(t = this.clock.now()): Slot | undefined {
    return Slot.latestAt(t, this.config);
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const cur = this.slotAt(now);
    const next = cur ? cur.next(this.config.threadCount) : new Slot(0, 0);
    const wait = Math.max(0, next.timestamp(this.config) - now);
    this.timer = this.clock.setTimeout(() => {
      try {
        this.onSlot(next);
      } catch (e) {
        this.log.error({ slot: next.toJSON(), err: (e as Error).stack }, "slot processing failed");
      }
      this.schedule();
    }, wait);
  }
}
