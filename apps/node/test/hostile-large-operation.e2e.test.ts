// Issue 17, item 1, replayed against a running node (real TCP and HTTP): one large operation used to crash a
// node remotely. An ExecuteSC of ~3.9 MB with fee 0 was pooled and relayed by every node; `askOps` with its
// id repeated 5 000 times made the node encode a ~19 GB answer; `get_operations` with the id repeated in a
// 16 × 128 batch copied the bytecode until V8 aborted; one of ~4.5 MB made the node broadcast a frame its
// peers refuse. Massa refuses an operation larger than a block's operations (300 000 bytes) and answers
// `askOps` from the asked block's own list. Each test names the attack it replays.
import {
  Amount,
  BlockId,
  blake3,
  MASSA_BLOCK_LIMITS,
  OperationId,
  SecretKey,
  SignedOperation,
} from "@massa-ts/models";
import { executeScOfSize, transferToNewAddress } from "@massa-ts/models/testing";
import { encodeMessage, type Message, type Network } from "@massa-ts/protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MassaNode } from "../src/node/node.ts";
import { type OneNode, startOneNode } from "./one-node.ts";
import { rpc } from "./rpc-helper.ts";
import { until } from "./wait.ts";

const te = new TextEncoder();
const MAX_RESPONSE = 2_000_000;
let one: OneNode;
let d: OneNode["devnet"];
let node: MassaNode;
let url: string;
/** An honest peer: records what the node relays to it. */
let honest: Network;
const relayed: Message[] = [];
/** The largest operation a block fits, accepted by the first test. */
let fits: SignedOperation;
afterAll(() => one?.stop());

beforeAll(async () => {
  one = await startOneNode("large-op", (c) => ({
    ...c,
    api: { ...c.api, max_response_bytes: MAX_RESPONSE },
  }));
  d = one.devnet;
  node = one.node;
  url = one.running.publicUrl;
  honest = peer("honest", (m) => relayed.push(m));
  await until(
    () => node.network!.connected.length === 1 && honest.connected.length === 1,
    "the honest peer",
    8000,
  );
  await until(() => (node.currentSlot?.period ?? 0) >= 2, "period 2", 8000);
}, 30_000);

/** A raw client: it accepts any frame the node might send, to see whether the node sends one. */
const peer = (name: string, onMessage?: (m: Message) => void) =>
  one.peer(name, onMessage, { maxFrameBytes: 64 * 1024 * 1024 });

/**
 * An ExecuteSC of exactly `size` wire bytes (zeros: their JSON is 2 characters a byte), fee 0, expiring
 * `expiresIn` periods from now; signed by `sender` (an attacker's fresh key when a name).
 */
function executeSc(size: number, sender: string | SecretKey, expiresIn = 9): SignedOperation {
  const key = typeof sender === "string" ? new SecretKey(blake3(te.encode(sender))) : sender;
  const op = executeScOfSize(size, key, 77n, {
    expirePeriod: (node.currentSlot?.period ?? 0) + expiresIn,
  });
  expect(op.toBytes().length).toBe(size);
  return op;
}

