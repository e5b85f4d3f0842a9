// What crosses between the node's thread and its execution thread: plain values (strings, numbers, bigints,
// bytes) that structured cloning copies as they are. Classes (slots, addresses, blocks, operations) are
// turned into these forms on one side and rebuilt on the other.
import type { ExecBlock } from "@massa-ts/execution";
import type { CycleInfo, ProductionStats } from "@massa-ts/final-state";
import {
  Address,
  BlockId,
  ByteReader,
  ByteWriter,
  type Selection,
  SignedOperation,
  Slot,
} from "@massa-ts/models";

export type SlotW = readonly [period: number, thread: number];
export const slotW = (s: Slot): SlotW => [s.period, s.thread];
export const slotOf = (w: SlotW): Slot => new Slot(w[0], w[1]);

/**
 * A blockclique block as execution needs it; its operations as their wire bytes, packed one after the
 * other in one buffer (each is self-delimiting: one copy to clone instead of thousands of small arrays).
 */
export interface ExecBlockW {
  readonly id: string;
  readonly slot: SlotW;
  readonly creator: string;
  readonly operationCount: number;
  readonly operations: Uint8Array;
  readonly endorsements: readonly (readonly [index: number, creator: string])[];
  readonly parentCreator: string;
  readonly slashed: readonly string[];
}

export function execBlockW(b: ExecBlock): ExecBlockW {
  return {
    id: b.id.toString(),
    slot: slotW(b.slot),
    creator: b.creator.toString(),
    operationCount: b.operations.length,
    operations: packOperations(b.operations),
    endorsements: b.endorsements.map((e) => [e.index, e.creator.toString()]),
    parentCreator: b.parentCreator.toString(),
    slashed: (b.slashed ?? []).map(String),
  };
}

function packOperations(ops: readonly SignedOperation[]): Uint8Array {
  let size = 0;
  for (const o of ops) size += o.serializedSize;
  const w = new ByteWriter(Math.max(1, size));
  for (const o of ops) o.serialize(w);
  return w.finish();
}

function unpackOperations(bytes: Uint8Array, count: number, chainId: bigint): SignedOperation[] {
  const r = new ByteReader(bytes);
  const ops: SignedOperation[] = [];
  for (let i = 0; i < count; i++) ops.push(SignedOperation.deserialize(r, chainId));
  r.expectEnd("block operations");
  return ops;
}

/** Rebuilds a block (its operations parsed again: their ids are hashed, their signatures were checked). */
export function execBlockOf(w: ExecBlockW, chainId: bigint): ExecBlock {
  return {
    id: BlockId.fromString(w.id),
    slot: slotOf(w.slot),
    creator: Address.fromString(w.creator),
    operations: unpackOperations(w.operations, w.operationCount, chainId),
    endorsements: w.endorsements.map(([index, creator]) => ({ index, creator: Address.fromString(creator) })),
    parentCreator: Address.fromString(w.parentCreator),
    ...(w.slashed.length > 0 ? { slashed: w.slashed.map((a) => Address.fromString(a)) } : {}),
  };
}

export interface SelectionW {
  readonly producer: string;
  readonly endorsements: readonly string[];
}

export const selectionW = (s: Selection): SelectionW => ({
  producer: s.producer.toString(),
  endorsements: s.endorsements.map(String),
});

export const selectionOf = (w: SelectionW): Selection => ({
  producer: Address.fromString(w.producer),
  endorsements: w.endorsements.map((a) => Address.fromString(a)),
});

export interface CycleInfoW {
  readonly cycle: number;
  readonly complete: boolean;
  readonly lastFinalSlot: SlotW | null;
  readonly rollCounts: readonly (readonly [string, bigint])[];
  readonly seedBits: readonly boolean[];
  readonly productionStats: readonly (readonly [string, ProductionStats])[];
  readonly finalStateHashSnapshot: Uint8Array | null;
}

export function cycleInfoW(c: CycleInfo): CycleInfoW {
  return {
    cycle: c.cycle,
    complete: c.complete,
    lastFinalSlot: c.lastFinalSlot ? slotW(c.lastFinalSlot) : null,
    rollCounts: c.rollCounts.map(([a, n]) => [a.toString(), n]),
    seedBits: c.seedBits,
    productionStats: c.productionStats.map(([a, s]) => [a.toString(), { ...s }]),
    finalStateHashSnapshot: c.finalStateHashSnapshot ?? null,
  };
}

export function cycleInfoOf(w: CycleInfoW): CycleInfo {
  return {
    cycle: w.cycle,
    complete: w.complete,
    lastFinalSlot: w.lastFinalSlot ? slotOf(w.lastFinalSlot) : undefined,
    rollCounts: w.rollCounts.map(([a, n]) => [Address.fromString(a), n]),
    seedBits: [...w.seedBits],
    productionStats: w.productionStats.map(([a, s]) => [Address.fromString(a), s]),
    finalStateHashSnapshot: w.finalStateHashSnapshot ?? undefined,
  };
}

/** One tick of the node: the blockclique's changes, the draws execution may need, how far to go. */
export interface TickCommand {
  /** Slots (past the final one) whose blockclique block differs from what was sent before; null: none. */
  readonly blocks: readonly (readonly [SlotW, ExecBlockW | null])[];
  /** Draws of slots not sent before, up to the last slot this tick may execute. */
  readonly selections: readonly (readonly [SlotW, SelectionW])[];
  /** Candidate slots are executed up to this one. */
  readonly upTo: SlotW;
  /** Final slots are settled up to this one, one at a time. */
  readonly finalUpTo: SlotW;
}

/** What the node's thread keeps of an executed, not yet final slot. */
export interface SlotSummaryW {
  readonly slot: SlotW;
  /** Its operations' ids (`OperationId.key`) and whether each succeeded. */
  readonly operations: readonly (readonly [string, boolean])[];
  /** Block production stats it adds: address → [successes, failures]. */
  readonly stats: readonly (readonly [string, number, number])[];
}

/** One settled slot. */
export interface SettledW {
  readonly slot: SlotW;
  /** The final state hash's fingerprint after it. */
  readonly hash: string;
  readonly block: boolean;
  readonly operationCount: number;
  /** Executed operations it records: id key, success, expiry slot index. */
  readonly executed: readonly (readonly [string, boolean, number])[];
}

export interface TickResult {
  /** Slots executed during the tick, in order (each replaces the history from its slot on). */
  readonly executed: readonly SlotSummaryW[];
  readonly settled: readonly SettledW[];
  /** Cycles completed, each with the one before it (the selector's input). */
  readonly completedCycles: readonly (readonly [CycleInfoW, CycleInfoW | null])[];
  readonly finalSlot: SlotW;
  readonly lastExecutedSlot: SlotW;
  readonly stateHash: Uint8Array;
  /** The execution thread's used JavaScript heap after the tick, bytes (for /metrics). */
  readonly heapUsed: number;
  /** The execution thread's kernel id (Linux), for its CPU time in /metrics. */
  readonly threadId?: number;
  /** Set when the tick stopped early (a slot's draws were not sent); the next tick goes on. */
  readonly stopped?: { readonly code: string; readonly message: string };
}

/** The execution thread's state when it opens (the node's thread mirrors it from then on). */
export interface OpenedW {
  readonly finalSlot: SlotW;
  readonly stateHash: Uint8Array;
  readonly executed: readonly (readonly [string, boolean, number])[];
}
