import { Address } from "./address.js";
import { concatBytes, u32le } from "./bytes.js";
import { DecodeError } from "./errors.js";
import { blake3 } from "./hash.js";
import { BlockId, EndorsementId } from "./ids.js";
import { PublicKey, type SecretKey, Signature } from "./keys.js";
import type { ByteReader } from "./reader.js";
import { ByteWriter } from "./reader.js";
import { Slot } from "./slot.js";

const U32_MAX = 0xffff_ffffn;

/** What an endorsement says: at `slot`, endorser number `index` endorses `endorsedBlock`. */
export interface EndorsementContent {
  readonly slot: Slot;
  readonly index: number;
  readonly endorsedBlock: BlockId;
}

/** Full content bytes (`Slot ‖ varint_u32(index) ‖ BlockId(33)`): the input of the endorsement id. */
export function serializeEndorsementContent(c: EndorsementContent): Uint8Array {
  const w = new ByteWriter(48);
  c.slot.serialize(w);
  w.varint(c.index);
  c.endorsedBlock.serialize(w);
  return w.finish();
}

export function deserializeEndorsementContent(
  r: ByteReader,
  limits: { threadCount: number; endorsementCount: number },
  field = "endorsement",
): EndorsementContent {
  const slot = Slot.deserialize(r, limits.threadCount, `${field}.slot`);
  const index = Number(r.readVarint(`${field}.index`, U32_MAX));
  if (index >= limits.endorsementCount) {
    throw new DecodeError(`${field}.index`, `index ${index} ≥ endorsement count ${limits.endorsementCount}`);
  }
  const endorsedBlock = BlockId.deserialize(r, `${field}.endorsedBlock`);
  return { slot, index, endorsedBlock };
}

/** A signed endorsement (secure share). */
export class SignedEndorsement {
  readonly content: EndorsementContent;
  readonly creator: PublicKey;
  readonly signature: Signature;
  readonly id: EndorsementId;
  private address: Address | undefined;

  constructor(content: EndorsementContent, creator: PublicKey, signature: Signature) {
    this.content = content;
    this.creator = creator;
    this.signature = signature;
    this.id = new EndorsementId(blake3(concatBytes(creator.toBytes(), serializeEndorsementContent(content))));
  }

  get creatorAddress(): Address {
    this.address ??= Address.fromPublicKey(this.creator);
    return this.address;
  }

  /** The 32 bytes actually signed: BLAKE3(pubkey33 ‖ slotKey9 ‖ u32le(index) ‖ id32). */
  signedHash(): Uint8Array {
    return endorsementSignedHash(this.creator, this.content.slot, this.content.index, this.id.hash);
  }

  verifySignature(): boolean {
    return this.creator.verify(this.signedHash(), this.signature);
  }

  static sign(content: EndorsementContent, key: SecretKey): SignedEndorsement {
    const id = blake3(concatBytes(key.publicKey.toBytes(), serializeEndorsementContent(content)));
    const sig = key.sign(endorsementSignedHash(key.publicKey, content.slot, content.index, id));
    return new SignedEndorsement(content, key.publicKey, sig);
  }

  /** Gossip wire form: `sig65 ‖ pubkey33 ‖ full content`. */
  serialize(w: ByteWriter): void {
    this.signature.serialize(w);
    this.creator.serialize(w);
    w.bytes(serializeEndorsementContent(this.content));
  }

  /** Lightweight form inside a block header: `sig65 ‖ pubkey33 ‖ varint_u32(index)`. */
  serializeLightweight(w: ByteWriter): void {
    this.signature.serialize(w);
    this.creator.serialize(w);
    w.varint(this.content.index);
  }

  static deserialize(
    r: ByteReader,
    limits: { threadCount: number; endorsementCount: number },
    field = "endorsement",
  ): SignedEndorsement {
    const signature = Signature.deserialize(r, `${field}.signature`);
    const creator = PublicKey.deserialize(r, `${field}.creator`);
    return new SignedEndorsement(deserializeEndorsementContent(r, limits, field), creator, signature);
  }
}

/** BLAKE3(pubkey33 ‖ slotKey9 ‖ u32le(index) ‖ id32): what an endorsement signature covers. */
export function endorsementSignedHash(
  creator: PublicKey,
  slot: Slot,
  index: number,
  id: Uint8Array,
): Uint8Array {
  return blake3(concatBytes(creator.toBytes(), slot.toKey(), u32le(index), id));
}
