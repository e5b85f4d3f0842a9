import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entryHash, FinalState, FinalStateError, loadStateHasher, StateHash } from "@massa-ts/final-state";
import { entryHashReference } from "@massa-ts/final-state/testing";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, OperationId, Slot, toHex, u64be } from "@massa-ts/models";
import fc from "fast-check";
import { open } from "lmdb";
import { afterAll, describe, expect, it, vi } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-final-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `fs-${n++}`);
const T = 4;
const addr = (i: number) => new Address("user", new Uint8Array(32).fill(i));

/** Deterministic changes for slot number k: create or update a few addresses. */
function changesFor(k: number): LedgerChanges {
  const c = new LedgerChanges();
  for (let j = 0; j < 3; j++) {
    const a = addr((k * 7 + j * 3) % 20);
    c.createAddress(a);
    c.setBalance(a, Amount.fromNano(BigInt(k * 1000 + j)));
    if (j === 1) c.setDataEntry(a, Uint8Array.of((k % 5) + 1), Uint8Array.of(k, j));
  }
  return c;
}

function settleRange(fs: FinalState, from: number, to: number): void {
  for (let k = from; k < to; k++) fs.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: changesFor(k) });
}

describe("final state hash", () => {
  it("the WASM BLAKE3 (hash-wasm) gives exactly @noble/hashes' XOF-512 bytes", async () => {
    await loadStateHasher();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 2000 }), (k, v) => {
        expect(toHex(entryHash(k, v))).toBe(toHex(entryHashReference(k, v)));
      }),
      { numRuns: 300 },
    );
  });

  it("the one-chunk WebAssembly kernel XORs exactly @noble/hashes' XOF-512 into the hash, 0..1100 bytes", () => {
    // StateHash.toggle uses the kernel up to 1024 input bytes (16 + key + value) and hash-wasm beyond.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 0, max: 1000 }), (k, vl) => {
        const v = new Uint8Array(vl).map((_, i) => (i * 31 + k.length) & 0xff);
        const h = new StateHash();
        h.toggle(k, v);
        expect(toHex(h.bytes)).toBe(toHex(entryHashReference(k, v)));
        h.toggle(k, v);
        expect(h.bytes.every((b) => b === 0)).toBe(true);
      }),
      { numRuns: 400 },
    );
    // every block-boundary length: 1008 = 1024 − 16 is the last one the kernel takes
    for (const vl of [0, 48, 49, 112, 113, 1008 - 43, 1009 - 43]) {
      const k = new Uint8Array(43).fill(9);
      const h = new StateHash();
      h.toggle(k, new Uint8Array(vl).fill(5));
      expect(toHex(h.bytes)).toBe(toHex(entryHashReference(k, new Uint8Array(vl).fill(5))));
    }
  });

  it("batches of entries (past the stage's size, two hashes interleaved, long values among them) give the reference XOR", () => {
    const xor = (acc: Uint8Array, h: Uint8Array) => {
      for (let i = 0; i < acc.length; i++) acc[i]! ^= h[i]!;
    };
    const want = [new Uint8Array(512), new Uint8Array(512)];
    const hashes = [new StateHash(), new StateHash()];
    for (let i = 0; i < 700; i++) {
      const which = i % 7 === 0 ? 1 : 0; // the other hash now and then: the staged entries must not mix
      const k = Uint8Array.of(i & 0xff, i >> 8, 7);
      const v = new Uint8Array(i % 50 === 0 ? 1500 : (i * 37) % 900).fill(i & 0xff);
      hashes[which]!.toggle(k, v);
      xor(want[which]!, entryHashReference(k, v));
      if (i === 350) expect(toHex(hashes[0]!.bytes)).toBe(toHex(want[0]!)); // a read mid-way
    }
    expect(toHex(hashes[0]!.bytes)).toBe(toHex(want[0]!));
    expect(toHex(hashes[1]!.bytes)).toBe(toHex(want[1]!));
    expect(toHex(hashes[0]!.clone().bytes)).toBe(toHex(want[0]!));
  });

  it("is an order-independent XOR: toggling entries in any order gives the same bytes; toggling twice cancels", () => {
    const entries = Array.from({ length: 20 }, (_, i) => [Uint8Array.of(i), Uint8Array.of(i, i)] as const);
    const a = new StateHash();
    const b = new StateHash();
    for (const [k, v] of entries) a.toggle(k, v);
    for (const [k, v] of [...entries].reverse()) b.toggle(k, v);
    expect(toHex(a.bytes)).toBe(toHex(b.bytes));
    for (const [k, v] of entries) a.toggle(k, v);
    expect(toHex(a.bytes)).toBe("00".repeat(512));
    expect(entryHash(Uint8Array.of(1), Uint8Array.of(2))).toHaveLength(512);
  });

  it("updated per slot equals a full recomputation over the stored state", async () => {
    const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    settleRange(fs, 0, 40);
    expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
    expect(fs.stateHash.toString()).toMatch(/^[1-9A-HJ-NP-Za-km-z]+$/);
    await fs.close();
  });

  it("overwrites and deletes of values already in the B-tree hash the stored old value out exactly", async () => {
    // the old value of a write is read from the B-tree without a copy (lmdb's shared read buffer): values
    // shorter and longer than before, and deletes
    const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    const a = addr(1);
    const b = addr(2);
    const first = new LedgerChanges();
    first.createAddress(a);
    first.setBalance(a, Amount.fromNano(123_456_789_012n)); // a 6-byte varint
    first.setDataEntry(a, Uint8Array.of(1), new Uint8Array(200).fill(7));
    first.setDataEntry(a, Uint8Array.of(2), Uint8Array.of(5));
    first.createAddress(b);
    first.setBalance(b, Amount.fromNano(5n));
    fs.settleSlot(Slot.fromIndex(4, T), { ledgerChanges: first });
    await fs.drain(); // the B-tree holds them; the overlay is empty
    expect(fs.backlog.pendingKeys).toBe(0);
    const second = new LedgerChanges();
    second.setBalance(a, Amount.fromNano(9n)); // shorter
    second.setDataEntry(a, Uint8Array.of(1), Uint8Array.of(1, 2, 3)); // shorter
    second.setDataEntry(a, Uint8Array.of(2), new Uint8Array(900).fill(3)); // longer
    second.setBalance(b, Amount.fromNano(2n ** 60n)); // longer
    fs.settleSlot(Slot.fromIndex(5, T), { ledgerChanges: second });
    const third = new LedgerChanges();
    third.deleteDataEntry(a, Uint8Array.of(2));
    third.deleteAddress(b);
    await fs.drain();
    fs.settleSlot(Slot.fromIndex(6, T), { ledgerChanges: third });
    // the full recomputation reads every value with a copy (range reads), hashed by the kernel tested above
    expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
    await fs.drain();
    expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
    await fs.close();
  });

  it("depends on the content only: two histories reaching the same ledger have the same hash", async () => {
    const x = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    const y = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    const final = new LedgerChanges();
    final.createAddress(addr(1));
    final.setBalance(addr(1), Amount.fromMas("5"));
    const detour = new LedgerChanges();
    detour.createAddress(addr(1));
    detour.setBalance(addr(1), Amount.fromMas("9"));
    detour.setDataEntry(addr(1), Uint8Array.of(1), Uint8Array.of(2));
    x.settleSlot(new Slot(0, 0), { ledgerChanges: final });
    y.settleSlot(new Slot(0, 0), { ledgerChanges: detour });
    const back = new LedgerChanges();
    back.createAddress(addr(1));
    back.setBalance(addr(1), Amount.fromMas("5"));
    y.settleSlot(new Slot(0, 1), { ledgerChanges: back });
    expect(toHex(y.stateHash.bytes)).toBe(toHex(x.stateHash.bytes));
    expect(x.ledger.getBalance(addr(1))?.toString()).toBe("5");
    await x.close();
    await y.close();
  });
});

