import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CycleInfo,
  decodeSeedBits,
  encodeSeedBits,
  FinalState,
  PoSFinalState,
} from "@massa-ts/final-state";
import { type KvWrite, LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, Slot, toHex } from "@massa-ts/models";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-pos-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const T = 2;
const PPC = 4;
const addr = (i: number) => new Address("user", new Uint8Array(32).fill(i));
const A = addr(1);
const B = addr(2);

async function genesisStore(historyLength = 3) {
  const fs = await FinalState.open({
    path: join(dir, `p-${n++}`),
    chainId: 7n,
    threadCount: T,
    periodsPerCycle: PPC,
    historyLength,
  });
  const ledger = new LedgerChanges();
  ledger.createAddress(A);
  ledger.setBalance(A, Amount.fromMas("1000"));
  fs.initGenesis(ledger, [
    [B, 5n],
    [A, 10n],
  ]);
  return fs;
}

/** Settles every slot from (1, 0) through `until`, with one seed bit per slot (slot-hash bit for a miss). */
function settleUntil(
  fs: FinalState,
  until: Slot,
  extra: (s: Slot) => Partial<Parameters<FinalState["settleSlot"]>[1]["pos"]> = () => ({}),
) {
  for (let s = fs.lastFinalSlot!.next(T); Slot.compare(s, until) <= 0; s = s.next(T)) {
    fs.settleSlot(s, {
      ledgerChanges: new LedgerChanges(),
      pos: { seedBits: [s.missedSeedBit()], ...extra(s) },
    });
  }
}

/** An in-memory key-value store in byte order (hex order is byte order) that counts the keys its ranges yield. */
class CountingKv implements KvWrite {
  private readonly map = new Map<string, [Uint8Array, Uint8Array]>();
  keysYielded = 0;
  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(toHex(key))?.[1];
  }
  *keysInRange(start: Uint8Array, end: Uint8Array | undefined): Iterable<Uint8Array> {
    const [lo, hi] = [toHex(start), end && toHex(end)];
    for (const h of [...this.map.keys()].sort()) {
      if (h < lo || (hi !== undefined && h >= hi)) continue;
      this.keysYielded++;
      yield this.map.get(h)![0];
    }
  }
  put(key: Uint8Array, value: Uint8Array): void {
    this.map.set(toHex(key), [key.slice(), value.slice()]);
  }
  delete(key: Uint8Array): void {
    this.map.delete(toHex(key));
  }
}

