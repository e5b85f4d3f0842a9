// The codec of the messages added for block propagation and bootstrap: a round trip keeps every field, and
// a truncated or padded frame is a DecodeError naming the field (never a partial message).
import { Amount, BlockId, blake3, DecodeError, SecretKey, SignedOperation, Slot } from "@massa-ts/models";
import { decodeMessage, encodeMessage, type Message } from "@massa-ts/protocol";
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

  it("bootstrapPart carries the server's record total", () => {
    const m: Message = {
      type: "bootstrapPart",
      slot: new Slot(5, 1),
      fingerprint: new Uint8Array(32).fill(7),
      entries: [[Uint8Array.of(1, 2), Uint8Array.of(3)]],
      updates: [[Uint8Array.of(9), null]],
      lastKey: Uint8Array.of(1, 2),
      finished: false,
      total: 3_000_021,
    };
    const back = decodeMessage(encodeMessage(m), 77n) as Extract<Message, { type: "bootstrapPart" }>;
    expect(back.total).toBe(3_000_021);
    expect(back.slot.equals(m.slot)).toBe(true);
    expect(back.entries).toEqual(m.entries);
    expect(back.updates).toEqual(m.updates);
  });

  it("a truncated or padded frame is a DecodeError", () => {
    const bytes = encodeMessage({ type: "askOps", blockId, ids: ops.map((o) => o.id) });
    expect(() => decodeMessage(bytes.subarray(0, bytes.length - 5), 77n)).toThrow(DecodeError);
    expect(() => decodeMessage(bytes.subarray(0, bytes.length - 5), 77n)).toThrow(/askOps\.ids\[2\]/);
    expect(() => decodeMessage(Uint8Array.from([...bytes, 0]), 77n)).toThrow(DecodeError);
  });
});
