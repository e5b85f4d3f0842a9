// The node's JSON-RPC APIs, config validation and operation pool, on a real node started in-process on a
// fresh devnet (LMDB in a temp dir, real draws worker, HTTP on 127.0.0.1 with free ports).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, Amount, SecretKey, SignedOperation, Slot } from "@massa-ts/models";
import { executeScOfSize } from "@massa-ts/models/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { OperationPool } from "../src/node/pool.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-api-"));
let running: RunningNode;
let accounts: { address: string; secretKey: string }[];
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  const d = createDevnet({ dir: join(dir, "devnet"), nodes: 1, t0: 1000, basePort: 0 });
  accounts = d.accounts;
  const config = { ...loadNodeConfig(d.configPath), minimal_fees: "0.01" };
  running = await runNode(config, pino({ level: "silent" }));
}, 30_000);

async function post(body: string, url = running.publicUrl) {
  const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return {
    status: r.status,
    json: (await r.json()) as Record<string, unknown> & { error?: { code: number; message: string } },
  };
}
const call = (method: string, params: unknown[] = []) =>
  post(JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }));

function wire(op: SignedOperation) {
  return {
    serialized_content: Array.from(op.contentBytes),
    creator_public_key: op.creator.toString(),
    signature: op.signature.toString(),
  };
}

describe("public JSON-RPC", () => {
  it("get_status has the shape massa-web3 reads, and ignores params of zero-argument methods", async () => {
    const { json } = await call("get_status", [{}]);
    const r = json.result as Record<string, unknown>;
    expect(json.id).toBe(7);
    for (const k of [
      "config",
      "consensus_stats",
      "network_stats",
      "execution_stats",
      "last_slot",
      "next_slot",
    ]) {
      expect(r[k]).toBeTypeOf("object");
    }
    expect(r.chain_id).toBe(77);
    expect(r.minimal_fees).toBe("0.01");
  });

  it("get_addresses answers a batch of 16 × 128 addresses (read on the execution thread, one request each)", async () => {
    // that each request scans the stored deferred credits once, not once per address, is checked on the
    // queries themselves (exec-queries.test.ts)
    const addrs = Array.from({ length: 128 }, () =>
      Address.fromPublicKey(SecretKey.generate().publicKey).toString(),
    );
    addrs[0] = accounts[0]!.address;
    const body = JSON.stringify(
      Array.from({ length: 16 }, (_, i) => ({
        jsonrpc: "2.0",
        id: i,
        method: "get_addresses",
        params: [addrs],
      })),
    );
    const r = await fetch(running.publicUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    const answers = (await r.json()) as { result: { address: string; final_balance: string }[] }[];
    expect(answers).toHaveLength(16);
    for (const a of answers) {
      expect(a.result).toHaveLength(128);
      expect(a.result[0]).toMatchObject({ address: accounts[0]!.address, final_balance: "1000000" });
      expect(a.result[1]).toMatchObject({ address: addrs[1], final_balance: "0" });
    }
  });

  it("malformed requests get JSON-RPC errors that say what is wrong", async () => {
    expect((await post("{not json")).json.error?.code).toBe(-32700);
    expect((await call("no_such_method")).json.error).toMatchObject({
      code: -32601,
      message: expect.stringMatching(/no_such_method/),
    });
    const bad = await call("get_addresses", [["AUnotanaddress"]]);
    expect(bad.json.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/address list at 0/),
    });
    const batch = JSON.stringify(
      Array.from({ length: 17 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "get_version" })),
    );
    expect((await post(batch)).json.error?.message).toMatch(/at most 16/);
    const ok = await post(JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "get_version" }, { id: 2 }]));
    expect(ok.json).toMatchObject([{ result: "MAIN.5.0" }, { error: { code: -32600 } }]);
    const big = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x", params: ["a".repeat(11_000_000)] }),
    );
    expect(big.status).toBe(413);
  });

  it("send_operations refuses a low fee, an expired operation, another chain's operation and garbage", async () => {
    const sk = SecretKey.fromString(accounts[0]!.secretKey);
    const currentPeriod = async () =>
      ((await call("get_status")).json.result as { last_slot: { period: number } }).last_slot.period;
    await until(async () => (await currentPeriod()) >= 2, "the current period to reach 2", 15_000, 100);
    const period = await currentPeriod();
    const mk = (fee: string, expire: number, chain = 77n) =>
      SignedOperation.sign(
        { fee: Amount.fromMas(fee), expirePeriod: expire, payload: { type: "RollBuy", rollCount: 1n } },
        sk,
        chain,
      );
    expect((await call("send_operations", [[wire(mk("0.001", period + 5))]])).json.error).toMatchObject({
      code: -32000,
      message: expect.stringMatching(/too low/),
    });
    expect((await call("send_operations", [[wire(mk("0.01", period - 1))]])).json.error).toMatchObject({
      code: -32016,
      message: expect.stringMatching(/never be included/),
    });
    expect((await call("send_operations", [[wire(mk("0.01", period + 5, 78n))]])).json.error).toMatchObject({
      code: -32013,
      message: expect.stringMatching(/bad signature/),
    });
    const garbage = { serialized_content: [300], creator_public_key: "P1", signature: "x" };
    expect((await call("send_operations", [[garbage]])).json.error?.message).toMatch(
      /operation 0: .*serialized_content\[0\]/,
    );
    // a good one is accepted and then known to get_operations
    const good = mk("0.01", period + 9);
    const ids = (await call("send_operations", [[wire(good)]])).json.result as string[];
    expect(ids).toEqual([good.id.toString()]);
    const info = (await call("get_operations", [[good.id.toString()]])).json.result as { id: string }[];
    expect(info[0]?.id).toBe(good.id.toString());
  });
});

