// What the JSON-RPC handlers see of the node: a read view for the public API, and the few controls the
// private API adds. The handlers never hold the node itself.
import type { MassaNode } from "./node.js";

/** The public API's view: the node's reads, plus accepting operations (pool, peers, metrics). */
export type NodeApiView = Pick<
  MassaNode,
  | "config"
  | "chainId"
  | "slotConfig"
  | "startedAt"
  | "execution"
  | "graph"
  | "selector"
  | "pool"
  | "network"
  | "verifier"
  | "finalHashes"
  | "currentSlot"
  | "slotAt"
  | "operation"
  | "inBlocks"
  | "broadcastOperations"
  | "countOperationReceived"
  | "limits"
  | "genesisAddress"
  | "clock"
  | "nodeId"
  | "endorsementPool"
  | "initialRolls"
  | "executionStats"
  | "operationsCreatedBy"
>;

/** The private API's view: staking keys and peer controls. */
export type NodeAdminView = Pick<
  MassaNode,
  "stakingKeys" | "addStakingKey" | "removeStakingKey" | "network" | "signWithNodeKey" | "bootstrapServer"
>;
