// Which block includes which operation, as far as this node knows (for get_operations' in_blocks).
import { type BlockId, BoundedMap, fromHex, OperationId, type SignedOperation } from "@massa-ts/models";

/** Positions in a block a reference can hold (Massa's blocks hold at most 5 000 operations). */
const POSITIONS = 2 ** 21;

export class InclusionIndex {
  /**
   * Operation id key → where it was included, the last `max` operations (100 000 by default): a reference (a number: the
   * block's record number × {@link POSITIONS} + the operation's position in it), or several for an
   * operation in several blocks. No object per operation: a node under load holds 100 000 of them, and the
   * garbage collector traces every object at each major collection. The position lets a lookup read the one
   * operation of a block no longer held in memory instead of decoding all of it.
   */
  private readonly blocks: BoundedMap<string, number | number[]>;
  /**
   * Record number → block id text, the blocks recorded last (as many as operations are indexed: a
   * reference to an older one finds nothing).
   */
  private readonly blockIds: BoundedMap<number, string>;
  private nextRecord = 0;
  /**
   * Sender address key → keys (hex) of its included operations: the last 100 000 over all senders. The text
   * form is printed only when asked for (a relayed operation's id has none yet, and base58 is costly).
   */
  private readonly bySender: SenderIndex;

  /** `max`: operations indexed, ids by sender kept, blocks remembered (each at most). */
  constructor(max = 100_000) {
    this.blocks = new BoundedMap(max);
    this.blockIds = new BoundedMap(max);
    this.bySender = new SenderIndex(max);
  }

  record(block: BlockId, ops: readonly SignedOperation[]): void {
    if (ops.length === 0) return;
    if (ops.length > POSITIONS) throw new RangeError(`a block of ${ops.length} operations cannot be indexed`);
    const id = block.toString();
    const record = this.nextRecord++;
    this.blockIds.set(record, id);
    for (let position = 0; position < ops.length; position++) {
      const op = ops[position]!;
      const ref = record * POSITIONS + position;
      const cur = this.blocks.get(op.id.key);
      if (cur === undefined) {
        this.bySender.add(op.creatorAddress.key, op.id.key);
        this.blocks.set(op.id.key, ref);
        continue;
      }
      // the block recorded again: its reference moves to this record; references to blocks forgotten go
      const refs = (typeof cur === "number" ? [cur] : cur).filter((r) => this.blockOf(r) !== undefined);
      const same = refs.findIndex((r) => this.blockOf(r) === id);
      if (same < 0) refs.push(ref);
      else if (Math.floor(refs[same]! / POSITIONS) !== record) refs[same] = ref; // not a repeat in this block
      this.blocks.set(op.id.key, refs.length === 1 ? refs[0]! : refs);
    }
  }

  /** Ids of the included operations `sender` created (the last 1 000 this node saw), oldest first. */
  sentBy(sender: { key: string }): readonly string[] {
    return this.bySender.last(sender.key, 1000).map((k) => new OperationId(fromHex(k)).toString());
  }

  /** Blocks in which an operation was included (by this node's knowledge). */
  blocksOf(id: { key: string }): string[] {
    const out: string[] = [];
    for (const ref of this.refs(id)) {
      const block = this.blockOf(ref);
      if (block !== undefined) out.push(block);
    }
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
    for (const ref of this.refs(id)) {
      const block = this.blockOf(ref);
      if (block === undefined) continue;
      const op = operationAt(block, ref % POSITIONS);
      if (op?.id.key === id.key) return op;
    }
    return undefined;
  }

  private refs(id: { key: string }): readonly number[] {
    const cur = this.blocks.get(id.key);
    return cur === undefined ? [] : typeof cur === "number" ? [cur] : cur;
  }

  private blockOf(ref: number): string | undefined {
    return this.blockIds.get(Math.floor(ref / POSITIONS));
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
