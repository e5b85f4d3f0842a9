import { type Address, Amount, fromHex, MassaTsError, toHex } from "@massa-ts/models";

/** A ledger change that breaks an invariant (e.g. updating an address never created by a full Set). */
export class LedgerError extends MassaTsError {
  constructor(message: string) {
    super("LEDGER", message);
  }
}

/**
 * A datastore: byte keys → byte values, keyed by the hex of the key (hex order = byte order), so
 * iteration through {@link sortedDatastore} is deterministic and in Massa's key order.
 */
export type Datastore = Map<string, Uint8Array>;

export interface LedgerEntry {
  balance: Amount;
  bytecode: Uint8Array;
  datastore: Datastore;
}

export function defaultEntry(): LedgerEntry {
  return { balance: Amount.ZERO, bytecode: new Uint8Array(0), datastore: new Map() };
}

export function cloneEntry(e: LedgerEntry): LedgerEntry {
  return { balance: e.balance, bytecode: e.bytecode, datastore: new Map(e.datastore) };
}

const NO_ENTRIES: readonly never[] = Object.freeze([]);

/** Datastore entries as [key bytes, value] in byte order of the keys. */
export function sortedDatastore<V>(ds: Map<string, V>): readonly [Uint8Array, V][] {
  if (ds.size === 0) return NO_ENTRIES; // most changes (a balance's) touch no datastore: no array each
  return [...ds.keys()].sort().map((k) => [fromHex(k), ds.get(k) as V]);
}

/** `SetOrKeep` fields are `undefined` = keep; datastore values `null` = delete. */
export interface LedgerEntryUpdate {
  balance?: Amount;
  bytecode?: Uint8Array;
  datastore: Map<string, Uint8Array | null>;
}

export type LedgerChange =
  | { kind: "set"; entry: LedgerEntry }
  | { kind: "update"; update: LedgerEntryUpdate }
  | { kind: "delete" };

function emptyUpdate(): LedgerEntryUpdate {
  return { datastore: new Map() };
}

/** `e.apply(u)`: fields set by the update replace the entry's; datastore keys set or deleted in order. */
export function applyUpdateToEntry(e: LedgerEntry, u: LedgerEntryUpdate): LedgerEntry {
  const out = cloneEntry(e);
  if (u.balance !== undefined) out.balance = u.balance;
  if (u.bytecode !== undefined) out.bytecode = u.bytecode;
  for (const [k, v] of u.datastore) {
    if (v === null) out.datastore.delete(k);
    else out.datastore.set(k, v);
  }
  return out;
}

/** `u1 ⊕ u2`: the later update's set fields win; datastore maps overwritten key by key. */
export function mergeUpdates(u1: LedgerEntryUpdate, u2: LedgerEntryUpdate): LedgerEntryUpdate {
  const ds = new Map(u1.datastore);
  for (const [k, v] of u2.datastore) ds.set(k, v);
  // a field is present only when set (`undefined` = keep), as in the inputs; no spreads: this runs for
  // every transfer's sender
  const out: LedgerEntryUpdate = { datastore: ds };
  const balance = u2.balance ?? u1.balance;
  if (balance !== undefined) out.balance = balance;
  const bytecode = u2.bytecode ?? u1.bytecode;
  if (bytecode !== undefined) out.bytecode = bytecode;
  return out;
}

/** Merge a later change `b` into an earlier change `a` of the same address (Massa's `a.apply(b)`). */
export function mergeChange(a: LedgerChange, b: LedgerChange): LedgerChange {
  if (b.kind === "set") return { kind: "set", entry: cloneEntry(b.entry) };
  if (b.kind === "delete") return { kind: "delete" };
  switch (a.kind) {
    case "set":
      return { kind: "set", entry: applyUpdateToEntry(a.entry, b.update) };
    case "update":
      return { kind: "update", update: mergeUpdates(a.update, b.update) };
    case "delete":
      return { kind: "set", entry: applyUpdateToEntry(defaultEntry(), b.update) };
  }
}

/** The answer of a layered read: a definite value, definitely absent, or "ask the layer below". */
export type LayerRead<T> = { known: true; value: T | undefined } | { known: false };
const BELOW = { known: false } as const;

/**
 * Ledger changes per address, with Massa's composition rules (`merge`) and the writers execution uses.
 * Iteration is in Massa address order.
 */
export class LedgerChanges {
  private readonly map = new Map<string, { address: Address; change: LedgerChange }>();

  get size(): number {
    return this.map.size;
  }

  get(address: Address): LedgerChange | undefined {
    return this.map.get(address.key)?.change;
  }

  /** The changed addresses' keys (`Address.key`), in no particular order. */
  addressKeys(): IterableIterator<string> {
    return this.map.keys();
  }

  /**
   * Every changed address and its change, in no particular order (that of first change): for writers whose
   * result does not depend on the order, as applying to a key-value store, where `entries()`' sort is waste.
   */
  forEachChange(fn: (address: Address, change: LedgerChange) => void): void {
    this.map.forEach((e) => {
      fn(e.address, e.change);
    });
  }

