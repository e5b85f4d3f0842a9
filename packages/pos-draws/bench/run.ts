/**
 * pos-draws benchmark: one whole mainnet cycle (alias table build + 4096 × 17 = 69 632 samples) for
 * 10 000 and 1 000 000 stakers. Median of several runs. Run: pnpm --filter @massa-ts/pos-draws bench
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { blake3 } from "@massa-ts/models";
import { drawCycleIndices, toRollWeights } from "@massa-ts/pos-draws";

// The Rust reference (tools/draws-ref, `cargo build --release` there), run on the same weights when built.
const RUST = new URL("../../../tools/draws-ref/target/release/draws-ref", import.meta.url).pathname;
const cfg = { periodsPerCycle: 128, threadCount: 32, endorsementCount: 16 };
const seed = blake3(new TextEncoder().encode("bench"));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
for (const stakers of [10_000, 1_000_000]) {
  // Skewed roll counts: 1..1000 rolls, deterministic.
  const rolls = Array.from({ length: stakers }, (_, i) => BigInt(1 + ((i * 7919) % 1000)));
  // What the selector's worker receives: u32 roll counts already in address order.
  const weights = toRollWeights(rolls);
  const runs = stakers > 100_000 ? 5 : 9;
  const ms: number[] = [];
  let check = 0;
  for (let w = 0; w < 3; w++) drawCycleIndices(weights, seed, 3, cfg); // warm-up (JIT)
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const d = drawCycleIndices(weights, seed, 3, cfg);
    ms.push(performance.now() - t);
    check ^= d.producers[100]!;
  }
  const tsMedian = median(ms);
  let rust = "";
  if (existsSync(RUST)) {
    const input = `3 128 32 16 ${Buffer.from(seed).toString("hex")}\n${rolls.join("\n")}\n`;
    const line = execFileSync(RUST, ["--bench", String(runs)], { input, maxBuffer: 1 << 26 })
      .toString()
      .trim();
    const rustMs = Number(/median_ms=([\d.]+)/.exec(line)?.[1]);
    rust = ` rust_median_ms=${rustMs.toFixed(2)} ratio=${(tsMedian / rustMs).toFixed(2)}x`;
  }
  console.log(
    `draws: stakers=${stakers} samples=${4096 * 17} median_ms=${median(ms).toFixed(2)} min_ms=${Math.min(...ms).toFixed(2)} (runs=${runs}, check=${check})${rust}`,
  );
}
