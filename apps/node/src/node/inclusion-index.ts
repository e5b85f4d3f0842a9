// Which block includes which operation, as far as this node knows (for get_operations' in_blocks).
import { type BlockId, BoundedMap, type OperationId, type SignedOperation } from "@massa-ts/models";

export class InclusionIndex {
  /**
   * Operation id key → where it was included: block id (text) and the operation's position in that block,
   * flat pairs; the last 100 000 operations. The position lets a lookup read the one operation of a block
   * no longer held in memory instead of decoding all of it.
   */
  private readonly blocks = new BoundedMap<string, (string | number)[]>(100_000);
  /** Sender address key → ids (text) of its included operations: the last 100 000 over all senders. */
  private readonly bySender = new SenderIndex(100_000);

  record(block: BlockId, ops: readonly SignedOperation[]): void {
    const id = block.toString();
    for (let position = 0; position < ops.length; position++) {
      const op = ops[position]!;
      if (!this.blocks.has(op.id.key)) this.bySender.add(op.creatorAddress.key, op.id.toString());
      const list = this.blocks.get(op.id.key);
      if (list) {
        if (!list.includes(id)) list.push(id, position);
      } else this.blocks.set(op.id.key, [id, position]);
    }
  }

  /** Ids of the included operations `sender` created (the last 1 000 this node saw), oldest first. */
  sentBy(sender: { key: string }): readonly string[] {
    return this.bySender.last(sender.key, 1000);
  }

  /** Blocks in which an operation was included (by this node's knowledge). */
  blocksOf(id: { key: string }): string[] {
    const list = this.blocks.get(id.key);
    if (!list) return [];
    const out: string[] = [];
    for (let i = 0; i < list.length; i += 2) out.push(list[i] as string);
    return out;
  }

  /**
   * The operation itself, from the first block holding it that `operationAt` still finds (by the block's
   * id text and the operation's position in it); checked to be that operation.
   */
  find(
    id: OperationId,
    operationAt: (block: string, position: number) => SignedOperation | undefined,
  ): SignedOperation | undefined {
    const list = this.blocks.get(id.key);
    if (!list) return undefined;
    for (let i = 0; i < list.length; i += 2) {
      const op = operationAt(list[i] as string, list[i + 1] as number);
      if (op?.id.key === id.key) return op;
    }
    return undefined;
  }
}

/**
 * Ids by sender, at most `max` over all senders: past that the oldest id recorded goes, whoever sent it.
 * (A bound per sender times a bound on senders held up to 150 million ids: a node of a busy network with
 * many senders would have grown for hours.)
 */
export class SenderIndex {
  /** Each sender's ids, oldest first, from `head` on (the ones before are dropped, compacted now and then). */
  private readonly lists = new Map<string, { ids: string[]; head: number }>();
  /** The sender of every id held, in the order they were added, from `head` on. */
  private order: string[] = [];
  private head = 0;

  constructor(readonly max: number) {}

  /** Ids held over all senders. */
  get size(): number {
    return this.order.length - this.head;
  }

  add(sender: string, id: string): void {
    let l = this.lists.get(sender);
    if (!l) {
      l = { ids: [], head: 0 };
      this.lists.set(sender, l);
    }
    l.ids.push(id);
    this.order.push(sender);
    if (this.size > this.max) this.dropOldest();
  }

  /** The newest `n` ids of `sender`, oldest first. */
  last(sender: string, n: number): string[] {
    const l = this.lists.get(sender);
    if (!l) return [];
    return l.ids.slice(Math.max(l.head, l.ids.length - n));
  }

  private dropOldest(): void {
    const sender = this.order[this.head++]!;
    const l = this.lists.get(sender)!;
    l.head++;
    if (l.head === l.ids.length) this.lists.delete(sender);
    else if (l.head >= 64 && l.head * 2 >= l.ids.length) {
      l.ids = l.ids.slice(l.head);
      l.head = 0;
    }
    if (this.head >= 1024 && this.head * 2 >= this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
