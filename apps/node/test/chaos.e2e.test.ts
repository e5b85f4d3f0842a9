// The agreement harness's short run (pnpm chaos, chaos/harness.ts): 4 staking nodes as separate OS
// processes, transfers and roll operations flowing through JSON-RPC, and on a seeded schedule SIGKILLs and
// restarts, a node bootstrapping into the running network, a partition that heals and a whole-network stop
// and restart. Every final slot's state hash must agree on every node, and every transfer sent must be
// final exactly once (the four accounts' final balances, on every node). Runs after the other node tests
// (its own vitest project), so that it does not compete with them for the two cores.
import { expect, it } from "vitest";
import { runChaos } from "../chaos/harness.ts";

it("chaos: separate processes under load and faults never disagree", async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`chaos seed ${seed} (CHAOS_SEED=${seed} replays the schedule)`);
  const r = await runChaos({
    minutes: 2.5,
    nodes: 4,
    seed,
    t0: 1000,
    rate: 8,
    faultEvery: 4,
    bootstraps: 1,
    partitions: 1,
    restarts: 1,
    longStops: 0,
    log: (line) => console.log(line),
  });
  console.log(r.summary);
  expect(r.disagreement, r.summary).toBeUndefined();
  expect(r.faults.kills).toBeGreaterThanOrEqual(3);
  expect(r.faults.bootstraps + r.faults.partitions + r.faults.restarts).toBeGreaterThanOrEqual(2);
  expect(r.slotsCompared).toBeGreaterThan(200);
  // every transfer final, but those whose whole validity overlapped the stop of every node (pools die
  // with the processes, as Massa's do): a handful, reported
  expect(r.transfersFinal + r.transfersLostToStops).toBe(r.transfersSent);
  expect(r.transfersLostToStops).toBeLessThan(r.transfersSent / 10);
  expect(r.transfersSent).toBeGreaterThan(300);
}, 330_000);
