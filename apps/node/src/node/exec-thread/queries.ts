// The API's reads of execution and the final state, answered on the execution thread as JSON-ready
// values (the node's thread only forwards them): balances, datastores, bytecode, events, transfers,
// cycle infos, read-only executions, stakers' rolls.
import type {
  Execution,
  ReadLevel,
  ReadOnlyOutcome,
  ReadOnlyRequest,
  ReadOnlyTarget,
} from "@massa-ts/execution";
import type { FinalStateReader } from "@massa-ts/final-state";
import { Address, Amount, compareAddresses, compareBytes, OperationId } from "@massa-ts/models";
import { bytesJson, eventJson, slotJson } from "../api-json.js";
import type { Json } from "../rpc-server.js";
import { type SlotW, slotOf } from "./wire.js";

/** What the queries read: execution (candidate values) and the final state. */
export interface QueryState {
  readonly execution: Execution;
  readonly fs: FinalStateReader;
  readonly periodsPerCycle: number;
  /** Massa's `initial_rolls`: the active rolls of cycles 0 to 2. */
  readonly initialRolls: readonly (readonly [Address, bigint])[];
}

const level = (isFinal: boolean): ReadLevel => (isFinal ? "final" : "candidate");

/** Candidate balances in nano (null: no such address), for the pool's admission. */
export function balances(q: QueryState, addresses: readonly string[]): (bigint | null)[] {
  return addresses.map((a) => q.execution.balance(Address.fromString(a), "candidate")?.nano ?? null);
}

/** One address's balance in nano (null: no such address). */
export function balance(q: QueryState, address: string, isFinal: boolean): bigint | null {
  return q.execution.balance(Address.fromString(address), level(isFinal))?.nano ?? null;
}

/** Active rolls of every staker in `cycle`, as Massa's `get_all_active_rolls` (zero counts as stored). */
export function activeRolls(q: QueryState, cycle: number): [Address, bigint][] {
  if (cycle < 3) return q.initialRolls.map(([a, n]) => [a, n]);
  return [...(q.fs.cycleInfo(cycle - 3)?.rollCounts ?? [])];
}

