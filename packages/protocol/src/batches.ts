// Splitting what a node relays or serves into messages its peers accept.
import { MAX_LIST_ITEMS, MAX_PART_ENTRIES } from "./messages.js";

/**
 * `items` in order, in runs of at most `maxBytes` (by `sizeOf`) and `maxItems` each; an item larger than
 * `maxBytes` goes alone. No run for no items.
 */
function runsBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxBytes: number,
  maxItems: number,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (cur.length > 0 && (bytes + size > maxBytes || cur.length >= maxItems)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Operations split into messages of at most `maxBytes` serialized operation bytes each (and at most
 * {@link MAX_LIST_ITEMS}): what a node relays stays far below any peer's frame limit.
 */
export function operationBatches<T extends { readonly serializedSize: number }>(
  ops: readonly T[],
  maxBytes = 1024 * 1024,
): T[][] {
  return runsBySize(ops, (op) => op.serializedSize, maxBytes, MAX_LIST_ITEMS);
}

/** A block of a graph as the bootstrap server sends it. */
export interface GraphBlock {
  readonly header: { readonly contentBytes: Uint8Array };
  readonly operations: readonly { readonly serializedSize: number }[];
}

/**
 * A graph's blocks split into parts of at most `maxBytes` (header and operation bytes; a block larger than
 * that goes alone: a block's operations are within 300 000 bytes), in order: each part one `graph` message.
 * At least one part, empty when there are no blocks.
 */
export function graphParts<T extends GraphBlock>(blocks: readonly T[], maxBytes = 1024 * 1024): T[][] {
  // content, creator key and signature, then the operations
  const size = (b: T) =>
    b.operations.reduce((n, o) => n + o.serializedSize, b.header.contentBytes.length + 100);
  const parts = runsBySize(blocks, size, maxBytes, Number.POSITIVE_INFINITY);
  return parts.length > 0 ? parts : [[]];
}

/**
 * A bootstrap part's updates split into chunks of at most `maxBytes` (key and value bytes; an update larger
 * than that goes alone), in key order: each chunk one `bootstrapPart` message, `more` set on all but the
 * last. At least one chunk, empty when there are no updates.
 */
export function updateChunks<T extends readonly [Uint8Array, Uint8Array | null]>(
  updates: readonly T[],
  maxBytes = 1024 * 1024,
): T[][] {
  const chunks = runsBySize(
    updates,
    (u) => u[0].length + (u[1]?.length ?? 0) + 10,
    maxBytes,
    MAX_PART_ENTRIES,
  );
  return chunks.length > 0 ? chunks : [[]];
}