  /** Records `change` for `address`, merged after whatever is already there. */
  apply(address: Address, change: LedgerChange): void {
    const cur = this.map.get(address.key);
    this.map.set(address.key, { address, change: cur ? mergeChange(cur.change, change) : change });
  }

  /** `self.apply(later)`: composes a later set of changes after this one. */
  merge(later: LedgerChanges): void {
    // per address, independent of the others: no need for `entries()`' sort (this runs per operation)
    for (const { address, change } of later.map.values()) this.apply(address, change);
  }

  /**
   * Entries in Massa address order (by bytes). Sorted on `Address.key`, the lowercase hex of the bytes,
   * whose string order is the byte order, and much cheaper to compare.
   */
  entries(): [Address, LedgerChange][] {
    return [...this.map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { address, change }]) => [address, change]);
  }

  clone(): LedgerChanges {
    const c = new LedgerChanges();
    for (const [a, ch] of this.entries())
      c.apply(a, ch.kind === "set" ? { kind: "set", entry: cloneEntry(ch.entry) } : ch);
    return c;
  }

  /** `create_address`: a `Set` of the default entry, whatever was there. */
  createAddress(address: Address): void {
    this.map.set(address.key, { address, change: { kind: "set", entry: defaultEntry() } });
  }

  private write(address: Address, f: (e: LedgerEntry) => void, u: (up: LedgerEntryUpdate) => void): void {
    const cur = this.map.get(address.key)?.change;
    if (!cur) {
      const up = emptyUpdate();
      u(up);
      this.map.set(address.key, { address, change: { kind: "update", update: up } });
    } else if (cur.kind === "set") {
      f(cur.entry);
    } else if (cur.kind === "update") {
      u(cur.update);
    } else {
      const e = defaultEntry();
      f(e);
      this.map.set(address.key, { address, change: { kind: "set", entry: e } });
    }
  }

  setBalance(address: Address, balance: Amount): void {
    this.write(
      address,
      (e) => {
        e.balance = balance;
      },
      (u) => {
        u.balance = balance;
      },
    );
  }

  setBytecode(address: Address, bytecode: Uint8Array): void {
    this.write(
      address,
      (e) => {
        e.bytecode = bytecode;
      },
      (u) => {
        u.bytecode = bytecode;
      },
    );
  }

  setDataEntry(address: Address, key: Uint8Array, value: Uint8Array): void {
    const k = toHex(key);
    this.write(
      address,
      (e) => {
        e.datastore.set(k, value);
      },
      (u) => {
        u.datastore.set(k, value);
      },
    );
  }

  /** Deleting a data entry of a deleted address does nothing (Massa's table). */
  deleteDataEntry(address: Address, key: Uint8Array): void {
    const k = toHex(key);
    const cur = this.map.get(address.key)?.change;
    if (cur?.kind === "delete") return;
    this.write(
      address,
      (e) => {
        e.datastore.delete(k);
      },
      (u) => {
        u.datastore.set(k, null);
      },
    );
  }

  deleteAddress(address: Address): void {
    this.map.set(address.key, { address, change: { kind: "delete" } });
  }

  getBalanceOrElse(address: Address): LayerRead<Amount> {
    const c = this.get(address);
    if (!c) return BELOW;
    if (c.kind === "set") return { known: true, value: c.entry.balance };
    if (c.kind === "delete") return { known: true, value: undefined };
    return c.update.balance !== undefined ? { known: true, value: c.update.balance } : BELOW;
  }

  getBytecodeOrElse(address: Address): LayerRead<Uint8Array> {
    const c = this.get(address);
    if (!c) return BELOW;
    if (c.kind === "set") return { known: true, value: c.entry.bytecode };
    if (c.kind === "delete") return { known: true, value: undefined };
    return c.update.bytecode !== undefined ? { known: true, value: c.update.bytecode } : BELOW;
  }

  getDataEntryOrElse(address: Address, key: Uint8Array): LayerRead<Uint8Array> {
    const c = this.get(address);
    if (!c) return BELOW;
    const k = toHex(key);
    if (c.kind === "set") return { known: true, value: c.entry.datastore.get(k) };
    if (c.kind === "delete") return { known: true, value: undefined };
    const v = c.update.datastore.get(k);
    return v === undefined ? BELOW : { known: true, value: v ?? undefined };
  }

  /** `entry_exists`: Set or Update → true, Delete → false, nothing → ask below. */
  entryExistsOrElse(address: Address): LayerRead<boolean> {
    const c = this.get(address);
    if (!c) return BELOW;
    return { known: true, value: c.kind !== "delete" };
  }
}

/** The in-memory ledger model: address key → entry. `applyChanges` applies changes to it. */
export type LedgerModel = Map<string, LedgerEntry>;

export function applyChangesToModel(model: LedgerModel, changes: LedgerChanges): void {
  for (const [address, change] of changes.entries()) {
    if (change.kind === "set") model.set(address.key, cloneEntry(change.entry));
    else if (change.kind === "delete") model.delete(address.key);
    else {
      const cur = model.get(address.key);
      if (!cur) {
        throw new LedgerError(
          `update of ${address}, which does not exist: an address must be created by a full Set`,
        );
      }
      model.set(address.key, applyUpdateToEntry(cur, change.update));
    }
  }
}
