// Relayed operations between peers as Massa's travel: announced by id, fetched by the peers that lack them.
// A node asks an announcer for what it has not seen, announces what it pools to the peers not known to hold
// it (so never back to the peer it came from), answers asks from its pool, asks the next announcer when the
// first does not answer in time, and bounds what one peer's announcements can make it ask; what its own API
// takes goes whole. Raw peers on real TCP.
import { randomBytes } from "node:crypto";
import { OperationId, SecretKey, type SignedOperation } from "@massa-ts/models";
import { transferToNewAddress } from "@massa-ts/models/testing";
import type { Message, Network } from "@massa-ts/protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ASK_TIMEOUT_MS } from "../src/node/relay.ts";
import { type OneNode, startOneNode } from "./one-node.ts";
import { rpc } from "./rpc-helper.ts";
import { until } from "./wait.ts";

const RATE = 500;
let one: OneNode;
let sender: SecretKey;
afterAll(() => one?.stop());

beforeAll(async () => {
  // a low budget, so that a flood can exceed it many times over in a few messages
  one = await startOneNode("gossip", (c) => ({
    ...c,
    network: { ...c.network, max_operations_per_second: RATE },
  }));
  sender = SecretKey.fromString(one.devnet.accounts[1]!.secretKey);
  await until(() => (one.node.currentSlot?.period ?? 0) >= 2, "period 2", 8000);
}, 30_000);

/** A raw peer that records every message and answers nothing by itself (unless `answer` says how). */
async function rawPeer(
  name: string,
  answer?: (net: Network, m: Message) => void,
): Promise<{ net: Network; got: Message[] }> {
  const got: Message[] = [];
  const net: Network = one.peer(name, undefined, {
    onMessage: (_p, m) => {
      got.push(m);
      answer?.(net, m);
    },
  });
  await until(() => net.connected.length === 1, `${name}'s connection`, 8000);
  return { net, got };
}

const idsIn = (got: Message[], type: "opAnnounce" | "askOperations") =>
  got.flatMap((m) => (m.type === type ? m.ids.map((i) => i.key) : []));
const opsIn = (got: Message[]) => got.flatMap((m) => (m.type === "operations" ? m.operations : []));
const transfer = () => transferToNewAddress(sender, one.node.currentSlot!.period + 9, 77n);

it("an announced operation is asked of its announcer, then announced to the other peers (never back) and sent once to each that asks", async () => {
  const op = transfer();
  const a = await rawPeer("announcer");
  const b = await rawPeer("listener", (net, m) => {
    if (m.type === "opAnnounce") net.broadcast({ type: "askOperations", ids: m.ids });
  });
  a.net.broadcast({ type: "opAnnounce", ids: [op.id] });
  await until(() => idsIn(a.got, "askOperations").includes(op.id.key), "the node asking the announcer", 8000);
  a.net.broadcast({ type: "operations", operations: [op] });
  await until(() => one.node.pool.has(op.id), "the operation pooled", 8000);
  await until(
    () => opsIn(b.got).some((o) => o.id.equals(op.id)),
    "the operation fetched by the listener",
    8000,
  );
  // the listener heard of it once and got its bytes once; the announcer is not told of what it sent
  expect(idsIn(b.got, "opAnnounce").filter((k) => k === op.id.key)).toHaveLength(1);
  expect(opsIn(b.got).filter((o) => o.id.equals(op.id))).toHaveLength(1);
  expect(idsIn(a.got, "opAnnounce")).not.toContain(op.id.key);
  expect(opsIn(a.got).some((o) => o.id.equals(op.id))).toBe(false);
  // an operation the node already holds is not asked for again
  const asks = idsIn(a.got, "askOperations").length;
  b.net.broadcast({ type: "opAnnounce", ids: [op.id] });
  const later = transfer();
  b.net.broadcast({ type: "opAnnounce", ids: [later.id] }); // the same link, after it: a marker
  await until(() => idsIn(b.got, "askOperations").includes(later.id.key), "the marker asked", 8000);
  expect(idsIn(b.got, "askOperations")).not.toContain(op.id.key);
  expect(idsIn(a.got, "askOperations")).toHaveLength(asks);
});

