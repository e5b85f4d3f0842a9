// How many transfers a sender thread sends in each call of one turn of its loop.

/** Operations in one `send_operations` call, at most. */
export const BATCH = 100;
/** Calls a sender thread keeps in flight, at most: past that the node is the limit. */
export const MAX_IN_FLIGHT = 4;
/** A partial batch goes out once this long has passed since the last call. */
export const PARTIAL_AFTER_MS = 100;

/**
 * The calls one turn makes, as their sizes: every full batch owed, then what is left once
 * {@link PARTIAL_AFTER_MS} has passed since the last call; never more calls than `inFlight` leaves free.
 * Fewer, larger calls cost the node (and the sender) less per operation, for at most 100 ms more latency.
 * Every full batch owed goes out in the turn: with both cores busy a turn comes late (30 ms, not 20), and
 * one batch a turn would cap the rate at 100 operations a turn whatever the node could take. `owedLeft`
 * is what stays owed, capped at the in-flight limit's worth when the calls in flight are the limit.
 */
export function batchesDue(
  owed: number,
  sinceLastCallMs: number,
  inFlight: number,
): { sizes: number[]; owedLeft: number } {
  const sizes: number[] = [];
  let left = owed;
  let calls = inFlight;
  while (left >= BATCH || (left >= 1 && sinceLastCallMs >= PARTIAL_AFTER_MS && sizes.length === 0)) {
    if (calls >= MAX_IN_FLIGHT) return { sizes, owedLeft: Math.min(left, BATCH * MAX_IN_FLIGHT) };
    const n = Math.min(Math.floor(left), BATCH);
    sizes.push(n);
    left -= n;
    calls++;
  }
  return { sizes, owedLeft: left };
}
