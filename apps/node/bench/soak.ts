/**
 * Soak: a one-node devnet as its own process (`massa-ts devnet`), idle for a while, then under
 * `massa-ts load` at 70 % of the highest rate it sustains (found first with a short `--tps max` probe, or
 * given); every 10 s its RSS, its main thread's used heap and its execution thread's (from its /metrics) are
 * recorded. Writes
 * bench-results/soak.json and bench-results/soak.png (the curves), and prints the growth of each phase's
 * second half in MB per minute: memory must be flat.
 * Run: pnpm --filter @massa-ts/node bench:soak [idle minutes] [load minutes] [tps]   (default 30 30 probe)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad } from "../src/load/run-load.ts";
import { spawnDevnet } from "../test/devnet-process.ts";
import { linePng } from "./plot.ts";

const [idleMin, loadMin] = [Number(process.argv[2] ?? 30), Number(process.argv[3] ?? 30)];
const givenTps = process.argv[4] ? Number(process.argv[4]) : undefined;
const OUT = fileURLToPath(new URL("../../../bench-results/", import.meta.url));
const log = (s: string) => process.stderr.write(`  ${s}\n`);

const dir = mkdtempSync(join(tmpdir(), "massa-ts-soak-"));
const { child, devnet } = await spawnDevnet(dir, 1000);
const stop = () => child.kill("SIGINT");
process.on("exit", stop);
const { publicApi, privateApi } = devnet.nodes[0]!;

interface Sample {
  minute: number;
  phase: "idle" | "probe" | "load";
  rssMb: number;
  heapMb: number;
  /** The execution thread's heap (the process's heap gauges count the main thread's). */
  execHeapMb: number;
}
const samples: Sample[] = [];
const start = Date.now();
let phase: Sample["phase"] = "idle";
const gauge = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
const sample = async () => {
  try {
    const m = await (await fetch(`${privateApi}/metrics`)).text();
    samples.push({
      minute: (Date.now() - start) / 60_000,
      phase,
      rssMb: gauge(m, "process_resident_memory_bytes") / 2 ** 20,
      heapMb: gauge(m, "nodejs_heap_size_used_bytes") / 2 ** 20,
      execHeapMb: gauge(m, "massa_ts_execution_heap_used_bytes") / 2 ** 20,
    });
  } catch {
    // the node is busy or restarting: the next sample
  }
};
await sample();
const timer = setInterval(() => void sample(), 10_000);

log(`idle for ${idleMin} min…`);
await new Promise((r) => setTimeout(r, idleMin * 60_000));
let tps = givenTps;
if (tps === undefined) {
  log("probing the highest sustained rate…");
  phase = "probe";
  const probe = await runLoad({
    rpc: publicApi,
    accounts: devnet.accounts,
    tps: "max",
    durationS: 90,
    threads: 2,
    log,
  });
  tps = Math.max(10, Math.round(0.7 * (probe.sustainedTps ?? 200)));
}
phase = "load";
log(`load at ${tps}/s for ${loadMin} min…`);
const r = await runLoad({
  rpc: publicApi,
  accounts: devnet.accounts,
  tps,
  durationS: loadMin * 60,
  threads: 2,
  log: () => {},
});
clearInterval(timer);
await sample();
stop();

/** Growth over a phase's second half, MB per minute (least squares). */
const slope = (list: Sample[], key: "rssMb" | "heapMb" | "execHeapMb") => {
  const half = list.slice(Math.floor(list.length / 2));
  const n = half.length;
  if (n < 3) return Number.NaN;
  const mx = half.reduce((s, p) => s + p.minute, 0) / n;
  const my = half.reduce((s, p) => s + p[key], 0) / n;
  const num = half.reduce((s, p) => s + (p.minute - mx) * (p[key] - my), 0);
  const den = half.reduce((s, p) => s + (p.minute - mx) ** 2, 0);
  return num / den;
};
mkdirSync(OUT, { recursive: true });
const result = {
  date: new Date().toISOString(),
  idleMin,
  loadMin,
  tps,
  load: r,
  growthMbPerMin: Object.fromEntries(
    (["idle", "load"] as const).flatMap((p) => {
      const list = samples.filter((s) => s.phase === p);
      return [
        [`${p}_rss`, Number(slope(list, "rssMb").toFixed(3))],
        [`${p}_heap`, Number(slope(list, "heapMb").toFixed(3))],
        [`${p}_execution_heap`, Number(slope(list, "execHeapMb").toFixed(3))],
      ];
    }),
  ),
  samples,
};
writeFileSync(join(OUT, "soak.json"), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(
  join(OUT, "soak.png"),
  linePng([
    { name: "RSS (MB)", color: [200, 40, 40], points: samples.map((s) => [s.minute, s.rssMb]) },
    { name: "heap used (MB)", color: [40, 80, 200], points: samples.map((s) => [s.minute, s.heapMb]) },
    {
      name: "execution thread's heap (MB)",
      color: [30, 150, 60],
      points: samples.map((s) => [s.minute, s.execHeapMb]),
    },
  ]),
);
log(`growth, MB/min over each phase's second half: ${JSON.stringify(result.growthMbPerMin)}`);
log(`load: ${r.sent} accepted, ${r.final} final, refusals ${JSON.stringify(r.refusals)}`);
console.log(
  `soak: idle_rss_mb_per_min=${result.growthMbPerMin.idle_rss} load_rss_mb_per_min=${result.growthMbPerMin.load_rss} tx_per_s=${r.txPerS} p99_ms=${r.p99Ms}`,
);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
