// The pool's incremental refresh (issue 16): after every slot the node prunes only the senders that may
// come out differently. This test drives two pools with the same operations, balances and execution
// statuses over a random history and checks the incremental prune leaves exactly what walking every sender
// leaves (the rule, worked by hand in pool.test.ts, is the reference). Seeded: the seed is printed, and
// SEED=N replays a run.
import { Address, Amount, blake3, type OperationId, SecretKey, SignedOperation } from "@massa-ts/models";
import { seededRandom } from "@massa-ts/models/testing";
import { describe, expect, it } from "vitest";
import { type HeldStatus, OperationPool, type PoolOptions } from "../src/node/pool.ts";

const CHAIN = 77n;
const T = 2;
const te = new TextEncoder();

describe("pool refresh", () => {
  it("pruning only the senders that changed leaves what pruning every sender leaves", () => {
    const rand = seededRandom("pool refresh");
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;

    const senders = Array.from({ length: 8 }, (_, i) => new SecretKey(blake3(te.encode(`refresh-${i}`))));
    const addresses = senders.map((k) => Address.fromPublicKey(k.publicKey));
    const balances = new Map<string, Amount | undefined | null>();
    for (const a of addresses) balances.set(a.key, Amount.fromMas(String(1 + Math.floor(rand() * 30))));
    const statuses = new Map<string, HeldStatus>();
    const status = (op: SignedOperation): HeldStatus => statuses.get(op.id.key) ?? false;
    const opts: PoolOptions = {
      chainId: CHAIN,
      threadCount: T,
      minimalFee: Amount.ZERO,
      maxOperations: 60,
      maxBytes: 10_000_000,
      maxOperationSize: 300_000,
      operationValidityPeriods: 10,
      maxPerSender: 12,
      funds: { balance: (a: Address) => balances.get(a.key), rollPrice: Amount.fromMas("100") },
    };
    const full = new OperationPool(opts);
    const incremental = new OperationPool(opts);
    const held: SignedOperation[] = [];
    let changed = new Set<string>();
    const setStatus = (id: OperationId, s: HeldStatus) => {
      statuses.set(id.key, s);
      changed.add(id.key);
    };
    const add = (op: SignedOperation, period: number): string => {
      const outcome = (p: OperationPool) => {
        try {
          p.add(op, period, true);
          return "taken";
        } catch (e) {
          return (e as Error).message;
        }
      };
      const a = outcome(full);
      expect(outcome(incremental)).toBe(a);
      return a;
    };
    const fees = ["0", "0.1", "0.5", "1"];
    let period = 1;
    let compared = 0;
    for (let step = 0; step < 400; step++) {
      // new operations from random senders (the same ones to both pools, with the same outcome)
      for (let i = 0, n = Math.floor(rand() * 6); i < n; i++) {
        const k = Math.floor(rand() * senders.length);
        const op = SignedOperation.sign(
          {
            fee: Amount.fromMas(pick(fees)),
            expirePeriod: period + Math.floor(rand() * 11),
            payload: {
              type: "Transaction",
              recipient: pick(addresses),
              amount: Amount.fromMas(String(Math.floor(rand() * 8))),
            },
          },
          senders[k]!,
          CHAIN,
        );
        if (add(op, period) === "taken") held.push(op);
      }
      // a client sends again an operation the pool no longer holds (executed, or dropped)
      if (rand() < 0.3 && held.length > 0) {
        const again = pick(held);
        if (!full.has(again.id)) add(again, period);
      }
      // execution moves on: statuses change (candidate, final, back to none after a reorg), balances move
      for (let i = 0, n = Math.floor(rand() * 4); i < n && held.length > 0; i++) {
        const op = pick(held);
        const cur = statuses.get(op.id.key) ?? false;
        setStatus(
          op.id,
          cur === false
            ? rand() < 0.8
              ? "candidate"
              : true
            : cur === "candidate"
              ? rand() < 0.7 // the candidate becomes final (true) or its block is dropped (false)
              : true,
        );
      }
      for (let i = 0, n = Math.floor(rand() * 3); i < n; i++) {
        const a = pick(addresses);
        const r = rand();
        balances.set(
          a.key,
          r < 0.1 ? null : r < 0.15 ? undefined : Amount.fromMas(String(Math.floor(rand() * 40))),
        );
      }
      // now and then a block of many: every held operation executed in a final slot at once
      if (step % 50 === 49) for (const op of held) if (full.has(op.id)) setStatus(op.id, true);
      if (rand() < 0.1) period++;
      full.prune(period, status);
      incremental.prune(period, status, changed);
      changed = new Set();
      // the same operations held, the same budget per sender (probed with one more operation each)
      const ids = (p: OperationPool) => held.filter((o) => p.has(o.id)).map((o) => o.id.key);
      expect(ids(incremental)).toEqual(ids(full));
      expect([incremental.size, incremental.bytes]).toEqual([full.size, full.bytes]);
      // what a block of each thread selects: held operations of that thread valid at `period`, by fee (highest
      // first) then id, at most 5
      for (let t = 0; t < T; t++) {
        const expected = held
          .filter((o, i) => held.findIndex((x) => x.id.key === o.id.key) === i && full.has(o.id))
          .filter((o) => o.senderThread(T) === t && o.content.expirePeriod >= period)
          .filter((o) => period >= o.content.expirePeriod - 10)
          .sort((a, b) => b.content.fee.compare(a.content.fee) || (a.id.key < b.id.key ? -1 : 1))
          .slice(0, 5)
          .map((o) => o.id.key);
        const chosen = (p: OperationPool) =>
          p.select(period, t, 5, 1_000_000, () => false).map((o) => o.id.key);
        expect(chosen(full)).toEqual(expected);
        expect(chosen(incremental)).toEqual(expected);
      }
      if (step % 10 === 0) {
        for (const k of senders) {
          const probe = SignedOperation.sign(
            {
              fee: Amount.fromMas("0.3"),
              expirePeriod: period + 5,
              payload: { type: "Transaction", recipient: addresses[0]!, amount: Amount.fromMas("2") },
            },
            k,
            CHAIN,
          );
          if (add(probe, period) === "taken") held.push(probe);
        }
      }
      compared += full.size;
    }
    // the history exercised the rule: operations were held, and some left unpaid or executed
    expect(compared).toBeGreaterThan(1000);
  });
});
