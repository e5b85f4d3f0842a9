// Smart contracts end to end, the way a Massa dApp developer works: the example contract (AssemblyScript,
// massa-as-sdk) compiled, then deployed, called and read with @massalabs/massa-web3 5.3 unchanged, against
// a 2-node devnet whose nodes are separate `massa-ts run` processes. Deploy without maxGas (massa-web3
// estimates through the read-only methods), storage and bytecode read back, a call that writes and emits,
// a read-only call, a contract calling another, coins in and out to the nano (storage costs included), a
// failing call, a call out of gas; the nodes agree on the final state hash; a restarted node keeps the
// contract; a node bootstrapped afterwards agrees. Expected amounts follow Massa's storage rules worked by
// hand (0.0001 MAS a byte, 0.001 an address, 0.0004 a datastore entry).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileContract } from "@massa-ts/example-contracts";
import * as w3 from "@massalabs/massa-web3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChaosNode, Cluster } from "../chaos/cluster.ts";
import { finalHashes, rpc } from "./rpc-helper.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-contracts-"));
let cluster: Cluster;
let wasm: Uint8Array;
let provider: w3.JsonRpcProvider;
let me: string;
let hello: w3.SmartContract;
const utf8 = (s: string) => new TextEncoder().encode(s);
const nano = (mas: string) => w3.Mas.fromString(mas);
const PER_BYTE = nano("0.0001");
const entryCost = (key: string, value: string) =>
  nano("0.0004") + PER_BYTE * BigInt(key.length + value.length);
const FEE = nano("0.01");

