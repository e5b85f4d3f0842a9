// Issue 17, item 4, replayed against a running node (real HTTP and TCP): the operation pool filled for free.
// The pool took any operation: no bound on its expiry, no look at the sender's coins, no per-sender budget.
// 100 000 operations from empty addresses with a huge fee locked every honest operation out, or filled this
// node's blocks with operations execution then skips (empty blocks, the attacker pays nothing). Massa's pool
// keeps an operation only if its sender's candidate balance pays its max spending (fee included), all of a
// sender's operations together, best fees first, and only if its validity starts at most ~50 s ahead.
// Each test names the attack it replays. No randomness but the honest transfers' fresh recipients.
import { Address, Amount, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { transferToNewAddress } from "@massa-ts/models/testing";
import type { Message, Network } from "@massa-ts/protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MassaNode } from "../src/node/node.ts";
import { type OneNode, startOneNode } from "./one-node.ts";
import { until } from "./wait.ts";

const te = new TextEncoder();
const ATTACK = 2000;
/** JSON-RPC calls per HTTP request (the node's default `api.max_batch`), one operation per call. */
const BATCH = 16;
const PER_SENDER = 100;
const HUGE_FEE = Amount.fromMas("1000000");
let one: OneNode;
let d: OneNode["devnet"];
let node: MassaNode;
let url: string;
/** An honest peer: records what the node relays to it. */
let honest: Network;
const relayed: Message[] = [];
/** 500 empty addresses (not in the ledger), 4 operations each; derived before the node starts. */
let attackers: SecretKey[] = [];
afterAll(() => one?.stop());

beforeAll(async () => {
  attackers = Array.from({ length: 500 }, (_, i) => new SecretKey(blake3(te.encode(`empty-${i}`))));
  one = await startOneNode("pool", (c) => ({
    ...c,
    pool: { ...c.pool, max_operations_per_sender: PER_SENDER },
  }));
  d = one.devnet;
  node = one.node;
  url = one.running.publicUrl;
  honest = one.peer("honest", (m) => relayed.push(m));
  await until(
    () => node.network!.connected.length === 1 && honest.connected.length === 1,
    "the honest peer",
    8000,
  );
  await until(() => (node.currentSlot?.period ?? 0) >= 2, "period 2", 8000);
}, 30_000);

type Answer = { id: number; result?: string[]; error?: { code: number; message: string } };

/** `send_operations` once per operation, in JSON-RPC batches: each operation is judged on its own. */
async function sendEach(ops: readonly SignedOperation[]): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < ops.length; i += BATCH) {
    const calls = ops.slice(i, i + BATCH).map((op, j) => ({
      jsonrpc: "2.0",
      id: i + j,
      method: "send_operations",
      params: [[op.toSendOperationsInput()]],
    }));
    const r = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(calls),
    });
    out.push(...((await r.json()) as Answer[]));
  }
  return out.sort((a, b) => a.id - b.id);
}

const relayedOps = () =>
  new Set(relayed.flatMap((m) => (m.type === "operations" ? m.operations.map((o) => o.id.toString()) : [])));

/** The i-th attack operation: a transfer of i nano to a funded account, from an empty address, fee 1 000 000 MAS. */
function attack(i: number, expirePeriod: number): SignedOperation {
  return SignedOperation.sign(
    {
      fee: HUGE_FEE,
      expirePeriod,
      payload: {
        type: "Transaction",
        recipient: Address.fromString(d.accounts[0]!.address),
        amount: Amount.fromNano(i),
      },
    },
    attackers[i % attackers.length]!,
    77n,
  );
}

