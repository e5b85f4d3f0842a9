// A node that is the one out of step: four nodes as separate processes, one of them started from another
// initial ledger (its state hash, hence its draws from cycle 3 on, differ from the others'). It must not ban
// the honest peers whose blocks it refuses; it must notice that it is out of step, drop its final state,
// bootstrap again from a peer (the same API address), and then agree with the others at every final slot.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { Cluster } from "../chaos/cluster.ts";
import { call } from "../chaos/load.ts";
import { until } from "./wait.ts";

let cluster: Cluster | undefined;
afterAll(async () => {
  await cluster?.stopAll();
  if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
});

const hashes = async (url: string) =>
  new Map(
    (
      await call<{ slot: { period: number; thread: number }; hash: string }[]>(url, "get_final_state_hashes")
    ).map((h) => [`${h.slot.period},${h.slot.thread}`, h.hash]),
  );

it("a node with a wrong state bans nobody, bootstraps again by itself and then agrees", async () => {
  const dir = mkdtempSync(join(tmpdir(), "massa-ts-out-of-step-"));
  cluster = await Cluster.create(dir, 4, 1000, 8); // 8-period cycles: the draws diverge 24 periods in
  const [a, , , odd] = cluster.nodes as [
    (typeof cluster.nodes)[0],
    unknown,
    unknown,
    (typeof cluster.nodes)[0],
  ];
  // the odd node: one more account in its initial ledger, and no node key of its own in the config
  const ledger = JSON.parse(readFileSync(join(dir, "initial_ledger.json"), "utf8")) as Record<
    string,
    unknown
  >;
  ledger.AU12dG5xP1RDEB5ocdHkymNVvvSJmUL9BgHwCksDowqmGWxfpm93x = {
    balance: "1",
    bytecode: [],
    datastore: [],
  };
  writeFileSync(join(dir, "odd_ledger.json"), JSON.stringify(ledger));
  const config = readFileSync(odd.config, "utf8")
    .replace('initial_ledger = "../initial_ledger.json"', 'initial_ledger = "../odd_ledger.json"')
    .replace(/^node_key = .*$/m, "");
  writeFileSync(odd.config, config);
  for (const n of cluster.nodes) cluster.start(n);
  const log = () => {
    try {
      return readFileSync(join(odd.dir, "node.log"), "utf8");
    } catch {
      return ""; // not written yet
    }
  };
  // the genesis is 20 s away; cycle 3 (the first drawn from the states' hashes) begins 24 periods later
  await until(() => log().includes("out of step"), "the odd node to find itself out of step", 90_000, 250);
  const before = log().slice(0, log().indexOf("out of step"));
  expect(before).not.toMatch(/"reason":"protocol violation/); // it banned none of its honest peers
  await until(() => /bootstrap done/.test(log()), "the odd node to bootstrap again", 30_000, 250);
  // then it follows the others: the same hash at every final slot they share, 20 slots at least
  let shared: string[] = [];
  await until(
    async () => {
      try {
        const [mine, theirs] = await Promise.all([hashes(odd.publicApi), hashes(a.publicApi)]);
        const after = log().length;
        shared = [...mine.keys()].filter((k) => theirs.has(k));
        for (const k of shared) expect(mine.get(k), `slot ${k} (log ${after})`).toBe(theirs.get(k));
        return shared.length >= 20;
      } catch (e) {
        if ((e as Error).name === "AssertionError") throw e;
        return false;
      }
    },
    "20 shared final slots",
    30_000,
    250,
  );
}, 150_000);
