#!/usr/bin/env node
// Regenerates packages/pos-draws/test/vectors/rust-draws.json with the Rust reference (build it first:
// `cargo build --release` in this folder). Each case: inputs, the SHA-256 of the whole output text, and
// its first lines.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

const bin = new URL("./target/release/draws-ref", import.meta.url).pathname;
const M64 = (1n << 64n) - 1n;
// Deterministic weights (splitmix-like) so the cases are reproducible without storing huge lists twice.
function* prng(seed) {
  let x = BigInt(seed);
  for (;;) {
    x = (x + 0x9e3779b97f4a7c15n) & M64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    yield z ^ (z >> 31n);
  }
}
function weights(n, seed, mod) {
  const g = prng(seed);
  return Array.from({ length: n }, () => g.next().value % mod);
}
const cases = [
  {
    name: "mainnet-500-skewed",
    cycle: 9,
    ppc: 128,
    tc: 32,
    ec: 16,
    seed: "a5".repeat(32),
    weights: weights(500, 1, 1000n).map((w, i) => (i % 7 === 0 ? w * 50n : w)),
  },
  {
    name: "uniform-2000",
    cycle: 2,
    ppc: 128,
    tc: 32,
    ec: 16,
    seed: "0123456789abcdef".repeat(4),
    weights: Array(2000).fill(1n),
  },
  { name: "one-staker-small", cycle: 0, ppc: 4, tc: 2, ec: 16, seed: "11".repeat(32), weights: [7n] },
  {
    name: "huge-7",
    cycle: 3,
    ppc: 8,
    tc: 4,
    ec: 5,
    seed: `${"fe".repeat(31)}01`,
    weights: weights(7, 2, M64 / 7n),
  },
  {
    name: "zeros-and-genesis",
    cycle: 0,
    ppc: 16,
    tc: 8,
    ec: 4,
    seed: `${"00".repeat(31)}07`,
    weights: weights(64, 3, 4n),
  },
];
const out = cases.map((c) => {
  const input = `${c.cycle} ${c.ppc} ${c.tc} ${c.ec} ${c.seed}\n${c.weights.join("\n")}\n`;
  const text = execFileSync(bin, { input, maxBuffer: 1 << 28 }).toString();
  return {
    name: c.name,
    cycle: c.cycle,
    periodsPerCycle: c.ppc,
    threadCount: c.tc,
    endorsementCount: c.ec,
    seed: c.seed,
    weights: c.weights.map(String),
    sha256: createHash("sha256").update(text).digest("hex"),
    firstLines: text.split("\n").slice(0, 3),
  };
});
const target = new URL("../../packages/pos-draws/test/vectors/rust-draws.json", import.meta.url).pathname;
writeFileSync(
  target,
  `${JSON.stringify({ generator: "tools/draws-ref (rand 0.8.5, rand_distr 0.4.3, rand_xoshiro 0.6.0)", cases: out }, null, 1)}\n`,
);
console.log(`wrote ${out.length} cases to ${target}`);