afterAll(async () => {
  await cluster?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function balanceOf(address: string, final = false): Promise<bigint> {
  const [b] = await provider.balanceOf([address], final);
  return b!.balance;
}

async function greeting(node: ChaosNode, address: string): Promise<string | null> {
  const [e] = await rpc<{ final_value: number[] | null }[]>(node.publicApi, "get_datastore_entries", [
    [{ address, key: Array.from(utf8("greeting")) }],
  ]);
  return e!.final_value ? new TextDecoder().decode(Uint8Array.from(e!.final_value)) : null;
}

/** Final slots both nodes hold a hash for, and whether they all match. */
async function agree(a: ChaosNode, b: ChaosNode): Promise<number> {
  const [ha, hb] = await Promise.all([finalHashes(a.publicApi), finalHashes(b.publicApi)]);
  let common = 0;
  for (const [slot, h] of ha) {
    const other = hb.get(slot);
    if (other === undefined) continue;
    expect(other, `final state hash at ${slot}`).toBe(h);
    common++;
  }
  return common;
}

beforeAll(async () => {
  wasm = await compileContract("hello");
  cluster = await Cluster.create(dir, 2, 1000);
  for (const n of cluster.nodes) cluster.start(n);
  const n0 = cluster.nodes[0]!;
  await until(() => cluster.ready(n0), "node-0's API", 60_000, 200);
  // past genesis: a final slot exists
  await until(async () => (await finalHashes(n0.publicApi)).size > 0, "a final slot", 90_000, 500);
  const account = await w3.Account.fromPrivateKey(cluster.accounts[0]!.secretKey);
  me = account.address.toString();
  provider = w3.JsonRpcProvider.fromRPCUrl(n0.publicApi, account);
}, 180_000);

describe("the example contract through massa-web3 on a 2-node devnet", () => {
  it("deploys with constructor arguments and 1 MAS, without maxGas: bytecode stored, storage set, balances exact", async () => {
    const before = await balanceOf(me);
    hello = await w3.SmartContract.deploy(provider, wasm, new w3.Args().addString("hello"), {
      coins: nano("1"),
      fee: FEE,
      waitFinalExecution: true,
    });
    expect(hello.address).toMatch(/^AS/);
    const [code] = await rpc<number[][]>(cluster.nodes[0]!.publicApi, "get_addresses_bytecode", [
      [{ address: hello.address, is_final: true }],
    ]);
    expect(Buffer.from(Uint8Array.from(code!))).toEqual(Buffer.from(wasm));
    expect(await greeting(cluster.nodes[0]!, hello.address)).toBe("hello");
    // the deployer paid: fee, the coins, the contract's creation (0.001 + a byte each of bytecode)
    const creation = nano("0.001") + PER_BYTE * BigInt(wasm.length);
    expect(await balanceOf(me, true)).toBe(before - FEE - nano("1") - creation);
    // the contract paid its own entry out of the coins
    expect(await balanceOf(hello.address, true)).toBe(nano("1") - entryCost("greeting", "hello"));
  }, 120_000);

  it("a call that writes and emits, then a read-only call reads it", async () => {
    const op = await hello.call("setGreeting", new w3.Args().addString("good morning"), { fee: FEE });
    expect(await op.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    const events = await op.getFinalEvents();
    expect(events.map((e) => e.data)).toEqual([`greeting set to good morning by ${me}`]);
    const r = await hello.read("greet");
    expect(new TextDecoder().decode(r.value)).toBe("good morning");
    expect(r.info.error).toBeUndefined();
  }, 90_000);

  it("a contract calls another: a second instance's greeting read through the first", async () => {
    const other = await w3.SmartContract.deploy(provider, wasm, new w3.Args().addString("bonjour"), {
      coins: nano("1"),
      fee: FEE,
      waitFinalExecution: true,
    });
    const r = await hello.read("greetOf", new w3.Args().addString(other.address));
    expect(r.info.error).toBeUndefined();
    expect(new TextDecoder().decode(r.value)).toBe("bonjour");
  }, 120_000);

  it("coins in with a call and out with withdraw, to the nano", async () => {
    const c0 = await balanceOf(hello.address, true);
    const m0 = await balanceOf(me, true);
    const give = await hello.call("setGreeting", new w3.Args().addString("good night!!"), {
      coins: nano("2"),
      fee: FEE,
    });
    expect(await give.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    // same length as "good morning": no storage change
    expect(await balanceOf(hello.address, true)).toBe(c0 + nano("2"));
    expect(await balanceOf(me, true)).toBe(m0 - nano("2") - FEE);
    const take = await hello.call("withdraw", new w3.Args().addU64(nano("1.5")), { fee: FEE });
    expect(await take.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    expect(await balanceOf(hello.address, true)).toBe(c0 + nano("0.5"));
    expect(await balanceOf(me, true)).toBe(m0 - nano("0.5") - 2n * FEE);
  }, 120_000);

  it("a failing call: Error status, the fee charged, storage unchanged, an error event", async () => {
    const m0 = await balanceOf(me, true);
    const op = await hello.call("fail", new w3.Args(), { fee: FEE, maxGas: 50_000_000n });
    expect(await op.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Error);
    expect(await balanceOf(me, true)).toBe(m0 - FEE);
    expect(await greeting(cluster.nodes[0]!, hello.address)).toBe("good night!!");
    const events = await op.getFinalEvents();
    expect(events.every((e) => e.context.is_error)).toBe(true);
    expect(events.at(-1)!.data).toMatch(/failed on purpose/);
  }, 90_000);

  it("too little gas: an endless loop ends out of gas", async () => {
    const op = await hello.call("spin", new w3.Args(), { fee: FEE, maxGas: 5_000_000n });
    expect(await op.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Error);
    const events = await op.getFinalEvents();
    expect(events.at(-1)!.data).toMatch(/Not enough gas, limit reached at: spin/);
  }, 90_000);

  it("both nodes agree on every final state hash they share", async () => {
    const [n0, n1] = cluster.nodes as [ChaosNode, ChaosNode];
    expect(await agree(n0, n1)).toBeGreaterThan(10);
  }, 30_000);

  it("a node restarted (SIGKILL) keeps the contract and agrees again", async () => {
    const [n0, n1] = cluster.nodes as [ChaosNode, ChaosNode];
    await cluster.stop(n1, "SIGKILL");
    cluster.start(n1);
    await until(() => cluster.ready(n1), "node-1 back", 60_000, 200);
    await until(
      async () => (await greeting(n1, hello.address)) === "good night!!",
      "node-1's contract",
      60_000,
      500,
    );
    const op = await hello.call("setGreeting", new w3.Args().addString("after restart"), { fee: FEE });
    expect(await op.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    await until(
      async () => (await greeting(n1, hello.address)) === "after restart",
      "node-1 follows",
      60_000,
      500,
    );
    expect(await agree(n0, n1)).toBeGreaterThan(10);
  }, 180_000);

  it("a node bootstrapped afterwards holds the contract and agrees", async () => {
    const n0 = cluster.nodes[0]!;
    const joiner = await cluster.addJoiner(n0);
    cluster.start(joiner);
    await until(() => cluster.ready(joiner), "the joiner's API", 90_000, 500);
    await until(
      async () => (await greeting(joiner, hello.address)) === "after restart",
      "the joiner's contract",
      90_000,
      500,
    );
    const [code] = await rpc<number[][]>(joiner.publicApi, "get_addresses_bytecode", [
      [{ address: hello.address, is_final: true }],
    ]);
    expect(Buffer.from(Uint8Array.from(code!))).toEqual(Buffer.from(wasm));
    await until(
      async () => (await agree(n0, joiner)) > 10,
      "shared final slots with the joiner",
      60_000,
      500,
    );
  }, 240_000);
});
