// Final blocks are written to the block store off the node's thread, and execution settles no slot whose
// final blocks are not on disk yet (a restart resumes on them): with the durable write held back, the final
// slot stands still while consensus finalizes more; once the writes complete, execution settles them, and
// every final block at a settled slot is in the store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsensusBlock } from "@massa-ts/consensus";
import { Slot } from "@massa-ts/models";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { steppedNode, stepSlot } from "./stepped-node.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-durable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("execution settles only slots whose final blocks are durable in the block store", async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 16_000, basePort: 0 });
  const config = loadNodeConfig(d.configPath);
  const { node, clock } = await steppedNode(config, join(dir, "data"));
  const T = config.thread_count;
  try {
    // every command handed to the execution thread: the final blocks at the slots it may settle must be
    // in the store already
    const violations: string[] = [];
    let commands = 0;
    const tick = node.execution.tick.bind(node.execution);
    node.execution.tick = (cmd) => {
      commands++;
      const upTo = new Slot(cmd.finalUpTo[0], cmd.finalUpTo[1]);
      for (const b of node.graph.activeBlocks()) {
        if (!b.final || b.parents.length === 0 || Slot.compare(b.slot, upTo) > 0) continue;
        if (!node.blockStore.getFinal(b.slot, b.id)) violations.push(`${b.slot} (settling up to ${upTo})`);
      }
      return tick(cmd);
    };
    while (node.currentSlot!.period < 6) await stepSlot(node, clock);
    const settledBefore = node.execution.finalSlot;
    expect(settledBefore.period).toBeGreaterThan(0);
    // hold the durable writes back
    const store = node.blockStore;
    const write = store.putFinalDurably.bind(store);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held: ConsensusBlock[][] = [];
    store.putFinalDurably = async (blocks) => {
      held.push([...blocks]);
      await gate;
      await write(blocks);
    };
    // 4 periods pass: consensus finalizes more slots, execution settles none of them
    for (let i = 0; i < 4 * T; i++) {
      await node.selector.waitForDraws(node.currentSlot!.next(T).cycle(config.periods_per_cycle));
      clock.advance(config.t0 / T);
    }
    await until(() => held.length > 0, "a durable write of final blocks");
    expect(node.graph.finalSlotBound(settledBefore).period).toBeGreaterThan(settledBefore.period + 1);
    expect(node.execution.finalSlot.equals(settledBefore)).toBe(true);
    // the writes complete: execution catches up, and what it settled is on disk
    open();
    await node.executionIdle();
    await stepSlot(node, clock);
    const settled = node.execution.finalSlot;
    expect(Slot.compare(settled, settledBefore)).toBeGreaterThan(0);
    let checked = 0;
    for (const b of node.graph.activeBlocks()) {
      if (!b.final || Slot.compare(b.slot, settled) > 0 || b.parents.length === 0) continue;
      expect(store.getFinal(b.slot, b.id)?.header.id.equals(b.id), `final block at ${b.slot}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(4 * T);
    expect(held.flat().length).toBeGreaterThan(0);
    expect(commands).toBeGreaterThan(6 * T);
    expect(violations, "final blocks not on disk when their slots went to be settled").toEqual([]);
  } finally {
    await node.stop();
  }
}, 60_000);
