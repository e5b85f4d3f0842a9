export type { FinalStateAdmin, FinalStateController, FinalStateReader } from "./controller.js";
export { GenesisError, loadInitialLedger, loadInitialRolls } from "./genesis.js";
export { entryHash, loadStateHasher, STATE_HASH_SIZE, StateHash } from "./hash.js";
export {
  CYCLE_HISTORY_PREFIX,
  type CycleInfo,
  DEFERRED_CREDITS_PREFIX,
  decodeSeedBits,
  encodeSeedBits,
  type PoSChanges,
  PoSError,
  PoSFinalState,
  type ProductionStats,
} from "./pos.js";
export {
  type BootstrapCursor,
  type BootstrapPart,
  EXECUTION_TRAIL_HASH_KEY,
  type ExecutedOp,
  executedOpsPruneBound,
  FinalState,
  FinalStateError,
  type FinalStateOptions,
  KEEP_EXECUTED_HISTORY_EXTRA_PERIODS,
  type StateChanges,
} from "./store.js";
