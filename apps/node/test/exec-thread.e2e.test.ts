// The execution thread dies (a crash in the worker, here its termination): the node starts again on its
// stored state, on the same API address, and finality goes on from where the state was.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { Slot } from "@massa-ts/models";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-exec-death-"));
let running: RunningNode | undefined;
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("a node whose execution thread dies starts again on its stored state and goes on", async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 1000, basePort: 0 });
  const r = await runNode(loadNodeConfig(d.configPath), pino({ level: "silent" }));
  running = r;
  await until(() => r.node.execution.finalSlot.period >= 3, "final period 3", 30_000);
  const old = r.node;
  const url = r.publicUrl;
  const before = old.execution.finalSlot;
  await (old.execution as unknown as { worker: Worker }).worker.terminate();
  await until(() => r.restarts === 1, "the node started again", 30_000);
  expect(r.node).not.toBe(old);
  expect(r.publicUrl).toBe(url);
  // it resumed from its stored final state, not from genesis, and settles new slots
  expect(Slot.compare(r.node.execution.finalSlot, before)).toBeGreaterThanOrEqual(0);
  await until(
    () => r.node.execution.finalSlot.period >= before.period + 3,
    "three more final periods",
    30_000,
  );
  const status = (await (
    await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "get_status", params: [] }),
    })
  ).json()) as { result: { execution_stats: { final_cursor: { period: number } } } };
  expect(status.result.execution_stats.final_cursor.period).toBeGreaterThanOrEqual(before.period + 3);
  expect(r.resyncs).toBe(0);
}, 90_000);
