import { toHex } from "@massa-ts/models";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  block,
  type Chain,
  chain,
  cleanup,
  finalize,
  keyIn,
  mas,
  op,
  resetKeys,
  runTo,
  Slot,
  T,
} from "./harness.ts";

afterAll(cleanup);
beforeEach(resetKeys);

describe("active history", () => {
  it("a reorg that drops a block re-executes from that slot, and no further back, to different balances", async () => {
    const a = keyIn(1);
    const b = keyIn(0);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "100"],
        [b.addr, "0"],
        [p.addr, "0"],
      ],
      [[p.addr, 1n]],
    );
    const b1 = block(new Slot(1, 1), p.addr, [
      op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("10") }),
    ]);
    const b2 = block(new Slot(2, 1), p.addr, [
      op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("1") }),
    ]);
    runTo(c, new Slot(3, 0), [b1, b2]);
    expect(c.ex.balance(b.addr, "candidate")?.toString()).toBe("11");
    const kept = c.ex.activeHistory[0]; // slot (1, 0), before the change
    // the new blockclique has no block at (1, 1): that slot and every later one run again
    const clique = new Map([[`2,1`, b2]]);
    const from = c.ex.onBlockcliqueChanged(
      (s) => clique.get(`${s.period},${s.thread}`) ?? null,
      new Slot(3, 0),
    );
    expect(from?.toString()).toBe(new Slot(1, 1).toString());
    expect(c.ex.activeHistory[0]).toBe(kept);
    expect(c.ex.activeHistory.map((h) => h.slot.toString())).toEqual(
      [new Slot(1, 0), new Slot(1, 1), new Slot(2, 0), new Slot(2, 1), new Slot(3, 0)].map(String),
    );
    expect(c.ex.activeHistory[1]!.blockId).toBeUndefined();
    expect(c.ex.balance(b.addr, "candidate")?.toString()).toBe("1");
    expect(c.ex.balance(a.addr, "candidate")?.toString()).toBe("99");
    // the dropped block's producer earned nothing for (1, 1): one block reward only (for b2)
    expect(c.ex.balance(p.addr, "candidate")?.toString()).toBe("0.023530016");
    // an unchanged blockclique re-executes nothing
    expect(
      c.ex.onBlockcliqueChanged((s) => clique.get(`${s.period},${s.thread}`) ?? null, new Slot(3, 0)),
    ).toBe(undefined);
  });

  it("execution refuses slots out of order and blocks at another slot", async () => {
    const p = keyIn(0);
    const c = await chain([[p.addr, "1"]], [[p.addr, 1n]]);
    expect(() => c.ex.executeSlot(new Slot(1, 1), null)).toThrow(
      /next slot to execute is \(1, 0\)|next slot/,
    );
    expect(() => c.ex.executeSlot(new Slot(1, 0), block(new Slot(2, 0), p.addr))).toThrow(/BLOCK|not at/);
  });
});

describe("events", () => {
  it("are kept for active slots and a bounded number of final ones; filtered as Massa's (caller first, emitter last, end exclusive)", async () => {
    const a = keyIn(1);
    const b = keyIn(0);
    const p = keyIn(0);
    const c = await chain(
      [
        [a.addr, "100"],
        [p.addr, "0"],
      ],
      [[p.addr, 1n]],
      undefined,
      { maxFinalEvents: 3 },
    );
    // a holds 100 MAS: each transfer of 1 001+ fails (its error event), a fifth of 1 succeeds (no event)
    const ops = [1, 2, 3, 4].map((k) =>
      op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas(`${1000 + k}`) }),
    );
    const ok = op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas("1") });
    runTo(c, new Slot(3, 1), [
      block(new Slot(1, 1), p.addr, ops.slice(0, 2)),
      block(new Slot(2, 1), p.addr, [...ops.slice(2), ok]),
    ]);
    expect(c.ex.events({ operationId: ok.id })).toHaveLength(0);
    expect(c.ex.operationStatus(ok.id)).toMatchObject({ success: true, final: false });
    expect(c.ex.events({ originalCaller: a.addr })).toHaveLength(4);
    // a transfer's call stack is its sender only: the sender is the emitter too, the recipient nothing
    expect(c.ex.events({ emitter: a.addr })).toHaveLength(4);
    expect(c.ex.events({ originalCaller: b.addr })).toHaveLength(0);
    expect(c.ex.events({ emitter: b.addr })).toHaveLength(0);
    expect(c.ex.events({ operationId: ops[2]!.id }).map((e) => e.slot.toString())).toEqual([
      new Slot(2, 1).toString(),
    ]);
    // the end slot is excluded
    expect(c.ex.events({ fromSlot: new Slot(1, 1), endSlot: new Slot(2, 1) })).toHaveLength(2);
    expect(c.ex.events({ fromSlot: new Slot(1, 1), endSlot: new Slot(2, 2) })).toHaveLength(4);
    expect(c.ex.events({ fromSlot: new Slot(1, 2), endSlot: new Slot(2, 2) })).toHaveLength(2);
    finalize(c, new Slot(3, 1));
    // 4 operation events became final; only the newest 3 are kept
    const kept = c.ex.events({ originalCaller: a.addr });
    expect(kept).toHaveLength(3);
    expect(kept.every((e) => e.isFinal && e.isError)).toBe(true);
    expect(c.ex.events({ operationId: ops[0]!.id })).toHaveLength(0);
    expect(c.ex.operationStatus(ops[0]!.id)).toMatchObject({ success: false, final: true });
  });
});

