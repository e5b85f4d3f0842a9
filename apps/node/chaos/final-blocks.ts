// The chaos harness's record of the chain: every final block, with its operations, as the live nodes' APIs
// list them (`get_graph_interval`, then `get_blocks`). The operations in final blocks are what the final
// state executed, each exactly once: the final balances are checked against them, not against what a node
// answered about each operation (an executed operation's record is pruned 10 periods after its expiry, so
// after a whole-network stop a transfer can be executed and then forgotten before anyone asked).
import { call } from "./load.ts";

interface GraphRow {
  id: string;
  is_final: boolean;
  slot: { period: number; thread: number };
  parents: string[];
}

interface BlockInfo {
  id: string;
  content: {
    is_final: boolean;
    block: {
      header: { content: { slot: { period: number; thread: number }; parents: string[] } };
      operations: string[];
    };
  };
}

interface Recorded {
  readonly slot: { period: number; thread: number };
  readonly parents: readonly string[];
  readonly operations: readonly string[];
}

export class FinalBlocks {
  private readonly blocks = new Map<string, Recorded>();
  /** Operation id → the final blocks holding it. */
  private readonly ops = new Map<string, string[]>();

  /** Records the final blocks `url`'s graph holds that are not recorded yet (a node down is skipped). */
  async poll(url: string): Promise<void> {
    let rows: GraphRow[];
    try {
      rows = await call<GraphRow[]>(url, "get_graph_interval", [{ start: null, end: null }], 5000);
    } catch {
      return;
    }
    // the parents of recorded blocks not recorded yet are asked for too (final as their children are)
    const wanted = new Set(rows.filter((r) => r.is_final && !this.blocks.has(r.id)).map((r) => r.id));
    for (const id of this.missingParents()) wanted.add(id);
    const ids = [...wanted];
    for (let i = 0; i < ids.length; i += 64) {
      let infos: BlockInfo[];
      try {
        infos = await call<BlockInfo[]>(url, "get_blocks", [ids.slice(i, i + 64)], 5000);
      } catch {
        return;
      }
      for (const b of infos) {
        if (!b.content.is_final || this.blocks.has(b.id)) continue;
        const { header, operations } = b.content.block;
        this.blocks.set(b.id, { slot: header.content.slot, parents: header.content.parents, operations });
        for (const op of operations) this.ops.set(op, [...(this.ops.get(op) ?? []), b.id]);
      }
    }
  }

  /** Recorded blocks whose parent in their own thread is neither recorded nor a genesis block. */
  private missingParents(): string[] {
    const out: string[] = [];
    for (const b of this.blocks.values()) {
      const p = b.parents[b.slot.thread];
      // a genesis block has no parents; the genesis blocks are recorded at the first poll
      if (p !== undefined && !this.blocks.has(p)) out.push(p);
    }
    return out;
  }

  /**
   * Why the record cannot stand for the chain up to its last block (undefined when it can): a final block
   * whose parent in its thread was never recorded leaves a gap.
   */
  gap(): string | undefined {
    const missing = this.missingParents();
    if (missing.length === 0) return undefined;
    const child = [...this.blocks.entries()].find(([, b]) => b.parents[b.slot.thread] === missing[0]);
    return `${missing.length} final blocks were never seen by the harness, e.g. ${missing[0]} (parent of the block at (${child?.[1].slot.period},${child?.[1].slot.thread}))`;
  }

  /** The final blocks holding operation `id` (empty: in none). */
  blocksOf(id: string): readonly string[] {
    return this.ops.get(id) ?? [];
  }

  get size(): number {
    return this.blocks.size;
  }
}
