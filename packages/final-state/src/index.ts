export { entryHash, entryHashReference, loadStateHasher, STATE_HASH_SIZE, StateHash } from "./hash.js";
export { FinalState, FinalStateError, type FinalStateOptions, type StateChanges } from "./store.js";
