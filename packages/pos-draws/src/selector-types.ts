import type { DrawConfig } from "./draw.js";

/** What the main thread sends the draw worker. */
export interface DrawTask {
  cycle: number;
  config: DrawConfig;
  seed: Uint8Array;
  /** n × 34 bytes: the binary addresses, in input order. */
  addressBytes: Uint8Array;
  weights: BigUint64Array;
}

/** What the draw worker returns: `order[k]` = input index of the k-th address in Massa order. */
export interface DrawTaskResult {
  order: Uint32Array;
  producers: Uint32Array;
  endorsers: Uint32Array;
}
