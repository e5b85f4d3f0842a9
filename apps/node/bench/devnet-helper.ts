import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Address, Amount, blake3, type SecretKey, SignedOperation } from "@massa-ts/models";
import { createDevnet } from "../src/commands/devnet.ts";

const te = new TextEncoder();

/**
 * A devnet for benchmarks whose genesis also funds `senders` (1 000 MAS each) and `extra` filler accounts.
 * `basePort` 0 (free ports) works for one node only.
 */
export function benchDevnet(
  nodes: number,
  senders: readonly SecretKey[],
  extra: number,
  t0 = 1000,
  basePort?: number,
) {
  const dir = mkdtempSync(join(os.tmpdir(), "massa-ts-bench-"));
  const base = basePort ?? 41_000 + Math.floor(Math.random() * 1_500) * 10;
  const d = createDevnet({ dir, nodes, t0, basePort: base });
  const path = join(dir, "initial_ledger.json");
  const ledger = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  for (const sk of senders) {
    ledger[Address.fromPublicKey(sk.publicKey).toString()] = { balance: "1000", bytecode: [], datastore: [] };
  }
  for (let i = 0; i < extra; i++) {
    ledger[new Address("user", blake3(te.encode(`bench-filler-${i}`))).toString()] = {
      balance: "1",
      bytecode: [],
      datastore: [],
    };
  }
  writeFileSync(path, JSON.stringify(ledger));
  return { dir, base, d };
}

/** The k-th zero-fee transfer of `amount` nano-MAS (+k, so every operation differs) valid for 9 periods. */
export function benchTransfer(
  sender: SecretKey,
  recipient: Address,
  k: number,
  period: number,
): SignedOperation {
  return SignedOperation.sign(
    {
      fee: Amount.ZERO,
      expirePeriod: period + 9,
      payload: { type: "Transaction", recipient, amount: Amount.fromNano(1_000_000n + BigInt(k)) },
    },
    sender,
    77n,
  );
}
