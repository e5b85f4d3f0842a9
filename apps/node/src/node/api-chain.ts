// The public API's methods about the chain: blocks, the graph and its cliques, endorsements, datastore and
// bytecode reads, execution events, the version and the final state hashes.
import { BlockId, EndorsementId, OperationId, type SignedEndorsement, Slot } from "@massa-ts/models";
import { API_VERSION } from "./api-catalog.js";
import { endorsementJson, headerJson, slotJson } from "./api-json.js";
import { param } from "./api-params.js";
import type { NodeApiView } from "./api-view.js";
import type { KeysQuery } from "./exec-thread/queries.js";
import type { SlotW } from "./exec-thread/wire.js";
import { type Handler, type Json, RpcCode, RpcError } from "./rpc-server.js";

/** Massa's `api.max_datastore_keys_query` and `max_addresses_datastore_keys_query`. */
const MAX_DATASTORE_KEYS_QUERY = 500;

/** Registers the chain methods on `m`. */
export function chainMethods(node: NodeApiView, m: Map<string, Handler>): void {
  const _c = node.config;
  const blockJson = (id: BlockId): Json | undefined => {
    const b = node.graph.get(id);
    const st = node.graph.status(id);
    if (!b || !st) return undefined;
    const final = st.kind === "active" && st.final;
    return {
      id: id.toString(),
      content: {
        is_final: final,
        is_in_blockclique: node.graph.isInBlockclique(id),
        is_candidate: st.kind === "active" && !final,
        is_discarded: st.kind === "invalid" || st.kind === "stale",
        block: { header: headerJson(b.header), operations: b.operations.map((o) => o.id.toString()) },
      },
    };
  };
  m.set("get_blocks", async (params) => {
    const ids = param(params, "get_blocks").map((t) => {
      try {
        return BlockId.fromString(t);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
    });
    const out: Json[] = [];
    for (let i = 0; i < ids.length; i++) {
      // a block of thousands of operations, read back from the block store when old, takes milliseconds:
      // the node's timers (the slot clock) get their turn between blocks, whatever the call asks for
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const j = blockJson(ids[i]!);
      if (j !== undefined) out.push(j);
    }
    return out;
  });
  m.set("get_blockclique_block_by_slot", (params) => {
    const s = param(params, "get_blockclique_block_by_slot");
    const b = node.graph.blockAt(new Slot(s.period, s.thread));
    return b ? { header: headerJson(b.header), operations: b.operations.map((o) => o.id.toString()) } : null;
  });
  // Massa's execution-trace receipts of the slots' Transaction operations; a slot without a blockclique
  // block is left out of the answer, as Massa does
  m.set("get_slots_transfers", async (params) => {
    const slots: [SlotW, string][] = [];
    for (const s of param(params, "get_slots_transfers")) {
      const b = node.graph.blockAt(new Slot(s.period, s.thread));
      if (b) slots.push([[s.period, s.thread], b.header.id.toString()]);
    }
    return slots.length === 0 ? [] : await node.execution.call("transfers", slots);
  });
  m.set("get_graph_interval", (params) => {
    const r = param(params, "get_graph_interval");
    const within = (s: Slot) => {
      const t = s.timestamp(node.slotConfig);
      return (r?.start == null || t >= r.start) && (r?.end == null || t < r.end);
    };
    const row = (
      b: { id: BlockId; slot: Slot; creator: { toString(): string }; parents: readonly BlockId[] },
      final: boolean,
      stale: boolean,
      inBlockclique: boolean,
    ): Json => ({
      id: b.id.toString(),
      is_final: final,
      is_stale: stale,
      is_in_blockclique: inBlockclique,
      slot: slotJson(b.slot),
      creator: b.creator.toString(),
      parents: b.parents.map(String),
    });
    // the active blocks (final or not), then the ones discarded as stale, as Massa lists them
    return [
      ...node.graph
        .activeBlocks()
        .filter((b) => within(b.slot))
        .map((b) => row(b, b.final, false, b.inBlockclique)),
      ...node.graph
        .staleBlocks()
        .filter((b) => within(b.slot))
        .map((b) => row(b, false, true, false)),
    ];
  });
  m.set("get_cliques", () =>
    node.graph.allCliques().map((q) => ({
      block_ids: q.blockIds.map(String),
      fitness: q.fitness,
      is_blockclique: q.isBlockclique,
    })),
  );
  m.set("get_next_block_best_parents", () =>
    node.graph.bestParents().map((id) => {
      const b = node.graph.activeBlocks().find((x) => x.id.equals(id));
      return [id.toString(), b?.slot.period ?? 0];
    }),
  );
  // the endorsements found in the pool or in the graph's blocks (ids found nowhere are left out, as Massa
  // does): whether pooled, the blocks carrying each, final when one of them is
  m.set("get_endorsements", (params) => {
    const ids = param(params, "get_endorsements").map((t, i) => {
      try {
        return EndorsementId.fromString(t);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `endorsement id ${i}: ${(e as Error).message}`);
      }
    });
    const wanted = new Set(ids.map((id) => id.key));
    const found = new Map<
      string,
      { e: SignedEndorsement; inPool: boolean; blocks: string[]; final: boolean }
    >();
    for (const e of node.endorsementPool?.find(wanted) ?? [])
      found.set(e.id.key, { e, inPool: true, blocks: [], final: false });
    for (const b of node.graph.activeBlocks()) {
      const header = node.graph.header(b.id);
      for (const e of header?.content.endorsements ?? []) {
        if (!wanted.has(e.id.key)) continue;
        let f = found.get(e.id.key);
        if (!f) {
          f = { e, inPool: false, blocks: [], final: false };
          found.set(e.id.key, f);
        }
        f.blocks.push(b.id.toString());
        f.final ||= b.final;
      }
    }
    return ids.flatMap((id) => {
      const f = found.get(id.key);
      if (!f) return [];
      found.delete(id.key); // an id asked twice is answered once
      return [
        {
          id: id.toString(),
          in_pool: f.inPool,
          in_blocks: f.blocks,
          is_final: f.final,
          endorsement: endorsementJson(f.e),
        },
      ];
    });
  });
  m.set("get_datastore_entries", async (params) => {
    const reqs = param(params, "get_datastore_entries");
    return node.execution.call(
      "datastoreEntries",
      reqs.map((r) => [r.address.toString(), r.key] as const),
    );
  });
  m.set("get_addresses_bytecode", async (params) => {
    const reqs = param(params, "get_addresses_bytecode");
    return node.execution.call(
      "bytecodes",
      reqs.map((r) => [r.address.toString(), r.is_final] as const),
    );
  });
  // Massa's key range query (massa-models cleanup_datastore_key_range_query): a prefix, start and end keys
  // (inclusive unless said otherwise), at most `count` keys (500 by default and at most), in key order;
  // massa-web3 pages with start_key
  m.set("get_addresses_datastore_keys", async (params) => {
    const reqs = param(params, "get_addresses_datastore_keys");
    const queries: KeysQuery[] = reqs.map((r) => {
      const count = r.count ?? MAX_DATASTORE_KEYS_QUERY;
      if (count > MAX_DATASTORE_KEYS_QUERY)
        throw new RpcError(
          RpcCode.badRequest,
          `error querying datastore keys for address ${r.address}: max item count in datastore key query is ${MAX_DATASTORE_KEYS_QUERY} but ${count} items were queried`,
        );
      return {
        address: r.address.toString(),
        isFinal: r.is_final,
        prefix: r.prefix,
        ...(r.start_key ? { startKey: r.start_key } : {}),
        inclusiveStart: r.inclusive_start_key ?? true,
        ...(r.end_key ? { endKey: r.end_key } : {}),
        inclusiveEnd: r.inclusive_end_key ?? true,
        count,
      };
    });
    const keys = await node.execution.call("datastoreKeys", queries);
    return reqs.map((r, i) => ({ address: r.address.toString(), is_final: r.is_final, keys: keys[i]! }));
  });
  m.set("get_filtered_sc_output_event", async (params) => {
    const f = param(params, "get_filtered_sc_output_event");
    let opId: OperationId | undefined;
    if (f?.original_operation_id) {
      try {
        opId = OperationId.fromString(f.original_operation_id);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
    }
    // Massa's semantics: the original caller is the call stack's first address, the emitter its last,
    // both must match when both are given; `end` is excluded
    return node.execution.call("events", {
      ...(opId ? { operationId: opId.toString() } : {}),
      ...(f?.original_caller_address ? { originalCaller: f.original_caller_address.toString() } : {}),
      ...(f?.emitter_address ? { emitter: f.emitter_address.toString() } : {}),
      ...(f?.start ? { fromSlot: [f.start.period, f.start.thread] as const } : {}),
      ...(f?.end ? { endSlot: [f.end.period, f.end.thread] as const } : {}),
      ...(f?.is_final != null ? { isFinal: f.is_final } : {}),
      ...(f?.is_error != null ? { isError: f.is_error } : {}),
    });
  });
  m.set("get_version", () => API_VERSION);
  m.set("get_final_state_hashes", () =>
    node.finalHashes.map((h) => ({ slot: slotJson(h.slot), hash: h.hash })),
  );
}
