import { type Address, Amount } from "@massa-ts/models";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  block,
  type Chain,
  chain,
  cleanup,
  exec,
  finalize,
  keyIn,
  mas,
  op,
  PPC,
  resetKeys,
  runTo,
  Slot,
  T,
} from "./harness.ts";

// Expected numbers are worked out by hand from the rules (reference/ledger_execution.md §3.4–3.7, pos.md §4)
// and written as literals: block reward 0.40001 MAS, 51 parts, 0.001 MAS to create an address, roll 100 MAS.

afterAll(cleanup);
beforeEach(resetKeys);

const bal = (c: Chain, a: Address, level: "final" | "candidate" = "candidate") =>
  c.ex.balance(a, level)?.toString();

describe("operations", () => {
  it("a transfer: sender pays amount and fee, recipient credited, producer paid 3 parts + remainder", async () => {
    const a = keyIn(1);
    const b = keyIn(0);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "100"],
        [b.addr, "50"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const t = op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("10") }, "1");
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [t]));
    expect(bal(c, a.addr)).toBe("89");
    expect(bal(c, b.addr)).toBe("60");
    // credits 1.40001 MAS = 1 400 010 000 nano = 51 × 27 451 176 + 24 → 3 × 27 451 176 + 24
    expect(bal(c, p.addr)).toBe("1000.082353552");
    expect(bal(c, a.addr, "final")).toBe("100"); // not final yet
    expect(c.ex.operationStatus(t.id)).toMatchObject({ success: true, final: false });
    expect(c.ex.events({ operationId: t.id })).toHaveLength(0); // Massa: a successful transfer emits no event
  });

  it("insufficient balance: the transfer fails, the fee stays paid to the producer", async () => {
    const a = keyIn(1);
    const b = keyIn(0);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "1"],
        [b.addr, "50"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const t = op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("5") }, "0.5");
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [t]));
    expect(bal(c, a.addr)).toBe("0.5");
    expect(bal(c, b.addr)).toBe("50");
    // credits 0.90001 MAS = 51 × 17 647 254 + 46 → producer 52 941 808 nano
    expect(bal(c, p.addr)).toBe("1000.052941808");
    expect(c.ex.operationStatus(t.id)).toMatchObject({ success: false });
    const [e] = c.ex.events({ operationId: t.id });
    expect(e?.isError).toBe(true);
    expect(e?.data).toMatch(/insufficient balance 0\.5/);
  });

  it("a transfer to a new address costs 0.001 MAS of the amount; too little to create it fails", async () => {
    const a = keyIn(1);
    const p = keyIn(0);
    const fresh = keyIn(0).addr;
    const tooSmall = keyIn(1).addr;
    const c = await chain(
      [
        [a.addr, "100"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const ok = op(a.sk, { type: "Transaction", recipient: fresh, amount: mas("1") });
    const ko = op(a.sk, { type: "Transaction", recipient: tooSmall, amount: mas("0.0005") });
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [ok, ko]));
    expect(bal(c, fresh)).toBe("0.999");
    expect(bal(c, tooSmall)).toBeUndefined();
    expect(bal(c, a.addr)).toBe("99");
    expect(c.ex.events({ operationId: ko.id })[0]?.data).toMatch(/insufficient amount 0\.0005 to create/);
    expect(bal(c, p.addr)).toBe("1000.023530016");
  });

  it("a block with no endorsements and 20 MAS of fees pays its producer exactly 1.200000592 MAS", async () => {
    const a = keyIn(1);
    const b = keyIn(0);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "100"],
        [b.addr, "0"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const ops = [
      op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("0") }, "12"),
      op(a.sk, { type: "RollSell", rollCount: 5n }, "8"), // fails (no rolls) after its fee
    ];
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, ops));
    expect(bal(c, p.addr)).toBe("1001.200000592");
    expect(bal(c, a.addr)).toBe("80");
  });

  it("a double spend inside one block: the first transfer succeeds, the second fails; a repeated op is skipped", async () => {
    const a = keyIn(1);
    const b = keyIn(0);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "10"],
        [b.addr, "50"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const first = op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("8") }, "0.1", 5);
    const second = op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("8") }, "0.1", 6);
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [first, second, first]));
    expect(bal(c, a.addr)).toBe("1.8"); // 10 − 8 − 0.1 − 0.1 (the repeat pays nothing)
    expect(bal(c, b.addr)).toBe("58");
    expect(c.ex.operationStatus(first.id)?.success).toBe(true);
    expect(c.ex.operationStatus(second.id)?.success).toBe(false);
    // ... and reusing `first` in a later block is skipped too (already executed)
    exec(c, new Slot(2, 0), null);
    exec(c, new Slot(2, 1), block(new Slot(2, 1), p.addr, [first]));
    expect(bal(c, a.addr)).toBe("1.8");
  });

  it("an ExecuteSC with less gas than a contract instance needs fails after its fee, with Massa's message", async () => {
    const a = keyIn(1);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "100"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const x = op(
      a.sk,
      { type: "ExecuteSC", maxGas: 1000n, maxCoins: mas("1"), bytecode: new Uint8Array(4), datastore: [] },
      "1",
    );
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [x]));
    expect(bal(c, a.addr)).toBe("99");
    expect(c.ex.events({ operationId: x.id })[0]?.data).toMatch(
      /VM Error in ExecuteSC context: Provided gas 1000 is lower than the base instance creation gas cost 2100000/,
    );
  });
});

