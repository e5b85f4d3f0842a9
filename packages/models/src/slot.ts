import { DecodeError, ModelsError } from "./errors.js";
import { blake3 } from "./hash.js";
import type { ByteReader, ByteWriter } from "./reader.js";

/** Timing and shape of the chain: what every slot computation needs. */
export interface SlotConfig {
  /** Number of threads (a power of two, ≤ 256). Massa: 32. */
  readonly threadCount: number;
  /** Periods per cycle. Massa: 128. */
  readonly periodsPerCycle: number;
  /** Length of a period in ms. Massa: 16 000. Must be divisible by `threadCount`. */
  readonly t0: number;
  /** Timestamp (ms since the epoch) of slot (0, 0). */
  readonly genesisTimestamp: number;
}

export const MASSA_SLOT_CONFIG: SlotConfig = {
  threadCount: 32,
  periodsPerCycle: 128,
  t0: 16_000,
  genesisTimestamp: 1_705_312_800_000,
};

/** Checks a {@link SlotConfig} and throws a {@link ModelsError} naming the bad field. */
export function validateSlotConfig(cfg: SlotConfig): void {
  const { threadCount, periodsPerCycle, t0, genesisTimestamp } = cfg;
  if (
    !Number.isInteger(threadCount) ||
    threadCount < 1 ||
    threadCount > 256 ||
    (threadCount & (threadCount - 1)) !== 0
  ) {
    throw new ModelsError(`threadCount must be a power of two in 1..256, got ${threadCount}`);
  }
  if (!Number.isSafeInteger(periodsPerCycle) || periodsPerCycle < 1) {
    throw new ModelsError(`periodsPerCycle must be a positive integer, got ${periodsPerCycle}`);
  }
  if (!Number.isSafeInteger(t0) || t0 <= 0 || t0 % threadCount !== 0) {
    throw new ModelsError(`t0 must be a positive multiple of threadCount (${threadCount}) in ms, got ${t0}`);
  }
  if (!Number.isSafeInteger(genesisTimestamp) || genesisTimestamp < 0) {
    throw new ModelsError(`genesisTimestamp must be a non-negative integer of ms, got ${genesisTimestamp}`);
  }
}

/** A slot: `(period, thread)`. Slots order by period, then thread. Immutable. */
export class Slot {
  readonly period: number;
  readonly thread: number;

  constructor(period: number, thread: number) {
    if (!Number.isSafeInteger(period) || period < 0) throw new ModelsError(`bad slot period ${period}`);
    if (!Number.isInteger(thread) || thread < 0 || thread > 255)
      throw new ModelsError(`bad slot thread ${thread}`);
    this.period = period;
    this.thread = thread;
  }

  static compare(a: Slot, b: Slot): number {
    if (a.period !== b.period) return a.period < b.period ? -1 : 1;
    return a.thread === b.thread ? 0 : a.thread < b.thread ? -1 : 1;
  }

  compare(other: Slot): number {
    return Slot.compare(this, other);
  }

  equals(other: Slot): boolean {
    return this.period === other.period && this.thread === other.thread;
  }

  /** Index of the slot counted from (0, 0): `period × threadCount + thread`. */
  index(threadCount: number): number {
    return this.period * threadCount + this.thread;
  }

  static fromIndex(index: number, threadCount: number): Slot {
    return new Slot(Math.floor(index / threadCount), index % threadCount);
  }

  next(threadCount: number): Slot {
    return this.thread + 1 >= threadCount
      ? new Slot(this.period + 1, 0)
      : new Slot(this.period, this.thread + 1);
  }

  /** The previous slot, or `undefined` for (0, 0). */
  prev(threadCount: number): Slot | undefined {
    if (this.thread > 0) return new Slot(this.period, this.thread - 1);
    if (this.period === 0) return undefined;
    return new Slot(this.period - 1, threadCount - 1);
  }

  cycle(periodsPerCycle: number): number {
    return Math.floor(this.period / periodsPerCycle);
  }

  isFirstOfCycle(periodsPerCycle: number): boolean {
    return this.thread === 0 && this.period % periodsPerCycle === 0;
  }

  isLastOfCycle(cfg: Pick<SlotConfig, "threadCount" | "periodsPerCycle">): boolean {
    return this.thread === cfg.threadCount - 1 && (this.period + 1) % cfg.periodsPerCycle === 0;
  }

  static firstOfCycle(cycle: number, cfg: Pick<SlotConfig, "periodsPerCycle">): Slot {
    return new Slot(cycle * cfg.periodsPerCycle, 0);
  }

  static lastOfCycle(cycle: number, cfg: Pick<SlotConfig, "threadCount" | "periodsPerCycle">): Slot {
    return new Slot(cycle * cfg.periodsPerCycle + cfg.periodsPerCycle - 1, cfg.threadCount - 1);
  }

  /** Start of the slot in ms: `genesis + period·T0 + thread·T0/threadCount`. */
  timestamp(cfg: SlotConfig): number {
    return cfg.genesisTimestamp + this.period * cfg.t0 + this.thread * (cfg.t0 / cfg.threadCount);
  }

  /** The 9-byte slot key used in hashes and DB keys: `u64be(period) ‖ u8(thread)`. */
  toKey(): Uint8Array {
    const out = new Uint8Array(9);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(0, BigInt(this.period));
    out[8] = this.thread;
    return out;
  }

  static fromKey(key: Uint8Array, field = "slot key"): Slot {
    if (key.length !== 9) throw new DecodeError(field, `expected 9 bytes, got ${key.length}`);
    const period = new DataView(key.buffer, key.byteOffset, 9).getBigUint64(0);
    if (period > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(field, "period too large");
    return new Slot(Number(period), key[8]!);
  }

  /** Seed bit of a missed slot: the most significant bit of byte 0 of BLAKE3(slot key). */
  missedSeedBit(): boolean {
    return (blake3(this.toKey())[0]! & 0x80) !== 0;
  }

  /** Wire form: `varint(period) ‖ u8(thread)`. */
  serialize(w: ByteWriter): void {
    w.varint(this.period).u8(this.thread);
  }

  static deserialize(r: ByteReader, threadCount: number, field = "slot"): Slot {
    const period = r.readVarintNumber(`${field}.period`);
    const thread = r.readU8(`${field}.thread`);
    if (thread >= threadCount)
      throw new DecodeError(`${field}.thread`, `thread ${thread} ≥ thread count ${threadCount}`);
    return new Slot(period, thread);
  }

  toString(): string {
    return `(period: ${this.period}, thread: ${this.thread})`;
  }

  toJSON(): { period: number; thread: number } {
    return { period: this.period, thread: this.thread };
  }

  /** The latest slot that has started at time `t`, or undefined before genesis. */
  static latestAt(t: number, cfg: SlotConfig): Slot | undefined {
    if (t < cfg.genesisTimestamp) return undefined;
    const d = t - cfg.genesisTimestamp;
    const period = Math.floor(d / cfg.t0);
    const thread = Math.floor((d % cfg.t0) / (cfg.t0 / cfg.threadCount));
    return new Slot(period, thread);
  }

  /** The slot whose start is closest to `t` (ties go to the earlier slot); (0, 0) before genesis. */
  static closestAt(t: number, cfg: SlotConfig): Slot {
    const s = Slot.latestAt(t, cfg);
    if (!s) return new Slot(0, 0);
    if (2 * (t - s.timestamp(cfg)) <= cfg.t0 / cfg.threadCount) return s;
    return s.next(cfg.threadCount);
  }
}
