// Protocol's checks of a relayed block, in the order its parts arrive: the header alone, its operation ids,
// then its operations. Pure functions of the block and a read-only view of the draws: consensus receives
// only blocks that passed them (it then judges the block against the graph and the final state).
import {
  type Address,
  type BlockLimits,
  bytesEqual,
  type OperationId,
  operationMerkleRoot,
  type SelectionView,
  type SignedBlockHeader,
  type SignedOperation,
} from "@massa-ts/models";

/** What the checks need to know of the chain. */
export interface BlockCheckConfig {
  readonly limits: BlockLimits;
  readonly operationValidityPeriods: number;
}

/** Why a block part is refused (a reason for the sender's ban), with whether it was judged against our draws. */
export interface BlockRefusal {
  readonly reason: string;
  /**
   * True when the verdict depends on this node's draws (the producer is not the one we drew): our final
   * state may be the wrong one, so the sender is judged later rather than banned at once.
   */
  readonly judged: boolean;
}

/**
 * A header at its arrival: its signature, and its producer against the draws when they are known (else
 * consensus decides later). A block by anyone else is refused before its operations are fetched.
 */
export function checkHeader(header: SignedBlockHeader, draws: SelectionView): BlockRefusal | undefined {
  const slot = header.content.slot;
  if (!header.verifySignature()) return { reason: "bad header signature", judged: false };
  let producer: Address | undefined;
  try {
    producer = draws.getSelection(slot).producer;
  } catch {
    producer = undefined;
  }
  if (producer && !header.creatorAddress.equals(producer)) {
    return {
      reason: `bad creator turn: ${header.creatorAddress} is not the producer of ${slot} (${producer})`,
      judged: true,
    };
  }
  return undefined;
}

/** An announced block's operation ids against its header (count and merkle root), before fetching any. */
export function checkOperationIds(
  header: SignedBlockHeader,
  ids: readonly OperationId[],
  limits: BlockLimits,
): string | undefined {
  if (ids.length > limits.maxOperationsPerBlock) return `${ids.length} operations`;
  const root = operationMerkleRoot(ids);
  if (!bytesEqual(root, header.content.operationMerkleRoot)) return "operation merkle root mismatch";
  return undefined;
}

/**
 * A block once its operations are here (its header and ids passed the checks above), but the signatures
 * of its endorsements and operations (checked in the worker pool, see {@link checkEndorsementSignatures}):
 * endorsements for the block's slot; operations each once, from the block's thread, inside their validity
 * window; their bytes within the block size.
 */
export function checkBlockContent(
  header: SignedBlockHeader,
  ops: readonly SignedOperation[],
  config: BlockCheckConfig,
): string | undefined {
  const slot = header.content.slot;
  for (const e of header.content.endorsements) {
    if (!e.content.slot.equals(slot)) return `endorsement ${e.content.index} is for another slot`;
  }
  const ids = new Set<string>();
  let size = 0;
  for (const op of ops) {
    if (ids.has(op.id.key)) return `operation ${op.id} twice`;
    ids.add(op.id.key);
    if (op.senderThread(config.limits.threadCount) !== slot.thread)
      return `operation ${op.id} from another thread`;
    const e = op.content.expirePeriod;
    if (slot.period > e || slot.period < Math.max(0, e - config.operationValidityPeriods)) {
      return `operation ${op.id} outside its validity window`;
    }
    size += op.serializedSize;
  }
  if (size > config.limits.maxBlockSize) return `operations of ${size} bytes`;
  return undefined;
}

/** The endorsements' signatures of a block, on the calling thread (a relayed block's go to the worker pool). */
export function checkEndorsementSignatures(header: SignedBlockHeader): string | undefined {
  const bad = header.content.endorsements.find((e) => !e.verifySignature());
  return bad ? `endorsement ${bad.content.index}: bad signature` : undefined;
}

/**
 * A block that arrives whole (from a bootstrap server): every check a relayed block passes piece by piece,
 * the operations' signatures included; the producer when the draws of its slot are known (the caller
 * decides what an unknown one means). `undefined`: it passes.
 */
export function checkWholeBlock(
  header: SignedBlockHeader,
  ops: readonly SignedOperation[],
  draws: SelectionView,
  config: BlockCheckConfig,
): string | undefined {
  const refusal = checkHeader(header, draws);
  if (refusal) return refusal.reason;
  const ids = checkOperationIds(
    header,
    ops.map((o) => o.id),
    config.limits,
  );
  if (ids) return ids;
  const content = checkBlockContent(header, ops, config) ?? checkEndorsementSignatures(header);
  if (content) return content;
  const endorsers = checkEndorsers(header, draws);
  if (endorsers) return endorsers;
  const bad = ops.find((o) => !o.verifySignature());
  return bad ? `operation ${bad.id}: bad signature` : undefined;
}

/**
 * A whole block's endorsements against the draws of its slot, when they are known (a relayed block's go
 * through consensus, which checks the same; a bootstrapped final block does not): each index once and in
 * range, each by the endorser drawn for it, each of the block's same-thread parent.
 */
function checkEndorsers(header: SignedBlockHeader, draws: SelectionView): string | undefined {
  const { slot, parents, endorsements } = header.content;
  if (endorsements.length === 0) return undefined;
  let drawn: readonly Address[];
  try {
    drawn = draws.getSelection(slot).endorsements;
  } catch {
    return undefined;
  }
  const seen = new Set<number>();
  for (const e of endorsements) {
    const { index, endorsedBlock } = e.content;
    if (index >= drawn.length || seen.has(index))
      return `endorsement index ${index} is out of range or repeated`;
    seen.add(index);
    if (!e.creatorAddress.equals(drawn[index]!))
      return `endorsement ${index} is not by the drawn endorser ${drawn[index]}`;
    const parent = parents[slot.thread];
    if (!parent || !endorsedBlock.equals(parent))
      return `endorsement ${index} does not endorse the same-thread parent`;
  }
  return undefined;
}
