// Splitting what a node relays into messages its peers accept.
import { MAX_LIST_ITEMS, MAX_PART_ENTRIES } from "./messages.js";

/**
 * Operations split into messages of at most `maxBytes` serialized operation bytes each (and at most
 * {@link MAX_LIST_ITEMS}): what a node relays stays far below any peer's frame limit.
 */
export function operationBatches<T extends { readonly serializedSize: number }>(
  ops: readonly T[],
  maxBytes = 1024 * 1024,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const op of ops) {
    if (cur.length > 0 && (bytes + op.serializedSize > maxBytes || cur.length >= MAX_LIST_ITEMS)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(op);
    bytes += op.serializedSize;
  }
  if (cur.length > 0) out.push(cur);
  return out;
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
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const b of blocks) {
    let size = b.header.contentBytes.length + 100; // content, creator key and signature
    for (const o of b.operations) size += o.serializedSize;
    if (cur.length > 0 && bytes + size > maxBytes) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(b);
    bytes += size;
  }
  out.push(cur);
  return out;
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
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const u of updates) {
    const size = u[0].length + (u[1]?.length ?? 0) + 10;
    if (cur.length > 0 && (bytes + size > maxBytes || cur.length >= MAX_PART_ENTRIES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(u);
    bytes += size;
  }
  out.push(cur);
  return out;
}
