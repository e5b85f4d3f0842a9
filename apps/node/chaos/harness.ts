// The agreement harness (`pnpm chaos`): N staking nodes as separate OS processes, transfers and roll
// operations flowing through the JSON-RPC API the whole time, and faults injected on a seeded schedule:
// SIGKILL and restart, a node bootstrapping into the running network, a node stopped past the graph's
// horizon and restarted, a partition that heals. Every node's final state hashes are compared at every
// final slot; the run fails at the first disagreement, naming the slot and the nodes. (Just over 400 lines:
// the fault loop and the final checks share the run's state and read best together.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Amount, Slot } from "@massa-ts/models";
import { prng } from "@massa-ts/models/testing";
import { type AttackResult, AttackRun } from "./attack-watch.ts";
import { type ChaosNode, Cluster } from "./cluster.ts";
import { FinalBlocks } from "./final-blocks.ts";
import { call, Load, type SentTransfer } from "./load.ts";

export interface ChaosOptions {
  readonly minutes: number;
  readonly nodes: number;
  readonly seed: number;
  /** Period length, ms (the devnet's default is 1000). */
  readonly t0: number;
  /** Operations sent per second. */
  readonly rate: number;
  /** Mean seconds between two faults. */
  readonly faultEvery: number;
  /** Stops past the graph's horizon (64 periods, plus a margin): each takes ~75 periods. */
  readonly longStops: number;
  readonly bootstraps: number;
  readonly partitions: number;
  /** Whole-network stops (every staking node SIGTERMed, then all restarted). */
  readonly restarts: number;
  /** An attacker process against the staking nodes all along (attacker.ts); no honest node may be banned. */
  readonly attacker?: boolean;
  readonly dir?: string;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly ok: boolean;
  readonly summary: string;
  readonly disagreement?: string;
  readonly faults: {
    kills: number;
    bootstraps: number;
    longStops: number;
    partitions: number;
    restarts: number;
  };
  readonly slotsCompared: number;
  readonly joinerPeriods: readonly number[];
  readonly transfersSent: number;
  readonly transfersFinal: number;
  /** Transfers whose whole validity overlapped a stop of every node (pools are not persisted). */
  readonly transfersLostToStops: number;
  /** The attacker run: its counts, the bans of every honest node by reason, honest nodes banned. */
  readonly attack?: AttackResult;
  readonly dir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Fault = "kill" | "bootstrap" | "longStop" | "partition" | "restartAll";

/** About how long each fault takes, in periods (a node's start included). */
const RARE_FAULT_PERIODS: Record<Fault, number> = {
  kill: 10,
  bootstrap: 55,
  longStop: 90,
  partition: 12,
  restartAll: 20,
};

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const rand = prng(o.seed);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "massa-ts-chaos-"));
  const cluster = await Cluster.create(dir, o.nodes, o.t0);
  const attack = o.attacker ? new AttackRun(dir, cluster) : undefined;
  const slotCfg = {
    threadCount: 4,
    periodsPerCycle: 32,
    t0: o.t0,
    genesisTimestamp: cluster.genesisTimestamp,
  };
  const period = () => Slot.latestAt(Date.now(), slotCfg)?.period ?? 0;
  const load = new Load(cluster.accounts, 77n, prng(o.seed ^ 0x9e3779b9));
  // the chain's final blocks and their operations: what the final balances must add up to
  const chain = new FinalBlocks();
  const faults = { kills: 0, bootstraps: 0, longStops: 0, partitions: 0, restarts: 0 };
  // slot → hash and the node that reported it first
  const seen = new Map<string, { hash: string; node: string }>();
  const compared = new Set<string>();
  let disagreement: string | undefined;
  let transfersFinal = 0;
  /** Whole-network stops, [first, last] period. */
  const networkStops: [number, number][] = [];
  let lostToStops = 0;
  /** Per joiner: periods of final slots compared with the others after its bootstrap. */
  const joinerPeriods: number[] = [];
  const started = Date.now();
  const deadline = started + o.minutes * 60_000;
  o.log(`chaos: seed ${o.seed}, ${o.nodes} nodes, ${o.minutes} min, data in ${dir}`);

  const checkHashes = async (nodes: readonly ChaosNode[]) => {
    await Promise.all(
      nodes.map(async (n) => {
        let list: { slot: { period: number; thread: number }; hash: string }[];
        try {
          list = await call(n.publicApi, "get_final_state_hashes", [], 3000);
        } catch {
          return; // starting, stopping or killed
        }
        for (const h of list) {
          const k = `${h.slot.period},${h.slot.thread}`;
          const first = seen.get(k);
          if (!first) seen.set(k, { hash: h.hash, node: n.name });
          else if (first.node !== n.name) {
            compared.add(k);
            if (first.hash !== h.hash && !disagreement)
              disagreement = `final state hashes differ at slot (${k}): ${first.node} ${first.hash.slice(0, 16)}… vs ${n.name} ${h.hash.slice(0, 16)}…`;
          }
        }
      }),
    );
  };

  /** A staking node whose own draws over the next 10 periods weigh well under DELTA_F0 (68), if any. */
  const isolable = async (candidates: readonly ChaosNode[]): Promise<ChaosNode | undefined> => {
    const url = cluster.running()[0]?.publicApi;
    if (!url) return undefined;
    const now = period();
    const within = (p: number) => p >= now && p <= now + 10;
    for (const n of candidates) {
      const [info] = await call<
        { next_block_draws: { period: number }[]; next_endorsement_draws: { slot: { period: number } }[] }[]
      >(url, "get_addresses", [[n.stakerAddress]]).catch(() => []);
      if (!info) continue;
      const blocks = info.next_block_draws.filter((s) => within(s.period)).length;
      const endorsements = info.next_endorsement_draws.filter((e) => within(e.slot.period)).length;
      // its blocks, each endorsed by its own share of the 16 endorsements (4 threads × 11 periods of them)
      if (blocks * (1 + (16 * endorsements) / (16 * 4 * 11)) < 50) return n;
    }
    return undefined;
  };

  const waitReady = async (n: ChaosNode, ms = 120_000) => {
    const end = Date.now() + ms;
    while (!(await cluster.ready(n))) {
      if (!n.proc) throw new Error(`${n.name} exited (see ${join(n.dir, "node.log")})`);
      if (Date.now() > end) throw new Error(`${n.name} did not answer within ${ms / 1000} s`);
      await sleep(200);
    }
  };

  // the load runs in the background for the whole run
  let loading = true;
  const loadLoop = (async () => {
    const gap = 1000 / o.rate;
    let next = Date.now();
    while (loading) {
      if (period() < 1) {
        // nothing can be included before the first slot (genesis is 20 s after the devnet's creation)
        await sleep(200);
        next = Date.now();
        continue;
      }
      const urls = cluster.running().map((n) => n.publicApi);
      void load.sendOne(urls, period()).catch(() => {});
      next += gap;
      await sleep(Math.max(0, next - Date.now()));
    }
  })();
  let resendErrorAt = 0;
  const checkLoop = (async () => {
    let round = 0;
    while (loading && !disagreement) {
      await checkHashes(cluster.running());
      await attack?.poll();
      const running = cluster.running();
      if (running.length > 0) await chain.poll(running[round % running.length]!.publicApi);
      if (round++ % 2 === 0) {
        const urls = cluster.running().map((n) => n.publicApi);
        await load.resendPending(urls, period()).catch((e: unknown) => {
          if (Date.now() - resendErrorAt > 10_000) o.log(`chaos: resend: ${(e as Error).message}`);
          resendErrorAt = Date.now();
        });
      }
      await sleep(1000);
    }
  })();

  try {
    for (const n of cluster.nodes) cluster.start(n);
    await Promise.all(cluster.nodes.map((n) => waitReady(n)));
    o.log(`chaos: ${o.nodes} nodes up`);
    if (attack) {
      while (period() < 1) await sleep(200);
      attack.start({ seed: o.seed, t0: o.t0, genesisTimestamp: slotCfg.genesisTimestamp });
      o.log(`chaos: attacker started (its log: ${join(dir, "attacker.log")})`);
    }
    // the plan: kills in between the rarer faults, spread over the run
    // (stops past the horizon first: each takes 75 periods)
    const plan: Fault[] = [
      ...Array<Fault>(o.longStops).fill("longStop"),
      ...[
        ...Array<Fault>(o.bootstraps).fill("bootstrap"),
        ...Array<Fault>(o.partitions).fill("partition"),
        ...Array<Fault>(o.restarts).fill("restartAll"),
      ].sort(() => rand() - 0.5),
    ];
    const stakers = cluster.nodes.filter((n) => n.staking);
    // faults begin once the chain runs (genesis is 20 s after the devnet's creation)
    while (period() < 4) await sleep(200);
    await sleep(o.faultEvery * 1000);
    let lastLog = Date.now();
    let faultIndex = 0;
    while (Date.now() < deadline && !disagreement) {
      const remaining = deadline - Date.now();
      // every third fault is one of the planned rarer ones while any is left, and every one once the time
      // left would not hold them all (the long ones took it: every planned fault is run); the others are SIGKILLs
      const due = plan.reduce((ms, f) => ms + RARE_FAULT_PERIODS[f] * o.t0, 0) + o.faultEvery * 1000;
      let kind: Fault =
        plan.length > 0 && (faultIndex++ % 3 === 2 || remaining < due) ? plan.shift()! : "kill";
      if (kind === "longStop" && period() < 70) {
        // the peers keep 64 periods of final blocks: before that, a long stop is just a slow restart
        plan.unshift(kind);
        kind = "kill";
      }
      if (kind === "longStop" && remaining < 100 * o.t0) continue;
      const victim = stakers[Math.floor(rand() * stakers.length)]!;
      if (kind === "kill") {
        await cluster.stop(victim, "SIGKILL");
        faults.kills++;
        await sleep(300 + rand() * 3000);
        cluster.start(victim);
        await waitReady(victim);
      } else if (kind === "longStop") {
        // past the graph's horizon (64 periods): the node must notice it is too old and bootstrap again
        await cluster.stop(victim, rand() < 0.5 ? "SIGKILL" : "SIGTERM");
        faults.longStops++;
        o.log(`chaos: ${victim.name} stopped for ${75 * o.t0} ms (past the peers' horizon)`);
        await sleep(75 * o.t0);
        cluster.start(victim);
        await waitReady(victim);
      } else if (kind === "bootstrap") {
        const from = cluster.running().filter((n) => n.staking);
        const joiner = await cluster.addJoiner(from[Math.floor(rand() * from.length)]!);
        faults.bootstraps++;
        cluster.start(joiner);
        await waitReady(joiner);
        o.log(`chaos: ${joiner.name} bootstrapped`);
        // the README's joiner recipe under load: 40 periods after its bootstrap, every final slot it shares
        // with the others has their hash (checkHashes stops the run at the first that differs)
        const stay = Math.min(42 * o.t0, Math.max(0, deadline - Date.now()));
        await sleep(stay);
        await checkHashes([joiner]);
        const mine = await call<{ slot: { period: number; thread: number } }[]>(
          joiner.publicApi,
          "get_final_state_hashes",
        ).catch(() => []);
        const agreed = mine.filter((h) => compared.has(`${h.slot.period},${h.slot.thread}`));
        const periods = agreed.length === 0 ? 0 : agreed.at(-1)!.slot.period - agreed[0]!.slot.period;
        joinerPeriods.push(periods);
        // it must keep up, not only agree: at least 30 of the 42 periods it stayed
        if (stay === 42 * o.t0 && periods < 30)
          disagreement ??= `${joiner.name} fell behind: its final slots span ${periods} periods of the ${stay / o.t0} it ran (see ${join(joiner.dir, "node.log")})`;
        await cluster.stop(joiner, "SIGTERM");
        cluster.remove(joiner);
      } else if (kind === "restartAll") {
        // every staking node stopped at once (SIGTERM) and restarted: the README's separate-processes
        // recipe, each node resuming from its own final state and stored final blocks
        faults.restarts++;
        const from = period();
        await Promise.all(stakers.map((n) => cluster.stop(n, "SIGTERM")));
        await sleep(500 + rand() * 2000);
        for (const n of stakers) cluster.start(n);
        await Promise.all(stakers.map((n) => waitReady(n)));
        networkStops.push([from, period()]);
      } else {
        // Honest partitions only: a side drawn for enough slots finalizes on its own (the blockclique rule
        // assumes a synchronous network; Massa's too), and two sides doing so is a fork no node can repair.
        // So a 2 | 2 split lasts 2 periods (no side can gather DELTA_F0 of fitness in 8 slots), and a node is
        // cut off for 8 periods only if its own draws there cannot add up to DELTA_F0 (rolls move: long stops
        // sell a node's rolls, and the buyer's grow).
        const shuffled = [...stakers].sort(() => rand() - 0.5);
        const alone = faults.partitions % 2 === 1 ? await isolable(shuffled) : undefined;
        const even = alone === undefined;
        const a = alone ? [alone] : shuffled.slice(0, Math.floor(stakers.length / 2));
        const b = shuffled.filter((n) => !a.includes(n));
        faults.partitions++;
        o.log(`chaos: partition ${a.map((n) => n.name)} | ${b.map((n) => n.name)}`);
        await Promise.all([...a.map((n) => cluster.block(n, b)), ...b.map((n) => cluster.block(n, a))]);
        await sleep((even ? 2 : 8) * o.t0);
        await Promise.all([...a.map((n) => cluster.heal(n, b)), ...b.map((n) => cluster.heal(n, a))]);
      }
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        o.log(
          `chaos: ${Math.round((Date.now() - started) / 1000)} s, faults ${JSON.stringify(faults)}, slots compared ${compared.size}, transfers sent ${load.transfers.length}`,
        );
      }
      await sleep(o.faultEvery * 1000 * (0.5 + rand()));
    }
    // the end: no more attacks, no more load; every transfer is final on every node, exactly once (balances)
    await attack?.stop();
    loading = false;
    await loadLoop;
    await checkLoop;
    if (!disagreement) await finalChecks();
    if (cluster.hungStops.length > 0)
      disagreement ??= `${cluster.hungStops.join(", ")} did not stop within 30 s of SIGTERM (see the node's log: "stopping: still waiting")`;
    if (attack) disagreement ??= await attack.verdict();
  } catch (e) {
    disagreement ??= `harness stopped: ${(e as Error).message}`;
  } finally {
    loading = false;
    await attack?.stop();
    await cluster.stopAll();
  }
  const seconds = (Date.now() - started) / 1000;
  const ok = disagreement === undefined;
  // a temporary directory goes once the run passed; a failed run keeps its node logs for reading
  if (ok && !o.dir) rmSync(dir, { recursive: true, force: true });
  const summary =
    `chaos ${ok ? "ok" : "FAILED"}: seed ${o.seed}, ${o.nodes} nodes, ${seconds.toFixed(0)} s; faults ${faults.kills + faults.bootstraps + faults.longStops + faults.partitions + faults.restarts} ` +
    `(${faults.kills} SIGKILL+restart, ${faults.bootstraps} bootstraps, ${faults.longStops} stops past the horizon, ${faults.partitions} partitions, ${faults.restarts} whole-network restarts); ` +
    `final slots compared ${compared.size}` +
    `${joinerPeriods.length > 0 ? ` (joiners agreed over ${joinerPeriods.join(", ")} periods)` : ""}; ` +
    `transfers final ${transfersFinal}/${load.transfers.length} (+${load.rollOps} roll ops, ${load.unsent} unsent, ${load.resent} sent again${lostToStops > 0 ? `, ${lostToStops} lost in a whole-network stop` : ""}); ` +
    `${(transfersFinal / seconds).toFixed(1)} tx/s${attack ? `; ${attack.summary()}` : ""}` +
    `${disagreement ? `; ${disagreement}` : ""}`;
  return {
    ok,
    summary,
    ...(disagreement ? { disagreement } : {}),
    faults,
    slotsCompared: compared.size,
    joinerPeriods,
    transfersSent: load.transfers.length,
    transfersFinal,
    transfersLostToStops: lostToStops,
    ...(attack ? { attack: attack.result() } : {}),
    dir,
  };

  async function finalChecks(): Promise<void> {
    const stopPeriod = Math.max(period(), load.lastExpiry) + 2;
    const live = cluster.nodes.filter((n) => n.staking);
    const end = Date.now() + 120_000;
    for (;;) {
      const finals = await Promise.all(
        live.map((n) =>
          call<{ execution_stats: { final_cursor: { period: number } } }>(n.publicApi, "get_status", [{}])
            .then((s) => s.execution_stats.final_cursor.period)
            .catch(() => -1),
        ),
      );
      const urls = live.map((n) => n.publicApi);
      await load.resendPending(urls, period()).catch(() => {});
      if (finals.every((p) => p > stopPeriod) && load.undecided === 0) break;
      if (Date.now() > end)
        throw new Error(
          `final periods ${finals} did not pass ${stopPeriod}, or ${load.undecided} transfers stayed undecided, in 120 s`,
        );
      await sleep(500);
    }
    await checkHashes(live);
    // the chain's record completed: every final block up to the end, from any live node
    for (const n of live) await chain.poll(n.publicApi);
    const gap = chain.gap();
    if (gap) disagreement ??= `the harness's record of the final blocks is incomplete: ${gap}`;
    const inChain = (t: SentTransfer) => chain.blocksOf(t.id).length > 0;
    // consensus never lets an operation into two final blocks; and what a node answered final is in one
    const twice = load.transfers.find((t) => chain.blocksOf(t.id).length > 1);
    if (twice)
      disagreement ??= `transfer ${twice.id} is in ${chain.blocksOf(twice.id).length} final blocks: ${chain.blocksOf(twice.id).join(", ")}`;
    const answeredFinal = [...load.final].find((id) => chain.blocksOf(id).length === 0);
    if (answeredFinal)
      disagreement ??= `transfer ${answeredFinal} was answered final by a node but is in no final block`;
    const initial = cluster.accounts.map((a) => Amount.fromMas(a.balance).nano);
    const expected = load.expectedBalances(initial, inChain);
    transfersFinal = load.transfers.filter(inChain).length;
    // Pools are not persisted (Massa's neither): a transfer whose whole validity overlapped a stop of every
    // node can die with them. Any other transfer that expired without becoming final is a failure. (A
    // transfer counted lost may still be in a final block: executed, then its record pruned before the
    // harness asked again, which a whole-network stop makes likely.)
    const overStop = (t: SentTransfer) =>
      networkStops.some(([from, to]) => t.sentPeriod <= to && t.expirePeriod >= from);
    const lost = load.transfers.filter((t) => load.lost.has(t.id) && !inChain(t));
    lostToStops = lost.filter(overStop).length;
    const unexplained = lost.filter((t) => !overStop(t));
    if (unexplained.length > 0)
      disagreement ??= `${unexplained.length} transfers sent (and sent again) expired without becoming final, e.g. ${unexplained[0]!.id} (periods ${unexplained[0]!.sentPeriod}..${unexplained[0]!.expirePeriod}; counted lost from ${load.lost.get(unexplained[0]!.id)}'s answers)`;
    for (const n of live) {
      const infos = await call<{ address: string; final_balance: string }[]>(n.publicApi, "get_addresses", [
        load.addressTexts,
      ]);
      const got = infos.map((i) => Amount.fromMas(i.final_balance).nano);
      if (got.some((g, i) => g !== expected[i])) {
        transfersFinal = 0;
        // amounts are distinct: a balance off by one transfer's amount names it
        const off = got.map((g, i) => (g > expected[i]! ? g - expected[i]! : expected[i]! - g));
        const named = load.transfers
          .filter((t) => off.includes(t.nano))
          .map(
            (t) =>
              `${t.id} (${t.from}→${t.to}, ${t.nano} nano, in final blocks: ${chain.blocksOf(t.id).length}, answered final: ${load.final.has(t.id)})`,
          );
        disagreement ??= `${n.name}: final balances ${got} differ from the expected ${expected} (every transfer of the ${chain.size} final blocks executed once)${named.length > 0 ? `; off by ${named.join(", ")}` : ""}`;
      }
    }
  }
}
