import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Runs the CLI from source (no build needed) in a child process and returns its result. */
export function runCliProcess(args: string[], opts: { input?: string; cwd?: string } = {}) {
  const res = spawnSync(
    process.execPath,
    ["--conditions=@massa-ts/source", "--import", "tsx", MAIN, ...args],
    {
      encoding: "utf8",
      input: opts.input,
      cwd: opts.cwd,
      timeout: 60_000,
    },
  );
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}
