import { Address } from "./address.js";
import { Amount } from "./amount.js";
import { compareBytes, toHex } from "./bytes.js";
import { DecodeError } from "./errors.js";
import { blake3 } from "./hash.js";
import { OperationId } from "./ids.js";
import { PUBLIC_KEY_SIZE, PublicKey, type SecretKey, SIGNATURE_SIZE, Signature } from "./keys.js";
import { ByteReader, ByteWriter } from "./reader.js";

export const OPERATION_TYPES = ["Transaction", "RollBuy", "RollSell", "ExecuteSC", "CallSC"] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export type OperationPayload =
  | { readonly type: "Transaction"; readonly recipient: Address; readonly amount: Amount }
  | { readonly type: "RollBuy"; readonly rollCount: bigint }
  | { readonly type: "RollSell"; readonly rollCount: bigint }
  | {
      readonly type: "ExecuteSC";
      readonly maxGas: bigint;
      readonly maxCoins: Amount;
      readonly bytecode: Uint8Array;
      /** Operation datastore entries, in key byte order. */
      readonly datastore: readonly (readonly [Uint8Array, Uint8Array])[];
    }
  | {
      readonly type: "CallSC";
      readonly maxGas: bigint;
      readonly coins: Amount;
      readonly target: Address;
      readonly functionName: string;
      readonly parameter: Uint8Array;
    };

export interface OperationContent {
  readonly fee: Amount;
  readonly expirePeriod: number;
  readonly payload: OperationPayload;
}

/** Bounds the operation decoder enforces (Massa mainnet defaults). */
export interface OperationLimits {
  readonly maxBytecodeLength: number;
  readonly maxFunctionNameLength: number;
  readonly maxParameterLength: number;
  readonly maxDatastoreEntries: number;
  readonly maxDatastoreKeyLength: number;
  readonly maxDatastoreValueLength: number;
}

export const MASSA_OPERATION_LIMITS: OperationLimits = {
  maxBytecodeLength: 10_000_000,
  maxFunctionNameLength: 255,
  maxParameterLength: 10_000_000,
  maxDatastoreEntries: 128,
  maxDatastoreKeyLength: 255,
  maxDatastoreValueLength: 500_000,
};

const U16_MAX = 0xffff;

/**
 * An ExecuteSC's datastore as Massa reads it (a `BTreeMap`): sorted by key bytes, a key given twice keeping
 * its last value. The operation's bytes keep the entries as sent.
 */
export function datastoreMap(
  entries: readonly (readonly [Uint8Array, Uint8Array])[],
): (readonly [Uint8Array, Uint8Array])[] {
  const byKey = new Map<string, readonly [Uint8Array, Uint8Array]>();
  for (const e of entries) byKey.set(toHex(e[0]), e);
  return [...byKey.values()].sort(([a], [b]) => compareBytes(a, b));
}

export function serializeOperationContent(c: OperationContent): Uint8Array {
  const w = new ByteWriter(64);
  c.fee.serialize(w);
  w.varint(c.expirePeriod);
  const p = c.payload;
  w.varint(OPERATION_TYPES.indexOf(p.type));
  switch (p.type) {
    case "Transaction":
      p.recipient.serialize(w);
      p.amount.serialize(w);
      break;
    case "RollBuy":
    case "RollSell":
      w.varint(p.rollCount);
      break;
    case "ExecuteSC":
      w.varint(p.maxGas);
      p.maxCoins.serialize(w);
      w.lengthPrefixed(p.bytecode);
      w.varint(p.datastore.length);
      for (const [k, v] of p.datastore) w.lengthPrefixed(k).lengthPrefixed(v);
      break;
    case "CallSC": {
      w.varint(p.maxGas);
      p.coins.serialize(w);
      p.target.serialize(w);
      const name = new TextEncoder().encode(p.functionName);
      w.varint(name.length).bytes(name);
      w.lengthPrefixed(p.parameter);
      break;
    }
  }
  return w.finish();
}