describe("private API", () => {
  it("lists staking addresses and serves Prometheus metrics", async () => {
    const r = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "get_staking_addresses" }),
      running.privateUrl,
    );
    expect(r.json.result).toHaveLength(1);
    const m = await (await fetch(`${running.privateUrl}/metrics`)).text();
    expect(m).toMatch(/massa_ts_current_period \d+/);
    expect(m).toMatch(/massa_ts_blocks_produced_total/);
    // the standard process and Node gauges beside them (issue 16: where memory goes)
    expect(m).toMatch(/process_resident_memory_bytes \d+/);
    expect(m).toMatch(/nodejs_heap_size_used_bytes \d+/);
    expect(m).toMatch(/nodejs_eventloop_lag_seconds/);
    // each thread's CPU time (Linux: from /proc), the execution thread's once it has ticked
    if (process.platform === "linux") {
      expect(m).toMatch(/massa_ts_thread_cpu_seconds\{thread="main"\} [\d.]+/);
      expect(m).toMatch(/massa_ts_thread_cpu_seconds\{thread="execution"\} [\d.]+/);
    }
  });
});

describe("config", () => {
  it("refuses unknown keys, bad values and a public private API, naming the key", () => {
    const base = `genesis_timestamp = 1\ninitial_ledger = "l.json"\ninitial_rolls = "r.json"\ngenesis_key = "S1"\n`;
    let files = 0;
    const write = (text: string) => {
      const p = join(dir, `c${files++}.toml`);
      writeFileSync(p, text);
      return p;
    };
    expect(() => loadNodeConfig(write(`${base}colour = 3\n`))).toThrow(/Unrecognized key.*colour/);
    expect(() => loadNodeConfig(write(`${base}thread_count = 3\n`))).toThrow(
      /thread_count: must be a power of two/,
    );
    expect(() => loadNodeConfig(write(`${base}[api]\nprivate = "0.0.0.0:1"\n`))).toThrow(
      /api.private: .*loopback/,
    );
    expect(() => loadNodeConfig(write("genesis_timestamp = [\n"))).toThrow(/not valid TOML/);
    expect(() => loadNodeConfig(write(base.replace('genesis_key = "S1"\n', "")))).toThrow(
      /genesis_key: Required/,
    );
    expect(loadNodeConfig(write(base.replace('initial_ledger = "l.json"\n', ""))).initial_ledger).toBe(
      join(dir, "initial_ledger.json"),
    );
    const ok = loadNodeConfig(write(base));
    expect(ok.delta_f0).toBe(64 * 17);
    expect(ok.initial_ledger).toBe(join(dir, "l.json"));
  });
});

