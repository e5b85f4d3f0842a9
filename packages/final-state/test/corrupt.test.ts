import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FinalState } from "@massa-ts/final-state";
import { balanceKey, LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, concatBytes, DecodeError, Slot, u64be } from "@massa-ts/models";
import { open } from "lmdb";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-corrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const A = new Address("user", new Uint8Array(32).fill(4));

async function store(name: string) {
  const path = join(dir, name);
  const fs = await FinalState.open({ path, chainId: 1n, threadCount: 2, periodsPerCycle: 2 });
  const l = new LedgerChanges();
  l.createAddress(A);
  l.setBalance(A, Amount.fromMas("3"));
  fs.initGenesis(l, [[A, 1n]]);
  fs.settleSlot(new Slot(1, 0), { ledgerChanges: new LedgerChanges(), pos: { seedBits: [true] } });
  await fs.close();
  return path;
}

/** Writes raw bytes into a sub-database behind the store's back. */
async function tamper(path: string, db: "state" | "meta", key: Uint8Array, value: Uint8Array) {
  const root = open({ path, maxDbs: 4 });
  const d = root.openDB<Uint8Array, Uint8Array>({ name: db, keyEncoding: "binary", encoding: "binary" });
  await d.put(Buffer.from(key), Buffer.from(value));
  await root.close();
}

describe("corrupt stores", () => {
  it("a truncated balance value is a DecodeError naming the address", async () => {
    const path = await store("balance");
    await tamper(path, "state", balanceKey(A), Uint8Array.of(0x80));
    const fs = await FinalState.open({ path, chainId: 1n, threadCount: 2, periodsPerCycle: 2 });
    expect(() => fs.ledger.getBalance(A)).toThrow(DecodeError);
    expect(() => fs.ledger.getBalance(A)).toThrow(A.toString());
    await fs.close();
  });

  it("a garbage cycle flag is a PoS error naming the cycle", async () => {
    const path = await store("cycle");
    const key = concatBytes(new TextEncoder().encode("cycle_history/"), u64be(0), Uint8Array.of(0));
    await tamper(path, "state", key, Uint8Array.of(7, 7));
    const fs = await FinalState.open({ path, chainId: 1n, threadCount: 2, periodsPerCycle: 2 });
    expect(() => fs.cycles()).toThrow(/cycle 0: corrupt complete flag/);
    await fs.close();
  });

  it("a torn journal record is refused at open, naming the journal, and the store is left as it was", async () => {
    const path = await store("journal");
    // the next record number after everything applied (meta `a`), with a value cut inside its header
    const state = open({ path, maxDbs: 4 });
    const applied = state
      .openDB<Uint8Array, Uint8Array>({ name: "meta", keyEncoding: "binary", encoding: "binary" })
      .getBinary(Buffer.from([0x61]))!;
    const next = Number(Buffer.from(applied).readBigUInt64BE(0)) + 1;
    await state.close();
    const root = open({ path: join(path, "journal"), maxDbs: 2 });
    const j = root.openDB<Uint8Array, Uint8Array>({
      name: "journal",
      keyEncoding: "binary",
      encoding: "binary",
    });
    await j.put(Buffer.from(u64be(next)), Buffer.from(new Uint8Array(20)));
    await root.close();
    await expect(FinalState.open({ path, chainId: 1n, threadCount: 2, periodsPerCycle: 2 })).rejects.toThrow(
      new RegExp(`journal.*record ${next} is truncated`),
    );
    // still refused the second time: nothing was dropped or rewritten
    await expect(FinalState.open({ path, chainId: 1n, threadCount: 2, periodsPerCycle: 2 })).rejects.toThrow(
      /FINAL_STATE_CORRUPT|truncated/,
    );
  });

  it("a truncated stored hash or last slot is refused at open, and the store is left as it was", async () => {
    const path = await store("meta");
    await tamper(path, "meta", Uint8Array.of(0x68), new Uint8Array(100));
    await expect(FinalState.open({ path, chainId: 1n, threadCount: 2, periodsPerCycle: 2 })).rejects.toThrow(
      /stored state hash has 100 bytes/,
    );
    const path2 = await store("slot");
    await tamper(path2, "meta", Uint8Array.of(0x63), Uint8Array.of(1, 2, 3));
    await expect(
      FinalState.open({ path: path2, chainId: 1n, threadCount: 2, periodsPerCycle: 2 }),
    ).rejects.toThrow(/FINAL_STATE_CORRUPT|last settled slot/);
  });
});
