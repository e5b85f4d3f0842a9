/**
 * execution benchmark: blocks of 5 000 transfers among 100 000 accounts (mainnet shape: 32 threads,
 * 16 endorsements), executed as candidate slots, then settled to the final state on LMDB; transactions per
 * second end to end, until the last slot's journal record is on disk (settling returns before: lmdb's
 * write thread flushes it). Operations are signed before the clock starts (signature checks belong to protocol).
 * As in a node's steady state, each settled slot also prunes about as many expired executed operations as
 * it adds. Run: pnpm --filter @massa-ts/execution bench. Ends with `execution: tx_per_s=N verify_per_s=N`
 * (the yardstick, one core's crypto.verify, measured before and after); writes
 * bench-results/execution.json. Also prints each phase's CPU a transfer (this thread's, from /proc; and the
 * whole process's) and the floor of a transfer's settle measured alone (`final-state/bench/settle-floor.ts`).
 * MASSA_TS_BENCH_PROFILE=1 prints where the time goes (CPU profile, self time; =settle: of settling only)
 * and writes the profile to $TMPDIR/execution-bench.cpuprofile. MASSA_TS_BENCH_HEAP=1 samples what settling
 * allocates (collected objects included) into $TMPDIR/execution-bench.heapprofile.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import { join } from "node:path";
import { type ExecBlock, Execution } from "@massa-ts/execution";
import { FinalState, KEEP_EXECUTED_HISTORY_EXTRA_PERIODS } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import {
  Address,
  Amount,
  BlockId,
  blake3,
  OperationId,
  SecretKey,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { CycleDraws, initialSeeds } from "@massa-ts/pos-draws";
import { writeResult } from "../../../apps/node/bench/results.ts";
import { verifyRate } from "../../../apps/node/bench/yardstick.ts";
import { currentThreadId, threadCpuSeconds } from "../../../apps/node/src/node/thread-cpu.ts";
import { measureSettleFloor } from "../../final-state/bench/settle-floor.ts";

const ACCOUNTS = 100_000;
const PER_BLOCK = 5_000;
const BLOCKS = Number(process.env.MASSA_TS_BENCH_BLOCKS ?? 12);
const SENDERS_PER_THREAD = 100;
const T = 32;
// one block per thread of one period
if (!Number.isInteger(BLOCKS) || BLOCKS < 1 || BLOCKS > T)
  throw new RangeError(`MASSA_TS_BENCH_BLOCKS must be 1..${T}, not ${process.env.MASSA_TS_BENCH_BLOCKS}`);
const PPC = 128;
const te = new TextEncoder();
const log = (s: string) => process.stderr.write(`  ${s}\n`);
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);

// accounts: 100 000 addresses with 1 000 MAS; senders: 100 signing keys per thread among them
log("preparing accounts, keys and signed operations…");
const senders: SecretKey[][] = Array.from({ length: T }, () => []);
const accounts: Address[] = [];
for (let i = 0; senders.some((s) => s.length < SENDERS_PER_THREAD); i++) {
  const sk = new SecretKey(blake3(te.encode(`bench-sender-${i}`)));
  const a = Address.fromPublicKey(sk.publicKey);
  const list = senders[a.thread(T)]!;
  if (list.length < SENDERS_PER_THREAD) {
    list.push(sk);
    accounts.push(a);
  }
}
for (let i = accounts.length; i < ACCOUNTS; i++)
  accounts.push(new Address("user", blake3(te.encode(`bench-account-${i}`))));
const dir = mkdtempSync(join(os.tmpdir(), "massa-ts-exec-bench-"));
const fs = await FinalState.open({
  path: join(dir, "state"),
  chainId: 77n,
  threadCount: T,
  periodsPerCycle: PPC,
});
const genesis = new LedgerChanges();
for (const a of accounts) {
  genesis.createAddress(a);
  genesis.setBalance(a, Amount.fromMas("1000"));
}
const stakers = accounts.slice(0, 64).map((a) => [a, 10n] as const);
fs.initGenesis(genesis, stakers);
await fs.drain();
const draws = CycleDraws.draw(
  0,
  { periodsPerCycle: PPC, threadCount: T, endorsementCount: 16 },
  stakers,
  initialSeeds()[0],
  accounts[0]!,
);
// A node's steady state: every settled slot also prunes the executed operations that expired ten periods
// before it, about one a transfer. So the state holds, from slot (1, 0), 5 000 executed operations expiring
// at each of (1, 0) … (1, BLOCKS − 1), and the blocks run from period 11 (missed slots up to it): settling
// (11, t) prunes those of (1, t − 1).
const PRUNE_FROM = 1 + KEEP_EXECUTED_HISTORY_EXTRA_PERIODS;
log(
  `settling ${BLOCKS * PER_BLOCK} earlier executed operations and the missed slots up to period ${PRUNE_FROM}…`,
);
fs.settleSlot(new Slot(1, 0), {
  ledgerChanges: new LedgerChanges(),
  executedOps: Array.from({ length: BLOCKS * PER_BLOCK }, (_, i) => ({
    id: new OperationId(blake3(te.encode(`bench-earlier-op-${i}`))),
    success: true,
    expirySlot: new Slot(1, Math.floor(i / PER_BLOCK)),
  })),
  pos: { seedBits: [false], rollChanges: [], productionStats: [], deferredCredits: [] },
});
const ex = new Execution(
  fs,
  { getSelection: (s) => draws.selection(s.period, s.thread) },
  { threadCount: T, periodsPerCycle: PPC },
);
ex.onSlotsFinal(new Slot(PRUNE_FROM - 1, T - 1), () => null);
await fs.drain();

// one block per slot from (PRUNE_FROM, 0): 5 000 transfers by the senders of that thread to random accounts
const blocks: ExecBlock[] = [];
let rnd = 12345;
const next = () => {
  rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
  return rnd;
};
for (let k = 0; k < BLOCKS; k++) {
  const slot = new Slot(PRUNE_FROM, k);
  const keys = senders[slot.thread]!;
  const ops: SignedOperation[] = [];
  for (let j = 0; j < PER_BLOCK; j++) {
    const sk = keys[j % keys.length]!;
    ops.push(
      SignedOperation.sign(
        {
          fee: Amount.fromNano(100_000n + BigInt(j)),
          expirePeriod: slot.period + 5,
          payload: {
            type: "Transaction",
            recipient: accounts[next() % ACCOUNTS]!,
            amount: Amount.fromNano(1_000_000n),
          },
        },
        sk,
        77n,
      ),
    );
  }
  const sel = draws.selection(slot.period, slot.thread);
  blocks.push({
    id: new BlockId(blake3(te.encode(`bench-block-${k}`))),
    slot,
    creator: sel.producer,
    operations: ops,
    endorsements: sel.endorsements.map((creator, index) => ({ index, creator })),
    parentCreator: sel.producer,
  });
}

const session = new Session();
let connected = false;
const connect = () => {
  if (!connected) session.connect();
  connected = true;
};
if (process.env.MASSA_TS_BENCH_PROFILE && process.env.MASSA_TS_BENCH_PROFILE !== "settle") {
  connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const yardBefore = verifyRate(1000);
log(`executing ${BLOCKS} blocks of ${PER_BLOCK} transfers…`);
// CPU time as well as wall time: this VM's neighbours take cores away (steal), which wall time counts
const tid = currentThreadId();
const cpu = () => ({ thread: threadCpuSeconds(tid), process: process.cpuUsage() });
const c0 = cpu();
const t0 = performance.now();
const execMs: number[] = [];
for (const b of blocks) {
  const t = performance.now();
  ex.executeSlot(b.slot, b);
  execMs.push(performance.now() - t);
}
const t1 = performance.now();
const c1 = cpu();
if (process.env.MASSA_TS_BENCH_HEAP) {
  connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
}
if (process.env.MASSA_TS_BENCH_PROFILE === "settle") {
  connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const settleMs: number[] = [];
for (const b of blocks) {
  const t = performance.now();
  ex.onSlotsFinal(b.slot, (s) => (s.equals(b.slot) ? b : null));
  settleMs.push(performance.now() - t);
  await new Promise((r) => setImmediate(r)); // the background B-tree apply gets its turns, as in a node
}
// a settle returns before its journal record is on disk: the figure counts until the last one is
await fs.flushed();
const t2 = performance.now();
const c2 = cpu();
if (process.env.MASSA_TS_BENCH_HEAP) {
  const { profile } = await session.post("HeapProfiler.stopSampling");
  writeFileSync(join(os.tmpdir(), "execution-bench.heapprofile"), JSON.stringify(profile));
}
await fs.drain();
const t3 = performance.now();
if (process.env.MASSA_TS_BENCH_PROFILE) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(join(os.tmpdir(), "execution-bench.cpuprofile"), JSON.stringify(profile));
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples?.forEach((id, i) => {
    const n = byId.get(id)!;
    const k = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}`;
    self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
  });
  const total = [...self.values()].reduce((x, y) => x + y, 0);
  console.log("profile (self time):");
  for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 15)) {
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}

const tx = BLOCKS * PER_BLOCK;
const executed = blocks.reduce((n, b) => n + (ex.operationStatus(b.operations[0]!.id)?.success ? 1 : 0), 0);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  `execute: ${BLOCKS} blocks × ${PER_BLOCK} transfers in ${((t1 - t0) / 1000).toFixed(2)} s (median ${median(execMs).toFixed(0)} ms a block)`,
);
console.log(
  `settle to LMDB: ${((t2 - t1) / 1000).toFixed(2)} s until the last slot's journal record was on disk (median ${median(settleMs).toFixed(0)} ms a slot); background B-tree apply finished ${((t3 - t2) / 1000).toFixed(2)} s later`,
);
let settleCpuUs: number | undefined;
/** The whole process's CPU time a transfer, executing and settling (every thread: lmdb's, V8's helpers). */
const processCpuUs =
  (c2.process.user + c2.process.system - c0.process.user - c0.process.system) / (BLOCKS * PER_BLOCK);
