/**
 * One node, end to end, as a user measures it: a one-node devnet as its own process (`massa-ts devnet`,
 * T0 = 1 s), `massa-ts load`'s engine in this process. First `--tps max` for 120 s (the highest offered rate
 * the node sustains, with the final and accepted rates while it was offered), then 40 s at half that rate
 * for the latency from submission to final (the issue's goal: p50 ≤ 2.5 periods, p99 ≤ 4). Beside the
 * yardstick (one core's crypto.verify) measured before and after. The generator shares this machine's
 * cores with the node: see bench:thread-costs for what each costs.
 * The devnet has 8 threads: a block holds at most 300 000 bytes of operations (Massa's limit), about 2 100
 * transfers, so 4 threads at T0 = 1 s finalize at most about 8 500 transfers a second, less than the goal
 * on a fast day (0.7 × 12 300/s); 8 threads carry twice that.
 * Run: pnpm --filter @massa-ts/node bench:one-node [max seconds] [half-rate seconds] [threads]
 * (default 120 40 8)
 * Ends with `one-node: tx_per_s=N accepted_per_s=N half_rate_p50_periods=N half_rate_p99_periods=N verify_per_s=N`;
 * writes bench-results/one-node.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoad } from "../src/load/run-load.ts";
import { spawnDevnet } from "../test/devnet-process.ts";
import { writeResult } from "./results.ts";
import { verifyRate } from "./yardstick.ts";

const maxS = Number(process.argv[2] ?? 120);
const halfS = Number(process.argv[3] ?? 40);
const THREADS = Number(process.argv[4] ?? 8);
const T0 = 1000;
const log = (s: string) => process.stderr.write(`  ${s}\n`);

const dir = mkdtempSync(join(tmpdir(), "massa-ts-one-node-"));
const { child, devnet } = await spawnDevnet(dir, T0, 60_000, THREADS);
process.on("exit", () => child.kill("SIGINT"));
const { publicApi } = devnet.nodes[0]!;
// past genesis and the start's compilation (the node runs from source)
await new Promise((r) => setTimeout(r, 15_000));

const before = verifyRate(1000);
const max = await runLoad({
  rpc: publicApi,
  accounts: devnet.accounts,
  tps: "max",
  durationS: maxS,
  threads: 2,
  log,
});
const half = Math.max(10, Math.round((max.sustainedTps ?? 200) / 2));
log(`half the highest sustained rate: ${half}/s for ${halfS} s`);
const atHalf = await runLoad({
  rpc: publicApi,
  accounts: devnet.accounts,
  tps: half,
  durationS: halfS,
  threads: 2,
  log: () => {},
});
const after = verifyRate(1000);
const verify = Math.round((before + after) / 2);
const periods = (ms: number) => Number((ms / T0).toFixed(2));
log(`yardstick: crypto.verify ${before}/s before, ${after}/s after`);
log(
  `--tps max: sustained ${max.sustainedTps}/s offered, ${max.txPerS}/s final (${(max.txPerS / verify).toFixed(3)}×), ${max.acceptedPerS}/s accepted (${(max.acceptedPerS / verify).toFixed(3)}×), p50 ${max.p50Ms} ms, p99 ${max.p99Ms} ms`,
);
log(
  `at ${half}/s: ${atHalf.final} of ${atHalf.sent} final, p50 ${atHalf.p50Ms} ms = ${periods(atHalf.p50Ms)} periods, p99 ${atHalf.p99Ms} ms = ${periods(atHalf.p99Ms)} periods; refusals ${JSON.stringify(atHalf.refusals)}`,
);
writeResult(
  "one-node",
  verify,
  { final_tx_per_s: max.txPerS, accepted_per_s: max.acceptedPerS },
  {
    sustained_offered_per_s: max.sustainedTps,
    max_p50_ms: max.p50Ms,
    max_p99_ms: max.p99Ms,
    half_rate: {
      offered_per_s: half,
      final_per_s: atHalf.txPerS,
      p50_ms: atHalf.p50Ms,
      p99_ms: atHalf.p99Ms,
    },
    t0_ms: T0,
    threads: THREADS,
  },
);
console.log(
  `one-node: tx_per_s=${max.txPerS} accepted_per_s=${max.acceptedPerS} half_rate_p50_periods=${periods(atHalf.p50Ms)} half_rate_p99_periods=${periods(atHalf.p99Ms)} verify_per_s=${verify}`,
);
child.kill("SIGINT");
rmSync(dir, { recursive: true, force: true });
process.exit(0);