describe("rolls, deferred credits, production stats", () => {
  it("roll buy, then sell; the credit arrives exactly at the last slot of cycle + 3, not one slot earlier", async () => {
    const a = keyIn(1);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "1000"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [op(a.sk, { type: "RollBuy", rollCount: 3n })]));
    expect(bal(c, a.addr)).toBe("700");
    expect(c.ex.rolls(a.addr, "candidate")).toBe(3n);
    expect(c.ex.rolls(a.addr, "final")).toBe(0n);
    // sell 2 in cycle 1 (period 5): credit at the last slot of cycle 4 = (19, 1)
    runTo(c, new Slot(5, 0));
    exec(
      c,
      new Slot(5, 1),
      block(new Slot(5, 1), p.addr, [op(a.sk, { type: "RollSell", rollCount: 2n }, "0", 9)]),
    );
    expect(c.ex.rolls(a.addr, "candidate")).toBe(1n);
    expect(c.ex.deferredCredits(a.addr, "candidate").map(([s, x]) => [s.toString(), x.toString()])).toEqual([
      [new Slot(19, 1).toString(), "200"],
    ]);
    // settle what is final so far, to check that credits and rolls also go through the final state
    finalize(c, new Slot(8, 1));
    expect(c.ex.rolls(a.addr, "final")).toBe(1n);
    runTo(c, new Slot(19, 0));
    expect(bal(c, a.addr)).toBe("700");
    runTo(c, new Slot(19, 1));
    expect(bal(c, a.addr)).toBe("900");
    expect(c.ex.deferredCredits(a.addr, "candidate")).toEqual([]);
  });

  it("an address that misses more than 70 % of its slots loses all its rolls at the end of the cycle", async () => {
    const s1 = keyIn(0);
    const s2 = keyIn(1);
    const c = await chain(
      [
        [s1.addr, "10"],
        [s2.addr, "10"],
      ],
      [
        [s1.addr, 10n],
        [s2.addr, 10n],
      ],
    );
    // cycle 0: S1 never produces (its slots are misses), S2 produces all of its own
    let s1Slots = 0;
    let s = new Slot(1, 0);
    while (Slot.compare(s, new Slot(PPC - 1, T - 1)) <= 0) {
      const producer = c.draws.getSelection(s).producer;
      if (producer.equals(s1.addr)) s1Slots++;
      exec(c, s, producer.equals(s1.addr) ? null : block(s, producer));
      if (Slot.compare(s, new Slot(PPC - 1, T - 2)) === 0) {
        // one slot before the end of the cycle: nothing sold yet
        expect(c.ex.rolls(s1.addr, "candidate")).toBe(10n);
      }
      s = s.next(T);
    }
    expect(s1Slots).toBeGreaterThan(0);
    expect(c.ex.rolls(s1.addr, "candidate")).toBe(0n);
    expect(c.ex.rolls(s2.addr, "candidate")).toBe(10n);
    // 10 rolls × 100 MAS, credited at the last slot of cycle 0 + 3
    expect(c.ex.deferredCredits(s1.addr, "candidate").map(([x, a]) => [x.toString(), a.toString()])).toEqual([
      [new Slot(4 * PPC - 1, T - 1).toString(), "1000"],
    ]);
    expect(c.ex.events({ emitter: s1.addr }).some((e) => /rolls are sold/.test(e.data))).toBe(true);
  });
});

