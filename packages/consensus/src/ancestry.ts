// Walks over a block's lineage in the graph: its same-thread ancestors within the operation validity
// window, the parents' chains down to the final blocks (for incompatibilities), and descendants.
import type { BlockId, Slot } from "@massa-ts/models";
import type { ActiveBlock } from "./types.js";

/**
 * The same-thread ancestors of a block of `slot` whose same-thread parent is `parent`, within the
 * operation validity window (periods ≥ slot.period − validity), final or not (RULES.md §6). `complete` is
 * false when the walk met an ancestor no longer in the graph (pruned, or behind a rebuilt graph's roots)
 * before leaving the window: only then does the final state's executed-operations set stand in for it.
 */
export function ancestryInWindow(
  graph: ReadonlyMap<string, ActiveBlock>,
  operationValidityPeriods: number,
  parent: BlockId,
  slot: Slot,
): { blocks: ActiveBlock[]; complete: boolean } {
  const horizon = slot.period - operationValidityPeriods;
  const blocks: ActiveBlock[] = [];
  let id: BlockId | undefined = parent;
  while (id) {
    const anc = graph.get(id.key);
    if (!anc) return { blocks, complete: false };
    if (anc.slot.period < horizon) break;
    blocks.push(anc);
    id = anc.parents[slot.thread];
  }
  return { blocks, complete: true };
}

/**
 * Each parent and its ancestors in that parent's own thread, down to the first final (or genesis) block,
 * which is included; stops early at a block already met or no longer in the graph. `earliest[t]` is the
 * lowest period met in thread t (+∞ if none).
 */
export function parentChains(
  graph: ReadonlyMap<string, ActiveBlock>,
  parents: readonly BlockId[],
  threadCount: number,
): { ancestors: Set<string>; earliest: number[] } {
  const ancestors = new Set<string>();
  const earliest = new Array<number>(threadCount).fill(Number.POSITIVE_INFINITY);
  for (const pid of parents) {
    let a = graph.get(pid.key);
    while (a && !ancestors.has(a.id.key)) {
      ancestors.add(a.id.key);
      earliest[a.slot.thread] = Math.min(earliest[a.slot.thread]!, a.slot.period);
      if (a.final || a.parents.length === 0) break;
      a = graph.get(a.parents[a.slot.thread]!.key);
    }
  }
  return { ancestors, earliest };
}

/** Every block descending from `key` that the graph holds (depth first over the children sets). */
export function descendants(graph: ReadonlyMap<string, ActiveBlock>, key: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(graph.get(key)?.children ?? [])];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (out.has(k)) continue;
    out.add(k);
    for (const c of graph.get(k)?.children ?? []) stack.push(c);
  }
  return out;
}
