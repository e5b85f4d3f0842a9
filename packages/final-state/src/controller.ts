// The faces of the final state other packages depend on: its reads, what execution settles through, and
// the writes a node makes while it starts (genesis, bootstrap, downtime) and stops.
import type { LedgerChanges, LedgerReader } from "@massa-ts/ledger";
import type { Address, Amount, OperationId, Slot } from "@massa-ts/models";
import type { BootstrapCursor, BootstrapPart } from "./bootstrap.js";
import type { ExecutedOp } from "./executed-ops.js";
import type { StateHash } from "./hash.js";
import type { CycleInfo, PoSChanges } from "./pos.js";

/** What one settled slot changes. (PoS changes come with the rest of issue 4.) */
export interface StateChanges {
  readonly ledgerChanges: LedgerChanges;
  readonly executedOps?: readonly ExecutedOp[];
  /** Required once the store has a PoS history (after `initGenesis`). */
  readonly pos?: PoSChanges;
  /** The slot's execution trail hash (32 bytes), when execution moved it. */
  readonly executionTrailHash?: Uint8Array;
}

/** Every read of the final state (overlay, then B-tree); none of them writes. */
export interface FinalStateReader {
  /** The last settled slot, or undefined before the first one. */
  readonly lastFinalSlot: Slot | undefined;
  /** The 512-byte state hash (a copy). */
  readonly stateHash: StateHash;
  /** The shape this store was opened with. */
  readonly config: { threadCount: number; periodsPerCycle: number };
  readonly ledger: LedgerReader;
  /** Whether `id` was executed in a final slot and is still within its validity window (+10 periods). */
  isExecuted(id: OperationId): boolean;
  /** Status of a final executed operation: true = success, false = failed, undefined = unknown/pruned. */
  executedOpStatus(id: OperationId): boolean | undefined;
  /** Cycles in the PoS history, oldest first. */
  cycles(): { cycle: number; complete: boolean }[];
  cycleInfo(cycle: number): CycleInfo | undefined;
  /** Roll count of `address` in the newest cycle of the history (0 when none). */
  rollsOf(address: Address): bigint;
  deferredCredit(slot: Slot, address: Address): Amount | undefined;
  /** Every final deferred credit due at a slot ≤ `slot`. */
  deferredCreditsUpTo(slot: Slot): [Slot, Address, Amount][];
  deferredCreditsAt(slot: Slot): [Address, Amount][];
  /** Number of ledger entries (addresses with a version key). */
  countLedgerEntries(): number;
  /** The execution trail hash of the last settled slot (the zero hash when none was written). */
  readonly executionTrailHash: Uint8Array;
  /** Recomputes the hash by scanning the whole state (for checks; O(state)). */
  recomputeHash(): StateHash;
  /** Bootstrap server side: one bounded part of the state for a client at `cursor`. */
  bootstrapPart(cursor: BootstrapCursor, maxBytes?: number): BootstrapPart;
  /** Records in the B-tree (LMDB's own count, O(1)): a bootstrap's progress total. */
  approxRecordCount(): number;
}

/** What execution needs: the reads, settling the next slot, and the completed cycles. */
export interface FinalStateController extends FinalStateReader {
  /**
   * Settles exactly the slot after `lastFinalSlot` in one journal record: reads see it on return, the disk
   * shortly after (`FinalStateAdmin.flushed`); a kill in between loses whole slots, the newest ones.
   */
  settleSlot(slot: Slot, changes: StateChanges): void;
  /** Called after the commit of each slot that completes a cycle. */
  onCycleCompleted(listener: (info: CycleInfo) => void): void;
}

/** The writes a node makes around execution: at startup (genesis, bootstrap, downtime) and at shutdown. */
export interface FinalStateAdmin {
  /** Genesis on an empty store: the initial ledger and cycle 0, attached to slot (0, threadCount − 1). */
  initGenesis(ledgerChanges: LedgerChanges, initialRolls: readonly (readonly [Address, bigint])[]): void;
  /** Bootstrap client side: applies one part to this (fresh) store as one journal record. */
  applyBootstrapPart(part: BootstrapPart): void;
  /** Massa's `interpolate_downtime`: settles every slot up to `upTo` as missed by everyone. */
  interpolateDowntime(upTo: Slot, onProgress?: (done: number, total: number) => void): Promise<number>;
  /** Records waiting for the background apply, and the keys they hold in memory. */
  readonly backlog: { records: number; pendingKeys: number };
  /** Waits until every slot settled so far is on disk in the journal (a kill after it loses none). */
  flushed(): Promise<void>;
  /** Waits until every settled record is in the state B-tree (the backlog is empty). */
  drain(): Promise<void>;
  /** Applies what the journal still holds (unless read-only), then closes both environments. */
  close(): Promise<void>;
}
