import { Address } from "./address.js";
import { concatBytes } from "./bytes.js";
import { SignedEndorsement } from "./endorsement.js";
import { DecodeError } from "./errors.js";
import { blake3 } from "./hash.js";
import { BlockId, ID_VERSION, OperationId } from "./ids.js";
import { PublicKey, type SecretKey, Signature } from "./keys.js";
import { ByteReader, ByteWriter } from "./reader.js";
import { Slot } from "./slot.js";

const U32_MAX = 0xffff_ffffn;
const OPT_NONE = 0x30; // ASCII '0'
const OPT_SOME = 0x31; // ASCII '1'

/** Limits a block decoder enforces on untrusted bytes (Massa mainnet defaults). */
export interface BlockLimits {
  readonly threadCount: number;
  readonly endorsementCount: number;
  readonly maxOperationsPerBlock: number;
  /**
   * Bytes of serialized operations a block may carry (Massa's `MAX_BLOCK_SIZE`). Also the largest
   * operation anyone accepts: one that could never fit in a block is refused at decode, pool and API.
   */
  readonly maxBlockSize: number;
  readonly maxDenunciationsPerHeader: number;
  /** Period of the genesis blocks (Massa's `last_start_period`): headers there have no parents. */
  readonly lastStartPeriod: number;
}

export const MASSA_BLOCK_LIMITS: BlockLimits = {
  threadCount: 32,
  endorsementCount: 16,
  maxOperationsPerBlock: 5000,
  maxBlockSize: 300_000,
  maxDenunciationsPerHeader: 128,
  lastStartPeriod: 0,
};

/** A denunciation kept as its parsed fields (checked by recomputing the signed hashes, later work). */
export type Denunciation =
  | {
      readonly kind: "blockHeader";
      readonly publicKey: PublicKey;
      readonly slot: Slot;
      readonly hash1: Uint8Array;
      readonly hash2: Uint8Array;
      readonly signature1: Signature;
      readonly signature2: Signature;
    }
  | {
      readonly kind: "endorsement";
      readonly publicKey: PublicKey;
      readonly slot: Slot;
      readonly index: number;
      readonly hash1: Uint8Array;
      readonly hash2: Uint8Array;
      readonly signature1: Signature;
      readonly signature2: Signature;
    };

export interface BlockHeaderContent {
  readonly currentVersion: number;
  readonly announcedVersion: number | undefined;
  readonly slot: Slot;
  /** One parent per thread (parent i is in thread i); empty for a genesis header. */
  readonly parents: readonly BlockId[];
  readonly operationMerkleRoot: Uint8Array;
  /** Endorsements of `parents[slot.thread]`, each with a distinct index. */
  readonly endorsements: readonly SignedEndorsement[];
  readonly denunciations: readonly Denunciation[];
}

/** The "operation merkle root": BLAKE3 over `u64be(33) ‖ opId33` for each op in block order. */
export function operationMerkleRoot(ops: readonly OperationId[]): Uint8Array {
  // blake3Tuple of the ids' 33-byte binary forms, written in place: `u64be(33) ‖ version ‖ hash` each
  const part = 8 + 1 + 32;
  const buf = new Uint8Array(ops.length * part);
  for (let i = 0; i < ops.length; i++) {
    const at = i * part;
    buf[at + 7] = 33;
    buf[at + 8] = ID_VERSION;
    buf.set(ops[i]!.hash, at + 9);
  }
  return blake3(buf);
}

function serializeDenunciation(w: ByteWriter, d: Denunciation): void {
  w.varint(d.kind === "blockHeader" ? 0 : 1);
  d.publicKey.serialize(w);
  d.slot.serialize(w);
  if (d.kind === "endorsement") w.varint(d.index);
  w.bytes(d.hash1).bytes(d.hash2);
  d.signature1.serialize(w);
  d.signature2.serialize(w);
}

function deserializeDenunciation(r: ByteReader, limits: BlockLimits, field: string): Denunciation {
  const kind = r.readVarint(`${field}.type`, U32_MAX);
  if (kind > 1n) throw new DecodeError(`${field}.type`, `unknown denunciation type ${kind}`);
  const publicKey = PublicKey.deserialize(r, `${field}.publicKey`);
  const slot = Slot.deserialize(r, limits.threadCount, `${field}.slot`);
  let index = 0;
  if (kind === 1n) {
    index = Number(r.readVarint(`${field}.index`, U32_MAX));
    if (index >= limits.endorsementCount)
      throw new DecodeError(`${field}.index`, `index ${index} out of range`);
  }
  const hash1 = r.readBytes(32, `${field}.hash1`).slice();
  const hash2 = r.readBytes(32, `${field}.hash2`).slice();
  const signature1 = Signature.deserialize(r, `${field}.signature1`);
  const signature2 = Signature.deserialize(r, `${field}.signature2`);
  return kind === 0n
    ? { kind: "blockHeader", publicKey, slot, hash1, hash2, signature1, signature2 }
    : { kind: "endorsement", publicKey, slot, index, hash1, hash2, signature1, signature2 };
}

