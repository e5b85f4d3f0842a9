import {
  type Address,
  Amount,
  ByteReader,
  ByteWriter,
  concatBytes,
  encodeVarint,
  toHex,
} from "@massa-ts/models";
import type { Database } from "lmdb";
import { type LedgerChanges, type LedgerEntry, LedgerError, sortedDatastore } from "./changes.js";
import type { KvRead, KvWrite } from "./kv.js";

/**
 * Massa's ledger key layout (`ledger_execution.md` §1.5), in the final state's `state` keyspace:
 *
 * | sub-entry | key | value |
 * | version   | "ledger/" ‖ 00 ‖ A34 ‖ 00         | 00 |
 * | balance   | "ledger/" ‖ 00 ‖ A34 ‖ 01         | varint(nano-MAS) |
 * | bytecode  | "ledger/" ‖ 00 ‖ A34 ‖ 02         | varint(0) ‖ varint(len) ‖ bytes |
 * | datastore | "ledger/" ‖ 00 ‖ A34 ‖ 03 ‖ key   | raw value |
 *
 * A34 = the address's 34 binary bytes, so keys iterate in Massa address order.
 */
export const LEDGER_PREFIX = new TextEncoder().encode("ledger/");
export const KEY_VERSION_BYTE = 0;
export const MAX_DATASTORE_KEY_LENGTH = 255;
export const MAX_DATASTORE_VALUE_LENGTH = 10_000_000;

const VERSION = 0;
const BALANCE = 1;
const BYTECODE = 2;
const DATASTORE = 3;

const PREFIX_LENGTH = LEDGER_PREFIX.length + 1;
function addressPrefix(a: Address): Uint8Array {
  return concatBytes(LEDGER_PREFIX, Uint8Array.of(KEY_VERSION_BYTE), a.bytes);
}
/** `ledger/ ‖ 0 ‖ A34 ‖ field`, in one allocation (these are built for every change). */
function fieldKey(a: Address, field: number): Uint8Array {
  const k = new Uint8Array(PREFIX_LENGTH + a.bytes.length + 1);
  k.set(LEDGER_PREFIX);
  k[LEDGER_PREFIX.length] = KEY_VERSION_BYTE;
  k.set(a.bytes, PREFIX_LENGTH);
  k[k.length - 1] = field;
  return k;
}
export function versionKey(a: Address): Uint8Array {
  return fieldKey(a, VERSION);
}
export function balanceKey(a: Address): Uint8Array {
  return fieldKey(a, BALANCE);
}
export function bytecodeKey(a: Address): Uint8Array {
  return fieldKey(a, BYTECODE);
}
export function datastoreKey(a: Address, key: Uint8Array): Uint8Array {
  return concatBytes(addressPrefix(a), Uint8Array.of(DATASTORE), key);
}

/** The smallest byte string greater than every string starting with `prefix` (undefined: unbounded). */
export function endOfPrefix(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = prefix.slice(0, end);
  out[end - 1]! += 1;
  return out;
}

/** A balance's value: `varint(nano)` (Amount's serialization), in one allocation. */
function encodeBalance(b: Amount): Uint8Array {
  return encodeVarint(b.nano);
}
function encodeBytecode(code: Uint8Array): Uint8Array {
  return new ByteWriter(code.length + 6).varint(0).lengthPrefixed(code).finish();
}

export function decodeBalanceValue(v: Uint8Array, field = "ledger balance"): Amount {
  const r = new ByteReader(v);
  const a = Amount.deserialize(r, field);
  r.expectEnd(field);
  return a;
}
export function decodeBytecodeValue(v: Uint8Array, field = "ledger bytecode"): Uint8Array {
  const r = new ByteReader(v);
  r.readVarint(`${field}.version`, 0n);
  const code = r.readLengthPrefixed(field, MAX_DATASTORE_VALUE_LENGTH).slice();
  r.expectEnd(field);
  return code;
}

function checkDatastoreSizes(a: Address, key: Uint8Array, value: Uint8Array | null): void {
  if (key.length === 0 || key.length > MAX_DATASTORE_KEY_LENGTH) {
    throw new LedgerError(
      `datastore key of ${a} has ${key.length} bytes (allowed: 1..${MAX_DATASTORE_KEY_LENGTH})`,
    );
  }
  if (value && value.length > MAX_DATASTORE_VALUE_LENGTH) {
    throw new LedgerError(
      `datastore value of ${a} has ${value.length} bytes (max ${MAX_DATASTORE_VALUE_LENGTH})`,
    );
  }
}

function deleteDatastore(kv: KvWrite, a: Address): void {
  const start = concatBytes(addressPrefix(a), Uint8Array.of(DATASTORE));
  for (const k of [...kv.keysInRange(start, endOfPrefix(start))]) kv.delete(k);
}

/**
 * Writes `changes` into `kv` exactly as Massa does (§1.6): a Set deletes the address's existing datastore
 * and writes every sub-key; an Update writes only the touched sub-keys; a Delete removes them all.
 * Sizes are checked first, so a bad change throws before anything is written.
 */
