// Benchmarks' figures as JSON (`bench-results/<name>.json` at the repository root): each figure with its
// ratio to the yardstick measured in the same run, for the README and for the CI's regression guard
// (`scripts/bench-guard.mjs`).
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Writes `figures` (rates per second) and their ratios to `verifyPerS`; returns the file written. */
export function writeResult(
  name: string,
  verifyPerS: number,
  figures: Record<string, number>,
  /** Other facts of the run (latencies, settings), written as they are. */
  extra: Record<string, unknown> = {},
): string {
  const dir = join(ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const ratios = Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [k, Number((v / verifyPerS).toPrecision(4))]),
  );
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        name,
        date: new Date().toISOString(),
        machine: `${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}`,
        verify_per_s: verifyPerS,
        figures,
        ratios,
        ...extra,
      },
      null,
      2,
    )}\n`,
  );
  return file;
}
