// How a node comes up: genesis on a first start, a bootstrap from a peer, a restart on its own final state
// and stored blocks (bootstrapping again when too far behind), or a restart after a network-wide stop
// (the downtime interpolated). Returns the modules the services run on. Just over 400 lines: the start
// paths share their checks (fetched blocks, draws, roots) and read best in one file, in order.
import { existsSync } from "node:fs";
import { BlockGraph } from "@massa-ts/consensus";
import { type CycleInfo, FinalState, loadInitialLedger } from "@massa-ts/final-state";
import {
  type Address,
  type BlockLimits,
  genesisHeader,
  type OperationId,
  type SecretKey,
  type SignedBlockHeader,
  Slot,
} from "@massa-ts/models";
import { Selector } from "@massa-ts/pos-draws";
import { checkWholeBlock } from "@massa-ts/protocol";
import type { Logger } from "pino";
import { CliError } from "../errors.js";
import { BlockStore } from "./block-store.js";
import { bootstrapFrom, type FetchedBlock } from "./bootstrap-client.js";
import type { NodeConfig } from "./config.js";
import { clearDataDir } from "./data-dir.js";
import { ProgressBar } from "./progress.js";

export interface StartupInputs {
  readonly config: NodeConfig;
  readonly chainId: bigint;
  readonly log: Logger;
  readonly limits: BlockLimits;
  readonly genesisKey: SecretKey;
  readonly genesisAddress: Address;
  readonly initialRolls: [Address, bigint][];
  readonly nodeKey: () => SecretKey;
  /** The latest slot now (undefined before genesis). */
  slotAt(): Slot | undefined;
}

/** The modules a started node runs on. */
export interface NodeModules {
  readonly fs: FinalState;
  readonly blockStore: BlockStore;
  readonly selector: Selector;
  readonly graph: BlockGraph;
  /** Feeds the selector a completed cycle (with the one before it). */
  readonly feedCycle: (info: CycleInfo, previous: CycleInfo | undefined) => void;
  /** Consensus's reuse check reads the final executed operations from `f` from now on. */
  readonly useExecutedCheck: (f: (id: OperationId) => boolean) => void;
  /** The graph's latest final index from which this node may produce (see Factory). */
  readonly produceFrom: number;
}

