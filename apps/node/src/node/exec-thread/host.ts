import { getHeapStatistics } from "node:v8";
// The execution thread's side: it owns the final state (the only writer of the LMDB store from here on)
// and execution. The node's thread sends it each tick's blockclique changes and draws; it executes and
// settles, and answers with what the node's thread mirrors (executed operations, the history's slots, the
// state hash, completed cycles). It also answers the API's reads (queries.ts).
import { Execution, ExecutionError } from "@massa-ts/execution";
import { type CycleInfo, FinalState, loadInitialRolls } from "@massa-ts/final-state";
import { Amount, type Selection, type SelectionView, Slot } from "@massa-ts/models";
import type { NodeConfig } from "../config.js";
import { currentThreadId } from "../thread-cpu.js";
import type { QueryState } from "./queries.js";
import {
  type CycleInfoW,
  cycleInfoW,
  execBlockOf,
  type OpenedW,
  type SettledW,
  type SlotSummaryW,
  selectionOf,
  slotOf,
  slotW,
  type TickCommand,
  type TickResult,
} from "./wire.js";

/** This thread's kernel id: the node reads its CPU time in /proc (for /metrics). */
const THREAD_ID = currentThreadId();

/** What the execution thread is started with. */
export interface HostInit {
  readonly config: NodeConfig;
}

/** Execution's chain parameters from the node's config. */
export function executionConfigOf(c: NodeConfig) {
  return {
    threadCount: c.thread_count,
    periodsPerCycle: c.periods_per_cycle,
    endorsementCount: c.endorsement_count,
    blockReward: Amount.fromMas(c.block_reward),
    rollPrice: Amount.fromMas(c.roll_price),
    operationValidityPeriods: c.operation_validity_periods,
    t0: c.t0,
    genesisTimestamp: c.genesis_timestamp,
    chainId: BigInt(c.chain_id),
  };
}

export class ExecutionHost implements QueryState {
  /** The blockclique's blocks past the final slot, by slot index, as the node's thread sent them. */
  private readonly blocks = new Map<number, ReturnType<typeof execBlockOf>>();
  /** Draws of the slots past the final one, by slot index. */
  private readonly selections = new Map<number, Selection>();
  private settled: SettledW[] = [];
  /** Executed slots already told to the node's thread (a tick that failed midway tells the rest later). */
  private readonly reported = new WeakSet<object>();
  private completed: [CycleInfoW, CycleInfoW | null][] = [];
  readonly periodsPerCycle: number;
  readonly initialRolls: ReturnType<typeof loadInitialRolls>;
  private readonly threadCount: number;
  private readonly chainId: bigint;

  private constructor(
    readonly fs: FinalState,
    readonly execution: Execution,
    config: NodeConfig,
  ) {
    this.periodsPerCycle = config.periods_per_cycle;
    this.threadCount = config.thread_count;
    this.chainId = BigInt(config.chain_id);
    this.initialRolls = loadInitialRolls(config.initial_rolls);
    fs.onCycleCompleted((info: CycleInfo) => {
      const prev = fs.cycleInfo(info.cycle - 1);
      this.completed.push([cycleInfoW(info), prev ? cycleInfoW(prev) : null]);
    });
    execution.onSettled = (slot, changes, out) => {
      const blk = out.blockId ? this.blocks.get(slot.index(this.threadCount)) : undefined;
      this.settled.push({
        slot: slotW(slot),
        hash: fs.stateHash.toString(),
        block: out.blockId !== undefined,
        operationCount: blk?.operations.length ?? 0,
        executed: (changes.executedOps ?? []).map((o) => [
          o.id.key,
          o.success,
          o.expirySlot.index(this.threadCount),
        ]),
      });
    };
  }

  /** Opens the final state the node's thread closed, and execution over it. */
  static async open(init: HostInit): Promise<{ host: ExecutionHost; opened: OpenedW }> {
    const c = init.config;
    const fs = await FinalState.open({
      path: c.data_dir,
      chainId: BigInt(c.chain_id),
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
    });
    let host: ExecutionHost | undefined;
    const draws: SelectionView = {
      getSelection: (slot: Slot) => {
        const s = host!.selections.get(slot.index(c.thread_count));
        if (!s) {
          throw new ExecutionError(
            "CYCLE_PENDING",
            `the draws of slot ${slot} were not handed to execution yet (the next tick brings them)`,
          );
        }
        return s;
      },
    } as SelectionView;
    host = new ExecutionHost(fs, new Execution(fs, draws, executionConfigOf(c)), c);
    const opened: OpenedW = {
      finalSlot: slotW(fs.lastFinalSlot!),
      stateHash: fs.stateHash.bytes.slice(),
      executed: [...fs.executedOpEntries()],
    };
    return { host, opened };
  }

  /** One tick: the blockclique's changes applied, candidate slots executed, final slots settled. */
  tick(cmd: TickCommand): TickResult {
    const T = this.threadCount;
    for (const [s, w] of cmd.blocks) {
      const i = slotOf(s).index(T);
      if (w) this.blocks.set(i, execBlockOf(w, this.chainId));
      else this.blocks.delete(i);
    }
    for (const [s, w] of cmd.selections) this.selections.set(slotOf(s).index(T), selectionOf(w));
    const ex = this.execution;
    const at = (s: Slot) => this.blocks.get(s.index(T)) ?? null;
    let stopped: TickResult["stopped"];
    const executed: SlotSummaryW[] = [];
    const noteExecuted = () => {
      for (const out of ex.activeHistory) {
        if (this.reported.has(out)) continue;
        this.reported.add(out);
        executed.push({
          slot: slotW(out.slot),
          operations: [...out.changes.executedOps.values()].map((r) => [r.id.key, r.success]),
          stats: [...out.changes.stats].map(([k, [, st]]) => [
            k,
            Number(st.blockSuccess),
            Number(st.blockFailure),
          ]),
        });
      }
    };
    try {
      ex.onBlockcliqueChanged(at, slotOf(cmd.upTo));
      noteExecuted();
      const bound = slotOf(cmd.finalUpTo);
      while (Slot.compare(bound, ex.finalSlot) > 0) ex.onSlotsFinal(ex.finalSlot.next(T), at);
    } catch (e) {
      if ((e as { code?: string }).code !== "CYCLE_PENDING") throw e;
      stopped = { code: "CYCLE_PENDING", message: (e as Error).message };
    }
    noteExecuted();
    const fin = ex.finalSlot.index(T);
    for (const i of this.blocks.keys()) if (i <= fin) this.blocks.delete(i);
    for (const i of this.selections.keys()) if (i <= fin) this.selections.delete(i);
    const result: TickResult = {
      executed,
      settled: this.settled,
      completedCycles: this.completed,
      finalSlot: slotW(ex.finalSlot),
      lastExecutedSlot: slotW(ex.lastExecutedSlot),
      stateHash: this.fs.stateHash.bytes.slice(),
      heapUsed: getHeapStatistics().used_heap_size,
      threadId: THREAD_ID,
      ...(stopped ? { stopped } : {}),
    };
    this.settled = [];
    this.completed = [];
    return result;
  }

  async close(): Promise<void> {
    await this.fs.close();
  }
}
