// Over 400 lines, not on purpose: the node still holds a dozen jobs (startup and restart policy, bootstrap
// client and server, relay, block intake, factory, slot clock, execution driver, out-of-step verdicts).
// Splitting it into one file per service is the next issue (13, "a node made of services").
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlockGraph, type ConsensusBlock, type ConsensusUpdate } from "@massa-ts/consensus";
import { type ExecBlock, Execution } from "@massa-ts/execution";
import { type CycleInfo, FinalState, loadInitialLedger, loadInitialRolls } from "@massa-ts/final-state";
import {
  Address,
  Amount,
  BlockId,
  type BlockLimits,
  bytesEqual,
  genesisHeader,
  MASSA_BLOCK_LIMITS,
  type OperationId,
  operationMerkleRoot,
  SecretKey,
  SignedBlockHeader,
  SignedEndorsement,
  type SignedOperation,
  Slot,
  type SlotConfig,
} from "@massa-ts/models";
import { Selector } from "@massa-ts/pos-draws";
import {
  type Message,
  Network,
  operationBatches,
  type Peer,
  SignatureVerifier,
  VerifierError,
} from "@massa-ts/protocol";
import pino, { type Logger } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import { CliError } from "../errors.js";
import { BlockStore } from "./block-store.js";
import { bootstrapFrom, type FetchedBlock } from "./bootstrap-client.js";
import type { NodeConfig } from "./config.js";
import { clearDataDir } from "./data-dir.js";
import { OperationPool } from "./pool.js";
import { ProgressBar } from "./progress.js";

/** Keeps the last `n` (slot, hash) pairs for `get_final_state_hashes`. */
const FINAL_HASHES_KEPT = 1000;
/** Final blocks kept (in the graph and on disk) this many periods behind the oldest latest-final block. */
const KEEP_FINAL_PERIODS = 64;
/** Periods of stalled finality while refusing peers' blocks after which a node bootstraps again. */
const OUT_OF_STEP_PERIODS = 8;
/** Relayed blocks waiting for their signature checks; more are dropped (a child asks for them again). */
const MAX_BLOCKS_QUEUED = 256;

/**
 * A running node: final state (LMDB), pos-draws selector (Piscina), execution, consensus, operation pool,
 * block and endorsement factory for the staking keys, driven by the slot clock.
 */
export class MassaNode {
  readonly config: NodeConfig;
  readonly slotConfig: SlotConfig;
  readonly chainId: bigint;
  readonly log: Logger;
  readonly metrics = new Registry();
  fs!: FinalState;
  /** Recent final blocks, kept on disk so that a restart resumes on them. */
  blockStore!: BlockStore;
  /**
   * Blocks refused by rules judged against our own state, waiting for the verdict on their senders (see
   * {@link refuseJudged}); at most 1 024.
   */
  private judged: { peer: Peer; block: BlockId; slot: Slot; reason: string; deadline: number }[] = [];
  private outOfStepReported = false;
  /** Called once when this node finds itself out of step (runNode then bootstraps it again). */
  onOutOfStep: (() => void) | undefined;
  /** Active blocks already written to the block store (ids). */
  private readonly storedActive = new Map<string, BlockId>();
  /** Blocks are produced only once the graph's latest final index reaches this (see start()). */
  private produceFrom = -1;
  selector!: Selector;
  execution!: Execution;
  graph!: BlockGraph;
  pool!: OperationPool;
  readonly stakingKeys = new Map<string, SecretKey>();
  readonly genesisAddress: Address;
  readonly startedAt = Date.now();
  /** (final slot, state fingerprint) of the last 1 000 final slots, oldest first. */
  readonly finalHashes: { slot: Slot; hash: string }[] = [];
  private readonly genesisKey: SecretKey;
  private readonly initialRolls: [Address, bigint][];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastTickSlot: Slot | undefined;
  private readonly execBlocks = new Map<string, ExecBlock>();
  private readonly blockInclusion = new Map<string, string[]>(); // op id key → block ids (text)
  /** Cycles completed while interpolating a downtime are not drawn when they end before this one. */
  private skipDrawsBefore = 0;
  private cycleStats = { blocks: 0, misses: 0, cycle: -1 };
  network: Network | undefined;
  /** The p2p port actually bound (when `network.listen` is set). */
  p2pPort: number | undefined;
  /** Endorsements received or made for coming slots: slot key → "index:endorsed block" → endorsement. */
  private readonly endorsementPool = new Map<string, Map<string, SignedEndorsement>>();
  private readonly pendingHeaders = new Map<string, SignedBlockHeader>();
  private readonly seen = new Set<string>();
  /** Signatures of relayed operations and blocks, checked in a worker pool (and remembered). */
  verifier: SignatureVerifier | undefined;
  /** Relayed blocks are checked and added one at a time, in arrival order; this many wait. */
  private blockQueue: Promise<void> = Promise.resolve();
  private readonly queuedBlocks = new Set<string>();
  /** Announced blocks waiting for the operations we asked their sender for (bounded). */
  private readonly assembling = new Map<
    string,
    { header: SignedBlockHeader; ids: readonly OperationId[]; have: Map<string, SignedOperation> }
  >();
  /** Operations whose signature is being verified (id → signature bytes): a relayed copy is not checked twice. */
  private readonly verifying = new Map<string, Uint8Array>();
  /** Per-peer operation budget (token bucket). */
  private readonly opBudget = new WeakMap<Peer, { tokens: number; at: number }>();
  private readonly gSlot: Gauge;
  private readonly gFinal: Gauge;
  private readonly cBlocks: Counter;
  private readonly cOps: Counter;
  private readonly gPool: Gauge;

  constructor(config: NodeConfig, logger?: Logger) {
    this.config = config;
    this.chainId = BigInt(config.chain_id);
    this.slotConfig = {
      threadCount: config.thread_count,
      periodsPerCycle: config.periods_per_cycle,
      t0: config.t0,
      genesisTimestamp: config.genesis_timestamp,
    };
    if (config.t0 % config.thread_count !== 0) {
      throw new CliError(`t0 (${config.t0} ms) must be divisible by thread_count (${config.thread_count})`);
    }
    this.log = logger ?? pino({ level: config.log_level, base: { node: "massa-ts" } });
    try {
      this.genesisKey = SecretKey.fromString(config.genesis_key, "genesis_key");
    } catch (e) {
      throw new CliError(`genesis_key: ${(e as Error).message}`);
    }
    this.genesisAddress = Address.fromPublicKey(this.genesisKey.publicKey);
    this.initialRolls = loadInitialRolls(config.initial_rolls);
    if (config.staking_keys) {
      let keys: unknown;
      try {
        keys = JSON.parse(readFileSync(config.staking_keys, "utf8"));
      } catch (e) {
        throw new CliError(`staking keys ${config.staking_keys}: ${(e as Error).message}`);
      }
      if (!Array.isArray(keys))
        throw new CliError(`staking keys ${config.staking_keys}: expected a JSON array of "S…" keys`);
      for (const [i, k] of keys.entries()) this.addStakingKey(String(k), `${config.staking_keys}[${i}]`);
    }
    const m = this.metrics;
    this.gSlot = new Gauge({
      name: "massa_ts_current_period",
      help: "period of the current slot",
      registers: [m],
    });
    this.gFinal = new Gauge({
      name: "massa_ts_final_period",
      help: "period of the last final slot",
      registers: [m],
    });
    this.cBlocks = new Counter({
      name: "massa_ts_blocks_produced_total",
      help: "blocks produced by this node",
      registers: [m],
    });
    this.cOps = new Counter({
      name: "massa_ts_operations_received_total",
      help: "operations accepted into the pool",
      registers: [m],
    });
    this.gPool = new Gauge({
      name: "massa_ts_pool_operations",
      help: "operations in the pool",
      registers: [m],
    });
  }

