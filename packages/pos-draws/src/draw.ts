import { type Address, compareAddresses } from "@massa-ts/models";
import { DrawError, type RollWeights, toRollWeights, WeightedAliasIndex } from "./alias.js";
import { Xoshiro256pp } from "./xoshiro.js";

/** Shape of the chain for one cycle's draws. */
export interface DrawConfig {
  readonly periodsPerCycle: number;
  readonly threadCount: number;
  readonly endorsementCount: number;
}

/** Index meaning "the genesis address" in {@link CycleDrawIndices.producers} (period 0). */
export const GENESIS_INDEX = 0xffff_ffff;

/**
 * One cycle's draws as compact typed arrays of indices into `weights` order. For slot number `k`
 * (slots of the cycle in order), `producers[k]` is the producer index (or {@link GENESIS_INDEX}) and
 * `endorsers[k·E .. k·E+E)` the endorser indices for endorsement indices 0..E-1.
 */
export interface CycleDrawIndices {
  readonly producers: Uint32Array;
  readonly endorsers: Uint32Array;
}

/**
 * Massa's `perform_draws` over weights already in address order: one Xoshiro256++ stream seeded with
 * `seed`, slots in order, producer (none at period 0) then the endorsers.
 */
export function drawCycleIndices(
  weights: RollWeights,
  seed: Uint8Array,
  cycle: number,
  cfg: DrawConfig,
): CycleDrawIndices {
  if (seed.length !== 32) throw new DrawError(`the draw seed must be 32 bytes, got ${seed.length}`);
  const dist = new WeightedAliasIndex(weights);
  const rng = new Xoshiro256pp(seed);
  const slots = cfg.periodsPerCycle * cfg.threadCount;
  const e = cfg.endorsementCount;
  const producers = new Uint32Array(slots);
  const endorsers = new Uint32Array(slots * e);
  const firstPeriod = cycle * cfg.periodsPerCycle;
  // One RNG stream for the whole cycle: per slot, the producer (none in period 0), then the endorsers.
  const genesisSlots = firstPeriod === 0 ? cfg.threadCount : 0;
  const seq = new Uint32Array(slots * (e + 1) - genesisSlots);
  try {
    dist.sampleMany(rng, seq);
  } finally {
    dist.dispose();
  }
  let j = 0;
  for (let k = 0; k < slots; k++) {
    producers[k] = k < genesisSlots ? GENESIS_INDEX : seq[j++]!;
    endorsers.set(seq.subarray(j, j + e), k * e);
    j += e;
  }
  return { producers, endorsers };
}

/** Roll counts sorted in Massa address order (bytes, never the base58 text). */
export function sortRolls(rolls: Iterable<readonly [Address, bigint]>): (readonly [Address, bigint])[] {
  return [...rolls].sort((a, b) => compareAddresses(a[0], b[0]));
}

/** The selection of one slot. */
export interface SlotSelection {
  readonly period: number;
  readonly thread: number;
  readonly producer: Address;
  readonly endorsements: readonly Address[];
}

/** One cycle's draws with addresses: sorts `rolls` by address, draws, and maps indices back. */
export class CycleDraws {
  readonly cycle: number;
  readonly config: DrawConfig;
  readonly addresses: readonly Address[];
  readonly genesisAddress: Address;
  readonly indices: CycleDrawIndices;

  constructor(
    cycle: number,
    config: DrawConfig,
    addresses: readonly Address[],
    genesisAddress: Address,
    indices: CycleDrawIndices,
  ) {
    this.cycle = cycle;
    this.config = config;
    this.addresses = addresses;
    this.genesisAddress = genesisAddress;
    this.indices = indices;
  }

  static draw(
    cycle: number,
    config: DrawConfig,
    rolls: Iterable<readonly [Address, bigint]>,
    seed: Uint8Array,
    genesisAddress: Address,
  ): CycleDraws {
    const sorted = sortRolls(rolls);
    for (let i = 1; i < sorted.length; i++) {
      if (compareAddresses(sorted[i - 1]![0], sorted[i]![0]) === 0) {
        throw new DrawError(`address ${sorted[i]![0]} appears twice in the roll distribution`);
      }
    }
    const indices = drawCycleIndices(toRollWeights(sorted.map(([, r]) => r)), seed, cycle, config);
    return new CycleDraws(
      cycle,
      config,
      sorted.map(([a]) => a),
      genesisAddress,
      indices,
    );
  }

  /** Selection of the k-th slot of the cycle (k = (period − first period) · T + thread). */
  selectionAt(k: number): SlotSelection {
    const { threadCount, periodsPerCycle, endorsementCount: e } = this.config;
    if (!Number.isInteger(k) || k < 0 || k >= threadCount * periodsPerCycle) {
      throw new DrawError(`slot number ${k} is outside cycle ${this.cycle}`);
    }
    const p = this.indices.producers[k]!;
    const endorsements: Address[] = [];
    for (let i = 0; i < e; i++) endorsements.push(this.addresses[this.indices.endorsers[k * e + i]!]!);
    return {
      period: this.cycle * periodsPerCycle + Math.floor(k / threadCount),
      thread: k % threadCount,
      producer: p === GENESIS_INDEX ? this.genesisAddress : this.addresses[p]!,
      endorsements,
    };
  }

  /** Selection of slot (period, thread), which must be in this cycle. */
  selection(period: number, thread: number): SlotSelection {
    const { threadCount, periodsPerCycle } = this.config;
    if (Math.floor(period / periodsPerCycle) !== this.cycle || thread < 0 || thread >= threadCount) {
      throw new DrawError(`slot (${period}, ${thread}) is not in cycle ${this.cycle}`);
    }
    return this.selectionAt((period - this.cycle * periodsPerCycle) * threadCount + thread);
  }

  get slotCount(): number {
    return this.config.periodsPerCycle * this.config.threadCount;
  }
}
