import { bytesEqual, concatBytes, toHex } from "./bytes.js";
import { DecodeError } from "./errors.js";
import { decodeBs58CheckView, encodeBs58Check } from "./hash.js";
import type { ByteReader, ByteWriter } from "./reader.js";

/** Id version (the varint before the hash in binary and text forms). */
export const ID_VERSION = 0;

/** `varint(ID_VERSION) ‖ hash` of the id being printed. */
const ID_BYTES = Uint8Array.of(ID_VERSION, ...new Uint8Array(32));

/**
 * A 32-byte hash id with Massa's text form `<prefix>` + bs58check(`varint(0) ‖ hash`) and binary
 * form `varint(0) ‖ hash` (33 bytes).
 */
/** `HashId.key` cache, outside the objects so that equal ids stay structurally equal. */

abstract class HashId {
  readonly hash: Uint8Array;
  private text: string | undefined;
  protected abstract get prefix(): string;

  constructor(hash: Uint8Array) {
    if (hash.length !== 32) throw new DecodeError("id", `hash must be 32 bytes, got ${hash.length}`);
    this.hash = hash;
  }

  toString(): string {
    if (this.text === undefined) {
      // encodeBs58Check reads its payload at once: one scratch buffer serves every id
      ID_BYTES.set(this.hash, 1);
      this.text = this.prefix + encodeBs58Check(ID_BYTES);
    }
    return this.text;
  }

  /** The text this id was parsed from (base58check is canonical: it is what `toString` would print). */
  protected withText(text: string): this {
    this.text = text;
    return this;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Binary form: `varint(0) ‖ hash` (33 bytes). */
  toBytes(): Uint8Array {
    return concatBytes(Uint8Array.of(ID_VERSION), this.hash);
  }

  serialize(w: ByteWriter): void {
    w.u8(ID_VERSION).bytes(this.hash);
  }

  /** Hex of the hash: a Map key (computed once per id). */
  get key(): string {
    this.#key ??= toHex(this.hash);
    return this.#key;
  }
  // a private field: invisible to structural comparisons and clones, like the value it caches
  #key: string | undefined;

  equals(other: HashId): boolean {
    return bytesEqual(this.hash, other.hash);
  }
}

function parseId(text: string, prefix: string, field: string): Uint8Array {
  if (typeof text !== "string" || !text.startsWith(prefix))
    throw new DecodeError(field, `must start with "${prefix}"`);
  const payload = decodeBs58CheckView(text.slice(prefix.length), field);
  if (payload.length !== 33 || payload[0] !== ID_VERSION)
    throw new DecodeError(field, "bad id payload (expected version 0 and 32 bytes)");
  return payload.slice(1);
}

function readId(r: ByteReader, field: string): Uint8Array {
  r.readVarint(`${field}.version`, BigInt(ID_VERSION));
  return r.readBytes(32, field).slice();
}

export class OperationId extends HashId {
  protected get prefix(): string {
    return "O";
  }
  static fromString(text: string, field = "operation id"): OperationId {
    return new OperationId(parseId(text, "O", field)).withText(text);
  }
  static deserialize(r: ByteReader, field = "operation id"): OperationId {
    return new OperationId(readId(r, field));
  }
}

export class BlockId extends HashId {
  protected get prefix(): string {
    return "B";
  }
  /** Seed bit of a slot where this block was produced: the most significant bit of byte 0 of the id. */
  seedBit(): boolean {
    return (this.hash[0]! & 0x80) !== 0;
  }
  static fromString(text: string, field = "block id"): BlockId {
    return new BlockId(parseId(text, "B", field)).withText(text);
  }
  static deserialize(r: ByteReader, field = "block id"): BlockId {
    return new BlockId(readId(r, field));
  }
}

export class EndorsementId extends HashId {
  protected get prefix(): string {
    return "E";
  }
  static fromString(text: string, field = "endorsement id"): EndorsementId {
    return new EndorsementId(parseId(text, "E", field)).withText(text);
  }
  static deserialize(r: ByteReader, field = "endorsement id"): EndorsementId {
    return new EndorsementId(readId(r, field));
  }
}