export function serializeBlockHeaderContent(h: BlockHeaderContent): Uint8Array {
  const w = new ByteWriter(256 + h.parents.length * 33 + h.endorsements.length * 100);
  w.varint(h.currentVersion);
  if (h.announcedVersion === undefined) w.u8(OPT_NONE);
  else w.u8(OPT_SOME).varint(h.announcedVersion);
  h.slot.serialize(w);
  if (h.parents.length === 0) {
    w.u8(0);
  } else {
    w.u8(1);
    for (const p of h.parents) p.serialize(w);
  }
  w.bytes(h.operationMerkleRoot);
  w.varint(h.endorsements.length);
  for (const e of h.endorsements) e.serializeLightweight(w);
  w.varint(h.denunciations.length);
  for (const d of h.denunciations) serializeDenunciation(w, d);
  return w.finish();
}

/** Parses header content, enforcing Massa's structural rules (parents, genesis form, endorsements). */
export function deserializeBlockHeaderContent(
  r: ByteReader,
  limits: BlockLimits = MASSA_BLOCK_LIMITS,
  field = "header",
): BlockHeaderContent {
  const currentVersion = Number(r.readVarint(`${field}.currentVersion`, U32_MAX));
  const tag = r.readU8(`${field}.announcedVersion`);
  let announcedVersion: number | undefined;
  if (tag === OPT_SOME) announcedVersion = Number(r.readVarint(`${field}.announcedVersion`, U32_MAX));
  else if (tag !== OPT_NONE) throw new DecodeError(`${field}.announcedVersion`, `bad option tag ${tag}`);
  const slot = Slot.deserialize(r, limits.threadCount, `${field}.slot`);
  const flag = r.readU8(`${field}.parentsFlag`);
  const parents: BlockId[] = [];
  if (flag === 1) {
    for (let i = 0; i < limits.threadCount; i++)
      parents.push(BlockId.deserialize(r, `${field}.parents[${i}]`));
  } else if (flag !== 0) {
    throw new DecodeError(`${field}.parentsFlag`, `expected 0 or 1, got ${flag}`);
  }
  if (slot.period === limits.lastStartPeriod && parents.length !== 0) {
    throw new DecodeError(`${field}.parents`, "a genesis-period header must have no parents");
  }
  if (slot.period !== limits.lastStartPeriod && parents.length === 0) {
    throw new DecodeError(
      `${field}.parents`,
      `a header after the genesis period needs ${limits.threadCount} parents`,
    );
  }
  const operationMerkleRoot = r.readBytes(32, `${field}.operationMerkleRoot`).slice();
  const count = Number(r.readVarint(`${field}.endorsements.count`, BigInt(limits.endorsementCount)));
  const endorsements: SignedEndorsement[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const f = `${field}.endorsements[${i}]`;
    const signature = Signature.deserialize(r, `${f}.signature`);
    const creator = PublicKey.deserialize(r, `${f}.creator`);
    const index = Number(r.readVarint(`${f}.index`, U32_MAX));
    if (index >= limits.endorsementCount) throw new DecodeError(`${f}.index`, `index ${index} out of range`);
    if (seen.has(index)) throw new DecodeError(`${f}.index`, `duplicate endorsement index ${index}`);
    seen.add(index);
    const endorsed = parents[slot.thread];
    if (!endorsed) throw new DecodeError(f, "a genesis header cannot carry endorsements");
    endorsements.push(new SignedEndorsement({ slot, index, endorsedBlock: endorsed }, creator, signature));
  }
  const dcount = Number(
    r.readVarint(`${field}.denunciations.count`, BigInt(limits.maxDenunciationsPerHeader)),
  );
  const denunciations: Denunciation[] = [];
  for (let i = 0; i < dcount; i++) {
    denunciations.push(deserializeDenunciation(r, limits, `${field}.denunciations[${i}]`));
  }
  if (parents.length === 0 && dcount !== 0) {
    throw new DecodeError(`${field}.denunciations`, "a genesis header cannot carry denunciations");
  }
  return {
    currentVersion,
    announcedVersion,
    slot,
    parents,
    operationMerkleRoot,
    endorsements,
    denunciations,
  };
}