  addStakingKey(text: string, field = "staking key"): Address {
    let sk: SecretKey;
    try {
      sk = SecretKey.fromString(text, field);
    } catch (e) {
      throw new CliError(`${field}: ${(e as Error).message}`);
    }
    const a = Address.fromPublicKey(sk.publicKey);
    this.stakingKeys.set(a.key, sk);
    return a;
  }

  removeStakingKey(address: Address): boolean {
    return this.stakingKeys.delete(address.key);
  }

  /** Opens the final state (genesis on first start), starts the draws, then the slot clock. */
  async start(): Promise<void> {
    const c = this.config;
    const fresh = !existsSync(c.data_dir);
    await this.openStores();
    let restart = this.fs.lastFinalSlot !== undefined;
    // a restart resumes on the final blocks it stored (the chain its final state was settled from)
    let stored = restart ? this.blockStore.load() : [];
    let bootstrapped: FetchedBlock[] | undefined;
    const lspSlot =
      c.last_start_period !== undefined ? new Slot(c.last_start_period - 1, c.thread_count - 1) : undefined;
    const networkStop = restart && lspSlot !== undefined && Slot.compare(lspSlot, this.fs.lastFinalSlot!) > 0;
    const targets = [...(c.network.bootstrap ? [c.network.bootstrap] : []), ...c.network.peers];
    if (!restart && c.network.bootstrap) {
      bootstrapped = await this.bootstrap(c.network.bootstrap, true);
    } else if (restart && !networkStop && targets.length > 0) {
      // a restart inside a network: our final state is on disk; the graph comes from a peer too
      const got = await this.fetchGraph(targets, stored.length === 0);
      const behind = got && this.tooFarBehind(got.blocks);
      if (got && behind) {
        // Massa's node bootstraps at every start; ours only when it must: its state is older than what
        // peers keep, or than the draws reach
        this.log.warn(
          { finalSlot: this.fs.lastFinalSlot!.toJSON(), peer: got.peer, why: behind },
          "our final state is too old to catch up: bootstrapping it again",
        );
        await this.closeStores();
        clearDataDir(c.data_dir, ["node_key"]);
        await this.openStores();
        restart = false;
        stored = [];
        bootstrapped = await this.bootstrap(got.peer, true);
      } else {
        bootstrapped = got?.blocks;
      }
    } else if (!restart) {
      this.fs.initGenesis(loadInitialLedger(c.initial_ledger), this.initialRolls);
      this.log.info({ dataDir: c.data_dir, fresh }, "genesis written");
    } else {
      this.log.info(
        { dataDir: c.data_dir, finalSlot: this.fs.lastFinalSlot!.toJSON() },
        "continuing from the final state",
      );
    }
    const nowSlot = this.slotAt();
    const fin = this.fs.lastFinalSlot!;

    // a restart after a network-wide stop: the downtime up to last_start_period is interpolated below
    const lsp = c.last_start_period;
    if (lsp !== undefined && nowSlot && lsp > nowSlot.period) {
      await this.closeStores();
      throw new CliError(
        `last_start_period ${lsp} is in the future (the clock is at period ${nowSlot.period}): use a period already begun`,
      );
    }
    const downtimeEnd =
      !bootstrapped && lsp !== undefined && Slot.compare(new Slot(lsp - 1, c.thread_count - 1), fin) > 0
        ? new Slot(lsp - 1, c.thread_count - 1)
        : undefined;
    const resumeFrom = downtimeEnd ?? fin;
    if (
      !bootstrapped &&
      nowSlot &&
      Math.floor(nowSlot.period / c.periods_per_cycle) >
        Math.floor(resumeFrom.period / c.periods_per_cycle) + 2
    ) {
      await this.closeStores();
      throw new CliError(
        `the final state in ${c.data_dir} is at ${resumeFrom} (cycle ${Math.floor(resumeFrom.period / c.periods_per_cycle)}) but the clock is at ${nowSlot}: ` +
          "draws are only known two cycles ahead of the final state, so the chain cannot resume after so long a stop. " +
          `Restart the network with last_start_period = ${nowSlot.period} (the same on every node; a one-node devnet does it itself), ` +
          "bootstrap from a live peer (network.bootstrap), or start a new devnet (remove its directory).",
      );
    }
    this.selector = new Selector({
      config: {
        periodsPerCycle: c.periods_per_cycle,
        threadCount: c.thread_count,
        endorsementCount: c.endorsement_count,
      },
      genesisAddress: this.genesisAddress,
      cacheSize: 8,
    });
    this.selector.feedInitialCycles(this.initialRolls);
    // restart: draws of the cycles after the history's completed ones
    for (const { cycle, complete } of this.fs.cycles()) {
      if (!complete) continue;
      try {
        this.selector.feedCompletedCycle(this.fs.cycleInfo(cycle)!, this.fs.cycleInfo(cycle - 1));
      } catch {
        // too old to matter (its previous cycle left the history)
      }
    }
    this.fs.onCycleCompleted((info) => this.onCycleCompleted(info));
    if (downtimeEnd) {
      const slots = downtimeEnd.index(c.thread_count) - fin.index(c.thread_count);
      this.log.info(
        { from: fin.toJSON(), to: downtimeEnd.toJSON(), slots, lastStartPeriod: lsp },
        "restart after a network-wide stop: interpolating the downtime",
      );
      const bar = new ProgressBar("interpolating the downtime");
      this.skipDrawsBefore = Math.floor((nowSlot ?? downtimeEnd).period / c.periods_per_cycle) - 1;
      await this.fs.interpolateDowntime(downtimeEnd, (done, total) => bar.update(done, total));
      bar.finish(`${slots} slots`);
      this.skipDrawsBefore = 0;
      this.log.info(
        { finalSlot: this.fs.lastFinalSlot!.toJSON(), hash: this.fs.stateHash.toString() },
        "downtime interpolated",
      );
      await this.selector.waitForDraws(Math.floor((nowSlot ?? downtimeEnd).period / c.periods_per_cycle));
    } else {
      await Promise.all([0, 1].map((d) => this.selector.waitForDraws(d)));
    }
    this.execution = new Execution(this.fs, this.selector, {
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
      endorsementCount: c.endorsement_count,
      blockReward: Amount.fromMas(c.block_reward),
      rollPrice: Amount.fromMas(c.roll_price),
      operationValidityPeriods: c.operation_validity_periods,
    });
    const genesis = Array.from({ length: c.thread_count }, (_, t) => genesisHeader(t, this.genesisKey));
    const consensusConfig = {
      threadCount: c.thread_count,
      endorsementCount: c.endorsement_count,
      deltaF0: c.delta_f0,
      operationValidityPeriods: c.operation_validity_periods,
    };
    const isFinalExecuted = (id: OperationId) => this.fs.isExecuted(id);
    // The roots: after a network-wide stop, the genesis blocks (as on every node); else our stored final
    // blocks, or a peer's (plus our genesis blocks for threads without one). The final floor is our final
    // state's slot: a block at a slot it has settled is stale, whoever sends it.
    const peerFinals = bootstrapped?.filter((b) => b.final).map((b) => b.block) ?? [];
    const roots = downtimeEnd ? [] : stored.length > 0 ? stored : peerFinals;
    if (roots.length > 0) {
      this.graph = BlockGraph.fromFinalBlocks(
        consensusConfig,
        [...genesis.map((header) => ({ header, operations: [] })), ...roots],
        this.selector,
        isFinalExecuted,
        this.fs.lastFinalSlot,
      );
      if (roots === peerFinals) this.blockStore.putFinal(peerFinals);
    } else {
      this.graph = new BlockGraph(consensusConfig, genesis, this.selector, isFinalExecuted);
      if (restart) this.graph.setFinalFloor(this.fs.lastFinalSlot!);
    }
    // a restarted node with peers produces only once its graph holds the blocks that made its final
    // state's last slot final (otherwise it would build on parents its peers have long left behind)
    this.produceFrom =
      restart && !downtimeEnd && (c.network.peers.length > 0 || c.network.bootstrap)
        ? this.fs.lastFinalSlot!.index(c.thread_count)
        : -1;
    // the blocks that were active when we stopped come back first (their own checks run again)
    const storedActive = restart && !downtimeEnd ? this.blockStore.loadActive() : [];
    for (const b of storedActive) this.graph.addBlock(b, this.slotAt());
    if (bootstrapped) {
      const now = this.slotAt();
      const rootIds = new Set(roots.map((b) => b.header.id.key));
      const rest = bootstrapped
        .filter((b) => !rootIds.has(b.block.header.id.key))
        .sort((x, y) => Slot.compare(x.block.header.content.slot, y.block.header.content.slot));
      for (const b of rest) this.graph.addBlock(b.block, now);
    }
    this.log.info(
      {
        finalSlot: this.fs.lastFinalSlot!.toJSON(),
        storedBlocks: stored.length,
        storedActive: storedActive.length,
        peerBlocks: bootstrapped?.length ?? 0,
        roots: roots.length,
      },
      "consensus graph built",
    );
    this.pool = new OperationPool({
      chainId: this.chainId,
      threadCount: c.thread_count,
      minimalFee: Amount.fromMas(c.minimal_fees),
      maxOperations: c.pool.max_operations,
      maxBytes: c.pool.max_bytes,
      maxOperationSize: this.blockLimits().maxBlockSize,
      operationValidityPeriods: c.operation_validity_periods,
    });
    if (c.network.listen || c.network.peers.length > 0) await this.startNetwork();
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
    this.schedule();
  }

