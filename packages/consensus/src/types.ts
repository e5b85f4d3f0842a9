// Consensus types and parameters: the config and its defaults, what goes in and out of the block graph,
// the graph's record of an active block, the verdicts of the rules, and block/operation ids from map keys.
import {
  type Address,
  BlockId,
  MassaTsError,
  OperationId,
  type SignedBlockHeader,
  type SignedOperation,
  type Slot,
} from "@massa-ts/models";

/** Consensus parameters (`../shared/spec/RULES.md` §1, §6). */
export interface ConsensusConfig {
  readonly threadCount: number;
  readonly endorsementCount: number;
  /** Finality threshold (fitness), 64 × (16 + 1) = 1088 on mainnet. */
  readonly deltaF0: number;
  readonly operationValidityPeriods: number;
  /**
   * Bound of each waiting set, kept apart (Massa's future and dependency bounds): blocks waiting for their
   * slot keep the earliest slots (a flood of far-future headers evicts only itself), blocks waiting for
   * their parents drop the oldest arrival first.
   */
  readonly maxWaitingBlocks: number;
}

export const DEFAULT_CONSENSUS_CONFIG: ConsensusConfig = {
  threadCount: 32,
  endorsementCount: 16,
  deltaF0: 1088,
  operationValidityPeriods: 10,
  maxWaitingBlocks: 2048,
};

/** A full block: its signed header and its operations (signatures and sizes already checked by protocol). */
export interface ConsensusBlock {
  readonly header: SignedBlockHeader;
  readonly operations: readonly SignedOperation[];
}

export class ConsensusError extends MassaTsError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** What became of a block handed to consensus. */
export type BlockStatus =
  | { readonly kind: "active"; readonly final: boolean }
  | { readonly kind: "waiting-slot" }
  | { readonly kind: "waiting-parents"; readonly missing: readonly BlockId[] }
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "stale"; readonly reason: string };

export interface ActiveBlock {
  readonly id: BlockId;
  readonly slot: Slot;
  readonly index: number;
  readonly creator: Address;
  readonly parents: readonly BlockId[];
  readonly fitness: number;
  readonly header: SignedBlockHeader;
  /**
   * The whole block; null for genesis blocks and for final blocks whose operations the graph released
   * (`BlockGraph.releaseOperations`: its block source reads them back).
   */
  block: ConsensusBlock | null;
  /** Its operations' id keys (the reuse rule); empty once released. */
  opIds: ReadonlySet<string>;
  readonly children: Set<string>;
  readonly incomp: Set<string>;
  final: boolean;
}

/** Changes the node must pass on after a call (to execution, the API, the factory). */
export interface ConsensusUpdate {
  /** Blocks that became active during the call, in the order they did (what a node relays). */
  readonly activated: readonly BlockId[];
  readonly blockcliqueChanged: boolean;
  readonly newlyFinal: readonly BlockId[];
  readonly discarded: readonly BlockId[];
}

export interface MutableUpdate {
  activated: BlockId[];
  blockcliqueChanged: boolean;
  newlyFinal: BlockId[];
  discarded: BlockId[];
}

export type Verdict =
  | { kind: "ok"; incomp: Set<string>; fitness: number }
  | { kind: "wait-slot" }
  | { kind: "wait-parents"; missing: BlockId[] }
  | { kind: "invalid"; reason: string }
  | { kind: "stale"; reason: string };

/** A verdict other than "ok": what a rule stage returns when the block does not pass it. */
export type Refusal = Exclude<Verdict, { kind: "ok" }>;

export function idFromKey(key: string): BlockId {
  return new BlockId(Uint8Array.from(Buffer.from(key, "hex")));
}

export function opIdFromKey(key: string): OperationId {
  return new OperationId(Uint8Array.from(Buffer.from(key, "hex")));
}
