import { blake3, concatBytes, encodeVarint } from "@massa-ts/models";
import { DrawError } from "./alias.js";

export const INITIAL_DRAW_SEED = "massa_genesis_seed";

/** `initial_seeds = [BLAKE3(s), s]` with `s = BLAKE3(INITIAL_DRAW_SEED)`: the seeds of draw cycles 0 and 1. */
export function initialSeeds(initialSeed: string = INITIAL_DRAW_SEED): [Uint8Array, Uint8Array] {
  const s = blake3(new TextEncoder().encode(initialSeed));
  return [blake3(s), s];
}

/** Packs seed bits least significant bit first (bitvec `Lsb0` over u8), ⌈len/8⌉ bytes. */
export function packSeedBits(bits: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/**
 * The 32-byte seed of draw cycle `drawCycle`: the initial seeds for cycles 0 and 1; otherwise
 * BLAKE3(varint(D−2) ‖ packed seed bits of cycle D−2 ‖ the 512-byte final state hash snapshot of D−3
 * when D ≥ 3).
 */
export function drawSeed(
  drawCycle: number,
  seedBitsOfDMinus2?: Uint8Array,
  snapshotOfDMinus3?: Uint8Array,
  initialSeed: string = INITIAL_DRAW_SEED,
): Uint8Array {
  if (drawCycle < 2) return initialSeeds(initialSeed)[drawCycle]!;
  if (!seedBitsOfDMinus2)
    throw new DrawError(`the seed of draw cycle ${drawCycle} needs the seed bits of cycle ${drawCycle - 2}`);
  const parts = [encodeVarint(drawCycle - 2), seedBitsOfDMinus2];
  if (drawCycle >= 3) {
    if (snapshotOfDMinus3?.length !== 512) {
      throw new DrawError(
        `the seed of draw cycle ${drawCycle} needs the 512-byte state hash snapshot of cycle ${drawCycle - 3}`,
      );
    }
    parts.push(snapshotOfDMinus3);
  }
  return blake3(concatBytes(...parts));
}
