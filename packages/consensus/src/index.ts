export { BlockGraph } from "./graph.js";
export {
  type BlockStatus,
  type ConsensusBlock,
  type ConsensusConfig,
  type ConsensusDraws,
  ConsensusError,
  type ConsensusUpdate,
  DEFAULT_CONSENSUS_CONFIG,
} from "./types.js";
