// A network partition: 4 nodes split 2/2 for a while (each half keeps producing its own slots), then healed.
// All nodes converge on one blockclique, and no final slot is ever finalized differently by two nodes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { nodePorts } from "./ports.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-partition-"));
const nodes: RunningNode[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

it("after a 2/2 partition heals, the 4 nodes converge with no final slot finalized two ways", async () => {
  // the ports are picked free, released, then bound by the nodes: another process may take one in
  // between (CI saw EADDRINUSE); then the devnet starts over on new ports, up to three times
  let d!: ReturnType<typeof createDevnet>;
  let discards: string[][] = [];
  for (let attempt = 0; ; attempt++) {
    const ports = await nodePorts(4);
    d = createDevnet({ dir: join(dir, `try-${attempt}`), nodes: 4, t0: 1000, basePort: 0, ports });
    // each node's discards, printed at the end: a branch dropped as stale is how a heal goes wrong
    discards = d.configPaths.map(() => [] as string[]);
    try {
      for (const [i, p] of d.configPaths.entries()) {
        const stream = {
          write: (line: string) => {
            if (line.includes("blocks discarded")) discards[i]!.push(line);
          },
        };
        nodes.push(await runNode(loadNodeConfig(p), pino({ level: "info" }, stream)));
      }
      break;
    } catch (e) {
      await Promise.all(nodes.splice(0).map((n) => n.stop()));
      if (attempt >= 2 || !/EADDRINUSE/.test(String(e))) throw e;
    }
  }
  const ns = nodes.map((n) => n.node);
  const c0 = loadNodeConfig(d.configPaths[0]!);
  // every final (slot, hash) each node ever reports, sampled all along, with when it was first seen
  const seen = ns.map(() => new Map<string, string>());
  const firstSeen = ns.map(() => new Map<string, number>());
  const sample = () =>
    ns.forEach((n, i) => {
      for (const h of n.finalHashes) {
        const k = `${h.slot.period},${h.slot.thread}`;
        if (!firstSeen[i]!.has(k)) firstSeen[i]!.set(k, Date.now());
        seen[i]!.set(k, h.hash);
      }
    });
  const finalPeriod = (i: number) => ns[i]!.execution.finalSlot.period;
  await until(
    () => {
      sample();
      return ns.every((_, i) => finalPeriod(i) >= 4);
    },
    "every node's final period to reach 4",
    30_000,
    100,
  );
  // split: {0, 1} | {2, 3}
  const keys = ns.map((n) => n.network!.nodeKey.publicKey);
  ns[0]!.network!.block([keys[2]!, keys[3]!]);
  ns[1]!.network!.block([keys[2]!, keys[3]!]);
  ns[2]!.network!.block([keys[0]!, keys[1]!]);
  ns[3]!.network!.block([keys[0]!, keys[1]!]);
  // the partition lasts 2 periods (8 slots: each half producing its own), counted from when no link
  // crosses it: too short for either half to finalize alone
  const otherHalf = (i: number) => (i < 2 ? [keys[2]!, keys[3]!] : [keys[0]!, keys[1]!]);
  await until(
    () => {
      sample();
      return ns.every(
        (n, i) => !n.network!.connected.some((p) => otherHalf(i).some((k) => p.publicKey?.equals(k))),
      );
    },
    "no connection across the partition",
    5_000,
    20,
  );
  const T = c0.thread_count;
  const splitAt = Math.max(...ns.map((n) => n.currentSlot!.index(T)));
  await until(
    () => {
      sample();
      return ns.every((n) => n.currentSlot!.index(T) >= splitAt + 2 * T);
    },
    "2 periods of partition",
    15_000,
    20,
  );
  expect(ns[0]!.network!.connected.map((p) => p.publicKey!.toString()).sort()).toEqual([keys[1]!.toString()]);
  // heal
  ns[0]!.network!.unblock([keys[2]!, keys[3]!]);
  ns[1]!.network!.unblock([keys[2]!, keys[3]!]);
  ns[2]!.network!.unblock([keys[0]!, keys[1]!]);
  ns[3]!.network!.unblock([keys[0]!, keys[1]!]);
  const healedAt = Math.max(...ns.map((_, i) => finalPeriod(i)));
  const t0 = Date.now();
  const cross = () =>
    ns.every((n, i) => n.network!.connected.some((p) => otherHalf(i).some((k) => p.publicKey?.equals(k))));
  await until(
    () => {
      sample();
      return cross();
    },
    "links across the healed partition",
    30_000,
    20,
  );
  const crossAt = Date.now();
  console.log(
    `partition: links across again ${crossAt - t0} ms after the heal; final periods ${ns.map((_, i) => finalPeriod(i))}`,
  );
  await until(
    () => {
      sample();
      return ns.every((_, i) => finalPeriod(i) >= healedAt + 8);
    },
    "every node to finalize 8 periods past the heal",
    30_000,
    100,
  );
  sample();
  console.log(
    `partition: blocks discarded per node ${discards.map((l) => l.length)}${discards.flat().length > 0 ? `; first: ${discards.flat()[0]}` : ""}`,
  );
  expect(ns.every((_, i) => finalPeriod(i) >= healedAt + 8)).toBe(true);
  // one blockclique everywhere (the half that lost its branch dropped it as stale)
  expect(ns.map((n) => n.graph.allCliques().length)).toEqual([1, 1, 1, 1]);
  // no final slot ever had two different hashes, on any pair of nodes
  let compared = 0;
  for (const [k, h] of seen[0]!) {
    for (let i = 1; i < 4; i++) {
      const other = seen[i]!.get(k);
      if (other !== undefined) {
        const when = (j: number) => `${firstSeen[j]!.get(k)! - t0} ms`;
        expect(
          other,
          `final slot ${k}: node ${i} vs node 0 (split at slot index ${splitAt}, healed with finality at period ${healedAt}; ` +
            `links across ${crossAt - t0} ms after the heal; final on node 0 at ${when(0)}, on node ${i} at ${when(i)})`,
        ).toBe(h);
        compared++;
      }
    }
  }
  expect(compared).toBeGreaterThan(60);
}, 40_000);
