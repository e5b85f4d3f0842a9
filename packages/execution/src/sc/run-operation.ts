// ExecuteSC and CallSC as Massa runs them (massa-execution-worker `execution.rs`): the call stack they start
// with, the coins a CallSC moves first, the contract run on the operation's max gas, and the gas each
// operation counts against its block's.
import { Amount, datastoreMap, type SignedOperation } from "@massa-ts/models";
import { MASSA_GAS_COSTS, ScError, type ScRuntime } from "@massa-ts/sc-runtime";
import { OperationFailure, transfer } from "../operations.js";
import type { Scratch, SlotContext } from "../slot-context.js";
import { ContractHost } from "./contract-host.js";

/** Massa's `get_gas_usage`: ExecuteSC max gas + compilation + base, CallSC max gas + base, others base. */
export function gasUsage(op: SignedOperation, baseOperationGas: bigint, spCompilation: bigint): bigint {
  const p = op.content.payload;
  if (p.type === "ExecuteSC") return p.maxGas + spCompilation + baseOperationGas;
  if (p.type === "CallSC") return p.maxGas + baseOperationGas;
  return baseOperationGas;
}

/** {@link gasUsage} with Massa's gas table: what the pool and the block factory count for an operation. */
export function operationBlockGas(op: SignedOperation, baseOperationGas: bigint): bigint {
  return gasUsage(op, baseOperationGas, BigInt(MASSA_GAS_COSTS.spCompilation));
}

export function operationGas(op: SignedOperation, ctx: SlotContext, runtime: ScRuntime): bigint {
  return gasUsage(op, ctx.config.sc.baseOperationGas, BigInt(runtime.costs.spCompilation));
}

const vmError = (context: string, e: unknown): never => {
  if (e instanceof ScError) throw new OperationFailure(`VM Error in ${context} context: ${e.message}`);
  throw e;
};

/** Runs an ExecuteSC's bytecode (`main`) with the sender alone on the stack and the operation datastore. */
export function runExecuteSC(ctx: SlotContext, into: Scratch, op: SignedOperation, runtime: ScRuntime): void {
  const p = op.content.payload;
  if (p.type !== "ExecuteSC") throw new Error("not an ExecuteSC");
  const sender = op.creatorAddress;
  const opDatastore = datastoreMap(p.datastore);
  const host = new ContractHost(
    ctx,
    into,
    [{ address: sender, coins: Amount.ZERO, owned: [sender], opDatastore }],
    op,
  );
  try {
    runtime.run(p.bytecode, "main", new Uint8Array(), p.maxGas, host);
  } catch (e) {
    vmError("ExecuteSC", e);
  }
}

/** Runs a CallSC: the coins go to the target first, then its function runs with [sender, target] on the stack. */
export function runCallSC(ctx: SlotContext, into: Scratch, op: SignedOperation, runtime: ScRuntime): void {
  const p = op.content.payload;
  if (p.type !== "CallSC") throw new Error("not a CallSC");
  const sender = op.creatorAddress;
  const host = new ContractHost(
    ctx,
    into,
    [
      { address: sender, coins: Amount.ZERO, owned: [sender] },
      { address: p.target, coins: p.coins, owned: [p.target] },
    ],
    op,
  );
  host.checkTarget(p.target);
  try {
    transfer(ctx, into, sender, p.target, p.coins);
  } catch (e) {
    throw new OperationFailure(
      `failed to transfer ${p.coins} operation coins from ${sender} to ${p.target}: ${(e as Error).message}`,
    );
  }
  if (p.functionName.length === 0) throw new OperationFailure("no function to call in the CallSC operation");
  const bytecode = into.view.bytecode(p.target) ?? new Uint8Array();
  try {
    runtime.run(bytecode, p.functionName, p.parameter, p.maxGas, host);
  } catch (e) {
    vmError("CallSC", e);
  }
}