/** Stakers of `cycle` by active rolls, most first (ties in Massa's address order). */
export function stakers(q: QueryState, cycle: number): [string, number][] {
  return activeRolls(q, cycle)
    .sort(([a, x], [b, y]) => (y > x ? 1 : y < x ? -1 : compareAddresses(a, b)))
    .map(([a, r]) => [a.toString(), Number(r)]);
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
function cycleInfos(q: QueryState, addresses: readonly Address[]): Map<string, CycleRow[]> {
  const T = q.periodsPerCycle;
  const wanted = new Set(addresses.map((a) => a.key));
  const rows: { cycle: number; final: boolean; stats: Map<string, [number, number]> }[] = [];
  for (const { cycle, complete } of q.fs.cycles()) {
    const info = q.fs.cycleInfo(cycle)!;
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
  for (const out of q.execution.activeHistory) {
    const row = open(out.slot.cycle(T));
    for (const [k, [, st]] of out.changes.stats) {
      if (!wanted.has(k)) continue;
      const cur = row.stats.get(k) ?? [0, 0];
      row.stats.set(k, [cur[0] + Number(st.blockSuccess), cur[1] + Number(st.blockFailure)]);
    }
  }
  open(q.execution.lastExecutedSlot.cycle(T));
  const active = new Map(
    rows.map((r) => [r.cycle, new Map(activeRolls(q, r.cycle).map(([a, n]) => [a.key, Number(n)]))]),
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

/** The fields of `get_addresses` that execution and the final state know, per address. */
export function addressRows(q: QueryState, texts: readonly string[]): Record<string, Json>[] {
  const ex = q.execution;
  const addrs = texts.map((t) => Address.fromString(t));
  // one pass over the stored credits and each cycle's stats for the whole list
  const credits = ex.deferredCreditsOf(addrs, "candidate");
  const infos = cycleInfos(q, addrs);
  return addrs.map((a) => {
    const keys = (l: ReadLevel) => (ex.datastoreKeys(a, l) ?? []).map(bytesJson);
    return {
      final_balance: (ex.balance(a, "final") ?? Amount.ZERO).toString(),
      final_roll_count: Number(ex.rolls(a, "final")),
      final_datastore_keys: keys("final"),
      candidate_balance: (ex.balance(a, "candidate") ?? Amount.ZERO).toString(),
      candidate_roll_count: Number(ex.rolls(a, "candidate")),
      candidate_datastore_keys: keys("candidate"),
      deferred_credits: (credits.get(a.key) ?? []).map(([s, amount]) => ({
        slot: slotJson(s),
        amount: amount.toString(),
      })),
      cycle_infos: infos.get(a.key) ?? [],
    };
  });
}

export function datastoreEntries(q: QueryState, reqs: readonly (readonly [string, Uint8Array])[]): Json[] {
  return reqs.map(([text, key]) => {
    const a = Address.fromString(text);
    const f = q.execution.dataEntry(a, key, "final");
    const c = q.execution.dataEntry(a, key, "candidate");
    return { final_value: f ? bytesJson(f) : null, candidate_value: c ? bytesJson(c) : null };
  });
}

export function bytecodes(q: QueryState, reqs: readonly (readonly [string, boolean])[]): Json[] {
  return reqs.map(([text, isFinal]) =>
    bytesJson(q.execution.bytecode(Address.fromString(text), level(isFinal)) ?? new Uint8Array()),
  );
}

/** Massa's datastore key range query (the bounds already checked by the API). */
export interface KeysQuery {
  readonly address: string;
  readonly isFinal: boolean;
  readonly prefix: Uint8Array;
  readonly startKey?: Uint8Array;
  readonly inclusiveStart: boolean;
  readonly endKey?: Uint8Array;
  readonly inclusiveEnd: boolean;
  readonly count: number;
}

export function datastoreKeys(q: QueryState, reqs: readonly KeysQuery[]): Json[][] {
  return reqs.map((r) => {
    const all = q.execution.datastoreKeys(Address.fromString(r.address), level(r.isFinal)) ?? [];
    const keys: Json[] = [];
    for (const k of all) {
      if (keys.length >= r.count) break;
      if (k.length < r.prefix.length || !r.prefix.every((b, i) => k[i] === b)) continue;
      if (r.startKey) {
        const c = compareBytes(k, r.startKey);
        if (c < 0 || (c === 0 && !r.inclusiveStart)) continue;
      }
      if (r.endKey) {
        const c = compareBytes(k, r.endKey);
        if (c > 0 || (c === 0 && !r.inclusiveEnd)) break;
      }
      keys.push(bytesJson(k));
    }
    return keys;
  });
}

/** The Transaction receipts of each slot (its blockclique block's id given by the node's thread). */
export function transfers(q: QueryState, slots: readonly (readonly [SlotW, string])[]): Json[] {
  return slots.map(([s, blockId]) =>
    (q.execution.transfersAt(slotOf(s))?.transfers ?? []).map((t) => ({
      from: t.from.toString(),
      to: t.to.toString(),
      amount: t.amount.toString(),
      effective_amount_received: t.effectiveReceived.toString(),
      context: { operation_id: t.operationId.toString() },
      succeed: t.succeed,
      fee: t.fee.toString(),
      block_id: blockId,
    })),
  );
}

/** Massa's event filter as text (all fields optional). */
export interface EventFilterW {
  readonly operationId?: string;
  readonly originalCaller?: string;
  readonly emitter?: string;
  readonly fromSlot?: SlotW;
  readonly endSlot?: SlotW;
  readonly isFinal?: boolean;
  readonly isError?: boolean;
}

export function events(q: QueryState, f: EventFilterW): Json[] {
  return q.execution
    .events({
      ...(f.operationId ? { operationId: OperationId.fromString(f.operationId) } : {}),
      ...(f.originalCaller ? { originalCaller: Address.fromString(f.originalCaller) } : {}),
      ...(f.emitter ? { emitter: Address.fromString(f.emitter) } : {}),
      ...(f.fromSlot ? { fromSlot: slotOf(f.fromSlot) } : {}),
      ...(f.endSlot ? { endSlot: slotOf(f.endSlot) } : {}),
      ...(f.isFinal !== undefined ? { isFinal: f.isFinal } : {}),
      ...(f.isError !== undefined ? { isError: f.isError } : {}),
    })
    .map(eventJson);
}

/** A read-only execution request as text, bytes and nano. */
export interface ReadOnlyRequestW {
  readonly maxGas: bigint;
  readonly caller: string;
  readonly coins?: bigint;
  readonly fee?: bigint;
  /** Execution's own target, the called address as text. */
  readonly target:
    | Extract<ReadOnlyTarget, { kind: "bytecode" }>
    | (Omit<Extract<ReadOnlyTarget, { kind: "call" }>, "address"> & { readonly address: string });
}

/** Runs a read-only execution; its answer in Massa's shape, and the time it took. */
export function readOnly(q: QueryState, w: ReadOnlyRequestW): { json: Json; ms: number } {
  const t = w.target;
  const req: ReadOnlyRequest = {
    maxGas: w.maxGas,
    caller: Address.fromString(w.caller),
    target:
      t.kind === "bytecode"
        ? t
        : { kind: "call", address: Address.fromString(t.address), func: t.func, parameter: t.parameter },
    ...(w.coins !== undefined ? { coins: Amount.fromNano(w.coins) } : {}),
    ...(w.fee !== undefined ? { fee: Amount.fromNano(w.fee) } : {}),
  };
  const start = performance.now();
  const out = q.execution.readOnly(req);
  return { json: readOnlyJson(out), ms: performance.now() - start };
}

/** Massa's `StateChanges` with only ledger changes (nothing else moves in a read-only run here). */
export function stateChanges(ledger: Record<string, Json>): Json {
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

function readOnlyJson(o: ReadOnlyOutcome): Json {
  return {
    executed_at: slotJson(o.slot),
    result: "ok" in o.result ? { Ok: bytesJson(o.result.ok) } : { Error: o.result.error },
    gas_cost: Number(o.gasCost),
    output_events: o.events.map(eventJson),
    state_changes: stateChangesJson(o),
  };
}