it("pool filled for free: 2 000 operations from empty addresses, fee 1 000 000 MAS, far or near expiry, through send_operations: all refused, the pool stays empty, an honest transfer becomes final", async () => {
  const sent: SignedOperation[] = [];
  let largestPool = 0;
  for (let i = 0; i < ATTACK; i += BATCH) {
    // signed batch by batch (a stall of a few ms, not seconds, for the node sharing this thread)
    const period = node.currentSlot!.period;
    const ops = Array.from({ length: BATCH }, (_, j) =>
      // half expire a million periods on (never includable before then), half within the validity window
      attack(i + j, (i / BATCH) % 2 === 0 ? period + 1_000_000 : period + 9),
    );
    const answers = await sendEach(ops);
    for (const [j, a] of answers.entries()) {
      const op = ops[j]!;
      sent.push(op);
      expect(a.result).toBeUndefined();
      if (op.content.expirePeriod > period + 9) {
        expect(a.error).toMatchObject({ code: -32016, message: expect.stringMatching(/too far ahead/) });
      } else {
        expect(a.error?.code).toBe(-32021);
        expect(a.error?.message).toMatch(
          new RegExp(
            `its sender ${op.creatorAddress} does not exist \\(no coins\\): it cannot pay the fee 1000000`,
          ),
        );
      }
    }
    largestPool = Math.max(largestPool, node.pool.size);
  }
  const ids = sent.map((op) => op.id.toString());
  expect(new Set(ids).size).toBe(ATTACK);
  expect(largestPool).toBe(0);
  expect(sent.filter((op) => node.pool.has(op.id))).toEqual([]);
  // an honest transfer from a funded genesis account is taken, becomes final, and pays its recipient
  const sender = SecretKey.fromString(d.accounts[1]!.secretKey);
  const transfer = transferToNewAddress(sender, node.currentSlot!.period + 9, 77n);
  const [answer] = await sendEach([transfer]);
  expect(answer).toMatchObject({ result: [transfer.id.toString()] });
  expect(node.pool.size).toBe(1);
  await until(
    () => node.execution.operationStatus(transfer.id)?.final === true,
    "the honest transfer to be final",
    10_000,
  );
  expect(node.execution.operationStatus(transfer.id)?.success).toBe(true);
  const payload = transfer.content.payload as { recipient: Address };
  // 1 MAS less the 0.001 the new address costs
  expect((await node.execution.balance(payload.recipient, "final"))?.toString()).toBe("0.999");
  // none of the attack went to the peers; the honest one did
  await until(() => relayedOps().has(transfer.id.toString()), "the honest transfer relayed", 8000);
  expect(ids.filter((id) => relayedOps().has(id))).toEqual([]);
  await until(() => node.pool.size === 0, "the final transfer to leave the pool", 8000);
}, 120_000);

it("pool filled for free by relays: a peer relays operations of empty addresses; refused, not relayed, and the peer is not banned (its view of balances may differ)", async () => {
  const relayer = one.peer("relayer");
  await until(() => relayer.connected.length === 1, "the relayer's connection", 8000);
  const period = node.currentSlot!.period;
  const empty = Array.from({ length: 200 }, (_, i) => attack(ATTACK + i, period + 9));
  const funded = transferToNewAddress(SecretKey.fromString(d.accounts[2]!.secretKey), period + 9, 77n);
  // one message: the node checks its operations in order, the funded one last
  relayer.broadcast({ type: "operations", operations: [...empty, funded] });
  await until(
    () => node.pool.has(funded.id) || node.execution.operationStatus(funded.id) !== undefined,
    "the funded operation pooled",
    8000,
  );
  expect(empty.filter((op) => node.pool.has(op.id))).toEqual([]);
  expect(relayer.connected).toHaveLength(1);
  expect(node.network!.banned().size).toBe(0);
  await until(() => relayedOps().has(funded.id.toString()), "the funded operation relayed", 8000);
  expect(empty.filter((op) => relayedOps().has(op.id.toString()))).toEqual([]);
  await until(
    () => node.execution.operationStatus(funded.id)?.final === true,
    "the funded one final",
    10_000,
  );
  expect(relayer.connected).toHaveLength(1);
});

it("pool filled by one funded address: at most max_operations_per_sender of its operations are held", async () => {
  const sk = SecretKey.fromString(d.accounts[3]!.secretKey);
  const sender = Address.fromPublicKey(sk.publicKey);
  const period = node.currentSlot!.period;
  // validity starting 90 periods on (36 s; the horizon is 50 s / 400 ms + 2 = 127): none is included, none
  // leaves the pool while the test runs; each pays 0.01 + 0.001 (1 000 000 MAS cover them all)
  const ops = Array.from({ length: PER_SENDER + 50 }, (_, i) =>
    SignedOperation.sign(
      {
        fee: Amount.fromMas("0.01"),
        expirePeriod: period + 100,
        payload: {
          type: "Transaction",
          recipient: Address.fromString(d.accounts[4]!.address),
          amount: Amount.fromNano(1_000_000 + i),
        },
      },
      sk,
      77n,
    ),
  );
  const answers = await sendEach(ops);
  const taken = answers.filter((a) => a.result !== undefined);
  const refused = answers.filter((a) => a.error !== undefined);
  expect([taken.length, refused.length]).toEqual([PER_SENDER, 50]);
  for (const a of refused) {
    expect(a.error).toMatchObject({
      code: -32021,
      message: expect.stringMatching(
        new RegExp(
          `sender ${sender} already has ${PER_SENDER} operations in the pool, the most one sender may have`,
        ),
      ),
    });
  }
  expect(node.pool.heldFrom(sender)).toBe(PER_SENDER);
  // another funded account is not held back by it
  const other = transferToNewAddress(SecretKey.fromString(d.accounts[0]!.secretKey), period + 9, 77n);
  expect((await sendEach([other]))[0]).toMatchObject({ result: [other.id.toString()] });
  await until(
    () => node.execution.operationStatus(other.id)?.final === true,
    "the other account's transfer final",
    10_000,
  );
}, 60_000);