describe("settleSlot", () => {
  it("accepts exactly the next slot and refuses others with a clear error, changing nothing", async () => {
    const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    settleRange(fs, 0, 5);
    const before = toHex(fs.stateHash.bytes);
    expect(() => fs.settleSlot(new Slot(3, 0), { ledgerChanges: changesFor(12) })).toThrow(
      /final state is at \(period: 1, thread: 0\), so the next slot is \(period: 1, thread: 1\)/,
    );
    expect(() => fs.settleSlot(new Slot(1, 0), { ledgerChanges: changesFor(4) })).toThrow(FinalStateError);
    expect(toHex(fs.stateHash.bytes)).toBe(before);
    expect(fs.lastFinalSlot?.equals(new Slot(1, 0))).toBe(true);
    await fs.close();
  });

  it("a slot whose changes are invalid is not applied at all (one transaction)", async () => {
    const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    settleRange(fs, 0, 3);
    const before = toHex(fs.stateHash.bytes);
    const bad = changesFor(3);
    bad.createAddress(addr(30));
    bad.setDataEntry(addr(30), new Uint8Array(300), Uint8Array.of(1));
    expect(() => fs.settleSlot(Slot.fromIndex(3, T), { ledgerChanges: bad })).toThrow(/1\.\.255/);
    expect(fs.lastFinalSlot?.equals(Slot.fromIndex(2, T))).toBe(true);
    expect(toHex(fs.stateHash.bytes)).toBe(before);
    expect(toHex(fs.recomputeHash().bytes)).toBe(before);
    await fs.close();
  });

  it("survives a restart: the reopened store continues from its last slot with the same hash as a clean replay", async () => {
    const path = fresh();
    const a = await FinalState.open({ path, chainId: 77n, threadCount: T });
    settleRange(a, 0, 25);
    await a.close();
    const b = await FinalState.open({ path, chainId: 77n, threadCount: T });
    expect(b.lastFinalSlot?.equals(Slot.fromIndex(24, T))).toBe(true);
    settleRange(b, 25, 50);
    const replay = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    settleRange(replay, 0, 50);
    expect(toHex(b.stateHash.bytes)).toBe(toHex(replay.stateHash.bytes));
    expect(b.countLedgerEntries()).toBe(replay.countLedgerEntries());
    expect(b.countLedgerEntries()).toBeGreaterThan(0);
    await b.close();
    await replay.close();
  });

  it("refuses a data dir made for another chain id, and leaves it untouched", async () => {
    const path = fresh();
    const a = await FinalState.open({ path, chainId: 77n, threadCount: T });
    settleRange(a, 0, 3);
    const hash = toHex(a.stateHash.bytes);
    await a.close();
    await expect(FinalState.open({ path, chainId: 78n, threadCount: T })).rejects.toThrow(/another chain/);
    const again = await FinalState.open({ path, chainId: 77n, threadCount: T });
    expect(toHex(again.stateHash.bytes)).toBe(hash);
    await again.close();
  });
});

