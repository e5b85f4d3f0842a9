// The public JSON-RPC API: Massa's method names, parameters and result shapes (what massa-web3 reads).
import {
  Amount,
  BoundedMap,
  type DecodeError,
  OperationId,
  parseSendOperationInput,
  type SignedOperation,
  Slot,
} from "@massa-ts/models";
import { addCallMethods } from "./api-calls.js";
import { API_VERSION, openRpcDocument } from "./api-catalog.js";
import { chainMethods } from "./api-chain.js";
import { operationJson, operationJsonBound, slotJson } from "./api-json.js";
import { param } from "./api-params.js";
import { currentCycle, page } from "./api-stakers.js";
import type { NodeApiView } from "./api-view.js";
import { STATS_WINDOW_MS } from "./execution-driver.js";
import { PoolError } from "./pool.js";
import { type Handler, type Json, RpcCode, RpcError } from "./rpc-server.js";

/**
 * The public JSON-RPC API: Massa's method names and result shapes (what massa-web3 5.x reads).
 * `knownOps`: the newest operations this API accepted, answered by `get_operations` after they leave the
 * pool and the blocks the node keeps (where Massa would no longer find them). A SignedOperation held with
 * its answer's JSON weighs a few kilobytes, so at 1 500 operations a second the former 100 000 held half a
 * gigabyte while the pool and the kept blocks held most of them anyway; 10 000 keep a few seconds' worth.
 */
/** Massa's `api.max_arguments`: ids one `get_operations` call may ask for. */
const MAX_ARGUMENTS = 128;

