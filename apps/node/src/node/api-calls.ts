// Smart-contract calls on the public API, with Massa's shapes: read-only executions (a call or a bytecode
// run at the next slot, nothing kept) and the deferred-call methods, which answer what is true here (none
// exist, none can be booked: this node does not run deferred calls).
import { Address, Amount, ByteReader, SecretKey, type Slot } from "@massa-ts/models";
import { slotJson } from "./api-json.js";
import { param } from "./api-params.js";
import type { NodeApiView } from "./api-view.js";
import { type ReadOnlyRequestW, stateChanges } from "./exec-thread/queries.js";
import { ReadOnlyBudget } from "./read-only-budget.js";
import { type Handler, type Json, RpcCode, RpcError } from "./rpc-server.js";

/** Massa's DEFERRED_CALL_CST_GAS_COST: the gas every deferred call costs on top of what it asks for. */
const DEFERRED_CALL_CST_GAS_COST = 750_000;
/** Massa's MAX_OPERATION_DATASTORE_ENTRY_COUNT and value length, for a read-only run's datastore. */
const MAX_OP_DATASTORE_ENTRIES = 128;
const MAX_OP_DATASTORE_VALUE = 500_000;
/** Read-only executions that may wait for their turn (each runs alone on the execution thread). */
const MAX_READ_ONLY_WAITING = 64;

/** The operation datastore as massa-web3 serializes it: varint count, then varint-length key and value. */
export function parseOpDatastore(bytes: Uint8Array): [Uint8Array, Uint8Array][] {
  const r = new ByteReader(bytes);
  const n = r.readVarintNumber("operation datastore count", MAX_OP_DATASTORE_ENTRIES);
  const out: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < n; i++)
    out.push([
      r.readLengthPrefixed(`operation datastore key ${i}`, 255),
      r.readLengthPrefixed(`operation datastore value ${i}`, MAX_OP_DATASTORE_VALUE),
    ]);
  r.expectEnd("operation datastore");
  return out;
}

/** Massa's answer to a request refused before it runs. */
function refused(error: string, at: Slot): Json {
  return {
    executed_at: slotJson(at),
    result: { Error: error },
    gas_cost: 0,
    output_events: [],
    state_changes: stateChanges({}),
  };
}

export function addCallMethods(m: Map<string, Handler>, node: NodeApiView): void {
  const minimalFee = Amount.fromMas(node.config.minimal_fees);
  /** A caller for a request without one (Massa: a fresh key's address). */
  const someCaller = () => Address.fromPublicKey(SecretKey.generate().publicKey);
  const msPerSecond = node.config.api.read_only_ms_per_second;
  const budget = new ReadOnlyBudget(msPerSecond, 2 * msPerSecond, () => node.clock.now());
  // one read-only execution at a time, so that the budget each one checks counts every earlier one; a
  // bounded number wait their turn, more are refused
  let turn: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  const run = async (req: ReadOnlyRequestW, fee: string | null | undefined): Promise<Json> => {
    const zero = node.execution.lastExecutedSlot;
    if (fee != null && Amount.fromMas(fee).lt(minimalFee))
      return refused(`fee is too low provided: ${fee} , minimal_fees required: ${minimalFee}`, zero);
    if (waiting >= MAX_READ_ONLY_WAITING)
      return refused(
        `this node already has ${MAX_READ_ONLY_WAITING} read-only executions waiting: retry later`,
        zero,
      );
    waiting++;
    const mine = turn.then(() => runNow(req));
    turn = mine.catch(() => undefined);
    try {
      return await mine;
    } finally {
      waiting--;
    }
  };
  const runNow = async (req: ReadOnlyRequestW): Promise<Json> => {
    const zero = node.execution.lastExecutedSlot;
    const wait = budget.waitMs();
    if (wait > 0)
      return refused(
        `this node's read-only executions used their share of its time (${msPerSecond} ms a second): retry in ${wait} ms`,
        zero,
      );
    // the budget counts the execution thread's time: a client asking in a loop must not slow finality
    try {
      const { json, ms } = await node.execution.call("readOnly", req);
      budget.spend(ms);
      return json;
    } catch (e) {
      throw new RpcError(RpcCode.execution, `read-only execution: ${(e as Error).message}`);
    }
  };

  // one request after the other: each sees the budget the previous ones spent
  const runAll = async <T>(reqs: readonly T[], one: (r: T, i: number) => Promise<Json>): Promise<Json[]> => {
    const out: Json[] = [];
    for (const [i, r] of reqs.entries()) out.push(await one(r, i));
    return out;
  };
  m.set("execute_read_only_bytecode", (params) =>
    runAll(param(params, "execute_read_only_bytecode"), (r, i) => {
      let opDatastore: [Uint8Array, Uint8Array][] | undefined;
      try {
        opDatastore = r.operation_datastore ? parseOpDatastore(r.operation_datastore) : undefined;
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `execution ${i}: ${(e as Error).message}`);
      }
      return run(
        {
          maxGas: BigInt(r.max_gas),
          caller: (r.address ?? someCaller()).toString(),
          target: { kind: "bytecode", bytecode: r.bytecode, ...(opDatastore ? { opDatastore } : {}) },
          ...(r.fee ? { fee: Amount.fromMas(r.fee).nano } : {}),
        },
        r.fee,
      );
    }),
  );
  m.set("execute_read_only_call", (params) =>
    runAll(param(params, "execute_read_only_call"), (r) =>
      run(
        {
          maxGas: BigInt(r.max_gas),
          caller: (r.caller_address ?? someCaller()).toString(),
          target: {
            kind: "call",
            address: r.target_address.toString(),
            func: r.target_function,
            parameter: r.parameter,
          },
          ...(r.coins ? { coins: Amount.fromMas(r.coins).nano } : {}),
          ...(r.fee ? { fee: Amount.fromMas(r.fee).nano } : {}),
        },
        r.fee,
      ),
    ),
  );
  // no deferred call can be booked on this node: each slot is unavailable, at no price (Massa's answer
  // when the fee cannot be computed), for the gas asked plus the constant cost, as Massa reports it
  m.set("get_deferred_call_quote", (params) =>
    param(params, "get_deferred_call_quote").map((q) => ({
      target_slot: { period: q.target_slot.period, thread: q.target_slot.thread },
      max_gas_request: q.max_gas_request + DEFERRED_CALL_CST_GAS_COST,
      available: false,
      price: "0",
    })),
  );
  m.set("get_deferred_call_info", (params) => {
    const ids = param(params, "get_deferred_call_info");
    for (const id of ids)
      if (!/^D[1-9A-HJ-NP-Za-km-z]+$/.test(id))
        throw new RpcError(RpcCode.badRequest, `invalid deferred call id "${id}"`);
    if (ids.length === 0) return [];
    throw new RpcError(RpcCode.internal, `Not found: Deferred call id ${ids[0]}`);
  });
  m.set("get_deferred_call_ids_by_slot", (params) =>
    param(params, "get_deferred_call_ids_by_slot").map((s) => ({
      slot: { period: s.period, thread: s.thread },
      call_ids: [],
    })),
  );
}
