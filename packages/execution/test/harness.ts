// Test harness: a real final state on LMDB in a temp dir, real draws (pos-draws' algorithm, in-process),
// real signed operations. Small chain: 2 threads, 4 periods per cycle, 16 endorsements (Massa's 51 parts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecBlock, Execution, type ExecutionConfig } from "@massa-ts/execution";
import { FinalState } from "@massa-ts/final-state";
import { LedgerChanges } from "@massa-ts/ledger";
import {
  Address,
  Amount,
  BlockId,
  blake3,
  type OperationPayload,
  SecretKey,
  type SelectionView,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { CycleDraws, initialSeeds } from "@massa-ts/pos-draws";

export const T = 2;
export const PPC = 4;
export const CHAIN = 77n;
export const mas = (s: string) => Amount.fromMas(s);
const te = new TextEncoder();

const dirs: string[] = [];
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

let keyCounter = 0;
/** A deterministic key (so draws, and the tests, do not depend on luck) whose address is in `thread`. */
export function keyIn(thread: number): { sk: SecretKey; addr: Address } {
  for (;;) {
    const sk = new SecretKey(blake3(te.encode(`execution-test-key-${keyCounter++}`)));
    const addr = Address.fromPublicKey(sk.publicKey);
    if (addr.thread(T) === thread) return { sk, addr };
  }
}

/** Restarts key numbering (each test file gets the same keys whatever ran before). */
export function resetKeys(): void {
  keyCounter = 0;
}

/** Draws of every cycle from the initial rolls and the initial seeds (the draw source is not under test). */
export class TestDraws implements SelectionView {
  private readonly cache = new Map<number, CycleDraws>();
  constructor(
    private readonly rolls: readonly (readonly [Address, bigint])[],
    private readonly genesis: Address,
  ) {}
  getSelection(slot: Slot) {
    const cycle = Math.floor(slot.period / PPC);
    let d = this.cache.get(cycle);
    if (!d) {
      d = CycleDraws.draw(
        cycle,
        { periodsPerCycle: PPC, threadCount: T, endorsementCount: 16 },
        this.rolls,
        initialSeeds()[cycle % 2]!,
        this.genesis,
      );
      this.cache.set(cycle, d);
    }
    return d.selection(slot.period, slot.thread);
  }
}

export interface Chain {
  fs: FinalState;
  ex: Execution;
  draws: TestDraws;
  path: string;
  /** Blocks executed through {@link exec} / {@link runTo}, by slot ("period,thread"). */
  blocks: Map<string, ExecBlock>;
}

const slotKey = (s: Slot) => `${s.period},${s.thread}`;

/** Executes the next slot with `b` (or a miss) and records the block. */
export function exec(c: Chain, slot: Slot, b: ExecBlock | null): void {
  if (b) c.blocks.set(slotKey(slot), b);
  else c.blocks.delete(slotKey(slot));
  c.ex.executeSlot(slot, b);
}

/** Executes every slot from the next one up to `to`: misses, except the blocks given by slot. */
export function runTo(c: Chain, to: Slot, blocks: readonly ExecBlock[] = []): void {
  let s = c.ex.lastExecutedSlot.next(T);
  while (Slot.compare(s, to) <= 0) {
    exec(c, s, blocks.find((b) => b.slot.equals(s)) ?? null);
    s = s.next(T);
  }
}

/** Settles every slot up to `upTo` with the blocks recorded for them. */
export function finalize(c: Chain, upTo: Slot): void {
  c.ex.onSlotsFinal(upTo, (s) => c.blocks.get(slotKey(s)) ?? null);
}

export async function chain(
  balances: readonly (readonly [Address, string])[],
  rolls: readonly (readonly [Address, bigint])[],
  path?: string,
  execConfig: Partial<ExecutionConfig> = {},
): Promise<Chain> {
  let p = path;
  if (!p) {
    const d = mkdtempSync(join(tmpdir(), "massa-ts-exec-"));
    dirs.push(d);
    p = join(d, "state");
  }
  const fs = await FinalState.open({ path: p, chainId: CHAIN, threadCount: T, periodsPerCycle: PPC });
  const l = new LedgerChanges();
  for (const [a, b] of balances) {
    l.createAddress(a);
    l.setBalance(a, mas(b));
  }
  fs.initGenesis(l, rolls);
  const draws = new TestDraws(rolls, keyIn(0).addr);
  const ex = new Execution(fs, draws, { threadCount: T, periodsPerCycle: PPC, ...execConfig });
  return { fs, ex, draws, path: p, blocks: new Map() };
}

export function op(sk: SecretKey, payload: OperationPayload, fee = "0", expirePeriod = 5): SignedOperation {
  return SignedOperation.sign({ fee: mas(fee), expirePeriod, payload }, sk, CHAIN);
}

let blockCounter = 0;
/** A block at `slot` by `creator` (execution does not check signatures: protocol and consensus do). */
export function block(
  slot: Slot,
  creator: Address,
  operations: SignedOperation[] = [],
  opts: { endorsers?: Address[]; parentCreator?: Address; label?: string } = {},
): ExecBlock {
  return {
    id: new BlockId(blake3(te.encode(opts.label ?? `block-${blockCounter++}`))),
    slot,
    creator,
    operations,
    endorsements: (opts.endorsers ?? []).map((creator, index) => ({ index, creator })),
    parentCreator: opts.parentCreator ?? creator,
  };
}

export { Slot };
