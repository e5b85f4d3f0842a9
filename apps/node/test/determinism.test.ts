// Seeded property test of consensus determinism at library level: a producer runtime builds a block history
// (forks, operations reused from same-thread ancestors 2-9 periods back); two more runtimes of the same real
// components (FinalState on LMDB, Selector, Execution, BlockGraph, wired like MassaNode) get every block in
// their own seeded order, delays and tick/settle cadence. Every block must get the same verdict everywhere
// (a block stale on arrival because its thread is already final past it counts as any discard), every final
// slot the same state hash. It caught the reuse check that stopped at the first final ancestor (fixed in
// a51eee7). DETERMINISM_SEEDS = a count (seeds 1..n) or a comma list; DETERMINISM_CYCLES = cycles of history.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlockGraph, type BlockStatus, type ConsensusBlock } from "@massa-ts/consensus";
import { type ExecBlock, Execution } from "@massa-ts/execution";
import { FinalState, loadInitialLedger, loadInitialRolls } from "@massa-ts/final-state";
import {
  Address,
  Amount,
  type BlockId,
  blake3,
  genesisHeader,
  operationMerkleRoot,
  SecretKey,
  SignedBlockHeader,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { Selector } from "@massa-ts/pos-draws";
import { afterAll, describe, expect, it } from "vitest";

// 4 threads, 8 periods per cycle, final after > 3 blocks of descendants, operations valid 10 periods
const [T, PPC, DELTA_F0, VALIDITY, CHAIN] = [4, 8, 3, 10, 77n] as const;
const CYCLES = Number(process.env.DETERMINISM_CYCLES ?? 4);
const MAX_LATE = 2 * T; // slots a block may arrive after its own slot
const LAST = CYCLES * PPC * T - 1; // index of the last slot produced
const END = LAST + MAX_LATE + 2 * T; // every runtime's clock runs to this slot index
const seedsEnv = process.env.DETERMINISM_SEEDS ?? "20";
const SEEDS = seedsEnv.includes(",")
  ? seedsEnv.split(",").map(Number)
  : Array.from({ length: Number(seedsEnv) }, (_, i) => i + 1);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** mulberry32 */
class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int = (n: number): number => Math.floor(this.next() * n);
  chance = (p: number): boolean => this.next() < p;
  pick = <X>(xs: readonly X[]): X => xs[this.int(xs.length)]!;
  shuffle<X>(xs: X[]): X[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

type Key = { sk: SecretKey; addr: Address };
const te = new TextEncoder();
const keyOf = (label: string): Key => {
  const sk = new SecretKey(blake3(te.encode(label)));
  return { sk, addr: Address.fromPublicKey(sk.publicKey) };
};

/** Keys (derived from the seed), funded accounts by thread and the genesis files of one case. */
type World = ReturnType<typeof makeWorld>;
function makeWorld(seed: number, dir: string, rng: Rng) {
  const genesis = keyOf(`det-${seed}-genesis`).sk;
  const stakers = Array.from({ length: 4 }, (_, i) => keyOf(`det-${seed}-staker-${i}`));
  const accounts: Key[][] = Array.from({ length: T }, () => []);
  for (let i = 0; accounts.some((a) => a.length < 2); i++) {
    const k = keyOf(`det-${seed}-account-${i}`);
    const t = k.addr.thread(T);
    if (accounts[t]!.length < 2) accounts[t]!.push(k);
  }
  const ledger: Record<string, { balance: string }> = {};
  for (const k of [...stakers, ...accounts.flat()]) ledger[k.addr.toString()] = { balance: "1000" };
  const rolls = Object.fromEntries(stakers.map((k) => [k.addr.toString(), 5 + rng.int(10)]));
  const ledgerFile = join(dir, "initial_ledger.json");
  const rollsFile = join(dir, "initial_rolls.json");
  writeFileSync(ledgerFile, JSON.stringify(ledger));
  writeFileSync(rollsFile, JSON.stringify(rolls));
  const byAddress = new Map(stakers.map((k) => [k.addr.key, k.sk]));
  return { genesis, stakers: byAddress, accounts, ledgerFile, rollsFile };
}

/** One node's components, wired like MassaNode.start / applyConsensus / toExec. */
class Runtime {
  readonly hashes = new Map<string, string>(); // final slot → state hash
  private readonly execBlocks = new Map<string, ExecBlock>();
  private readonly draws: Promise<void>[] = [];
  private constructor(
    readonly name: string,
    readonly fs: FinalState,
    readonly selector: Selector,
    readonly execution: Execution,
    readonly graph: BlockGraph,
    private readonly genesisAddress: Address,
  ) {}

  static async open(name: string, path: string, w: World): Promise<Runtime> {
    const fs = await FinalState.open({ path, chainId: CHAIN, threadCount: T, periodsPerCycle: PPC });
    const initialRolls = loadInitialRolls(w.rollsFile);
    fs.initGenesis(loadInitialLedger(w.ledgerFile), initialRolls);
    const genesisAddress = Address.fromPublicKey(w.genesis.publicKey);
    const selector = new Selector({
      config: { periodsPerCycle: PPC, threadCount: T, endorsementCount: 0 },
      genesisAddress,
      cacheSize: 8,
    });
    selector.feedInitialCycles(initialRolls);
    await Promise.all([0, 1].map((d) => selector.waitForDraws(d)));
    const [blockReward, rollPrice] = [Amount.fromMas("0.3"), Amount.fromMas("100")];
    const cfg = { threadCount: T, periodsPerCycle: PPC, endorsementCount: 0, blockReward, rollPrice };
    const execution = new Execution(fs, selector, { ...cfg, operationValidityPeriods: VALIDITY });
    const genesis = Array.from({ length: T }, (_, t) => genesisHeader(t, w.genesis));
    const graph = new BlockGraph(
      { threadCount: T, endorsementCount: 0, deltaF0: DELTA_F0, operationValidityPeriods: VALIDITY },
      genesis,
      selector,
      (id) => fs.isExecuted(id),
    );
    const rt = new Runtime(name, fs, selector, execution, graph, genesisAddress);
    fs.onCycleCompleted((info) => {
      const d = selector.feedCompletedCycle(info, fs.cycleInfo(info.cycle - 1));
      rt.draws.push(selector.waitForDraws(d)); // awaited in settle: no race with the draw worker
    });
    return rt;
  }

  private toExec(b: ConsensusBlock): ExecBlock {
    const { id, content: h, creatorAddress: creator } = b.header;
    let e = this.execBlocks.get(id.key);
    if (!e) {
      const parentCreator = this.graph.creatorOf(h.parents[h.slot.thread]!) ?? this.genesisAddress;
      e = { id, slot: h.slot, creator, operations: b.operations, endorsements: [], parentCreator };
      this.execBlocks.set(id.key, e);
    }
    return e;
  }

  /** MassaNode.applyConsensus, then waits for the draws of the cycles it completed. */
  async settle(now: Slot): Promise<void> {
    const at = (s: Slot) => {
      const b = this.graph.blockAt(s);
      return b ? this.toExec(b) : null;
    };
    const f = this.execution.finalSlot;
    const complete = f.thread === T - 1 && (f.period + 1) % PPC === 0;
    const drawn = (complete ? Math.floor(f.period / PPC) : Math.floor(f.period / PPC) - 1) + 2;
    const lastDrawn = new Slot((drawn + 1) * PPC - 1, T - 1);
    this.execution.onBlockcliqueChanged(at, Slot.compare(now, lastDrawn) < 0 ? now : lastDrawn);
    const bound = this.graph.finalSlotBound(this.execution.finalSlot);
    while (Slot.compare(bound, this.execution.finalSlot) > 0) {
      const s = this.execution.finalSlot.next(T);
      this.execution.onSlotsFinal(s, at);
      this.hashes.set(s.toString(), this.fs.stateHash.toString());
    }
    await Promise.all(this.draws.splice(0));
  }

  async close(): Promise<void> {
    await this.selector.close();
    await this.fs.close();
  }
}

const verdict = (s: BlockStatus | undefined): string =>
  !s ? "unknown" : s.kind === "active" ? (s.final ? "active-final" : "active") : s.kind;
const why = (s: BlockStatus | undefined): string =>
  s && "reason" in s ? ` (${s.reason.slice(0, 100)})` : "";
/** Stale on arrival (its thread already final past its slot): legitimately never judged, like a discard. */
const TOO_LATE = /is not after the latest final block of its thread|already settled in the final state/;
function agree(st: readonly (BlockStatus | undefined)[]): boolean {
  const kinds = st.map(verdict);
  if (st.some((s) => s?.kind === "stale" && TOO_LATE.test(s.reason)))
    return kinds.every((k) => k === "invalid" || k === "stale");
  return new Set(kinds).size === 1;
}

interface Generated {
  block: ConsensusBlock;
  index: number; // slot index
  note: string;
}

/** Operations of the same-thread ancestors of `parent` between 2 and 9 periods before `period`. */
function ancestorOps(g: BlockGraph, parent: BlockId, thread: number, period: number): SignedOperation[] {
  const out: SignedOperation[] = [];
  for (let b = g.get(parent); b; b = g.get(b.header.content.parents[thread]!)) {
    const p = b.header.content.slot.period;
    if (p < period - 9) break;
    if (p <= period - 2) out.push(...b.operations);
  }
  return out;
}

/** The producer runtime makes the history: drawn producer's key, best (or older) parents, seeded ops. */
async function produce(p: Runtime, w: World, rng: Rng, end: number): Promise<Generated[]> {
  const out: Generated[] = [];
  const recentParents: BlockId[][] = [];
  let opCounter = 0;
  const freshOp = (s: Slot): SignedOperation => {
    const from = rng.pick(w.accounts[s.thread]!);
    const to = rng.pick(w.accounts.flat());
    const expirePeriod = s.period + (rng.chance(0.8) ? VALIDITY : rng.int(VALIDITY + 1));
    const [amount, fee] = [Amount.fromNano(1_000_000 + ++opCounter), Amount.fromNano(1000 + rng.int(1000))];
    const payload = { type: "Transaction", recipient: to.addr, amount } as const;
    return SignedOperation.sign({ fee, expirePeriod, payload }, from.sk, CHAIN);
  };
  const make = (s: Slot, key: SecretKey, parents: BlockId[], note: string): void => {
    const ops = Array.from({ length: rng.int(3) }, () => freshOp(s));
    const reusable = ancestorOps(p.graph, parents[s.thread]!, s.thread, s.period);
    if (reusable.length > 0 && rng.chance(0.4)) {
      const op = rng.pick(reusable);
      ops.splice(rng.int(ops.length + 1), 0, op);
      note += ` reuses ${op.id}`;
    }
    const root = operationMerkleRoot(ops.map((o) => o.id));
    const content = { currentVersion: 0, announcedVersion: undefined, slot: s, parents };
    const header = SignedBlockHeader.sign(
      { ...content, operationMerkleRoot: root, endorsements: [], denunciations: [] },
      key,
    );
    const block = { header, operations: ops };
    p.graph.addBlock(block, s);
    out.push({ block, index: s.index(T), note });
  };
  let drawn = true;
  for (let i = T; i <= end; i++) {
    const s = Slot.fromIndex(i, T);
    p.graph.tick(s);
    let producer: Address | undefined;
    try {
      producer = drawn && i <= LAST ? p.selector.getSelection(s).producer : undefined;
    } catch {
      drawn = false; // draws not known: finality lagged two cycles behind (a history too sparse)
    }
    const key = producer && w.stakers.get(producer.key);
    if (key && rng.chance(0.85)) {
      const best = p.graph.bestParents();
      make(s, key, best, "best parents");
      if (rng.chance(0.15)) make(s, key, best, "competitor, same parents");
      else if (recentParents.length > 2 && rng.chance(0.1))
        make(s, key, rng.pick(recentParents.slice(0, -1)), "competitor, older parents");
    }
    recentParents.push(p.graph.bestParents());
    if (recentParents.length > 2 * T) recentParents.shift();
    await p.settle(s);
  }
  return out;
}

/**
 * Delivers every block to `r` in its own seeded order, some late (children may come before parents); `r`
 * ticks and settles every `k` slots (its clock lags: blocks wait for their slot), and after each delivery
 * when `eager`.
 */
async function replay(r: Runtime, gen: Generated[], rng: Rng, eager: boolean, k: number, end: number) {
  const arrivals = new Map<number, Generated[]>();
  for (const g of gen) {
    const at = g.index + (rng.chance(0.25) ? 1 + rng.int(MAX_LATE) : 0);
    arrivals.set(at, [...(arrivals.get(at) ?? []), g]);
  }
  let now = Slot.fromIndex(T, T);
  for (let i = T; i <= end; i++) {
    if (i % k === 0) {
      now = Slot.fromIndex(i, T);
      r.graph.tick(now);
      await r.settle(now);
    }
    for (const g of rng.shuffle(arrivals.get(i) ?? [])) {
      r.graph.addBlock(g.block, now);
      if (eager) await r.settle(now);
    }
  }
  for (let i = 0; i < 3; i++) {
    r.graph.tick(Slot.fromIndex(end, T));
    await r.settle(Slot.fromIndex(end, T));
  }
}

describe("consensus determinism (seeded)", () => {
  console.log(`determinism seeds: ${SEEDS.join(",")} (${CYCLES} cycles each)`);
  it.each(SEEDS)(
    "seed %i: same verdicts and final state hashes whatever the delivery timing",
    async (seed) => {
      const dir = mkdtempSync(join(tmpdir(), "massa-ts-determinism-"));
      dirs.push(dir);
      const rng = new Rng(seed);
      const w = makeWorld(seed, dir, rng);
      const rts = await Promise.all(
        ["producer", "eager", "lazy"].map((n) => Runtime.open(n, join(dir, n), w)),
      );
      try {
        const [p, eager, lazy] = rts as [Runtime, Runtime, Runtime];
        const gen = await produce(p, w, rng, END);
        const k = 2 + rng.int(5);
        await replay(eager, gen, new Rng(seed * 7919 + 1), true, 1, END);
        await replay(lazy, gen, new Rng(seed * 7919 + 2), false, k, END);
        const reuses = gen.filter((g) => g.note.includes("reuses")).length;
        const finals = rts.map((r) => `${r.name}:${r.execution.finalSlot}`);
        console.log(
          `seed ${seed}: ${gen.length} blocks, ${reuses} reusing an op, lazy every ${k}; ${finals}`,
        );

        // 1. same verdict for every block
        const diffs: string[] = [];
        for (const g of gen) {
          const st = rts.map((r) => r.graph.status(g.block.header.id));
          const where = `block ${g.block.header.id} at ${g.block.header.content.slot} [${g.note}]`;
          if (!agree(st))
            diffs.push(
              `${where}: ${rts.map((r, i) => `${r.name}=${verdict(st[i])}${why(st[i])}`).join(", ")}`,
            );
        }
        expect.soft(diffs, `seed ${seed}: blocks with different verdicts`).toEqual([]);

        // 2. same state hash at every final slot settled by two runtimes
        const hashDiffs: string[] = [];
        for (const r of rts) {
          expect.soft(r.hashes.size, `seed ${seed}: ${r.name} settled slots`).toBeGreaterThan(20);
          for (const [s, h] of r.hashes) {
            const o = p.hashes.get(s);
            if (o !== undefined && o !== h)
              hashDiffs.push(`slot ${s}: producer ${o.slice(0, 12)}… ${r.name} ${h.slice(0, 12)}…`);
          }
        }
        expect
          .soft(hashDiffs.slice(0, 3), `seed ${seed}: final state hashes differ (${hashDiffs.length} slots)`)
          .toEqual([]);

        // 3. same final slot
        expect
          .soft(finals, `seed ${seed}: final slots`)
          .toEqual(rts.map((r) => `${r.name}:${p.execution.finalSlot}`));
      } finally {
        for (const r of rts) await r.close();
      }
    },
  );
});
