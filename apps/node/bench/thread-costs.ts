/**
 * Where a transfer's CPU goes. A one-node devnet as its own process (`massa-ts devnet`) is measured idle,
 * then under `massa-ts load` (this process) at a fixed rate. From the node's /metrics before and after: the
 * CPU time of its main and execution threads (Linux; elsewhere their event loops' busy time, which counts
 * waits for a core) and its whole process CPU (the rest: the signature verifiers, V8's garbage-collection
 * helpers, LMDB and libuv threads); from
 * this process, the load generator's CPU. Each is printed in microseconds per final transfer (idle cost
 * taken out), beside the yardstick: one core's `crypto.verify`, in microseconds per signature. On a
 * 2-core machine the sum of the node's and the generator's costs bounds the rate: 2 s of CPU per second.
 * Writes bench-results/thread-costs.json.
 * Run: pnpm --filter @massa-ts/node bench:thread-costs [tps] [seconds]   (default 1500 40)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoad } from "../src/load/run-load.ts";
import { verifyRate } from "../src/load/yardstick.ts";
import { threadCpuSeconds, threadIds } from "../src/node/thread-cpu.ts";
import { spawnDevnet } from "../test/devnet-process.ts";
import { writeResult } from "./results.ts";

const tps = Number(process.argv[2] ?? 1500);
const seconds = Number(process.argv[3] ?? 40);
const IDLE_S = 10;
const log = (s: string) => process.stderr.write(`  ${s}\n`);

const dir = mkdtempSync(join(tmpdir(), "massa-ts-costs-"));
const { child, devnet } = await spawnDevnet(dir, 1000);
process.on("exit", () => child.kill("SIGINT"));
const { publicApi, privateApi } = devnet.nodes[0]!;

type Reading = { at: number; cpu: number; main: number; execution: number };
/** Whether the node reports its threads' CPU time (Linux): known at the first reading after the start. */
let threadCpu = false;
const value = (text: string, pattern: string) =>
  Number(new RegExp(`^${pattern} (\\S+)$`, "m").exec(text)?.[1]);
async function read(): Promise<Reading> {
  const m = await (await fetch(`${privateApi}/metrics`)).text();
  const busy = (t: string) => value(m, `massa_ts_thread_busy_seconds\\{thread="${t}"\\}`);
  // each thread's CPU time where the node can read it (Linux), else its event loop's busy time
  const cpu = (t: string) => value(m, `massa_ts_thread_cpu_seconds\\{thread="${t}"\\}`);
  const thread = (t: string) => (threadCpu ? cpu(t) : busy(t));
  return {
    at: performance.now() / 1000,
    cpu: value(m, "process_cpu_seconds_total"),
    main: thread("main"),
    execution: thread("execution"),
  };
}
const keys = ["cpu", "main", "execution"] as const;
const perSecond = (a: Reading, b: Reading) =>
  Object.fromEntries(keys.map((k) => [k, (b[k] - a[k]) / (b.at - a.at)])) as Record<
    (typeof keys)[number],
    number
  >;

/** CPU seconds of each thread of the node's process, by thread id (empty where /proc is not). */
function threadSeconds(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of threadIds(child.pid!)) {
    const s = threadCpuSeconds(tid, child.pid!);
    if (s !== undefined) out.set(tid, s);
  }
  return out;
}

// past genesis and the start's compilation (the node runs from source), then idle
await new Promise((r) => setTimeout(r, 20_000));
threadCpu = Number.isFinite(
  value(
    await (await fetch(`${privateApi}/metrics`)).text(),
    'massa_ts_thread_cpu_seconds\\{thread="execution"\\}',
  ),
);
log(`threads measured by ${threadCpu ? "their CPU time (/proc)" : "their event loops' busy time"}`);
const i0 = await read();
await new Promise((r) => setTimeout(r, IDLE_S * 1000));
const i1 = await read();
const idle = perSecond(i0, i1);

const verify = verifyRate(1000);
const t0 = threadSeconds();
const l0 = await read();
const r = await runLoad({
  rpc: publicApi,
  accounts: devnet.accounts,
  tps,
  durationS: seconds,
  threads: 2,
  log,
});
const l1 = await read();
const t1 = threadSeconds();
const span = l1.at - l0.at;
const us = (k: (typeof keys)[number]) => ((l1[k] - l0[k] - idle[k] * span) * 1e6) / r.final;
// from the load's clock start (its threads compiled, its senders funded) to its end
const generator = r.cpuMicros / r.final;
const yardstickUs = 1e6 / verify;
const rows: [string, number][] = [
  ["node process, all threads", us("cpu")],
  ["  main thread (network, consensus, pool, API)", us("main")],
  ["  execution thread (execute, settle)", us("execution")],
  ["  other threads (signature verifier, GC, LMDB)", us("cpu") - us("main") - us("execution")],
  ["load generator process (sign, send, follow)", generator],
];
console.log(
  `${r.final} transfers final of ${r.sent} accepted at ${tps}/s offered over ${seconds} s (final ${r.txPerS}/s); yardstick ${verify} verify/s = ${yardstickUs.toFixed(0)} µs a signature`,
);
for (const [what, v] of rows)
  console.log(
    `${what.padEnd(48)} ${v.toFixed(0).padStart(6)} µs a transfer  (${(v / yardstickUs).toFixed(2)} signatures)`,
  );
// every thread but the main one, from /proc (Linux): the execution thread, the two signature verifiers, V8's
// garbage-collection helpers, libuv's pool: unlabelled (Node does not name its threads), largest first
const others = [...t1]
  .filter(([tid]) => tid !== child.pid)
  .map(([tid, seconds]) => ((seconds - (t0.get(tid) ?? 0)) * 1e6) / r.final)
  .filter((x) => x >= 1)
  .sort((x, y) => y - x);
if (others.length > 0)
  console.log(
    `  each thread but the main one, µs a transfer (idle not taken out): ${others.map((x) => x.toFixed(0)).join(" ")}`,
  );
const total = us("cpu") + generator;
console.log(
  `node + generator: ${total.toFixed(0)} µs a transfer: 2 cores bound the rate at ${Math.round(2e6 / total)}/s (${(2e6 / total / verify).toFixed(2)}× the yardstick); the node alone on 2 cores at ${Math.round(2e6 / us("cpu"))}/s (${(2e6 / us("cpu") / verify).toFixed(2)}×)`,
);
writeResult("thread-costs", verify, {
  final_per_s: r.txPerS,
  node_us_per_tx: Math.round(us("cpu")),
  main_us_per_tx: Math.round(us("main")),
  execution_us_per_tx: Math.round(us("execution")),
  other_threads_us_per_tx: Math.round(us("cpu") - us("main") - us("execution")),
  generator_us_per_tx: Math.round(generator),
});
child.kill("SIGINT");
rmSync(dir, { recursive: true, force: true });
process.exit(0);
