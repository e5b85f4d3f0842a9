// The node's lifecycle: its identity and keys from the config, then start (startup.ts decides genesis,
// bootstrap, restart or downtime and opens the modules), the services wired in one place, the slot tick
// that drives them, and stop. Each behaviour lives in the service named after it (see ARCHITECTURE.md).
// Over 400 lines: the small reads the API's view takes (NodeApiView) are getters here, so that the
// handlers never hold the services themselves, and the hand-over to the execution thread (with the pool's
// refresh after each of its ticks) is wired here like every other service.
import type { BlockGraph, ConsensusBlock } from "@massa-ts/consensus";
import { DEFAULT_SC_CONFIG, operationBlockGas } from "@massa-ts/execution";
import { loadInitialRolls } from "@massa-ts/final-state";
import {
  Address,
  Amount,
  BlockId,
  type BlockLimits,
  blake3,
  MASSA_BLOCK_LIMITS,
  type OperationId,
  type PublicKey,
  type SecretKey,
  type Signature,
  type SignedOperation,
  type Slot,
  type SlotConfig,
} from "@massa-ts/models";
import type { Selector } from "@massa-ts/pos-draws";
import type { Network, SignatureVerifier } from "@massa-ts/protocol";
import pino, { type Logger } from "pino";
import { CliError } from "../errors.js";
import { BlockIntake } from "./block-intake.js";
import type { BlockStore } from "./block-store.js";
import { BootstrapServer } from "./bootstrap-server.js";
import { type Clock, systemClock } from "./clock.js";
import type { NodeConfig } from "./config.js";
import { EndorsementPool } from "./endorsement-pool.js";
import { ExecutionClient } from "./exec-thread/client.js";
import { ExecutionDriver } from "./execution-driver.js";
import { Factory } from "./factory.js";
import { InclusionIndex } from "./inclusion-index.js";
import { Judgements } from "./judgements.js";
import { genesisKey, nodeKey, StakingKeys } from "./keys.js";
import { NodeMetrics } from "./metrics.js";
import { startNetwork, startVerifier } from "./p2p.js";
import { OperationPool } from "./pool.js";
import { Relay } from "./relay.js";
import { SlotClock } from "./slot-clock.js";
import { closeStores, type NodeModules, startUp } from "./startup.js";
import { threadCpuSeconds } from "./thread-cpu.js";

/** Final blocks kept (in the graph and on disk) this many periods behind the oldest latest-final block. */
const KEEP_FINAL_PERIODS = 64;
/**
 * Of those, the ones whose operations stay in memory (at least the validity window; Massa's
 * `force_keep_final_periods` is 20): the rest are read back from the block store when asked.
 */
const KEEP_OPERATIONS_PERIODS = 12;

/** What a node can be given besides its config (tests step a {@link ManualClock}). */
export interface NodeOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** The services, built once the modules are open. */
interface Services {
  readonly endorsements: EndorsementPool;
  readonly relay: Relay;
  readonly judgements: Judgements;
  readonly intake: BlockIntake;
  readonly bootstrapServer: BootstrapServer;
  readonly factory: Factory;
  readonly driver: ExecutionDriver;
}

/**
 * A running node: final state (LMDB), pos-draws selector (Piscina), execution, consensus, operation pool,
 * the services around them, driven by the slot clock.
 */
