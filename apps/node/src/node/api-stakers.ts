// Rolls as Massa's API reports them: the *active* rolls of a cycle are those the draws of that cycle were
// made from, the roll counts at the end of cycle C − 3 (the initial rolls before cycle 3); production
// statistics add the candidate (active history) blocks to the final ones; pages as Massa's `PagedVec`.
// The rolls and statistics are read on the execution thread (exec-thread/queries.ts).
import type { NodeApiView } from "./api-view.js";

/** The current cycle as Massa's `get_stakers` sees it: the clock's, or last_start_period's before it. */
export function currentCycle(node: NodeApiView): number {
  const c = node.config;
  const now = node.slotAt(node.clock.now());
  const lsp = c.last_start_period ?? 0;
  const period = now ? Math.max(now.period, lsp) : 0;
  return Math.floor(period / c.periods_per_cycle);
}

/**
 * Massa's `PagedVec` (the `paginate` crate): `offset` is a page index; a page past the last is empty;
 * without a request, everything.
 */
export function page<T>(all: readonly T[], req: { limit: number; offset: number } | null | undefined): T[] {
  if (!req) return [...all];
  if (req.limit === 0) return [];
  const pages = Math.ceil(all.length / req.limit);
  if (req.offset >= pages) return [];
  return all.slice(req.offset * req.limit, (req.offset + 1) * req.limit);
}
