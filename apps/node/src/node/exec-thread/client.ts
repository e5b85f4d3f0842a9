// The node's side of the execution thread: it starts the thread, sends it requests (one queue, answered in
// order), and mirrors what the node's thread must read synchronously: the final slot and state hash, the
// last executed slot, the executed operations (final ones for consensus's reuse checks, candidate ones for
// the pool and the factory). Everything else is asked for (the API's reads).
import type { Worker } from "node:worker_threads";
import type { CycleInfo } from "@massa-ts/final-state";
import { executedOpsPruneBound, StateHash } from "@massa-ts/final-state";
import { type Address, Amount, type OperationId, Slot } from "@massa-ts/models";
import type { Logger } from "pino";
import { spawnWorker } from "../../spawn-worker.js";
import type { NodeConfig } from "../config.js";
import type { HeldStatus } from "../pool.js";
import type { Methods, Reply, Request } from "./methods.js";
import { cycleInfoOf, slotOf, type TickCommand, type TickResult } from "./wire.js";

type Args<K extends keyof Methods> = Parameters<Methods[K]>;
type Result<K extends keyof Methods> = Awaited<ReturnType<Methods[K]>>;

/** An error the execution thread answered with (its code kept). */
export class ExecutionThreadError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Whether and how an operation was executed, as the mirror knows it. */
export interface MirroredStatus {
  readonly success: boolean;
  readonly final: boolean;
  readonly slot?: Slot;
}

/** Candidate balances fetched for one admission: the cache empties at each tick's answer. */
const BALANCE_CACHE_MAX = 100_000;
/** Status changes listed between two pool refreshes at most (past it, the pool re-checks every sender). */
const STATUS_CHANGES_MAX = 200_000;