export class MassaNode {
  readonly config: NodeConfig;
  readonly slotConfig: SlotConfig;
  readonly chainId: bigint;
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics = new NodeMetrics();
  readonly stakingKeys: StakingKeys;
  readonly genesisAddress: Address;
  readonly startedAt: number;
  readonly limits: BlockLimits;
  /** Called once when this node finds itself out of step (runNode then bootstraps it again). */
  onOutOfStep: ((prefer?: readonly PublicKey[]) => void) | undefined;
  /** Called once if the execution thread fails (runNode then starts the node again on its stored state). */
  onExecutionFailed: ((e: Error) => void) | undefined;
  /** Told of each block that becomes active (APIv2 subscriptions). */
  onNewBlock: ((block: ConsensusBlock) => void) | undefined;
  /** Recent final and active blocks, kept on disk so that a restart resumes on them. */
  blockStore!: BlockStore;
  selector!: Selector;
  /**
   * The execution thread, which owns the final state and execution from the start on (startup.ts makes the
   * writes before it: genesis, bootstrap, downtime), and what the node's thread mirrors of it.
   */
  execution!: ExecutionClient;
  graph!: BlockGraph;
  pool!: OperationPool;
  network: Network | undefined;
  /** The p2p port actually bound (when `network.listen` is set). */
  p2pPort: number | undefined;
  /** Signatures of relayed operations and blocks, checked in a worker pool (and remembered). */
  verifier: SignatureVerifier | undefined;
  private readonly genesisKey: SecretKey;
  /** Massa's `initial_rolls`: the active rolls of cycles 0 to 2. */
  readonly initialRolls: [Address, bigint][];
  private readonly inclusion = new InclusionIndex();
  private readonly slotClock: SlotClock;
  private services: Services | undefined;
  private stopped = false;
  private lastTickSlot: Slot | undefined;
  private cycleShown = -1;

  constructor(config: NodeConfig, options: NodeOptions | Logger = {}) {
    const opts: NodeOptions = "info" in options ? { logger: options as Logger } : (options as NodeOptions);
    this.config = config;
    this.chainId = BigInt(config.chain_id);
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.slotConfig = {
      threadCount: config.thread_count,
      periodsPerCycle: config.periods_per_cycle,
      t0: config.t0,
      genesisTimestamp: config.genesis_timestamp,
    };
    if (config.t0 % config.thread_count !== 0) {
      throw new CliError(`t0 (${config.t0} ms) must be divisible by thread_count (${config.thread_count})`);
    }
    this.log = opts.logger ?? pino({ level: config.log_level, base: { node: "massa-ts" } });
    this.limits = {
      ...MASSA_BLOCK_LIMITS,
      threadCount: config.thread_count,
      endorsementCount: config.endorsement_count,
    };
    this.genesisKey = genesisKey(config);
    this.genesisAddress = Address.fromPublicKey(this.genesisKey.publicKey);
    this.initialRolls = loadInitialRolls(config.initial_rolls);
    this.stakingKeys = StakingKeys.load(config.staking_keys);
    this.slotClock = new SlotClock(this.slotConfig, this.clock, (s) => this.onSlot(s), this.log);
  }

  addStakingKey(text: string, field = "staking key"): Address {
    return this.stakingKeys.add(text, field);
  }

  removeStakingKey(address: Address): boolean {
    return this.stakingKeys.remove(address);
  }

