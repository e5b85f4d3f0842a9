/**
 * Node-level benchmark on a one-node devnet (4 threads, T0 = 1 s, in-process): operations accepted by
 * `send_operations` per second (parse + signature check + pool, over HTTP, 100 per call), and the end-to-end
 * rate from the first submission until every transfer is final and executed.
 * Run: pnpm --filter @massa-ts/node bench   (MASSA_TS_BENCH_OPS sets the count, default 20 000)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Address, Amount, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import pino from "pino";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { runNode } from "../src/node/run.ts";

const OPS = Number(process.env.MASSA_TS_BENCH_OPS ?? 20_000);
const SENDERS = 400;
const te = new TextEncoder();
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);

// a devnet whose genesis also funds 400 sender accounts (spread over the 4 threads)
const dir = mkdtempSync(join(os.tmpdir(), "massa-ts-node-bench-"));
const d = createDevnet({ dir, nodes: 1, t0: 1000, basePort: 0 });
const senders = Array.from(
  { length: SENDERS },
  (_, i) => new SecretKey(blake3(te.encode(`node-bench-sender-${i}`))),
);
const ledgerPath = join(dir, "initial_ledger.json");
const ledger = JSON.parse(readFileSync(ledgerPath, "utf8")) as Record<string, unknown>;
for (const sk of senders)
  ledger[Address.fromPublicKey(sk.publicKey).toString()] = { balance: "1000", bytecode: [], datastore: [] };
writeFileSync(ledgerPath, JSON.stringify(ledger));
const running = await runNode(loadNodeConfig(d.configPath), pino({ level: "warn" }));
const url = running.publicUrl;
const rpc = async (method: string, params: unknown[]) => {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(j.error.message);
  return j.result;
};
while (((await rpc("get_status", [{}])) as { last_slot: { period: number } }).last_slot.period < 1) {
  await new Promise((r) => setTimeout(r, 100));
}

// sign OPS transfers before the clock starts (one recipient, so the final check is one balance)
const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
const period = ((await rpc("get_status", [{}])) as { last_slot: { period: number } }).last_slot.period;
const ops = Array.from({ length: OPS }, (_, i) =>
  SignedOperation.sign(
    {
      fee: Amount.ZERO,
      expirePeriod: period + 9,
      payload: {
        type: "Transaction",
        recipient,
        amount: Amount.fromNano(1_000_000n + BigInt(Math.floor(i / SENDERS))),
      },
    },
    senders[i % SENDERS]!,
    77n,
  ),
);
const wire = ops.map((op) => ({
  serialized_content: Array.from(op.contentBytes),
  creator_public_key: op.creator.toString(),
  signature: op.signature.toString(),
}));

const t0 = performance.now();
for (let i = 0; i < wire.length; i += 100) await rpc("send_operations", [wire.slice(i, i + 100)]);
const t1 = performance.now();
const expected = ops.reduce((s, op) => s + (op.content.payload as { amount: Amount }).amount.nano, 0n);
let final = 0n;
while (final < expected && performance.now() - t0 < 120_000) {
  await new Promise((r) => setTimeout(r, 100));
  const info = (await rpc("get_addresses", [[recipient.toString()]])) as { final_balance: string }[];
  final = Amount.fromMas(info[0]!.final_balance).nano + 1_000_000n; // the creation cost was taken once
}
const t2 = performance.now();
console.log(
  `send_operations: ${OPS} operations accepted in ${((t1 - t0) / 1000).toFixed(2)} s = ${Math.round(OPS / ((t1 - t0) / 1000))} ops/s`,
);
console.log(
  `end to end: ${OPS} transfers submitted and final in ${((t2 - t0) / 1000).toFixed(2)} s = ${Math.round(OPS / ((t2 - t0) / 1000))} tx/s (all final: ${final >= expected})`,
);
await running.stop();
rmSync(dir, { recursive: true, force: true });