it("an announcer that never sends the operation: after the ask's timeout the next announcer is asked, and the silent one is not banned", async () => {
  const op = transfer();
  let firstAsk = 0;
  const silent = await rawPeer("silent", (_net, m) => {
    if (m.type === "askOperations" && firstAsk === 0) firstAsk = Date.now();
  });
  let askedAt = 0;
  const second = await rawPeer("second", (net, m) => {
    if (m.type !== "askOperations") return;
    askedAt = Date.now();
    const ops = m.ids.filter((i) => i.equals(op.id)).map(() => op);
    if (ops.length > 0) net.broadcast({ type: "operations", operations: ops });
  });
  silent.net.broadcast({ type: "opAnnounce", ids: [op.id] });
  await until(() => idsIn(silent.got, "askOperations").includes(op.id.key), "the first ask", 8000);
  second.net.broadcast({ type: "opAnnounce", ids: [op.id] });
  await until(() => one.node.pool.has(op.id), "the operation, from the second announcer", 8000);
  expect(idsIn(second.got, "askOperations").filter((k) => k === op.id.key)).toHaveLength(1);
  // not asked of both at once: the second is asked only once the first ask has timed out (both times are
  // when the peers received the asks; half the timeout leaves room for a loaded machine's delivery delays)
  expect(askedAt - firstAsk).toBeGreaterThanOrEqual(ASK_TIMEOUT_MS / 2);
  expect(silent.net.connected).toHaveLength(1);
  expect(idsIn(silent.got, "askOperations").filter((k) => k === op.id.key)).toHaveLength(1);
});

it("an operation submitted to the API goes whole to the peers, unasked (none can hold it yet), and is not announced", async () => {
  const op = transfer();
  const p = await rawPeer("api-watcher");
  await rpc(one.running.publicUrl, "send_operations", [[op.toSendOperationsInput()]]);
  await until(() => opsIn(p.got).some((o) => o.id.equals(op.id)), "the operation pushed to the peer", 8000);
  expect(idsIn(p.got, "opAnnounce")).not.toContain(op.id.key);
  expect(p.got.some((m) => m.type === "askOperations")).toBe(false);
});

it("asks are answered from the pool, each operation once: what the node does not hold is left out, and the asker is not banned", async () => {
  const pooled: SignedOperation = transfer();
  // both connected first: the ask follows the pooling at once (a final operation leaves the pool)
  const { net: feeder } = await rawPeer("feeder");
  const asker = await rawPeer("asker");
  feeder.broadcast({ type: "operations", operations: [pooled] });
  await until(() => one.node.pool.has(pooled.id), "the operation pooled", 8000);
  const unknown = new OperationId(new Uint8Array(randomBytes(32)));
  // the pooled one asked three times (an old attack on askOps: one large operation asked 5 000 times)
  asker.net.broadcast({ type: "askOperations", ids: [unknown, pooled.id, pooled.id, pooled.id] });
  await until(() => opsIn(asker.got).length > 0, "the answer", 8000);
  expect(opsIn(asker.got).map((o) => o.id.key)).toEqual([pooled.id.key]);
  expect(asker.net.connected).toHaveLength(1);
});

it("/metrics counts the ids asked and the bytes exchanged with peers", async () => {
  const metric = async (re: RegExp) =>
    Number(re.exec(await (await fetch(`${one.running.privateUrl}/metrics`)).text())?.[1] ?? Number.NaN);
  const asked = () => metric(/^massa_ts_operation_gossip_total\{kind="asked"\} (\d+)$/m);
  const received = () => metric(/^massa_ts_p2p_received_bytes_total (\d+)$/m);
  const [asked0, received0] = [await asked(), await received()];
  const op = transfer();
  const a = await rawPeer("metrics-announcer");
  a.net.broadcast({ type: "opAnnounce", ids: [op.id] });
  await until(() => idsIn(a.got, "askOperations").includes(op.id.key), "the ask", 8000);
  expect((await asked()) - asked0).toBe(1);
  // at least this peer's handshake and announcement (Node's own count of what its socket wrote)
  expect((await received()) - received0).toBeGreaterThanOrEqual(a.net.connected[0]!.socket.bytesWritten);
});

it("one peer's announcements make the node ask at most its budget (twice its rate, then its rate a second), unbanned", async () => {
  const flood = await rawPeer("announcer-flood");
  const ids = Array.from({ length: 20 * RATE }, () => new OperationId(new Uint8Array(randomBytes(32))));
  const t0 = Date.now();
  for (let i = 0; i < ids.length; i += 5000)
    flood.net.broadcast({ type: "opAnnounce", ids: ids.slice(i, i + 5000) });
  await until(() => idsIn(flood.got, "askOperations").length >= 2 * RATE, "the asks within the burst", 8000);
  // the node still fetches from an honest announcer (each peer has its own budget)
  const marker = transfer();
  const honest = await rawPeer("announcer-honest");
  honest.net.broadcast({ type: "opAnnounce", ids: [marker.id] });
  await until(
    () => idsIn(honest.got, "askOperations").includes(marker.id.key),
    "the honest announcement asked",
    8000,
  );
  // the bucket starts full (2 × RATE) and refills at RATE a second, from a time after t0
  const bound = 2 * RATE + Math.ceil((RATE * (Date.now() - t0)) / 1000);
  expect(idsIn(flood.got, "askOperations").length).toBeLessThanOrEqual(bound);
  expect(flood.net.connected).toHaveLength(1);
});
