// A bootstrap client far behind catches up through several messages (issue 17: the final update ignored the
// part size, so under a heavy write load one part could outgrow the frame and the client never finished).
// Real final states (LMDB in a temp dir) at both ends, every message through the wire codec. The expected
// end: the client's state hash equals the server's own, computed by settling the slots itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BootstrapCursor, FinalState } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, Slot, toHex } from "@massa-ts/models";
import { decodeMessage, encodeMessage } from "@massa-ts/protocol";
import { afterAll, expect, it } from "vitest";
import {
  MAX_PIECE_BYTES,
  MAX_UPDATE_CHUNKS,
  type PartMessage,
  partMessages,
  receivePart,
} from "../src/node/bootstrap-parts.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-bootstrap-parts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T = 4;
const CHAIN = 3n;
const N = 5_000;
const MAX = 20_000;
const addr = (i: number) => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, Math.imul(i, 2654435761) >>> 0);
  new DataView(h.buffer).setUint32(4, i);
  return new Address("user", h);
};
let opened = 0;
const open = () =>
  FinalState.open({
    path: join(dir, `fs-${opened++}`),
    chainId: CHAIN,
    threadCount: T,
    changeHistoryLength: 600,
  });

/** The server's side of one exchange: the part for `cursor`, as the wire carries it. */
function serve(src: FinalState, cursor: BootstrapCursor): { wire: Uint8Array[]; messages: PartMessage[] } {
  const part = src.bootstrapPart(cursor, MAX);
  const msgs = partMessages(part, cursor, src.stateHash.fingerprint(), 0, MAX);
  const wire = msgs.map((m) => encodeMessage(m));
  return { wire, messages: wire.map((b) => decodeMessage(b, CHAIN) as PartMessage) };
}

async function streamAll(
  src: FinalState,
  dst: FinalState,
  cursor: BootstrapCursor,
): Promise<BootstrapCursor> {
  for (;;) {
    const { messages } = serve(src, cursor);
    const m = await receivePart(dst, cursor, async () => messages.shift()!, "server");
    cursor = { slot: m.slot, ...(m.lastKey ? { lastKey: m.lastKey } : {}), finished: m.finished };
    if (m.finished && m.entries.length === 0) return cursor;
  }
}

function churn(k: number): LedgerChanges {
  const c = new LedgerChanges();
  for (let j = 0; j < 300; j++)
    c.setBalance(addr((k * 7919 + j * 331) % N), Amount.fromNano(BigInt(k * 1000 + j + 1)));
  return c;
}

it("a client 30 slots behind gets the changes in chunks within the part size; a stream cut among them resumes", async () => {
  const src = await open();
  const c = new LedgerChanges();
  for (let j = 0; j < N; j++) {
    c.createAddress(addr(j));
    c.setBalance(addr(j), Amount.fromNano(BigInt(j + 1)));
  }
  let k = 0;
  src.settleSlot(Slot.fromIndex(k++, T), { ledgerChanges: c });
  const dst = await open();
  let cursor = await streamAll(src, dst, {});
  expect(toHex(dst.stateHash.bytes)).toBe(toHex(src.stateHash.bytes));
  const behind = cursor.slot!;

  // 30 slots of 300 balance writes each: ~200 KB of changes, ten times the part size
  for (let i = 0; i < 30; i++) src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: churn(k++) });
  const first = serve(src, cursor);
  expect(first.messages.length).toBeGreaterThan(5);
  for (const [i, b] of first.wire.entries()) {
    expect(b.length, `message ${i}`).toBeLessThan(MAX + 200); // the chunk plus the part's fixed fields
    expect(first.messages[i]!.more).toBe(i < first.wire.length - 1);
  }
  // the stream breaks after 3 chunks: the client's cursor (and its final slot) did not move
  const three = first.messages.slice(0, 3);
  await expect(
    receivePart(
      dst,
      cursor,
      async () => three.shift() ?? Promise.reject(new Error("connection lost")),
      "server",
    ),
  ).rejects.toThrow(/connection lost/);
  expect(dst.lastFinalSlot!.equals(behind)).toBe(true);

  // two more slots, then the client asks again from the same cursor and finishes
  for (let i = 0; i < 2; i++) src.settleSlot(Slot.fromIndex(k, T), { ledgerChanges: churn(k++) });
  cursor = await streamAll(src, dst, cursor);
  expect(cursor.slot!.equals(src.lastFinalSlot!)).toBe(true);
  expect(toHex(dst.stateHash.bytes)).toBe(toHex(src.stateHash.bytes));
  await src.close();
  await dst.close();
});

it("a server sending chunks of updates to a fresh client, or without end, is refused by name", async () => {
  const dst = await open();
  const chunk = (): PartMessage => ({
    type: "bootstrapPart",
    slot: new Slot(1, 0),
    fingerprint: new Uint8Array(32),
    entries: [],
    updates: [],
    lastKey: undefined,
    finished: false,
    more: true,
    total: 0,
  });
  await expect(receivePart(dst, {}, async () => chunk(), "N1evil@127.0.0.1:1")).rejects.toThrow(
    /N1evil@127.0.0.1:1 sent updates before any state/,
  );
  // a client with a state slot: at most MAX_UPDATE_CHUNKS chunks of one part
  const src = await open();
  const c = new LedgerChanges();
  c.createAddress(addr(1));
  src.settleSlot(Slot.fromIndex(0, T), { ledgerChanges: c });
  const cursor = await streamAll(src, dst, {});
  let sent = 0;
  await expect(
    receivePart(
      dst,
      cursor,
      async () => {
        sent++;
        return chunk();
      },
      "N1evil@127.0.0.1:1",
    ),
  ).rejects.toThrow(new RegExp(`more than ${MAX_UPDATE_CHUNKS} chunks of updates`));
  expect(sent).toBe(MAX_UPDATE_CHUNKS + 1);
  await src.close();
  await dst.close();
});