describe("journal and background apply", () => {
  it("reads see settled slots before the B-tree has them; a full backlog refuses, drain() empties it", async () => {
    const path = fresh();
    const fs = await FinalState.open({ path, chainId: 77n, threadCount: T, maxBacklog: 8 });
    // No await between settles: the background apply cannot finish, records pile up in the journal.
    settleRange(fs, 0, 8);
    expect(fs.backlog.records).toBe(8);
    const err = (() => {
      try {
        settleRange(fs, 8, 9);
      } catch (e) {
        return e as FinalStateError;
      }
    })();
    expect(err?.code).toBe("APPLY_BACKLOG_FULL");
    expect(err?.message).toMatch(/drain\(\)/);
    // Reads already see slot 7: balance, datastore keys (overlay merged with the B-tree), the hash.
    const a = addr((7 * 7 + 1 * 3) % 20);
    expect(fs.ledger.getBalance(a)?.nano).toBe(7001n);
    expect(fs.ledger.getDatastoreKeys(a)?.map((k) => k[0])).toContain(3);
    expect(toHex(fs.recomputeHash().bytes)).toBe(toHex(fs.stateHash.bytes));
    const hashAt7 = toHex(fs.stateHash.bytes);
    await fs.drain();
    expect(fs.backlog).toEqual({ records: 0, pendingKeys: 0 });
    expect(fs.ledger.getBalance(a)?.nano).toBe(7001n);
    expect(toHex(fs.recomputeHash().bytes)).toBe(hashAt7);
    settleRange(fs, 8, 12);
    await fs.close();
    // Reopened after close: everything applied, nothing left in the journal.
    const again = await FinalState.open({ path, chainId: 77n, threadCount: T });
    expect(again.backlog.records).toBe(0);
    expect(again.lastFinalSlot?.index(T)).toBe(11);
    const replay = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    settleRange(replay, 0, 12);
    expect(toHex(again.stateHash.bytes)).toBe(toHex(replay.stateHash.bytes));
    await Promise.all([again.close(), replay.close()]);
  });

  it("records after a missing one are dropped at open: each builds on the one before", async () => {
    const path = fresh();
    const fs = await FinalState.open({ path, chainId: 77n, threadCount: T });
    settleRange(fs, 0, 4);
    await fs.flushed();
    const hashAt3 = toHex(fs.stateHash.bytes);
    await fs.close(); // drained: records 1..4 applied and trimmed
    // A journal whose record 5 was lost (its write failed) while 6 and 7 were written: written by hand.
    const jr = open({ path: join(path, "journal"), maxDbs: 2 });
    const j = jr.openDB<Uint8Array, Uint8Array>({
      name: "journal",
      keyEncoding: "binary",
      encoding: "binary",
    });
    for (const seq of [6, 7]) {
      const value = new Uint8Array(9 + 512);
      value.set(Slot.fromIndex(seq - 1, T).toKey());
      await j.put(Buffer.from(u64be(seq)), Buffer.from(value));
    }
    await jr.close();
    const again = await FinalState.open({ path, chainId: 77n, threadCount: T });
    expect(again.lastFinalSlot?.index(T)).toBe(3);
    expect(again.backlog.records).toBe(0);
    expect(toHex(again.stateHash.bytes)).toBe(hashAt3);
    settleRange(again, 4, 5); // settling goes on from slot 4, as record 5
    await again.close();
    const check = open({ path: join(path, "journal"), maxDbs: 2 });
    const left = [
      ...check.openDB({ name: "journal", keyEncoding: "binary", encoding: "binary" }).getKeys({}),
    ];
    expect(left).toEqual([]); // the dropped records were removed, the new one applied and trimmed
    await check.close();
  });

  it("a record that fails half-way rolls the overlay back: reads and hash as before", async () => {
    const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T, periodsPerCycle: 4 });
    const g = new LedgerChanges();
    g.createAddress(addr(1));
    g.setBalance(addr(1), Amount.fromMas("5"));
    fs.initGenesis(g, [[addr(1), 1n]]);
    const before = toHex(fs.stateHash.bytes);
    // The ledger part is written first, then the missing PoS changes are refused.
    const c = new LedgerChanges();
    c.setBalance(addr(1), Amount.fromMas("7"));
    c.createAddress(addr(2));
    c.setBalance(addr(2), Amount.fromMas("1"));
    expect(() => fs.settleSlot(new Slot(1, 0), { ledgerChanges: c })).toThrow(/PoS/);
    expect(fs.ledger.getBalance(addr(1))?.toString()).toBe("5");
    expect(fs.ledger.entryExists(addr(2))).toBe(false);
    expect(toHex(fs.stateHash.bytes)).toBe(before);
    expect(toHex(fs.recomputeHash().bytes)).toBe(before);
    await fs.close();
  });
});

