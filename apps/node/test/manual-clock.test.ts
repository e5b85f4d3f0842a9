// The node under a stepped clock: time moves only when the test says so, slot by slot, so a slot-driven
// test needs no sleep and no T0 of real time. A lone staker holds every roll, so Massa's draws give it every
// slot: it must produce a block at each slot from period 1 on. Two nodes stepped alike from the same
// genesis must settle the same final slots with the same state hashes (determinism: no wall clock inside).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, Slot } from "@massa-ts/models";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import type { ManualClock } from "../src/node/clock.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import type { MassaNode } from "../src/node/node.ts";
import { steppedNode, stepSlot } from "./stepped-node.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Steps one slot, checking the node's clock moved with it. */
async function step(node: MassaNode, clock: ManualClock): Promise<Slot> {
  const next = await stepSlot(node, clock);
  expect(node.currentSlot!.equals(next)).toBe(true);
  return next;
}

it("a lone staker stepped slot by slot: a block at every slot, finality follows, the same hashes on a twin", async () => {
  const dir = mkdtempSync(join(tmpdir(), "massa-ts-clock-"));
  dirs.push(dir);
  const d = createDevnet({ dir, nodes: 1, t0: 16_000, basePort: 0 });
  const config = loadNodeConfig(d.configPath);
  const a = await steppedNode(config, join(dir, "a"));
  const b = await steppedNode(config, join(dir, "b"));
  try {
    const periods = 3 * config.periods_per_cycle; // three cycles: draws of cycles 2 and 3 come from settled state
    const slots: Slot[] = [];
    while (a.node.currentSlot!.period < periods) {
      slots.push(await step(a.node, a.clock));
      await step(b.node, b.clock);
    }
    // T0 is 16 s: three cycles of real time would be minutes; none passed
    const keys = [...a.node.stakingKeys.values()];
    expect(keys).toHaveLength(1);
    const staker = Address.fromPublicKey(keys[0]!.publicKey).toString();
    for (const s of slots.filter((x) => x.period > 0)) {
      const block = a.node.graph.blockAt(s);
      expect(block, `block at ${s}`).toBeDefined();
      expect(block!.header.creatorAddress.toString()).toBe(staker);
    }
    const produced = slots.filter((x) => x.period > 0).length;
    const counter = await a.node.metrics.registry.getSingleMetric("massa_ts_blocks_produced_total")?.get();
    expect(counter?.values[0]?.value).toBe(produced);
    // finality moved on, and the twin settled exactly the same slots to the same state hashes
    expect(Slot.compare(a.node.execution.finalSlot, new Slot(config.periods_per_cycle, 0))).toBeGreaterThan(
      0,
    );
    expect(b.node.finalHashes.map((h) => `${h.slot}=${h.hash}`)).toEqual(
      a.node.finalHashes.map((h) => `${h.slot}=${h.hash}`),
    );
  } finally {
    await a.node.stop();
    await b.node.stop();
  }
}, 60_000);