it("values larger than a frame (a contract's 9 MB bytecode, a 5 MB datastore value changed meanwhile) go in pieces, each message within its frame, and arrive whole", async () => {
  const MB = 1024 * 1024;
  const src = await open();
  const contract = new Address("sc", new Uint8Array(32).fill(7));
  const code = new Uint8Array(9 * MB);
  for (let i = 0; i < code.length; i++) code[i] = (i * 31) & 255;
  const c = new LedgerChanges();
  c.createAddress(contract);
  c.setBalance(contract, Amount.fromMas("1"));
  c.setBytecode(contract, code);
  c.setDataEntry(contract, Uint8Array.of(1), new Uint8Array(10).fill(1));
  for (let j = 0; j < 50; j++) c.createAddress(addr(j));
  src.settleSlot(Slot.fromIndex(0, T), { ledgerChanges: c });
  const dst = await open();
  const parts = (cursor: BootstrapCursor, maxBytes: number) => {
    const part = src.bootstrapPart(cursor, maxBytes);
    const wire = partMessages(part, cursor, src.stateHash.fingerprint(), 0, maxBytes).map((m) =>
      encodeMessage(m),
    );
    for (const b of wire) expect(b.length).toBeLessThan(maxBytes + 300);
    return wire.map((b) => decodeMessage(b, CHAIN) as PartMessage);
  };
  let cursor: BootstrapCursor = {};
  const pieces = { entry: 0, update: 0 };
  for (;;) {
    const messages = parts(cursor, MB);
    for (const m of messages) if (m.piece) pieces[m.piece.kind]++;
    const m = await receivePart(dst, cursor, async () => messages.shift()!, "server");
    cursor = { slot: m.slot, ...(m.lastKey ? { lastKey: m.lastKey } : {}), finished: m.finished };
    if (m.finished && m.entries.length === 0) break;
  }
  // the client holds every key; then the contract's value grows to 5 MB: an update in pieces
  const grow = new LedgerChanges();
  grow.setDataEntry(contract, Uint8Array.of(1), new Uint8Array(5 * MB).fill(9));
  src.settleSlot(Slot.fromIndex(1, T), { ledgerChanges: grow });
  const last = parts(cursor, MB);
  for (const m of last) if (m.piece) pieces[m.piece.kind]++;
  await receivePart(dst, cursor, async () => last.shift()!, "server");
  // 9 MB of bytecode (and its length prefix) as a new entry; the 5 MB value as an update of a held key
  expect(pieces).toEqual({ entry: 10, update: 5 });
  expect(toHex(dst.stateHash.bytes)).toBe(toHex(src.stateHash.bytes));
  expect(Buffer.compare(dst.ledger.getBytecode(contract)!, code)).toBe(0);
  expect(dst.ledger.getDatastoreValue(contract, Uint8Array.of(1))!.length).toBe(5 * MB);
  await src.close();
  await dst.close();
});

it("a server sending pieces out of order, empty, unfinished or past the bound is refused by name", async () => {
  const dst = await open();
  const src = await open();
  const c = new LedgerChanges();
  c.createAddress(addr(1));
  src.settleSlot(Slot.fromIndex(0, T), { ledgerChanges: c });
  const cursor = await streamAll(src, dst, {});
  const base: PartMessage = {
    type: "bootstrapPart",
    slot: cursor.slot!,
    fingerprint: new Uint8Array(32),
    entries: [],
    updates: [],
    lastKey: cursor.lastKey,
    finished: true,
    more: false,
    total: 0,
  };
  const piece = (offset: number, length: number, data: Uint8Array): PartMessage => ({
    ...base,
    finished: false,
    more: true,
    piece: { kind: "entry", key: Uint8Array.of(9), offset, length, data },
  });
  const feed = (list: PartMessage[]) => async () => list.shift() ?? piece(0, 10, new Uint8Array(10));
  await expect(receivePart(dst, cursor, feed([piece(5, 10, new Uint8Array(5))]), "N1x")).rejects.toThrow(
    /N1x sent a piece of a value without its beginning/,
  );
  await expect(
    receivePart(dst, cursor, feed([piece(0, 10, new Uint8Array(5)), piece(6, 10, new Uint8Array(4))]), "N1x"),
  ).rejects.toThrow(/out of order/);
  await expect(receivePart(dst, cursor, feed([piece(0, 10, new Uint8Array(0))]), "N1x")).rejects.toThrow(
    /empty piece/,
  );
  await expect(
    receivePart(dst, cursor, feed([piece(0, 10, new Uint8Array(5)), base]), "N1x"),
  ).rejects.toThrow(/left a large value unfinished/);
  const huge = Math.floor(MAX_PIECE_BYTES / 10) + 1;
  let n = 0;
  await expect(
    receivePart(
      dst,
      cursor,
      async () => {
        n++;
        const m = piece(0, huge, new Uint8Array(1));
        return { ...m, piece: { ...m.piece!, key: Uint8Array.of(n), data: new Uint8Array(huge) } };
      },
      "N1x",
    ),
  ).rejects.toThrow(/more than 100000000 bytes of large values/);
  await src.close();
  await dst.close();
});
