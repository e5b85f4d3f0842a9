import { type Amount, MassaTsError, type OperationId, type SignedOperation } from "@massa-ts/models";

/** An operation refused at the pool's door. */
export class PoolError extends MassaTsError {
  constructor(message: string) {
    super("POOL", message);
  }
}

export interface PoolOptions {
  readonly chainId: bigint;
  readonly threadCount: number;
  readonly minimalFee: Amount;
  readonly maxOperations: number;
  /** Serialized bytes the pool holds at most (its operations' {@link SignedOperation.serializedSize}). */
  readonly maxBytes: number;
  /** The largest operation taken: a block's operation bytes (Massa's MAX_BLOCK_SIZE); a larger one never fits. */
  readonly maxOperationSize: number;
  readonly operationValidityPeriods: number;
}

/**
 * The operation pool: bounded in count and bytes, ordered by fee (highest first) then id; refuses bad
 * signatures, another chain's operations, operations larger than a block, expired ones and fees below the
 * minimum; drops what expires or gets executed.
 */
export class OperationPool {
  private readonly ops = new Map<string, SignedOperation>();
  private heldBytes = 0;
  /** The same operations, kept sorted: fee (highest first), then id. Binary-search insert and delete. */
  private order: SignedOperation[] = [];

  constructor(private readonly opts: PoolOptions) {}

  get size(): number {
    return this.ops.size;
  }

  /** Serialized bytes of the operations held. */
  get bytes(): number {
    return this.heldBytes;
  }

  has(id: OperationId): boolean {
    return this.ops.has(id.key);
  }

  get(id: OperationId): SignedOperation | undefined {
    return this.ops.get(id.key);
  }

  /**
   * Checks and adds; throws {@link PoolError} saying why an operation is refused. `signatureChecked`: the
   * caller (the API) verified it already.
   */
  add(op: SignedOperation, currentPeriod: number, signatureChecked = false): void {
    if (op.chainId !== this.opts.chainId) {
      throw new PoolError(
        `operation ${op.id} is for chain ${op.chainId}, this node runs chain ${this.opts.chainId}`,
      );
    }
    if (op.content.expirePeriod < currentPeriod) {
      throw new PoolError(
        `operation ${op.id} expired at period ${op.content.expirePeriod} (now ${currentPeriod}): it will never be included`,
      );
    }
    if (op.content.fee.lt(this.opts.minimalFee)) {
      throw new PoolError(
        `fee ${op.content.fee} of operation ${op.id} is too low: the minimum is ${this.opts.minimalFee}`,
      );
    }
    const size = op.serializedSize;
    if (size > this.opts.maxOperationSize) {
      throw new PoolError(
        `operation ${op.id} has ${size} bytes, more than a block's ${this.opts.maxOperationSize}: it can never be included`,
      );
    }
    if (!signatureChecked && !op.verifySignature())
      throw new PoolError(`operation ${op.id} has a bad signature`);
    if (this.ops.has(op.id.key)) return;
    // full (in count or bytes): the cheapest leave if the newcomer pays more than each of them, else refused
    let evict = 0;
    let freed = 0;
    while (
      this.ops.size - evict >= this.opts.maxOperations ||
      this.heldBytes - freed + size > this.opts.maxBytes
    ) {
      const cheapest = this.order[this.order.length - 1 - evict];
      if (!cheapest?.content.fee.lt(op.content.fee)) {
        throw new PoolError(
          `the pool is full (${this.opts.maxOperations} operations, ${this.opts.maxBytes} bytes) and fee ${op.content.fee} is too low to enter`,
        );
      }
      freed += cheapest.serializedSize;
      evict++;
    }
    for (let i = 0; i < evict; i++) {
      const gone = this.order.pop()!;
      this.ops.delete(gone.id.key);
    }
    this.heldBytes -= freed;
    this.ops.set(op.id.key, op);
    this.heldBytes += size;
    this.order.splice(this.position(op), 0, op);
  }

  /** Index of the first operation that sorts at or after `op`. */
  private position(op: SignedOperation): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.order[mid]!, op) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Operations a block at (period, thread) may include: sender in the thread, within the validity window. */
  select(
    period: number,
    thread: number,
    maxCount: number,
    maxBytes: number,
    skip: (op: SignedOperation) => boolean,
  ): SignedOperation[] {
    const out: SignedOperation[] = [];
    let bytes = 0;
    for (const op of this.order) {
      if (out.length >= maxCount) break;
      const e = op.content.expirePeriod;
      if (op.senderThread(this.opts.threadCount) !== thread) continue;
      if (period > e || period < Math.max(0, e - this.opts.operationValidityPeriods)) continue;
      if (skip(op)) continue;
      const size = op.serializedSize;
      if (bytes + size > maxBytes) continue;
      bytes += size;
      out.push(op);
    }
    return out;
  }

  /** Drops expired operations and those `gone` says are executed or final. */
  prune(currentPeriod: number, gone: (op: SignedOperation) => boolean): void {
    this.order = this.order.filter((op) => {
      if (op.content.expirePeriod >= currentPeriod && !gone(op)) return true;
      this.ops.delete(op.id.key);
      this.heldBytes -= op.serializedSize;
      return false;
    });
  }
}

/** Pool order: fee, highest first, then operation id. */
function compare(a: SignedOperation, b: SignedOperation): number {
  const c = b.content.fee.compare(a.content.fee);
  return c !== 0 ? c : a.id.key < b.id.key ? -1 : a.id.key > b.id.key ? 1 : 0;
}
