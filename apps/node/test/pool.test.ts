// The operation pool's admission rules (security issue 17, item 4), on real signed operations; the balances
// come from a real execution over a real final state (LMDB in a temp dir). Expected values are worked out by
// hand from Massa's pool (massa-pool-worker/src/operation_pool.rs: `prefilter_ops`,
// `eliminate_balance_overflows`; massa-models `get_max_spending`), written next to each check.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecBlock, Execution } from "@massa-ts/execution";
import { FinalState } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import {
  Address,
  Amount,
  BlockId,
  blake3,
  type OperationPayload,
  SecretKey,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { CycleDraws, initialSeeds } from "@massa-ts/pos-draws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HeldStatus, maxSpending, OperationPool, type PoolOptions } from "../src/node/pool.ts";

const T = 2;
const PPC = 4;
const CHAIN = 77n;
const te = new TextEncoder();
const mas = (s: string) => Amount.fromMas(s);

let n = 0;
/** A deterministic key whose address is in `thread`. */
function keyIn(thread: number): { sk: SecretKey; addr: Address } {
  for (;;) {
    const sk = new SecretKey(blake3(te.encode(`pool-test-key-${n++}`)));
    const addr = Address.fromPublicKey(sk.publicKey);
    if (addr.thread(T) === thread) return { sk, addr };
  }
}

const alice = keyIn(0); // 10 MAS
const bob = keyIn(0); // 1 000 MAS
const carol = keyIn(1); // 10 MAS
const staker = keyIn(0); // 100 MAS, 10 rolls: produces the blocks
const nobody = keyIn(0); // not in the ledger
const fresh = () => Address.fromPublicKey(SecretKey.generate().publicKey);

const dir = mkdtempSync(join(tmpdir(), "massa-ts-pool-"));
let fs: FinalState;
let ex: Execution;
beforeAll(async () => {
  fs = await FinalState.open({
    path: join(dir, "state"),
    chainId: CHAIN,
    threadCount: T,
    periodsPerCycle: PPC,
  });
  const l = new LedgerChanges();
  for (const [a, b] of [
    [alice.addr, "10"],
    [bob.addr, "1000"],
    [carol.addr, "10"],
    [staker.addr, "100"],
  ] as const) {
    l.createAddress(a);
    l.setBalance(a, mas(b));
  }
  const rolls = [[staker.addr, 10n]] as const;
  fs.initGenesis(l, rolls);
  const draws = new Map<number, CycleDraws>();
  ex = new Execution(
    fs,
    {
      getSelection(slot: Slot) {
        const cycle = Math.floor(slot.period / PPC);
        let d = draws.get(cycle);
        if (!d) {
          const shape = { periodsPerCycle: PPC, threadCount: T, endorsementCount: 16 };
          d = CycleDraws.draw(cycle, shape, rolls, initialSeeds()[cycle % 2]!, staker.addr);
          draws.set(cycle, d);
        }
        return d.selection(slot.period, slot.thread);
      },
    },
    { threadCount: T, periodsPerCycle: PPC },
  );
});
afterAll(async () => {
  await fs?.close();
  rmSync(dir, { recursive: true, force: true });
});

function pool(opts: Partial<PoolOptions> = {}): OperationPool {
  return new OperationPool({
    chainId: CHAIN,
    threadCount: T,
    minimalFee: Amount.ZERO,
    maxOperations: 1000,
    maxBytes: 10_000_000,
    maxOperationSize: 300_000,
    operationValidityPeriods: 10,
    funds: { balance: (a) => ex.balance(a, "candidate"), rollPrice: ex.config.rollPrice },
    ...opts,
  });
}

function op(
  from: { sk: SecretKey },
  fee: string,
  payload: OperationPayload,
  expirePeriod = 15,
): SignedOperation {
  return SignedOperation.sign({ fee: mas(fee), expirePeriod, payload }, from.sk, CHAIN);
}
const transfer = (from: { sk: SecretKey }, amount: string, fee: string, expire = 15) =>
  op(from, fee, { type: "Transaction", recipient: fresh(), amount: mas(amount) }, expire);
const rollBuy = (from: { sk: SecretKey }, rolls: bigint, fee: string) =>
  op(from, fee, { type: "RollBuy", rollCount: rolls });

/** What node.ts hands `prune`: execution's status of each held operation. */
const status = (o: SignedOperation): HeldStatus => {
  const st = ex.operationStatus(o.id);
  return st === undefined ? false : st.final || "candidate";
};

/** Executes every slot up to `to` (misses), with `block` at its slot. */
function runTo(to: Slot, block?: ExecBlock): void {
  for (let s = ex.lastExecutedSlot.next(T); Slot.compare(s, to) <= 0; s = s.next(T))
    ex.executeSlot(s, block?.slot.equals(s) ? block : null);
}

describe("operation pool admission", () => {
  it("expiry horizon: the validity window may start at most maxFutureStartPeriods after the current period", () => {
    // now 5, validity 10: expiring at 15 starts at 5 (now); at 16 it would start at 6, in the future
    const strict = pool({ funds: undefined });
    strict.add(transfer(bob, "1", "0.01", 15), 5);
    expect(() => strict.add(transfer(bob, "1", "0.01", 16), 5)).toThrow(
      /expires at period 16, after period 15 .*validity starts too far ahead/,
    );
    expect(() => strict.add(transfer(bob, "1", "0.01", 4), 5)).toThrow(/expired at period 4/);
    // Massa: a start up to now + 50 s + 2·t0 (t0 16 s: 3 + 2 periods) → expiring at 5 + 10 + 5 = 20 at most
    const massa = pool({ funds: undefined, maxFutureStartPeriods: 5 });
    massa.add(transfer(bob, "1", "0.01", 20), 5);
    expect(() => massa.add(transfer(bob, "1", "0.01", 21), 5)).toThrow(/after period 20/);
    expect(() => massa.add(transfer(bob, "1", "1000000", 1_000_000_000), 5)).toThrow(/too far ahead/);
    expect([strict.size, massa.size]).toEqual([1, 1]);
  });

  it("max spending is Massa's get_max_spending: fee plus amount, roll cost, max coins or coins", () => {
    const price = mas("100");
    expect(maxSpending(transfer(alice, "9.99", "0.01"), price).toString()).toBe("10");
    expect(maxSpending(rollBuy(alice, 3n, "0.5"), price).toString()).toBe("300.5");
    expect(maxSpending(op(alice, "0.5", { type: "RollSell", rollCount: 7n }), price).toString()).toBe("0.5");
    const call = op(alice, "0.2", {
      type: "CallSC",
      maxGas: 1_000_000n,
      coins: mas("1.5"),
      target: fresh(),
      functionName: "f",
      parameter: new Uint8Array(),
    });
    expect(maxSpending(call, price).toString()).toBe("1.7"); // gas is paid by the fee: no gas price
    const exec = op(alice, "1", {
      type: "ExecuteSC",
      maxGas: 1_000_000n,
      maxCoins: mas("2"),
      bytecode: new Uint8Array(4),
      datastore: [],
    });
    expect(maxSpending(exec, price).toString()).toBe("3");
    // 2^64 − 1 nano is the most there is: a huge roll count saturates instead of wrapping
    expect(maxSpending(rollBuy(alice, 1n << 60n, "1"), price).equals(Amount.MAX)).toBe(true);
  });

  it("refuses a sender that does not exist or cannot pay one operation's max spending", () => {
    const p = pool();
    expect(() => p.add(transfer(nobody, "0", "1000000"), 5)).toThrow(
      new RegExp(`its sender ${nobody.addr} does not exist \\(no coins\\): it cannot pay the fee 1000000`),
    );
    // alice has 10: 9.99 + 0.01 = 10 is payable (Massa: max_spending <= balance), 9.99 + 0.02 is not
    expect(() => p.add(transfer(alice, "9.99", "0.02"), 5)).toThrow(
      /has 10 coins \(candidate balance\), less than the 10\.01 the operation may spend/,
    );
    expect(() => p.add(rollBuy(alice, 1n, "0"), 5)).toThrow(/less than the 100 the operation may spend/);
    const exact = transfer(alice, "9.99", "0.01");
    p.add(exact, 5);
    p.add(exact, 5); // the same operation again: held already, not counted twice
    p.add(rollBuy(bob, 9n, "1"), 5); // bob: 900 + 1 ≤ 1 000
    expect(p.size).toBe(2);
  });

  it("one sender's operations together may not spend more than its balance; the higher fees are kept", () => {
    const p = pool();
    const a = transfer(alice, "6", "0.1"); // 6.1
    const b = transfer(alice, "3", "0.2"); // 3.2 → 9.3 held
    p.add(a, 5);
    p.add(b, 5);
    // 1.01 more: 10.31 > 10; b pays more and counts first (3.2), then a (6.1): 0.7 left
    expect(() => p.add(transfer(alice, "1", "0.01"), 5)).toThrow(
      /operations in the pool that pay more may spend 9\.3 of them, and 0\.7 left is less than the 1\.01/,
    );
    // fee 1 pays more than both: d (5), then b (3.2): 1.8 left, a (6.1) no longer paid for: it leaves
    const d = transfer(alice, "4", "1");
    p.add(d, 5);
    expect([d, b, a].map((o) => p.has(o.id))).toEqual([true, true, false]);
    // now 1.01 fits in the 1.8 left
    const c = transfer(alice, "1", "0.01");
    p.add(c, 5);
    expect(p.heldFrom(alice.addr)).toBe(3);
    // other senders are not touched
    p.add(transfer(carol, "9", "1"), 5);
    expect(p.size).toBe(4);
  });

  it("holds at most maxPerSender operations of one sender: a better fee replaces its cheapest", () => {
    const p = pool({ maxPerSender: 3 });
    const [f1, f2, f3] = ["1", "2", "3"].map((fee) => transfer(bob, "1", fee));
    for (const o of [f1!, f2!, f3!]) p.add(o, 5);
    expect(() => p.add(transfer(bob, "1", "0.5"), 5)).toThrow(
      new RegExp(`sender ${bob.addr} already has 3 operations in the pool, the most one sender may have`),
    );
    expect(() => p.add(transfer(bob, "1", "1"), 5)).toThrow(/already has 3 operations/); // equal fee: no
    const f4 = transfer(bob, "1", "4");
    p.add(f4, 5);
    expect([f1, f2, f3, f4].map((o) => p.has(o!.id))).toEqual([false, true, true, true]);
    expect(p.heldFrom(bob.addr)).toBe(3);
    p.add(transfer(alice, "1", "0.01"), 5); // another sender has its own budget
    expect(p.size).toBe(4);
  });

  it("prune checks held operations against the balances again, as they change with each slot", () => {
    const p = pool();
    // carol (thread 1) has 10: t1 (4 + 1 = 5) then t2 (3 + 0.5 = 3.5) are paid for, 8.5 in all; they expire
    // at period 10, so that a block of period 1 may include them (window 0 to 10)
    const t1 = transfer(carol, "4", "1", 10);
    const t2 = transfer(carol, "3", "0.5", 10);
    p.add(t1, 1);
    p.add(t2, 1);
    // t1 executes in a candidate block of slot (1, 1): carol is debited its 5, 5 left
    const block = (label: string, period: number, operations: SignedOperation[]): ExecBlock => ({
      id: new BlockId(blake3(te.encode(label))),
      slot: new Slot(period, 1),
      creator: staker.addr,
      operations,
      endorsements: [],
      parentCreator: staker.addr,
    });
    const b1 = block("pool-test-b1", 1, [t1]);
    runTo(b1.slot, b1);
    expect(ex.operationStatus(t1.id)).toMatchObject({ success: true, final: false });
    expect(ex.balance(carol.addr, "candidate")!.toString()).toBe("5");
    // t1 is paid for already (it is in the candidate balance): it stays held and is not counted again;
    // t2 (3.5 ≤ 5) stays too
    p.prune(1, status);
    expect([p.has(t1.id), p.has(t2.id)]).toEqual([true, true]);
    // 5 − 3.5 = 1.5 left: a new 1.6 does not fit, a new 1.5 does
    expect(() => p.add(transfer(carol, "1.5", "0.1", 10), 1)).toThrow(/1\.5 left is less than the 1\.6/);
    const t3 = transfer(carol, "1.4", "0.1", 10);
    p.add(t3, 1);
    // t1 final: it leaves the pool; the balance is the same 5, t2 and t3 (5 in all) stay
    ex.onSlotsFinal(b1.slot, (s) => (s.equals(b1.slot) ? b1 : null));
    p.prune(2, status);
    expect([p.has(t1.id), p.has(t2.id), p.has(t3.id)]).toEqual([false, true, true]);
    // 3 of carol's 5 spent by an operation this pool never held (another node's): 2 left; in pool order t2
    // (fee 0.5, 3.5) is no longer paid for and leaves, t3 (fee 0.1, 1.5) still is (Massa's
    // eliminate_balance_overflows skips an unpaid one and goes on)
    const b2 = block("pool-test-b2", 2, [transfer(carol, "3", "0", 10)]);
    runTo(b2.slot, b2);
    expect(ex.balance(carol.addr, "candidate")!.toString()).toBe("2");
    p.prune(2, status);
    expect([p.has(t2.id), p.has(t3.id)]).toEqual([false, true]);
    expect(p.heldFrom(carol.addr)).toBe(1);
  });
});
