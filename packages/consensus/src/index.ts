export {
  BlockGraph,
  type BlockStatus,
  type ConsensusBlock,
  type ConsensusConfig,
  type ConsensusDraws,
  ConsensusError,
  type ConsensusUpdate,
  DEFAULT_CONSENSUS_CONFIG,
} from "./graph.js";