describe("determinism", () => {
  /** A scripted chain: transfers and roll operations in many slots, blocks by the drawn producers. */
  function script(c: Chain, keys: ReturnType<typeof keyIn>[], variant: string) {
    const [a, b, x] = keys as [ReturnType<typeof keyIn>, ReturnType<typeof keyIn>, ReturnType<typeof keyIn>];
    const out = [];
    for (let k = 2; k < 2 * 12; k++) {
      const s = Slot.fromIndex(k, T);
      const producer = c.draws.getSelection(s).producer;
      if (k % 5 === 3) continue; // missed
      const ops = [];
      if (s.thread === 1) {
        ops.push(
          op(a.sk, { type: "Transaction", recipient: b.addr, amount: mas(`${k}`) }, "0.01", s.period + 3),
        );
      } else {
        if (k % 4 === 0) ops.push(op(b.sk, { type: "RollBuy", rollCount: 1n }, "0", s.period + 3));
        if (k === 14) ops.push(op(b.sk, { type: "RollSell", rollCount: 1n }, "0", s.period + 3));
        ops.push(
          op(x.sk, { type: "Transaction", recipient: a.addr, amount: mas("0.5") }, "0.02", s.period + 3),
        );
      }
      out.push(
        block(s, producer, ops, { label: `${variant}-${k}`, endorsers: [b.addr], parentCreator: producer }),
      );
    }
    return out;
  }

  it("the same blocks executed twice, and through different reorg histories, give the same final state hash", async () => {
    const keys = [keyIn(1), keyIn(0), keyIn(0)];
    const [a, b, x] = keys as [ReturnType<typeof keyIn>, ReturnType<typeof keyIn>, ReturnType<typeof keyIn>];
    const genesis = [
      [a.addr, "1000"],
      [b.addr, "1000"],
      [x.addr, "1000"],
    ] as const;
    const rolls = [
      [a.addr, 3n],
      [b.addr, 2n],
    ] as const;
    const end = Slot.fromIndex(2 * 12 - 1, T);

    // 1. straight: execute the blocks, then finalize everything
    const c1 = await chain(genesis, rolls);
    const real = script(c1, keys, "real");
    runTo(c1, end, real);
    finalize(c1, end);

    // 2. same blocks again on a fresh store
    const c2 = await chain(genesis, rolls);
    runTo(c2, end, script(c2, keys, "real"));
    finalize(c2, end);

    // 3. first a competing blockclique, then a switch to the real one, final in two steps
    const c3 = await chain(genesis, rolls);
    runTo(c3, end, script(c3, keys, "fork"));
    const realBySlot = new Map(real.map((r) => [r.slot.toString(), r]));
    const at = (s: Slot) => realBySlot.get(s.toString()) ?? null;
    expect(c3.ex.onBlockcliqueChanged(at, end)?.toString()).toBe(new Slot(1, 0).toString());
    c3.ex.onSlotsFinal(Slot.fromIndex(11, T), at);
    c3.ex.onSlotsFinal(end, at);

    // 4. finality arriving while the history holds another fork (history dropped, final slots re-run)
    const c4 = await chain(genesis, rolls);
    runTo(c4, end, script(c4, keys, "fork2"));
    c4.ex.onSlotsFinal(end, at);

    const h = (c: Chain) => toHex(c.fs.stateHash.bytes);
    expect(h(c2)).toBe(h(c1));
    expect(h(c3)).toBe(h(c1));
    expect(h(c4)).toBe(h(c1));
    expect(toHex(c1.fs.recomputeHash().bytes)).toBe(h(c1));
    // the scripted operations really moved coins and rolls
    expect(c1.ex.balance(a.addr, "final")!.nano).not.toBe(mas("1000").nano);
    expect(c1.ex.balance(b.addr, "final")!.nano).not.toBe(mas("1000").nano);
    expect([c1.ex.rolls(a.addr, "final"), c1.ex.rolls(b.addr, "final")]).not.toEqual([3n, 2n]);
    expect(c1.ex.activeHistory).toHaveLength(0);
    // every scripted block but the missed ones carries one transfer: 22 slots, 5 of them missed (k % 5 = 3)
    const receipts = Array.from({ length: 2 * 12 }, (_, k) => c1.ex.transfersAt(Slot.fromIndex(k, T))!);
    expect(receipts.reduce((n, r) => n + r.transfers.filter((t) => t.succeed).length, 0)).toBe(22 - 5);
    for (const c of [c1, c2, c3, c4]) await c.fs.close();
  });
});
