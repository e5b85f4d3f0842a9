// The README's first command ends with `pnpm start`: it must bring up a devnet node whose final slot
// advances. Runs exactly that script (build included) from the repository root, in a temporary devnet dir.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { until } from "./wait.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "massa-ts-start-"));
let child: ChildProcess | undefined;
afterAll(() => {
  try {
    if (child?.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
});

async function finalPeriod(url: string): Promise<number> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "get_status", params: [{}] }),
  });
  const j = (await r.json()) as { result: { execution_stats: { final_cursor: { period: number } } } };
  return j.result.execution_stats.final_cursor.period;
}

it("`pnpm start` builds and runs a one-node devnet whose final slot advances", async () => {
  child = spawn("pnpm", ["start"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      TURBO_TELEMETRY_DISABLED: "1",
      MASSA_TS_DEVNET_DIR: dir,
      MASSA_TS_DEVNET_BASE_PORT: "0",
    },
    detached: true, // its own process group: Ctrl-C goes to pnpm and the node alike, as in a terminal
  });
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  let spawnError: Error | undefined;
  child.once("error", (e) => {
    spawnError = e;
  });
  const file = join(dir, "devnet.json");
  await until(
    () => {
      if (spawnError) throw new Error(`cannot run pnpm: ${spawnError.message}`);
      if (child!.exitCode !== null)
        throw new Error(`pnpm start exited (${child!.exitCode}): ${err.slice(-2000)}`);
      return existsSync(file);
    },
    "pnpm start to build and write devnet.json",
    45_000,
    100,
  ).catch((e: Error) => {
    if (!e.message.startsWith("timed out")) throw e;
    throw new Error(`${e.message}\npnpm start output so far:\n${err.slice(-3000)}`);
  });
  const url = (JSON.parse(readFileSync(file, "utf8")) as { nodes: { publicApi: string }[] }).nodes[0]!
    .publicApi;
  const first = await finalPeriod(url);
  await until(async () => (await finalPeriod(url)) > first, "the final slot to advance", 10_000, 100);
  expect(await finalPeriod(url)).toBeGreaterThan(first);
  // printed right after devnet.json is written: wait for it to come through the pipe
  await until(() => /Funded accounts/.test(err), "the devnet's summary on stderr", 5000).catch(() => {});
  expect(err).toMatch(/Funded accounts/);
  const exited = new Promise((r) => child!.once("exit", r));
  process.kill(-child.pid!, "SIGINT");
  await exited;
}, 60_000);