  /** Opens the modules (startup.ts), wires the services, joins the network, then starts the slot clock. */
  async start(): Promise<void> {
    const c = this.config;
    const m = await startUp({
      config: c,
      chainId: this.chainId,
      log: this.log,
      limits: this.limits,
      genesisKey: this.genesisKey,
      genesisAddress: this.genesisAddress,
      initialRolls: this.initialRolls,
      nodeKey: () => nodeKey(c),
      slotAt: () => this.slotAt(),
    });
    this.blockStore = m.blockStore;
    this.selector = m.selector;
    this.graph = m.graph;
    this.graph.setBlockSource(
      (id, slot) => m.blockStore.getFinal(slot, id),
      (id, slot, position) => m.blockStore.getFinalOperation(slot, id, position),
    );
    // the final state goes to the execution thread: closed here (its journal applied), opened there
    await m.fs.close();
    try {
      this.execution = await ExecutionClient.start(c, this.log);
    } catch (e) {
      await closeStores({ blockStore: m.blockStore });
      await m.selector.close();
      throw e;
    }
    m.useExecutedCheck((id) => this.execution.isExecuted(id));
    this.execution.onFailure = (e) => {
      if (!this.stopped) this.onExecutionFailed?.(e);
    };
    this.execution.onCycleCompleted = m.feedCycle;
    this.pool = new OperationPool({
      chainId: this.chainId,
      threadCount: c.thread_count,
      minimalFee: Amount.fromMas(c.minimal_fees),
      maxOperations: c.pool.max_operations,
      maxBytes: c.pool.max_bytes,
      maxOperationSize: this.limits.maxBlockSize,
      operationValidityPeriods: c.operation_validity_periods,
      // Massa keeps an operation whose window starts by the slot at now + this delay + 2·t0
      maxFutureStartPeriods: Math.floor(c.pool.operation_max_future_start_delay / c.t0) + 2,
      maxPerSender: c.pool.max_operations_per_sender,
      // candidate balances fetched from the execution thread before each admission (relay, API)
      funds: { balance: (a) => this.execution.cachedBalance(a), rollPrice: Amount.fromMas(c.roll_price) },
      gas: {
        of: (op) => operationBlockGas(op, DEFAULT_SC_CONFIG.baseOperationGas),
        maxPerBlock: DEFAULT_SC_CONFIG.maxGasPerBlock,
      },
    });
    this.services = this.wire(m);
    this.metrics.p2pTraffic = () => this.network?.traffic ?? { sent: 0, received: 0 };
    this.metrics.operationGossip = () => this.services?.relay.gossip ?? {};
    this.metrics.threadBusy = () => ({
      main: performance.eventLoopUtilization().active,
      execution: this.execution.busyMs,
    });
    const execId = () => this.execution.threadId;
    this.metrics.threadCpu = () => ({
      main: threadCpuSeconds(process.pid),
      execution: threadCpuSeconds(execId()),
    });
    this.metrics.executionHeap = () => this.execution.heapUsed;
    // signatures (the API's submissions too, not only the peers') are checked in the worker pool, off the
    // node's thread: a node alone on its network uses both cores as well
    this.verifier = startVerifier(c);
    if (c.network.listen || c.network.peers.length > 0) {
      const { network, port } = await startNetwork({
        config: c,
        chainId: this.chainId,
        nodeKey: nodeKey(c),
        limits: this.limits,
        log: this.log,
        handlers: () => this.services!,
      });
      this.network = network;
      this.p2pPort = port;
    }
    this.log.info(
      {
        chainId: c.chain_id,
        threads: c.thread_count,
        t0: c.t0,
        stakingKeys: this.stakingKeys.size,
        genesis: c.genesis_timestamp,
      },
      "node started",
    );
    this.slotClock.start();
  }

  /** The services, wired in one place: who hears from whom. */
  private wire(m: NodeModules): Services {
    const c = this.config;
    const network = () => this.network;
    const verifier = () => this.verifier;
    const stopped = () => this.stopped;
    const endorsements = new EndorsementPool(m.selector, () => this.currentSlot, c.thread_count);
    const relay = new Relay({
      maxPerSecond: c.network.max_operations_per_second,
      clock: this.clock,
      log: this.log,
      pool: this.pool,
      endorsements,
      verifier,
      network,
      currentPeriod: () => this.currentSlot?.period ?? 0,
      prefetchBalances: (senders) => this.execution.prefetchBalances(senders),
      stopped,
    });
    const judgements = new Judgements({
      t0: c.t0,
      clock: this.clock,
      log: this.log,
      slotTime: (s) => s.timestamp(this.slotConfig),
      // consensus's finality, not execution's (which may lag behind it)
      finalSlot: () => m.graph.finalSlotBound(this.execution.finalSlot),
      missingParents: () => m.graph.missingParents(1).length,
      peerCount: () => this.network?.connected.length ?? 0,
      currentSlot: () => this.slotClock.slotAt(),
      drawsKnown: (slot) => m.selector.hasCycle(slot.cycle(c.periods_per_cycle)),
      onOutOfStep: (prefer) => this.onOutOfStep?.(prefer),
    });
    const intake = new BlockIntake({
      checks: { limits: this.limits, operationValidityPeriods: c.operation_validity_periods },
      draws: m.selector,
      log: this.log,
      graph: m.graph,
      relay,
      judgements,
      inclusion: this.inclusion,
      verifier,
      network,
      operation: (id) => this.operation(id),
      currentSlot: () => this.currentSlot,
      clock: this.clock,
      stopped,
      onActivated: (b) => this.onNewBlock?.(b),
    });
    const factory = new Factory({
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
      limits: this.limits,
      log: this.log,
      keys: this.stakingKeys,
      draws: m.selector,
      graph: m.graph,
      pool: this.pool,
      endorsements,
      execution: this.execution,
      relay,
      inclusion: this.inclusion,
      metrics: this.metrics,
      network,
      produceFrom: m.produceFrom,
    });
    const driver = new ExecutionDriver({
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
      graph: m.graph,
      exec: this.execution,
      draws: m.selector,
      blockStore: m.blockStore,
      metrics: this.metrics,
      clock: this.clock,
      log: this.log,
      onTicked: () => void this.refreshPool(),
    });
    const bootstrapServer = new BootstrapServer({
      sessionsPerIpPerMinute: c.network.bootstrap_sessions_per_ip_per_minute,
      exec: this.execution,
      graph: m.graph,
      clock: this.clock,
    });
    return { endorsements, relay, judgements, intake, bootstrapServer, factory, driver };
  }

