// `massa-ts devnet --threads`: the thread count a new devnet is written with, and what it refuses.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-devnet-threads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a devnet of 8 threads: thread_count 8, finality at the same number of periods (delta_f0 = 17 a block × 8)", () => {
  const d = createDevnet({ dir: join(dir, "eight"), nodes: 1, t0: 1000, basePort: 0, threads: 8 });
  const c = loadNodeConfig(d.configPath);
  expect(c.thread_count).toBe(8);
  expect(c.delta_f0).toBe(136);
  const four = loadNodeConfig(
    createDevnet({ dir: join(dir, "four"), nodes: 1, t0: 1000, basePort: 0 }).configPath,
  );
  expect(four.thread_count).toBe(4);
  expect(four.delta_f0).toBe(68);
});

it("refuses a thread count outside 1..32 and a T0 its thread count does not divide", () => {
  const at = (name: string) => join(dir, name);
  expect(() => createDevnet({ dir: at("zero"), nodes: 1, t0: 1000, basePort: 0, threads: 0 })).toThrow(
    /--threads 0: between 1 and 32/,
  );
  expect(() => createDevnet({ dir: at("many"), nodes: 1, t0: 1000, basePort: 0, threads: 33 })).toThrow(
    /between 1 and 32/,
  );
  expect(() => createDevnet({ dir: at("odd"), nodes: 1, t0: 1000, basePort: 0, threads: 3 })).toThrow(
    /--t0 1000: must be divisible by the thread count \(3\)/,
  );
});
