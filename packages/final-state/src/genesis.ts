import { readFileSync } from "node:fs";
import { LedgerChanges } from "@massa-ts/ledger";
import { Address, Amount, compareAddresses, MassaTsError } from "@massa-ts/models";

/** A genesis file could not be used; the message names the file, the line and the field. */
export class GenesisError extends MassaTsError {
  constructor(message: string) {
    super("GENESIS", message);
  }
}

/** `path:line` of a key, computed only when a message is built (finding the line is a scan of the file). */
function whereOf(path: string, text: string, key: string): { toString(): string } {
  return { toString: () => `${path}:${lineOf(text, key)}` };
}

function lineOf(text: string, needle: string): number {
  const i = text.indexOf(JSON.stringify(needle));
  return i < 0 ? 1 : text.slice(0, i).split("\n").length;
}

function readJsonObject(path: string): { text: string; obj: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new GenesisError(`${path}: cannot read the file (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split("\n").length : 1;
    throw new GenesisError(`${path}:${line}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GenesisError(`${path}:1: expected a JSON object keyed by address`);
  }
  return { text, obj: json as Record<string, unknown> };
}

function parseAddress(key: string, where: { toString(): string }): Address {
  try {
    return Address.fromString(key);
  } catch (e) {
    throw new GenesisError(`${where}: "${key.slice(0, 60)}" is not an address (${(e as Error).message})`);
  }
}

function byteArray(v: unknown, where: { toString(): string }, field: string, max: number): Uint8Array {
  if (!Array.isArray(v) || v.length > max || !v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    throw new GenesisError(`${where}: ${field}: expected an array of at most ${max} bytes (integers 0..255)`);
  }
  return Uint8Array.from(v as number[]);
}

/**
 * Loads Massa's `initial_ledger.json`: `{"AU…": {"balance": "1000", "bytecode": [bytes], "datastore":
 * [[[key bytes], [value bytes]], …]}}`. Every entry becomes a full Set (how an address is created).
 */
export function loadInitialLedger(path: string): LedgerChanges {
  const { text, obj } = readJsonObject(path);
  const changes = new LedgerChanges();
  for (const [key, value] of Object.entries(obj)) {
    const where = whereOf(path, text, key);
    const address = parseAddress(key, where);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new GenesisError(`${where}: the entry of ${key} must be an object {"balance": "…", …}`);
    }
    const v = value as Record<string, unknown>;
    if (typeof v.balance !== "string")
      throw new GenesisError(`${where}: ${key}.balance must be a decimal string like "1000"`);
    let balance: Amount;
    try {
      balance = Amount.fromMas(v.balance);
    } catch (e) {
      throw new GenesisError(`${where}: ${key}.balance: ${(e as Error).message}`);
    }
    changes.createAddress(address);
    changes.setBalance(address, balance);
    if (v.bytecode !== undefined)
      changes.setBytecode(address, byteArray(v.bytecode, where, `${key}.bytecode`, 10_000_000));
    if (v.datastore !== undefined) {
      if (!Array.isArray(v.datastore))
        throw new GenesisError(`${where}: ${key}.datastore must be an array of [key, value] pairs`);
      v.datastore.forEach((pair: unknown, i: number) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new GenesisError(`${where}: ${key}.datastore[${i}] must be a [key bytes, value bytes] pair`);
        }
        const k = byteArray(pair[0], where, `${key}.datastore[${i}][0]`, 255);
        if (k.length === 0)
          throw new GenesisError(`${where}: ${key}.datastore[${i}][0]: a datastore key cannot be empty`);
        changes.setDataEntry(address, k, byteArray(pair[1], where, `${key}.datastore[${i}][1]`, 10_000_000));
      });
    }
  }
  return changes;
}

/** Loads Massa's `initial_rolls.json`: `{"AU…": 10}`, in Massa address order (zero entries kept). */
export function loadInitialRolls(path: string): [Address, bigint][] {
  const { text, obj } = readJsonObject(path);
  const rolls: [Address, bigint][] = [];
  for (const [key, value] of Object.entries(obj)) {
    const where = whereOf(path, text, key);
    const address = parseAddress(key, where);
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new GenesisError(
        `${where}: the roll count of ${key} must be a non-negative integer, got ${JSON.stringify(value)}`,
      );
    }
    rolls.push([address, BigInt(value)]);
  }
  return rolls.sort(([a], [b]) => compareAddresses(a, b));
}