  /** One slot tick: waiting blocks, production, execution of candidate and final slots, housekeeping. */
  private onSlot(slot: Slot): void {
    const s = this.services!;
    this.lastTickSlot = slot;
    this.metrics.currentPeriod.set(slot.period);
    s.intake.announce(this.graph.tick(slot));
    s.intake.askMissing();
    if (slot.period > 0) {
      // our block is sent by the factory; blocks that were waiting for it are relayed here
      const u = s.factory.produce(slot);
      if (u) s.intake.announce(u);
    }
    s.driver.apply(slot);
    s.judgements.settle();
    s.factory.endorseNext(slot);
    s.endorsements.drop(slot);
    s.relay.retryAsks();
    if (slot.thread === 0) {
      // nothing execution has not settled leaves the graph or the disk (it may lag behind finality)
      const settled = this.execution.finalSlot.period;
      this.graph.prune(KEEP_FINAL_PERIODS, settled);
      // older final blocks' operations are read from disk when asked: fewer objects for the GC to trace
      this.graph.releaseOperations(
        Math.max(KEEP_OPERATIONS_PERIODS, this.config.operation_validity_periods),
        settled,
      );
      const oldestFinal = Math.min(
        ...this.graph.latestFinalBlocks().map((id) => this.graph.slotOf(id)?.period ?? 0),
      );
      this.blockStore.prune(Math.min(oldestFinal - KEEP_FINAL_PERIODS, settled));
      this.blockStore.pruneActive(this.execution.finalSlot);
      s.driver.forgetGone();
    }
    const cycle = slot.cycle(this.config.periods_per_cycle);
    if (cycle !== this.cycleShown) {
      if (this.cycleShown >= 0) {
        this.log.info(
          {
            cycle: this.cycleShown,
            blocks: s.factory.cycle.blocks,
            misses: s.factory.cycle.misses,
            finalSlot: this.execution.finalSlot.toJSON(),
            finalStateHash: this.execution.stateHash.toString(),
          },
          "cycle done",
        );
      }
      this.cycleShown = cycle;
      s.factory.cycle.blocks = 0;
      s.factory.cycle.misses = 0;
    }
  }

  /**
   * After each tick the execution thread answered: the pool checks its operations against the balances and
   * executed operations of the slots just executed (the balances fetched first, in one request).
   */
  private async refreshPool(): Promise<void> {
    const changed = this.execution.takeStatusChanges();
    try {
      await this.execution.prefetchBalances(this.pool.senders());
    } catch {
      return; // the execution thread stopped: the node is stopping
    }
    const status = (op: SignedOperation) => this.execution.heldStatus(op.id);
    this.pool.prune(this.currentSlot?.period ?? 0, status, changed === "all" ? undefined : changed);
    this.metrics.poolOperations.set(this.pool.size);
  }

