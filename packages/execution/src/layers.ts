import type { FinalStateReader, ProductionStats } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import { type Address, Amount, fromHex, type OperationId, type Slot, toHex } from "@massa-ts/models";
import type { ExecutedOpRecord } from "./types.js";

export const ZERO_STATS: ProductionStats = {
  blockSuccess: 0n,
  blockFailure: 0n,
  endorsementSuccess: 0n,
  endorsementFailure: 0n,
};

export function addStats(a: ProductionStats, b: ProductionStats): ProductionStats {
  return {
    blockSuccess: a.blockSuccess + b.blockSuccess,
    blockFailure: a.blockFailure + b.blockFailure,
    endorsementSuccess: a.endorsementSuccess + b.endorsementSuccess,
    endorsementFailure: a.endorsementFailure + b.endorsementFailure,
  };
}

export function creditKey(slot: Slot, address: Address): string {
  return toHex(slot.toKey()) + address.key;
}

/**
 * One layer of speculative changes: an operation's (discarded if it fails), a slot's (kept in the active
 * history until final). Roll counts and deferred credits are absolute values; production stats are
 * increments.
 */
export class Layer {
  readonly ledger = new LedgerChanges();
  readonly rolls = new Map<string, [Address, bigint]>();
  readonly credits = new Map<string, [Slot, Address, Amount]>();
  readonly stats = new Map<string, [Address, ProductionStats]>();
  readonly executedOps = new Map<string, ExecutedOpRecord>();

  addStats(address: Address, delta: Partial<ProductionStats>): void {
    const cur = this.stats.get(address.key)?.[1] ?? ZERO_STATS;
    this.stats.set(address.key, [address, addStats(cur, { ...ZERO_STATS, ...delta })]);
  }

  /** Folds a successful child layer (an operation's) into this one. */
  absorb(child: Layer): void {
    this.ledger.merge(child.ledger);
    for (const [k, v] of child.rolls) this.rolls.set(k, v);
    for (const [k, v] of child.credits) this.credits.set(k, v);
    for (const [, [a, s]] of child.stats) this.addStats(a, s);
    for (const [k, v] of child.executedOps) this.executedOps.set(k, v);
  }
}

/**
 * Which addresses' ledger changes and which executed operations the active history's layers may hold: a
 * read that no history layer can answer goes straight to the final state instead of asking every layer
 * (the history holds a few periods of slots, and most reads miss it).
 *
 * Layers are numbered as they are added; each key maps to the number of the newest layer that wrote it. A
 * key may be held while that number is at least the oldest held layer's, so dropping the oldest layer (a
 * slot settled) touches none of its keys. A layer dropped from the end (a blockclique change) leaves its
 * keys answering "may hold" until the layers before it are settled: a false "may" only sends the read
 * through the layers. Entries of settled layers are swept once they make up half the index.
 */
export class HistoryIndex {
  private readonly addresses = new Map<string, number>();
  private readonly ops = new Map<string, number>();
  /** The layers held, oldest first, with their numbers. */
  private readonly held: { layer: Layer; n: number }[] = [];
  private nextNumber = 0;
  /** The number of the oldest layer held (`nextNumber` when none). */
  private oldest = 0;
  /** Keys written by layers no longer held, an upper bound of the entries a sweep would remove. */
  private stale = 0;

  add(l: Layer): void {
    const n = this.nextNumber++;
    if (this.held.length === 0) this.oldest = n;
    this.held.push({ layer: l, n });
    for (const k of l.ledger.addressKeys()) this.addresses.set(k, n);
    for (const k of l.executedOps.keys()) this.ops.set(k, n);
  }

  remove(l: Layer): void {
    const i = this.held.findIndex((h) => h.layer === l);
    if (i < 0) return;
    this.held.splice(i, 1);
    this.oldest = this.held[0]?.n ?? this.nextNumber;
    this.stale += l.ledger.size + l.executedOps.size;
    if (this.stale > (this.addresses.size + this.ops.size) / 2) this.sweep();
  }

  clear(): void {
    this.addresses.clear();
    this.ops.clear();
    this.held.length = 0;
    this.oldest = this.nextNumber;
    this.stale = 0;
  }

