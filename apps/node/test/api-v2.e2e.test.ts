// Massa's APIv2 on its own port (issue 14): its HTTP methods, and WebSocket subscriptions with jsonrpsee's
// protocol (the subscription id, then `new_blocks_headers` … notifications). A subscriber receives every
// block the node makes, in order, each validating against Massa's OpenRPC schema; one that stops reading is
// dropped (its unsent bytes are bounded) while the node keeps producing and the other subscriber keeps
// receiving. Real sockets, a one-node devnet with real time (T0 = 1 s).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, Amount, blake3, SecretKey, SignedOperation, Slot } from "@massa-ts/models";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { OpenRpcSchema } from "./openrpc/schema.ts";
import { until } from "./wait.ts";

const schema = new OpenRpcSchema();
const dir = mkdtempSync(join(tmpdir(), "massa-ts-apiv2-"));
const te = new TextEncoder();
const senders = Array.from({ length: 20 }, (_, i) => new SecretKey(blake3(te.encode(`apiv2-sender-${i}`))));
let running: RunningNode;
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 1000, basePort: 0 });
  const ledgerPath = join(dir, "initial_ledger.json");
  const ledger = JSON.parse(readFileSync(ledgerPath, "utf8")) as Record<string, unknown>;
  for (const sk of senders)
    ledger[Address.fromPublicKey(sk.publicKey).toString()] = { balance: "1000", bytecode: [], datastore: [] };
  writeFileSync(ledgerPath, JSON.stringify(ledger));
  const c = loadNodeConfig(d.configPath);
  expect(c.api.v2).toBe("127.0.0.1:0"); // the devnet writes it
  running = await runNode(
    { ...c, api: { ...c.api, v2_max_buffered_bytes: 1024 } },
    pino({ level: "silent" }),
  );
}, 30_000);

/** A WebSocket JSON-RPC client: requests by id, notifications kept in order. */
async function client(url: string) {
  const ws = new WebSocket(url.replace(/^http/, "ws"));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  const notes: { method: string; subscription: number; result: unknown }[] = [];
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    if (typeof m.id === "number") pending.get(m.id)?.(m);
    else {
      const p = m.params as { subscription: number; result: unknown };
      notes.push({ method: m.method as string, subscription: p.subscription, result: p.result });
    }
  });
  let next = 1;
  const request = (method: string, params: unknown[] = []) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  return { ws, request, notes, closed };
}