  /** Resolves once the execution thread answered every tick sent (tests step slots, then wait for this). */
  async executionIdle(): Promise<void> {
    await this.services?.driver.idle();
  }

  /** Final blocks and operations settled in the last minute (Massa's execution statistics window). */
  executionStats(): { finalBlocks: number; finalOperations: number } {
    return this.services?.driver.executionStats(this.clock.now()) ?? { finalBlocks: 0, finalOperations: 0 };
  }

  get finalHashes(): readonly { slot: Slot; hash: string }[] {
    return this.services?.driver.finalHashes ?? [];
  }

  /** The latest slot at time `t` (undefined before genesis). */
  slotAt(t = this.clock.now()): Slot | undefined {
    return this.slotClock.slotAt(t);
  }

  /** Massa's node id of this node's p2p key ("N…"): what a peer pins to bootstrap from us. */
  get nodeId(): string {
    // read from the key file once, not at every get_status (wallets and load generators poll it)
    this.cachedNodeId ??= (this.network?.nodeKey ?? nodeKey(this.config)).publicKey.toNodeId();
    return this.cachedNodeId;
  }
  private cachedNodeId: string | undefined;

  /** Signs BLAKE3(message) with the node key, as Massa's `node_sign_message` does. */
  signWithNodeKey(message: Uint8Array): { publicKey: PublicKey; signature: Signature } {
    const key = this.network?.nodeKey ?? nodeKey(this.config);
    return { publicKey: key.publicKey, signature: key.sign(blake3(message)) };
  }

  /** Endorsements waiting for the block of their slot, once the node is started. */
  get endorsementPool(): EndorsementPool | undefined {
    return this.services?.endorsements;
  }

  /** Who may bootstrap from this node (private API lists), once the node is started. */
  get bootstrapServer(): BootstrapServer | undefined {
    return this.services?.bootstrapServer;
  }

  get currentSlot(): Slot | undefined {
    return this.lastTickSlot ?? this.slotAt();
  }

  /** Operations accepted by the API go to the peers too. */
  broadcastOperations(ops: readonly SignedOperation[]): void {
    this.services?.relay.broadcastOperations(ops);
  }

  /** An operation this node holds: in the pool, or in a block of the graph that includes it. */
  operation(id: OperationId): SignedOperation | undefined {
    return (
      this.pool.get(id) ??
      this.inclusion.find(id, (text, position) => this.graph.operationAt(BlockId.fromString(text), position))
    );
  }

  /** Operations `sender` created that this node holds or saw included (pool first), each once. */
  operationsCreatedBy(sender: { key: string }): string[] {
    return [...new Set([...this.pool.idsOf(sender), ...this.inclusion.sentBy(sender)])];
  }

  /** Blocks in which an operation was included (by this node's knowledge). */
  inBlocks(id: { key: string }): string[] {
    return this.inclusion.blocksOf(id);
  }

  countOperationReceived(): void {
    this.metrics.operationsReceived.inc();
  }

  /** Stops the clock, waits for the pool of draws, drains the final state to disk and closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.slotClock.stop();
    // a stop that takes long says what it waits for, every 5 s
    const started = Date.now();
    let stage = "network";
    const slow = setInterval(
      () => this.log.warn({ stage, ms: Date.now() - started }, "stopping: still waiting"),
      5000,
    );
    try {
      await this.network?.stop();
      stage = "blocks being checked";
      await this.services?.intake.drained();
      stage = "the slot being processed";
      await this.services?.driver.idle();
      stage = "signature and draw worker pools";
      await this.verifier?.close();
      await this.selector?.close();
      this.services?.driver.persistActive();
      stage = "execution thread (its journal written to disk)";
      await this.execution?.close();
      stage = "block store";
      await closeStores({ blockStore: this.blockStore });
    } finally {
      clearInterval(slow);
    }
    this.log.info({ ms: Date.now() - started }, "node stopped");
  }
}
