import {
  BlockId,
  type BlockLimits,
  ByteReader,
  ByteWriter,
  DecodeError,
  MASSA_BLOCK_LIMITS,
  MASSA_OPERATION_LIMITS,
  PublicKey,
  Signature,
  SignedBlockHeader,
  SignedEndorsement,
  SignedOperation,
} from "@massa-ts/models";

/** Wire protocol version; peers with another one are refused at the handshake. */
export const PROTOCOL_VERSION = 1;

/** Most items in one list message (operations, endorsements). */
export const MAX_LIST_ITEMS = 5000;

/** The messages peers exchange (each frame: `u32 length ‖ type byte ‖ body`). */
export type Message =
  | { type: "hello"; version: number; chainId: bigint; publicKey: PublicKey; nonce: Uint8Array }
  | { type: "proof"; signature: Signature }
  | { type: "ping"; nonce: bigint }
  | { type: "pong"; nonce: bigint }
  | { type: "header"; header: SignedBlockHeader }
  | { type: "askBlock"; blockId: BlockId }
  | { type: "blockOps"; blockId: BlockId; operations: SignedOperation[] }
  | { type: "operations"; operations: SignedOperation[] }
  | { type: "endorsements"; endorsements: SignedEndorsement[] };

const TYPES = [
  "hello",
  "proof",
  "ping",
  "pong",
  "header",
  "askBlock",
  "blockOps",
  "operations",
  "endorsements",
] as const;

export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter(256);
  w.u8(TYPES.indexOf(m.type));
  switch (m.type) {
    case "hello":
      w.varint(m.version).u64be(m.chainId);
      m.publicKey.serialize(w);
      w.bytes(m.nonce);
      break;
    case "proof":
      m.signature.serialize(w);
      break;
    case "ping":
    case "pong":
      w.u64be(m.nonce);
      break;
    case "header":
      m.header.serialize(w);
      break;
    case "askBlock":
      m.blockId.serialize(w);
      break;
    case "blockOps":
      m.blockId.serialize(w);
      w.varint(m.operations.length);
      for (const o of m.operations) w.bytes(o.toBytes());
      break;
    case "operations":
      w.varint(m.operations.length);
      for (const o of m.operations) w.bytes(o.toBytes());
      break;
    case "endorsements":
      w.varint(m.endorsements.length);
      for (const e of m.endorsements) e.serialize(w);
      break;
  }
  return w.finish();
}

/** Decodes one message from untrusted bytes; any defect (unknown type, short, trailing) is a DecodeError. */
export function decodeMessage(
  bytes: Uint8Array,
  chainId: bigint,
  limits: BlockLimits = MASSA_BLOCK_LIMITS,
): Message {
  const r = new ByteReader(bytes);
  const t = TYPES[r.readU8("message type")];
  if (!t) throw new DecodeError("message type", `unknown message type ${bytes[0]}`);
  let m: Message;
  const ops = (field: string) => {
    const n = r.readVarintNumber(`${field}.count`, MAX_LIST_ITEMS);
    return Array.from({ length: n }, (_, i) =>
      SignedOperation.deserialize(r, chainId, MASSA_OPERATION_LIMITS, `${field}[${i}]`),
    );
  };
  switch (t) {
    case "hello":
      m = {
        type: t,
        version: r.readVarintNumber("hello.version", 0xffff_ffff),
        chainId: r.readU64BE("hello.chainId"),
        publicKey: PublicKey.deserialize(r, "hello.publicKey"),
        nonce: r.readBytes(32, "hello.nonce"),
      };
      break;
    case "proof":
      m = { type: t, signature: Signature.deserialize(r, "proof.signature") };
      break;
    case "ping":
    case "pong":
      m = { type: t, nonce: r.readU64BE(`${t}.nonce`) };
      break;
    case "header":
      m = { type: t, header: SignedBlockHeader.deserialize(r, limits, "header") };
      break;
    case "askBlock":
      m = { type: t, blockId: BlockId.deserialize(r, "askBlock.blockId") };
      break;
    case "blockOps":
      m = {
        type: t,
        blockId: BlockId.deserialize(r, "blockOps.blockId"),
        operations: ops("blockOps.operations"),
      };
      break;
    case "operations":
      m = { type: t, operations: ops("operations") };
      break;
    case "endorsements": {
      const n = r.readVarintNumber("endorsements.count", MAX_LIST_ITEMS);
      m = {
        type: t,
        endorsements: Array.from({ length: n }, (_, i) =>
          SignedEndorsement.deserialize(r, limits, `endorsements[${i}]`),
        ),
      };
      break;
    }
  }
  r.expectEnd(`${t} message`);
  return m;
}
