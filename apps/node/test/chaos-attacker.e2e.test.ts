// Issue 17's "proof that it works": the chaos harness's short run with its attacker (pnpm chaos --attacker,
// chaos/attacker.ts), a separate process that, against each of the 4 staking nodes under load and faults,
// relays operations larger than a block, asks for one operation id 5 000 times (askOps) and 16 × 128 times
// (get_operations), floods operations of unfunded keys at ten times the per-peer budget, sends operations
// from empty addresses with a huge fee through the API, and spams headers far ahead and by undrawn keys.
// The nodes must still agree on every final slot and finalize every honest transfer; they ban the attacker's
// keys (counted by reason), never an honest node, never the flooder. Runs in the "chaos" project.
import { expect, it } from "vitest";
import { runChaos } from "../chaos/harness.ts";

it("chaos with an attacker: no disagreement, honest transfers final, attackers banned, no honest node banned", async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`chaos attacker seed ${seed} (CHAOS_SEED=${seed} replays the schedule)`);
  const r = await runChaos({
    minutes: 2,
    nodes: 4,
    seed,
    t0: 1000,
    rate: 8,
    faultEvery: 6,
    bootstraps: 0,
    partitions: 1,
    restarts: 0,
    longStops: 0,
    attacker: true,
    log: (line) => console.log(line),
  });
  console.log(r.summary);
  expect(r.disagreement, r.summary).toBeUndefined();
  const a = r.attack!;
  expect(a.honestBanned, r.summary).toBe(0);
  // the attacks were seen: the large operations' senders banned (and the undrawn headers' ones, usually)
  expect(a.bans, r.summary).toBeGreaterThan(0);
  expect(a.byReason["operation over block size"] ?? 0, r.summary).toBeGreaterThan(0);
  const c = a.counts!;
  expect(c.rounds).toBeGreaterThan(10);
  expect(c.flooded).toBeGreaterThan(0);
  expect(c.sendOps).toBeGreaterThan(0);
  expect(c.sendTaken).toBe(0);
  expect(c.askAnswers).toBeGreaterThan(0);
  expect(c.askMaxOps).toBeLessThanOrEqual(1);
  expect(c.getOpsMaxItems).toBeLessThanOrEqual(1);
  // no whole-network stop in this run: every honest transfer final
  expect(r.transfersFinal, r.summary).toBe(r.transfersSent);
  expect(r.transfersSent).toBeGreaterThan(200);
}, 240_000);