describe("executed operations", () => {
  it("are recorded with their status and pruned 10 periods after their expiry slot (Massa's example)", async () => {
    const path = fresh();
    const fs = await FinalState.open({ path, chainId: 77n, threadCount: T });
    const ok = new OperationId(new Uint8Array(32).fill(1));
    const failed = new OperationId(new Uint8Array(32).fill(2));
    const later = new OperationId(new Uint8Array(32).fill(3));
    // (1, 0) expiry for two ops, settled at slot (0, 0); a third expiring at (2, 0).
    fs.settleSlot(new Slot(0, 0), {
      ledgerChanges: new LedgerChanges(),
      executedOps: [
        { id: ok, success: true, expirySlot: new Slot(1, 0) },
        { id: failed, success: false, expirySlot: new Slot(1, 0) },
        { id: later, success: true, expirySlot: new Slot(2, 0) },
      ],
    });
    expect(fs.executedOpStatus(ok)).toBe(true);
    expect(fs.executedOpStatus(failed)).toBe(false);
    for (let k = 1; Slot.fromIndex(k, T).compare(new Slot(11, 0)) <= 0; k++) {
      fs.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: new LedgerChanges() });
    }
    // At (11, 0) the bound is (1, 0): an op expiring at (1, 0) is not before it, so it is kept.
    expect(fs.isExecuted(ok)).toBe(true);
    await fs.close();
    // Reopen (the pruning index is rebuilt from the DB), then settle (11, 1): bound (1, 1) prunes both.
    const again = await FinalState.open({ path, chainId: 77n, threadCount: T });
    again.settleSlot(new Slot(11, 1), { ledgerChanges: new LedgerChanges() });
    expect(again.isExecuted(ok)).toBe(false);
    expect(again.executedOpStatus(failed)).toBeUndefined();
    expect(again.isExecuted(later)).toBe(true);
    for (let k = Slot.fromIndex(0, T).index(T) + 11 * T + 2; k <= 12 * T + 3; k++) {
      again.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: new LedgerChanges() });
    }
    expect(again.lastFinalSlot?.equals(new Slot(12, 3))).toBe(true);
    expect(again.isExecuted(later)).toBe(false);
    expect(toHex(again.stateHash.bytes)).toBe(toHex(again.recomputeHash().bytes));
    await again.close();
  });
});