/** Opens the stores and decides how the node starts; on a refusal the stores are closed again. */
export async function startUp(i: StartupInputs): Promise<NodeModules> {
  const c = i.config;
  const log = i.log;
  const fresh = !existsSync(c.data_dir);
  let stores = await openStores(i);
  const fail = async (message: string): Promise<never> => {
    await closeStores(stores);
    throw new CliError(message);
  };
  let restart = stores.fs.lastFinalSlot !== undefined;
  // a restart resumes on the final blocks it stored (the chain its final state was settled from)
  let stored = restart ? stores.blockStore.load() : [];
  let bootstrapped: FetchedBlock[] | undefined;
  const lspSlot =
    c.last_start_period !== undefined ? new Slot(c.last_start_period - 1, c.thread_count - 1) : undefined;
  const networkStop = restart && lspSlot !== undefined && Slot.compare(lspSlot, stores.fs.lastFinalSlot!) > 0;
  const targets = [...(c.network.bootstrap ? [c.network.bootstrap] : []), ...c.network.peers];
  const bootstrap = (target: string, state: boolean, connectMs = 30_000) =>
    bootstrapFrom({
      target,
      state,
      connectMs,
      fs: stores.fs,
      chainId: i.chainId,
      nodeKey: i.nodeKey(),
      blockLimits: i.limits,
      log,
      dataDir: c.data_dir,
    });
  if (!restart && c.network.bootstrap) {
    bootstrapped = await bootstrap(c.network.bootstrap, true);
  } else if (restart && !networkStop && targets.length > 0) {
    // a restart inside a network: our final state is on disk; the graph comes from a peer too
    const got = await fetchGraph(targets, stored.length === 0, bootstrap, stores.fs, log);
    const behind = got && tooFarBehind(got.blocks, stores.fs, i);
    if (got && behind) {
      // Massa's node bootstraps at every start; ours only when it must: its state is older than what
      // peers keep, or than the draws reach
      log.warn(
        { finalSlot: stores.fs.lastFinalSlot!.toJSON(), peer: got.peer, why: behind },
        "our final state is too old to catch up: bootstrapping it again",
      );
      await closeStores(stores);
      clearDataDir(c.data_dir, ["node_key"]);
      stores = await openStores(i);
      restart = false;
      stored = [];
      bootstrapped = await bootstrap(got.peer, true);
    } else {
      bootstrapped = got?.blocks;
    }
  } else if (!restart) {
    stores.fs.initGenesis(loadInitialLedger(c.initial_ledger), i.initialRolls);
    log.info({ dataDir: c.data_dir, fresh }, "genesis written");
  } else {
    log.info(
      { dataDir: c.data_dir, finalSlot: stores.fs.lastFinalSlot!.toJSON() },
      "continuing from the final state",
    );
  }
  const { fs, blockStore } = stores;
  const nowSlot = i.slotAt();
  const fin = fs.lastFinalSlot!;

  // a restart after a network-wide stop: the downtime up to last_start_period is interpolated below
  const lsp = c.last_start_period;
  if (lsp !== undefined && nowSlot && lsp > nowSlot.period) {
    await fail(
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
    nowSlot.cycle(c.periods_per_cycle) > resumeFrom.cycle(c.periods_per_cycle) + 2
  ) {
    await fail(
      `the final state in ${c.data_dir} is at ${resumeFrom} (cycle ${resumeFrom.cycle(c.periods_per_cycle)}) but the clock is at ${nowSlot}: ` +
        "draws are only known two cycles ahead of the final state, so the chain cannot resume after so long a stop. " +
        `Restart the network with last_start_period = ${nowSlot.period} (the same on every node; a one-node devnet does it itself), ` +
        "bootstrap from a live peer (network.bootstrap), or start a new devnet (remove its directory).",
    );
  }
  const { selector, feedCycle } = await startDraws(i, fs, downtimeEnd, nowSlot);
  const genesis = Array.from({ length: c.thread_count }, (_, t) => genesisHeader(t, i.genesisKey));
  if (bootstrapped) bootstrapped = await checkFetched(bootstrapped, genesis, selector, fs, i, log, fail);
  const consensusConfig = {
    threadCount: c.thread_count,
    endorsementCount: c.endorsement_count,
    deltaF0: c.delta_f0,
    operationValidityPeriods: c.operation_validity_periods,
  };
  // the final state's executed operations: read here until the execution thread's mirror takes over
  let executedCheck = (id: OperationId) => fs.isExecuted(id);
  const isFinalExecuted = (id: OperationId) => executedCheck(id);
  // The roots: after a network-wide stop, the genesis blocks (as on every node); else our stored final
  // blocks, or a peer's (plus our genesis blocks for threads without one). The final floor is our final
  // state's slot: a block at a slot it has settled is stale, whoever sends it.
  const peerFinals = bootstrapped?.filter((b) => b.final).map((b) => b.block) ?? [];
  const roots = downtimeEnd ? [] : stored.length > 0 ? stored : peerFinals;
  let graph: BlockGraph;
  if (roots.length > 0) {
    graph = BlockGraph.fromFinalBlocks(
      consensusConfig,
      [...genesis.map((header) => ({ header, operations: [] })), ...roots],
      selector,
      isFinalExecuted,
      fs.lastFinalSlot,
    );
    if (roots === peerFinals) blockStore.putFinal(peerFinals);
  } else {
    graph = new BlockGraph(consensusConfig, genesis, selector, isFinalExecuted);
    if (restart) graph.setFinalFloor(fs.lastFinalSlot!);
  }
  // a restarted node with peers produces only once its graph holds the blocks that made its final
  // state's last slot final (otherwise it would build on parents its peers have long left behind)
  const produceFrom =
    restart && !downtimeEnd && (c.network.peers.length > 0 || c.network.bootstrap)
      ? fs.lastFinalSlot!.index(c.thread_count)
      : -1;
  // the blocks that were active when we stopped come back first (their own checks run again)
  const storedActive = restart && !downtimeEnd ? blockStore.loadActive() : [];
  for (const b of storedActive) graph.addBlock(b, i.slotAt());
  if (bootstrapped) {
    const now = i.slotAt();
    const rootIds = new Set(roots.map((b) => b.header.id.key));
    const rest = bootstrapped
      .filter((b) => !rootIds.has(b.block.header.id.key))
      .sort((x, y) => Slot.compare(x.block.header.content.slot, y.block.header.content.slot));
    for (const b of rest) graph.addBlock(b.block, now);
  }
  log.info(
    {
      finalSlot: fs.lastFinalSlot!.toJSON(),
      storedBlocks: stored.length,
      storedActive: storedActive.length,
      peerBlocks: bootstrapped?.length ?? 0,
      roots: roots.length,
    },
    "consensus graph built",
  );
  return {
    fs,
    blockStore,
    selector,
    graph,
    produceFrom,
    feedCycle,
    useExecutedCheck: (f) => {
      executedCheck = f;
    },
  };
}

/**
 * Every block a peer sent whole (its final blocks may become our roots, its active ones enter consensus)
 * passes the checks of a relayed block, operation signatures and producer included; genesis blocks must
 * be ours. One that fails stops the start: the server is broken or hostile. A block past our final state
 * whose draws we do not know cannot be checked: a final one stops the start too, an active one is left out
 * (relays bring it back once the draws are known). Returns the blocks kept.
 */
async function checkFetched(
  blocks: readonly FetchedBlock[],
  genesis: readonly SignedBlockHeader[],
  selector: Selector,
  fs: FinalState,
  i: StartupInputs,
  log: Logger,
  fail: (message: string) => Promise<never>,
): Promise<FetchedBlock[]> {
  const ours = new Set(genesis.map((h) => h.id.key));
  const config = { limits: i.limits, operationValidityPeriods: i.config.operation_validity_periods };
  // draws being computed (in the worker pool) are waited for; a cycle never fed is not drawn
  const cycles = new Map<number, Promise<boolean>>();
  const drawn = (h: SignedBlockHeader): Promise<boolean> => {
    const cycle = h.content.slot.cycle(i.config.periods_per_cycle);
    let p = cycles.get(cycle);
    if (!p) {
      p = selector.waitForDraws(cycle).then(
        () => true,
        () => false,
      );
      cycles.set(cycle, p);
    }
    return p;
  };
  // blocks of slots our final state has settled may be older than the draws it keeps: checked but for the
  // producer (they are history: the state already holds what they did)
  const settled = fs.lastFinalSlot!;
  const kept: FetchedBlock[] = [];
  let undrawn = 0;
  for (const b of blocks) {
    const h = b.block.header;
    let why: string | undefined;
    if (h.content.slot.period === 0)
      why = ours.has(h.id.key) ? undefined : "a genesis block not of this chain";
    else if (Slot.compare(h.content.slot, settled) > 0 && !(await drawn(h))) {
      if (!b.final) {
        undrawn++;
        continue;
      }
      why = `no draws known for its slot ${h.content.slot}`;
    } else {
      await drawn(h); // the producer is checked when the draws exist
      why = checkWholeBlock(h, b.block.operations, selector, config);
    }
    if (why)
      await fail(
        `the peer we bootstrapped from sent block ${h.id} at ${h.content.slot} that fails its checks (${why}): ` +
          "it is broken or hostile. Remove the data dir and bootstrap from another node.",
      );
    kept.push(b);
  }
  if (undrawn > 0) log.info({ left: undrawn }, "fetched blocks past the draws we know: left to relays");
  return kept;
}

/**
 * The selector, fed the initial rolls and every completed cycle of the final state's history, then each
 * cycle the final state completes (draws of cycle C + 2); the downtime, if any, interpolated meanwhile.
 */
async function startDraws(
  i: StartupInputs,
  fs: FinalState,
  downtimeEnd: Slot | undefined,
  nowSlot: Slot | undefined,
): Promise<{
  selector: Selector;
  feedCycle: (info: CycleInfo, previous: CycleInfo | undefined) => void;
}> {
  const c = i.config;
  const selector = new Selector({
    config: {
      periodsPerCycle: c.periods_per_cycle,
      threadCount: c.thread_count,
      endorsementCount: c.endorsement_count,
    },
    genesisAddress: i.genesisAddress,
    cacheSize: 8,
  });
  selector.feedInitialCycles(i.initialRolls);
  // restart: draws of the cycles after the history's completed ones
  for (const { cycle, complete } of fs.cycles()) {
    if (!complete) continue;
    try {
      selector.feedCompletedCycle(fs.cycleInfo(cycle)!, fs.cycleInfo(cycle - 1));
    } catch {
      // too old to matter (its previous cycle left the history)
    }
  }
  /** Cycles completed while interpolating a downtime are not drawn when they end before this one. */
  let skipDrawsBefore = 0;
  const feedCycle = (info: CycleInfo, previous: CycleInfo | undefined) => {
    // while a long downtime is interpolated, only the draws the restarted chain will use are worth making
    if (info.cycle + 2 < skipDrawsBefore) return;
    try {
      const d = selector.feedCompletedCycle(info, previous);
      i.log.debug({ completed: info.cycle, drawing: d }, "cycle completed: drawing");
    } catch (e) {
      i.log.error({ cycle: info.cycle, err: (e as Error).message }, "cannot feed the selector");
    }
  };
  fs.onCycleCompleted((info: CycleInfo) => feedCycle(info, fs.cycleInfo(info.cycle - 1)));
  if (downtimeEnd) {
    const fin = fs.lastFinalSlot!;
    const slots = downtimeEnd.index(c.thread_count) - fin.index(c.thread_count);
    i.log.info(
      { from: fin.toJSON(), to: downtimeEnd.toJSON(), slots, lastStartPeriod: c.last_start_period },
      "restart after a network-wide stop: interpolating the downtime",
    );
    const bar = new ProgressBar("interpolating the downtime");
    skipDrawsBefore = (nowSlot ?? downtimeEnd).cycle(c.periods_per_cycle) - 1;
    await fs.interpolateDowntime(downtimeEnd, (done, total) => bar.update(done, total));
    bar.finish(`${slots} slots`);
    skipDrawsBefore = 0;
    i.log.info(
      { finalSlot: fs.lastFinalSlot!.toJSON(), hash: fs.stateHash.toString() },
      "downtime interpolated",
    );
    await selector.waitForDraws((nowSlot ?? downtimeEnd).cycle(c.periods_per_cycle));
  } else {
    await Promise.all([0, 1].map((d) => selector.waitForDraws(d)));
  }
  return { selector, feedCycle };
}

interface Stores {
  readonly fs: FinalState;
  readonly blockStore: BlockStore;
}

/** The final state (LMDB) and the block store beside it, in the data dir. */
async function openStores(i: StartupInputs): Promise<Stores> {
  const c = i.config;
  const fs = await FinalState.open({
    path: c.data_dir,
    chainId: i.chainId,
    threadCount: c.thread_count,
    periodsPerCycle: c.periods_per_cycle,
  });
  return { fs, blockStore: BlockStore.open(c.data_dir, i.chainId, i.limits) };
}

export async function closeStores(s: Partial<Stores>): Promise<void> {
  await s.blockStore?.close();
  await s.fs?.close();
}

/**
 * A restarted node's graph from whichever of `targets` answers first (all asked at once, 2 s to connect).
 * Undefined when none does (a whole network restarting at once): the node then starts on its stored
 * blocks alone and fetches what it lacks from its peers' announcements. `required`: no stored blocks to
 * fall back on.
 */
async function fetchGraph(
  targets: readonly string[],
  required: boolean,
  bootstrap: (target: string, state: boolean, connectMs: number) => Promise<FetchedBlock[]>,
  fs: FinalState,
  log: Logger,
): Promise<{ peer: string; blocks: FetchedBlock[] } | undefined> {
  try {
    const got = await Promise.any(
      [...new Set(targets)].map(async (peer) => ({ peer, blocks: await bootstrap(peer, false, 2_000) })),
    );
    log.info({ peer: got.peer, blocks: got.blocks.length }, "graph fetched from a peer");
    return got;
  } catch (e) {
    const why = e instanceof AggregateError ? e.errors.map((x) => (x as Error).message) : [String(e)];
    log.warn({ peers: targets, errors: why }, "no peer answered with its graph");
  }
  if (required)
    log.warn(
      { finalSlot: fs.lastFinalSlot?.toJSON() },
      "no stored final blocks and no peer answered: not producing until peers' blocks reach our final slot",
    );
  return undefined;
}

/**
 * Why our final state cannot catch up with a peer's graph, if it cannot: the peer no longer keeps the
 * final blocks right after our final slot, or the clock is two cycles or more past it (the current draws
 * would come only from slots nobody can produce any more, and the peer's recent blocks cannot be checked).
 */
function tooFarBehind(blocks: readonly FetchedBlock[], fs: FinalState, i: StartupInputs): string | undefined {
  const ppc = i.config.periods_per_cycle;
  const fin = fs.lastFinalSlot!;
  const finals = blocks.filter((b) => b.final).map((b) => b.block.header.content.slot.period);
  const oldest = finals.length > 0 ? Math.min(...finals) : 0;
  if (oldest > fin.period + 1) return `the peer keeps final blocks from period ${oldest} only`;
  const now = i.slotAt();
  // final in cycle C: cycles up to C − 1 are complete, so draws are known up to cycle C + 1
  if (now && now.cycle(ppc) >= fin.cycle(ppc) + 2)
    return `the clock is at ${now}, two cycles or more past the final slot (the current draws are unknown to us)`;
  return undefined;
}
