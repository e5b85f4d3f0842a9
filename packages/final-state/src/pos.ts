import type { KvRead, KvWrite } from "@massa-ts/ledger";
import {
  Address,
  Amount,
  ByteReader,
  ByteWriter,
  compareAddresses,
  concatBytes,
  MassaTsError,
  Slot,
  u64be,
} from "@massa-ts/models";

/** A PoS rule was broken (cycle sequence, seed bit count) or a stored PoS value is corrupt. */
export class PoSError extends MassaTsError {
  constructor(message: string) {
    super("POS", message);
  }
}

/** Counters of one address in one cycle (ours keeps the seed note's four; Massa keeps the block ones). */
export interface ProductionStats {
  blockSuccess: bigint;
  blockFailure: bigint;
  endorsementSuccess: bigint;
  endorsementFailure: bigint;
}

/** PoS part of one slot's changes. Roll counts and credits are absolute; stats are increments. */
export interface PoSChanges {
  readonly seedBits: readonly boolean[];
  readonly rollChanges?: readonly (readonly [Address, bigint])[];
  readonly productionStats?: readonly (readonly [Address, ProductionStats])[];
  readonly deferredCredits?: readonly (readonly [Slot, Address, Amount])[];
}

/** A cycle as stored: what pos-draws needs once it is complete (rolls in Massa address order). */
export interface CycleInfo {
  readonly cycle: number;
  readonly complete: boolean;
  readonly lastFinalSlot: Slot | undefined;
  readonly rollCounts: [Address, bigint][];
  readonly seedBits: boolean[];
  readonly productionStats: [Address, ProductionStats][];
  readonly finalStateHashSnapshot: Uint8Array | undefined;
}

export const CYCLE_HISTORY_PREFIX = new TextEncoder().encode("cycle_history/");
export const DEFERRED_CREDITS_PREFIX = new TextEncoder().encode("deferred_credits/");
const COMPLETE = 0;
const SEED = 1;
const SNAPSHOT = 2;
const ROLLS = 3;
const STATS = 4;
const LAST_SLOT = 5; // ours: the cycle's latest final slot (CycleInfo.last_final_slot of the seed note)
const STAT_FIELDS = ["blockFailure", "blockSuccess", "endorsementFailure", "endorsementSuccess"] as const;

export function cyclePrefix(cycle: number): Uint8Array {
  return concatBytes(CYCLE_HISTORY_PREFIX, u64be(cycle));
}
function cycleKey(cycle: number, sub: number, ...rest: Uint8Array[]): Uint8Array {
  return concatBytes(cyclePrefix(cycle), Uint8Array.of(sub), ...rest);
}
export function deferredCreditKey(slot: Slot, address: Address): Uint8Array {
  return concatBytes(DEFERRED_CREDITS_PREFIX, slot.toKey(), address.bytes);
}
function endOf(prefix: Uint8Array): Uint8Array {
  const e = prefix.slice();
  let i = e.length - 1;
  while (i >= 0 && e[i] === 0xff) i--;
  e[i]! += 1;
  return e.slice(0, i + 1);
}
function varint(v: bigint | number): Uint8Array {
  return new ByteWriter(10).varint(v).finish();
}
function readVarintValue(v: Uint8Array, field: string): bigint {
  const r = new ByteReader(v);
  const n = r.readVarint(field);
  r.expectEnd(field);
  return n;
}

export function encodeSeedBits(bits: readonly boolean[]): Uint8Array {
  const w = new ByteWriter(bits.length / 8 + 8).varint(bits.length);
  const packed = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) packed[i >> 3]! |= 1 << (i & 7);
  return w.bytes(packed).finish();
}
export function decodeSeedBits(v: Uint8Array, field = "rng seed"): boolean[] {
  const r = new ByteReader(v);
  const n = r.readVarintNumber(`${field}.length`, 0xffff_ffff);
  const packed = r.readBytes(Math.ceil(n / 8), field);
  r.expectEnd(field);
  return Array.from({ length: n }, (_, i) => (packed[i >> 3]! & (1 << (i & 7))) !== 0);
}

/** The PoS part of the final state, read and written through the state's key-value view. */
export class PoSFinalState {
  constructor(
    private readonly cfg: { threadCount: number; periodsPerCycle: number; historyLength: number },
  ) {}

