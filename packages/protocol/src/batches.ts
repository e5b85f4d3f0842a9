// Splitting what a node relays into messages its peers accept.
import { MAX_LIST_ITEMS } from "./messages.js";

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
