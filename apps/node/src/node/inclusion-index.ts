// Which block includes which operation, as far as this node knows (for get_operations' in_blocks).
import { type BlockId, BoundedMap, type OperationId, type SignedOperation } from "@massa-ts/models";

export class InclusionIndex {
  /**
   * Operation id key → where it was included: block id (text) and the operation's position in that block,
   * flat pairs; the last 100 000 operations. The position lets a lookup read the one operation of a block
   * no longer held in memory instead of decoding all of it.
   */
  private readonly blocks = new BoundedMap<string, (string | number)[]>(100_000);
  /** Sender address key → ids (text) of its included operations, the last 1 000 each; 100 000 senders. */
  private readonly bySender = new BoundedMap<string, string[]>(100_000);

  record(block: BlockId, ops: readonly SignedOperation[]): void {
    const id = block.toString();
    for (let position = 0; position < ops.length; position++) {
      const op = ops[position]!;
      if (!this.blocks.has(op.id.key)) {
        const sent = this.bySender.get(op.creatorAddress.key);
        if (sent) {
          sent.push(op.id.toString());
          // trimmed 500 at a time (a shift per operation moved the whole list each time)
          if (sent.length > 1500) sent.splice(0, sent.length - 1000);
        } else this.bySender.set(op.creatorAddress.key, [op.id.toString()]);
      }
      const list = this.blocks.get(op.id.key);
      if (list) {
        if (!list.includes(id)) list.push(id, position);
      } else this.blocks.set(op.id.key, [id, position]);
    }
  }

  /** Ids of the included operations `sender` created (the last 1 000 this node saw), oldest first. */
  sentBy(sender: { key: string }): readonly string[] {
    return this.bySender.get(sender.key)?.slice(-1000) ?? [];
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
