/**
 * final-state benchmark (first part): cost of the state hash per change, and settle latency of a slot with
 * 5 000 balance changes on a store of N ledger entries. Run: pnpm --filter @massa-ts/final-state bench
 * (N defaults to 100 000; MASSA_TS_BENCH_ENTRIES=1000000 for the size, which takes minutes to build).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { entryHash, entryHashReference, FinalState, loadStateHasher } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, Slot } from "@massa-ts/models";

const N = Number(process.env.MASSA_TS_BENCH_ENTRIES ?? 100_000);
const T = 32;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}`,
);

// 1. entry hash alone (a balance key is 43 bytes, its value ~5 bytes), with both implementations
const key = new Uint8Array(43).fill(7);
const val = Uint8Array.of(0x80, 0x94, 0xeb, 0xdc, 0x03);
await loadStateHasher();
for (const [name, fn] of [
  ["@noble/hashes", entryHashReference],
  ["hash-wasm (used)", entryHash],
] as const) {
  const t0 = performance.now();
  for (let i = 0; i < 20_000; i++) {
    key[10] = i & 0xff;
    fn(key, val);
  }
  const us = ((performance.now() - t0) / 20_000) * 1000;
  console.log(`entry hash (BLAKE3-XOF-512, ${name}): ${us.toFixed(2)} µs each`);
}
let t = 0;

// 2. build N entries, then settle slots of 5 000 balance changes
const dir = mkdtempSync(join(os.tmpdir(), "massa-ts-fs-bench-"));
const fs = await FinalState.open({ path: dir, chainId: 77n, threadCount: T });
const addr = (i: number) => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, i * 2654435761);
  new DataView(h.buffer).setUint32(4, i);
  return new Address("user", h);
};
let slot = 0;
t = performance.now();
for (let i = 0; i < N; i += 20_000) {
  const c = new LedgerChanges();
  for (let j = i; j < Math.min(N, i + 20_000); j++) {
    c.createAddress(addr(j));
    c.setBalance(addr(j), Amount.fromNano(BigInt(j + 1)));
  }
  fs.settleSlot(Slot.fromIndex(slot++, T), { ledgerChanges: c });
}
console.log(`built ${N} entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const ms: number[] = [];
for (let r = 0; r < 7; r++) {
  const c = new LedgerChanges();
  for (let j = 0; j < 5000; j++)
    c.setBalance(addr((j * 7919 + r * 131) % N), Amount.fromNano(BigInt(r * 10_000 + j)));
  const s = performance.now();
  fs.settleSlot(Slot.fromIndex(slot++, T), { ledgerChanges: c });
  ms.push(performance.now() - s);
}
const size = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
console.log(
  `settle: 5000 balance changes on ${N} entries: median ${median(ms).toFixed(1)} ms (target ≤ 50 ms); on disk ${(size / 1e6).toFixed(1)} MB`,
);
await fs.close();
rmSync(dir, { recursive: true, force: true });
