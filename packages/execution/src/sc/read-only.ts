// Read-only executions (Massa's `execute_readonly_request`): a contract call or a bytecode run at the slot
// after the last executed one, on a throwaway layer over the active history, with events flagged
// read-only; the gas cost reported as Massa estimates it (never below the instance cost, so that a
// client adding a margin gets enough).

import type { FinalStateController } from "@massa-ts/final-state";
import { type Address, Amount, datastoreMap, type Slot } from "@massa-ts/models";
import { ScError, type ScRuntime } from "@massa-ts/sc-runtime";
import type { Layer } from "../layers.js";
import { transfer } from "../operations.js";
import { SlotContext, type SlotOutput } from "../slot-context.js";
import type { ExecutionConfig, ExecutionEvent } from "../types.js";
import { ContractHost, type Frame } from "./contract-host.js";

export type ReadOnlyTarget =
  | {
      readonly kind: "bytecode";
      readonly bytecode: Uint8Array;
      readonly opDatastore?: readonly (readonly [Uint8Array, Uint8Array])[];
    }
  | {
      readonly kind: "call";
      readonly address: Address;
      readonly func: string;
      readonly parameter: Uint8Array;
    };

export interface ReadOnlyRequest {
  readonly maxGas: bigint;
  readonly target: ReadOnlyTarget;
  /** The caller (a fresh address when the client gives none). */
  readonly caller: Address;
  readonly coins?: Amount;
  readonly fee?: Amount;
}

export interface ReadOnlyOutcome {
  readonly slot: Slot;
  /** The function's return value, or the error that stopped it. */
  readonly result: { readonly ok: Uint8Array } | { readonly error: string };
  readonly gasCost: bigint;
  readonly events: readonly ExecutionEvent[];
  /** What the execution would change (thrown away). */
  readonly changes: Layer;
  readonly trailHash: Uint8Array;
}

export function executeReadOnly(
  req: ReadOnlyRequest,
  slot: Slot,
  history: readonly SlotOutput[],
  fs: FinalStateController,
  config: ExecutionConfig,
  runtime: ScRuntime,
): ReadOnlyOutcome {
  const ctx = new SlotContext(slot, null, history, fs, config, runtime, true);
  const into = ctx.scratch();
  const done = (result: ReadOnlyOutcome["result"], gasCost: bigint): ReadOnlyOutcome => ({
    slot,
    result,
    gasCost,
    events: ctx.events,
    changes: into.layer,
    trailHash: ctx.trailHash,
  });
  if (req.maxGas > config.sc.maxGasPerBlock)
    return done(
      {
        error: `execution gas for read-only call is ${req.maxGas} which is above the maximum allowed ${config.sc.maxGasPerBlock}`,
      },
      0n,
    );
  const caller: Frame = { address: req.caller, coins: Amount.ZERO, owned: [req.caller] };
  const t = req.target;
  const stack: Frame[] =
    t.kind === "bytecode"
      ? [{ ...caller, opDatastore: datastoreMap(t.opDatastore ?? []) }]
      : [caller, { address: t.address, coins: req.coins ?? Amount.ZERO, owned: [t.address] }];
  const host = new ContractHost(ctx, into, stack);
  let lastRunGas: bigint | undefined;
  host.onRun = (gas) => {
    lastRunGas = gas;
  };
  try {
    if (t.kind === "call") host.checkTarget(t.address);
    if (req.fee) transfer(ctx, into, req.caller, undefined, req.fee);
    if (t.kind === "call" && req.coins) transfer(ctx, into, req.caller, t.address, req.coins);
    const r =
      t.kind === "bytecode"
        ? runtime.run(t.bytecode, "main", new Uint8Array(), req.maxGas, host)
        : runtime.run(
            into.view.bytecode(t.address) ?? new Uint8Array(),
            t.func,
            t.parameter,
            req.maxGas,
            host,
          );
    // Massa's estimate: the exact cost, or (when a nested call ran) what was used before the last call
    // started plus an instance's cost, whichever is larger
    const exact = req.maxGas - r.remaining;
    const instance = BigInt(runtime.costs.maxInstance);
    const corrected = lastRunGas === undefined ? instance : req.maxGas - lastRunGas + instance;
    return done({ ok: r.ret }, exact > corrected ? exact : corrected);
  } catch (e) {
    const context =
      t.kind === "bytecode"
        ? "ReadOnlyExecutionTarget::BytecodeExecution"
        : "ReadOnlyExecutionTarget::FunctionCall";
    const why = e instanceof ScError ? `VM Error in ${context} context: ${e.message}` : (e as Error).message;
    return done({ error: `readonly call failed: ${why}` }, 0n);
  }
}
