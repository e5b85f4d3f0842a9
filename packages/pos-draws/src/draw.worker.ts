/**
 * Piscina task: sorts the stakers in Massa address order and draws one cycle. Runs off the main thread.
 * Input addresses come as one byte array of 34-byte binary addresses; the result is index arrays.
 */
import type { RollWeights } from "./alias.js";
import { drawCycleIndices } from "./draw.js";
import type { DrawTask, DrawTaskResult } from "./selector-types.js";

export default function drawTask(task: DrawTask): DrawTaskResult {
  const n = task.weights.length;
  const addr = task.addressBytes;
  const order = Array.from({ length: n }, (_, i) => i);
  const sub = (i: number) => addr.subarray(i * 34, i * 34 + 34);
  order.sort((x, y) => Buffer.compare(sub(x), sub(y)));
  for (let i = 1; i < n; i++) {
    if (Buffer.compare(sub(order[i - 1]!), sub(order[i]!)) === 0) {
      throw new Error(`an address appears twice in the roll distribution of cycle ${task.cycle}`);
    }
  }
  // Roll counts in Massa order, as u32 when they all fit (always, in practice: the cheap input).
  const w = task.weights;
  let fits = true;
  for (let i = 0; i < n && fits; i++) fits = w[i]! <= 0xffff_ffffn;
  const weights: RollWeights = fits ? Uint32Array.from(order, (i) => Number(w[i]!)) : order.map((i) => w[i]!);
  const { producers, endorsers } = drawCycleIndices(weights, task.seed, task.cycle, task.config);
  // Structured clone copies ~0.3 MB per mainnet cycle: negligible next to the draw itself.
  return { order: Uint32Array.from(order), producers, endorsers };
}
