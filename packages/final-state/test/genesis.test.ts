import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FinalState, GenesisError, loadInitialLedger, loadInitialRolls } from "@massa-ts/final-state";
import { Address, compareAddresses, SecretKey, Slot } from "@massa-ts/models";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-genesis-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const p = join(dir, `g-${n++}.json`);
  writeFileSync(p, text);
  return p;
}
const newAddr = () => Address.fromPublicKey(SecretKey.generate().publicKey);

describe("genesis files", () => {
  it("load Massa's initial ledger into a genesis slot", async () => {
    const a = newAddr();
    const b = newAddr();
    const path = file(
      JSON.stringify(
        {
          [a.toString()]: { balance: "1000.5", bytecode: [], datastore: [] },
          [b.toString()]: { balance: "0.000000001", datastore: [[[1, 2], [3]]] },
        },
        null,
        2,
      ),
    );
    const fs = await FinalState.open({ path: join(dir, `db-${n++}`), chainId: 77n, threadCount: 4 });
    fs.settleSlot(new Slot(0, 3), { ledgerChanges: loadInitialLedger(path) });
    expect(fs.ledger.getBalance(a)?.toString()).toBe("1000.5");
    expect(fs.ledger.getBalance(b)?.nano).toBe(1n);
    expect(fs.ledger.getDatastoreValue(b, Uint8Array.of(1, 2))).toEqual(Uint8Array.of(3));
    expect(fs.countLedgerEntries()).toBe(2);
    await fs.close();
  });

  it("load initial rolls in address byte order", () => {
    const addrs = [newAddr(), newAddr(), newAddr()];
    const rolls = loadInitialRolls(
      file(JSON.stringify(Object.fromEntries(addrs.map((a, i) => [a.toString(), i])))),
    );
    expect(rolls.map(([a]) => a.toString())).toEqual([...addrs].sort(compareAddresses).map(String));
    expect(rolls.find(([a]) => a.equals(addrs[0]!))?.[1]).toBe(0n);
  });

  it("name the file, line and field of what is wrong", () => {
    const a = newAddr().toString();
    const good = `  "${a}": { "balance": "1" },`;
    const cases: [string, RegExp][] = [
      [`{\n${good}\n  "AUnot-an-address": { "balance": "1" }\n}`, /:3: "AUnot-an-address" is not an address/],
      [`{\n  "${a}": { "balance": "1.0000000001" }\n}`, /:2: .*balance: .*more than 9 decimals/],
      [`{\n  "${a}": { "balance": 5 }\n}`, /:2: .*balance must be a decimal string/],
      [
        `{\n  "${a}": { "balance": "1", "datastore": [[[], [1]]] }\n}`,
        /datastore\[0\]\[0\]: a datastore key cannot be empty/,
      ],
      [`{\n  "${a}": { "balance": "1" ,\n}`, /:\d+: not valid JSON/],
    ];
    for (const [text, message] of cases) {
      const p = file(text);
      expect(() => loadInitialLedger(p)).toThrow(GenesisError);
      expect(() => loadInitialLedger(p)).toThrow(message);
      expect(() => loadInitialLedger(p)).toThrow(p);
    }
    expect(() => loadInitialRolls(file(`{\n  "${a}": -1\n}`))).toThrow(
      /:2: the roll count .* must be a non-negative integer/,
    );
    expect(() => loadInitialLedger(join(dir, "missing.json"))).toThrow(/cannot read/);
  });
});
