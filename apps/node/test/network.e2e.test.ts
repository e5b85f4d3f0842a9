// A 4-node devnet on loopback (one process, real TCP between the nodes): every node stakes with its own
// key, blocks, endorsements and operations propagate, and all nodes compute the same final state hash at
// every final slot they have in common, across cycle boundaries.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, Amount, SecretKey, SignedOperation } from "@massa-ts/models";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { nodePorts } from "./ports.ts";
import { finalHashes, rpc } from "./rpc-helper.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-net-"));
const nodes: RunningNode[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

it("4 nodes agree on every final state hash over 4 cycles; a transfer is final on all; a 5th node bootstraps and a stopped node catches up", async () => {
  const ports = await nodePorts(4);
  const d = createDevnet({ dir, nodes: 4, t0: 1000, basePort: 0, ports });
  for (const p of d.configPaths) nodes.push(await runNode(loadNodeConfig(p), pino({ level: "silent" })));
  const bootstrap = `${nodes[0]!.node.nodeId}@127.0.0.1:${ports[0]!.p2p}`; // node 0, pinned
  const urls = nodes.map((n) => n.publicUrl);
  const stakers = Object.keys(
    JSON.parse(readFileSync(join(dir, "initial_rolls.json"), "utf8")) as Record<string, number>,
  );

  // a transfer submitted to node 0
  const sender = SecretKey.fromString(d.accounts[0]!.secretKey);
  const status = await rpc<{ last_slot: { period: number } | null }>(urls[0]!, "get_status", [{}]);
  const op = SignedOperation.sign(
    {
      fee: Amount.fromMas("0.01"),
      expirePeriod: (status.last_slot?.period ?? 0) + 9,
      payload: {
        type: "Transaction",
        recipient: Address.fromString(d.accounts[1]!.address),
        amount: Amount.fromMas("7"),
      },
    },
    sender,
    77n,
  );
  await rpc(urls[0]!, "send_operations", [[op.toSendOperationsInput()]]);
  // and a roll buy submitted to node 1
  const buyer = SecretKey.fromString(d.accounts[2]!.secretKey);
  const buy = SignedOperation.sign(
    {
      fee: Amount.ZERO,
      expirePeriod: (status.last_slot?.period ?? 0) + 9,
      payload: { type: "RollBuy", rollCount: 2n },
    },
    buyer,
    77n,
  );
  await rpc(urls[1]!, "send_operations", [[buy.toSendOperationsInput()]]);

  // run into cycle 4 (periods 0..31 = 4 cycles of 8)
  const finalPeriod = async (u: string) =>
    (await rpc<{ execution_stats: { final_cursor: { period: number } } }>(u, "get_status", [{}]))
      .execution_stats.final_cursor.period;
  await until(
    async () => (await Promise.all(urls.map(finalPeriod))).every((p) => p >= 4 * 8),
    "every node's final period to reach 32 (cycle 4)",
    90_000,
    100,
  );
  // get_status tells who is connected (node id → [ip, dialed by us]) and counts it; the last minute's
  // final blocks are counted too (a slot every 250 ms: most of them hold a block)
  const st = await rpc<{
    connected_nodes: Record<string, [string, boolean]>;
    network_stats: { in_connection_count: number; out_connection_count: number; active_node_count: number };
    execution_stats: { final_block_count: number };
  }>(urls[0]!, "get_status", [{}]);
  expect(Object.keys(st.connected_nodes).sort()).toEqual(
    nodes
      .slice(1)
      .map((n) => n.node.nodeId)
      .sort(),
  );
  for (const [ip] of Object.values(st.connected_nodes)) expect(ip).toMatch(/127\.0\.0\.1/);
  expect(st.network_stats.active_node_count).toBe(3);
  expect(st.network_stats.in_connection_count + st.network_stats.out_connection_count).toBe(3);
  expect(st.execution_stats.final_block_count).toBeGreaterThan(60);
  const hashes = await Promise.all(urls.map(finalHashes));
  const common = [...hashes[0]!.keys()].filter((k) => hashes.every((h) => h.has(k)));
  expect(common.length).toBeGreaterThan(40);
  expect(common.some((k) => Number(k.split(",")[0]) >= 24)).toBe(true); // past three cycle boundaries
  for (const k of common) expect(new Set(hashes.map((h) => h.get(k))).size).toBe(1);

  // every node's staker produced final blocks (draws are shared: each one's blocks reached the others)
  const infos = await rpc<{ cycle_infos: { ok_count: number; nok_count: number }[] }[]>(
    urls[3]!,
    "get_addresses",
    [stakers],
  );
  for (const a of infos) expect(a.cycle_infos.reduce((n, c) => n + c.ok_count, 0)).toBeGreaterThan(0);

  // blocks carry the other nodes' endorsements too (relayed, pooled, included): with four equal stakers a
  // producer's own key holds about 4 of the 16 endorsement draws of a slot
  const g = nodes[0]!.node.graph;
  const recent = g
    .activeBlocks()
    .filter((b) => b.slot.period >= 8)
    .map((b) => g.get(b.id)!.header);
  expect(recent.length).toBeGreaterThan(20);
  const mean = recent.reduce((n, h) => n + h.content.endorsements.length, 0) / recent.length;
  expect(mean).toBeGreaterThan(10);
  expect(
    recent.some((h) => h.content.endorsements.some((e) => !e.creatorAddress.equals(h.creatorAddress))),
  ).toBe(true);

  // every node knows which block included the transfer (whoever produced it)
  const inBlocks = await Promise.all(
    urls.map(
      async (u) => (await rpc<{ in_blocks: string[] }[]>(u, "get_operations", [[op.id.toString()]]))[0]!,
    ),
  );
  // (competing blocks of a fork may include it too: all nodes share at least the one that became final)
  const includedEverywhere = inBlocks[0]!.in_blocks.filter((b) =>
    inBlocks.every((x) => x.in_blocks.includes(b)),
  );
  expect(includedEverywhere.length).toBeGreaterThan(0);

  // the transfer given to node 0 is final everywhere
  for (const u of urls) {
    const [info] = await rpc<{ final_balance: string }[]>(u, "get_addresses", [[d.accounts[1]!.address]]);
    expect(info!.final_balance).toBe("1000007");
    const [b] = await rpc<
      {
        final_roll_count: number;
        final_balance: string;
        cycle_infos: { nok_count: number }[];
        deferred_credits: { amount: string }[];
      }[]
    >(u, "get_addresses", [[d.accounts[2]!.address]]);
    expect(b!.final_balance).toBe("999800");
    // nobody stakes with the buyer's key: once drawn, it misses, and a cycle with a miss and no block
    // sells its rolls (3 · 1 > 7 · 0): then they come back as a deferred credit of 200 MAS
    if (b!.cycle_infos.some((c) => c.nok_count > 0)) {
      expect(b!.final_roll_count + b!.deferred_credits.reduce((n, c) => n + Number(c.amount) / 100, 0)).toBe(
        2,
      );
    } else {
      expect(b!.final_roll_count).toBe(2);
    }
  }

  // a 5th node joins mid-run: it bootstraps the final state and the graph from node 0, then follows
  const c0 = loadNodeConfig(d.configPaths[0]!);
  const joiner = await runNode(
    {
      ...c0,
      data_dir: join(dir, "node-5-data"),
      staking_keys: undefined,
      api: { ...c0.api, public: "127.0.0.1:0", private: "127.0.0.1:0" },
      network: { ...c0.network, listen: "", peers: c0.network.peers, bootstrap, node_key: undefined },
    },
    pino({ level: "silent" }),
  );
  nodes.push(joiner);
  const joinedAt = await finalPeriod(joiner.publicUrl);
  expect(joinedAt).toBeGreaterThanOrEqual(4 * 8);
  await until(
    async () => (await finalPeriod(joiner.publicUrl)) >= joinedAt + 6,
    "the joiner to finalize 6 more periods",
    30_000,
    100,
  );
  const mine = await finalHashes(joiner.publicUrl);
  const theirs = await finalHashes(urls[1]!);
  const shared = [...mine.keys()].filter((k) => theirs.has(k));
  expect(shared.length).toBeGreaterThan(10);
  for (const k of shared) expect(mine.get(k)).toBe(theirs.get(k));

  // node 2 stops, misses a few periods, restarts from its own final state (graph from node 0) and catches up
  const c2 = loadNodeConfig(d.configPaths[2]!);
  await nodes[2]!.stop();
  const stoppedAt = await finalPeriod(urls[0]!);
  // it misses a few periods: the others finalize 3 more while it is down
  await until(
    async () => (await finalPeriod(urls[0]!)) >= stoppedAt + 3,
    "node 0 to finalize 3 periods while node 2 is down",
    30_000,
    100,
  );
  const back = await runNode({ ...c2, network: { ...c2.network, bootstrap } }, pino({ level: "silent" }));
  nodes[2] = back;
  await until(
    async () => (await finalPeriod(back.publicUrl)) >= stoppedAt + 8,
    "the restarted node 2 to finalize up to 8 periods past its stop",
    30_000,
    100,
  );
  expect(await finalPeriod(back.publicUrl)).toBeGreaterThanOrEqual(stoppedAt + 8);
  const after = await finalHashes(back.publicUrl);
  const ref = await finalHashes(urls[0]!);
  const both = [...after.keys()].filter((k) => ref.has(k));
  expect(both.length).toBeGreaterThan(10);
  for (const k of both) expect(after.get(k)).toBe(ref.get(k));
}, 120_000);
