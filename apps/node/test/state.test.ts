import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FinalState } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, SecretKey, Slot, toHex } from "@massa-ts/models";
import { afterAll, describe, expect, it } from "vitest";
import { runCliInProcess } from "./cli-helper.ts";

const root = mkdtempSync(join(tmpdir(), "massa-ts-state-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("massa-ts state", () => {
  it("prints the last final slot, the state fingerprint, the ledger size and the cycles, read-only", async () => {
    const dir = join(root, "data");
    const fs = await FinalState.open({ path: dir, chainId: 9n, threadCount: 2, periodsPerCycle: 2 });
    const ledger = new LedgerChanges();
    for (let i = 0; i < 3; i++) {
      const a = Address.fromPublicKey(SecretKey.generate().publicKey);
      ledger.createAddress(a);
      ledger.setBalance(a, Amount.fromMas(String(i + 1)));
    }
    fs.initGenesis(ledger, []);
    for (let s = new Slot(1, 0); Slot.compare(s, new Slot(2, 0)) <= 0; s = s.next(2)) {
      fs.settleSlot(s, { ledgerChanges: new LedgerChanges(), pos: { seedBits: [s.missedSeedBit()] } });
    }
    const hash = fs.stateHash;
    await fs.close();
    const res = await runCliInProcess(["state", "--data-dir", dir]);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.lastFinalSlot).toEqual({ period: 2, thread: 0 });
    expect(out.finalStateFingerprint).toBe(hash.toString());
    expect(out.finalStateFingerprintHex).toBe(toHex(hash.fingerprint()));
    expect(out.ledgerEntries).toBe(3);
    expect(out.cycles).toEqual([
      { cycle: 0, complete: true },
      { cycle: 1, complete: false },
    ]);
    // Read-only: the store is unchanged and still opens for writing afterwards.
    const again = await FinalState.open({ path: dir, chainId: 9n, threadCount: 2, periodsPerCycle: 2 });
    expect(toHex(again.stateHash.bytes)).toBe(toHex(hash.bytes));
    await again.close();
  });

  it("says clearly when the directory holds no final state", async () => {
    const res = await runCliInProcess(["state", "--data-dir", join(tmpdir(), "massa-ts-no-such-dir-xyz")]);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim()).toMatch(/^massa-ts: .*does not exist$/);
  });
});
