import type { Worker } from "node:worker_threads";
import { type Address, MassaTsError, Slot, workerFile } from "@massa-ts/models";
import { Piscina } from "piscina";
import { type DrawConfig, GENESIS_INDEX, type SlotSelection } from "./draw.js";
import { drawSeed, initialSeeds, packSeedBits } from "./seed.js";
import type { DrawTask, DrawTaskResult } from "./selector-types.js";

/** A selector query could not be answered (cycle not drawn yet, evicted, or its draw failed). */
export class SelectorError extends MassaTsError {
  readonly cycle: number;
  constructor(code: string, cycle: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.cycle = cycle;
  }
}

export interface SelectorOptions {
  readonly config: DrawConfig;
  readonly genesisAddress: Address;
  /** Cycles kept in memory (Massa's SELECTOR_DRAW_CACHE_SIZE). Default 6. */
  readonly cacheSize?: number;
  /** Worker threads. Default 1 (draws of consecutive cycles arrive one per completed cycle). */
  readonly threads?: number;
}

/** What cycle D is drawn from: its roll distribution (any order) and its 32-byte seed. */
export interface CycleDrawInput {
  readonly cycle: number;
  readonly rolls: readonly (readonly [Address, bigint])[];
  readonly seed: Uint8Array;
}

/**
 * The parts of a completed final-state `CycleInfo` the draws need (final-state's `CycleInfo` has this shape,
 * so it is passed as is).
 */
export interface CompletedCycle {
  readonly cycle: number;
  readonly rollCounts: readonly (readonly [Address, bigint])[];
  readonly seedBits: readonly boolean[];
  readonly finalStateHashSnapshot: Uint8Array | undefined;
}

interface Drawn {
  readonly addresses: readonly Address[];
  readonly producers: Uint32Array;
  readonly endorsers: Uint32Array;
}

type CycleState =
  | { state: "pending"; promise: Promise<void> }
  | { state: "ready"; draws: Drawn }
  | { state: "failed"; error: SelectorError };

/**
 * The selector service: `feedCycle` hands a cycle's draw to a Piscina worker pool and returns at once;
 * queries answer from a bounded cache of the most recent cycles. The main thread never runs a draw.
 */
export class Selector {
  readonly config: DrawConfig;
  readonly genesisAddress: Address;
  private readonly cacheSize: number;
  private readonly pool: Piscina<DrawTask, DrawTaskResult>;
  private readonly cycles = new Map<number, CycleState>();
  private highestEvicted = -1;
  private initialRolls: readonly (readonly [Address, bigint])[] | null = null;
  private closed = false;

  constructor(opts: SelectorOptions) {
    this.config = opts.config;
    this.genesisAddress = opts.genesisAddress;
    this.cacheSize = opts.cacheSize ?? 6;
    const threads = opts.threads ?? 1;
    const { filename, execArgv } = workerFile(import.meta.url, "draw.worker");
    this.pool = new Piscina<DrawTask, DrawTaskResult>({
      filename,
      execArgv,
      minThreads: threads,
      maxThreads: threads,
      maxQueue: 64,
    });
  }

  /**
   * Starts the draws of cycles 0 and 1: the initial rolls (zero entries kept) and the initial seeds.
   * Returns at once.
   */
  feedInitialCycles(initialRolls: readonly (readonly [Address, bigint])[]): void {
    const seeds = initialSeeds();
    this.initialRolls = initialRolls;
    this.feedCycle({ cycle: 0, rolls: initialRolls, seed: seeds[0] });
    this.feedCycle({ cycle: 1, rolls: initialRolls, seed: seeds[1] });
  }

  /**
   * Cycle X completing lets cycle D = X + 2 be drawn: the seed from X's seed bits and X − 1's final state
   * hash snapshot, the rolls of D − 3 = X − 1 (the initial rolls while D < 3). `previous` is the completed
   * CycleInfo of X − 1 (needed from X = 1 on). Starts the draw and returns D at once.
   */
  feedCompletedCycle(completed: CompletedCycle, previous?: CompletedCycle): number {
    const d = completed.cycle + 2;
    let rolls: readonly (readonly [Address, bigint])[];
    if (d < 3) {
      if (this.initialRolls === null) {
        throw new SelectorError(
          "NO_INITIAL_ROLLS",
          d,
          `cycle ${d} draws from the initial rolls: call feedInitialCycles first`,
        );
      }
      rolls = this.initialRolls;
    } else {
      if (previous?.cycle !== completed.cycle - 1) {
        throw new SelectorError(
          "MISSING_CYCLE_INFO",
          d,
          `cycle ${d} draws from the rolls and state hash snapshot of cycle ${d - 3}: pass its completed CycleInfo as "previous"`,
        );
      }
      rolls = previous.rollCounts;
    }
    const seed = drawSeed(d, packSeedBits(completed.seedBits), previous?.finalStateHashSnapshot);
    this.feedCycle({ cycle: d, rolls, seed });
    return d;
  }

