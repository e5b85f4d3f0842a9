import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Empties a node's data dir (final state, journal, stored blocks) before it bootstraps again, keeping the
 * files named in `keep` (the node key, when the node keeps its identity).
 */
export function clearDataDir(dir: string, keep: readonly string[] = []): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir))
    if (!keep.includes(f)) rmSync(join(dir, f), { recursive: true, force: true });
}
