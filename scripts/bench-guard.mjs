#!/usr/bin/env node
// CI's benchmark regression guard: runs short versions of the node and contract benchmarks (each writes
// bench-results/<name>.json with its figures and their ratios to the crypto.verify yardstick measured in
// the same run), then compares every ratio with bench/baseline.json and fails on a drop of 3× or more.
// Ratios, not raw figures: these machines vary 2× from day to day, the yardstick with them.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const runs = [
  { name: "node", filter: "@massa-ts/node", script: "bench:node", env: { MASSA_TS_BENCH_OPS: "2000" } },
  {
    name: "execution",
    filter: "@massa-ts/execution",
    script: "bench:transfers",
    env: { MASSA_TS_BENCH_BLOCKS: "6" },
  },
  {
    name: "contracts",
    filter: "@massa-ts/execution",
    script: "bench:contracts",
    env: { MASSA_TS_BENCH_BLOCKS: "3" },
  },
];
const baseline = JSON.parse(readFileSync(join(root, "bench", "baseline.json"), "utf8"));
let failed = false;
for (const r of runs) {
  const t = Date.now();
  const p = spawnSync("pnpm", ["--filter", r.filter, "-s", r.script], {
    cwd: root,
    env: { ...process.env, ...r.env },
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 600_000,
  });
  if (p.status !== 0) {
    console.log(`bench-guard: ${r.name} bench failed (exit ${p.status})`);
    failed = true;
    continue;
  }
  const got = JSON.parse(readFileSync(join(root, "bench-results", `${r.name}.json`), "utf8"));
  for (const [figure, ratio] of Object.entries(got.ratios)) {
    const base = baseline[r.name]?.[figure];
    if (base === undefined) continue;
    const drop = base / Math.max(ratio, 1e-9);
    const ok = drop < 3;
    if (!ok) failed = true;
    console.log(
      `bench-guard: ${r.name}.${figure} ${ratio}× the yardstick (baseline ${base}×, ${drop >= 1 ? `${drop.toFixed(2)}× lower` : "higher"}) ${ok ? "ok" : "FAILED: a 3× drop"}`,
    );
  }
  console.log(
    `bench-guard: ${r.name} took ${((Date.now() - t) / 1000).toFixed(0)} s (yardstick ${got.verify_per_s} verify/s)`,
  );
}
process.exit(failed ? 1 : 0);