describe("a chain that stopped for too long", () => {
  it("refuses to start with a clear error when the clock is more than two cycles past the final state", async () => {
    const d = createDevnet({ dir: join(dir, "late"), nodes: 1, t0: 1000, basePort: 0 });
    const c = loadNodeConfig(d.configPath);
    // 8-period cycles of 1 s: a genesis 100 s ago puts the clock in cycle 12
    await expect(
      runNode({ ...c, genesis_timestamp: Date.now() - 100_000 }, pino({ level: "silent" })),
    ).rejects.toThrow(/cannot resume after so long a stop/);
  });

  it("resumes with last_start_period: the downtime is interpolated, no rolls are sold, and it produces and finalizes again", async () => {
    const d = createDevnet({ dir: join(dir, "restart"), nodes: 1, t0: 1000, basePort: 0 });
    const c = loadNodeConfig(d.configPath);
    const cfg = { ...c, genesis_timestamp: Date.now() - 100_000 }; // the clock is at period 100, cycle 12
    const rolls = JSON.parse(readFileSync(join(dir, "restart", "initial_rolls.json"), "utf8")) as Record<
      string,
      number
    >;
    const [staker, count] = Object.entries(rolls)[0]!;
    const period = Slot.latestAt(Date.now(), {
      threadCount: c.thread_count,
      periodsPerCycle: c.periods_per_cycle,
      t0: c.t0,
      genesisTimestamp: cfg.genesis_timestamp,
    })!.period;
    await expect(
      runNode({ ...cfg, last_start_period: period + 5 }, pino({ level: "silent" })),
    ).rejects.toThrow(/last_start_period .* is in the future/);
    const r = await runNode({ ...cfg, last_start_period: period }, pino({ level: "silent" }));
    try {
      // cycles 1 … 11 were settled as missed by everyone: false seed bits, the staker's rolls kept
      const c10 = (await r.node.execution.cycleInfo(10))!;
      expect(c10.complete).toBe(true);
      expect(c10.seedBits.every((b) => !b)).toBe(true);
      const rolls = new Map(c10.rollCounts.map(([a, n]) => [a.toString(), n]));
      expect(rolls.get(Address.fromString(staker).toString())).toBe(BigInt(count));
      // and the chain goes on from there: blocks produced, new slots final
      const from = r.node.execution.finalSlot;
      expect(from.period).toBeGreaterThanOrEqual(period - 1);
      await until(
        () => Slot.compare(r.node.execution.finalSlot, from) > 0,
        "a new final slot after the resume",
        20_000,
      );
      expect(Slot.compare(r.node.execution.finalSlot, from)).toBeGreaterThan(0);
      expect(r.node.graph.activeBlocks().some((b) => b.slot.period >= period)).toBe(true);
    } finally {
      await r.stop();
    }
    // 8–10 s alone (100 periods interpolated, then finality at T0 = 1 s); CI runs every package at once
  }, 40_000);
});