  /** Block limits of this chain (Massa's, with this chain's thread and endorsement counts). */
  private blockLimits(): BlockLimits {
    const c = this.config;
    return { ...MASSA_BLOCK_LIMITS, threadCount: c.thread_count, endorsementCount: c.endorsement_count };
  }

  /** The final state (LMDB) and the block store beside it, in the data dir. */
  private async openStores(): Promise<void> {
    const c = this.config;
    this.fs = await FinalState.open({
      path: c.data_dir,
      chainId: this.chainId,
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
    });
    this.blockStore = BlockStore.open(c.data_dir, this.chainId, this.blockLimits());
  }

  private async closeStores(): Promise<void> {
    await this.blockStore?.close();
    await this.fs?.close();
  }

  /**
   * A restarted node's graph from whichever of `targets` answers first (all asked at once, 2 s to connect).
   * Undefined when none does (a whole network restarting at once): the node then starts on its stored
   * blocks alone and fetches what it lacks from its peers' announcements. `required`: no stored blocks to
   * fall back on.
   */
  private async fetchGraph(
    targets: readonly string[],
    required: boolean,
  ): Promise<{ peer: string; blocks: FetchedBlock[] } | undefined> {
    try {
      const got = await Promise.any(
        [...new Set(targets)].map(async (peer) => ({
          peer,
          blocks: await this.bootstrap(peer, false, 2_000),
        })),
      );
      this.log.info({ peer: got.peer, blocks: got.blocks.length }, "graph fetched from a peer");
      return got;
    } catch (e) {
      const why = e instanceof AggregateError ? e.errors.map((x) => (x as Error).message) : [String(e)];
      this.log.warn({ peers: targets, errors: why }, "no peer answered with its graph");
    }
    if (required)
      this.log.warn(
        { finalSlot: this.fs.lastFinalSlot?.toJSON() },
        "no stored final blocks and no peer answered: not producing until peers' blocks reach our final slot",
      );
    return undefined;
  }

  /**
   * Why our final state cannot catch up with a peer's graph, if it cannot: the peer no longer keeps the
   * final blocks right after our final slot, or the clock is more than two cycles past it (the draws of
   * the cycles in between would come only from slots we cannot settle in time).
   */
  private tooFarBehind(blocks: readonly FetchedBlock[]): string | undefined {
    const c = this.config;
    const fin = this.fs.lastFinalSlot!;
    const finals = blocks.filter((b) => b.final).map((b) => b.block.header.content.slot.period);
    const oldest = finals.length > 0 ? Math.min(...finals) : 0;
    if (oldest > fin.period + 1) return `the peer keeps final blocks from period ${oldest} only`;
    const now = this.slotAt();
    if (now && now.cycle(c.periods_per_cycle) > fin.cycle(c.periods_per_cycle) + 2)
      return `the clock is at ${now}, more than two cycles past the final slot`;
    return undefined;
  }

  private onCycleCompleted(info: CycleInfo): void {
    // while a long downtime is interpolated, only the draws the restarted chain will use are worth making
    if (info.cycle + 2 < this.skipDrawsBefore) return;
    try {
      const d = this.selector.feedCompletedCycle(info, this.fs.cycleInfo(info.cycle - 1));
      this.log.debug({ completed: info.cycle, drawing: d }, "cycle completed: drawing");
    } catch (e) {
      this.log.error({ cycle: info.cycle, err: (e as Error).message }, "cannot feed the selector");
    }
  }

  // ---- network ----

