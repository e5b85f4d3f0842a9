// The peer messages and their codec: the union of message shapes, their type bytes (TYPES), one encoder and
// one strict decoder with the bounds each list and value may reach. Over 400 lines: the union, TYPES and the
// two switches must name the same messages in the same order, which is checked best side by side.
import {
  BlockId,
  type BlockLimits,
  ByteReader,
  ByteWriter,
  DecodeError,
  MASSA_BLOCK_LIMITS,
  MASSA_OPERATION_LIMITS,
  OperationId,
  PublicKey,
  Signature,
  SignedBlockHeader,
  SignedEndorsement,
  SignedOperation,
  Slot,
} from "@massa-ts/models";

/** Wire protocol version; peers with another one are refused at the handshake. */
export const PROTOCOL_VERSION = 6;

/** Most items in one list message (operations, endorsements). */
export const MAX_LIST_ITEMS = 5000;

/**
 * The messages peers exchange (each frame: `u32 length ‖ type byte ‖ body`; after a side's proof, its frames
 * are sealed: `u32 length ‖ sealed(type byte ‖ body)`, see channel.ts).
 */
export type Message =
  | {
      type: "hello";
      version: number;
      chainId: bigint;
      publicKey: PublicKey;
      nonce: Uint8Array;
      /** Raw X25519 public key of this connection (32 bytes). */
      ephemeral: Uint8Array;
    }
  | { type: "proof"; signature: Signature }
  | { type: "ping"; nonce: bigint }
  | { type: "pong"; nonce: bigint }
  | { type: "header"; header: SignedBlockHeader }
  | { type: "askBlock"; blockId: BlockId }
  | { type: "blockOps"; blockId: BlockId; operations: SignedOperation[] }
  | { type: "operations"; operations: SignedOperation[] }
  | { type: "endorsements"; endorsements: SignedEndorsement[] }
  /** Bootstrap client → server: the next part after this cursor. */
  | { type: "bootstrapAsk"; slot: Slot | undefined; lastKey: Uint8Array | undefined; finished: boolean }
  /**
   * Bootstrap server → client: state entries in key order, updates since the client's slot, new cursor. The
   * updates of one part may span several messages (each within a frame): all but the last have `more` set,
   * no entries, and leave the client's cursor where it was.
   */
  | {
      type: "bootstrapPart";
      slot: Slot;
      /** The server's state fingerprint at `slot` (BLAKE3 of the 512-byte hash): the client checks its own. */
      fingerprint: Uint8Array;
      entries: [Uint8Array, Uint8Array][];
      updates: [Uint8Array, Uint8Array | null][];
      lastKey: Uint8Array | undefined;
      finished: boolean;
      /** More updates of this part follow in the next message. */
      more: boolean;
      /** Records the server holds (an estimate, for the client's progress bar). */
      total: number;
      /**
       * One piece of a value too large for a frame (a contract's bytecode or datastore value, up to 10 MB):
       * sent before the rest of its part, in order, in messages with `more` set; the client assembles the
       * value and applies it with the part.
       */
      piece?: ValuePiece;
    }
  /** Bootstrap client → server: the consensus graph, please. */
  | { type: "graphAsk" }
  /**
   * Bootstrap server → client: the graph's blocks (full), in slot order, with their finality; in parts that
   * fit a frame (`more`: another part follows).
   */
  | {
      type: "graph";
      blocks: { header: SignedBlockHeader; operations: SignedOperation[]; final: boolean }[];
      more: boolean;
    }
  /** An announced block's operation ids, in block order (after its `header`): fetch only what you lack. */
  | { type: "blockOpIds"; blockId: BlockId; ids: OperationId[] }
  /** The operations of a block this node lacks; answered with a (partial) `blockOps`. */
  | { type: "askOps"; blockId: BlockId; ids: OperationId[] }
  /**
   * Operations the sender holds in its pool (ids only): a peer asks for those it lacks with
   * `askOperations`, so an operation's bytes cross each link at most once instead of once from every peer.
   */
  | { type: "opAnnounce"; ids: OperationId[] }
  /** Announced operations this node lacks; answered with `operations` (those the sender still holds). */
  | { type: "askOperations"; ids: OperationId[] };

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
  "bootstrapAsk",
  "bootstrapPart",
  "graphAsk",
  "graph",
  "blockOpIds",
  "askOps",
  "opAnnounce",
  "askOperations",
] as const;

/** Longest key or value in a bootstrap part (a datastore value is at most 10 MB; parts stay far below). */
/** A state key or value: up to Massa's 10 MB bytecode or datastore value, with its length prefix. */
const MAX_ENTRY = 10_000_100;