  mayHoldAddress(key: string): boolean {
    return (this.addresses.get(key) ?? -1) >= this.oldest;
  }

  mayHoldOp(key: string): boolean {
    return (this.ops.get(key) ?? -1) >= this.oldest;
  }

  /** Forgets the keys whose newest writer is no longer held. */
  private sweep(): void {
    const oldest = this.oldest;
    const prune = (n: number, k: string, m: Map<string, number>) => {
      if (n < oldest) m.delete(k);
    };
    this.addresses.forEach(prune);
    this.ops.forEach(prune);
    this.stale = 0;
  }
}

/**
 * Reads through layers, newest first, then the final state (`reference/ledger_execution.md` §1.4): the
 * first layer that knows the answer gives it. `index`, when given, describes the layers from
 * `indexedFrom` on (the active history's), so that ledger and executed-operation reads it rules out skip them.
 */
export class View {
  constructor(
    private readonly layers: readonly Layer[],
    private readonly fs: FinalStateReader,
    private readonly index?: HistoryIndex,
    private readonly indexedFrom = 0,
  ) {}

  /** The layers that may hold `a`'s ledger change. */
  private ledgerLayers(a: Address): number {
    return this.index && !this.index.mayHoldAddress(a.key) ? this.indexedFrom : this.layers.length;
  }

  balance(a: Address): Amount | undefined {
    const n = this.ledgerLayers(a);
    for (let i = 0; i < n; i++) {
      const r = this.layers[i]!.ledger.getBalanceOrElse(a);
      if (r.known) return r.value;
    }
    return this.fs.ledger.getBalance(a);
  }

  bytecode(a: Address): Uint8Array | undefined {
    const n = this.ledgerLayers(a);
    for (let i = 0; i < n; i++) {
      const r = this.layers[i]!.ledger.getBytecodeOrElse(a);
      if (r.known) return r.value;
    }
    return this.fs.ledger.getBytecode(a);
  }

  dataEntry(a: Address, key: Uint8Array): Uint8Array | undefined {
    const n = this.ledgerLayers(a);
    for (let i = 0; i < n; i++) {
      const r = this.layers[i]!.ledger.getDataEntryOrElse(a, key);
      if (r.known) return r.value;
    }
    return this.fs.ledger.getDatastoreValue(a, key);
  }

  /** Datastore keys of `a` in byte order; undefined when `a` does not exist. */
  datastoreKeys(a: Address): Uint8Array[] | undefined {
    if (this.balance(a) === undefined) return undefined;
    let keys: Set<string> | undefined;
    const finalKeys = this.fs.ledger.getDatastoreKeys(a);
    if (finalKeys) keys = new Set(finalKeys.map((k) => toHex(k)));
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const c = this.layers[i]!.ledger.get(a);
      if (!c) continue;
      if (c.kind === "delete") keys = undefined;
      else if (c.kind === "set") keys = new Set(c.entry.datastore.keys());
      else {
        keys ??= new Set();
        for (const [k, v] of c.update.datastore) {
          if (v === null) keys.delete(k);
          else keys.add(k);
        }
      }
    }
    return [...(keys ?? [])].sort().map((k) => fromHex(k));
  }

  rolls(a: Address): bigint {
    for (const l of this.layers) {
      const r = l.rolls.get(a.key);
      if (r) return r[1];
    }
    return this.fs.rollsOf(a);
  }

  credit(slot: Slot, a: Address): Amount {
    const k = creditKey(slot, a);
    for (const l of this.layers) {
      const r = l.credits.get(k);
      if (r) return r[2];
    }
    return this.fs.deferredCredit(slot, a) ?? Amount.ZERO;
  }

  executed(id: OperationId): ExecutedOpRecord | undefined {
    const key = id.key;
    const n = this.index && !this.index.mayHoldOp(key) ? this.indexedFrom : this.layers.length;
    for (let i = 0; i < n; i++) {
      const r = this.layers[i]!.executedOps.get(key);
      if (r) return r;
    }
    return undefined;
  }
}
