import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BootstrapCursor, FinalState } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, OperationId, Slot, toHex } from "@massa-ts/models";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-bootstrap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T = 4;
const addr = (i: number) => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, Math.imul(i, 2654435761) >>> 0);
  new DataView(h.buffer).setUint32(4, i);
  return new Address("user", h);
};

async function sourceWith(entries: number, changeHistoryLength = 600) {
  const src = await FinalState.open({
    path: join(dir, `src-${entries}-${changeHistoryLength}`),
    chainId: 3n,
    threadCount: T,
    changeHistoryLength,
  });
  let k = 0;
  for (let i = 0; i < entries; i += 20_000) {
    const c = new LedgerChanges();
    for (let j = i; j < Math.min(entries, i + 20_000); j++) {
      c.createAddress(addr(j));
      c.setBalance(addr(j), Amount.fromNano(BigInt(j + 1)));
      if (j % 1000 === 0) c.setDataEntry(addr(j), Uint8Array.of(1), Uint8Array.of(j & 0xff));
    }
    src.settleSlot(Slot.fromIndex(k++, T), { ledgerChanges: c });
  }
  return { src, next: () => k++ };
}

/** Streams `src`'s whole state to `dst` in parts of 200 bytes; returns the client's cursor at the end. */
function streamAll(src: FinalState, dst: FinalState): BootstrapCursor {
  let cursor: BootstrapCursor = {};
  for (;;) {
    const part = src.bootstrapPart(cursor, 200);
    dst.applyBootstrapPart(part);
    cursor = part.cursor;
    if (part.cursor.finished && part.entries.length === 0) return cursor;
  }
}

/** A slot that touches streamed and unstreamed keys alike: updates, new addresses, datastore deletes. */
function churn(k: number, entries: number): LedgerChanges {
  const c = new LedgerChanges();
  for (let j = 0; j < 300; j++)
    c.setBalance(addr((k * 7919 + j * 331) % entries), Amount.fromNano(BigInt(k * 1000 + j)));
  c.createAddress(addr(entries + k));
  c.setBalance(addr(entries + k), Amount.fromMas("1"));
  c.deleteDataEntry(addr(((k * 3) % (entries / 1000)) * 1000), Uint8Array.of(1));
  return c;
}

