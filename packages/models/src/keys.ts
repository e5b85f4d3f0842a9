import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
} from "node:crypto";
import { Address } from "./address.js";
import { BoundedMap } from "./bounded.js";
import { concatBytes, toLatin1 } from "./bytes.js";
import { ed25519KeyObject, sodiumSigner, verifyEd25519 } from "./ed25519.js";
import { DecodeError } from "./errors.js";
import { blake3, decodeBs58Check, decodeBs58CheckView, encodeBs58Check } from "./hash.js";
import type { ByteReader, ByteWriter } from "./reader.js";

/** Key and signature format version (the leading varint of every key). Massa uses 0. */
export const KEY_VERSION = 0;
export const PUBLIC_KEY_SIZE = 33;
export const SECRET_KEY_SIZE = 33;
export const SIGNATURE_SIZE = 65;

const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Public keys parsed from text, by text. */
const parsedKeys = new BoundedMap<string, PublicKey>(10_000);
/** The same by the key's 33 bytes read as latin1 (operations decoded from peers, blocks, the execution thread's input). */
const decodedKeys = new BoundedMap<string, PublicKey>(10_000);

/** An Ed25519 signature (`varint(0) ‖ 64 bytes`), text form bs58check without prefix. */
export class Signature {
  /** The raw 64-byte Ed25519 signature. */
  readonly raw: Uint8Array;
  constructor(raw: Uint8Array) {
    if (raw.length !== 64) throw new DecodeError("signature", `expected 64 raw bytes, got ${raw.length}`);
    this.raw = raw;
  }
  /** 65 bytes: version varint then the signature. */
  toBytes(): Uint8Array {
    return concatBytes(Uint8Array.of(KEY_VERSION), this.raw);
  }
  static fromBytes(bytes: Uint8Array, field = "signature"): Signature {
    if (bytes.length !== SIGNATURE_SIZE)
      throw new DecodeError(field, `expected ${SIGNATURE_SIZE} bytes, got ${bytes.length}`);
    if (bytes[0] !== KEY_VERSION) throw new DecodeError(field, `unsupported signature version ${bytes[0]}`);
    return new Signature(bytes.slice(1));
  }
  /** base58check text, computed once (API answers repeat it). */
  toString(): string {
    this.text ??= encodeBs58Check(this.toBytes());
    return this.text;
  }
  private text: string | undefined;
  static fromString(text: string, field = "signature"): Signature {
    // the text is not kept: every operation submitted would hold its 94 characters for as long as it lives,
    // for answers that seldom ask for it (printing it again gives the same text: base58check is canonical)
    // read out of the decoder's scratch array: `fromBytes` copies the 64 raw bytes, one array on the V8 heap
    return Signature.fromBytes(decodeBs58CheckView(text, field), field);
  }
  serialize(w: ByteWriter): void {
    w.u8(KEY_VERSION).bytes(this.raw);
  }
  static deserialize(r: ByteReader, field = "signature"): Signature {
    return Signature.fromBytes(r.readBytes(SIGNATURE_SIZE, field), field);
  }
}

/** An Ed25519 public key, text form `P` + bs58check(`varint(0) ‖ 32 bytes`). */
export class PublicKey {
  /** The raw 32-byte Ed25519 point. */
  readonly raw: Uint8Array;
  private keyObject: KeyObject | undefined;
  private cachedBytes: Uint8Array | undefined;
  // a private field: invisible to structural comparisons and clones, like the value it caches
  #address: Address | undefined;

  constructor(raw: Uint8Array) {
    if (raw.length !== 32) throw new DecodeError("public key", `expected 32 raw bytes, got ${raw.length}`);
    this.raw = raw;
  }

  /**
   * The user address of this key (`Address.fromPublicKey`), derived once per key object: parsed keys are
   * shared (a sender's operations carry the same object), so a sender's address is hashed once, not per
   * operation. Addresses are immutable, so the one object is shared too.
   */
  get address(): Address {
    this.#address ??= new Address("user", blake3(this.toBytes()));
    return this.#address;
  }

  /** The 33-byte versioned form that Massa hashes and sends. */
  toBytes(): Uint8Array {
    this.cachedBytes ??= concatBytes(Uint8Array.of(KEY_VERSION), this.raw);
    return this.cachedBytes;
  }

  /** Decoded keys are remembered too, by their bytes: a sender's operations share one key object. */
  static fromBytes(bytes: Uint8Array, field = "public key"): PublicKey {
    if (bytes.length !== PUBLIC_KEY_SIZE)
      throw new DecodeError(field, `expected ${PUBLIC_KEY_SIZE} bytes, got ${bytes.length}`);
    if (bytes[0] !== KEY_VERSION) throw new DecodeError(field, `unsupported key version ${bytes[0]}`);
    const k = toLatin1(bytes);
    let key = decodedKeys.get(k);
    if (!key) {
      key = new PublicKey(bytes.slice(1));
      decodedKeys.set(k, key);
    }
    return key;
  }