  private nodeKey(): SecretKey {
    const c = this.config;
    if (c.network.node_key) return SecretKey.fromString(c.network.node_key, "network.node_key");
    mkdirSync(c.data_dir, { recursive: true });
    const path = join(c.data_dir, "node_key");
    if (existsSync(path)) return SecretKey.fromString(readFileSync(path, "utf8").trim(), path);
    const k = SecretKey.generate();
    writeFileSync(path, `${k.toString()}\n`, { mode: 0o600 });
    return k;
  }

  private async startNetwork(): Promise<void> {
    const c = this.config;
    // at most ~5 s of one worker's output waits (about 20 MB of operations); beyond, relayed operations are
    // dropped unbanned (bench/flood.ts: with 200 000 the queue and heap grew by ~500 MB under a flood).
    // Blocks' operations pass first and are never refused (the block queue bounds them).
    this.verifier = new SignatureVerifier({ threads: c.network.verify_threads, maxPending: 20_000 });
    this.network = new Network({
      chainId: this.chainId,
      nodeKey: this.nodeKey(),
      maxMessagesPerSecond: c.network.max_messages_per_second,
      banMs: c.network.ban_minutes * 60_000,
      blockLimits: this.blockLimits(),
      onMessage: (peer, m) => {
        try {
          this.onPeerMessage(peer, m);
        } catch (e) {
          this.log.error(
            { peer: peer.remote, type: m.type, err: (e as Error).message },
            "peer message failed",
          );
        }
      },
      onPeer: (peer, event, reason) => this.log.info({ peer: peer.remote, event, reason }, "peer"),
      onOversize: (peer, type, bytes) =>
        this.log.error({ peer: peer.remote, type, bytes }, "message over the frame limit not sent"),
    });
    if (c.network.listen) {
      const i = c.network.listen.lastIndexOf(":");
      const port = await this.network.listen(
        c.network.listen.slice(0, i),
        Number(c.network.listen.slice(i + 1)),
      );
      this.p2pPort = port;
      this.log.info({ listen: `${c.network.listen.slice(0, i)}:${port}` }, "p2p listening");
    }
    for (const p of c.network.peers) this.network.connect(p);
  }

  /** The bootstrap client (bootstrap-client.ts) with this node's identity, store and limits. */
  private bootstrap(target: string, state: boolean, connectMs = 30_000): Promise<FetchedBlock[]> {
    return bootstrapFrom({
      target,
      state,
      connectMs,
      fs: this.fs,
      chainId: this.chainId,
      nodeKey: this.nodeKey(),
      blockLimits: this.blockLimits(),
      log: this.log,
      dataDir: this.config.data_dir,
    });
  }