export function applyLedgerChanges(changes: LedgerChanges, kv: KvWrite): void {
  changes.forEachChange((a, c) => {
    if (c.kind === "set")
      for (const [k, v] of sortedDatastore(c.entry.datastore)) checkDatastoreSizes(a, k, v);
    if (c.kind === "update")
      for (const [k, v] of sortedDatastore(c.update.datastore)) checkDatastoreSizes(a, k, v);
  });
  // Massa applies addresses in address order; each address writes only its own keys, so the state (and its
  // hash) is the same in any order: the order of first change, without a sort
  changes.forEachChange((a, c) => {
    if (c.kind === "set") {
      deleteDatastore(kv, a);
      kv.put(versionKey(a), Uint8Array.of(0));
      kv.put(balanceKey(a), encodeBalance(c.entry.balance));
      kv.put(bytecodeKey(a), encodeBytecode(c.entry.bytecode));
      for (const [k, v] of sortedDatastore(c.entry.datastore)) kv.put(datastoreKey(a, k), v);
    } else if (c.kind === "update") {
      if (c.update.balance !== undefined) kv.put(balanceKey(a), encodeBalance(c.update.balance));
      if (c.update.bytecode !== undefined) kv.put(bytecodeKey(a), encodeBytecode(c.update.bytecode));
      for (const [k, v] of sortedDatastore(c.update.datastore)) {
        if (v === null) kv.delete(datastoreKey(a, k));
        else kv.put(datastoreKey(a, k), v);
      }
    } else {
      kv.delete(versionKey(a));
      kv.delete(balanceKey(a));
      kv.delete(bytecodeKey(a));
      deleteDatastore(kv, a);
    }
  });
}

/**
 * Decodes a stored value; if it is malformed, decodes it again under the field named by `field` so the
 * error names the address. Naming it up front costs a base58check encoding per read, which on the
 * execution path was a tenth of a transfer's cost.
 */
function named<T>(decode: (field?: string) => T, field: () => string): T {
  try {
    return decode();
  } catch {
    return decode(field());
  }
}

/** Reads of the final ledger that touch only the sub-keys they need. */
export class LedgerReader {
  constructor(private readonly kv: KvRead) {}

  entryExists(a: Address): boolean {
    return this.kv.get(versionKey(a)) !== undefined;
  }

  getBalance(a: Address): Amount | undefined {
    // decoded at once: a peek where the store has one (no copy of the value)
    const k = balanceKey(a);
    const v = this.kv.peek ? this.kv.peek(k) : this.kv.get(k);
    return v === undefined
      ? undefined
      : named(
          (f) => decodeBalanceValue(v, f),
          () => `ledger balance of ${a}`,
        );
  }

  getBytecode(a: Address): Uint8Array | undefined {
    const v = this.kv.get(bytecodeKey(a));
    return v === undefined
      ? undefined
      : named(
          (f) => decodeBytecodeValue(v, f),
          () => `ledger bytecode of ${a}`,
        );
  }

  getDatastoreValue(a: Address, key: Uint8Array): Uint8Array | undefined {
    return this.kv.get(datastoreKey(a, key));
  }

  /** Datastore keys of `a` starting with `prefix`, in byte order; undefined if `a` has no entry. */
  getDatastoreKeys(a: Address, prefix: Uint8Array = new Uint8Array(0)): Uint8Array[] | undefined {
    if (this.kv.get(balanceKey(a)) === undefined) return undefined;
    const base = concatBytes(addressPrefix(a), Uint8Array.of(DATASTORE));
    const start = concatBytes(base, prefix);
    const end = prefix.length ? endOfPrefix(start) : endOfPrefix(base);
    return [...this.kv.keysInRange(start, end)].map((k) => k.slice(base.length));
  }

  getEntry(a: Address): LedgerEntry | undefined {
    if (!this.entryExists(a)) return undefined;
    const datastore = new Map<string, Uint8Array>();
    for (const k of this.getDatastoreKeys(a) ?? []) datastore.set(toHex(k), this.getDatastoreValue(a, k)!);
    return {
      balance: this.getBalance(a) ?? Amount.ZERO,
      bytecode: this.getBytecode(a) ?? new Uint8Array(0),
      datastore,
    };
  }
}

/** A KvWrite over an lmdb `Database` (binary keys and values). Use inside `db.transactionSync`. */
export class LmdbKv implements KvWrite {
  constructor(private readonly db: Database<Uint8Array, Uint8Array>) {}
  get(key: Uint8Array): Uint8Array | undefined {
    const v = this.db.getBinary(key);
    return v === undefined ? undefined : new Uint8Array(v);
  }
  *keysInRange(start: Uint8Array, end: Uint8Array | undefined): Iterable<Uint8Array> {
    for (const k of this.db.getKeys({
      start: Buffer.from(start),
      ...(end ? { end: Buffer.from(end) } : {}),
    })) {
      yield new Uint8Array(k as Uint8Array);
    }
  }
  put(key: Uint8Array, value: Uint8Array): void {
    this.db.putSync(Buffer.from(key), Buffer.from(value));
  }
  delete(key: Uint8Array): void {
    this.db.removeSync(Buffer.from(key));
  }
}