/** A slice of a large state value in a bootstrap part. */
export interface ValuePiece {
  /** An entry new to the client, or an update of a key it holds. */
  readonly kind: "entry" | "update";
  readonly key: Uint8Array;
  /** Where this slice starts in the value, and the value's whole length. */
  readonly offset: number;
  readonly length: number;
  readonly data: Uint8Array;
}
/** Most entries in one bootstrap part. */
export const MAX_PART_ENTRIES = 1_000_000;
/** Most blocks in a graph message. */
const MAX_GRAPH_BLOCKS = 100_000;

function writeOpt(w: ByteWriter, b: Uint8Array | undefined): void {
  if (b === undefined) w.u8(0x30);
  else w.u8(0x31).lengthPrefixed(b);
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter(256);
  w.u8(TYPES.indexOf(m.type));
  switch (m.type) {
    case "hello":
      w.varint(m.version).u64be(m.chainId);
      m.publicKey.serialize(w);
      w.bytes(m.nonce);
      w.bytes(m.ephemeral);
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
      for (const o of m.operations) o.serialize(w);
      break;
    case "operations":
      w.varint(m.operations.length);
      for (const o of m.operations) o.serialize(w);
      break;
    case "endorsements":
      w.varint(m.endorsements.length);
      for (const e of m.endorsements) e.serialize(w);
      break;
    case "bootstrapAsk":
      writeOpt(w, m.slot?.toKey());
      writeOpt(w, m.lastKey);
      w.u8(m.finished ? 1 : 0);
      break;
    case "bootstrapPart":
      w.bytes(m.slot.toKey())
        .bytes(m.fingerprint)
        .u8(m.finished ? 1 : 0)
        .u8(m.more ? 1 : 0)
        .varint(m.total);
      writeOpt(w, m.lastKey);
      w.varint(m.entries.length);
      for (const [k, v] of m.entries) w.lengthPrefixed(k).lengthPrefixed(v);
      w.varint(m.updates.length);
      for (const [k, v] of m.updates) {
        w.lengthPrefixed(k);
        writeOpt(w, v ?? undefined);
      }
      if (m.piece) {
        const pc = m.piece;
        w.u8(pc.kind === "entry" ? 1 : 2)
          .lengthPrefixed(pc.key)
          .varint(pc.offset)
          .varint(pc.length);
        w.lengthPrefixed(pc.data);
      } else w.u8(0);
      break;
    case "graphAsk":
      break;
    case "blockOpIds":
    case "askOps":
      m.blockId.serialize(w);
      w.varint(m.ids.length);
      for (const id of m.ids) id.serialize(w);
      break;
    case "opAnnounce":
    case "askOperations":
      w.varint(m.ids.length);
      for (const id of m.ids) id.serialize(w);
      break;
    case "graph":
      w.u8(m.more ? 1 : 0);
      w.varint(m.blocks.length);
      for (const b of m.blocks) {
        w.u8(b.final ? 1 : 0);
        b.header.serialize(w);
        w.varint(b.operations.length);
        for (const o of b.operations) o.serialize(w);
      }
      break;
  }
  return w.finish();
}

function readOpt(r: ByteReader, field: string, max: number): Uint8Array | undefined {
  const tag = r.readU8(field);
  if (tag === 0x30) return undefined;
  if (tag !== 0x31) throw new DecodeError(field, `bad option tag ${tag}`);
  return r.readLengthPrefixed(field, max);
}

