/**
 * The node's thread under an API flood (issue 17: API handlers run on the node's thread). One staking node
 * (T0 = 1 s, 4 threads: a slot every 250 ms) answers 4 clients in worker threads, each sending batches of
 * 16 × get_addresses(128 addresses) back to back for 15 s. Measures, on the node's thread, the event-loop
 * delay (how late a timer such as the slot clock's fires) without and with the flood, the batches served,
 * and the slots the node produced against the slots that passed.
 * Run: pnpm --filter @massa-ts/node bench:api
 */
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import pino from "pino";
import { loadNodeConfig } from "../src/node/config.ts";
import { runNode } from "../src/node/run.ts";
import { benchDevnet } from "./devnet-helper.ts";
import { ratio, verifyRate } from "./yardstick.ts";

const CLIENTS = 4;
const SECONDS = 15;
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
const { dir, d } = benchDevnet(1, [], 20_000, 1000, 0);
const c = loadNodeConfig(d.configPath);
const running = await runNode({ ...c, network: { ...c.network, listen: "" } }, pino({ level: "warn" }));
const node = running.node;
while ((node.currentSlot?.period ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));

/** Event-loop delay and slots produced over `SECONDS`, while `during` runs. */
async function measure(label: string, during: () => Promise<number>) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  const slot0 = node.currentSlot!;
  const final0 = node.execution.finalSlot;
  h.enable();
  const served = await during();
  h.disable();
  const slot1 = node.currentSlot!;
  const final1 = node.execution.finalSlot;
  const slots = (slot1.period - slot0.period) * 4 + (slot1.thread - slot0.thread);
  const finalized = (final1.period - final0.period) * 4 + (final1.thread - final0.thread);
  const ms = (n: number) => (n / 1e6).toFixed(1);
  console.log(
    `${label}: event-loop delay p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms; ` +
      `${slots} slots passed, ${finalized} finalized; ${served > 0 ? `${served} batches served (${(served / SECONDS).toFixed(1)}/s, ${((served * 16 * 128) / SECONDS).toFixed(0)} addresses/s, ${ratio((served * 16 * 128) / SECONDS, yardstick)})` : "no API load"}`,
  );
}

const yardstick = verifyRate();
console.log(`yardstick: one core's crypto.verify Ed25519, ${yardstick}/s`);
await measure("idle", () => new Promise((r) => setTimeout(() => r(0), SECONDS * 1000)));

const addrs = Object.keys(JSON.parse(readFileSync(join(dir, "initial_ledger.json"), "utf8")) as object).slice(
  0,
  128,
);
const body = JSON.stringify(
  Array.from({ length: 16 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "get_addresses", params: [addrs] })),
);
const client = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const end = Date.now() + workerData.ms;
  let n = 0;
  while (Date.now() < end) {
    const r = await fetch(workerData.url, { method: "POST", headers: { "Content-Type": "application/json" }, body: workerData.body });
    await r.arrayBuffer();
    n++;
  }
  parentPort.postMessage(n);
})();`;
await measure("16×128 get_addresses batches from 4 clients", async () => {
  const counts = await Promise.all(
    Array.from(
      { length: CLIENTS },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(client, {
            eval: true,
            workerData: { url: running.publicUrl, body, ms: SECONDS * 1000 },
          });
          w.once("message", (n: number) => {
            resolve(n);
            void w.terminate();
          });
          w.once("error", reject);
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
});
await running.stop();
rmSync(dir, { recursive: true, force: true });
