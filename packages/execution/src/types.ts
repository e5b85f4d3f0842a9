import {
  type Address,
  Amount,
  type BlockId,
  MassaTsError,
  type OperationId,
  type SignedOperation,
  type Slot,
} from "@massa-ts/models";

/** Execution refused a call: slots out of order, a block at the wrong slot, a slot not executed yet. */
export class ExecutionError extends MassaTsError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** Chain parameters execution uses (defaults: Massa mainnet, `../shared/spec/RULES.md` §1). */
export interface ExecutionConfig {
  readonly threadCount: number;
  readonly periodsPerCycle: number;
  readonly endorsementCount: number;
  readonly blockReward: Amount;
  readonly rollPrice: Amount;
  /** Taken from a transfer that creates a new user address (LEDGER_ENTRY_BASE_COST). */
  readonly addressCreationCost: Amount;
  readonly operationValidityPeriods: number;
  /** An address sells all its rolls at cycle end when failures / (successes + failures) > num / den. */
  readonly maxMissRatio: readonly [num: bigint, den: bigint];
  /** Events of final slots kept for queries (the active slots' events are always kept). */
  readonly maxFinalEvents: number;
  /** Final slots whose transfer receipts are kept (`transfersAt`), the newest. */
  readonly transferSlotsKept: number;
  /** Slot timing: contracts read their slot's timestamp. */
  readonly t0: number;
  readonly genesisTimestamp: number;
  readonly chainId: bigint;
  /** Smart contracts: gas, storage costs and sizes (Massa's constants by default). */
  readonly sc: ScConfig;
}

/** Massa's smart-contract constants (massa-models `constants.rs`). */
export interface ScConfig {
  /** MAX_GAS_PER_BLOCK. */
  readonly maxGasPerBlock: bigint;
  /** BASE_OPERATION_GAS_COST: every operation's gas on top of its own. */
  readonly baseOperationGas: bigint;
  /** LEDGER_COST_PER_BYTE: coins per stored byte. */
  readonly ledgerCostPerByte: Amount;
  /** LEDGER_ENTRY_DATASTORE_BASE_SIZE × LEDGER_COST_PER_BYTE: the cost of a datastore entry itself. */
  readonly datastoreEntryBaseCost: Amount;
  readonly maxDatastoreKeyLength: number;
  readonly maxDatastoreValueLength: number;
  readonly maxBytecodeLength: number;
  /** MAX_EVENT_DATA_SIZE (bytes) and MAX_EVENT_PER_OPERATION. */
  readonly maxEventSize: number;
  readonly maxEventsPerOperation: number;
}

export const DEFAULT_SC_CONFIG: ScConfig = {
  maxGasPerBlock: 4_294_967_295n,
  baseOperationGas: 800_000n,
  ledgerCostPerByte: Amount.fromMas("0.0001"),
  datastoreEntryBaseCost: Amount.fromMas("0.0004"),
  maxDatastoreKeyLength: 255,
  maxDatastoreValueLength: 10_000_000,
  maxBytecodeLength: 10_000_000,
  maxEventSize: 1024,
  maxEventsPerOperation: 25,
};

export const DEFAULT_EXECUTION_CONFIG: ExecutionConfig = {
  threadCount: 32,
  periodsPerCycle: 128,
  endorsementCount: 16,
  blockReward: Amount.fromMas("0.40001"),
  rollPrice: Amount.fromMas("100"),
  addressCreationCost: Amount.fromMas("0.001"),
  operationValidityPeriods: 10,
  maxMissRatio: [7n, 10n],
  maxFinalEvents: 10_000,
  // Massa's `max_execution_traces_slot_limit`: at a few thousand transfers a second, 1 000 slots of
  // receipts held about a gigabyte on the execution thread
  transferSlotsKept: 320,
  t0: 16_000,
  genesisTimestamp: 0,
  chainId: 77n,
  sc: DEFAULT_SC_CONFIG,
};

/** What execution needs of a block: consensus hands these over (the block itself stays in consensus). */
export interface ExecBlock {
  readonly id: BlockId;
  readonly slot: Slot;
  readonly creator: Address;
  /** In block order. */
  readonly operations: readonly SignedOperation[];
  /** Creators of the included endorsements, in header order (their index for the stats). */
  readonly endorsements: readonly { readonly index: number; readonly creator: Address }[];
  /** Creator of the block's parent in its own thread: the endorsed block. */
  readonly parentCreator: Address;
  /**
   * Addresses denounced by the block's denunciations, already validated by consensus (wrong-slot or
   * double production/endorsement). Each is slashed one roll's worth (see `Execution` README).
   */
  readonly slashed?: readonly Address[];
}

/** An execution event (Massa's `SCOutputEvent` shape, for operations and execution's own notices). */
export interface ExecutionEvent {
  readonly slot: Slot;
  readonly blockId: BlockId | undefined;
  /** Counter per slot. */
  readonly indexInSlot: number;
  readonly originOperationId: OperationId | undefined;
  /** Addresses concerned: the operation's sender first, then its target if any. */
  readonly callStack: readonly Address[];
  readonly isError: boolean;
  readonly isFinal: boolean;
  /** Emitted by a read-only execution (never stored). */
  readonly readOnly?: boolean;
  readonly data: string;
}

/**
 * A Transaction operation's receipt (Massa's execution-trace `Transfer`): who paid whom, what the recipient
 * got (the amount less the creation cost when the transfer created its address; nothing when it failed).
 */
export interface TransferReceipt {
  readonly operationId: OperationId;
  readonly from: Address;
  readonly to: Address;
  readonly amount: Amount;
  readonly effectiveReceived: Amount;
  readonly succeed: boolean;
  readonly fee: Amount;
}

/** Executed operation record: success flag and the slot at which it stops mattering. */
export interface ExecutedOpRecord {
  readonly id: OperationId;
  readonly success: boolean;
  readonly expirySlot: Slot;
}
