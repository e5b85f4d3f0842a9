/**
 * Node-level benchmark on a one-node devnet (4 threads, T0 = 1 s, in-process): operations accepted by
 * `send_operations` per second (parse + signature check + pool, over HTTP, 100 per call, 4 calls in flight, the
 * requests made before the clock starts), and the end-to-end
 * rate from the first submission until every transfer is final and executed.
 * Run: pnpm --filter @massa-ts/node bench   (MASSA_TS_BENCH_OPS sets the count, default 20 000)
 */
import { rmSync } from "node:fs";
import os from "node:os";
import { Address, Amount, blake3, SecretKey } from "@massa-ts/models";
import pino from "pino";
import { loadNodeConfig } from "../src/node/config.ts";
import { runNode } from "../src/node/run.ts";
import { rpc as rpcCall } from "../test/rpc-helper.ts";
import { benchDevnet, benchTransfer } from "./devnet-helper.ts";
import { writeResult } from "./results.ts";
import { ratio, verifyRate } from "./yardstick.ts";

const OPS = Number(process.env.MASSA_TS_BENCH_OPS ?? 20_000);
const SENDERS = 400;
const te = new TextEncoder();
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);

// a devnet whose genesis also funds 400 sender accounts (spread over the 4 threads)
const senders = Array.from(
  { length: SENDERS },
  (_, i) => new SecretKey(blake3(te.encode(`node-bench-sender-${i}`))),
);
const { dir, d } = benchDevnet(1, senders, 0, 1000, 0);
const running = await runNode(loadNodeConfig(d.configPath), pino({ level: "warn" }));
const url = running.publicUrl;
const rpc = (method: string, params: unknown[]) => rpcCall<unknown>(url, method, params);
while (((await rpc("get_status", [{}])) as { last_slot: { period: number } }).last_slot.period < 1) {
  await new Promise((r) => setTimeout(r, 100));
}

// sign OPS transfers before the clock starts (one recipient, so the final check is one balance)
const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
const period = ((await rpc("get_status", [{}])) as { last_slot: { period: number } }).last_slot.period;
const ops = Array.from({ length: OPS }, (_, i) =>
  benchTransfer(senders[i % SENDERS]!, recipient, Math.floor(i / SENDERS), period),
);
const wire = ops.map((op) => ({
  serialized_content: Array.from(op.contentBytes),
  creator_public_key: op.creator.toString(),
  signature: op.signature.toString(),
}));

// the requests' bodies are made before the clock starts too, and IN_FLIGHT of them are sent at a time: this
// process is also the node's, so the figure is the node's (parse, checks, pool), not a client's JSON
const IN_FLIGHT = Number(process.env.MASSA_TS_BENCH_IN_FLIGHT ?? 4);
const bodies: string[] = [];
for (let i = 0; i < wire.length; i += 100)
  bodies.push(
    JSON.stringify({ jsonrpc: "2.0", id: i, method: "send_operations", params: [wire.slice(i, i + 100)] }),
  );
const yardstick = verifyRate();
console.log(`yardstick: one core's crypto.verify Ed25519, ${yardstick}/s`);
const t0 = performance.now();
let nextBody = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (nextBody < bodies.length) {
      const body = bodies[nextBody++]!;
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const j = (await r.json()) as { error?: { message: string } };
      if (j.error) throw new Error(`send_operations: ${j.error.message}`);
    }
  }),
);
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
  `send_operations: ${OPS} operations accepted in ${((t1 - t0) / 1000).toFixed(2)} s = ${Math.round(OPS / ((t1 - t0) / 1000))} ops/s (${ratio(OPS / ((t1 - t0) / 1000), yardstick)})`,
);
console.log(
  `end to end: ${OPS} transfers submitted and final in ${((t2 - t0) / 1000).toFixed(2)} s = ${Math.round(OPS / ((t2 - t0) / 1000))} tx/s, ${ratio(OPS / ((t2 - t0) / 1000), yardstick)} (all final: ${final >= expected})`,
);
await running.stop();
rmSync(dir, { recursive: true, force: true });
const acceptedPerS = Math.round(OPS / ((t1 - t0) / 1000));
const finalPerS = Math.round(OPS / ((t2 - t0) / 1000));
writeResult("node", yardstick, {
  accepted_per_s: acceptedPerS,
  final_tx_per_s: final >= expected ? finalPerS : 0,
});
console.log(`node: accepted_per_s=${acceptedPerS} final_tx_per_s=${finalPerS} verify_per_s=${yardstick}`);
