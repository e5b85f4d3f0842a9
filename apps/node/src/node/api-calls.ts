// Smart-contract calls on the public API, with Massa's shapes: read-only executions (a call or a bytecode
// run at the next slot, nothing kept) and the deferred-call methods, which answer what is true here (none
// exist, none can be booked: this node does not run deferred calls).
import type { ReadOnlyOutcome, ReadOnlyRequest } from "@massa-ts/execution";
import { Address, Amount, ByteReader, SecretKey, type Slot } from "@massa-ts/models";
import { bytesJson, eventJson, slotJson } from "./api-json.js";
import { param } from "./api-params.js";
import type { NodeApiView } from "./api-view.js";
import { ReadOnlyBudget } from "./read-only-budget.js";
import { type Handler, type Json, RpcCode, RpcError } from "./rpc-server.js";

/** Massa's DEFERRED_CALL_CST_GAS_COST: the gas every deferred call costs on top of what it asks for. */
const DEFERRED_CALL_CST_GAS_COST = 750_000;
/** Massa's MAX_OPERATION_DATASTORE_ENTRY_COUNT and value length, for a read-only run's datastore. */
const MAX_OP_DATASTORE_ENTRIES = 128;
const MAX_OP_DATASTORE_VALUE = 500_000;

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

/** Massa's `StateChanges` JSON of a read-only run (its ledger changes; nothing else moves here). */
function stateChangesJson(o: ReadOnlyOutcome): Json {
  const ledger: Record<string, Json> = {};
  for (const [a, c] of o.changes.ledger.entries()) {
    if (c.kind === "delete") ledger[a.toString()] = "Delete";
    else if (c.kind === "set")
      ledger[a.toString()] = {
        Set: {
          balance: c.entry.balance.toString(),
          bytecode: bytesJson(c.entry.bytecode),
          datastore: [...c.entry.datastore].map(([k, v]) => [bytesJson(Buffer.from(k, "hex")), bytesJson(v)]),
        },
      };
    else
      ledger[a.toString()] = {
        Update: {
          balance: c.update.balance ? { Set: c.update.balance.toString() } : "Keep",
          bytecode: c.update.bytecode ? { Set: bytesJson(c.update.bytecode) } : "Keep",
          datastore: [...c.update.datastore].map(([k, v]) => [
            bytesJson(Buffer.from(k, "hex")),
            v === null ? "Delete" : { Set: bytesJson(v) },
          ]),
        },
      };
  }
  return stateChanges(ledger);
}

/** Massa's `StateChanges` with only ledger changes (nothing else moves in a read-only run here). */
function stateChanges(ledger: Record<string, Json>): Json {
  return {
    ledger_changes: ledger,
    async_pool_changes: [],
    pos_changes: {},
    executed_ops_changes: {},
    deferred_call_changes: {},
    executed_denunciations_changes: {},
    execution_trail_hash_change: "Keep",
  };
}

function responseJson(o: ReadOnlyOutcome): Json {
  return {
    executed_at: slotJson(o.slot),
    result: "ok" in o.result ? { Ok: bytesJson(o.result.ok) } : { Error: o.result.error },
    gas_cost: Number(o.gasCost),
    output_events: o.events.map(eventJson),
    state_changes: stateChangesJson(o),
  };
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
  const run = (req: ReadOnlyRequest, fee: string | null | undefined): Json => {
    const zero = node.execution.lastExecutedSlot;
    if (fee != null && Amount.fromMas(fee).lt(minimalFee))
      return refused(`fee is too low provided: ${fee} , minimal_fees required: ${minimalFee}`, zero);
    const wait = budget.waitMs();
    if (wait > 0)
      return refused(
        `this node's read-only executions used their share of its time (${msPerSecond} ms a second): retry in ${wait} ms`,
        zero,
      );
    const t = performance.now();
    const out = node.execution.readOnly(req);
    budget.spend(performance.now() - t);
    return responseJson(out);
  };

  m.set("execute_read_only_bytecode", (params) =>
    param(params, "execute_read_only_bytecode").map((r, i) => {
      let opDatastore: [Uint8Array, Uint8Array][] | undefined;
      try {
        opDatastore = r.operation_datastore ? parseOpDatastore(r.operation_datastore) : undefined;
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `execution ${i}: ${(e as Error).message}`);
      }
      return run(
        {
          maxGas: BigInt(r.max_gas),
          caller: r.address ?? someCaller(),
          target: { kind: "bytecode", bytecode: r.bytecode, ...(opDatastore ? { opDatastore } : {}) },
          ...(r.fee ? { fee: Amount.fromMas(r.fee) } : {}),
        },
        r.fee,
      );
    }),
  );
  m.set("execute_read_only_call", (params) =>
    param(params, "execute_read_only_call").map((r) =>
      run(
        {
          maxGas: BigInt(r.max_gas),
          caller: r.caller_address ?? someCaller(),
          target: {
            kind: "call",
            address: r.target_address,
            func: r.target_function,
            parameter: r.parameter,
          },
          ...(r.coins ? { coins: Amount.fromMas(r.coins) } : {}),
          ...(r.fee ? { fee: Amount.fromMas(r.fee) } : {}),
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