describe("a restart resumes on the stored final blocks", () => {
  it("rebuilds its graph from them (not from genesis) and produces at once; without them, and with peers, it waits", async () => {
    const d = createDevnet({ dir: join(dir, "resume"), nodes: 1, t0: 1000, basePort: 0 });
    const c = loadNodeConfig(d.configPath);
    const waitFinal = async (r: RunningNode, after: Slot) => {
      await until(
        () => Slot.compare(r.node.execution.finalSlot, after) > 0,
        `a final slot after ${after}`,
        15_000,
      );
      return r.node.execution.finalSlot;
    };
    const first = await runNode(c, pino({ level: "silent" }));
    const f1 = await waitFinal(first, new Slot(3, 0));
    await first.stop();
    expect(f1.period).toBeGreaterThanOrEqual(3);
    // the final blocks are on disk, and the graph comes back on them: its latest final blocks are not the
    // genesis blocks, and no block at a settled slot can enter it
    const second = await runNode(c, pino({ level: "silent" }));
    try {
      const g = second.node.graph;
      const fin = second.node.execution.finalSlot;
      expect(g.finalFloor?.equals(fin)).toBe(true);
      expect(g.latestFinalIndex()).toBeGreaterThanOrEqual(fin.index(c.thread_count));
      expect(g.activeBlocks().some((b) => b.final && b.slot.period > 0)).toBe(true);
      const f2 = await waitFinal(second, fin);
      expect(Slot.compare(f2, fin)).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
    // without its stored blocks, and with a peer to wait for (unreachable here), a node does not produce on
    // genesis parents its peers have long left behind: the graph is behind the final state
    rmSync(join(c.data_dir, "blocks"), { recursive: true, force: true });
    const third = await runNode(
      { ...c, network: { ...c.network, peers: ["127.0.0.1:9"] } },
      pino({ level: "silent" }),
    );
    try {
      const fin = third.node.execution.finalSlot;
      const produced = async () =>
        Number(
          (await third.node.metrics.registry.getSingleMetric("massa_ts_blocks_produced_total")?.get())
            ?.values[0]?.value ?? 0,
        );
      // nothing is produced while the clock moves 3 periods on
      const end = third.node.slotAt()!.period + 3;
      await until(() => third.node.slotAt()!.period >= end, "the clock to move 3 periods on", 15_000);
      expect(await produced()).toBe(0);
      expect(third.node.graph.activeBlocks().every((b) => b.slot.period === 0)).toBe(true);
      expect(third.node.execution.finalSlot.equals(fin)).toBe(true);
    } finally {
      await third.stop();
    }
  }, 30_000);
});

describe("operation pool", () => {
  it("orders by fee then id, bounds its size keeping the best fees, selects by thread and validity", () => {
    const pool = new OperationPool({
      chainId: 77n,
      threadCount: 4,
      minimalFee: Amount.ZERO,
      maxOperations: 3,
      maxBytes: 1_000_000,
      maxOperationSize: 300_000,
      operationValidityPeriods: 10,
    });
    const sk = SecretKey.fromString(accounts[1]!.secretKey);
    const op = (fee: string, expire = 20) =>
      SignedOperation.sign(
        { fee: Amount.fromMas(fee), expirePeriod: expire, payload: { type: "RollBuy", rollCount: 1n } },
        sk,
        77n,
      );
    const [a, b, c, d] = [op("1"), op("3"), op("2"), op("0.5")];
    for (const o of [a, b, c]) pool.add(o!, 10);
    expect(() => pool.add(d!, 10)).toThrow(/pool is full/);
    pool.add(op("5"), 10); // evicts the cheapest (fee 1)
    expect(pool.has(a!.id)).toBe(false);
    const thread = b!.senderThread(4);
    const sel = pool.select(12, thread, 10, 1_000_000, () => false);
    expect(sel.map((o) => o.content.fee.toString())).toEqual(["5", "3", "2"]);
    expect(pool.select(12, (thread + 1) % 4, 10, 1_000_000, () => false)).toEqual([]);
    expect(pool.select(5, thread, 10, 1_000_000, () => false)).toEqual([]); // before expire − 10
    const fees = () =>
      pool.select(12, thread, 10, 1_000_000, () => false).map((o) => o.content.fee.toString());
    pool.prune(10, (o) => o.id.key === c!.id.key); // executed elsewhere: gone, the rest keeps its order
    expect(fees()).toEqual(["5", "3"]);
    pool.add(op("0.7"), 10); // room again: sorts last
    pool.add(op("4"), 10); // full again: evicts 0.7
    expect(fees()).toEqual(["5", "4", "3"]);
    expect(() => pool.add(op("1", 9), 10)).toThrow(/expired/);
    pool.prune(21, () => false);
    expect(pool.size).toBe(0);
  });

  it("refuses an operation larger than a block (Massa's 300 000 bytes) and holds at most max_bytes", () => {
    const pool = new OperationPool({
      chainId: 77n,
      threadCount: 4,
      minimalFee: Amount.ZERO,
      maxOperations: 100,
      maxBytes: 1_000_000,
      maxOperationSize: 300_000,
      operationValidityPeriods: 10,
    });
    const sk = SecretKey.fromString(accounts[1]!.secretKey);
    const sized = (size: number, fee: string) => {
      const op = executeScOfSize(size, sk, 77n, { fee: Amount.fromMas(fee), expirePeriod: 20 });
      expect(op.toBytes().length).toBe(size);
      return op;
    };
    expect(() => pool.add(sized(300_001, "1"), 10)).toThrow(
      /has 300001 bytes, more than a block's 300000: it can never be included/,
    );
    expect(pool.size).toBe(0);
    const five = ["1", "2", "3", "4", "5"].map((fee) => sized(200_000, fee));
    for (const op of five) pool.add(op, 10);
    expect(pool.bytes).toBe(1_000_000);
    // full in bytes: a 300 000-byte operation needs two to leave; it pays more than the cheapest, not the
    // second: refused, nothing evicted
    expect(() => pool.add(sized(300_000, "1.5"), 10)).toThrow(/pool is full .*1000000 bytes/);
    expect(pool.size).toBe(5);
    expect(pool.bytes).toBe(1_000_000);
    // one paying more than them: the two cheapest leave (200 000 bytes each) to make room
    const big = sized(300_000, "9");
    pool.add(big, 10);
    expect([...five, big].map((o) => pool.has(o.id))).toEqual([false, false, true, true, true, true]);
    expect(pool.bytes).toBe(900_000);
    pool.prune(21, () => false);
    expect(pool.bytes).toBe(0);
  });
});
