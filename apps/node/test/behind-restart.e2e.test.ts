// Nodes restarted two cycles behind the running network (their final state in cycle C, the clock in cycle
// C + 2: the current draws are unknown to them, so they can neither check the peers' new blocks nor
// produce). Four nodes as separate processes, 16-period cycles; two are stopped early and come back in cycle
// 2. One finds a peer answering at its start and bootstraps again at once. The other starts while every
// peer refuses it (as after a whole-network restart, when nobody answers yet), so it starts on its own old
// state; once the peers take it, it sees them produce in a cycle whose draws it lacks, finds itself out of
// step and bootstraps again from them. (Before, it waited forever: the stall of the chaos runs.) Both then
// agree with the others at every final slot they share.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Slot } from "@massa-ts/models";
import { afterAll, expect, it } from "vitest";
import { type ChaosNode, Cluster } from "../chaos/cluster.ts";
import { call } from "../chaos/load.ts";
import { until } from "./wait.ts";

let cluster: Cluster | undefined;
afterAll(async () => {
  await cluster?.stopAll();
  if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
});

const PPC = 16;
const hashes = async (url: string) =>
  new Map(
    (
      await call<{ slot: { period: number; thread: number }; hash: string }[]>(url, "get_final_state_hashes")
    ).map((h) => [`${h.slot.period},${h.slot.thread}`, h.hash]),
  );
const finalPeriod = (n: ChaosNode) =>
  call<{ execution_stats: { final_cursor: { period: number } } }>(n.publicApi, "get_status", [{}]).then(
    (s) => s.execution_stats.final_cursor.period,
    () => -1,
  );
const logOf = (n: ChaosNode) => {
  try {
    return readFileSync(join(n.dir, "node.log"), "utf8");
  } catch {
    return "";
  }
};

it("nodes restarted two cycles behind bootstrap again (at once when a peer answers, else once they see peers ahead) and agree", async () => {
  const dir = mkdtempSync(join(tmpdir(), "massa-ts-behind-"));
  cluster = await Cluster.create(dir, 4, 1000, PPC);
  const c = cluster;
  const [a, b, answered, refused] = c.nodes as [ChaosNode, ChaosNode, ChaosNode, ChaosNode];
  const period = () =>
    Slot.latestAt(Date.now(), {
      threadCount: 4,
      periodsPerCycle: PPC,
      t0: 1000,
      genesisTimestamp: c.genesisTimestamp,
    })?.period ?? -1;
  for (const n of c.nodes) c.start(n);
  // two nodes stop early in cycle 0; the other two go on alone (half the stake finalizes, more slowly)
  await until(() => period() >= 3, "period 3", 60_000, 250);
  await Promise.all([c.stop(answered, "SIGTERM"), c.stop(refused, "SIGTERM")]);
  // cycle 2 begins at period 32: the stopped nodes' current draws are unknown from then on
  await until(() => period() >= 2 * PPC + 1, "cycle 2", 60_000, 250);
  expect(await finalPeriod(a)).toBeGreaterThan(PPC); // the network went on past cycle 0
  // the running peers refuse `refused` while it starts (a restart nobody answers; `answered` is still down)
  await Promise.all([c.block(a, [refused]), c.block(b, [refused])]);
  c.start(refused);
  await until(() => c.ready(refused), "the refused node to start", 60_000, 250);
  expect(logOf(refused)).toContain("no peer answered with its graph");
  await Promise.all([c.heal(a, [refused]), c.heal(b, [refused])]);
  // the other one finds a peer answering: too far behind, it bootstraps again before it starts
  c.start(answered);
  await until(() => c.ready(answered), "the node a peer answered to start", 60_000, 250);
  expect(logOf(answered)).toContain("our final state is too old to catch up: bootstrapping it again");
  // 20 periods without finality while peers produce with draws it lacks: it bootstraps again
  await until(
    () => logOf(refused).includes("out of step: our final state is too far behind"),
    "the refused node to find itself out of step",
    60_000,
    250,
  );
  await until(
    () => /bootstrap done/.test(logOf(refused)),
    "the refused node to bootstrap again",
    60_000,
    250,
  );
  // both follow the others: the same hash at every final slot they share, 20 slots at least each
  for (const n of [answered, refused]) {
    let shared = 0;
    await until(
      async () => {
        try {
          const [mine, theirs] = await Promise.all([hashes(n.publicApi), hashes(a.publicApi)]);
          const common = [...mine.keys()].filter((k) => theirs.has(k));
          for (const k of common) expect(mine.get(k), `${n.name} at slot ${k}`).toBe(theirs.get(k));
          shared = common.length;
          return shared >= 20;
        } catch (e) {
          if ((e as Error).name === "AssertionError") throw e;
          return false;
        }
      },
      `20 final slots shared by ${n.name} and ${a.name}`,
      60_000,
      250,
    );
  }
}, 300_000);
