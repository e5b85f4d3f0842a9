export { GenesisError, loadInitialLedger, loadInitialRolls } from "./genesis.js";
export { entryHash, entryHashReference, loadStateHasher, STATE_HASH_SIZE, StateHash } from "./hash.js";
export {
  type ExecutedOp,
  FinalState,
  FinalStateError,
  type FinalStateOptions,
  KEEP_EXECUTED_HISTORY_EXTRA_PERIODS,
  type StateChanges,
} from "./store.js";
