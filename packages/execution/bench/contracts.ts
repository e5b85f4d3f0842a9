/**
 * Contract execution benchmark: CallSC operations per second through execution (the example contract's
 * `setGreeting`, a storage write and an event each), and the wall time of a block full of gas (one call
 * spinning until its 4.29 billion gas run out), each beside the yardstick measured in the same run (one
 * core's Ed25519 `crypto.verify` rate). Run: pnpm --filter @massa-ts/execution bench:contracts.
 * Ends with `contracts: callsc_per_s=N full_gas_block_ms=N verify_per_s=N`.
 */
import { compileContract } from "@massa-ts/example-contracts";
import { Amount, type SignedOperation } from "@massa-ts/models";
import { Args, populateDatastore } from "@massalabs/massa-web3";
import { DEPLOYER_BYTECODE } from "@massalabs/massa-web3/dist/esm/generated/deployer-bytecode.js";
import { writeResult } from "../../../apps/node/bench/results.ts";
import { verifyRate } from "../../../apps/node/bench/yardstick.ts";
import { block, chain, cleanup, exec, keyIn, mas, op, runTo, Slot } from "../test/harness.ts";

const CALLS_PER_BLOCK = Number(process.env.MASSA_TS_BENCH_CALLS ?? 200);
const BLOCKS = Number(process.env.MASSA_TS_BENCH_BLOCKS ?? 10);
const log = (s: string) => process.stderr.write(`  ${s}\n`);

const wasm = await compileContract("hello");
const p = keyIn(0);
const senders = Array.from({ length: 20 }, () => keyIn(1));
const c = await chain([[p.addr, "1000"], ...senders.map((s) => [s.addr, "100000"] as const)], [[p.addr, 1n]]);
const { Address } = await import("@massa-ts/models");
/** Deploys `code` at the next slot with massa-web3's deployer; returns its address. */
function deployAt(slot: Slot, code: Uint8Array, coins: string): InstanceType<typeof Address> {
  runTo(c, new Slot(slot.period, 0));
  const deploy = op(
    senders[0]!.sk,
    {
      type: "ExecuteSC",
      maxGas: 3_980_167_295n,
      maxCoins: mas(coins).add(mas("10")),
      bytecode: DEPLOYER_BYTECODE,
      datastore: [
        ...populateDatastore([
          { data: code, args: new Args().addString("hello").serialize(), coins: mas(coins).nano },
        ]),
      ],
    },
    "0.01",
    slot.period + 5,
  );
  exec(c, slot, block(slot, p.addr, [deploy]));
  const events = c.ex.events({ operationId: deploy.id });
  if (c.ex.operationStatus(deploy.id)?.success !== true)
    throw new Error(`deploy failed: ${events.at(-1)?.data}`);
  const text = Buffer.from(events.at(-1)!.data, "base64").toString("latin1");
  return Address.fromString(/AS[1-9A-HJ-NP-Za-km-z]+/.exec(text)![0]);
}
const contract = deployAt(new Slot(1, 1), wasm, "1000");
const stress = deployAt(new Slot(2, 1), await compileContract("stress"), "1000");
log(`deployed ${contract} (${wasm.length} bytes of wasm)`);

// blocks of CallSC setGreeting, each a storage write and an event; ops signed before the clock starts
let period = 3;
const blocks: { slot: Slot; ops: SignedOperation[] }[] = [];
for (let b = 0; b < BLOCKS; b++, period++) {
  const ops = Array.from({ length: CALLS_PER_BLOCK }, (_, i) =>
    op(
      senders[i % senders.length]!.sk,
      {
        type: "CallSC",
        maxGas: 20_000_000n,
        coins: Amount.ZERO,
        target: contract,
        functionName: "setGreeting",
        parameter: new Args().addString(`greeting ${b} ${i}`).serialize(),
      },
      "0.01",
      period + 5,
    ),
  );
  blocks.push({ slot: new Slot(period, 1), ops });
}
const yardBefore = verifyRate(1000);
let calls = 0;
let ms = 0;
for (const b of blocks) {
  runTo(c, new Slot(b.slot.period, 0));
  const t = performance.now();
  exec(c, b.slot, block(b.slot, p.addr, b.ops));
  ms += performance.now() - t;
  calls += b.ops.filter((o) => c.ex.operationStatus(o.id)?.success).length;
}
const callsPerS = Math.round(calls / (ms / 1000));
log(`${calls} CallSC in ${ms.toFixed(0)} ms`);

// blocks full of gas: one call using all of a block's gas, in computation, in storage writes, in reads
const fullGas: Record<string, number> = {};
for (const fn of ["spin", "writeLoop", "readLoop"]) {
  runTo(c, new Slot(period, 0));
  const call = op(
    senders[1]!.sk,
    {
      type: "CallSC",
      maxGas: 4_294_967_295n - 800_000n,
      coins: Amount.ZERO,
      target: stress,
      functionName: fn,
      parameter: new Uint8Array(),
    },
    "0.01",
    period + 5,
  );
  const t = performance.now();
  exec(c, new Slot(period, 1), block(new Slot(period, 1), p.addr, [call]));
  fullGas[fn] = Math.round(performance.now() - t);
  log(
    `full-gas block, ${fn}: ${fullGas[fn]} ms (${c.ex.events({ operationId: call.id }).at(-1)?.data.slice(-45)})`,
  );
  period++;
}
const fullGasMs = Math.max(...Object.values(fullGas));
const yardAfter = verifyRate(1000);
const verify = Math.round((yardBefore + yardAfter) / 2);
log(`yardstick: crypto.verify ${yardBefore}/s before, ${yardAfter}/s after`);
log(`CallSC through execution: ${(callsPerS / verify).toFixed(3)}× the yardstick`);
cleanup();
// the full-gas block as blocks per second (higher is better, like every guarded figure)
writeResult("contracts", verify, {
  callsc_per_s: callsPerS,
  full_gas_blocks_per_s: Number((1000 / fullGasMs).toFixed(3)),
});
console.log(`contracts: callsc_per_s=${callsPerS} full_gas_block_ms=${fullGasMs} verify_per_s=${verify}`);
