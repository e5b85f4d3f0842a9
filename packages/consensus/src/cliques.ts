// Max cliques of mutually compatible non-final blocks, the incompatibility links they are built from,
// clique fitness, the blockclique choice and the cliques left DELTA_F0 behind it.
import type { BlockId } from "@massa-ts/models";
import type { ActiveBlock } from "./types.js";

/** Records `a`'s incompatibilities on the other side too (`a` just became active under `key`). */
export function linkIncompatibilities(
  blocks: ReadonlyMap<string, ActiveBlock>,
  key: string,
  a: ActiveBlock,
): void {
  for (const k of a.incomp) blocks.get(k)!.incomp.add(key);
}

/** Removes `b` (under `key`) from the incompatibilities of the blocks it is incompatible with. */
export function unlinkIncompatibilities(
  blocks: ReadonlyMap<string, ActiveBlock>,
  key: string,
  b: ActiveBlock,
): void {
  for (const o of b.incomp) blocks.get(o)?.incomp.delete(key);
}

/** Maximal sets of mutually compatible non-final blocks (Bron–Kerbosch with pivot on compatibility). */
export function maxCliques(blocks: ReadonlyMap<string, ActiveBlock>): Set<string>[] {
  const nodes = [...blocks.values()].filter((b) => !b.final).map((b) => b.id.key);
  if (nodes.every((k) => blocks.get(k)!.incomp.size === 0)) return [new Set(nodes)];
  const out: Set<string>[] = [];
  const compatible = (a: string, b: string) => !blocks.get(a)!.incomp.has(b);
  const bk = (r: string[], p: string[], x: string[]) => {
    if (p.length === 0 && x.length === 0) {
      out.push(new Set(r));
      return;
    }
    const pivot = [...p, ...x].reduce((best, u) =>
      p.filter((v) => v !== u && compatible(u, v)).length >
      p.filter((v) => v !== best && compatible(best, v)).length
        ? u
        : best,
    );
    for (const v of p.filter((w) => w === pivot || !compatible(pivot, w))) {
      bk(
        [...r, v],
        p.filter((w) => w !== v && compatible(v, w)),
        x.filter((w) => w !== v && compatible(v, w)),
      );
      p = p.filter((w) => w !== v);
      x = [...x, v];
    }
  };
  bk([], nodes, []);
  return out.length > 0 ? out : [new Set()];
}

export function cliqueFitness(blocks: ReadonlyMap<string, ActiveBlock>, c: ReadonlySet<string>): number {
  let f = 0;
  for (const k of c) f += blocks.get(k)!.fitness;
  return f;
}

/** Highest fitness, then the smallest sum of block ids (33-byte big-endian integers). */
export function pickBlockclique(
  blocks: ReadonlyMap<string, ActiveBlock>,
  cliques: readonly ReadonlySet<string>[],
): number {
  let best = 0;
  let bestFit = -1;
  let bestSum = 0n;
  cliques.forEach((c, i) => {
    const f = cliqueFitness(blocks, c);
    let sum = 0n;
    for (const k of c) sum += BigInt(`0x${k}`);
    if (f > bestFit || (f === bestFit && sum < bestSum)) {
      best = i;
      bestFit = f;
      bestSum = sum;
    }
  });
  return best;
}

/**
 * Stale: blocks only in cliques more than DELTA_F0 behind the blockclique, in the order the cliques list
 * them.
 */
export function staleBlocks(
  blocks: ReadonlyMap<string, ActiveBlock>,
  cliques: readonly ReadonlySet<string>[],
  blockcliqueIndex: number,
  deltaF0: number,
): Set<string> {
  const threshold = cliqueFitness(blocks, cliques[blockcliqueIndex]!) - deltaF0;
  const keep = cliques.filter((c) => cliqueFitness(blocks, c) >= threshold);
  const alive = new Set(keep.flatMap((c) => [...c]));
  const stale = cliques.flatMap((c) => [...c]).filter((k) => !alive.has(k));
  return new Set(stale);
}

/** Whether two blockcliques (before and after a change) hold the same blocks. */
export function sameClique(before: ReadonlySet<string>, after: ReadonlySet<string>): boolean {
  return !(before.size !== after.size || [...after].some((k) => !before.has(k)));
}

/** The blocks of a clique as ids, in slot order. */
export function sortedIds(blocks: ReadonlyMap<string, ActiveBlock>, c: ReadonlySet<string>): BlockId[] {
  return [...c]
    .map((k) => blocks.get(k)!)
    .sort((a, b) => a.index - b.index)
    .map((b) => b.id);
}