describe("bootstrap streaming", () => {
  it("copies a 100 000-entry state while slots keep settling; the copy's hash equals the source's", async () => {
    const N = 100_000;
    const { src, next } = await sourceWith(N);
    const dst = await FinalState.open({ path: join(dir, "dst"), chainId: 3n, threadCount: T });
    let cursor: BootstrapCursor = {};
    let parts = 0;
    let streamed = 0;
    const t0 = performance.now();
    for (;;) {
      const part = src.bootstrapPart(cursor, 300_000);
      dst.applyBootstrapPart(part);
      streamed += part.entries.length;
      parts++;
      cursor = part.cursor;
      if (part.cursor.finished && part.slot.equals(src.lastFinalSlot!) && parts > 2) {
        // One more settle after the stream finished, then the catch-up part.
        const k = next();
        src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: churn(k, N) });
        const last = src.bootstrapPart(cursor, 300_000);
        expect(last.entries).toHaveLength(0);
        expect(last.updates.length).toBeGreaterThan(0);
        dst.applyBootstrapPart(last);
        break;
      }
      if (parts % 2 === 0) {
        const k = next();
        src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: churn(k, N) });
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `bootstrap: ${streamed} entries in ${parts} parts, ${Math.round(streamed / seconds)} entries/s (with settles)`,
    );
    expect(parts).toBeGreaterThan(10);
    expect(dst.lastFinalSlot?.equals(src.lastFinalSlot!)).toBe(true);
    expect(toHex(dst.stateHash.bytes)).toBe(toHex(src.stateHash.bytes));
    expect(toHex(dst.recomputeHash().bytes)).toBe(toHex(src.recomputeHash().bytes));
    expect(dst.countLedgerEntries()).toBe(src.countLedgerEntries());
    // LMDB's own record count (the progress bar's total): equal once both B-trees are applied
    await src.drain();
    await dst.drain();
    expect(dst.approxRecordCount()).toBe(src.approxRecordCount());
    expect(src.approxRecordCount()).toBeGreaterThan(src.countLedgerEntries());
    await src.close();
    await dst.close();
  }, 120_000);

  it("executed operations received through a bootstrap are pruned at their expiry like settled ones", async () => {
    // the rule (Massa's executed-ops pruning): an op whose expiry slot is before (S.period − 10, S.thread)
    // is deleted when S settles, on every node, whether it settled the op itself or received it streamed
    const src = await FinalState.open({ path: join(dir, "ops-src"), chainId: 3n, threadCount: T });
    const ids = Array.from({ length: 8 }, (_, i) => new OperationId(new Uint8Array(32).fill(i + 1)));
    const seed = new LedgerChanges();
    seed.createAddress(addr(1));
    seed.setBalance(addr(1), Amount.fromMas("1"));
    src.settleSlot(new Slot(0, 0), {
      ledgerChanges: seed,
      executedOps: ids.map((id, i) => ({ id, success: i % 2 === 0, expirySlot: new Slot(2, i % T) })),
    });
    for (let k = 1; k < 6; k++) src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: new LedgerChanges() });
    const dst = await FinalState.open({ path: join(dir, "ops-dst"), chainId: 3n, threadCount: T });
    streamAll(src, dst);
    expect(toHex(dst.stateHash.bytes)).toBe(toHex(src.stateHash.bytes));
    expect(ids.every((id) => dst.isExecuted(id))).toBe(true);
    // both settle the same empty slots through period 13: (12, 1) is the first slot whose bound (2, 1) is
    // after an expiry ((2, 0)); (13, 0) prunes the last of them (expiry (2, 3) < (3, 0))
    for (let k = 6; Slot.fromIndex(k, T).period < 14; k++) {
      const s = Slot.fromIndex(k, T);
      src.settleSlot(s, { ledgerChanges: new LedgerChanges() });
      dst.settleSlot(s, { ledgerChanges: new LedgerChanges() });
      expect(toHex(dst.stateHash.bytes), `state hash at ${s}`).toBe(toHex(src.stateHash.bytes));
    }
    expect(ids.some((id) => src.isExecuted(id))).toBe(false);
    expect(ids.some((id) => dst.isExecuted(id))).toBe(false);
    await src.close();
    await dst.close();
  });

  it("a part with an executed-operation key that is not an operation id's is refused, and nothing is applied", async () => {
    // `executed_ops/` ‖ version 0 ‖ a 32-byte hash is the only shape (Massa's key of an executed op); a
    // server that sends another under that prefix sends a state the client could never prune
    const dst = await FinalState.open({ path: join(dir, "badop-dst"), chainId: 3n, threadCount: T });
    const prefix = new TextEncoder().encode("executed_ops/");
    const value = Uint8Array.of(1, 5, 0); // success, expiry slot (5, 0)
    for (const tail of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(32)), new Uint8Array(34)]) {
      const key = Uint8Array.of(...prefix, ...tail);
      expect(() =>
        dst.applyBootstrapPart({ slot: new Slot(3, 0), entries: [[key, value]], updates: [], cursor: {} }),
      ).toThrow(/is not an operation id's/);
      expect(dst.lastFinalSlot).toBeUndefined();
      expect(dst.backlog.pendingKeys).toBe(0);
    }
    // the well-formed key is accepted
    const good = Uint8Array.of(...prefix, 0, ...new Uint8Array(32).fill(9));
    dst.applyBootstrapPart({ slot: new Slot(3, 0), entries: [[good, value]], updates: [], cursor: {} });
    expect(dst.executedOpStatus(new OperationId(new Uint8Array(32).fill(9)))).toBe(true);
    await dst.close();
  });

  it("an executed operation a later part deletes is no longer executed on the client", async () => {
    // the client indexes an op it received, then a later part's updates delete it (the server pruned it in
    // between): the client must answer from its state, not from its index
    const src = await FinalState.open({ path: join(dir, "del-src"), chainId: 3n, threadCount: T });
    const op = new OperationId(new Uint8Array(32).fill(7));
    src.settleSlot(new Slot(0, 0), {
      ledgerChanges: new LedgerChanges(),
      executedOps: [{ id: op, success: true, expirySlot: new Slot(1, 0) }],
    });
    const dst = await FinalState.open({ path: join(dir, "del-dst"), chainId: 3n, threadCount: T });
    const cursor = streamAll(src, dst);
    expect(dst.isExecuted(op)).toBe(true);
    // (11, 1) prunes the op on the server (its bound (1, 1) is after the expiry (1, 0))
    for (let k = 1; Slot.fromIndex(k, T).compare(new Slot(11, 1)) <= 0; k++)
      src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: new LedgerChanges() });
    expect(src.isExecuted(op)).toBe(false);
    const part = src.bootstrapPart(cursor, 200);
    expect(part.updates.some(([, v]) => v === null)).toBe(true);
    dst.applyBootstrapPart(part);
    expect(toHex(dst.stateHash.bytes)).toBe(toHex(src.stateHash.bytes));
    expect(dst.isExecuted(op)).toBe(false);
    expect(dst.executedOpStatus(op)).toBeUndefined();
    await src.close();
    await dst.close();
  });

  it("a client further behind than the change history is told to start over", async () => {
    const { src, next } = await sourceWith(2_000, 3);
    const first = src.bootstrapPart({}, 10_000);
    for (let i = 0; i < 5; i++) {
      const k = next();
      src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: churn(k, 2_000) });
    }
    expect(() => src.bootstrapPart(first.cursor, 10_000)).toThrow(/start over/);
    await src.close();
  });
});
