/**
 * Node-level benchmark on a one-node devnet (4 threads, T0 = 1 s, in-process): operations accepted by
 * `send_operations` per second (parse + signature check + pool, over HTTP, 100 per call) and the end-to-end
 * rate from the first submission until every transfer is final and executed.
 *
 * Driven the way `massa-ts load` drives a node: plain HTTP over kept-alive connections, as many calls in
 * flight as its sender threads keep on this machine (four per core), the requests' bodies encoded before
 * the clock starts (this process is also the node's: the figure is the node's parse, checks and pool, not a
 * client's JSON). Measured on a running node: a first pass of as many transfers (other amounts, another
 * recipient) is accepted and made final before the clock, and its rate is printed as the cold figure: the
 * first seconds of a process also pay V8's compilation of the whole path on its helper threads.
 * Run: pnpm --filter @massa-ts/node bench   (MASSA_TS_BENCH_OPS sets the count, default 20 000;
 * MASSA_TS_BENCH_IN_FLIGHT the calls in flight)
 */
import { rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { Address, Amount, blake3, SecretKey, type SignedOperation } from "@massa-ts/models";
import pino from "pino";
import { MAX_IN_FLIGHT } from "../src/load/batches.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { runNode } from "../src/node/run.ts";
import { rpc as rpcCall } from "../test/rpc-helper.ts";
import { benchDevnet, benchTransfer } from "./devnet-helper.ts";
import { writeResult } from "./results.ts";
import { ratio, verifyRate } from "./yardstick.ts";

const OPS = Number(process.env.MASSA_TS_BENCH_OPS ?? 20_000);
const IN_FLIGHT = Number(process.env.MASSA_TS_BENCH_IN_FLIGHT ?? os.availableParallelism() * MAX_IN_FLIGHT);
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
const url = new URL(running.publicUrl);
const rpc = (method: string, params: unknown[]) => rpcCall<unknown>(url.href, method, params);
const lastPeriod = async () =>
  ((await rpc("get_status", [{}])) as { last_slot: { period: number } }).last_slot.period;
while ((await lastPeriod()) < 1) await new Promise((r) => setTimeout(r, 100));

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
/** One `send_operations` call; throws the node's error. */
function post(body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "Content-Type": "application/json", "Content-Length": body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const j = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error?: { message: string } };
          if (j.error) reject(new Error(`send_operations: ${j.error.message}`));
          else resolve();
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** OPS transfers to a new address, signed (and their calls encoded) before any clock; `first` sets amounts. */
async function prepare(first: number) {
  const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
  const period = await lastPeriod();
  const ops = Array.from({ length: OPS }, (_, i) =>
    benchTransfer(senders[i % SENDERS]!, recipient, first + Math.floor(i / SENDERS), period),
  );
  const bodies: Buffer[] = [];
  for (let i = 0; i < ops.length; i += 100) {
    const wire = ops.slice(i, i + 100).map((op) => ({
      serialized_content: Array.from(op.contentBytes),
      creator_public_key: op.creator.toString(),
      signature: op.signature.toString(),
    }));
    bodies.push(
      Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: i, method: "send_operations", params: [wire] })),
    );
  }
  return { recipient, ops, bodies };
}

/** Sends every call, IN_FLIGHT at a time; the seconds it took. */
async function submit(bodies: Buffer[]): Promise<number> {
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) await post(bodies[next++]!);
    }),
  );
  return (performance.now() - t) / 1000;
}

/** Waits (two minutes at most) until `recipient` holds every transfer of `ops`, final; whether it did. */
async function final(recipient: Address, ops: SignedOperation[], since: number): Promise<boolean> {
  const expected = ops.reduce((s, op) => s + (op.content.payload as { amount: Amount }).amount.nano, 0n);
  for (;;) {
    const info = (await rpc("get_addresses", [[recipient.toString()]])) as { final_balance: string }[];
    // the creation cost was taken once
    if (Amount.fromMas(info[0]!.final_balance).nano + 1_000_000n >= expected) return true;
    if (performance.now() - since > 120_000) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const yardstick = verifyRate();
console.log(`yardstick: one core's crypto.verify Ed25519, ${yardstick}/s`);
const rate = (n: number, s: number) => `${Math.round(n / s)} ops/s (${ratio(n / s, yardstick)})`;

const warm = await prepare(100_000);
const warmStart = performance.now();
const coldSeconds = await submit(warm.bodies);
if (!(await final(warm.recipient, warm.ops, warmStart))) throw new Error("the first pass never became final");
console.log(
  `cold node: ${OPS} operations accepted in ${coldSeconds.toFixed(2)} s = ${rate(OPS, coldSeconds)}`,
);

const timed = await prepare(0);
const t0 = performance.now();
const acceptSeconds = await submit(timed.bodies);
const allFinal = await final(timed.recipient, timed.ops, t0);
const finalSeconds = (performance.now() - t0) / 1000;
console.log(
  `send_operations: ${OPS} operations accepted in ${acceptSeconds.toFixed(2)} s = ${rate(OPS, acceptSeconds)}, ${IN_FLIGHT} calls in flight`,
);
console.log(
  `end to end: ${OPS} transfers submitted and final in ${finalSeconds.toFixed(2)} s = ${Math.round(OPS / finalSeconds)} tx/s, ${ratio(OPS / finalSeconds, yardstick)} (all final: ${allFinal})`,
);
agent.destroy();
await running.stop();
rmSync(dir, { recursive: true, force: true });
const acceptedPerS = Math.round(OPS / acceptSeconds);
const finalPerS = Math.round(OPS / finalSeconds);
writeResult(
  "node",
  yardstick,
  {
    accepted_per_s: acceptedPerS,
    accepted_cold_per_s: Math.round(OPS / coldSeconds),
    final_tx_per_s: allFinal ? finalPerS : 0,
  },
  { in_flight: IN_FLIGHT },
);
console.log(`node: accepted_per_s=${acceptedPerS} final_tx_per_s=${finalPerS} verify_per_s=${yardstick}`);
