// A devnet started as a user starts it: `massa-ts devnet` in its own process (from source with tsx), then
// its devnet.json read once it is written. Shared by the end-to-end tests and the soak benchmark.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "./wait.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Node's arguments to run `massa-ts <args>` from source (tsx, workspace packages from their sources). */
export function cliArgs(...args: string[]): string[] {
  // MASSA_TS_CHILD_FLAGS: extra Node flags for the spawned CLI, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
  // to profile a devnet under a benchmark (Node refuses --cpu-prof in NODE_OPTIONS)
  const extra = process.env.MASSA_TS_CHILD_FLAGS?.split(" ").filter(Boolean) ?? [];
  return [...extra, "--conditions=@massa-ts/source", "--import", "tsx", MAIN, ...args];
}

export interface DevnetFile {
  nodes: { publicApi: string; privateApi: string }[];
  accounts: { address: string; secretKey: string; balance: string }[];
  chainId: number;
}

export interface DevnetProcess {
  readonly child: ChildProcess;
  readonly devnet: DevnetFile;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/**
 * Runs `massa-ts devnet --dir DIR --base-port 0 --t0 T0 [--threads N]` and waits for its devnet.json (stdout
 * discarded).
 */
export async function spawnDevnet(
  dir: string,
  t0 = 1000,
  deadlineMs = 60_000,
  threads?: number,
): Promise<DevnetProcess> {
  rmSync(join(dir, "devnet.json"), { force: true });
  const child = spawn(
    process.execPath,
    cliArgs(
      "devnet",
      "--dir",
      dir,
      "--base-port",
      "0",
      "--t0",
      String(t0),
      ...(threads === undefined ? [] : ["--threads", String(threads)]),
    ),
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`devnet exited early: ${err}`);
      return existsSync(join(dir, "devnet.json"));
    },
    "the devnet to write devnet.json",
    deadlineMs,
    100,
  );
  const devnet = JSON.parse(readFileSync(join(dir, "devnet.json"), "utf8")) as DevnetFile;
  return { child, devnet, exited };
}