describe("executed operations written without reading the B-tree", () => {
  // settling writes an operation its index does not hold as a new key (no B-tree read): the hash must still
  // be exactly the XOR over the state's entries (recomputed by a full scan), whether the key's last delete
  // is still in the pending overlay or already in the B-tree
  for (const drained of [false, true]) {
    it(`an operation recorded again after its record was pruned (${drained ? "applied" : "still pending"})`, async () => {
      const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
      const op = new OperationId(new Uint8Array(32).fill(9));
      fs.settleSlot(new Slot(0, 0), {
        ledgerChanges: new LedgerChanges(),
        executedOps: [{ id: op, success: true, expirySlot: new Slot(1, 0) }],
      });
      // (11, 1) is the first slot whose bound (1, 1) is after the expiry (1, 0): the record is deleted there
      let k = 1;
      for (; Slot.fromIndex(k, T).compare(new Slot(11, 1)) <= 0; k++)
        fs.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: new LedgerChanges() });
      expect(fs.isExecuted(op)).toBe(false);
      if (drained) await fs.drain();
      fs.settleSlot(Slot.fromIndex(k, T), {
        ledgerChanges: new LedgerChanges(),
        executedOps: [{ id: op, success: false, expirySlot: new Slot(20, 0) }],
      });
      expect(fs.executedOpStatus(op)).toBe(false);
      expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
      await fs.drain();
      expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
      await fs.close();
    });
  }
});