  /**
   * Cycles in history, oldest first, with their completeness (a cycle counts when it has its `complete`
   * key). One seek a cycle, to the first key of the next one: not a walk over every staker's rolls and
   * statistics of every cycle kept, which a settle would pay at every slot.
   */
  cycles(kv: KvRead): { cycle: number; complete: boolean }[] {
    const out: { cycle: number; complete: boolean }[] = [];
    const end = endOf(CYCLE_HISTORY_PREFIX);
    const at = CYCLE_HISTORY_PREFIX.length;
    let start: Uint8Array = CYCLE_HISTORY_PREFIX;
    for (;;) {
      let first: Uint8Array | undefined;
      for (const k of kv.keysInRange(start, end)) {
        first = k;
        break; // closes the range (and its cursor)
      }
      if (first === undefined) return out;
      if (first.length < at + 8) {
        // no cycle number in it (no key of ours is that short): passed over, as the full walk did
        start = concatBytes(first, Uint8Array.of(0));
        continue;
      }
      const big = new DataView(first.buffer, first.byteOffset + at, 8).getBigUint64(0);
      // no cycle of a real history is that far: keys from there on are not cycles of ours
      if (big >= BigInt(Number.MAX_SAFE_INTEGER)) return out;
      const cycle = Number(big);
      const v = kv.get(cycleKey(cycle, COMPLETE));
      if (v !== undefined) {
        if (v.length !== 1 || v[0]! > 1) throw new PoSError(`cycle ${cycle}: corrupt complete flag`);
        out.push({ cycle, complete: v[0] === 1 });
      }
      start = cyclePrefix(cycle + 1);
    }
  }

  /** Creates cycle 0 at genesis: the initial rolls and `threadCount` false seed bits (the genesis slots). */
  createInitialCycle(kv: KvWrite, initialRolls: readonly (readonly [Address, bigint])[]): void {
    if (this.cycles(kv).length > 0)
      throw new PoSError("the PoS history already has cycles: genesis runs once");
    kv.put(cycleKey(0, COMPLETE), Uint8Array.of(0));
    kv.put(cycleKey(0, SEED), encodeSeedBits(new Array(this.cfg.threadCount).fill(false)));
    kv.put(cycleKey(0, SNAPSHOT), Uint8Array.of(0x30));
    for (const [a, n] of initialRolls) if (n > 0n) kv.put(cycleKey(0, ROLLS, a.bytes), varint(n));
  }

  /** Applies one settled slot's PoS changes (Massa's `apply_changes_to_batch`). Returns the slot's cycle and whether it completed. */
  applySlot(kv: KvWrite, slot: Slot, changes: PoSChanges): { cycle: number; completed: boolean } {
    const { periodsPerCycle, threadCount, historyLength } = this.cfg;
    const c = slot.cycle(periodsPerCycle);
    const history = this.cycles(kv);
    const last = history[history.length - 1];
    if (!last)
      throw new PoSError(`cannot settle slot ${slot}: the PoS history is empty (genesis was not run)`);
    if (last.cycle === c && !last.complete) {
      // extending the current cycle
    } else if (last.cycle + 1 === c && last.complete) {
      kv.put(cycleKey(c, COMPLETE), Uint8Array.of(0));
      kv.put(cycleKey(c, SEED), encodeSeedBits([]));
      kv.put(cycleKey(c, SNAPSHOT), Uint8Array.of(0x30));
      for (const [a, n] of this.rollCounts(kv, last.cycle)) kv.put(cycleKey(c, ROLLS, a.bytes), varint(n));
      const all = [...history, { cycle: c, complete: false }];
      while (all.length > historyLength) {
        const old = all.shift()!;
        const p = cyclePrefix(old.cycle);
        for (const k of [...kv.keysInRange(p, endOf(p))]) kv.delete(k);
      }
    } else {
      throw new PoSError(
        `invalid cycle sequence: slot ${slot} is in cycle ${c}, but the newest cycle in history is ${last.cycle} (${last.complete ? "complete" : "incomplete"})`,
      );
    }
    const bits = decodeSeedBits(kv.get(cycleKey(c, SEED)) ?? encodeSeedBits([]), `cycle ${c} rng seed`);
    bits.push(...changes.seedBits);
    kv.put(cycleKey(c, SEED), encodeSeedBits(bits));
    for (const [a, n] of changes.rollChanges ?? []) {
      if (n === 0n) kv.delete(cycleKey(c, ROLLS, a.bytes));
      else kv.put(cycleKey(c, ROLLS, a.bytes), varint(n));
    }
    for (const [a, inc] of changes.productionStats ?? []) {
      STAT_FIELDS.forEach((f, i) => {
        const key = cycleKey(c, STATS, a.bytes, Uint8Array.of(i));
        const cur = kv.get(key);
        const next = (cur ? readVarintValue(cur, `cycle ${c} ${f} of ${a}`) : 0n) + inc[f];
        const U64 = (1n << 64n) - 1n;
        kv.put(key, varint(next > U64 ? U64 : next));
      });
    }
    for (const [s, a, amount] of changes.deferredCredits ?? []) {
      if (amount.isZero()) kv.delete(deferredCreditKey(s, a));
      else kv.put(deferredCreditKey(s, a), varint(amount.nano));
    }
    kv.put(cycleKey(c, LAST_SLOT), slot.toKey());
    const completed = slot.isLastOfCycle({ threadCount, periodsPerCycle });
    if (completed) {
      if (bits.length !== periodsPerCycle * threadCount) {
        throw new PoSError(
          `cycle ${c} completes with ${bits.length} seed bits instead of ${periodsPerCycle * threadCount}`,
        );
      }
      kv.put(cycleKey(c, COMPLETE), Uint8Array.of(1));
    }
    return { cycle: c, completed };
  }