function readFlag(r: ByteReader, field: string): boolean {
  const f = r.readU8(field);
  if (f > 1) throw new DecodeError(field, `bad flag ${f}`);
  return f === 1;
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
  // an operation larger than a block's operations could never be included: refused here, before anyone
  // pools, relays or answers with it (Massa: InvalidOperationError, the sender banned); `maxTotal` bounds
  // a message carrying one block's operations
  const ops = (field: string, maxTotal = Number.POSITIVE_INFINITY) => {
    const n = r.readVarintNumber(`${field}.count`, MAX_LIST_ITEMS);
    let total = 0;
    return Array.from({ length: n }, (_, i) => {
      const op = SignedOperation.deserialize(r, chainId, MASSA_OPERATION_LIMITS, `${field}[${i}]`);
      const size = op.serializedSize;
      if (size > limits.maxBlockSize) {
        throw new DecodeError(
          `${field}[${i}]`,
          `operation ${op.id} has ${size} bytes, more than a block's ${limits.maxBlockSize}`,
        );
      }
      total += size;
      if (total > maxTotal) {
        throw new DecodeError(field, `more than a block's ${limits.maxBlockSize} bytes of operations`);
      }
      return op;
    });
  };
  switch (t) {
    case "hello":
      m = {
        type: t,
        version: r.readVarintNumber("hello.version", 0xffff_ffff),
        chainId: r.readU64BE("hello.chainId"),
        publicKey: PublicKey.deserialize(r, "hello.publicKey"),
        nonce: r.readBytes(32, "hello.nonce"),
        ephemeral: r.readBytes(32, "hello.ephemeral"),
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
        operations: ops("blockOps.operations", limits.maxBlockSize),
      };
      break;
    case "operations":
      m = { type: t, operations: ops("operations") };
      break;
    case "bootstrapAsk": {
      const slot = readOpt(r, "bootstrapAsk.slot", 9);
      m = {
        type: t,
        slot: slot ? Slot.fromKey(slot, "bootstrapAsk.slot") : undefined,
        lastKey: readOpt(r, "bootstrapAsk.lastKey", MAX_ENTRY),
        finished: readFlag(r, "bootstrapAsk.finished"),
      };
      break;
    }
    case "bootstrapPart": {
      const slot = Slot.fromKey(r.readBytes(9, "bootstrapPart.slot"), "bootstrapPart.slot");
      const fingerprint = r.readBytes(32, "bootstrapPart.fingerprint");
      const finished = readFlag(r, "bootstrapPart.finished");
      const more = readFlag(r, "bootstrapPart.more");
      const total = r.readVarintNumber("bootstrapPart.total", Number.MAX_SAFE_INTEGER);
      const lastKey = readOpt(r, "bootstrapPart.lastKey", MAX_ENTRY);
      const n = r.readVarintNumber("bootstrapPart.entries.count", MAX_PART_ENTRIES);
      const entries: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < n; i++) {
        entries.push([
          r.readLengthPrefixed(`entries[${i}].key`, MAX_ENTRY),
          r.readLengthPrefixed(`entries[${i}].value`, MAX_ENTRY),
        ]);
      }
      const u = r.readVarintNumber("bootstrapPart.updates.count", MAX_PART_ENTRIES);
      const updates: [Uint8Array, Uint8Array | null][] = [];
      for (let i = 0; i < u; i++) {
        updates.push([
          r.readLengthPrefixed(`updates[${i}].key`, MAX_ENTRY),
          readOpt(r, `updates[${i}].value`, MAX_ENTRY) ?? null,
        ]);
      }
      if (more && (entries.length > 0 || finished))
        throw new DecodeError(
          "bootstrapPart.more",
          "a message with more updates to follow carries entries or ends the stream",
        );
      const pieceKind = r.readBytes(1, "bootstrapPart.piece")[0]!;
      let piece: ValuePiece | undefined;
      if (pieceKind === 1 || pieceKind === 2) {
        const key = r.readLengthPrefixed("bootstrapPart.piece.key", MAX_ENTRY);
        const offset = r.readVarintNumber("bootstrapPart.piece.offset", MAX_ENTRY);
        const length = r.readVarintNumber("bootstrapPart.piece.length", MAX_ENTRY);
        const data = r.readLengthPrefixed("bootstrapPart.piece.data", MAX_ENTRY);
        if (offset + data.length > length)
          throw new DecodeError("bootstrapPart.piece", "a piece runs past its value's length");
        if (!more)
          throw new DecodeError("bootstrapPart.piece", "a piece must be followed by the rest of its part");
        piece = { kind: pieceKind === 1 ? "entry" : "update", key, offset, length, data };
      } else if (pieceKind !== 0)
        throw new DecodeError("bootstrapPart.piece", `unknown piece kind ${pieceKind}`);
      m = {
        type: t,
        slot,
        fingerprint,
        entries,
        updates,
        lastKey,
        finished,
        more,
        total,
        ...(piece ? { piece } : {}),
      };
      break;
    }
    case "graphAsk":
      m = { type: t };
      break;
    case "blockOpIds":
    case "askOps": {
      const blockId = BlockId.deserialize(r, `${t}.blockId`);
      const n = r.readVarintNumber(`${t}.ids.count`, MAX_LIST_ITEMS);
      const ids = Array.from({ length: n }, (_, i) => OperationId.deserialize(r, `${t}.ids[${i}]`));
      m = { type: t, blockId, ids };
      break;
    }
    case "opAnnounce":
    case "askOperations": {
      const n = r.readVarintNumber(`${t}.ids.count`, MAX_LIST_ITEMS);
      m = { type: t, ids: Array.from({ length: n }, (_, i) => OperationId.deserialize(r, `${t}.ids[${i}]`)) };
      break;
    }
    case "graph": {
      const more = readFlag(r, "graph.more");
      const n = r.readVarintNumber("graph.count", MAX_GRAPH_BLOCKS);
      const blocks: { header: SignedBlockHeader; operations: SignedOperation[]; final: boolean }[] = [];
      for (let i = 0; i < n; i++) {
        const final = readFlag(r, `graph[${i}].final`);
        const header = SignedBlockHeader.deserialize(r, limits, `graph[${i}].header`);
        blocks.push({ header, operations: ops(`graph[${i}].operations`), final });
      }
      m = { type: t, blocks, more };
      break;
    }
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
