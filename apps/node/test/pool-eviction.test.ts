// A full pool admits an operation only in place of cheaper ones: it evicts the cheapest held, whatever its
// sender's thread, in pool order (fee, highest first, then operation id), as many as the newcomer needs
// room for (count and bytes), or refuses it and changes nothing. The reference here is that rule applied to
// a plain list sorted by it, not the pool's per-thread lists. Seeded: the seed is printed, and
// SEED=N replays a run.
import { Address, Amount, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { seededRandom } from "@massa-ts/models/testing";
import { describe, expect, it } from "vitest";
import { OperationPool } from "../src/node/pool.ts";
import { poolRule } from "./pool-rule.ts";

const CHAIN = 77n;
const T = 4;
const te = new TextEncoder();

describe("pool eviction", () => {
  it("evicts the cheapest held operations across every thread, exactly as the rule on one sorted list", () => {
    const rand = seededRandom("pool eviction");
    // senders in every thread; two payloads of different sizes, so a newcomer may need several to leave
    const keys = Array.from({ length: 24 }, (_, i) => new SecretKey(blake3(te.encode(`evict-${i}`))));
    const threads = new Set(keys.map((k) => Address.fromPublicKey(k.publicKey).thread(T)));
    expect(threads.size).toBe(T);
    const MAX_OPS = 40;
    const small = SignedOperation.sign(
      { fee: Amount.ZERO, expirePeriod: 20, payload: { type: "RollBuy", rollCount: 1n } },
      keys[0]!,
      CHAIN,
    ).serializedSize;
    const MAX_BYTES = small * 50; // bytes bind before the count does when big operations are many
    const pool = new OperationPool({
      chainId: CHAIN,
      threadCount: T,
      minimalFee: Amount.ZERO,
      maxOperations: MAX_OPS,
      maxBytes: MAX_BYTES,
      maxOperationSize: 300_000,
      operationValidityPeriods: 10,
      maxPerSender: 1000,
    });
    let held: SignedOperation[] = [];
    let evictions = 0;
    let multi = 0;
    let refused = 0;
    for (let n = 0; n < 600; n++) {
      const key = keys[Math.floor(rand() * keys.length)]!;
      // few fee levels: ties are ordered by id
      const fee = Amount.fromNano(BigInt(Math.floor(rand() * 8)) * 1000n);
      const op = SignedOperation.sign(
        {
          fee,
          expirePeriod: 20,
          // a big one is more than twice a small one: where small ones are the cheapest, a big one
          // needs at least two of them to leave
          payload:
            rand() < 0.5
              ? { type: "RollBuy", rollCount: BigInt(n + 1) }
              : {
                  type: "ExecuteSC",
                  maxGas: BigInt(n + 1),
                  maxCoins: Amount.ZERO,
                  bytecode: new Uint8Array(small + (n % 7)),
                  datastore: [],
                },
        },
        key,
        CHAIN,
      );
      // the rule on one sorted list
      const sorted = [...held].sort(poolRule);
      let count = sorted.length;
      let bytes = sorted.reduce((s, o) => s + o.serializedSize, 0);
      const leave: SignedOperation[] = [];
      let ok = true;
      while (count >= MAX_OPS || bytes + op.serializedSize > MAX_BYTES) {
        const cheapest = sorted[sorted.length - 1 - leave.length];
        if (!cheapest || cheapest.content.fee.nano >= fee.nano) {
          ok = false;
          break;
        }
        leave.push(cheapest);
        count--;
        bytes -= cheapest.serializedSize;
      }
      let taken = true;
      try {
        pool.add(op, 10, true);
      } catch (e) {
        expect((e as Error).message).toMatch(/pool is full/);
        taken = false;
      }
      expect(taken, `operation ${n}`).toBe(ok);
      if (ok) {
        held = [...held.filter((o) => !leave.includes(o)), op];
        evictions += leave.length;
        if (leave.length > 1) multi++;
      } else refused++;
      expect(pool.size, `operation ${n}`).toBe(held.length);
      for (const o of held) expect(pool.has(o.id), `operation ${n}`).toBe(true);
    }
    // the run went through every case
    expect(evictions).toBeGreaterThan(20);
    expect(multi).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(10);
    // and each thread's selection is still in pool order
    for (let t = 0; t < T; t++) {
      const sel = pool.select(12, t, 1000, 10_000_000, () => false);
      expect(sel).toEqual(held.filter((o) => o.senderThread(T) === t).sort(poolRule));
    }
  });
});