  /** Stores the final state hash snapshot of `cycle` (written after each of its slots, like Massa). */
  putSnapshot(kv: KvWrite, cycle: number, hash512: Uint8Array): void {
    kv.put(cycleKey(cycle, SNAPSHOT), concatBytes(Uint8Array.of(0x31), hash512));
  }

  rollCounts(kv: KvRead, cycle: number): [Address, bigint][] {
    const p = cycleKey(cycle, ROLLS);
    const out: [Address, bigint][] = [];
    for (const k of kv.keysInRange(p, endOf(p))) {
      const a = Address.fromBytes(k.subarray(p.length), `cycle ${cycle} roll key`);
      out.push([a, readVarintValue(kv.get(k)!, `cycle ${cycle} rolls of ${a}`)]);
    }
    return out.sort(([x], [y]) => compareAddresses(x, y));
  }

  cycleInfo(kv: KvRead, cycle: number): CycleInfo | undefined {
    const flag = kv.get(cycleKey(cycle, COMPLETE));
    if (!flag) return undefined;
    const snap = kv.get(cycleKey(cycle, SNAPSHOT));
    if (!snap || (!(snap[0] === 0x30 && snap.length === 1) && !(snap[0] === 0x31 && snap.length === 513))) {
      throw new PoSError(`cycle ${cycle}: corrupt final state hash snapshot`);
    }
    const last = kv.get(cycleKey(cycle, LAST_SLOT));
    const statsPrefix = cycleKey(cycle, STATS);
    const stats = new Map<string, [Address, ProductionStats]>();
    for (const k of kv.keysInRange(statsPrefix, endOf(statsPrefix))) {
      const a = Address.fromBytes(
        k.subarray(statsPrefix.length, statsPrefix.length + 34),
        `cycle ${cycle} stats key`,
      );
      const field = STAT_FIELDS[k[k.length - 1]!];
      if (!field || k.length !== statsPrefix.length + 35)
        throw new PoSError(`cycle ${cycle}: corrupt production stats key`);
      const entry = stats.get(a.key) ?? [
        a,
        { blockSuccess: 0n, blockFailure: 0n, endorsementSuccess: 0n, endorsementFailure: 0n },
      ];
      entry[1][field] = readVarintValue(kv.get(k)!, `cycle ${cycle} ${field} of ${a}`);
      stats.set(a.key, entry);
    }
    return {
      cycle,
      complete: flag[0] === 1,
      lastFinalSlot: last ? Slot.fromKey(last, `cycle ${cycle} last final slot`) : undefined,
      rollCounts: this.rollCounts(kv, cycle),
      seedBits: decodeSeedBits(
        kv.get(cycleKey(cycle, SEED)) ?? encodeSeedBits([]),
        `cycle ${cycle} rng seed`,
      ),
      productionStats: [...stats.values()].sort(([x], [y]) => compareAddresses(x, y)),
      finalStateHashSnapshot: snap[0] === 0x31 ? snap.slice(1) : undefined,
    };
  }

  /** Roll count of `address` in `cycle` (0 when absent). */
  rollsOf(kv: KvRead, cycle: number, address: Address): bigint {
    const v = kv.get(cycleKey(cycle, ROLLS, address.bytes));
    return v === undefined ? 0n : readVarintValue(v, `cycle ${cycle} rolls of ${address}`);
  }

  /** The deferred credit of `address` at `slot`, if any. */
  deferredCredit(kv: KvRead, slot: Slot, address: Address): Amount | undefined {
    const v = kv.get(deferredCreditKey(slot, address));
    return v === undefined ? undefined : Amount.fromNano(readVarintValue(v, `deferred credit of ${address}`));
  }

  /** Every deferred credit at a slot ≤ `slot`, in (slot, address) order. */
  deferredCreditsUpTo(kv: KvRead, slot: Slot, threadCount: number): [Slot, Address, Amount][] {
    const out: [Slot, Address, Amount][] = [];
    const end = endOf(concatBytes(DEFERRED_CREDITS_PREFIX, slot.toKey()));
    const n = DEFERRED_CREDITS_PREFIX.length;
    for (const k of kv.keysInRange(DEFERRED_CREDITS_PREFIX, end)) {
      const s = Slot.fromKey(k.subarray(n, n + 9), "deferred credit slot");
      if (s.thread >= threadCount) throw new PoSError(`deferred credit key with thread ${s.thread}`);
      const a = Address.fromBytes(k.subarray(n + 9), "deferred credit key");
      out.push([s, a, Amount.fromNano(readVarintValue(kv.get(k)!, `deferred credit of ${a}`))]);
    }
    return out;
  }

  /** Deferred credits due at `slot` (absolute amounts), in address order. */
  deferredCreditsAt(kv: KvRead, slot: Slot): [Address, Amount][] {
    const p = concatBytes(DEFERRED_CREDITS_PREFIX, slot.toKey());
    const out: [Address, Amount][] = [];
    for (const k of kv.keysInRange(p, endOf(p))) {
      const a = Address.fromBytes(k.subarray(p.length), "deferred credit key");
      out.push([a, Amount.fromNano(readVarintValue(kv.get(k)!, `deferred credit of ${a}`))]);
    }
    return out;
  }
}
