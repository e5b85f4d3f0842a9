// Rolls as Massa's API reports them: the *active* rolls of a cycle are those the draws of that cycle were
// made from, the roll counts at the end of cycle C − 3 (the initial rolls before cycle 3); production
// statistics add the candidate (active history) blocks to the final ones; pages as Massa's `PagedVec`.
import { type Address, compareAddresses } from "@massa-ts/models";
import type { NodeApiView } from "./api-view.js";

/** Active rolls of every staker in `cycle`, as Massa's `get_all_active_rolls` (zero counts as stored). */
export function activeRolls(node: NodeApiView, cycle: number): [Address, bigint][] {
  if (cycle < 3) return [...node.initialRolls];
  return [...(node.fs.cycleInfo(cycle - 3)?.rollCounts ?? [])];
}

/** The current cycle as Massa's `get_stakers` sees it: the clock's, or last_start_period's before it. */
export function currentCycle(node: NodeApiView): number {
  const c = node.config;
  const now = node.slotAt(node.clock.now());
  const lsp = c.last_start_period ?? 0;
  const period = now ? Math.max(now.period, lsp) : 0;
  return Math.floor(period / c.periods_per_cycle);
}

/** Stakers of the current cycle by active rolls, most first (ties in Massa's address order). */
export function stakersNow(node: NodeApiView): [string, number][] {
  return activeRolls(node, currentCycle(node))
    .sort(([a, x], [b, y]) => (y > x ? 1 : y < x ? -1 : compareAddresses(a, b)))
    .map(([a, r]) => [a.toString(), Number(r)]);
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

type CycleRow = {
  cycle: number;
  is_final: boolean;
  ok_count: number;
  nok_count: number;
  active_rolls: number | null;
};

/**
 * `get_addresses`' cycle infos for several addresses at once, as Massa's `get_address_cycle_infos`: the
 * final state's cycles (final when complete) with their statistics, then the cycles of the active history
 * (not final) with its blocks' statistics added, then the current cycle if missing; each with the address's
 * active rolls in that cycle (null when it has none on record).
 */
export function cycleInfos(node: NodeApiView, addresses: readonly Address[]): Map<string, CycleRow[]> {
  const T = node.config.periods_per_cycle;
  const wanted = new Set(addresses.map((a) => a.key));
  const rows: { cycle: number; final: boolean; stats: Map<string, [number, number]> }[] = [];
  for (const { cycle, complete } of node.fs.cycles()) {
    const info = node.fs.cycleInfo(cycle)!;
    const stats = new Map<string, [number, number]>();
    for (const [a, st] of info.productionStats)
      if (wanted.has(a.key)) stats.set(a.key, [Number(st.blockSuccess), Number(st.blockFailure)]);
    rows.push({ cycle, final: complete, stats });
  }
  const open = (cycle: number) => {
    const last = rows.at(-1);
    if (last?.cycle === cycle) return last;
    const row = { cycle, final: false, stats: new Map<string, [number, number]>() };
    rows.push(row);
    return row;
  };
  for (const out of node.execution.activeHistory) {
    const row = open(out.slot.cycle(T));
    for (const [k, [, st]] of out.changes.stats) {
      if (!wanted.has(k)) continue;
      const cur = row.stats.get(k) ?? [0, 0];
      row.stats.set(k, [cur[0] + Number(st.blockSuccess), cur[1] + Number(st.blockFailure)]);
    }
  }
  open(node.execution.lastExecutedSlot.cycle(T));
  const active = new Map(
    rows.map((r) => [r.cycle, new Map(activeRolls(node, r.cycle).map(([a, n]) => [a.key, Number(n)]))]),
  );
  const result = new Map<string, CycleRow[]>();
  for (const a of addresses) {
    result.set(
      a.key,
      rows.map((r) => ({
        cycle: r.cycle,
        is_final: r.final,
        ok_count: r.stats.get(a.key)?.[0] ?? 0,
        nok_count: r.stats.get(a.key)?.[1] ?? 0,
        active_rolls: active.get(r.cycle)!.get(a.key) ?? null,
      })),
    );
  }
  return result;
}
