export { BlockGraph, type StaleBlock } from "./graph.js";
export {
  type BlockStatus,
  type ConsensusBlock,
  type ConsensusConfig,
  ConsensusError,
  type ConsensusUpdate,
  DEFAULT_CONSENSUS_CONFIG,
} from "./types.js";