export class ExecutionClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  private readonly threadCount: number;
  /** The last settled slot, its state hash, the last executed slot (as of the last tick's answer). */
  finalSlot: Slot;
  stateHash: StateHash;
  lastExecutedSlot: Slot;
  /** Final executed operations (id key → success), with their expiry index for pruning. */
  private readonly finalOps = new Map<string, boolean>();
  private readonly finalOpsByExpiry = new Map<number, string[]>();
  /** The active history's slots, oldest first, and their operations. */
  private history: { index: number; operations: readonly (readonly [string, boolean])[] }[] = [];
  /** Candidate executed operations (id key → success, slot index), over the whole active history. */
  private readonly candidateOps = new Map<string, { success: boolean; index: number }>();
  private readonly balances = new Map<string, Amount | undefined>();
  /**
   * Operations whose status (candidate, final, forgotten) changed since {@link takeStatusChanges} was last
   * called, or "all" when more changed than it keeps.
   */
  private statusChanges: Set<string> | "all" = new Set();
  /** Told once if the thread fails (it died, or could not be started): the node cannot go on without it. */
  onFailure: ((e: Error) => void) | undefined;
  /** Told of each completed cycle, in order, with the one before it (the selector's input). */
  onCycleCompleted: ((info: CycleInfo, previous: CycleInfo | undefined) => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    config: NodeConfig,
    private readonly log: Logger,
  ) {
    this.threadCount = config.thread_count;
    this.finalSlot = new Slot(0, 0);
    this.lastExecutedSlot = this.finalSlot;
    this.stateHash = new StateHash();
    worker.on("message", (r: Reply) => this.onReply(r));
    worker.on("error", (e) => this.fail(e));
    worker.on("exit", (code) => this.fail(new Error(`the execution thread exited (code ${code})`)));
  }

  /**
   * Starts the execution thread on the final state in `config.data_dir` (closed by the caller first: the
   * thread is its only writer from now on) and mirrors its first state.
   */
  static async start(config: NodeConfig, log: Logger): Promise<ExecutionClient> {
    const worker = spawnWorker(import.meta.url, "exec.worker");
    const c = new ExecutionClient(worker, config, log);
    let o: Result<"open">;
    try {
      o = await c.call("open", { config });
    } catch (e) {
      c.failure ??= e as Error; // not a failure of a running node: nobody is told
      await worker.terminate();
      throw e;
    }
    c.finalSlot = slotOf(o.finalSlot);
    c.lastExecutedSlot = c.finalSlot;
    c.stateHash = new StateHash(o.stateHash);
    for (const [k, success, expiry] of o.executed) c.addFinalOp(k, success, expiry);
    return c;
  }

  /** Asks the execution thread (requests are answered in the order they are sent). */
  call<K extends keyof Methods>(method: K, ...args: Args<K>): Promise<Result<K>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Result<K>>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const r: Request = { id, method, args };
      this.worker.postMessage(r);
    });
  }

  private onReply(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if ("error" in r) w.reject(new ExecutionThreadError(r.error.code, r.error.message));
    else w.resolve(r.value);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.log.error({ err: e.message }, "execution thread stopped");
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    this.onFailure?.(e);
  }

  /** The execution thread's used JavaScript heap after its last tick, bytes (0 before the first). */
  heapUsed = 0;

  /** The execution thread's kernel id (Linux; known after its first tick). */
  threadId: number | undefined;

  /** Milliseconds the execution thread has been busy since it started (its event loop's active time). */
  get busyMs(): number {
    return this.failure ? 0 : this.worker.performance.eventLoopUtilization().active;
  }

  /** Whether the thread failed (the node cannot go on without it). */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Sends one tick; once answered, the mirrors follow what it executed and settled. */
  async tick(cmd: TickCommand): Promise<TickResult> {
    const r = await this.call("tick", cmd);
    this.balances.clear();
    for (const s of r.executed) {
      const index = slotOf(s.slot).index(this.threadCount);
      this.dropHistoryFrom(index);
      this.history.push({ index, operations: s.operations });
      for (const [k, success] of s.operations) {
        this.candidateOps.set(k, { success, index });
        this.statusChanged(k);
      }
    }
    for (const st of r.settled) {
      for (const [k, success, expiry] of st.executed) this.addFinalOp(k, success, expiry);
      const bound = executedOpsPruneBound(slotOf(st.slot), this.threadCount);
      if (bound !== undefined) {
        for (const [i, keys] of this.finalOpsByExpiry) {
          if (i >= bound) continue;
          for (const k of keys) {
            this.finalOps.delete(k);
            this.statusChanged(k);
          }
          this.finalOpsByExpiry.delete(i);
        }
      }
    }
    this.finalSlot = slotOf(r.finalSlot);
    this.lastExecutedSlot = slotOf(r.lastExecutedSlot);
    this.stateHash = new StateHash(r.stateHash);
    this.heapUsed = r.heapUsed;
    this.threadId = r.threadId;
    // the history is now (final slot, last executed slot]
    const fin = this.finalSlot.index(this.threadCount);
    let n = 0;
    while (n < this.history.length && this.history[n]!.index <= fin) n++;
    if (n > 0) {
      for (const h of this.history.slice(0, n)) this.forgetCandidates(h);
      this.history = this.history.slice(n);
    }
    this.dropHistoryFrom(this.lastExecutedSlot.index(this.threadCount) + 1);
    for (const [info, prev] of r.completedCycles)
      this.onCycleCompleted?.(cycleInfoOf(info), prev ? cycleInfoOf(prev) : undefined);
    return r;
  }

  private statusChanged(key: string): void {
    if (this.statusChanges === "all") return;
    if (this.statusChanges.size >= STATUS_CHANGES_MAX) this.statusChanges = "all";
    else this.statusChanges.add(key);
  }

  /**
   * The operations whose status changed since the last call (the pool re-checks only their senders), or
   * "all" when too many changed to be listed; starts a new list.
   */
  takeStatusChanges(): ReadonlySet<string> | "all" {
    const c = this.statusChanges;
    this.statusChanges = new Set();
    return c;
  }

  private addFinalOp(key: string, success: boolean, expiry: number): void {
    this.finalOps.set(key, success);
    this.statusChanged(key);
    const list = this.finalOpsByExpiry.get(expiry);
    if (list) list.push(key);
    else this.finalOpsByExpiry.set(expiry, [key]);
  }

  private dropHistoryFrom(index: number): void {
    while (this.history.length > 0 && this.history.at(-1)!.index >= index)
      this.forgetCandidates(this.history.pop()!);
  }

  private forgetCandidates(h: { index: number; operations: readonly (readonly [string, boolean])[] }): void {
    for (const [k] of h.operations) {
      if (this.candidateOps.get(k)?.index === h.index) {
        this.candidateOps.delete(k);
        this.statusChanged(k);
      }
    }
  }

  /** What the pool needs of an operation's status, without building a {@link MirroredStatus}. */
  heldStatus(id: OperationId): HeldStatus {
    if (this.candidateOps.has(id.key)) return "candidate";
    return this.finalOps.has(id.key);
  }

  /** Whether `id` was executed in a final slot and is still remembered (consensus's reuse check). */
  isExecuted(id: OperationId): boolean {
    return this.finalOps.has(id.key);
  }

  /** Whether and how an operation was executed: candidate (active history) first, then final. */
  operationStatus(id: OperationId): MirroredStatus | undefined {
    const c = this.candidateOps.get(id.key);
    if (c) return { success: c.success, final: false, slot: Slot.fromIndex(c.index, this.threadCount) };
    const f = this.finalOps.get(id.key);
    return f === undefined ? undefined : { success: f, final: true };
  }

  /** Fetches the candidate balances of `addresses` not known since the last tick. */
  async prefetchBalances(addresses: readonly Address[]): Promise<void> {
    const missing = [...new Map(addresses.filter((a) => !this.balances.has(a.key)).map((a) => [a.key, a]))];
    if (missing.length === 0) return;
    const got = await this.call(
      "balances",
      missing.map(([, a]) => a.toString()),
    );
    if (this.balances.size + missing.length > BALANCE_CACHE_MAX) this.balances.clear();
    missing.forEach(([k], i) => {
      const n = got[i];
      this.balances.set(k, n === null || n === undefined ? undefined : Amount.fromNano(n));
    });
  }

  /**
   * A candidate balance fetched by {@link prefetchBalances} since the last tick: an Amount, undefined (no
   * such address), or null when it was not fetched.
   */
  cachedBalance(a: Address): Amount | undefined | null {
    return this.balances.has(a.key) ? this.balances.get(a.key) : null;
  }

  /** An address's final or candidate balance (undefined: no such address). */
  async balance(a: Address, level: "final" | "candidate"): Promise<Amount | undefined> {
    const n = await this.call("balance", a.toString(), level === "final");
    return n === null ? undefined : Amount.fromNano(n);
  }

  /** A cycle of the final state's PoS history. */
  async cycleInfo(cycle: number): Promise<CycleInfo | undefined> {
    const w = await this.call("cycleInfo", cycle);
    return w ? cycleInfoOf(w) : undefined;
  }

  /** Closes the final state (its journal applied) and ends the thread. */
  async close(): Promise<void> {
    if (!this.failure) {
      try {
        await this.call("close");
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, "execution thread: close failed");
      }
    }
    this.failure ??= new Error("the execution thread is closed");
    await this.worker.terminate();
  }
}