  /** Marks an id as seen; false if it was already (nothing is relayed twice). Bounded. */
  private firstSeen(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > 200_000) this.seen.delete(this.seen.values().next().value!);
    return true;
  }

  /**
   * A header's own checks, at its arrival: signature, and the drawn producer when the draws are known (else
   * consensus decides later): a block by anyone else is refused before its operations are fetched or cost
   * a signature check each.
   */
  private checkHeader(header: SignedBlockHeader): string | undefined {
    const slot = header.content.slot;
    if (!header.verifySignature()) return "bad header signature";
    let producer: Address | undefined;
    try {
      producer = this.selector.getSelection(slot).producer;
    } catch {
      producer = undefined;
    }
    if (producer && !header.creatorAddress.equals(producer)) {
      return `bad creator turn: ${header.creatorAddress} is not the producer of ${slot} (${producer})`;
    }
    return undefined;
  }

  /**
   * Protocol's block checks once its operations are here (the header passed {@link checkHeader}, the ids
   * {@link checkOpIds}), but the operations' signatures (see {@link onBlock}); ours: any failure makes the
   * block invalid and bans its sender.
   */
  private checkBlock(header: SignedBlockHeader, ops: readonly SignedOperation[]): string | undefined {
    const c = this.config;
    const slot = header.content.slot;
    for (const e of header.content.endorsements) {
      if (!e.verifySignature()) return `endorsement ${e.content.index}: bad signature`;
      if (!e.content.slot.equals(slot)) return `endorsement ${e.content.index} is for another slot`;
    }
    const ids = new Set<string>();
    let size = 0;
    for (const op of ops) {
      if (ids.has(op.id.key)) return `operation ${op.id} twice`;
      ids.add(op.id.key);
      if (op.senderThread(c.thread_count) !== slot.thread) return `operation ${op.id} from another thread`;
      const e = op.content.expirePeriod;
      if (slot.period > e || slot.period < Math.max(0, e - c.operation_validity_periods)) {
        return `operation ${op.id} outside its validity window`;
      }
      size += op.serializedSize;
    }
    if (size > this.blockLimits().maxBlockSize) return `operations of ${size} bytes`;
    return undefined;
  }

  private onPeerMessage(peer: Peer, m: Message): void {
    switch (m.type) {
      case "header": {
        const k = m.header.id.key;
        if (this.graph.status(m.header.id) || this.pendingHeaders.has(k) || this.queuedBlocks.has(k)) return;
        const bad = this.checkHeader(m.header);
        if (bad) {
          // a bad signature is the sender's fault whatever our state; a producer that is not ours is
          // judged against our draws, which are only as right as our final state
          if (bad.startsWith("bad creator turn"))
            this.refuseJudged(peer, m.header.id, m.header.content.slot, bad);
          else peer.fail(`invalid block ${m.header.id}: ${bad}`);
          return;
        }
        this.pendingHeaders.set(m.header.id.key, m.header);
        if (this.pendingHeaders.size > 1000)
          this.pendingHeaders.delete(this.pendingHeaders.keys().next().value!);
        return;
      }
      case "blockOpIds": {
        // an announced block's operation ids: take what we hold, ask the peer for the rest
        const header = this.pendingHeaders.get(m.blockId.key);
        if (!header) return;
        this.pendingHeaders.delete(m.blockId.key);
        const bad = this.checkOpIds(header, m.ids);
        if (bad) {
          peer.fail(`invalid block ${m.blockId}: ${bad}`);
          return;
        }
        const have = new Map<string, SignedOperation>();
        const missing: OperationId[] = [];
        for (const id of m.ids) {
          const op = this.operation(id);
          if (op) have.set(id.key, op);
          else missing.push(id);
        }
        if (missing.length === 0) {
          this.enqueueBlock(
            peer,
            header,
            m.ids.map((id) => have.get(id.key)!),
          );
          return;
        }
        this.assembling.set(m.blockId.key, { header, ids: m.ids, have });
        if (this.assembling.size > MAX_BLOCKS_QUEUED)
          this.assembling.delete(this.assembling.keys().next().value!);
        peer.send({ type: "askOps", blockId: m.blockId, ids: missing });
        return;
      }
      case "askOps": {
        // answered with that block's operations only, each once: the answer is bounded by the block size
        // whatever ids are asked (Massa answers from the block's own list too)
        const b = this.graph.get(m.blockId);
        if (!b) return;
        const asked = new Set(m.ids.map((id) => id.key));
        const found = b.operations.filter((o) => asked.has(o.id.key));
        peer.send({ type: "blockOps", blockId: m.blockId, operations: found });
        return;
      }
      case "blockOps": {
        const a = this.assembling.get(m.blockId.key);
        if (a) {
          // the operations we asked for
          this.assembling.delete(m.blockId.key);
          for (const op of m.operations) if (!a.have.has(op.id.key)) a.have.set(op.id.key, op);
          const ops = a.ids.map((id) => a.have.get(id.key));
          const lacking = ops.indexOf(undefined);
          if (lacking >= 0) {
            peer.fail(`announced block ${m.blockId} but did not supply its operation ${a.ids[lacking]}`);
            return;
          }
          this.enqueueBlock(peer, a.header, ops as SignedOperation[]);
          return;
        }
        const header = this.pendingHeaders.get(m.blockId.key);
        if (!header) return; // unknown or already processed
        this.pendingHeaders.delete(m.blockId.key);
        const bad = this.checkOpIds(
          header,
          m.operations.map((o) => o.id),
        );
        if (bad) {
          peer.fail(`invalid block ${m.blockId}: ${bad}`);
          return;
        }
        this.enqueueBlock(peer, header, m.operations);
        return;
      }
      case "askBlock": {
        const b = this.graph.get(m.blockId);
        if (b) {
          peer.send({ type: "header", header: b.header });
          peer.send({ type: "blockOps", blockId: m.blockId, operations: [...b.operations] });
        }
        return;
      }
      case "operations": {
        if (!this.takeOpBudget(peer, m.operations.length)) {
          peer.fail(
            `operation flood: more than ${this.config.network.max_operations_per_second} operations per second`,
          );
          return;
        }
        // not seen, and not the very bytes already being verified (a copy with another signature is checked)
        const todo = m.operations.filter((op) => {
          if (this.seen.has(`o${op.id.key}`)) return false;
          const inFlight = this.verifying.get(op.id.key);
          if (inFlight && bytesEqual(inFlight, op.signature.raw)) return false;
          this.verifying.set(op.id.key, op.signature.raw);
          return true;
        });
        if (todo.length === 0) return;
        void this.onOperations(peer, todo).finally(() => {
          for (const op of todo) {
            if (this.verifying.get(op.id.key) === op.signature.raw) this.verifying.delete(op.id.key);
          }
        });
        return;
      }
      case "endorsements": {
        // the same budget as operations: each costs a signature check
        if (!this.takeOpBudget(peer, m.endorsements.length)) {
          peer.fail(
            `endorsement flood: more than ${this.config.network.max_operations_per_second} operations and endorsements per second`,
          );
          return;
        }
        const todo = m.endorsements.filter((e) => !this.seen.has(`e${e.id.key}`));
        if (todo.length > 0) void this.onEndorsements(peer, todo);
        return;
      }
      case "bootstrapAsk": {
        const refusal = this.bootstrapGate(peer, m.slot === undefined);
        if (refusal) {
          peer.close(refusal);
          return;
        }
        let part: ReturnType<FinalState["bootstrapPart"]>;
        try {
          part = this.fs.bootstrapPart(
            {
              ...(m.slot ? { slot: m.slot } : {}),
              ...(m.lastKey ? { lastKey: m.lastKey } : {}),
              finished: m.finished,
            },
            1_000_000,
          );
        } catch (e) {
          peer.close(`bootstrap refused: ${(e as Error).message}`);
          return;
        }
        peer.send({
          type: "bootstrapPart",
          slot: part.slot,
          fingerprint: this.fs.stateHash.fingerprint(),
          entries: part.entries,
          updates: part.updates,
          lastKey: part.cursor.lastKey,
          finished: part.cursor.finished ?? false,
          total: this.fs.approxRecordCount(),
        });
        return;
      }
      case "graphAsk": {
        const blocks = this.graph
          .activeBlocks()
          .sort((a, b) => Slot.compare(a.slot, b.slot))
          .flatMap((b) => {
            const full = this.graph.get(b.id);
            return full ? [{ header: full.header, operations: [...full.operations], final: b.final }] : [];
          });
        peer.send({ type: "graph", blocks });
        return;
      }
      default:
        return;
    }
  }

  /**
   * A block refused by a rule judged against our own state (draws, graph, executed operations). Its sender
   * is not banned at once: our state may be the wrong one. It is banned once our own finality passes the
   * refused block's slot (the network went on without that block, and so did we); if our finality has not
   * got there within {@link OUT_OF_STEP_PERIODS} periods of the slot, the refusal is dropped unbanned, and
   * when that happens for blocks of two or more peers (or of our only peer), we are the one out of step.
   */
  private refuseJudged(peer: Peer, block: BlockId, slot: Slot, reason: string): void {
    const t0 = this.config.t0;
    const slotTime = slot.timestamp(this.slotConfig);
    // far-future slots are not worth a verdict (consensus would make them wait anyway)
    if (slotTime > Date.now() + OUT_OF_STEP_PERIODS * t0) return;
    if (this.judged.length >= 1024) this.judged.shift();
    this.judged.push({
      peer,
      block,
      slot,
      reason,
      deadline: Math.max(Date.now(), slotTime) + OUT_OF_STEP_PERIODS * t0,
    });
    this.log.debug({ peer: peer.remote, block: block.toString(), reason }, "block refused: verdict pending");
  }

  /** Bans the senders of refused blocks our finality went past; detects being out of step (each tick). */
  private settleJudgements(): void {
    if (this.judged.length === 0) return;
    const fin = this.fs.lastFinalSlot!;
    const now = Date.now();
    const expired = new Set<string>();
    const keep: typeof this.judged = [];
    for (const j of this.judged) {
      if (Slot.compare(fin, j.slot) >= 0) j.peer.fail(`invalid block ${j.block}: ${j.reason}`);
      else if (now > j.deadline) expired.add(j.peer.publicKey?.toString() ?? j.peer.remote);
      else keep.push(j);
    }
    this.judged = keep;
    if (expired.size === 0 || this.outOfStepReported) return;
    const peers = this.network?.connected.length ?? 0;
    this.log.warn(
      { peers: [...expired], finalSlot: fin.toJSON() },
      "peers' blocks refused while our finality did not move past them: not banning them",
    );
    if (expired.size >= Math.min(2, Math.max(1, peers))) {
      this.outOfStepReported = true;
      this.log.error(
        { finalSlot: fin.toJSON(), peers: [...expired] },
        "out of step with our peers (finality stalled, their blocks refused): bootstrapping again",
      );
      this.onOutOfStep?.();
    }
  }

  /** Spends `n` of the peer's operation budget: `max_operations_per_second`, burst ×2. False: flooding. */
  private takeOpBudget(peer: Peer, n: number): boolean {
    const rate = this.config.network.max_operations_per_second;
    const now = Date.now();
    const b = this.opBudget.get(peer) ?? { tokens: 2 * rate, at: now };
    b.tokens = Math.min(2 * rate, b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    this.opBudget.set(peer, b);
    if (b.tokens < n) return false;
    b.tokens -= n;
    return true;
  }

  /**
   * Relayed operations: signatures checked in the worker pool; one bad signature bans the sender and drops
   * its message. Only operations that pass are marked seen (a forged copy cannot shadow the real one);
   * those the pool takes are relayed.
   */
  private async onOperations(peer: Peer, ops: readonly SignedOperation[]): Promise<void> {
    const pass = await this.relayedSignaturesPass(peer, "operations", ops, () =>
      this.verifier!.verifyOperations(ops),
    );
    if (!pass) return;
    const fresh: SignedOperation[] = [];
    const period = this.currentSlot?.period ?? 0;
    for (const op of ops) {
      if (!this.firstSeen(`o${op.id.key}`)) continue;
      try {
        this.pool.add(op, period, true);
        fresh.push(op);
      } catch {
        // expired, too cheap, pool full: not relayed
      }
    }
    for (const batch of operationBatches(fresh))
      this.network?.broadcast({ type: "operations", operations: batch }, peer);
  }

  /**
   * The signature check of relayed items: true when every one passed. A saturated verifier
   * (VERIFIER_BUSY) drops them unbanned (peers keep them); one bad signature bans the sender.
   */
  private async relayedSignaturesPass(
    peer: Peer,
    what: "operations" | "endorsements",
    items: readonly { readonly id: { toString(): string } }[],
    verify: () => Promise<boolean[]>,
  ): Promise<boolean> {
    let ok: boolean[];
    try {
      ok = await verify();
    } catch (e) {
      this.noteDropped(what, items.length, (e as Error).message);
      return false;
    }
    if (this.stopped) return false;
    const bad = ok.indexOf(false);
    if (bad >= 0) {
      peer.fail(`${what === "operations" ? "operation" : "endorsement"} ${items[bad]!.id}: bad signature`);
      return false;
    }
    return true;
  }

  /** Items dropped because the verifier was saturated, logged at most once per second (logs are bounded too). */
  private readonly dropped = { operations: 0, endorsements: 0, loggedAt: 0 };
  private noteDropped(what: "operations" | "endorsements", n: number, why: string): void {
    this.dropped[what] += n;
    const now = Date.now();
    if (now - this.dropped.loggedAt < 1000) return;
    this.log.warn(
      { operations: this.dropped.operations, endorsements: this.dropped.endorsements, reason: why },
      "overloaded: relayed items dropped since the last report",
    );
    this.dropped.operations = 0;
    this.dropped.endorsements = 0;
    this.dropped.loggedAt = now;
  }

  /** Count and merkle root of a block's operation ids against its header: checked before fetching anything. */
  private checkOpIds(header: SignedBlockHeader, ids: readonly OperationId[]): string | undefined {
    if (ids.length > MASSA_BLOCK_LIMITS.maxOperationsPerBlock) return `${ids.length} operations`;
    const root = operationMerkleRoot(ids);
    if (!bytesEqual(root, header.content.operationMerkleRoot)) return "operation merkle root mismatch";
    return undefined;
  }

  /** A relayed block with all its operations: protocol checks, then the block queue (signatures, consensus). */
  private enqueueBlock(peer: Peer, header: SignedBlockHeader, ops: readonly SignedOperation[]): void {
    const id = header.id;
    const bad = this.checkBlock(header, ops);
    if (bad) {
      peer.fail(`invalid block ${id}: ${bad}`);
      return;
    }
    if (this.queuedBlocks.size >= MAX_BLOCKS_QUEUED) {
      // not the peer's fault alone (catch-up bursts): dropped unbanned; a child will ask for it again
      this.log.warn({ peer: peer.remote, block: id.toString() }, "block queue full: block dropped");
      return;
    }
    this.queuedBlocks.add(id.key);
    this.blockQueue = this.blockQueue
      .then(() => this.onBlock(peer, header, ops))
      .catch((e: unknown) =>
        this.log.error(
          { peer: peer.remote, block: id.toString(), err: (e as Error).message },
          "block failed",
        ),
      )
      .finally(() => this.queuedBlocks.delete(id.key));
  }

  /**
   * Relayed endorsements: signatures checked (in the worker pool for a big batch), then marked seen (only
   * then: a forged copy cannot shadow the real one), pooled for the block of their slot and relayed.
   */
  private async onEndorsements(peer: Peer, es: readonly SignedEndorsement[]): Promise<void> {
    const pass = await this.relayedSignaturesPass(peer, "endorsements", es, () =>
      this.verifier!.verify(
        es.map((e) => ({ creator: e.creator, message: e.signedHash(), signature: e.signature })),
      ),
    );
    if (!pass) return;
    const fresh = es.filter((e) => this.firstSeen(`e${e.id.key}`));
    for (const e of fresh) this.poolEndorsement(e);
    if (fresh.length > 0) this.network?.broadcast({ type: "endorsements", endorsements: fresh }, peer);
  }

  /**
   * A relayed block that passed the synchronous checks: its operations' signatures are checked (in the
   * worker pool, or from the cache for operations already relayed), then consensus adds it. Runs in the
   * block queue, so blocks reach consensus in arrival order.
   */
  private async onBlock(
    peer: Peer,
    header: SignedBlockHeader,
    ops: readonly SignedOperation[],
  ): Promise<void> {
    if (this.stopped) return;
    let ok: boolean[];
    try {
      ok = await this.verifier!.verifyOperations(ops, { priority: true });
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      this.log.warn({ peer: peer.remote, block: header.id.toString(), err: e.message }, "block dropped");
      return;
    }
    if (this.stopped) return;
    const bad = ok.indexOf(false);
    if (bad >= 0) {
      peer.fail(`invalid block ${header.id}: operation ${ops[bad]!.id}: bad signature`);
      return;
    }
    const r = this.graph.addBlock({ header, operations: ops }, this.currentSlot);
    if (r.status.kind === "invalid") {
      this.refuseJudged(peer, header.id, header.content.slot, r.status.reason);
      return;
    }
    if (r.status.kind === "waiting-parents") {
      for (const id of r.status.missing) peer.send({ type: "askBlock", blockId: id });
    }
    if (r.status.kind !== "stale") this.recordInclusion(header.id, ops);
    if (r.status.kind !== "stale" && this.firstSeen(`b${header.id.key}`)) {
      this.network?.broadcast({ type: "header", header }, peer);
      this.network?.broadcast({ type: "blockOpIds", blockId: header.id, ids: ops.map((o) => o.id) }, peer);
    }
  }

  /**
   * Keeps an endorsement for the block of its slot, by (index, endorsed block): endorsements of competing
   * parents do not shadow each other. One by anyone but the drawn endorser is not kept (when the draws are
   * known); at most 64 per slot, 256 slots.
   */
  private poolEndorsement(e: SignedEndorsement): void {
    const c = e.content;
    try {
      const drawn = this.selector.getSelection(c.slot).endorsements[c.index];
      if (!drawn || !e.creatorAddress.equals(drawn)) return;
    } catch {
      // draws not known yet: kept; the producer checks again
    }
    const k = `${c.slot.period},${c.slot.thread}`;
    let m = this.endorsementPool.get(k);
    if (!m) {
      m = new Map();
      this.endorsementPool.set(k, m);
      if (this.endorsementPool.size > 256)
        this.endorsementPool.delete(this.endorsementPool.keys().next().value!);
    }
    const key = `${c.index}:${c.endorsedBlock.key}`;
    if (!m.has(key) && m.size < 64) m.set(key, e);
  }

  /** Bootstrap clients being served (by node key) and new sessions per IP in the current minute. */
  private readonly bootstrapClients = new Map<string, number>();
  private readonly bootstrapStarts = new Map<string, { minute: number; count: number }>();

  /**
   * The bootstrap server's limits: at most 4 clients streaming at once (a client is "streaming" until it is
   * silent for 10 s) and 10 new sessions per IP per minute. Returns why a request is refused, if it is.
   */
  private bootstrapGate(peer: Peer, newSession: boolean): string | undefined {
    const now = Date.now();
    for (const [k, t] of this.bootstrapClients) if (now - t > 10_000) this.bootstrapClients.delete(k);
    const who = peer.publicKey!.toString();
    if (!this.bootstrapClients.has(who) && this.bootstrapClients.size >= 4)
      return "bootstrap server busy (4 clients): retry later";
    if (newSession) {
      const ip = peer.socket.remoteAddress ?? "?";
      const minute = Math.floor(now / 60_000);
      const s = this.bootstrapStarts.get(ip);
      const count = s && s.minute === minute ? s.count + 1 : 1;
      this.bootstrapStarts.set(ip, { minute, count });
      if (this.bootstrapStarts.size > 10_000)
        this.bootstrapStarts.delete(this.bootstrapStarts.keys().next().value!);
      if (count > 10) return "too many bootstrap sessions from this address: retry in a minute";
    }
    this.bootstrapClients.set(who, now);
    return undefined;
  }

  /** Operations accepted by the API go to the peers too. */
  broadcastOperations(ops: readonly SignedOperation[]): void {
    for (const op of ops) this.firstSeen(`o${op.id.key}`);
    for (const batch of operationBatches(ops))
      this.network?.broadcast({ type: "operations", operations: batch });
  }

  /** Endorsements of the next slot by our keys, endorsing its thread's best parent: pooled and sent. */
  private endorseNext(slot: Slot): void {
    const next = slot.next(this.config.thread_count);
    let sel: ReturnType<Selector["getSelection"]>;
    try {
      sel = this.selector.getSelection(next);
    } catch {
      return;
    }
    const parent = this.graph.bestParents()[next.thread]!;
    const made: SignedEndorsement[] = [];
    sel.endorsements.forEach((a, index) => {
      const k = this.stakingKeys.get(a.key);
      if (k) made.push(SignedEndorsement.sign({ slot: next, index, endorsedBlock: parent }, k));
    });
    for (const e of made) {
      this.firstSeen(`e${e.id.key}`);
      this.poolEndorsement(e);
    }
    if (made.length > 0) this.network?.broadcast({ type: "endorsements", endorsements: made });
  }

  /** The latest slot at time `t` (undefined before genesis). */
  slotAt(t = Date.now()): Slot | undefined {
    return Slot.latestAt(t, this.slotConfig);
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = Date.now();
    const cur = this.slotAt(now);
    const next = cur ? cur.next(this.config.thread_count) : new Slot(0, 0);
    const wait = Math.max(0, next.timestamp(this.slotConfig) - now);
    this.timer = setTimeout(() => {
      try {
        this.onSlot(next);
      } catch (e) {
        this.log.error({ slot: next.toJSON(), err: (e as Error).stack }, "slot processing failed");
      }
      this.schedule();
    }, wait);
  }

  /** One slot tick: waiting blocks, production, execution of candidate and final slots. */
  onSlot(slot: Slot): void {
    this.lastTickSlot = slot;
    this.gSlot.set(slot.period);
    const updates: ConsensusUpdate[] = [this.graph.tick(slot)];
    if (slot.period > 0) {
      const produced = this.produce(slot);
      if (produced) updates.push(produced);
    }
    this.applyConsensus(slot);
    this.settleJudgements();
    this.endorseNext(slot);
    this.endorsementPool.delete(`${slot.period},${slot.thread}`);
    if (slot.thread === 0) {
      this.graph.prune(KEEP_FINAL_PERIODS);
      const oldestFinal = Math.min(
        ...this.graph.latestFinalBlocks().map((id) => this.graph.slotOf(id)?.period ?? 0),
      );
      this.blockStore.prune(oldestFinal - KEEP_FINAL_PERIODS);
      this.blockStore.pruneActive(this.fs.lastFinalSlot!);
      for (const [k, id] of this.storedActive) if (!this.graph.status(id)) this.storedActive.delete(k);
    }
    this.pool.prune(slot.period, (op) => this.execution.operationStatus(op.id)?.final === true);
    this.gPool.set(this.pool.size);
    const cycle = Math.floor(slot.period / this.config.periods_per_cycle);
    if (cycle !== this.cycleStats.cycle) {
      if (this.cycleStats.cycle >= 0) {
        this.log.info(
          {
            cycle: this.cycleStats.cycle,
            blocks: this.cycleStats.blocks,
            misses: this.cycleStats.misses,
            finalSlot: this.execution.finalSlot.toJSON(),
            finalStateHash: this.fs.stateHash.toString(),
          },
          "cycle done",
        );
      }
      this.cycleStats = { blocks: 0, misses: 0, cycle };
    }
  }

  /** Produces the block of `slot` if one of our keys is drawn, with our keys' endorsements. */
  private produce(slot: Slot): ConsensusUpdate | undefined {
    let sel: ReturnType<Selector["getSelection"]>;
    try {
      sel = this.selector.getSelection(slot);
    } catch (e) {
      this.log.warn(
        { slot: slot.toJSON(), err: (e as Error).message },
        "draws not available: cannot produce",
      );
      return undefined;
    }
    const key = this.stakingKeys.get(sel.producer.key);
    if (!key) {
      this.cycleStats.misses++;
      return undefined;
    }
    if (this.graph.latestFinalIndex() < this.produceFrom) {
      this.log.warn(
        { slot: slot.toJSON(), finalSlot: this.fs.lastFinalSlot?.toJSON() },
        "not producing: the graph is behind the final state (waiting for the peers' blocks)",
      );
      return undefined;
    }
    const parents = this.graph.bestParents();
    // endorsements: ours, signed now, and the peers' from the pool, when they endorse the same parent and
    // come from the drawn endorser (anything else would make our own block invalid)
    const endorsements: SignedEndorsement[] = [];
    const endorsed = parents[slot.thread]!;
    const pooled = this.endorsementPool.get(`${slot.period},${slot.thread}`);
    sel.endorsements.forEach((a, index) => {
      const ek = this.stakingKeys.get(a.key);
      if (ek) {
        endorsements.push(SignedEndorsement.sign({ slot, index, endorsedBlock: endorsed }, ek));
        return;
      }
      const e = pooled?.get(`${index}:${endorsed.key}`);
      if (e?.creatorAddress.equals(a)) endorsements.push(e);
    });
    // in an ancestor not executed yet (slots faster than execution) counts as used too
    const used = this.graph.opsInAncestry(parents[slot.thread]!, slot);
    const ops = this.pool.select(
      slot.period,
      slot.thread,
      MASSA_BLOCK_LIMITS.maxOperationsPerBlock,
      this.blockLimits().maxBlockSize, // operations only: the header is not counted (as in Massa)
      (op) =>
        used.has(op.id.key) ||
        this.execution.operationStatus(op.id) !== undefined ||
        this.fs.isExecuted(op.id),
    );
    const header = SignedBlockHeader.sign(
      {
        currentVersion: 0,
        announcedVersion: undefined,
        slot,
        parents,
        operationMerkleRoot: operationMerkleRoot(ops.map((o) => o.id)),
        endorsements,
        denunciations: [],
      },
      key,
    );
    const r = this.graph.addBlock({ header, operations: ops }, slot);
    if (r.status.kind !== "active") {
      this.log.warn({ slot: slot.toJSON(), status: r.status }, "own block not accepted");
      return r.update;
    }
    this.recordInclusion(header.id, ops);
    this.firstSeen(`b${header.id.key}`);
    this.network?.broadcast({ type: "header", header });
    this.network?.broadcast({ type: "blockOpIds", blockId: header.id, ids: ops.map((o) => o.id) });
    this.cBlocks.inc();
    this.cycleStats.blocks++;
    this.log.debug(
      { slot: slot.toJSON(), id: header.id.toString(), ops: ops.length, endorsements: endorsements.length },
      "block produced",
    );
    return r.update;
  }

  private toExec(b: ConsensusBlock): ExecBlock {
    const id = b.header.id;
    let e = this.execBlocks.get(id.key);
    if (!e) {
      const h = b.header.content;
      e = {
        id,
        slot: h.slot,
        creator: b.header.creatorAddress,
        operations: b.operations,
        endorsements: h.endorsements.map((x) => ({ index: x.content.index, creator: x.creatorAddress })),
        parentCreator: this.parentCreator(b),
      };
      this.execBlocks.set(id.key, e);
      if (this.execBlocks.size > 20_000) this.execBlocks.delete(this.execBlocks.keys().next().value!);
    }
    return e;
  }

  /** Writes the graph's active blocks not written yet (see BlockStore: a whole-network stop keeps them). */
  private persistActive(): void {
    const fresh: ConsensusBlock[] = [];
    for (const b of this.graph.activeBlocks()) {
      if (b.final || this.storedActive.has(b.id.key)) continue;
      const full = this.graph.get(b.id);
      if (!full) continue;
      fresh.push(full);
      this.storedActive.set(b.id.key, b.id);
    }
    this.blockStore.putActive(fresh);
  }

  /** Creator of a block's same-thread parent (the endorsed block: its creator earns a reward part). */
  private parentCreator(b: ConsensusBlock): Address {
    const h = b.header.content;
    const parent = h.parents[h.slot.thread]!;
    const creator = this.graph.creatorOf(parent);
    if (!creator) {
      throw new CliError(
        `block ${b.header.id} at ${h.slot}: its parent ${parent} is not in the graph, so the endorsed-block reward has no recipient`,
      );
    }
    return creator;
  }

  /** Hands the blockclique and the final slots to execution. */
  private applyConsensus(now: Slot): void {
    const at = (s: Slot) => {
      const b = this.graph.blockAt(s);
      return b ? this.toExec(b) : null;
    };
    // candidate slots only as far as the draws go: cycle D is drawn once D − 2 is complete in the final state
    const c = this.config;
    const f = this.execution.finalSlot;
    const finalCycle = Math.floor(f.period / c.periods_per_cycle);
    const complete = f.thread === c.thread_count - 1 && (f.period + 1) % c.periods_per_cycle === 0;
    const drawn = (complete ? finalCycle : finalCycle - 1) + 2;
    const lastDrawn = new Slot((drawn + 1) * c.periods_per_cycle - 1, c.thread_count - 1);
    try {
      this.execution.onBlockcliqueChanged(at, Slot.compare(now, lastDrawn) < 0 ? now : lastDrawn);
    } catch (e) {
      // a cycle still being drawn in the worker: the same slots run again at the next tick
      if ((e as { code?: string }).code !== "CYCLE_PENDING") throw e;
      return;
    }
    // final blocks reach the disk before any of their slots is settled (a restart resumes on them)
    this.blockStore.putFinal(this.graph.takeNewlyFinal());
    this.persistActive();
    const bound = this.graph.finalSlotBound(this.execution.finalSlot);
    // one slot at a time, so that every final slot's state hash is recorded
    while (Slot.compare(bound, this.execution.finalSlot) > 0) {
      const s = this.execution.finalSlot.next(this.config.thread_count);
      this.execution.onSlotsFinal(s, at);
      this.finalHashes.push({ slot: s, hash: this.fs.stateHash.toString() });
      if (this.finalHashes.length > FINAL_HASHES_KEPT) this.finalHashes.shift();
    }
    this.gFinal.set(this.execution.finalSlot.period);
  }

  /** Remembers which block includes which operations (last 100 000 operations), for `get_operations`. */
  private recordInclusion(block: BlockId, ops: readonly SignedOperation[]): void {
    const id = block.toString();
    for (const op of ops) {
      const list = this.blockInclusion.get(op.id.key) ?? [];
      if (!list.includes(id)) list.push(id);
      this.blockInclusion.set(op.id.key, list);
      if (this.blockInclusion.size > 100_000)
        this.blockInclusion.delete(this.blockInclusion.keys().next().value!);
    }
  }

  /** An operation this node holds: in the pool, or in a block of the graph that includes it. */
  operation(id: OperationId): SignedOperation | undefined {
    const pooled = this.pool.get(id);
    if (pooled) return pooled;
    for (const text of this.blockInclusion.get(id.key) ?? []) {
      const b = this.graph.get(BlockId.fromString(text));
      const op = b?.operations.find((o) => o.id.key === id.key);
      if (op) return op;
    }
    return undefined;
  }

  /** Blocks in which an operation was included (by this node's knowledge). */
  inBlocks(id: { key: string }): string[] {
    return this.blockInclusion.get(id.key) ?? [];
  }

  countOperationReceived(): void {
    this.cOps.inc();
  }

  get currentSlot(): Slot | undefined {
    return this.lastTickSlot ?? this.slotAt();
  }

  /** Stops the clock, waits for the pool of draws, drains the final state to disk and closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.network?.stop();
    await this.blockQueue;
    await this.verifier?.close();
    await this.selector?.close();
    if (this.graph && this.blockStore) this.persistActive();
    await this.closeStores();
    this.log.info("node stopped");
  }

  blockIdText(id: BlockId): string {
    return id.toString();
  }
}
