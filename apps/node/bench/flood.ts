/**
 * Memory and liveness under an operation flood: one node (T0 = 4 s), four peers each relaying valid,
 * distinct, cheap transfers from funded senders at 2 000/s (under the per-peer budget, so nobody is banned) for 15 s, with
 * an honest transfer sent in the middle. Prints the node's heap and RSS every second, the pool size, the
 * verification queue, the final slot, and when the honest transfer is final.
 * Run: pnpm --filter @massa-ts/node bench:flood
 */
import { rmSync } from "node:fs";
import os from "node:os";
import { Address, Amount, blake3, MASSA_BLOCK_LIMITS, SecretKey, SignedOperation } from "@massa-ts/models";
import { transferToNewAddress } from "@massa-ts/models/testing";
import { Network } from "@massa-ts/protocol";
import pino from "pino";
import { loadNodeConfig } from "../src/node/config.ts";
import { runNode } from "../src/node/run.ts";
import { benchDevnet } from "./devnet-helper.ts";

const PEERS = 4;
const RATE = 2000; // per peer per second
const SECONDS = 15;
const te = new TextEncoder();
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);

// the flood's 1 000 senders are funded at genesis: the pool takes only operations their sender can pay for
const keys = Array.from({ length: 1000 }, (_, i) => new SecretKey(blake3(te.encode(`flood-${i}`))));
const { dir, d } = benchDevnet(1, keys, 0, 4000, 0);
const c = loadNodeConfig(d.configPath);
const running = await runNode(
  { ...c, network: { ...c.network, listen: "127.0.0.1:0" } },
  pino({ level: "warn" }),
);
const node = running.node;
while ((node.currentSlot?.period ?? 0) < 1) await new Promise((r) => setTimeout(r, 100));

// signed before the flood: 4 × 2 000 × 15 = 120 000 transfers of a few nano-MAS from 1 000 funded keys
// (120 each: under the pool's 1 000 per sender), random tiny fees
const total = PEERS * RATE * SECONDS;
process.stderr.write(`  signing ${total} operations…\n`);
const sink = Address.fromPublicKey(SecretKey.generate().publicKey);
const expire = node.currentSlot!.period + 9;
const spam = Array.from({ length: total }, (_, i) =>
  SignedOperation.sign(
    {
      fee: Amount.fromNano(BigInt(i % 1000)),
      expirePeriod: expire,
      payload: { type: "Transaction", recipient: sink, amount: Amount.fromNano(BigInt(i + 1)) },
    },
    keys[i % keys.length]!,
    77n,
  ),
);
const peers = Array.from({ length: PEERS + 1 }, (_, i) => {
  const n = new Network({
    chainId: 77n,
    nodeKey: new SecretKey(blake3(te.encode(`flood-peer-${i}`))),
    blockLimits: {
      ...MASSA_BLOCK_LIMITS,
      threadCount: c.thread_count,
      endorsementCount: c.endorsement_count,
    },
  });
  n.connect(`127.0.0.1:${node.p2pPort}`);
  return n;
});
while (peers.some((p) => p.connected.length === 0)) await new Promise((r) => setTimeout(r, 50));
const honest = peers[PEERS]!;

(globalThis as { gc?: () => void }).gc?.();
const base = process.memoryUsage();
console.log(`baseline (node + the pre-signed operations): heap ${mb(base.heapUsed)}, rss ${mb(base.rss)}`);
const finalAtStart = node.execution.finalSlot;
let maxHeap = 0;
let maxRss = 0;
let maxPool = 0;
const sample = (t: number) => {
  const m = process.memoryUsage();
  maxHeap = Math.max(maxHeap, m.heapUsed);
  maxRss = Math.max(maxRss, m.rss);
  maxPool = Math.max(maxPool, node.pool.size);
  console.log(
    `t=${String(t).padStart(2)} s  heap ${mb(m.heapUsed)}  rss ${mb(m.rss)}  pool ${node.pool.size}  verifying ${node.verifier?.pending ?? 0}  final ${node.execution.finalSlot}`,
  );
};

// the flood: every 100 ms each peer relays its next 200 operations
const per = (RATE / 10) | 0;
let sent = 0;
let honestOp: SignedOperation | undefined;
const t0 = Date.now();
for (let tick = 0; tick < SECONDS * 10; tick++) {
  for (let p = 0; p < PEERS; p++) {
    peers[p]!.broadcast({ type: "operations", operations: spam.slice(sent, sent + per) });
    sent += per;
  }
  if (tick === (SECONDS * 10) / 2) {
    honestOp = transferToNewAddress(
      SecretKey.fromString(d.accounts[0]!.secretKey),
      node.currentSlot!.period + 9,
      77n,
    );
    honest.broadcast({ type: "operations", operations: [honestOp] });
  }
  if (tick % 10 === 0) sample(tick / 10);
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + (tick + 1) * 100 - Date.now())));
}
const floodMs = Date.now() - t0;
while (node.verifier!.pending > 0) await new Promise((r) => setTimeout(r, 50));
sample(Math.round((Date.now() - t0) / 1000));
const tf = Date.now();
while (node.execution.operationStatus(honestOp!.id)?.final !== true && Date.now() - tf < 60_000) {
  await new Promise((r) => setTimeout(r, 100));
}
const banned = [...node.network!.banned().values()];
console.log(
  `flood: ${sent} operations from ${PEERS} peers in ${(floodMs / 1000).toFixed(1)} s (${Math.round(sent / (floodMs / 1000))}/s); ` +
    `peak heap ${mb(maxHeap)} (+${mb(maxHeap - base.heapUsed)} over the baseline), peak rss ${mb(maxRss)}, ` +
    `pool peak ${maxPool} (bound ${c.pool.max_operations}); final slot ${finalAtStart} → ${node.execution.finalSlot}; ` +
    `honest transfer final: ${node.execution.operationStatus(honestOp!.id)?.final === true}; bans: ${banned.length}`,
);
await Promise.all(peers.map((p) => p.stop()));
await running.stop();
rmSync(dir, { recursive: true, force: true });