  /** "P" + base58check, computed once (API answers repeat it). */
  toString(): string {
    this.text ??= `P${encodeBs58Check(this.toBytes())}`;
    return this.text;
  }
  private text: string | undefined;

  /** Parsed keys are remembered (senders send many operations; a key is immutable). */
  static fromString(text: string, field = "public key"): PublicKey {
    if (typeof text !== "string" || !text.startsWith("P"))
      throw new DecodeError(field, 'must start with "P"');
    let key = parsedKeys.get(text);
    if (!key) {
      key = PublicKey.fromBytes(decodeBs58Check(text.slice(1), field), field);
      key.text = text; // base58check is canonical: printing it again gives the same text
      parsedKeys.set(text, key);
    }
    return key;
  }

  /** Massa's node id of a node whose p2p key this is: `N` + bs58check of the versioned key. */
  toNodeId(): string {
    return `N${encodeBs58Check(this.toBytes())}`;
  }

  static fromNodeId(text: string, field = "node id"): PublicKey {
    if (typeof text !== "string" || !text.startsWith("N"))
      throw new DecodeError(field, 'must start with "N"');
    return PublicKey.fromBytes(decodeBs58Check(text.slice(1), field), field);
  }

  serialize(w: ByteWriter): void {
    w.bytes(this.toBytes());
  }

  static deserialize(r: ByteReader, field = "public key"): PublicKey {
    return PublicKey.fromBytes(r.readBytes(PUBLIC_KEY_SIZE, field), field);
  }

  /** Node's KeyObject for this key (cached); throws a DecodeError if the point is not a valid key. */
  toKeyObject(): KeyObject {
    if (!this.keyObject) {
      try {
        const o = ed25519KeyObject(this.raw);
        if (!o) throw new DecodeError("public key", "not a point OpenSSL accepts as an Ed25519 key");
        this.keyObject = o;
      } catch (e) {
        throw new DecodeError("public key", "not a valid Ed25519 public key", { cause: e });
      }
    }
    return this.keyObject;
  }

  /** Verifies an Ed25519 signature over `message` (in Massa, always a 32-byte hash). */
  verify(message: Uint8Array, signature: Signature): boolean {
    return verifyEd25519(this.raw, message, signature.raw);
  }

  equals(other: PublicKey): boolean {
    return Buffer.compare(this.raw, other.raw) === 0;
  }
}

/** An Ed25519 secret key, text form `S` + bs58check(`varint(0) ‖ 32-byte seed`). */
export class SecretKey {
  /** The raw 32-byte seed. */
  readonly raw: Uint8Array;
  private readonly keyObject: KeyObject;
  /** libsodium's signer for this seed where it loads (the same bytes as OpenSSL's, faster), else OpenSSL's. */
  private signer: ((message: Uint8Array) => Uint8Array) | undefined;
  readonly publicKey: PublicKey;

  constructor(raw: Uint8Array) {
    if (raw.length !== 32) throw new DecodeError("secret key", `expected 32 raw bytes, got ${raw.length}`);
    this.raw = raw;
    this.keyObject = createPrivateKey({
      key: Buffer.from(concatBytes(PKCS8_PREFIX, raw)),
      format: "der",
      type: "pkcs8",
    });
    const spki = createPublicKey(this.keyObject).export({ format: "der", type: "spki" });
    this.publicKey = new PublicKey(new Uint8Array(spki.subarray(spki.length - 32)));
  }

  static generate(): SecretKey {
    const { privateKey } = generateKeyPairSync("ed25519");
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    return new SecretKey(new Uint8Array(der.subarray(der.length - 32)));
  }

  toBytes(): Uint8Array {
    return concatBytes(Uint8Array.of(KEY_VERSION), this.raw);
  }

  static fromBytes(bytes: Uint8Array, field = "secret key"): SecretKey {
    if (bytes.length !== SECRET_KEY_SIZE)
      throw new DecodeError(field, `expected ${SECRET_KEY_SIZE} bytes, got ${bytes.length}`);
    if (bytes[0] !== KEY_VERSION) throw new DecodeError(field, `unsupported key version ${bytes[0]}`);
    return new SecretKey(bytes.slice(1));
  }

  toString(): string {
    return `S${encodeBs58Check(this.toBytes())}`;
  }

  static fromString(text: string, field = "secret key"): SecretKey {
    if (typeof text !== "string" || !text.startsWith("S"))
      throw new DecodeError(field, 'must start with "S"');
    return SecretKey.fromBytes(decodeBs58Check(text.slice(1), field), field);
  }

  /** Ed25519 signature of `message` (in Massa, always a 32-byte hash). */
  sign(message: Uint8Array): Signature {
    this.signer ??= sodiumSigner(this.raw) ?? ((m) => new Uint8Array(nodeSign(null, m, this.keyObject)));
    return new Signature(this.signer(message));
  }
}
