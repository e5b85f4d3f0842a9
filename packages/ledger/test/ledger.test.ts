import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyLedgerChanges,
  defaultEntry,
  endOfPrefix,
  type LedgerChange,
  LedgerChanges,
  LedgerReader,
  LmdbKv,
  mergeChange,
} from "@massa-ts/ledger";
import { applyChangesToModel, type LedgerModel } from "@massa-ts/ledger/testing";
import { Address, Amount, toHex } from "@massa-ts/models";
import fc from "fast-check";
import { open } from "lmdb";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-ledger-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbn = 0;
function freshDb() {
  const root = open<Uint8Array, Uint8Array>({
    path: join(dir, `db-${dbn++}`),
    keyEncoding: "binary",
    encoding: "binary",
    compression: false,
  });
  return { root, db: root };
}

const addr = (n: number) => new Address(n % 5 === 4 ? "sc" : "user", new Uint8Array(32).fill(n));
const mas = (s: string) => Amount.fromMas(s);
const bytes = (...b: number[]) => Uint8Array.from(b);

describe("merge table (later change b into earlier change a)", () => {
  const e1 = { ...defaultEntry(), balance: mas("1") };
  const e2 = { ...defaultEntry(), balance: mas("2") };
  const u = { balance: mas("3"), datastore: new Map([[toHex(bytes(1)), bytes(9)]]) };
  const set1: LedgerChange = { kind: "set", entry: e1 };
  const upd: LedgerChange = { kind: "update", update: u };
  const del: LedgerChange = { kind: "delete" };
  it("Set(e1) then Set/Update/Delete", () => {
    expect(mergeChange(set1, { kind: "set", entry: e2 })).toMatchObject({
      kind: "set",
      entry: { balance: mas("2") },
    });
    const m = mergeChange(set1, upd);
    expect(m.kind).toBe("set");
    if (m.kind === "set") {
      expect(m.entry.balance.toString()).toBe("3");
      expect(m.entry.datastore.get(toHex(bytes(1)))).toEqual(bytes(9));
    }
    expect(mergeChange(set1, del)).toEqual({ kind: "delete" });
  });
  it("Update(u1) then Set/Update/Delete", () => {
    const u1: LedgerChange = {
      kind: "update",
      update: { bytecode: bytes(7), datastore: new Map([[toHex(bytes(1)), null]]) },
    };
    expect(mergeChange(u1, { kind: "set", entry: e2 }).kind).toBe("set");
    const m = mergeChange(u1, upd);
    expect(m.kind).toBe("update");
    if (m.kind === "update") {
      expect(m.update.balance?.toString()).toBe("3");
      expect(m.update.bytecode).toEqual(bytes(7));
      expect(m.update.datastore.get(toHex(bytes(1)))).toEqual(bytes(9));
    }
    expect(mergeChange(u1, del)).toEqual({ kind: "delete" });
  });
  it("Delete then Set/Update/Delete", () => {
    expect(mergeChange(del, { kind: "set", entry: e2 }).kind).toBe("set");
    const m = mergeChange(del, upd);
    expect(m.kind).toBe("set");
    if (m.kind === "set") expect(m.entry.balance.toString()).toBe("3");
    expect(mergeChange(del, del)).toEqual({ kind: "delete" });
  });
});