  /** Starts drawing `input.cycle` in the pool and returns immediately. */
  feedCycle(input: CycleDrawInput): void {
    if (this.closed) throw new SelectorError("SELECTOR_CLOSED", input.cycle, "the selector is closed");
    const n = input.rolls.length;
    const addressBytes = new Uint8Array(n * 34);
    const weights = new BigUint64Array(n);
    input.rolls.forEach(([a, r], i) => {
      addressBytes.set(a.bytes, i * 34);
      weights[i] = r;
    });
    const addresses = input.rolls.map(([a]) => a);
    const cycle = input.cycle;
    const entry: { state: "pending"; promise: Promise<void> } = {
      state: "pending",
      promise: Promise.resolve(),
    };
    // A result only lands if this feed is still the cycle's current entry (not evicted or re-fed meanwhile).
    const current = () => this.cycles.get(cycle) === entry;
    entry.promise = this.pool
      .run({ cycle, config: this.config, seed: input.seed, addressBytes, weights })
      .then(
        (res) => {
          if (!current()) return;
          const sorted = Array.from(res.order, (i) => addresses[i]!);
          this.cycles.set(cycle, {
            state: "ready",
            draws: { addresses: sorted, producers: res.producers, endorsers: res.endorsers },
          });
        },
        (e: unknown) => {
          if (!current()) return;
          const error = new SelectorError(
            "DRAW_FAILED",
            cycle,
            `the draws of cycle ${cycle} failed: ${(e as Error).message}`,
            { cause: e },
          );
          this.cycles.set(cycle, { state: "failed", error });
        },
      );
    this.cycles.set(cycle, entry);
    this.evict();
  }

  private evict(): void {
    const keys = [...this.cycles.keys()].sort((a, b) => a - b);
    while (keys.length > this.cacheSize) {
      const c = keys.shift()!;
      this.cycles.delete(c);
      this.highestEvicted = Math.max(this.highestEvicted, c);
    }
  }

  /** Whether `cycle` was fed (its draws ready or being computed): false when never fed, evicted or failed. */
  hasCycle(cycle: number): boolean {
    const s = this.cycles.get(cycle);
    return s !== undefined && s.state !== "failed";
  }

  /** Resolves when the draws of `cycle` are available; rejects if they failed or the cycle was never fed. */
  async waitForDraws(cycle: number): Promise<void> {
    const s = this.cycles.get(cycle);
    if (!s) throw this.missing(cycle);
    if (s.state === "pending") await s.promise;
    const after = this.cycles.get(cycle);
    if (after?.state === "failed") throw after.error;
    if (!after) throw this.missing(cycle);
  }

  private missing(cycle: number): SelectorError {
    return cycle <= this.highestEvicted
      ? new SelectorError(
          "CYCLE_EVICTED",
          cycle,
          `the draws of cycle ${cycle} were evicted from the cache (it keeps ${this.cacheSize} cycles)`,
        )
      : new SelectorError(
          "CYCLE_UNAVAILABLE",
          cycle,
          `the draws of cycle ${cycle} are not available: that cycle was not fed to the selector`,
        );
  }

  private ready(cycle: number): Drawn {
    const s = this.cycles.get(cycle);
    if (!s) throw this.missing(cycle);
    if (s.state === "pending")
      throw new SelectorError("CYCLE_PENDING", cycle, `the draws of cycle ${cycle} are still being computed`);
    if (s.state === "failed") throw s.error;
    return s.draws;
  }

  /** Producer and endorsers of `slot`. */
  getSelection(slot: Slot): SlotSelection {
    const { periodsPerCycle, threadCount, endorsementCount: e } = this.config;
    const cycle = slot.cycle(periodsPerCycle);
    const d = this.ready(cycle);
    const k = (slot.period - cycle * periodsPerCycle) * threadCount + slot.thread;
    const p = d.producers[k]!;
    const endorsements: Address[] = [];
    for (let i = 0; i < e; i++) endorsements.push(d.addresses[d.endorsers[k * e + i]!]!);
    return {
      period: slot.period,
      thread: slot.thread,
      producer: p === GENESIS_INDEX ? this.genesisAddress : d.addresses[p]!,
      endorsements,
    };
  }

  getProducer(slot: Slot): Address {
    return this.getSelection(slot).producer;
  }

  /** Slots `address` produces and endorsements it makes in `[from, to]` (all cycles must be drawn). */
  getAddressSelections(
    address: Address,
    from: Slot,
    to: Slot,
  ): { producing: Slot[]; endorsing: { slot: Slot; index: number }[] } {
    const producing: Slot[] = [];
    const endorsing: { slot: Slot; index: number }[] = [];
    const tc = this.config.threadCount;
    for (let s: Slot | undefined = from; s && Slot.compare(s, to) <= 0; s = s.next(tc)) {
      const sel = this.getSelection(s);
      if (sel.producer.equals(address)) producing.push(s);
      sel.endorsements.forEach((a, index) => {
        if (a.equals(address)) endorsing.push({ slot: s!, index });
      });
    }
    return { producing, endorsing };
  }

  /** The pool's worker threads (diagnostics: thread ids, resource use). */
  get workerThreads(): readonly Worker[] {
    return this.pool.threads;
  }

  /** Cycles currently in the cache, oldest first. */
  cachedCycles(): number[] {
    return [...this.cycles.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.destroy();
  }
}