async function post(body: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

const call = (method: string, params: unknown[], id = 1) => ({ jsonrpc: "2.0", id, method, params });
const banReasons = () => [...node.network!.banned().values()].join("\n");
const relayedOps = () =>
  relayed.flatMap((m) => (m.type === "operations" ? m.operations.map((o) => o.id.toString()) : []));

it("send_operations with a 3.9 MB ExecuteSC, fee 0: refused with a typed error, not pooled, not relayed", async () => {
  const huge = executeSc(3_900_000, "attacker-huge");
  const over = executeSc(MASSA_BLOCK_LIMITS.maxBlockSize + 1, "attacker-over");
  for (const op of [huge, over]) {
    const r = await post(call("send_operations", [[op.toSendOperationsInput()]]));
    const j = JSON.parse(r.text) as { error?: { code: number; message: string } };
    expect(j.error?.code).toBe(-32000);
    expect(j.error?.message).toMatch(
      new RegExp(`has ${op.serializedSize} bytes, more than a block's 300000: it can never be included`),
    );
    expect(node.pool.has(op.id)).toBe(false);
  }
  // the largest that fits a block is taken, and reaches the peer in a frame it accepts (its default limit)
  fits = executeSc(MASSA_BLOCK_LIMITS.maxBlockSize, SecretKey.fromString(d.accounts[0]!.secretKey));
  const r = await post(call("send_operations", [[fits.toSendOperationsInput()]]));
  expect(JSON.parse(r.text)).toMatchObject({ result: [fits.id.toString()] });
  await until(
    () => relayedOps().includes(fits.id.toString()),
    "the operation relayed to the honest peer",
    10_000,
  );
  expect(relayedOps()).not.toContain(huge.id.toString());
  expect(relayedOps()).not.toContain(over.id.toString());
  expect(encodeMessage({ type: "operations", operations: [fits] }).length).toBeLessThan(4 * 1024 * 1024);
}, 10_000);

it("a peer relaying an operation larger than a block: banned for it; the operation goes nowhere", async () => {
  const mallory = peer("mallory-large-op");
  await until(() => mallory.connected.length === 1, "mallory's connection", 8000);
  const op = executeSc(400_000, "attacker-relayed");
  mallory.broadcast({ type: "operations", operations: [op] });
  await until(() => mallory.connected.length === 0, "mallory's ban", 8000);
  expect(banReasons()).toMatch(new RegExp(`operation ${op.id} has 400000 bytes, more than a block's 300000`));
  // the private API lists the ban (node_bans, ours), and get_status counts it
  const bans = await rpc<{ id: string; reason: string }[]>(one.running.privateUrl, "node_bans");
  expect(bans).toContainEqual({
    id: mallory.nodeKey.publicKey.toString(),
    reason: expect.stringMatching(/has 400000 bytes, more than a block's 300000/),
  });
  const status = await rpc<{ network_stats: { banned_peer_count: number } }>(url, "get_status");
  expect(status.network_stats.banned_peer_count).toBe(node.network!.banned().size);
  expect(node.pool.has(op.id)).toBe(false);
  expect(relayedOps()).not.toContain(op.id.toString());
  expect(honest.connected).toHaveLength(1);
});

it("askOps with one id 5 000 times plus ids of other blocks: the block's own operations, each once", async () => {
  // a transfer included in a block
  const sender = SecretKey.fromString(d.accounts[2]!.secretKey);
  const transfer = transferToNewAddress(sender, node.currentSlot!.period + 9, 77n);
  const sent = JSON.parse((await post(call("send_operations", [[transfer.toSendOperationsInput()]]))).text);
  expect(sent).toMatchObject({ result: [transfer.id.toString()] });
  await until(() => node.inBlocks(transfer.id).length > 0, "the transfer's inclusion", 8000);
  const blockId = node.inBlocks(transfer.id)[0]!;
  // a pooled operation of no block (its validity window starts 90 periods on: 36 s)
  const pooled = executeSc(1000, SecretKey.fromString(d.accounts[1]!.secretKey), 100);
  node.pool.add(pooled, node.currentSlot!.period);
  const answers: Extract<Message, { type: "blockOps" }>[] = [];
  const asker = peer("asker", (m) => {
    if (m.type === "blockOps") answers.push(m);
  });
  await until(() => asker.connected.length === 1, "the asker's connection", 8000);
  asker.broadcast({
    type: "askOps",
    blockId: BlockId.fromString(blockId),
    ids: [
      ...Array.from({ length: 4998 }, () => transfer.id),
      pooled.id,
      OperationId.fromString(pooled.id.toString()),
    ],
  });
  await until(() => answers.length === 1, "the answer to askOps", 8000);
  expect(answers[0]!.operations.map((o) => o.id.toString())).toEqual([transfer.id.toString()]);
  expect(asker.connected).toHaveLength(1);
});

it("get_operations with one id 128 times, in a batch of 16: each answered once; the answer's size is bounded", async () => {
  const heapBefore = process.memoryUsage().heapUsed;
  const small = SignedOperation.sign(
    {
      fee: Amount.ZERO,
      // its validity window starts 90 periods on: pooled, in no block during the test
      expirePeriod: node.currentSlot!.period + 100,
      payload: { type: "RollBuy", rollCount: 1n },
    },
    SecretKey.fromString(d.accounts[3]!.secretKey),
    77n,
  );
  node.pool.add(small, node.currentSlot!.period);
  const ids = Array.from({ length: 128 }, () => small.id.toString());
  const batch = await post(Array.from({ length: 16 }, (_, i) => call("get_operations", [ids], i)));
  const answers = JSON.parse(batch.text) as { result: { id: string }[] }[];
  expect(answers).toHaveLength(16);
  for (const a of answers) expect(a.result.map((o) => o.id)).toEqual([small.id.toString()]);
  // the 300 000-byte operation costs at most 1.2 MB of JSON: one per request fits the 2 MB budget, a second
  // in the same batch is refused with a clear error instead of being built
  const big = await post([
    call("get_operations", [[fits.id.toString()]], 1),
    call("get_operations", [[fits.id.toString()]], 2),
  ]);
  const [first, second] = JSON.parse(big.text) as { result?: unknown[]; error?: { message: string } }[];
  expect(first!.result).toHaveLength(1);
  expect(second!.error?.message).toMatch(
    /the answer would exceed 2000000 bytes .*ask for fewer items per request/,
  );
  expect(big.text.length).toBeLessThan(MAX_RESPONSE);
  // and the attack of the issue (16 × 128 copies of the large one) is refused, not built
  const attack = await post(
    Array.from({ length: 16 }, (_, i) => call("get_operations", [Array(128).fill(fits.id.toString())], i)),
  );
  expect(attack.text.length).toBeLessThan(MAX_RESPONSE);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(128 * 1024 * 1024);
  // the node carries on
  const final = node.execution.finalSlot;
  await until(() => node.execution.finalSlot.period > final.period, "a new final slot", 8000);
});
