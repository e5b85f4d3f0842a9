// One sender thread's operations in pool order, kept as small sorted chunks.
import type { SignedOperation } from "@massa-ts/models";

/** Pool order: fee, highest first, then operation id. */
export function comparePoolOrder(a: SignedOperation, b: SignedOperation): number {
  const fa = a.content.fee.nano;
  const fb = b.content.fee.nano;
  if (fa !== fb) return fa > fb ? -1 : 1;
  const ka = a.id.key;
  const kb = b.id.key;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Index of the first operation of `list` (in pool order) that sorts at or after `op`. */
export function poolPosition(list: readonly SignedOperation[], op: SignedOperation): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePoolOrder(list[mid]!, op) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Operations per chunk before it splits in two. */
const CHUNK_MAX = 256;

/**
 * Operations in pool order as a list of sorted chunks (each at most {@link CHUNK_MAX}): an insert or a
 * delete is a binary search over the chunks' last operations, one in a chunk and a splice of that chunk,
 * whatever the number held (one sorted array moved ~10 000 references on every insert into a full thread).
 */
export class PoolOrder {
  private chunks: SignedOperation[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The chunk `op` belongs in: the first whose last operation sorts at or after it (else the last). */
  private chunkFor(op: SignedOperation): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      if (comparePoolOrder(c[c.length - 1]!, op) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo === chunks.length ? chunks.length - 1 : lo;
  }

  /** Adds `op` (not held). */
  insert(op: SignedOperation): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([op]);
      return;
    }
    const ci = this.chunkFor(op);
    const chunk = this.chunks[ci]!;
    chunk.splice(poolPosition(chunk, op), 0, op);
    if (chunk.length > CHUNK_MAX) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK_MAX >> 1));
  }

  /** Removes `op`; false if it is not held. */
  delete(op: SignedOperation): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(op);
    const chunk = this.chunks[ci]!;
    const at = poolPosition(chunk, op);
    if (chunk[at] !== op) return false;
    chunk.splice(at, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    this.count--;
    return true;
  }

  /** Keeps the operations `keep` says to, in one pass (order kept), in chunks half full again. */
  filter(keep: (op: SignedOperation) => boolean): void {
    const kept: SignedOperation[][] = [];
    let current: SignedOperation[] = [];
    let count = 0;
    for (const chunk of this.chunks) {
      for (const op of chunk) {
        if (!keep(op)) continue;
        current.push(op);
        count++;
        if (current.length === CHUNK_MAX >> 1) {
          kept.push(current);
          current = [];
        }
      }
    }
    if (current.length > 0) kept.push(current);
    this.chunks = kept;
    this.count = count;
  }

  /** In pool order (best fee first); the list must not change during the walk. */
  *[Symbol.iterator](): Generator<SignedOperation> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** From the cheapest up (pool order backwards); the list must not change during the walk. */
  *backwards(): Generator<SignedOperation> {
    for (let c = this.chunks.length - 1; c >= 0; c--) {
      const chunk = this.chunks[c]!;
      for (let i = chunk.length - 1; i >= 0; i--) yield chunk[i]!;
    }
  }
}