export function publicMethods(
  node: NodeApiView,
  knownOps: BoundedMap<string, SignedOperation> = new BoundedMap(10_000, {
    of: (op) => op.serializedSize,
    max: 16 * 1024 * 1024,
  }),
): Map<string, Handler> {
  const m = new Map<string, Handler>();
  const c = node.config;
  const lastSlot = () => node.slotAt() ?? new Slot(0, 0);
  const minimalFee = Amount.fromMas(c.minimal_fees);
  const maxOperationSize = node.limits.maxBlockSize;
  const parsedIds = new BoundedMap<string, OperationId>(50_000);

  m.set("get_status", () => {
    const now = node.clock.now();
    const last = node.slotAt(now);
    const next = last ? last.next(c.thread_count) : new Slot(0, 0);
    const cycle = (last ?? new Slot(0, 0)).cycle(c.periods_per_cycle);
    const cycleMs = c.t0 * c.periods_per_cycle;
    const finalSlot = node.execution.finalSlot;
    const peers = node.network?.connected ?? [];
    const inbound = peers.filter((p) => p.target === undefined).length;
    const stats = node.executionStats();
    const windowStart = Math.max(node.startedAt, now - STATS_WINDOW_MS);
    return {
      node_id: node.nodeId,
      node_ip: null,
      version: API_VERSION,
      current_time: now,
      current_cycle: cycle,
      current_cycle_time: c.genesis_timestamp + cycle * cycleMs,
      next_cycle_time: c.genesis_timestamp + (cycle + 1) * cycleMs,
      // node id → [ip, whether we dialed it]
      connected_nodes: Object.fromEntries(
        peers.map((p) => [p.publicKey!.toNodeId(), [p.socket.remoteAddress ?? "", p.target !== undefined]]),
      ),
      last_slot: last ? slotJson(last) : null,
      next_slot: slotJson(next),
      // Massa's statistics window: the last minute (since the start when younger)
      consensus_stats: {
        start_timespan: windowStart,
        end_timespan: now,
        final_block_count: stats.finalBlocks,
        stale_block_count: node.graph
          .staleBlocks()
          .filter((b) => b.slot.timestamp(node.slotConfig) >= windowStart).length,
        clique_count: node.graph.allCliques().length,
      },
      pool_stats: [node.pool.size, node.endorsementPool?.size ?? 0],
      network_stats: {
        in_connection_count: inbound,
        out_connection_count: peers.length - inbound,
        // the peers we know of: those we dial, and those that dialed us
        known_peer_count: (node.network?.configuredPeers.length ?? 0) + inbound,
        banned_peer_count: node.network?.banned().size ?? 0,
        active_node_count: peers.length,
      },
      execution_stats: {
        time_window_start: windowStart,
        time_window_end: now,
        final_block_count: stats.finalBlocks,
        final_executed_operations_count: stats.finalOperations,
        active_cursor: slotJson(node.execution.lastExecutedSlot),
        final_cursor: slotJson(finalSlot),
      },
      config: {
        genesis_timestamp: c.genesis_timestamp,
        end_timestamp: null,
        thread_count: c.thread_count,
        t0: c.t0,
        delta_f0: c.delta_f0,
        operation_validity_periods: c.operation_validity_periods,
        periods_per_cycle: c.periods_per_cycle,
        block_reward: Amount.fromMas(c.block_reward).toString(),
        roll_price: Amount.fromMas(c.roll_price).toString(),
        max_block_size: node.limits.maxBlockSize,
      },
      chain_id: c.chain_id,
      minimal_fees: c.minimal_fees,
      current_mip_version: 0,
    };
  });

  m.set("get_addresses", async (params) => {
    const addrs = param(params, "get_addresses");
    // balances, rolls, datastore keys, deferred credits and cycle infos from the execution thread, in one
    // request for the whole list (one pass over the stored credits and each cycle's stats)
    const rows = await node.execution.call(
      "addresses",
      addrs.map((a) => a.toString()),
    );
    // what the addresses created among the blocks and endorsements this node holds: one pass over the graph
    const wanted = new Set(addrs.map((a) => a.key));
    const createdBlocks = new Map<string, string[]>();
    const createdEndorsements = new Map<string, string[]>();
    const note = (m: Map<string, string[]>, k: string, id: string) => {
      const list = m.get(k);
      if (list) list.push(id);
      else m.set(k, [id]);
    };
    for (const b of node.graph.activeBlocks()) {
      const header = node.graph.header(b.id);
      if (!header) continue;
      if (wanted.has(header.creatorAddress.key))
        note(createdBlocks, header.creatorAddress.key, b.id.toString());
      for (const e of header.content.endorsements)
        if (wanted.has(e.creatorAddress.key))
          note(createdEndorsements, e.creatorAddress.key, e.id.toString());
    }
    for (const e of node.endorsementPool?.all() ?? [])
      if (wanted.has(e.creatorAddress.key)) note(createdEndorsements, e.creatorAddress.key, e.id.toString());
    // Massa's window: from the current slot to the same thread 10 periods later, inclusive; when the next
    // cycle is not drawn yet, the draws up to the end of the current one
    const cur = lastSlot();
    const to = new Slot(cur.period + 10, cur.thread);
    const endOfCycle = Slot.lastOfCycle(cur.cycle(c.periods_per_cycle), {
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
    });
    const drawsOf = (a: (typeof addrs)[number]) => {
      for (const end of [to, Slot.compare(endOfCycle, to) < 0 ? endOfCycle : to]) {
        try {
          return node.selector.getAddressSelections(a, cur, end);
        } catch {
          // that cycle is not drawn yet
        }
      }
      return { producing: [], endorsing: [] };
    };
    return addrs.map((a, i) => {
      const draws = drawsOf(a);
      const r = rows[i]!;
      return {
        address: a.toString(),
        thread: a.thread(c.thread_count),
        final_balance: r.final_balance!,
        final_roll_count: r.final_roll_count!,
        final_datastore_keys: r.final_datastore_keys!,
        candidate_balance: r.candidate_balance!,
        candidate_roll_count: r.candidate_roll_count!,
        candidate_datastore_keys: r.candidate_datastore_keys!,
        deferred_credits: r.deferred_credits!,
        next_block_draws: draws.producing.map(slotJson),
        next_endorsement_draws: draws.endorsing.map((e) => ({ slot: slotJson(e.slot), index: e.index })),
        created_blocks: createdBlocks.get(a.key) ?? [],
        created_operations: node.operationsCreatedBy(a),
        created_endorsements: [...new Set(createdEndorsements.get(a.key) ?? [])],
        cycle_infos: r.cycle_infos!,
      };
    });
  });

  m.set("send_operations", async (params) => {
    const inputs = param(params, "send_operations");
    const period = lastSlot().period;
    const ops: SignedOperation[] = [];
    for (let i = 0; i < inputs.length; i++) {
      let op: SignedOperation;
      try {
        op = parseSendOperationInput(inputs[i], node.chainId);
      } catch (e) {
        throw new RpcError(RpcCode.models, `operation ${i}: ${(e as DecodeError).message}`);
      }
      if (op.serializedSize > maxOperationSize) {
        throw new RpcError(
          RpcCode.badRequest,
          `operation ${i} (${op.id}) has ${op.serializedSize} bytes, more than a block's ${maxOperationSize}: it can never be included`,
        );
      }
      if (op.content.expirePeriod < period) {
        throw new RpcError(
          RpcCode.inconsistency,
          `operation ${i} (${op.id}) expires at period ${op.content.expirePeriod}, before the current period ${period}: it will never be included`,
        );
      }
      if (op.content.fee.lt(minimalFee)) {
        throw new RpcError(
          RpcCode.badRequest,
          `operation ${i} (${op.id}): fee ${op.content.fee} is too low: the minimum is ${minimalFee}`,
        );
      }
      ops.push(op);
    }
    // signatures (in the node's worker pool when it has one: a big batch does not stall the node) and, at
    // the same time, the senders' candidate balances for the pool's admission (from the execution thread)
    const senders = ops.map((o) => o.creatorAddress);
    const balances = node.execution.prefetchBalances(senders);
    balances.catch(() => {}); // awaited below, unless a signature check fails first
    let ok: boolean[];
    try {
      ok = node.verifier ? await node.verifier.verifyOperations(ops) : ops.map((op) => op.verifySignature());
    } catch (e) {
      throw new RpcError(RpcCode.pool, `node busy: ${(e as Error).message}`);
    }
    const bad = ok.indexOf(false);
    if (bad >= 0) throw new RpcError(RpcCode.models, `operation ${bad} (${ops[bad]!.id}): bad signature`);
    try {
      await balances;
      // a tick answered while the signatures were checked clears the balances fetched: fetch those again
      // (none, usually: then nothing is awaited on another thread), or the pool would see them unknown
      await node.execution.prefetchBalances(senders);
    } catch (e) {
      throw new RpcError(RpcCode.execution, `node stopping: ${(e as Error).message}`);
    }
    const taken: SignedOperation[] = [];
    for (const op of ops) {
      try {
        node.pool.add(op, period, true);
      } catch (e) {
        // those before it are pooled: they go to the peers too
        node.broadcastOperations(taken);
        const why = e instanceof PoolError ? e.reason : undefined;
        const code =
          why === "fee" ? RpcCode.badRequest : why === "expiry" ? RpcCode.inconsistency : RpcCode.pool;
        throw new RpcError(code, `operation ${taken.length}: ${(e as Error).message}`);
      }
      taken.push(op);
      knownOps.set(op.id.key, op);
      node.countOperationReceived();
    }
    node.broadcastOperations(ops);
    return ops.map((o) => o.id.toString());
  });

  // each id answered once, however often asked (a batch repeating one id must not multiply the answer),
  // and an operation this node no longer holds but knows the execution of is answered with its status
  m.set("get_operations", (params, budget) => {
    const texts = param(params, "get_operations");
    if (texts.length > MAX_ARGUMENTS) throw new RpcError(RpcCode.badRequest, "too many arguments");
    const ids = new Map<string, OperationId>();
    for (const text of texts) {
      // clients poll the same ids again and again: parsed ids are remembered (base58check costs two SHA-256)
      let id = parsedIds.get(text);
      if (!id) {
        try {
          id = OperationId.fromString(text);
        } catch (e) {
          throw new RpcError(RpcCode.invalidParams, (e as Error).message);
        }
        parsedIds.set(text, id);
      }
      ids.set(id.key, id);
    }
    const out: Json[] = [];
    for (const id of ids.values()) {
      const op = knownOps.get(id.key) ?? node.operation(id);
      const st = node.execution.operationStatus(id);
      if (!op && !st) continue;
      budget.charge(op ? operationJsonBound(op) : 256, `operation ${id}`);
      out.push({
        id: id.toString(),
        in_pool: node.pool.has(id) && st === undefined,
        in_blocks: node.inBlocks(id),
        is_operation_final: st ? st.final : null,
        thread: op ? op.senderThread(c.thread_count) : 0,
        operation: op ? operationJson(op) : null,
        op_exec_status: st ? st.success : null,
      });
    }
    return out;
  });

  m.set("get_stakers", async (params) => {
    const req = param(params, "get_stakers");
    return page(await node.execution.call("stakers", currentCycle(node)), req);
  });
  m.set("get_largest_stakers", async (params) => {
    const r = param(params, "get_largest_stakers");
    const all = await node.execution.call("stakers", currentCycle(node));
    // APIv2: without a page request, the first 50 (Massa's default)
    return { content: page(all, r?.page_request ?? { offset: 0, limit: 50 }), total_count: all.length };
  });

  chainMethods(node, m);
  addCallMethods(m, node);
  m.set("rpc.discover", () => openRpcDocument("public", [...m.keys()]) as Json);
  return m;
}