if (c0.thread !== undefined && c1.thread !== undefined && c2.thread !== undefined) {
  const us = (s: number) => ((s * 1e6) / (BLOCKS * PER_BLOCK)).toFixed(1);
  settleCpuUs = ((c2.thread - c1.thread) * 1e6) / (BLOCKS * PER_BLOCK);
  const proc = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user + b.system - a.user - a.system) / 1e6;
  console.log(
    `CPU a transfer: this thread ${us(c1.thread - c0.thread)} µs executing, ${settleCpuUs.toFixed(1)} µs settling; the whole process ${us(proc(c0.process, c1.process))} + ${us(proc(c1.process, c2.process))} µs (lmdb's write thread, V8's helpers)`,
  );
}
console.log(`first op of every block succeeded: ${executed === BLOCKS}; final slot ${fs.lastFinalSlot}`);
console.log(`including the B-tree apply: ${Math.round(tx / ((t3 - t0) / 1000))} tx/s`);
const yardAfter = verifyRate(1000);
const floor = await measureSettleFloor();
const f = (x: number) => x.toFixed(2);
console.log(
  `settle floor (each measured alone): a B-tree read ${f(floor.readUs)} µs, an entry hash ${f(floor.hashUs)} µs, a queued write ${f(floor.putUs)} µs; a transfer's two reads, four hashes and three writes ${f(floor.perTransferUs)} µs${settleCpuUs === undefined ? "" : ` of the ${settleCpuUs.toFixed(1)} µs its settle took`}; a slot's writes in one synchronous B-tree transaction instead ${f(floor.syncWriteUs)} µs a write, its commit included`,
);
const verify = Math.round((yardBefore + yardAfter) / 2);
const txPerS = Math.round(tx / ((t2 - t0) / 1000));
log(`yardstick: crypto.verify ${yardBefore}/s before, ${yardAfter}/s after`);
console.log(`execute + settle: ${(txPerS / verify).toFixed(2)}× the yardstick`);
// what the CPU a transfer allows at best if every thread's share ran in parallel on this machine's cores
const cores = os.availableParallelism();
const bound = (cores * 1e6) / processCpuUs;
console.log(
  `the whole process's ${processCpuUs.toFixed(1)} µs of CPU a transfer allow at most ${Math.round(bound)} tx/s on ${cores} cores, ${(bound / verify).toFixed(2)}× the yardstick, with every thread busy all the time`,
);
writeResult("execution", verify, { tx_per_s: txPerS });
console.log(`execution: tx_per_s=${txPerS} verify_per_s=${verify}`);
await fs.close();
rmSync(dir, { recursive: true, force: true });
