export { ADDRESS_SIZE, ADDRESS_VERSION, Address, type AddressKind, compareAddresses } from "./address.js";
export { Amount } from "./amount.js";
export {
  Block,
  type BlockHeaderContent,
  type BlockLimits,
  type Denunciation,
  deserializeBlockHeaderContent,
  genesisHeader,
  headerSignedHash,
  MASSA_BLOCK_LIMITS,
  operationMerkleRoot,
  SignedBlockHeader,
  serializeBlockHeaderContent,
} from "./block.js";
export { BoundedMap, BoundedSet } from "./bounded.js";
export { bytesEqual, compareBytes, concatBytes, fromHex, toHex, toLatin1, u32le, u64be } from "./bytes.js";
export { ED25519_BACKEND, ed25519Fallbacks } from "./ed25519.js";
export {
  deserializeEndorsementContent,
  type EndorsementContent,
  endorsementSignedHash,
  SignedEndorsement,
  serializeEndorsementContent,
} from "./endorsement.js";
export { AmountError, DecodeError, MassaTsError, ModelsError } from "./errors.js";
export {
  blake3,
  blake3Loaded,
  blake3Tuple,
  blake3Xof,
  decodeBs58Check,
  encodeBs58Check,
  HASH_SIZE,
  hashFromString,
  hashToString,
} from "./hash.js";
export { BlockId, EndorsementId, ID_VERSION, OperationId } from "./ids.js";
export {
  KEY_VERSION,
  PUBLIC_KEY_SIZE,
  PublicKey,
  SECRET_KEY_SIZE,
  SecretKey,
  SIGNATURE_SIZE,
  Signature,
} from "./keys.js";
export {
  computeOperationId,
  datastoreMap,
  deserializeOperationContent,
  MASSA_OPERATION_LIMITS,
  OPERATION_TYPES,
  type OperationContent,
  type OperationLimits,
  type OperationPayload,
  type OperationType,
  parseSendOperationInput,
  type SendOperationInput,
  SignedOperation,
  serializeOperationContent,
} from "./operation.js";
export { ByteReader, ByteWriter } from "./reader.js";
export type { Selection, SelectionView } from "./selection.js";
export { MASSA_SLOT_CONFIG, Slot, type SlotConfig, validateSlotConfig } from "./slot.js";
export { decodeVarint, encodeVarint, varintLength } from "./varint.js";
export { workerFile } from "./worker-file.js";