/** Decodes operation content from untrusted bytes; `r` must end exactly after it when `exact`. */
export function deserializeOperationContent(
  r: ByteReader,
  limits: OperationLimits = MASSA_OPERATION_LIMITS,
  field = "operation",
): OperationContent {
  const fee = Amount.deserialize(r, `${field}.fee`);
  const expirePeriod = r.readVarintNumber(`${field}.expirePeriod`);
  const typeId = Number(r.readVarint(`${field}.type`, 0xffff_ffffn));
  const type = OPERATION_TYPES[typeId];
  if (type === undefined) throw new DecodeError(`${field}.type`, `unknown operation type ${typeId}`);
  let payload: OperationPayload;
  switch (type) {
    case "Transaction":
      payload = {
        type,
        recipient: Address.deserialize(r, `${field}.recipientAddress`),
        amount: Amount.deserialize(r, `${field}.amount`),
      };
      break;
    case "RollBuy":
    case "RollSell":
      payload = { type, rollCount: r.readVarint(`${field}.rollCount`) };
      break;
    case "ExecuteSC": {
      const maxGas = r.readVarint(`${field}.maxGas`);
      const maxCoins = Amount.deserialize(r, `${field}.maxCoins`);
      const bytecode = r.readLengthPrefixed(`${field}.bytecode`, limits.maxBytecodeLength).slice();
      const n = r.readVarintNumber(`${field}.datastore.count`, limits.maxDatastoreEntries);
      const datastore: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < n; i++) {
        const k = r.readLengthPrefixed(`${field}.datastore[${i}].key`, limits.maxDatastoreKeyLength).slice();
        const v = r
          .readLengthPrefixed(`${field}.datastore[${i}].value`, limits.maxDatastoreValueLength)
          .slice();
        datastore.push([k, v]);
      }
      payload = { type, maxGas, maxCoins, bytecode, datastore };
      break;
    }
    case "CallSC": {
      const maxGas = r.readVarint(`${field}.maxGas`);
      const coins = Amount.deserialize(r, `${field}.coins`);
      const target = Address.deserialize(r, `${field}.targetAddress`);
      const nameLen = r.readVarintNumber(
        `${field}.functionName.length`,
        Math.min(U16_MAX, limits.maxFunctionNameLength),
      );
      const nameBytes = r.readBytes(nameLen, `${field}.functionName`);
      let functionName: string;
      try {
        functionName = new TextDecoder("utf-8", { fatal: true }).decode(nameBytes);
      } catch {
        throw new DecodeError(`${field}.functionName`, "not valid UTF-8");
      }
      const parameter = r.readLengthPrefixed(`${field}.parameter`, limits.maxParameterLength).slice();
      payload = { type, maxGas, coins, target, functionName, parameter };
      break;
    }
  }
  return { fee, expirePeriod, payload };
}

/** Operation id: BLAKE3(u64be(chainId) ‖ creator public key (33 bytes) ‖ content bytes). */
export function computeOperationId(
  chainId: bigint,
  creator: PublicKey,
  contentBytes: Uint8Array,
): OperationId {
  // `u64be(chain id) ‖ public key ‖ content`, written into one scratch buffer (blake3 reads it at once)
  if (chainId !== preimageChainId) {
    new DataView(ID_PREIMAGE.buffer).setBigUint64(0, chainId);
    preimageChainId = chainId;
  }
  const pk = creator.toBytes();
  const len = 8 + pk.length + contentBytes.length;
  let buf: Uint8Array;
  if (len <= ID_PREIMAGE.length) {
    buf = ID_PREIMAGE.subarray(0, len);
  } else {
    buf = new Uint8Array(len);
    buf.set(ID_PREIMAGE.subarray(0, 8));
  }
  buf.set(pk, 8);
  buf.set(contentBytes, 8 + pk.length);
  return new OperationId(blake3(buf));
}

/** The id preimage of {@link computeOperationId} for operations of up to 983 content bytes; its first 8 bytes hold `preimageChainId`. */
const ID_PREIMAGE = new Uint8Array(1024);
let preimageChainId: bigint | undefined;

/** A signed operation ("secure share"). The signature covers the 32 bytes of the id. */
export class SignedOperation {
  readonly content: OperationContent;
  /** The exact content bytes the id is computed over (as received, or as serialized locally). */
  readonly contentBytes: Uint8Array;
  readonly creator: PublicKey;
  readonly signature: Signature;
  readonly chainId: bigint;
  readonly id: OperationId;
  private address: Address | undefined;

  constructor(
    content: OperationContent,
    contentBytes: Uint8Array,
    creator: PublicKey,
    signature: Signature,
    chainId: bigint,
  ) {
    this.content = content;
    this.contentBytes = contentBytes;
    this.creator = creator;
    this.signature = signature;
    this.chainId = chainId;
    this.id = computeOperationId(chainId, creator, contentBytes);
  }

