/**
 * The ordered key-value view the ledger reads from and writes to. Keys are compared as unsigned bytes.
 * `@massa-ts/final-state` implements it over one LMDB sub-database inside one write transaction and
 * tracks the final state hash on every put/delete; the ledger's own `LmdbKv` implements it for
 * standalone use. Implementations must make `get` see earlier `put`/`delete` of the same transaction.
 */
export interface KvRead {
  get(key: Uint8Array): Uint8Array | undefined;
  /**
   * {@link get} for a value decoded at once: it may be a view of the store's own memory, valid only until
   * the next read, and must not be kept or changed (saves the copy `get` makes). Optional.
   */
  peek?(key: Uint8Array): Uint8Array | undefined;
  /** Keys in `[start, end)` in byte order; `end` undefined = unbounded. */
  keysInRange(start: Uint8Array, end: Uint8Array | undefined): Iterable<Uint8Array>;
}

export interface KvWrite extends KvRead {
  /** Writes `key` → `value`. The store may keep `value` itself: do not modify it afterwards. */
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
}
