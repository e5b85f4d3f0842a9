import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo as NetAddress } from "node:net";
import {
  Address,
  Amount,
  BlockId,
  BoundedMap,
  type DecodeError,
  MASSA_BLOCK_LIMITS,
  MassaTsError,
  OperationId,
  PublicKey,
  parseSendOperationInput,
  type SignedBlockHeader,
  type SignedOperation,
  Slot,
  toHex,
} from "@massa-ts/models";
import { z } from "zod";
import type { MassaNode } from "./node.js";
import { PoolError } from "./pool.js";

/** JSON-RPC error codes (Massa's `massa-api` plus the standard ones). */
export const RpcCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  badRequest: -32000,
  internal: -32001,
  notFound: -32004,
  models: -32013,
  inconsistency: -32016,
  pool: -32021,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * What one HTTP request (a call or a whole batch) may cost to answer: handlers that return large items
 * charge their size before building them, so a request asking for too much fails with a clear error
 * instead of building the answer (Massa bounds its response bodies the same way, 50 MB by default).
 */
export class ResponseBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}

  charge(bytes: number, what: string): void {
    this.used += bytes;
    if (this.used > this.maxBytes) {
      throw new RpcError(
        RpcCode.badRequest,
        `the answer would exceed ${this.maxBytes} bytes (${what}): ask for fewer items per request`,
      );
    }
  }
}

type Handler = (params: unknown[], budget: ResponseBudget) => Json | Promise<Json>;

/** An upper bound of an operation's JSON: its bytes become number arrays of at most 4 characters a byte. */
const operationJsonBound = (op: SignedOperation): number => 4 * op.serializedSize + 1024;

const slotJson = (s: Slot): Json => ({ period: s.period, thread: s.thread });
const bytesJson = (b: Uint8Array): Json => Array.from(b);
const zSlot = z.object({ period: z.number().int().min(0), thread: z.number().int().min(0).max(255) });
const zAddress = z.string().transform((s, ctx) => {
  try {
    return Address.fromString(s);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
    return z.NEVER;
  }
});
const zBytes = z
  .array(z.number().int().min(0).max(255))
  .max(10_000_000)
  .transform((a) => Uint8Array.from(a));
const zList = <T extends z.ZodTypeAny>(t: T) => z.array(t).max(128, "at most 128 items per list");

/** Parses `params` (positional, as massa-web3 sends them) with a zod schema; errors say what is wrong. */
function arg<T extends z.ZodTypeAny>(params: unknown[], schema: T, name: string): z.infer<T> {
  const r = schema.safeParse(params[0]);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new RpcError(
      RpcCode.invalidParams,
      `invalid ${name}${i.path.length ? ` at ${i.path.join(".")}` : ""}: ${i.message}`,
    );
  }
  return r.data;
}

export function operationJson(op: SignedOperation): Json {
  const p = op.content.payload;
  let inner: Json;
  switch (p.type) {
    case "Transaction":
      inner = { Transaction: { recipient_address: p.recipient.toString(), amount: p.amount.toString() } };
      break;
    case "RollBuy":
      inner = { RollBuy: { roll_count: Number(p.rollCount) } };
      break;
    case "RollSell":
      inner = { RollSell: { roll_count: Number(p.rollCount) } };
      break;
    case "ExecuteSC":
      inner = {
        ExecuteSC: {
          data: bytesJson(p.bytecode),
          max_gas: Number(p.maxGas),
          max_coins: p.maxCoins.toString(),
          datastore: p.datastore.map(([k, v]) => [bytesJson(k), bytesJson(v)]),
        },
      };
      break;
    case "CallSC":
      inner = {
        CallSC: {
          target_addr: p.target.toString(),
          target_func: p.functionName,
          param: bytesJson(p.parameter),
          max_gas: Number(p.maxGas),
          coins: p.coins.toString(),
        },
      };
      break;
  }
  return {
    content: { fee: op.content.fee.toString(), expire_period: op.content.expirePeriod, op: inner },
    signature: op.signature.toString(),
    content_creator_pub_key: op.creator.toString(),
    content_creator_address: op.creatorAddress.toString(),
    id: op.id.toString(),
  };
}