describe("writers and layered readers", () => {
  it("follow Massa's tables", () => {
    const a = addr(1);
    const c = new LedgerChanges();
    expect(c.getBalanceOrElse(a)).toEqual({ known: false });
    c.setBalance(a, mas("5"));
    expect(c.get(a)?.kind).toBe("update");
    expect(c.getBalanceOrElse(a)).toEqual({ known: true, value: mas("5") });
    expect(c.getBytecodeOrElse(a)).toEqual({ known: false });
    c.deleteDataEntry(a, bytes(2));
    expect(c.getDataEntryOrElse(a, bytes(2))).toEqual({ known: true, value: undefined });
    c.deleteAddress(a);
    c.deleteDataEntry(a, bytes(3));
    expect(c.get(a)).toEqual({ kind: "delete" });
    c.setBytecode(a, bytes(1));
    expect(c.get(a)?.kind).toBe("set");
    expect(c.getBalanceOrElse(a)).toEqual({ known: true, value: Amount.ZERO });
    c.createAddress(a);
    expect(c.get(a)).toMatchObject({ kind: "set", entry: { balance: Amount.ZERO } });
  });
  it("every cell of the writers' table (ledger_execution.md), writer × starting state", () => {
    const a = addr(3);
    const k = bytes(7);
    const old = bytes(1);
    // The starting states: no change, Set(e) with a data entry k, Update(u) touching k, Delete.
    const start: Record<string, (c: LedgerChanges) => void> = {
      none: () => {},
      set: (c) => {
        c.createAddress(a);
        c.setBalance(a, mas("9"));
        c.setDataEntry(a, k, old);
      },
      update: (c) => {
        c.setBalance(a, mas("9"));
        c.setDataEntry(a, k, old);
      },
      delete: (c) => c.deleteAddress(a),
    };
    const ds = (m: [Uint8Array, Uint8Array | null][]) => new Map(m.map(([key, v]) => [toHex(key), v]));
    const set = (balance: string, bytecode: Uint8Array, d: [Uint8Array, Uint8Array][]) => ({
      kind: "set",
      entry: { balance: mas(balance), bytecode, datastore: ds(d) },
    });
    const update = (u: {
      balance?: string;
      bytecode?: Uint8Array;
      d: [Uint8Array, Uint8Array | null][];
    }) => ({
      kind: "update",
      update: {
        ...(u.balance ? { balance: mas(u.balance) } : {}),
        ...(u.bytecode ? { bytecode: u.bytecode } : {}),
        datastore: ds(u.d),
      },
    });
    const code = bytes(0xc0, 0xde);
    const v = bytes(5);
    const empty = new Uint8Array(0);
    type W = [string, (c: LedgerChanges) => void, Record<string, unknown>];
    const table: W[] = [
      [
        "setBalance",
        (c) => c.setBalance(a, mas("2")),
        {
          none: update({ balance: "2", d: [] }),
          set: set("2", empty, [[k, old]]),
          update: update({ balance: "2", d: [[k, old]] }),
          delete: set("2", empty, []),
        },
      ],
      [
        "setBytecode",
        (c) => c.setBytecode(a, code),
        {
          none: update({ bytecode: code, d: [] }),
          set: set("9", code, [[k, old]]),
          update: update({ balance: "9", bytecode: code, d: [[k, old]] }),
          delete: set("0", code, []),
        },
      ],
      [
        "setDataEntry",
        (c) => c.setDataEntry(a, k, v),
        {
          none: update({ d: [[k, v]] }),
          set: set("9", empty, [[k, v]]),
          update: update({ balance: "9", d: [[k, v]] }),
          delete: set("0", empty, [[k, v]]),
        },
      ],
      [
        "deleteDataEntry",
        (c) => c.deleteDataEntry(a, k),
        {
          none: update({ d: [[k, null]] }),
          set: set("9", empty, []),
          update: update({ balance: "9", d: [[k, null]] }),
          delete: { kind: "delete" },
        },
      ],
      [
        "createAddress",
        (c) => c.createAddress(a),
        {
          none: set("0", empty, []),
          set: set("0", empty, []),
          update: set("0", empty, []),
          delete: set("0", empty, []),
        },
      ],
    ];
    let cells = 0;
    for (const [name, writer, expected] of table) {
      for (const state of ["none", "set", "update", "delete"]) {
        const c = new LedgerChanges();
        start[state]!(c);
        writer(c);
        expect({ cell: `${name} on ${state}`, change: c.get(a) }).toEqual({
          cell: `${name} on ${state}`,
          change: expected[state],
        });
        cells++;
      }
    }
    expect(cells).toBe(20);
  });
  it("an update of an address never created is refused in the model", () => {
    const c = new LedgerChanges();
    c.setBalance(addr(2), mas("1"));
    expect(() => applyChangesToModel(new Map(), c)).toThrow(/must be created by a full Set/);
  });
  it("end of prefix", () => {
    expect(endOfPrefix(bytes(5, 6, 7))).toEqual(bytes(5, 6, 8));
    expect(endOfPrefix(bytes(5, 6, 255))).toEqual(bytes(5, 7));
    expect(endOfPrefix(bytes(255, 255))).toBeUndefined();
  });
});

// Random change sequences over a few addresses; updates only target addresses that exist at that point.
type Op =
  | { t: "create"; a: number }
  | { t: "balance"; a: number; v: bigint }
  | { t: "code"; a: number; v: number[] }
  | { t: "put"; a: number; k: number[]; v: number[] }
  | { t: "del"; a: number; k: number[] }
  | { t: "delete"; a: number };
const A = 4;
const keyArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("create" as const), a: fc.nat(A - 1) }),
  fc.record({
    t: fc.constant("balance" as const),
    a: fc.nat(A - 1),
    v: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  }),
  fc.record({
    t: fc.constant("code" as const),
    a: fc.nat(A - 1),
    v: fc.array(fc.nat(255), { maxLength: 3 }),
  }),
  fc.record({
    t: fc.constant("put" as const),
    a: fc.nat(A - 1),
    k: keyArb,
    v: fc.array(fc.nat(255), { maxLength: 3 }),
  }),
  fc.record({ t: fc.constant("del" as const), a: fc.nat(A - 1), k: keyArb }),
  fc.record({ t: fc.constant("delete" as const), a: fc.nat(A - 1) }),
);

