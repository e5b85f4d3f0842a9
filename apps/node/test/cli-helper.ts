import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCli } from "../src/cli.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/**
 * Runs the CLI in this process (as `main.ts` does, without the process around it) and returns its exit
 * code and what it wrote. One call at a time: stdout and stderr are captured while it runs.
 */
export async function runCliInProcess(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write;
  const realErr = process.stderr.write;
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const cb = rest.find((x) => typeof x === "function") as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await runCli(args);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** Runs the CLI from source (no build needed) in a child process: for the one test of the real entry point. */
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