it("HTTP: Massa's APIv2 methods, validating against the document; nothing else", async () => {
  const post = async (method: string, params: unknown[] = []) => {
    const r = await fetch(running.apiV2Url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    return (await r.json()) as { result?: unknown; error?: { code: number } };
  };
  for (const [m, params] of [
    ["get_version", []],
    ["get_next_block_best_parents", []],
    ["get_largest_stakers", [{}]],
  ] as const) {
    const r = await post(m, [...params]);
    expect(schema.resultErrors(m, r.result), m).toEqual([]);
  }
  expect((await post("get_status")).error?.code).toBe(-32601); // a public-API method: not here
});

it("a subscriber gets every block header in order; one that stops reading is dropped, the node goes on", async () => {
  const node = running.node;
  const reader = await client(running.apiV2Url);
  const sub = await reader.request("subscribe_new_blocks_headers");
  expect(typeof sub.result).toBe("number");
  const filled = await reader.request("subscribe_new_filled_blocks");
  const start = node.currentSlot!;
  await until(
    () => reader.notes.filter((n) => n.method === "new_blocks_headers").length >= 12,
    "12 headers",
    15_000,
  );
  const headers = reader.notes.filter((n) => n.method === "new_blocks_headers");
  for (const h of headers) {
    expect(h.subscription).toBe(sub.result);
    expect(schema.resultErrors("subscribe_new_blocks_headers", h.result)).toEqual([]);
  }
  const slots = headers.map(
    (h) => (h.result as { content: { slot: { period: number; thread: number } } }).content.slot,
  );
  const index = (s: { period: number; thread: number }) => s.period * 4 + s.thread;
  // in order, and every block the node made in between (a lone staker: every slot), none missing
  for (let i = 1; i < slots.length; i++) expect(index(slots[i]!)).toBe(index(slots[i - 1]!) + 1);
  for (const h of headers) {
    const r = h.result as { id: string; content: { slot: { period: number; thread: number } } };
    const made = node.graph.blockAt(new Slot(r.content.slot.period, r.content.slot.thread));
    expect(made?.header.id.toString()).toBe(r.id); // the node's own block at that slot
  }
  expect(index(slots[0]!)).toBeGreaterThanOrEqual(index(start));
  const filledNotes = reader.notes.filter((n) => n.method === "new_filled_blocks");
  expect(filledNotes.length).toBeGreaterThan(0);
  expect(filledNotes[0]!.subscription).toBe(filled.result);
  for (const n of filledNotes)
    expect(schema.resultErrors("subscribe_new_filled_blocks", n.result)).toEqual([]);
  const blocksSub = await reader.request("subscribe_new_blocks");
  const opsSub = await reader.request("subscribe_new_operations");

  // a second subscriber to operations stops reading; a flood of operations follows
  // (32 subscriptions on its connection, so that what it leaves unread outgrows the kernel's socket buffers
  // within the flood)
  const slow = await client(running.apiV2Url);
  for (let i = 0; i < 32; i++) await slow.request("subscribe_new_operations");
  (slow.ws as unknown as { _socket: Socket })._socket.pause();
  const period = node.currentSlot!.period;
  const ops = Array.from({ length: 6000 }, (_, i) =>
    SignedOperation.sign(
      {
        fee: Amount.ZERO,
        expirePeriod: period + 9,
        payload: {
          type: "Transaction",
          recipient: Address.fromPublicKey(senders[0]!.publicKey),
          amount: Amount.fromNano(BigInt(i + 1)),
        },
      },
      senders[i % senders.length]!,
      77n,
    ),
  );
  for (let i = 0; i < ops.length; i += 100) {
    await fetch(running.publicUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "send_operations",
        params: [
          ops.slice(i, i + 100).map((op) => ({
            serialized_content: Array.from(op.contentBytes),
            creator_public_key: op.creator.toString(),
            signature: op.signature.toString(),
          })),
        ],
      }),
    });
  }
  // dropped at the server (a client that does not read does not see its socket close either)
  await until(() => running.apiV2!.dropped >= 32, "the slow subscriber's 32 subscriptions dropped", 20_000);
  expect(running.apiV2!.subscriptions).toBe(4); // the reader's four
  // the reading subscriber got the blocks and the operations too, each validating
  const blockNotes = reader.notes.filter((n) => n.method === "new_blocks");
  const opNotes = reader.notes.filter((n) => n.method === "new_operations");
  expect(blockNotes.length).toBeGreaterThan(0);
  expect(opNotes.length).toBeGreaterThan(0);
  expect(blockNotes[0]!.subscription).toBe(blocksSub.result);
  expect(opNotes[0]!.subscription).toBe(opsSub.result);
  for (const n of blockNotes) expect(schema.resultErrors("subscribe_new_blocks", n.result)).toEqual([]);
  for (const n of opNotes.slice(0, 50))
    expect(schema.resultErrors("subscribe_new_operations", n.result)).toEqual([]);
  // the node kept producing, and the reading subscriber kept receiving
  const before = reader.notes.length;
  const finalBefore = node.execution.finalSlot;
  await until(() => reader.notes.length > before + 4, "more notifications to the reader", 10_000);
  await until(() => node.execution.finalSlot.period > finalBefore.period, "finality moving on", 10_000);
  expect(await reader.request("unsubscribe_new_blocks_headers", [sub.result])).toMatchObject({
    result: true,
  });
  expect(await reader.request("unsubscribe_new_blocks_headers", [sub.result])).toMatchObject({
    result: false,
  });
  reader.ws.close();
}, 90_000);