/** Builds a LedgerChanges from ops, keeping the invariant (updates only on existing entries). */
function build(ops: Op[], exists: Set<number>): LedgerChanges {
  const c = new LedgerChanges();
  for (const op of ops) {
    const a = addr(op.a);
    if (op.t === "create") {
      c.createAddress(a);
      exists.add(op.a);
      continue;
    }
    if (op.t === "delete") {
      c.deleteAddress(a);
      exists.delete(op.a);
      continue;
    }
    if (!exists.has(op.a)) {
      c.createAddress(a);
      exists.add(op.a);
    }
    if (op.t === "balance") c.setBalance(a, Amount.fromNano(op.v));
    else if (op.t === "code") c.setBytecode(a, Uint8Array.from(op.v));
    else if (op.t === "put") c.setDataEntry(a, Uint8Array.from(op.k), Uint8Array.from(op.v));
    else c.deleteDataEntry(a, Uint8Array.from(op.k));
  }
  return c;
}

function dump(db: import("lmdb").Database<Uint8Array, Uint8Array>): string[] {
  return [...db.getRange({})].map(
    ({ key, value }) => `${toHex(key as Uint8Array)}=${toHex(value as Uint8Array)}`,
  );
}

function modelView(m: LedgerModel): string {
  return JSON.stringify(
    [...m.entries()]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, e]) => [
        k,
        e.balance.toString(),
        toHex(e.bytecode),
        [...e.datastore.entries()].sort().map(([dk, v]) => [dk, toHex(v)]),
      ]),
  );
}

describe("composition: applying A then B equals applying A.merge(B)", () => {
  it("in memory", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), fc.array(opArb, { maxLength: 12 }), (opsA, opsB) => {
        const exists = new Set<number>();
        const a = build(opsA, exists);
        const b = build(opsB, exists);
        const m1: LedgerModel = new Map();
        applyChangesToModel(m1, a);
        applyChangesToModel(m1, b);
        const merged = a.clone();
        merged.merge(b);
        const m2: LedgerModel = new Map();
        applyChangesToModel(m2, merged);
        expect(modelView(m2)).toBe(modelView(m1));
      }),
      { numRuns: 500 },
    );
  });

  it("on LMDB, and the reader agrees with the in-memory model", () => {
    const { root: r1, db: d1 } = freshDb();
    const { root: r2, db: d2 } = freshDb();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 10 }), fc.array(opArb, { maxLength: 10 }), (opsA, opsB) => {
        d1.clearSync();
        d2.clearSync();
        const exists = new Set<number>();
        const a = build(opsA, exists);
        const b = build(opsB, exists);
        const merged = a.clone();
        merged.merge(b);
        d1.transactionSync(() => applyLedgerChanges(a, new LmdbKv(d1)));
        d1.transactionSync(() => applyLedgerChanges(b, new LmdbKv(d1)));
        d2.transactionSync(() => applyLedgerChanges(merged, new LmdbKv(d2)));
        expect(dump(d2)).toEqual(dump(d1));
        const model: LedgerModel = new Map();
        applyChangesToModel(model, a);
        applyChangesToModel(model, b);
        const reader = new LedgerReader(new LmdbKv(d1));
        for (let i = 0; i < A; i++) {
          const e = model.get(addr(i).key);
          const got = reader.getEntry(addr(i));
          expect(got === undefined).toBe(e === undefined);
          if (e && got) {
            expect(got.balance.nano).toBe(e.balance.nano);
            expect(toHex(got.bytecode)).toBe(toHex(e.bytecode));
            expect([...got.datastore.entries()].sort().map(([k, v]) => k + toHex(v))).toEqual(
              [...e.datastore.entries()].sort().map(([k, v]) => k + toHex(v)),
            );
            expect(reader.getBalance(addr(i))?.nano).toBe(e.balance.nano);
          }
        }
      }),
      { numRuns: 200 },
    );
    r1.close();
    r2.close();
  });

  it("refuses oversize datastore keys before writing anything", () => {
    const { root, db } = freshDb();
    const c = new LedgerChanges();
    c.createAddress(addr(1));
    c.setBalance(addr(1), mas("1"));
    c.createAddress(addr(2));
    c.setDataEntry(addr(2), new Uint8Array(256), bytes(1));
    expect(() => db.transactionSync(() => applyLedgerChanges(c, new LmdbKv(db)))).toThrow(/1\.\.255/);
    expect(dump(db)).toEqual([]);
    root.close();
  });
});