  static sign(content: OperationContent, key: SecretKey, chainId: bigint): SignedOperation {
    const bytes = serializeOperationContent(content);
    const id = computeOperationId(chainId, key.publicKey, bytes);
    return new SignedOperation(content, bytes, key.publicKey, key.sign(id.hash), chainId);
  }

  get creatorAddress(): Address {
    this.address ??= Address.fromPublicKey(this.creator);
    return this.address;
  }

  /** Thread of the sender (the only thread whose blocks may include this operation). */
  senderThread(threadCount: number): number {
    return this.creatorAddress.thread(threadCount);
  }

  verifySignature(): boolean {
    return this.creator.verify(this.id.hash, this.signature);
  }

  /** Length of the wire form ({@link toBytes}) without building it. */
  get serializedSize(): number {
    return SIGNATURE_SIZE + PUBLIC_KEY_SIZE + this.contentBytes.length;
  }

  /** Wire form: `signature(65) ‖ creator public key(33) ‖ content`. */
  toBytes(): Uint8Array {
    const w = new ByteWriter(this.serializedSize);
    this.serialize(w);
    return w.finish();
  }

  /** Writes the wire form ({@link toBytes}) into `w`, without building it apart. */
  serialize(w: ByteWriter): void {
    this.signature.serialize(w);
    this.creator.serialize(w);
    w.bytes(this.contentBytes);
  }

  static deserialize(
    r: ByteReader,
    chainId: bigint,
    limits: OperationLimits = MASSA_OPERATION_LIMITS,
    field = "operation",
  ): SignedOperation {
    const signature = Signature.deserialize(r, `${field}.signature`);
    const creator = PublicKey.deserialize(r, `${field}.creator`);
    const start = r.offset;
    const content = deserializeOperationContent(r, limits, field);
    return new SignedOperation(content, r.bytes.slice(start, r.offset), creator, signature, chainId);
  }

  /** One operation from its wire bytes; trailing bytes are rejected. */
  static fromBytes(
    bytes: Uint8Array,
    chainId: bigint,
    limits: OperationLimits = MASSA_OPERATION_LIMITS,
  ): SignedOperation {
    const r = new ByteReader(bytes);
    const op = SignedOperation.deserialize(r, chainId, limits);
    r.expectEnd("operation");
    return op;
  }

  /** The JSON form of `send_operations`. */
  toSendOperationsInput(): SendOperationInput {
    return {
      serialized_content: Array.from(this.contentBytes),
      creator_public_key: this.creator.toString(),
      signature: this.signature.toString(),
    };
  }
}

/** One operation as Massa's `send_operations` JSON-RPC method receives it. */
export interface SendOperationInput {
  serialized_content: number[];
  creator_public_key: string;
  signature: string;
}

/**
 * Parses and decodes one `send_operations` entry from untrusted JSON. Content must be an array of
 * integers 0..255 with no trailing bytes after the operation content.
 */
export function parseSendOperationInput(
  input: unknown,
  chainId: bigint,
  limits: OperationLimits = MASSA_OPERATION_LIMITS,
): SignedOperation {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new DecodeError(
      "operation",
      "expected an object with serialized_content, creator_public_key, signature",
    );
  }
  const o = input as Record<string, unknown>;
  const sc = o.serialized_content;
  if (!Array.isArray(sc)) throw new DecodeError("serialized_content", "expected an array of bytes");
  const maxLen = 64 + limits.maxBytecodeLength + limits.maxParameterLength;
  if (sc.length > maxLen) throw new DecodeError("serialized_content", `longer than ${maxLen} bytes`);
  const bytes = new Uint8Array(sc.length);
  for (let i = 0; i < sc.length; i++) {
    const b = sc[i];
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 255) {
      throw new DecodeError(`serialized_content[${i}]`, `${JSON.stringify(b)} is not a byte (0..255)`);
    }
    bytes[i] = b;
  }
  if (typeof o.creator_public_key !== "string")
    throw new DecodeError("creator_public_key", "expected a string");
  if (typeof o.signature !== "string") throw new DecodeError("signature", "expected a string");
  const creator = PublicKey.fromString(o.creator_public_key, "creator_public_key");
  const signature = Signature.fromString(o.signature, "signature");
  const r = new ByteReader(bytes);
  const content = deserializeOperationContent(r, limits, "serialized_content");
  r.expectEnd("serialized_content");
  return new SignedOperation(content, bytes, creator, signature, chainId);
}
