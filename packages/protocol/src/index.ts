export { type PeerAddress, parsePeerAddress, pinnedAddress } from "./address.js";
export { BanList } from "./bans.js";
export { type GraphBlock, graphParts, operationBatches, updateChunks } from "./batches.js";
export {
  channelCiphers,
  EphemeralKey,
  FrameCipher,
  type HelloFields,
  proofHash,
  type Role,
  SEAL_OVERHEAD,
  transcriptHash,
} from "./channel.js";
export {
  type BlockCheckConfig,
  type BlockRefusal,
  checkBlockContent,
  checkEndorsementSignatures,
  checkHeader,
  checkOperationIds,
  checkWholeBlock,
} from "./checks.js";
export {
  decodeMessage,
  encodeMessage,
  MAX_LIST_ITEMS,
  type Message,
  PROTOCOL_VERSION,
  type ValuePiece,
} from "./messages.js";
export { Network, type NetworkOptions } from "./network.js";
export { Peer } from "./peer.js";
export {
  SignatureVerifier,
  type SignatureVerifierOptions,
  type SignedItem,
  VerifierError,
} from "./verifier.js";
