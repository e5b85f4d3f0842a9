/**
 * An idle node's memory, fast: a one-node devnet stepped slot by slot on a manual clock (T0 = 16 s, no real
 * time passes), a block at every slot, nothing else. Prints the heap after a full GC every 1 000 slots; flat
 * is the goal (issue 16: an idle node grew ~7 MB a minute). Optional heap snapshots at half and at the end
 * (`--snapshots`) to compare where it goes.
 * Run: node --expose-gc --conditions=@massa-ts/source --import tsx bench/idle-memory.ts [slots] [--snapshots]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { steppedNode, stepSlot } from "../test/stepped-node.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const slots = Number(process.argv[2] ?? 8000);
const snapshots = process.argv.includes("--snapshots");
const dir = mkdtempSync(join(tmpdir(), "massa-ts-idle-"));
const d = createDevnet({ dir, nodes: 1, t0: 16_000, basePort: 0 });
const config = loadNodeConfig(d.configPath);
const { node, clock } = await steppedNode(config, join(dir, "data"));
const heaps: number[] = [];
for (let i = 1; i <= slots; i++) {
  await stepSlot(node, clock);
  if (i % 4 === 0) await node.execution.call("drain");
  if (i % 1000 === 0) {
    gc();
    const m = process.memoryUsage();
    heaps.push(m.heapUsed);
    console.log(
      `slot ${i}: heap ${(m.heapUsed / 1e6).toFixed(1)} MB, rss ${(m.rss / 1e6).toFixed(0)} MB, final ${node.execution.finalSlot}`,
    );
    if (snapshots && (i === slots / 2 || i === slots)) console.log(`  snapshot ${v8.writeHeapSnapshot()}`);
  }
}
await node.stop();
rmSync(dir, { recursive: true, force: true });
if (heaps.length >= 2) {
  const perThousand = (heaps.at(-1)! - heaps[0]!) / (heaps.length - 1) / 1e6;
  console.log(`idle: heap grew ${perThousand.toFixed(2)} MB per 1 000 slots over ${slots} slots`);
}
