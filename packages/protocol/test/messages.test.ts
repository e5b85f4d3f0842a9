// The codec of the messages added for block propagation and bootstrap: a round trip keeps every field, and
// a truncated or padded frame is a DecodeError naming the field (never a partial message).
import { Amount, BlockId, blake3, DecodeError, SecretKey, SignedOperation, Slot } from "@massa-ts/models";
import { executeScOfSize } from "@massa-ts/models/testing";
import { decodeMessage, encodeMessage, graphParts, type Message, operationBatches } from "@massa-ts/protocol";
import { describe, expect, it } from "vitest";

const te = new TextEncoder();
const key = new SecretKey(blake3(te.encode("messages-test")));
const ops = Array.from({ length: 3 }, (_, i) =>
  SignedOperation.sign(
    { fee: Amount.ZERO, expirePeriod: 10 + i, payload: { type: "RollBuy", rollCount: 1n } },
    key,
    77n,
  ),
);
const blockId = new BlockId(blake3(te.encode("a block")));

describe("messages", () => {
  it("blockOpIds and askOps round-trip with their ids in order", () => {
    for (const type of ["blockOpIds", "askOps"] as const) {
      const m: Message = { type, blockId, ids: ops.map((o) => o.id) };
      const back = decodeMessage(encodeMessage(m), 77n) as Extract<Message, { type: typeof type }>;
      expect(back.type).toBe(type);
      expect(back.blockId.equals(blockId)).toBe(true);
      expect(back.ids.map((i) => i.toString())).toEqual(ops.map((o) => o.id.toString()));
    }
  });

  it("opAnnounce and askOperations: type byte, varint count, each id as version 0 and its 32-byte hash", () => {
    for (const [type, typeByte] of [
      ["opAnnounce", 15],
      ["askOperations", 16],
    ] as const) {
      const ids = ops.map((o) => o.id);
      const bytes = encodeMessage({ type, ids });
      // worked by hand: 1 type byte, count 3 (one varint byte), 3 × (0x00 ‖ hash)
      const want = [typeByte, 3, ...ids.flatMap((id) => [0, ...id.hash])];
      expect([...bytes]).toEqual(want);
      const back = decodeMessage(bytes, 77n) as Extract<Message, { type: typeof type }>;
      expect(back.type).toBe(type);
      expect(back.ids.map((i) => i.toString())).toEqual(ids.map((i) => i.toString()));
      // more ids than a list may hold (5 000): refused before any is read
      expect(() => decodeMessage(Uint8Array.of(typeByte, 0x89, 0x27), 77n)).toThrow(/ids\.count/);
      expect(() => decodeMessage(bytes.subarray(0, bytes.length - 1), 77n)).toThrow(
        new RegExp(`${type}\\.ids\\[2\\]`),
      );
    }
  });

  it("bootstrapPart carries the server's record total", () => {
    const m: Message = {
      type: "bootstrapPart",
      slot: new Slot(5, 1),
      fingerprint: new Uint8Array(32).fill(7),
      entries: [[Uint8Array.of(1, 2), Uint8Array.of(3)]],
      updates: [[Uint8Array.of(9), null]],
      lastKey: Uint8Array.of(1, 2),
      finished: false,
      more: false,
      total: 3_000_021,
    };
    const back = decodeMessage(encodeMessage(m), 77n) as Extract<Message, { type: "bootstrapPart" }>;
    expect(back.total).toBe(3_000_021);
    expect(back.slot.equals(m.slot)).toBe(true);
    expect(back.entries).toEqual(m.entries);
    expect(back.updates).toEqual(m.updates);
    expect(back.more).toBe(false);
    // a chunk of updates with more to follow round-trips; one that also carries entries is malformed
    const chunk = { ...m, entries: [], more: true };
    expect((decodeMessage(encodeMessage(chunk), 77n) as typeof m).more).toBe(true);
    expect(() => decodeMessage(encodeMessage({ ...m, more: true }), 77n)).toThrow(/bootstrapPart\.more/);
  });

  it("a truncated or padded frame is a DecodeError", () => {
    const bytes = encodeMessage({ type: "askOps", blockId, ids: ops.map((o) => o.id) });
    expect(() => decodeMessage(bytes.subarray(0, bytes.length - 5), 77n)).toThrow(DecodeError);
    expect(() => decodeMessage(bytes.subarray(0, bytes.length - 5), 77n)).toThrow(/askOps\.ids\[2\]/);
    expect(() => decodeMessage(Uint8Array.from([...bytes, 0]), 77n)).toThrow(DecodeError);
  });

  it("an operation larger than a block's 300 000 bytes (Massa's MAX_BLOCK_SIZE) is refused at decode", () => {
    const sized = (size: number, name = "big") => {
      const op = executeScOfSize(size, new SecretKey(blake3(te.encode(name))), 77n);
      expect(op.toBytes().length).toBe(size); // the wire form, independent of the fixture's own count
      return op;
    };
    const fits = sized(300_000);
    const over = sized(300_001);
    const ok = decodeMessage(encodeMessage({ type: "operations", operations: [fits] }), 77n);
    expect((ok as Extract<Message, { type: "operations" }>).operations[0]!.id.equals(fits.id)).toBe(true);
    for (const m of [
      { type: "operations", operations: [ops[0]!, over] },
      { type: "blockOps", blockId, operations: [over] },
    ] as Message[]) {
      expect(() => decodeMessage(encodeMessage(m), 77n)).toThrow(
        /\[1\]|\[0\]: operation .* has 300001 bytes, more than a block's 300000/,
      );
    }
    // one block's operations: a blockOps answer over the block size in total is refused too
    const half = [sized(150_000, "h1"), sized(150_001, "h2")];
    expect(() => decodeMessage(encodeMessage({ type: "blockOps", blockId, operations: half }), 77n)).toThrow(
      /blockOps.operations: more than a block's 300000 bytes of operations/,
    );
    // the same two relayed as operations are fine (each fits a block)
    expect(
      (
        decodeMessage(encodeMessage({ type: "operations", operations: half }), 77n) as {
          operations: unknown[];
        }
      ).operations,
    ).toHaveLength(2);
  });

  it("operationBatches splits a relay into messages of at most the byte budget, keeping the order", () => {
    const items = [400, 400, 300, 900, 100, 2000].map((serializedSize, i) => ({ serializedSize, i }));
    const batches = operationBatches(items, 1000);
    expect(batches.map((b) => b.map((x) => x.i))).toEqual([[0, 1], [2], [3, 4], [5]]);
    expect(operationBatches([], 1000)).toEqual([]);
  });

  it("graphParts splits a bootstrap graph into frame-sized parts in order; graph messages keep `more`", () => {
    // sizes counted as content bytes + 100 (key and signature) + operation bytes
    const block = (content: number, opSizes: number[], i: number) => ({
      header: { contentBytes: new Uint8Array(content) },
      operations: opSizes.map((serializedSize) => ({ serializedSize })),
      i,
    });
    const blocks = [block(200, [300], 0), block(200, [], 1), block(100, [600], 2), block(900, [900], 3)];
    // 600, 300 | 800 | 1 900 (alone: larger than a part)
    expect(graphParts(blocks, 1000).map((p) => p.map((b) => b.i))).toEqual([[0, 1], [2], [3]]);
    expect(graphParts([], 1000)).toEqual([[]]);
    for (const more of [true, false]) {
      const back = decodeMessage(encodeMessage({ type: "graph", blocks: [], more }), 77n);
      expect(back).toEqual({ type: "graph", blocks: [], more });
    }
  });
});
