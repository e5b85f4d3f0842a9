import { BoundedMap } from "./bounded.js";
import { compareBytes, toHex, toLatin1 } from "./bytes.js";
import { DecodeError } from "./errors.js";
import { decodeBs58Check, encodeBs58Check } from "./hash.js";
import type { PublicKey } from "./keys.js";
import type { ByteReader, ByteWriter } from "./reader.js";

export type AddressKind = "user" | "sc";
export const ADDRESS_VERSION = 0;
/** Binary size of a version-0 address: `varint(kind) ‖ varint(version) ‖ 32-byte hash`. */
export const ADDRESS_SIZE = 34;

/** Addresses read from bytes, by kind and hash (latin1): see {@link Address.deserialize}. */
const decodedAddresses = new BoundedMap<string, Address>(10_000);

/**
 * A Massa address: `AU…` (user, BLAKE3 of the 33-byte public key) or `AS…` (smart contract).
 * `bytes` is the 34-byte binary form `kind ‖ version ‖ hash`, whose lexicographic order is Massa's
 * address order (user before SC, then hash bytes unsigned): sort with {@link compareAddresses}.
 */
export class Address {
  readonly kind: AddressKind;
  readonly hash: Uint8Array;
  /** Binary form, 34 bytes. */
  readonly bytes: Uint8Array;
  private text: string | undefined;

  /** `hash` is copied: the address owns one 34-byte buffer, of which `hash` is a view. */
  constructor(kind: AddressKind, hash: Uint8Array) {
    if (hash.length !== 32) throw new DecodeError("address", `hash must be 32 bytes, got ${hash.length}`);
    this.kind = kind;
    const b = new Uint8Array(ADDRESS_SIZE);
    b[0] = kind === "user" ? 0 : 1;
    b[1] = ADDRESS_VERSION;
    b.set(hash, 2);
    this.bytes = b;
    this.hash = b.subarray(2);
  }

  /** The user address of `pk` (derived once per key object, see {@link PublicKey.address}). */
  static fromPublicKey(pk: PublicKey): Address {
    return pk.address;
  }

  static fromString(text: string, field = "address"): Address {
    if (
      typeof text !== "string" ||
      text.length < 3 ||
      text[0] !== "A" ||
      (text[1] !== "U" && text[1] !== "S")
    ) {
      throw new DecodeError(field, `"${String(text).slice(0, 60)}" is not an address (expected AU… or AS…)`);
    }
    const payload = decodeBs58Check(text.slice(2), field);
    if (payload.length !== 33)
      throw new DecodeError(field, `payload must be 33 bytes, got ${payload.length}`);
    if (payload[0] !== ADDRESS_VERSION)
      throw new DecodeError(field, `unsupported address version ${payload[0]}`);
    const a = new Address(text[1] === "U" ? "user" : "sc", payload.subarray(1));
    a.text = text;
    return a;
  }

  static fromBytes(bytes: Uint8Array, field = "address"): Address {
    if (bytes.length !== ADDRESS_SIZE)
      throw new DecodeError(field, `expected ${ADDRESS_SIZE} bytes, got ${bytes.length}`);
    const kind = bytes[0];
    if (kind !== 0 && kind !== 1) throw new DecodeError(field, `unknown address kind ${kind}`);
    if (bytes[1] !== ADDRESS_VERSION) throw new DecodeError(field, `unsupported address version ${bytes[1]}`);
    return new Address(kind === 0 ? "user" : "sc", bytes.subarray(2));
  }

  /**
   * Reads an address; addresses read again (a recipient of many operations) are shared, like decoded
   * public keys: one object and buffer per address instead of per operation (an address is immutable).
   */
  static deserialize(r: ByteReader, field = "address"): Address {
    const kind = r.readVarint(`${field}.kind`, 1n);
    const version = r.readVarint(`${field}.version`);
    if (version !== BigInt(ADDRESS_VERSION))
      throw new DecodeError(field, `unsupported address version ${version}`);
    const hash = r.readBytes(32, `${field}.hash`);
    const k = `${kind}${toLatin1(hash)}`;
    let a = decodedAddresses.get(k);
    if (!a) {
      a = new Address(kind === 0n ? "user" : "sc", hash);
      decodedAddresses.set(k, a);
    }
    return a;
  }

  serialize(w: ByteWriter): void {
    w.bytes(this.bytes);
  }

  toString(): string {
    this.text ??= `A${this.kind === "user" ? "U" : "S"}${encodeBs58Check(this.bytes.subarray(1))}`;
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Hex of the 34 bytes: a Map key that sorts like the address (computed once per address). */
  get key(): string {
    this.#key ??= toHex(this.bytes);
    return this.#key;
  }
  // a private field: invisible to structural comparisons and clones, like the value it caches
  #key: string | undefined;

  /** Thread of the address: `hash[0] >> (8 − log2(threadCount))` for users, 0 for smart contracts. */
  thread(threadCount: number): number {
    if (this.kind === "sc") return 0;
    const bits = 31 - Math.clz32(threadCount);
    return bits === 0 ? 0 : this.hash[0]! >> (8 - bits);
  }

  equals(other: Address): boolean {
    return compareBytes(this.bytes, other.bytes) === 0;
  }
}

/** Massa's address order (user before SC, then the hash bytes unsigned). Never sort address strings. */
export function compareAddresses(a: Address, b: Address): number {
  return compareBytes(a.bytes, b.bytes);
}