function headerJson(h: SignedBlockHeader): Json {
  const c = h.content;
  return {
    content: {
      current_version: c.currentVersion,
      announced_version: c.announcedVersion ?? null,
      slot: slotJson(c.slot),
      parents: c.parents.map(String),
      operation_merkle_root: toHex(c.operationMerkleRoot),
      endorsements: c.endorsements.map((e) => ({
        content: {
          slot: slotJson(e.content.slot),
          index: e.content.index,
          endorsed_block: e.content.endorsedBlock.toString(),
        },
        signature: e.signature.toString(),
        content_creator_pub_key: e.creator.toString(),
        content_creator_address: e.creatorAddress.toString(),
        id: e.id.toString(),
      })),
      denunciations: [],
    },
    signature: h.signature.toString(),
    content_creator_pub_key: h.creator.toString(),
    content_creator_address: h.creatorAddress.toString(),
    id: h.id.toString(),
  };
}

/** The public JSON-RPC API: Massa's method names and result shapes (what massa-web3 5.x reads). */
/**
 * The public methods. `knownOps`: operations this API accepted, answered by `get_operations` after they
 * leave the pool (bounded in count and bytes by its owner).
 */
export function publicMethods(
  node: MassaNode,
  knownOps: BoundedMap<string, SignedOperation> = new BoundedMap(100_000, {
    of: (op) => op.serializedSize,
    max: 64 * 1024 * 1024,
  }),
): Map<string, Handler> {
  const m = new Map<string, Handler>();
  const c = node.config;
  const lastSlot = () => node.slotAt() ?? new Slot(0, 0);
  const minimalFee = Amount.fromMas(c.minimal_fees);
  const maxOperationSize = MASSA_BLOCK_LIMITS.maxBlockSize;

  m.set("get_status", () => {
    const now = Date.now();
    const last = node.slotAt(now);
    const next = last ? last.next(c.thread_count) : new Slot(0, 0);
    const cycle = Math.floor((last ?? new Slot(0, 0)).period / c.periods_per_cycle);
    const cycleMs = c.t0 * c.periods_per_cycle;
    const finalSlot = node.execution.finalSlot;
    return {
      node_id: `N${node.genesisAddress.toString().slice(2, 40)}`,
      node_ip: null,
      version: "MAIN.5.0",
      current_time: now,
      current_cycle: cycle,
      current_cycle_time: c.genesis_timestamp + cycle * cycleMs,
      next_cycle_time: c.genesis_timestamp + (cycle + 1) * cycleMs,
      connected_nodes: {},
      last_slot: last ? slotJson(last) : null,
      next_slot: slotJson(next),
      consensus_stats: {
        start_timespan: node.startedAt,
        end_timespan: now,
        final_block_count: node.graph.activeBlocks().filter((b) => b.final).length,
        stale_block_count: 0,
        clique_count: node.graph.allCliques().length,
      },
      pool_stats: [node.pool.size, 0],
      network_stats: {
        in_connection_count: 0,
        out_connection_count: 0,
        known_peer_count: 0,
        banned_peer_count: 0,
        active_node_count: 0,
      },
      execution_stats: {
        time_window_start: node.startedAt,
        time_window_end: now,
        final_block_count: 0,
        final_executed_operations_count: 0,
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
        block_reward: node.execution.config.blockReward.toString(),
        roll_price: node.execution.config.rollPrice.toString(),
        max_block_size: MASSA_BLOCK_LIMITS.maxBlockSize,
      },
      chain_id: c.chain_id,
      minimal_fees: c.minimal_fees,
      current_mip_version: 0,
      final_state_fingerprint: node.fs.stateHash.toString(),
    };
  });

  m.set("get_addresses", (params) => {
    const addrs = arg(params, zList(zAddress), "address list");
    // read once for the whole list: a cycle info holds every address's rolls and stats
    const infos = node.fs
      .cycles()
      .map(({ cycle, complete }) => ({ info: node.fs.cycleInfo(cycle)!, complete }));
    const cur = lastSlot();
    const to = new Slot(cur.period + 10, c.thread_count - 1);
    return addrs.map((a) => {
      const ex = node.execution;
      let draws: ReturnType<typeof node.selector.getAddressSelections> = { producing: [], endorsing: [] };
      try {
        draws = node.selector.getAddressSelections(a, cur, to);
      } catch {
        // the next cycle is not drawn yet: what is known so far
      }
      const cycles = infos.map(({ info, complete }) => {
        const cycle = info.cycle;
        const stats = info.productionStats.find(([x]) => x.equals(a))?.[1];
        const rolls = info.rollCounts.find(([x]) => x.equals(a))?.[1];
        return {
          cycle,
          is_final: complete,
          ok_count: Number(stats?.blockSuccess ?? 0n),
          nok_count: Number(stats?.blockFailure ?? 0n),
          active_rolls: rolls === undefined ? null : Number(rolls),
        };
      });
      const keys = (level: "final" | "candidate") => (ex.datastoreKeys(a, level) ?? []).map(bytesJson);
      return {
        address: a.toString(),
        thread: a.thread(c.thread_count),
        final_balance: (ex.balance(a, "final") ?? { toString: () => "0" }).toString(),
        final_roll_count: Number(ex.rolls(a, "final")),
        final_datastore_keys: keys("final"),
        candidate_balance: (ex.balance(a, "candidate") ?? { toString: () => "0" }).toString(),
        candidate_roll_count: Number(ex.rolls(a, "candidate")),
        candidate_datastore_keys: keys("candidate"),
        deferred_credits: ex
          .deferredCredits(a, "candidate")
          .map(([s, amount]) => ({ slot: slotJson(s), amount: amount.toString() })),
        next_block_draws: draws.producing.map(slotJson),
        next_endorsement_draws: draws.endorsing.map((e) => ({ slot: slotJson(e.slot), index: e.index })),
        created_blocks: [],
        created_operations: [],
        created_endorsements: [],
        cycle_infos: cycles,
      };
    });
  });

  m.set("send_operations", async (params) => {
    const inputs = arg(params, zList(z.unknown()), "operation list");
    const period = lastSlot().period;
    const ops: SignedOperation[] = [];
    for (const [i, input] of inputs.entries()) {
      let op: SignedOperation;
      try {
        op = parseSendOperationInput(input, node.chainId);
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
    // signatures: in the node's worker pool when it has one (a big batch does not stall the node)
    let ok: boolean[];
    try {
      ok = node.verifier ? await node.verifier.verifyOperations(ops) : ops.map((op) => op.verifySignature());
    } catch (e) {
      throw new RpcError(RpcCode.pool, `node busy: ${(e as Error).message}`);
    }
    const bad = ok.indexOf(false);
    if (bad >= 0) throw new RpcError(RpcCode.models, `operation ${bad} (${ops[bad]!.id}): bad signature`);
    for (const op of ops) {
      try {
        node.pool.add(op, period, true);
      } catch (e) {
        const code = e instanceof PoolError && /fee/.test(e.message) ? RpcCode.badRequest : RpcCode.pool;
        throw new RpcError(code, (e as Error).message);
      }
      knownOps.set(op.id.key, op);
      node.countOperationReceived();
    }
    node.broadcastOperations(ops);
    return ops.map((o) => o.id.toString());
  });

  m.set("get_operations", (params, budget) => {
    const texts = arg(params, zList(z.string()), "operation id list");
    const out: Json[] = [];
    const ids = new Map<string, OperationId>(); // each id answered once, however often asked
    for (const text of texts) {
      let id: OperationId;
      try {
        id = OperationId.fromString(text);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
      ids.set(id.key, id);
    }
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

  const stakers = (): [string, number][] => {
    const cycles = node.fs.cycles();
    const last = cycles.at(-1);
    const rolls = last ? node.fs.cycleInfo(last.cycle)!.rollCounts : [];
    return rolls
      .filter(([, r]) => r > 0n)
      .sort((x, y) => (y[1] > x[1] ? 1 : y[1] < x[1] ? -1 : 0))
      .map(([a, r]) => [a.toString(), Number(r)]);
  };
  const zPage = z
    .object({ limit: z.number().int().min(1).max(10_000), offset: z.number().int().min(0) })
    .nullish();
  m.set("get_stakers", (params) => {
    const page = arg(params, zPage, "page request");
    const all = stakers();
    return page ? all.slice(page.offset * page.limit, (page.offset + 1) * page.limit) : all;
  });
  m.set("get_largest_stakers", (params) => {
    const r = arg(params, z.object({ page_request: zPage }).nullish(), "request");
    const all = stakers();
    const page = r?.page_request;
    return {
      content: page ? all.slice(page.offset, page.offset + page.limit) : all,
      total_count: all.length,
    };
  });

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
  m.set("get_blocks", (params) => {
    const ids = arg(params, zList(z.string()), "block id list");
    return ids.flatMap((t) => {
      let id: BlockId;
      try {
        id = BlockId.fromString(t);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
      const j = blockJson(id);
      return j === undefined ? [] : [j];
    });
  });
  m.set("get_blockclique_block_by_slot", (params) => {
    const s = arg(params, zSlot, "slot");
    const b = node.graph.blockAt(new Slot(s.period, s.thread));
    return b ? { header: headerJson(b.header), operations: b.operations.map((o) => o.id.toString()) } : null;
  });
  m.set("get_graph_interval", (params) => {
    const r = arg(
      params,
      z.object({ start: z.number().nullish(), end: z.number().nullish() }).nullish(),
      "time interval",
    );
    return node.graph
      .activeBlocks()
      .filter((b) => {
        const t = b.slot.timestamp(node.slotConfig);
        return (r?.start == null || t >= r.start) && (r?.end == null || t < r.end);
      })
      .map((b) => ({
        id: b.id.toString(),
        is_final: b.final,
        is_stale: false,
        is_in_blockclique: b.inBlockclique,
        slot: slotJson(b.slot),
        creator: b.creator.toString(),
        parents: b.parents.map(String),
      }));
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
  m.set("get_endorsements", (params) => {
    arg(params, zList(z.string()), "endorsement id list");
    return []; // endorsements are not pooled: this node makes its own when it builds a block
  });
  m.set("get_datastore_entries", (params) => {
    const reqs = arg(params, zList(z.object({ address: zAddress, key: zBytes })), "datastore request list");
    return reqs.map((r) => {
      const f = node.execution.dataEntry(r.address, r.key, "final");
      const cnd = node.execution.dataEntry(r.address, r.key, "candidate");
      return { final_value: f ? bytesJson(f) : null, candidate_value: cnd ? bytesJson(cnd) : null };
    });
  });
  m.set("get_addresses_bytecode", (params) => {
    const reqs = arg(
      params,
      zList(z.object({ address: zAddress, is_final: z.boolean() })),
      "bytecode request list",
    );
    return reqs.map((r) =>
      bytesJson(node.execution.bytecode(r.address, r.is_final ? "final" : "candidate") ?? new Uint8Array()),
    );
  });
  m.set("get_addresses_datastore_keys", (params) => {
    const reqs = arg(
      params,
      zList(
        z
          .object({
            address: zAddress,
            is_final: z.boolean(),
            prefix: zBytes.default([]),
            count: z.number().int().min(1).nullish(),
          })
          .passthrough(),
      ),
      "datastore keys request list",
    );
    return reqs.map((r) => {
      const keys = (node.execution.datastoreKeys(r.address, r.is_final ? "final" : "candidate") ?? []).filter(
        (k) => k.length >= r.prefix.length && r.prefix.every((b, i) => k[i] === b),
      );
      return {
        address: r.address.toString(),
        is_final: r.is_final,
        keys: keys.slice(0, r.count ?? undefined).map(bytesJson),
      };
    });
  });
  m.set("get_filtered_sc_output_event", (params) => {
    const f = arg(
      params,
      z
        .object({
          start: zSlot.nullish(),
          end: zSlot.nullish(),
          emitter_address: zAddress.nullish(),
          original_caller_address: zAddress.nullish(),
          original_operation_id: z.string().nullish(),
          is_final: z.boolean().nullish(),
          is_error: z.boolean().nullish(),
        })
        .passthrough()
        .nullish(),
      "event filter",
    );
    let opId: OperationId | undefined;
    if (f?.original_operation_id) {
      try {
        opId = OperationId.fromString(f.original_operation_id);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
    }
    const address = f?.emitter_address ?? f?.original_caller_address ?? undefined;
    return node.execution
      .events({
        ...(opId ? { operationId: opId } : {}),
        ...(address ? { address } : {}),
        ...(f?.start ? { fromSlot: new Slot(f.start.period, f.start.thread) } : {}),
        ...(f?.end ? { toSlot: new Slot(f.end.period, f.end.thread) } : {}),
        ...(f?.is_final != null ? { isFinal: f.is_final } : {}),
        ...(f?.is_error != null ? { isError: f.is_error } : {}),
      })
      .map((e) => ({
        context: {
          slot: slotJson(e.slot),
          block: e.blockId?.toString() ?? null,
          read_only: false,
          index_in_slot: e.indexInSlot,
          call_stack: e.callStack.map(String),
          origin_operation_id: e.originOperationId?.toString() ?? null,
          is_final: e.isFinal,
          is_error: e.isError,
          deferred_call_id: null,
          async_msg_id: null,
        },
        data: e.data,
      }));
  });
  m.set("get_version", () => "MAIN.5.0");
  m.set("get_final_state_hashes", () =>
    node.finalHashes.map((h) => ({ slot: slotJson(h.slot), hash: h.hash })),
  );
  return m;
}

/** The private API (loopback only): stop, staking keys. */
export function privateMethods(node: MassaNode, onStop: () => void): Map<string, Handler> {
  const m = new Map<string, Handler>();
  m.set("stop_node", () => {
    setImmediate(onStop);
    return null;
  });
  m.set("add_staking_secret_keys", (params) => {
    const keys = arg(params, zList(z.string()), "secret key list");
    return keys.map((k, i) => {
      try {
        return node.addStakingKey(k, `key ${i}`).toString();
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
    });
  });
  m.set("remove_staking_addresses", (params) => {
    const addrs = arg(params, zList(zAddress), "address list");
    // read once for the whole list: a cycle info holds every address's rolls and stats
    const _infos = node.fs
      .cycles()
      .map(({ cycle, complete }) => ({ info: node.fs.cycleInfo(cycle)!, complete }));
    return addrs.map((a) => node.removeStakingKey(a));
  });
  // partitions without bans (an operator dropping peers; the chaos harness's partitions): node keys "P…"
  const zKeys = zList(z.string());
  const peerKeys = (params: unknown[]) =>
    arg(params, zKeys, "node public key list").map((k, i) => {
      try {
        return PublicKey.fromString(k);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `key ${i}: ${(e as Error).message}`);
      }
    });
  m.set("node_block_peers", (params) => {
    node.network?.block(peerKeys(params));
    return null;
  });
  m.set("node_unblock_peers", (params) => {
    node.network?.unblock(peerKeys(params));
    return null;
  });
  m.set("get_staking_addresses", () =>
    [...node.stakingKeys.values()].map((k) => Address.fromPublicKey(k.publicKey).toString()),
  );
  return m;
}

export interface RpcServerOptions {
  readonly maxBodyBytes: number;
  readonly maxBatch: number;
  /** What answering one HTTP request may cost, in JSON bytes (see {@link ResponseBudget}). */
  readonly maxResponseBytes: number;
  /** Extra GET routes (e.g. `/metrics`). */
  readonly get?: ReadonlyMap<string, () => Promise<{ type: string; body: string }>>;
}

/** A JSON-RPC 2.0 server over HTTP POST (any path), with CORS, bounded bodies and batches. */
export function startRpcServer(
  address: string,
  methods: Map<string, Handler>,
  opts: RpcServerOptions,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(req, res, methods, opts).catch((e) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  const [host, port] = splitHostPort(address);
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot listen on ${address}: ${e.message}`)));
    server.listen(port, host, () => {
      const a = server.address() as NetAddress;
      resolve({ server, url: `http://${host}:${a.port}` });
    });
  });
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  methods: Map<string, Handler>,
  opts: RpcServerOptions,
) {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", "Content-Type");
  if (req.method === "OPTIONS") return void res.writeHead(204).end();
  if (req.method === "GET" && opts.get?.has(req.url ?? "")) {
    const r = await opts.get.get(req.url ?? "")!();
    return void res.writeHead(200, { "Content-Type": r.type }).end(r.body);
  }
  if (req.method !== "POST") return void res.writeHead(405, { Allow: "POST, OPTIONS" }).end();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > opts.maxBodyBytes) {
      res.writeHead(413, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify(
          errorResponse(null, RpcCode.invalidRequest, `request body larger than ${opts.maxBodyBytes} bytes`),
        ),
      );
      req.destroy();
      return;
    }
    chunks.push(c as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (e) {
    return send(res, errorResponse(null, RpcCode.parse, `parse error: ${(e as Error).message}`));
  }
  if (Array.isArray(body)) {
    if (body.length === 0) return send(res, errorResponse(null, RpcCode.invalidRequest, "empty batch"));
    if (body.length > opts.maxBatch) {
      return send(
        res,
        errorResponse(
          null,
          RpcCode.invalidRequest,
          `batch of ${body.length} requests: at most ${opts.maxBatch}`,
        ),
      );
    }
    const budget = new ResponseBudget(opts.maxResponseBytes);
    const out = [];
    for (const r of body) out.push(await call(r, methods, budget));
    return send(res, out);
  }
  return send(res, await call(body, methods, new ResponseBudget(opts.maxResponseBytes)));
}

function send(res: ServerResponse, payload: unknown): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(payload));
}

function errorResponse(id: unknown, code: number, message: string) {
  return { jsonrpc: "2.0", id: id ?? null, error: { code, message } };
}

async function call(r: unknown, methods: Map<string, Handler>, budget: ResponseBudget) {
  if (typeof r !== "object" || r === null || Array.isArray(r))
    return errorResponse(null, RpcCode.invalidRequest, "a request must be an object");
  const o = r as Record<string, unknown>;
  const id = o.id ?? null;
  if (o.jsonrpc !== "2.0" || typeof o.method !== "string") {
    return errorResponse(
      id,
      RpcCode.invalidRequest,
      'a request needs "jsonrpc": "2.0" and a "method" string',
    );
  }
  const h = methods.get(o.method);
  if (!h) return errorResponse(id, RpcCode.methodNotFound, `method not found: ${o.method}`);
  const params = o.params === undefined ? [] : Array.isArray(o.params) ? o.params : [o.params];
  try {
    return { jsonrpc: "2.0", id, result: await h(params, budget) };
  } catch (e) {
    if (e instanceof RpcError) return errorResponse(id, e.code, e.message);
    if (e instanceof MassaTsError) return errorResponse(id, RpcCode.badRequest, e.message);
    return errorResponse(id, RpcCode.internal, `internal error: ${(e as Error).message}`);
  }
}