describe("executed operations written twice", () => {
  it("an operation the state holds, written again, replaces its record in the hash (its B-tree entry is read)", async () => {
    const fs = await FinalState.open({ path: fresh(), chainId: 77n, threadCount: T });
    const op = new OperationId(new Uint8Array(32).fill(5));
    fs.settleSlot(new Slot(0, 0), {
      ledgerChanges: new LedgerChanges(),
      executedOps: [{ id: op, success: true, expirySlot: new Slot(3, 0) }],
    });
    await fs.drain(); // in the B-tree, not in the overlay any more
    fs.settleSlot(new Slot(0, 1), {
      ledgerChanges: new LedgerChanges(),
      executedOps: [{ id: op, success: false, expirySlot: new Slot(4, 0) }],
    });
    expect(fs.executedOpStatus(op)).toBe(false);
    expect(toHex(fs.stateHash.bytes)).toBe(toHex(fs.recomputeHash().bytes));
    await fs.close();
  });
});

describe("pending overlay", () => {
  const byteString = (maxLength: number) =>
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength });

  it("SortedKeys keeps byte order through single inserts and sorted batches, small and large (vs a sorted array)", async () => {
    const { SortedKeys } = await import("../src/key-index.ts");
    fc.assert(
      fc.property(
        fc.array(fc.array(byteString(6), { maxLength: 1500 }), { maxLength: 6 }),
        fc.array(byteString(6), { maxLength: 300 }),
        byteString(3),
        (batches, singles, start) => {
          const sk = new SortedKeys();
          const all = new Set<string>();
          batches.forEach((batch, i) => {
            sk.insertSorted([...batch].sort());
            for (const k of batch) all.add(k);
            for (const k of singles.slice(i * 50, i * 50 + 50)) {
              sk.insert(k);
              all.add(k);
            }
          });
          const want = [...all].sort();
          expect([...sk.from("")]).toEqual(want);
          expect([...sk.from(start)]).toEqual(want.filter((k) => k >= start));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("KeyIndex yields its keys in byte order across families, keys added between reads included", async () => {
    const { KeyIndex } = await import("../src/key-index.ts");
    // few first bytes, so that families hold many keys; the empty key too
    const key = fc
      .tuple(fc.constantFrom("", "c", "d", "e", "l", "\u0000", "\u00ff"), byteString(4))
      .map(([f, rest]) => (f === "" ? rest : f + rest));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(key, { maxLength: 400 }), byteString(2)), { maxLength: 8 }),
        (steps) => {
          const index = new KeyIndex();
          const all = new Set<string>();
          for (const [keys, start] of steps) {
            for (const k of keys) {
              index.insert(k);
              all.add(k);
            }
            expect([...index.from(start)]).toEqual([...all].sort().filter((k) => k >= start));
            const end = `${start}l`;
            expect([...index.from(start, end)].filter((k) => k < end)).toEqual(
              [...all].sort().filter((k) => k >= start && k < end),
            );
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a range read sorts only the key families up to its end's", async () => {
    const { KeyIndex, SortedKeys } = await import("../src/key-index.ts");
    const index = new KeyIndex();
    for (let i = 0; i < 1000; i++) index.insert(`ledger/${i}`);
    for (let i = 0; i < 10; i++) index.insert(`cycle_history/${9 - i}`);
    const sorted: number[] = [];
    const original = SortedKeys.prototype.insertSorted;
    const spy = vi.spyOn(SortedKeys.prototype, "insertSorted").mockImplementation(function (
      this: InstanceType<typeof SortedKeys>,
      batch: readonly string[],
    ) {
      sorted.push(batch.length);
      original.call(this, batch);
    });
    try {
      const keys = [...index.from("cycle_history/", "cycle_history0")];
      expect(keys).toEqual(Array.from({ length: 10 }, (_, i) => `cycle_history/${i}`));
      expect(sorted).toEqual([10]); // the ledger family stays unsorted
      expect([...index.from("l")].length).toBe(1000);
      expect(sorted).toEqual([10, 1000]);
    } finally {
      spy.mockRestore();
    }
  });

  it("reads through the overlay then the B-tree see every key's newest value while records are applied, pruned and rolled back", async () => {
    // A model: each record writes or deletes keys; the simulated B-tree takes the records in order as
    // they are applied (then the overlay is pruned); a record may fail half-way and be rolled back. At any
    // point, a point read (overlay, else B-tree) and a range read (overlay merged over the B-tree) must
    // give exactly the newest value each key was given by the records committed so far.
    const { PendingWrites } = await import("../src/pending.ts");
    const seed = Date.now() % 2 ** 31;
    console.log(`overlay model test seed ${seed}`);
    const key = fc.constantFrom("a", "b", "c", "l1", "l2", "l3", "e1", "e2", "x");
    const record = fc.record({
      writes: fc.array(fc.tuple(key, fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined })), {
        maxLength: 6,
      }),
      fails: fc.boolean(),
      applyUpTo: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), (records) => {
        const pending = new PendingWrites();
        const btree = new Map<string, number>();
        const newest = new Map<string, number | null>(); // committed so far
        const committed: { seq: number; writes: [string, number | null][] }[] = [];
        let applied = 0;
        let seq = 1;
        const read = (k: string): number | undefined => {
          const v = pending.lookupString(k);
          if (v !== undefined) return v === null ? undefined : v[0];
          return btree.get(k);
        };
        const check = () => {
          for (const k of ["a", "b", "c", "l1", "l2", "l3", "e1", "e2", "x", "zz"]) {
            const want = newest.get(k);
            expect(read(k), k).toBe(want === null ? undefined : want);
          }
          for (const [start, end] of [
            ["", undefined],
            ["b", "l2"],
            ["e", "f"],
            ["l2", undefined],
          ] as const) {
            const got = new Map<string, number>();
            for (const [k, v] of btree) if (k >= start && (end === undefined || k < end)) got.set(k, v);
            let last = "";
            let first = true;
            for (const [k, v] of pending.range(start, end)) {
              expect(first || k > last, "range keys strictly increasing").toBe(true);
              first = false;
              last = k;
              if (v === null) got.delete(k);
              else got.set(k, v[0]!);
            }
            const want = [...newest]
              .filter(([k, v]) => v !== null && k >= start && (end === undefined || k < end))
              .sort(([x], [y]) => (x < y ? -1 : 1));
            expect([...got].sort(([x], [y]) => (x < y ? -1 : 1))).toEqual(want);
          }
        };
        for (const r of records) {
          const undo: (string | Uint8Array | null | undefined)[] = [];
          const done: [string, number | null][] = [];
          r.writes.forEach(([k, v], i) => {
            if (r.fails && i === r.writes.length - 1) return;
            pending.setAfterLookup(
              k,
              pending.lookupNewest(k),
              v === undefined ? null : Uint8Array.of(v),
              seq,
              undo,
            );
            done.push([k, v ?? null]);
          });
          if (r.fails && r.writes.length > 0) {
            pending.rollback(undo, seq);
          } else {
            for (const [k, v] of done) newest.set(k, v);
            committed.push({ seq, writes: done });
            seq++;
          }
          check();
          // the background apply catches up to some committed record, then the overlay is pruned
          const upTo = Math.min(seq - 1, applied + r.applyUpTo);
          if (upTo > applied) {
            for (const c of committed)
              if (c.seq > applied && c.seq <= upTo)
                for (const [k, v] of c.writes) v === null ? btree.delete(k) : btree.set(k, v);
            applied = upTo;
            pending.prune(applied);
            check();
          }
        }
        // everything applied: nothing is left in the overlay
        for (const c of committed)
          if (c.seq > applied) for (const [k, v] of c.writes) v === null ? btree.delete(k) : btree.set(k, v);
        pending.prune(seq - 1);
        expect(pending.size).toBe(0);
        check();
      }),
      { numRuns: 300, seed },
    );
  });
});