describe("PoS final state", () => {
  it("lists its cycles with one seek a cycle, not a walk over every staker's rolls and statistics", () => {
    const pos = new PoSFinalState({ threadCount: T, periodsPerCycle: PPC, historyLength: 3 });
    const kv = new CountingKv();
    const stakers = Array.from(
      { length: 150 },
      (_, i) =>
        [
          new Address(
            "user",
            Uint8Array.from({ length: 32 }, (_, j) => (i + j) & 0xff),
          ),
          1n,
        ] as const,
    );
    pos.createInitialCycle(kv, stakers);
    const stats = { blockSuccess: 1n, blockFailure: 0n, endorsementSuccess: 2n, endorsementFailure: 0n };
    for (let s = new Slot(1, 0); s.period < PPC * 4; s = s.next(T)) {
      pos.applySlot(kv, s, { seedBits: [false], productionStats: stakers.map(([a]) => [a, stats] as const) });
    }
    kv.keysYielded = 0;
    expect(pos.cycles(kv)).toEqual([
      { cycle: 1, complete: true },
      { cycle: 2, complete: true },
      { cycle: 3, complete: true },
    ]);
    // three cycles of 150 stakers' rolls and four statistics each: a walk would yield thousands of keys
    expect(kv.keysYielded).toBeLessThanOrEqual(4);
  });

  it("passes over cycle history keys that hold no cycle number, and stops at cycle numbers no history reaches", () => {
    const pos = new PoSFinalState({ threadCount: T, periodsPerCycle: PPC, historyLength: 3 });
    const kv = new CountingKv();
    pos.createInitialCycle(kv, [[A, 1n]]);
    const prefix = new TextEncoder().encode("cycle_history/");
    // before cycle 0 in byte order, too short for a cycle number (a bootstrap server could send it)
    kv.put(Uint8Array.of(...prefix, 0), Uint8Array.of(1));
    const far = new Uint8Array(prefix.length + 9);
    far.set(prefix);
    new DataView(far.buffer).setBigUint64(prefix.length, 1n << 60n);
    kv.put(far, Uint8Array.of(1)); // a "complete" flag of cycle 2^60
    expect(pos.cycles(kv)).toEqual([{ cycle: 0, complete: false }]);
  });

  it("genesis: cycle 0 with the initial rolls (in address order) and threadCount false seed bits", async () => {
    const fs = await genesisStore();
    expect(fs.lastFinalSlot?.equals(new Slot(0, T - 1))).toBe(true);
    const c0 = fs.cycleInfo(0)!;
    expect(c0.complete).toBe(false);
    expect(c0.rollCounts.map(([a, r]) => [a.toString(), r])).toEqual([
      [A.toString(), 10n],
      [B.toString(), 5n],
    ]);
    expect(c0.seedBits).toEqual([false, false]);
    expect(c0.finalStateHashSnapshot).toBeUndefined();
    expect(fs.ledger.getBalance(A)?.toString()).toBe("1000");
    await fs.close();
  });

  it("completes cycles with exactly PPC·T bits, hands them to listeners, copies rolls forward and prunes history", async () => {
    const fs = await genesisStore(3);
    const completed: CycleInfo[] = [];
    fs.onCycleCompleted((info) => completed.push(info));
    settleUntil(fs, new Slot(PPC * 5 - 1, T - 1), (s) =>
      s.equals(new Slot(5, 1))
        ? {
            rollChanges: [
              [A, 0n],
              [addr(3), 2n],
            ],
          }
        : {},
    );
    expect(completed.map((c) => c.cycle)).toEqual([0, 1, 2, 3, 4]);
    for (const c of completed) {
      expect(c.complete).toBe(true);
      expect(c.seedBits).toHaveLength(PPC * T);
      expect(c.finalStateHashSnapshot).toHaveLength(512);
      expect(
        c.lastFinalSlot?.equals(Slot.lastOfCycle(c.cycle, { threadCount: T, periodsPerCycle: PPC })),
      ).toBe(true);
    }
    // Cycle 0's bits: the two genesis bits, then the missed-slot bits of (1,0)…(3,1).
    const expected0 = [false, false];
    for (let s = new Slot(1, 0); s.period < PPC; s = s.next(T)) expected0.push(s.missedSeedBit());
    expect(completed[0]!.seedBits).toEqual(expected0);
    // Roll changes in cycle 1 carry into later cycles; A's zero entry is removed.
    expect(completed[0]!.rollCounts.map(([a]) => a.toString())).toEqual([A.toString(), B.toString()]);
    expect(completed[4]!.rollCounts.map(([a, r]) => [a.toString(), r])).toEqual([
      [B.toString(), 5n],
      [addr(3).toString(), 2n],
    ]);
    // History keeps 3 cycles.
    expect(fs.cycles()).toEqual([
      { cycle: 2, complete: true },
      { cycle: 3, complete: true },
      { cycle: 4, complete: true },
    ]);
    expect(fs.cycleInfo(1)).toBeUndefined();
    expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
    await fs.close();
  });

  it("production stats add up; deferred credits are absolute and zero deletes them", async () => {
    const fs = await genesisStore();
    const one = { blockSuccess: 1n, blockFailure: 0n, endorsementSuccess: 3n, endorsementFailure: 1n };
    const due = new Slot(PPC * 4 - 1, T - 1);
    settleUntil(fs, new Slot(2, 1), (s) => ({
      productionStats: [[A, one]],
      deferredCredits: s.equals(new Slot(1, 0))
        ? [[due, B, Amount.fromMas("200")]]
        : s.equals(new Slot(2, 1))
          ? [[due, A, Amount.fromMas("100")]]
          : [],
    }));
    const stats = fs.cycleInfo(0)!.productionStats;
    expect(stats).toHaveLength(1);
    expect(stats[0]![1]).toEqual({
      blockSuccess: 4n,
      blockFailure: 0n,
      endorsementSuccess: 12n,
      endorsementFailure: 4n,
    });
    expect(fs.deferredCreditsAt(due).map(([a, v]) => [a.toString(), v.toString()])).toEqual([
      [A.toString(), "100"],
      [B.toString(), "200"],
    ]);
    settleUntil(fs, new Slot(3, 0), (s) =>
      s.equals(new Slot(3, 0)) ? { deferredCredits: [[due, B, Amount.ZERO]] } : {},
    );
    expect(fs.deferredCreditsAt(due).map(([a]) => a.toString())).toEqual([A.toString()]);
    await fs.close();
  });

  it("refuses a wrong seed bit count and a slot without PoS changes, changing nothing", async () => {
    const fs = await genesisStore();
    expect(() => fs.settleSlot(new Slot(1, 0), { ledgerChanges: new LedgerChanges() })).toThrow(
      /no PoS changes/,
    );
    settleUntil(fs, new Slot(PPC - 1, 0));
    const before = toHex(fs.stateHash.bytes);
    // The last slot of cycle 0 with two bits: the cycle would hold PPC·T + 1 bits.
    expect(() =>
      fs.settleSlot(new Slot(PPC - 1, 1), {
        ledgerChanges: new LedgerChanges(),
        pos: { seedBits: [true, true] },
      }),
    ).toThrow(/seed bits instead of/);
    expect(toHex(fs.stateHash.bytes)).toBe(before);
    expect(fs.lastFinalSlot?.equals(new Slot(PPC - 1, 0))).toBe(true);
    await fs.close();
  });

  it("seed bits pack least significant bit first (Massa's example byte 0x98)", () => {
    const bits = [false, false, false, true, true, false, false, true];
    expect(toHex(encodeSeedBits(bits))).toBe("0898");
    expect(decodeSeedBits(encodeSeedBits(bits))).toEqual(bits);
  });

  it("downtime interpolation: false seed bits, rolls carried, each new cycle starting with the last one's stats; deterministic", async () => {
    const stats = {
      blockSuccess: 3n,
      blockFailure: 1n,
      endorsementSuccess: 7n,
      endorsementFailure: 2n,
    };
    const run = async () => {
      const fs = await genesisStore(6);
      // the network stops at (5, 0), in cycle 1 (periods 4–7), after A produced there
      settleUntil(fs, new Slot(5, 0), (s) =>
        s.equals(new Slot(4, 1)) ? { productionStats: [[A, stats]] } : {},
      );
      const completed: number[] = [];
      fs.onCycleCompleted((info) => completed.push(info.cycle));
      const progress: [number, number][] = [];
      // the restart: everything up to (15, 1), the end of cycle 3, was missed by the whole network
      const n = await fs.interpolateDowntime(new Slot(15, 1), (d, t) => progress.push([d, t]));
      return { fs, n, completed, progress };
    };
    const a = await run();
    expect(a.n).toBe((15 - 5) * T + 1); // (5,1) … (15,1)
    expect(a.progress.at(-1)).toEqual([a.n, a.n]);
    expect(a.fs.lastFinalSlot?.equals(new Slot(15, 1))).toBe(true);
    expect(a.completed).toEqual([1, 2, 3]); // each reached the listeners (the selector draws 3, 4, 5)
    const c1 = a.fs.cycleInfo(1)!;
    // cycle 1: its real slots' bits, then false for (5,1) … (7,1)
    expect(c1.seedBits.slice(3)).toEqual(new Array(PPC * T - 3).fill(false));
    for (const c of [2, 3]) {
      const info = a.fs.cycleInfo(c)!;
      expect(info.complete).toBe(true);
      expect(info.seedBits).toEqual(new Array(PPC * T).fill(false));
      expect(info.rollCounts).toEqual(c1.rollCounts); // nobody's rolls sold
      expect(info.productionStats).toEqual(c1.productionStats); // the stop is nobody's miss
      expect(info.finalStateHashSnapshot).toBeDefined();
    }
    expect(c1.productionStats).toEqual([[A, stats]]);
    // interpolating again is a no-op; another node interpolating the same downtime gets the same state
    expect(await a.fs.interpolateDowntime(new Slot(15, 1))).toBe(0);
    const b = await run();
    expect(b.fs.stateHash.toString()).toBe(a.fs.stateHash.toString());
    await a.fs.close();
    await b.fs.close();
  });
});
