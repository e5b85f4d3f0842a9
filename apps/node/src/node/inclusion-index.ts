// Which block includes which operation, as far as this node knows (for get_operations' in_blocks).
import { type BlockId, BoundedMap, type OperationId, type SignedOperation } from "@massa-ts/models";

export class InclusionIndex {
  /** Operation id key → block ids (text); the last 100 000 operations. */
  private readonly blocks = new BoundedMap<string, string[]>(100_000);
  /** Sender address key → ids (text) of its included operations, the last 1 000 each; 100 000 senders. */
  private readonly bySender = new BoundedMap<string, string[]>(100_000);

  record(block: BlockId, ops: readonly SignedOperation[]): void {
    const id = block.toString();
    for (const op of ops) {
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
        if (!list.includes(id)) list.push(id);
      } else this.blocks.set(op.id.key, [id]);
    }
  }

  /** Ids of the included operations `sender` created (the last 1 000 this node saw), oldest first. */
  sentBy(sender: { key: string }): readonly string[] {
    return this.bySender.get(sender.key)?.slice(-1000) ?? [];
  }

  /** Blocks in which an operation was included (by this node's knowledge). */
  blocksOf(id: { key: string }): string[] {
    return this.blocks.get(id.key) ?? [];
  }

  /** The operation itself, from the first block holding it that `block` still finds. */
  find(
    id: OperationId,
    block: (text: string) => { readonly operations: readonly SignedOperation[] } | undefined,
  ): SignedOperation | undefined {
    for (const text of this.blocksOf(id)) {
      const op = block(text)?.operations.find((o) => o.id.key === id.key);
      if (op) return op;
    }
    return undefined;
  }
}