/** BLAKE3(pubkey33 ‖ slotKey9 ‖ id32): what a header signature covers. */
export function headerSignedHash(creator: PublicKey, slot: Slot, id: Uint8Array): Uint8Array {
  return blake3(concatBytes(creator.toBytes(), slot.toKey(), id));
}

/** A signed block header. The block id is the header id: BLAKE3(pubkey33 ‖ content bytes). */
export class SignedBlockHeader {
  readonly content: BlockHeaderContent;
  /** The exact content bytes (as received, or as serialized when built locally). */
  readonly contentBytes: Uint8Array;
  readonly creator: PublicKey;
  readonly signature: Signature;
  readonly id: BlockId;
  private address: Address | undefined;

  constructor(
    content: BlockHeaderContent,
    contentBytes: Uint8Array,
    creator: PublicKey,
    signature: Signature,
  ) {
    this.content = content;
    this.contentBytes = contentBytes;
    this.creator = creator;
    this.signature = signature;
    this.id = new BlockId(blake3(concatBytes(creator.toBytes(), contentBytes)));
  }

  static sign(content: BlockHeaderContent, key: SecretKey): SignedBlockHeader {
    const bytes = serializeBlockHeaderContent(content);
    const id = blake3(concatBytes(key.publicKey.toBytes(), bytes));
    return new SignedBlockHeader(
      content,
      bytes,
      key.publicKey,
      key.sign(headerSignedHash(key.publicKey, content.slot, id)),
    );
  }

  get creatorAddress(): Address {
    this.address ??= Address.fromPublicKey(this.creator);
    return this.address;
  }

  verifySignature(): boolean {
    return this.creator.verify(
      headerSignedHash(this.creator, this.content.slot, this.id.hash),
      this.signature,
    );
  }

  serialize(w: ByteWriter): void {
    this.signature.serialize(w);
    this.creator.serialize(w);
    w.bytes(this.contentBytes);
  }

  static deserialize(
    r: ByteReader,
    limits: BlockLimits = MASSA_BLOCK_LIMITS,
    field = "header",
  ): SignedBlockHeader {
    const signature = Signature.deserialize(r, `${field}.signature`);
    const creator = PublicKey.deserialize(r, `${field}.creator`);
    const start = r.offset;
    const content = deserializeBlockHeaderContent(r, limits, field);
    return new SignedBlockHeader(content, r.bytes.slice(start, r.offset), creator, signature);
  }
}

/** A block: its signed header and the ids of its operations (bound by the header's merkle root). */
export class Block {
  readonly header: SignedBlockHeader;
  readonly operations: readonly OperationId[];

  constructor(header: SignedBlockHeader, operations: readonly OperationId[]) {
    this.header = header;
    this.operations = operations;
  }

  get id(): BlockId {
    return this.header.id;
  }

  /** True when the header's merkle root matches the operation list. */
  merkleRootMatches(): boolean {
    const root = operationMerkleRoot(this.operations);
    const h = this.header.content.operationMerkleRoot;
    return root.length === h.length && root.every((b, i) => b === h[i]);
  }

  toBytes(): Uint8Array {
    const w = new ByteWriter(512 + this.operations.length * 33);
    this.header.serialize(w);
    w.varint(this.operations.length);
    for (const o of this.operations) o.serialize(w);
    return w.finish();
  }

  /** Parses a whole block from untrusted bytes; trailing bytes are rejected. */
  static fromBytes(bytes: Uint8Array, limits: BlockLimits = MASSA_BLOCK_LIMITS): Block {
    const r = new ByteReader(bytes);
    const header = SignedBlockHeader.deserialize(r, limits, "block.header");
    const n = Number(r.readVarint("block.operations.count", BigInt(limits.maxOperationsPerBlock)));
    const ops: OperationId[] = [];
    for (let i = 0; i < n; i++) ops.push(OperationId.deserialize(r, `block.operations[${i}]`));
    r.expectEnd("block");
    return new Block(header, ops);
  }
}

/** The genesis header of `thread` (no parents, empty merkle root, version 0), signed by `genesisKey`. */
export function genesisHeader(thread: number, genesisKey: SecretKey, period = 0): SignedBlockHeader {
  return SignedBlockHeader.sign(
    {
      currentVersion: 0,
      announcedVersion: undefined,
      slot: new Slot(period, thread),
      parents: [],
      operationMerkleRoot: operationMerkleRoot([]),
      endorsements: [],
      denunciations: [],
    },
    genesisKey,
  );
}
