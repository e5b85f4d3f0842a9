// SlotContext: what executing one slot needs (its slot and block, the history below it, the slot layer
// being written, its events), created once per slot and handed to the operation, reward and penalty helpers.
import type { FinalStateController } from "@massa-ts/final-state";
import type { Address, BlockId, SignedOperation, Slot } from "@massa-ts/models";
import { Layer, View } from "./layers.js";
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

  constructor(
    readonly slot: Slot,
    /** The slot's block, or null for a miss. */
    readonly block: ExecBlock | null,
    /** Executed, not yet final slots below this one, oldest first (empty on the final state). */
    readonly history: readonly SlotOutput[],
    readonly fs: FinalStateController,
    readonly config: ExecutionConfig,
  ) {
    this.below = history.map((h) => h.changes).reverse();
  }

  /** Reads through `top` (if given), the slot layer, the history (newest first), then the final state. */
  view(top?: Layer): View {
    return new View(top ? [top, this.layer, ...this.below] : [this.layer, ...this.below], this.fs);
  }

  /** A fresh scratch layer over the slot layer. */
  scratch(): Scratch {
    const layer = new Layer();
    return { layer, view: this.view(layer) };
  }

  /** Appends an event; its call stack is the operation's sender (if any), then `concerned` (if any). */
  emit(data: string, isError: boolean, op?: SignedOperation, concerned?: Address): void {
    const stack: Address[] = [];
    if (op) stack.push(op.creatorAddress);
    if (concerned) stack.push(concerned);
    this.events.push({
      slot: this.slot,
      blockId: this.block?.id,
      indexInSlot: this.events.length,
      originOperationId: op?.id,
      callStack: stack,
      isError,
      isFinal: false,
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
    };
  }
}
