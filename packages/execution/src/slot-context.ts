// SlotContext: what executing one slot needs (its slot and block, the history below it, the slot layer
// being written, its events), created once per slot and handed to the operation, reward and penalty helpers.
import type { FinalStateController } from "@massa-ts/final-state";
import { type Address, type BlockId, blake3Tuple, type SignedOperation, type Slot } from "@massa-ts/models";
import type { ScRuntime } from "@massa-ts/sc-runtime";
import { type HistoryIndex, Layer, View } from "./layers.js";
import { UnsafeRng } from "./sc/prng.js";
import type { ExecBlock, ExecutionConfig, ExecutionEvent, TransferReceipt } from "./types.js";

/** The result of one executed slot, kept in the active history until the slot is final. */
export interface SlotOutput {
  readonly slot: Slot;
  readonly blockId: BlockId | undefined;
  readonly changes: Layer;
  readonly seedBit: boolean;
  readonly events: ExecutionEvent[];
  /** Receipts of the slot's Transaction operations, in execution order. */
  readonly transfers: TransferReceipt[];
  /** The slot's execution trail hash (smart-contract addresses and random numbers derive from it). */
  readonly trailHash: Uint8Array;
}

/**
 * Massa's `generate_execution_trail_hash`: BLAKE3-tuple of the previous trail hash, the slot's key, the
 * read-only flag and whether a block is there, then the block id's bytes when it is.
 */
export function nextTrailHash(
  prev: Uint8Array,
  slot: Slot,
  blockId: BlockId | undefined,
  readOnly: boolean,
): Uint8Array {
  const flags = Uint8Array.of(readOnly ? 1 : 0, blockId ? 1 : 0);
  return blockId
    ? blake3Tuple([prev, slot.toKey(), flags, blockId.toBytes()])
    : blake3Tuple([prev, slot.toKey(), flags]);
}

/** A scratch layer on top of the slot's (an operation's, a mint's), with a view that reads it first. */
export interface Scratch {
  readonly layer: Layer;
  readonly view: View;
}

/** One slot being executed, on top of the final state and the executed slots below it. */
export class SlotContext {
  /** The slot's own speculative changes. */
  readonly layer = new Layer();
  /** The slot's events, in emission order (an event's `indexInSlot` is its position here). */
  readonly events: ExecutionEvent[] = [];
  /** Receipts of the slot's Transaction operations, in execution order. */
  readonly transfers: TransferReceipt[] = [];
  /** The history's layers, newest first: what the slot reads below its own layer. */
  private readonly below: readonly Layer[];
  /** The slot's execution trail hash. */
  readonly trailHash: Uint8Array;
  /** The contracts' unsafe random numbers for this slot. */
  rng: UnsafeRng;
  /** Smart-contract addresses created in this slot so far (their derivation counter). */
  createdAddresses = 0;
  /** Gas the block's operations may still use (Massa's remaining block gas). */
  blockGasLeft: bigint;

  constructor(
    readonly slot: Slot,
    /** The slot's block, or null for a miss. */
    readonly block: ExecBlock | null,
    /** Executed, not yet final slots below this one, oldest first (empty on the final state). */
    readonly history: readonly SlotOutput[],
    readonly fs: FinalStateController,
    readonly config: ExecutionConfig,
    /** Runs the contracts (its module cache is shared by every slot). */
    readonly runtime: ScRuntime,
    /** A read-only execution (its changes are thrown away, its trail hash flagged). */
    readonly readOnly = false,
    /** What `history`'s layers hold, when known (reads it rules out skip them). */
    private readonly index?: HistoryIndex,
  ) {
    this.blockGasLeft = config.sc.maxGasPerBlock;
    this.below = history.map((h) => h.changes).reverse();
    const prev = history.at(-1)?.trailHash ?? fs.executionTrailHash;
    this.trailHash = nextTrailHash(prev, slot, block?.id, readOnly);
    this.rng = new UnsafeRng(this.trailHash);
  }

  /** Reads through `top` (if given), the slot layer, the history (newest first), then the final state. */
  view(top?: Layer): View {
    if (top) return new View([top, this.layer, ...this.below], this.fs, this.index, 2);
    this.slotView ??= new View([this.layer, ...this.below], this.fs, this.index, 1);
    return this.slotView;
  }
  private slotView: View | undefined;

  /** The slot layer itself as a scratch: for writes that cannot fail half-way. */
  slotScratch(): Scratch {
    this.ownScratch ??= { layer: this.layer, view: this.view() };
    return this.ownScratch;
  }
  private ownScratch: Scratch | undefined;

  /** A fresh scratch layer over the slot layer. */
  scratch(): Scratch {
    const layer = new Layer();
    return { layer, view: this.view(layer) };
  }

  /**
   * Appends an event; its call stack is `stack` when given (a contract's), else the operation's sender (if
   * any), then `concerned` (if any).
   */
  emit(
    data: string,
    isError: boolean,
    op?: SignedOperation,
    concerned?: Address,
    stack?: readonly Address[],
  ): void {
    const callStack: Address[] = stack ? [...stack] : [];
    if (!stack && op) callStack.push(op.creatorAddress);
    if (!stack && concerned) callStack.push(concerned);
    this.events.push({
      slot: this.slot,
      blockId: this.block?.id,
      indexInSlot: this.events.length,
      originOperationId: op?.id,
      callStack,
      isError,
      isFinal: false,
      ...(this.readOnly ? { readOnly: true } : {}),
      data,
    });
  }

  /** The slot's output, once everything is written. */
  output(seedBit: boolean): SlotOutput {
    return {
      slot: this.slot,
      blockId: this.block?.id,
      changes: this.layer,
      seedBit,
      events: this.events,
      transfers: this.transfers,
      trailHash: this.trailHash,
    };
  }
}
