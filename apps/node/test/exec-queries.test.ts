// The API's reads as the execution thread answers them (exec-thread/queries.ts), on a real final state
// (LMDB in a temp dir) and execution: a get_addresses batch scans the stored deferred credits once, not
// once per address, and reports Massa's zero values for unknown addresses.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Execution } from "@massa-ts/execution";
import { FinalState } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, SecretKey, type SelectionView } from "@massa-ts/models";
import { afterAll, expect, it } from "vitest";
import { addressRows } from "../src/node/exec-thread/queries.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const someAddress = () => Address.fromPublicKey(SecretKey.generate().publicKey);

it("addressRows reads 128 addresses with one scan of the deferred credits, with balances and zero values", async () => {
  const dir = mkdtempSync(join(tmpdir(), "massa-ts-queries-"));
  dirs.push(dir);
  const fs = await FinalState.open({
    path: join(dir, "state"),
    chainId: 77n,
    threadCount: 4,
    periodsPerCycle: 8,
  });
  try {
    const rich = someAddress();
    const l = new LedgerChanges();
    l.createAddress(rich);
    l.setBalance(rich, Amount.fromMas("1234.5"));
    fs.initGenesis(l, [[rich, 3n]]);
    const noDraws = {
      getSelection: () => {
        throw new Error("no draws in this test");
      },
    } as unknown as SelectionView;
    const execution = new Execution(fs, noDraws, { threadCount: 4, periodsPerCycle: 8 });
    let scans = 0;
    const original = fs.deferredCreditsUpTo.bind(fs);
    fs.deferredCreditsUpTo = (slot) => {
      scans++;
      return original(slot);
    };
    const addrs = Array.from({ length: 128 }, someAddress);
    addrs[0] = rich;
    const rows = addressRows(
      { execution, fs, periodsPerCycle: 8, initialRolls: [[rich, 3n]] },
      addrs.map(String),
    );
    expect(scans).toBe(1);
    expect(rows).toHaveLength(128);
    expect(rows[0]).toMatchObject({
      final_balance: "1234.5",
      candidate_balance: "1234.5",
      final_roll_count: 3,
      candidate_roll_count: 3,
      deferred_credits: [],
    });
    expect(rows[1]).toMatchObject({
      final_balance: "0",
      candidate_balance: "0",
      final_roll_count: 0,
      final_datastore_keys: [],
    });
    // cycle 0 is in the history (initial rolls active in cycles 0 to 2)
    expect((rows[0]!.cycle_infos as { cycle: number; active_rolls: number | null }[])[0]).toMatchObject({
      cycle: 0,
      active_rolls: 3,
    });
  } finally {
    await fs.close();
  }
});
