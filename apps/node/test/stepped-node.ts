// A node on a manual clock at its genesis: time moves only when the caller steps it, slot by slot, so a
// slot-driven test or bench needs no sleep and no T0 of real time.

import type { Slot } from "@massa-ts/models";
import pino from "pino";
import { ManualClock } from "../src/node/clock.ts";
import type { NodeConfig } from "../src/node/config.ts";
import { MassaNode } from "../src/node/node.ts";

/** A started node whose clock stands at the config's genesis, in `dataDir`. */
export async function steppedNode(
  config: NodeConfig,
  dataDir: string,
): Promise<{ node: MassaNode; clock: ManualClock }> {
  const clock = new ManualClock(config.genesis_timestamp);
  const node = new MassaNode({ ...config, data_dir: dataDir }, { logger: pino({ level: "silent" }), clock });
  await node.start();
  return { node, clock };
}

/**
 * Steps one slot; the draws of the coming slot's cycle are awaited first (they are made in a worker), and
 * the slot's execution after (it runs on the execution thread).
 */
export async function stepSlot(node: MassaNode, clock: ManualClock): Promise<Slot> {
  const c = node.config;
  const next = node.currentSlot!.next(c.thread_count);
  await node.executionIdle();
  await node.selector.waitForDraws(next.cycle(c.periods_per_cycle));
  clock.advance(c.t0 / c.thread_count);
  await node.executionIdle();
  return next;
}
