export { DrawError, type RollWeights, toRollWeights, WeightedAliasIndex } from "./alias.js";
export {
  type CycleDrawIndices,
  CycleDraws,
  type DrawConfig,
  drawCycleIndices,
  GENESIS_INDEX,
  type SlotSelection,
  sortRolls,
} from "./draw.js";
export { type DrawsInput, drawFromInput, drawLines, parseDrawsInput } from "./input.js";
export { drawSeed, INITIAL_DRAW_SEED, initialSeeds, packSeedBits } from "./seed.js";
export {
  type CompletedCycle,
  type CycleDrawInput,
  Selector,
  SelectorError,
  type SelectorOptions,
} from "./selector.js";
export { Xoshiro256pp } from "./xoshiro.js";