describe("rewards", () => {
  it("splits the block credits with 0, 1 and 16 endorsements (Massa's test_rewards numbers)", async () => {
    const p = keyIn(0);
    const e = keyIn(1);
    const parent = keyIn(0);
    const c = await chain(
      [
        [p.addr, "100"],
        [e.addr, "100"],
        [parent.addr, "100"],
      ],
      [[p.addr, 1n]],
    );
    const before = (a: Address) => c.ex.balance(a, "candidate")!.nano;
    const cases: [number, bigint, bigint][] = [
      // n, producer gain, each endorser part (nano): part = 7 843 333, rem = 17
      [0, 23_530_016n, 0n],
      [1, 31_373_349n, 7_843_333n],
      [16, 149_023_344n, 7_843_333n],
    ];
    let s = new Slot(1, 0);
    for (const [n, producerGain, part] of cases) {
      const p0 = before(p.addr);
      const e0 = before(e.addr);
      const q0 = before(parent.addr);
      exec(c, s, block(s, p.addr, [], { endorsers: Array(n).fill(e.addr), parentCreator: parent.addr }));
      expect(before(p.addr) - p0).toBe(producerGain);
      expect(before(e.addr) - e0).toBe(part * BigInt(n));
      expect(before(parent.addr) - q0).toBe(part * BigInt(n));
      s = s.next(T);
    }
    // with 16 endorsements the whole 0.40001 MAS is minted: 149 023 344 + 2 × 16 × 7 843 333
    expect(149_023_344n + 32n * 7_843_333n).toBe(mas("0.40001").nano);
    expect(Amount.ZERO.isZero()).toBe(true);
  });
});

describe("slashing (ours: deferred credits first, then rolls)", () => {
  it("takes one roll's worth from deferred credits first, then a roll; half goes to the block credits", async () => {
    const x = keyIn(1);
    const y = keyIn(1);
    const p = keyIn(0);
    const c = await chain(
      [
        [x.addr, "1000"],
        [y.addr, "1000"],
        [p.addr, "0"],
      ],
      [
        [x.addr, 5n],
        [y.addr, 5n],
        [p.addr, 1n],
      ],
    );
    // x sells 3 rolls (credit 300 at the last slot of cycle 3), y sells 1 (credit 100... then slashed)
    runTo(c, new Slot(1, 0));
    exec(
      c,
      new Slot(1, 1),
      block(new Slot(1, 1), p.addr, [
        op(x.sk, { type: "RollSell", rollCount: 3n }),
        op(y.sk, { type: "RollSell", rollCount: 1n }),
      ]),
    );
    // slot (2, 0): x (credit 300) and y (credit 100... twice: only the remaining 0 then a roll) are slashed
    const before = c.ex.balance(p.addr, "candidate")!.nano;
    const b = block(new Slot(2, 0), p.addr, [], { parentCreator: p.addr });
    exec(c, new Slot(2, 0), { ...b, slashed: [x.addr, y.addr, y.addr] });
    const at = new Slot(4 * PPC - 1, T - 1);
    const credit = (a: Address) =>
      c.ex
        .deferredCredits(a, "candidate")
        .find(([s]) => s.equals(at))?.[1]
        .toString();
    expect(credit(x.addr)).toBe("200"); // 300 − 100, rolls untouched
    expect(c.ex.rolls(x.addr, "candidate")).toBe(2n);
    expect(credit(y.addr)).toBeUndefined(); // 100 taken by the first slash
    expect(c.ex.rolls(y.addr, "candidate")).toBe(3n); // the second slash took one roll (4 → 3)
    // slashed 100 + 100 + 100 = 300 MAS, half to the block credits: 150.40001 MAS = 51 × 2 949 019 803 + 47
    // nano; no endorsement: the producer gets 3 parts + 47
    expect(c.ex.balance(p.addr, "candidate")!.nano - before).toBe(8_847_059_456n);
  });
});
