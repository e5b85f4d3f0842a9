// `massa-ts load` as a user runs it: its own process, pointed at a running one-node devnet through the
// devnet's devnet.json; a short run at a modest rate must end with every accepted transfer final and the
// exact closing line the benchmarks parse.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { cliArgs } from "./devnet-process.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-load-"));
let running: RunningNode | undefined;
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("a 10-second load at 150 transfers/s: every accepted transfer final, the closing line exact", async () => {
  const d = createDevnet({ dir: join(dir, "devnet"), nodes: 1, t0: 1000, basePort: 0 });
  running = await runNode(loadNodeConfig(d.configPath), pino({ level: "silent" }));
  const node = running.node;
  await until(() => (node.currentSlot?.period ?? 0) >= 1, "period 1", 15_000);
  const devnetJson = join(dir, "devnet.json");
  writeFileSync(
    devnetJson,
    JSON.stringify({ nodes: [{ publicApi: running.publicUrl }], accounts: d.accounts }),
  );
  const child = spawn(
    process.execPath,
    cliArgs("load", "--devnet", devnetJson, "--tps", "150", "--duration", "10", "--threads", "2"),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (b) => {
    out += b;
  });
  child.stderr.on("data", (b) => {
    err += b;
  });
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  expect(code, err).toBe(0);
  const last = out.trim().split("\n").at(-1)!;
  const m = /^load: tx_per_s=(\d+) accepted_per_s=(\d+) p50_ms=(\d+) p99_ms=(\d+)$/.exec(last);
  expect(m, last).not.toBeNull();
  const [txPerS, acceptedPerS, p50, p99] = m!.slice(1).map(Number) as [number, number, number, number];
  expect(acceptedPerS).toBeGreaterThan(100);
  expect(txPerS).toBeGreaterThan(50);
  expect(p50).toBeGreaterThan(0);
  expect(p99).toBeGreaterThanOrEqual(p50);
  const summary = /load: (\d+) accepted, (\d+) final/.exec(err);
  expect(summary, err).not.toBeNull();
  expect(Number(summary![2])).toBe(Number(summary![1]));
}, 90_000);
