// Smart-contract calls on the public API, with Massa's shapes, on a node that does not run contracts yet
// (issue 15): read-only executions answer a typed error; deferred calls answer what is true here (none
// exist, none can be booked).
import { param } from "./api-params.js";
import { type Handler, RpcCode, RpcError } from "./rpc-server.js";

/** Massa's DEFERRED_CALL_CST_GAS_COST: the gas every deferred call costs on top of what it asks for. */
const DEFERRED_CALL_CST_GAS_COST = 750_000;
export function addCallMethods(m: Map<string, Handler>): void {
  const noContracts = (what: string) =>
    new RpcError(
      RpcCode.execution,
      `${what}: this node does not run smart contracts yet, so it cannot execute bytecode or call a function`,
    );
  m.set("execute_read_only_bytecode", (params) => {
    param(params, "execute_read_only_bytecode");
    throw noContracts("execute_read_only_bytecode");
  });
  m.set("execute_read_only_call", (params) => {
    param(params, "execute_read_only_call");
    throw noContracts("execute_read_only_call");
  });
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
