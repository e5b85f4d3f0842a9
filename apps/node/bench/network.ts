/**
 * Network benchmarks (loopback, one process): (1) end-to-end transactions per second across a 4-node devnet
 * (submitted to one node, final on all four); (2) the time for a new node to bootstrap a final state of
 * N ledger entries from a peer over TCP (default 1 000 000: MASSA_TS_BENCH_BOOTSTRAP_ENTRIES).
 * Run: pnpm --filter @massa-ts/node bench:network (MASSA_TS_BENCH_ONLY_TX=1: only the first part)
 */
import { rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Address, Amount, blake3, SecretKey } from "@massa-ts/models";
import pino from "pino";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { rpc } from "../test/rpc-helper.ts";
import { benchDevnet, benchTransfer } from "./devnet-helper.ts";

const OPS = Number(process.env.MASSA_TS_BENCH_OPS ?? 10_000);
const ONLY_TX = process.env.MASSA_TS_BENCH_ONLY_TX === "1";
const ENTRIES = Number(process.env.MASSA_TS_BENCH_BOOTSTRAP_ENTRIES ?? 1_000_000);
const te = new TextEncoder();
const log = (s: string) => process.stderr.write(`  ${s}\n`);
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);

// (1) 4-node devnet throughput
{
  const senders = Array.from(
    { length: 400 },
    (_, i) => new SecretKey(blake3(te.encode(`net-bench-sender-${i}`))),
  );
  const { dir, d } = benchDevnet(4, senders, 0);
  const nodes: RunningNode[] = [];
  // MASSA_TS_BENCH_VERIFY_THREADS: signature workers per node (default: the config's, 1; 0 = main thread)
  const vt = process.env.MASSA_TS_BENCH_VERIFY_THREADS;
  for (const p of d.configPaths) {
    const c = loadNodeConfig(p);
    const config = vt === undefined ? c : { ...c, network: { ...c.network, verify_threads: Number(vt) } };
    nodes.push(await runNode(config, pino({ level: "warn" })));
  }
  const urls = nodes.map((n) => n.publicUrl);
  while (
    ((await rpc<{ last_slot: { period: number } }>(urls[0]!, "get_status", [{}])).last_slot?.period ?? 0) < 2
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
  // signed in batches of 1 000 just before sending, so that each batch's expiry period is current
  let expected = -1_000_000n; // the recipient's creation cost, taken once
  log(`signing and sending ${OPS} transfers to node 0…`);
  const t0 = performance.now();
  for (let i = 0; i < OPS; i += 1000) {
    const period = (await rpc<{ last_slot: { period: number } }>(urls[0]!, "get_status", [{}])).last_slot
      .period;
    const batch = Array.from({ length: Math.min(1000, OPS - i) }, (_, j) =>
      benchTransfer(senders[(i + j) % 400]!, recipient, Math.floor((i + j) / 400), period),
    );
    for (const o of batch) expected += (o.content.payload as { amount: Amount }).amount.nano;
    for (let k = 0; k < batch.length; k += 100) {
      await rpc(urls[0]!, "send_operations", [batch.slice(k, k + 100).map((o) => o.toSendOperationsInput())]);
    }
  }
  const t1 = performance.now();
  const finalOn = async (u: string) =>
    Amount.fromMas(
      (await rpc<{ final_balance: string }[]>(u, "get_addresses", [[recipient.toString()]]))[0]!
        .final_balance,
    ).nano;
  while (performance.now() - t0 < 180_000) {
    const b = await Promise.all(urls.map(finalOn));
    if (b.every((x) => x >= expected)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const t2 = performance.now();
  const all = (await Promise.all(urls.map(finalOn))).every((x) => x === expected);
  console.log(
    `4-node devnet: ${OPS} transfers signed and submitted to node 0 in ${((t1 - t0) / 1000).toFixed(2)} s, final on all 4 nodes after ${((t2 - t0) / 1000).toFixed(2)} s = ${Math.round(OPS / ((t2 - t0) / 1000))} tx/s (exact on all: ${all})`,
  );
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
}

// (2) bootstrap of a large final state over TCP
if (!ONLY_TX) {
  log(`building a devnet whose genesis holds ${ENTRIES} ledger entries…`);
  // T0 = 16 s: writing a large genesis takes a while, and the chain must not be cycles ahead by then
  const { dir, base, d } = benchDevnet(1, [], ENTRIES, 16_000);
  const c = loadNodeConfig(d.configPath);
  const t = performance.now();
  const server = await runNode(
    { ...c, network: { ...c.network, listen: `127.0.0.1:${base + 1}` } },
    pino({ level: "warn" }),
  );
  log(
    `genesis written in ${((performance.now() - t) / 1000).toFixed(1)} s; bootstrapping a new node from it…`,
  );
  const t0 = performance.now();
  const client = await runNode(
    {
      ...c,
      data_dir: join(dir, "client-data"),
      staking_keys: undefined,
      api: { ...c.api, public: "127.0.0.1:0", private: "127.0.0.1:0" },
      network: { ...c.network, listen: "", bootstrap: `${server.node.nodeId}@127.0.0.1:${base + 1}` },
    },
    pino({ level: "warn" }),
  );
  const secs = (performance.now() - t0) / 1000;
  const { ledgerEntries: entries } = await client.node.execution.call("stateInfo");
  const same = client.node.execution.stateHash.toString();
  console.log(
    `bootstrap over TCP: ${entries} ledger entries (${entries * 3} state entries) in ${secs.toFixed(1)} s = ${Math.round((entries * 3) / secs)} state entries/s, state hash checked against the server's (${same.slice(0, 12)}…)`,
  );
  await Promise.all([client.stop(), server.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
