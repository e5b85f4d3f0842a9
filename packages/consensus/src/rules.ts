// The block validity rules, one function per stage, and checkBlock running them in order: each stage reads
// the graph through a narrow RuleContext and either passes (kind "pass") or returns its refusal.
import {
  type BlockId,
  type OperationId,
  type Selection,
  type SelectionView,
  type SignedBlockHeader,
  Slot,
} from "@massa-ts/models";
import { ancestryInWindow, descendants, parentChains } from "./ancestry.js";
import {
  type ActiveBlock,
  type ConsensusBlock,
  type ConsensusConfig,
  opIdFromKey,
  type Refusal,
  type Verdict,
} from "./types.js";

/** What the rules read of the graph (they never change it). */
export interface RuleContext {
  readonly config: ConsensusConfig;
  readonly blocks: ReadonlyMap<string, ActiveBlock>;
  readonly discarded: {
    get(key: string): { readonly kind: "invalid" | "stale"; readonly reason: string } | undefined;
  };
  readonly latestFinal: readonly BlockId[];
  readonly floor: Slot | undefined;
  readonly draws: SelectionView;
  readonly isFinalExecuted: (id: OperationId) => boolean;
}

/** A stage the block passed. */
export interface Pass {
  readonly kind: "pass";
}

const PASS: Pass = { kind: "pass" };

/** Stage 1, too old: the thread exists, the slot is after its thread's latest final block and the final floor. */
export function ruleSlotNotSettled(
  ctx: Pick<RuleContext, "config" | "blocks" | "latestFinal" | "floor">,
  slot: Slot,
): Refusal | Pass {
  const T = ctx.config.threadCount;
  if (slot.thread >= T) return { kind: "invalid", reason: `thread ${slot.thread} does not exist` };
  // 1. too old
  const finalInThread = ctx.blocks.get(ctx.latestFinal[slot.thread]!.key)!;
  if (slot.period <= finalInThread.slot.period) {
    return { kind: "stale", reason: `slot ${slot} is not after the latest final block of its thread` };
  }
  if (ctx.floor && Slot.compare(slot, ctx.floor) <= 0) {
    return { kind: "stale", reason: `slot ${slot} is already settled in the final state (${ctx.floor})` };
  }
  return PASS;
}

/** Stage 2, producer: the slot is drawn (else wait for it) and the creator is its drawn producer. */
export function ruleProducer(
  ctx: Pick<RuleContext, "draws">,
  h: SignedBlockHeader,
): Refusal | (Pass & { readonly selection: Selection }) {
  const slot = h.content.slot;
  // 2. producer
  let selection: Selection;
  try {
    selection = ctx.draws.getSelection(slot);
  } catch {
    return { kind: "wait-slot" };
  }
  if (!h.creatorAddress.equals(selection.producer)) {
    return {
      kind: "invalid",
      reason: `bad creator turn: ${h.creatorAddress} is not the producer of ${slot} (${selection.producer})`,
    };
  }
  return { kind: "pass", selection };
}

/** Stage 3, future: the slot has come (`now` undefined before genesis). */
export function ruleNotInFuture(slot: Slot, now: Slot | undefined): Refusal | Pass {
  // 3. future
  if (now === undefined || Slot.compare(slot, now) > 0) return { kind: "wait-slot" };
  return PASS;
}

/**
 * Stage 4, parents: one per thread, none discarded, each in its thread and before `slot`, mutually
 * compatible; waits for the missing ones. Passes with the parents' incompatibilities.
 */
export function ruleParents(
  ctx: Pick<RuleContext, "config" | "blocks" | "discarded">,
  slot: Slot,
  parents: readonly BlockId[],
): Refusal | (Pass & { readonly incomp: Set<string> }) {
  const T = ctx.config.threadCount;
  // 4. parents
  if (parents.length !== T) return { kind: "invalid", reason: `${parents.length} parents, expected ${T}` };
  const missing: BlockId[] = [];
  const incomp = new Set<string>();
  const parentSet = new Set(parents.map((p) => p.key));
  for (let i = 0; i < T; i++) {
    const pid = parents[i]!;
    const d = ctx.discarded.get(pid.key);
    if (d) return { kind: d.kind, reason: `a parent was discarded: ${d.reason}` };
    const p = ctx.blocks.get(pid.key);
    if (!p) {
      missing.push(pid);
      continue;
    }
    if (p.slot.thread !== i || Slot.compare(p.slot, slot) >= 0) {
      return {
        kind: "invalid",
        reason: `parent ${i} (${pid}) is at ${p.slot}: wrong thread or not before ${slot}`,
      };
    }
    for (const k of p.incomp) {
      if (parentSet.has(k)) return { kind: "invalid", reason: "parents are not mutually compatible" };
      incomp.add(k);
    }
  }
  if (missing.length > 0) return { kind: "wait-parents", missing };
  return { kind: "pass", incomp };
}

/** Stage 5, grandpa check: the parents are topologically consistent (all parents present). */
export function ruleGrandparents(
  ctx: Pick<RuleContext, "config" | "blocks">,
  parents: readonly BlockId[],
): Refusal | Pass {
  const T = ctx.config.threadCount;
  // 5. topological consistency of parents (grandpa check)
  const gpMax = new Array<number>(T).fill(0);
  for (let i = 0; i < T; i++) {
    const p = ctx.blocks.get(parents[i]!.key)!;
    if (p.slot.period < gpMax[i]!)
      return { kind: "invalid", reason: `parent ${i} is older than a grandparent in its thread` };
    gpMax[i] = p.slot.period;
    if (p.parents.length === 0) continue; // genesis
    for (let j = 0; j < T; j++) {
      if (j === i) continue;
      const g = ctx.blocks.get(p.parents[j]!.key);
      if (!g) {
        if (p.final) continue; // pruned behind a final parent: nothing left to check there
        return { kind: "stale", reason: "a grandparent is no longer in the graph" };
      }
      if (g.slot.period > gpMax[j]!) {
        if (j < i)
          return { kind: "invalid", reason: "grandpa error: parents are not topologically consistent" };
        gpMax[j] = g.slot.period;
      }
    }
  }
  return PASS;
}

/**
 * Stage 6, endorsements: each for this slot, of the same-thread parent, at a distinct index in range, by
 * the endorser drawn at that index.
 */
export function ruleEndorsements(
  ctx: Pick<RuleContext, "config">,
  h: SignedBlockHeader,
  selection: Selection,
): Refusal | Pass {
  const slot = h.content.slot;
  const parents = h.content.parents;
  // 6. endorsements
  const seen = new Set<number>();
  for (const e of h.content.endorsements) {
    const c = e.content;
    if (!c.slot.equals(slot))
      return { kind: "invalid", reason: `an endorsement is for ${c.slot}, not ${slot}` };
    if (!c.endorsedBlock.equals(parents[slot.thread]!)) {
      return { kind: "invalid", reason: "an endorsement does not endorse the same-thread parent" };
    }
    if (c.index >= ctx.config.endorsementCount || seen.has(c.index)) {
      return { kind: "invalid", reason: `endorsement index ${c.index} is out of range or repeated` };
    }
    seen.add(c.index);
    const drawn = selection.endorsements[c.index];
    if (!drawn || !e.creatorAddress.equals(drawn)) {
      return { kind: "invalid", reason: `endorsement ${c.index} is not by the drawn endorser ${drawn}` };
    }
  }
  return PASS;
}

/**
 * Stage "ours", operations: none included twice, none reused from a same-thread ancestor within the
 * validity window, nor (only past the graph's reach) already executed in the final state.
 */
export function ruleOperations(
  ctx: Pick<RuleContext, "config" | "blocks" | "isFinalExecuted">,
  block: ConsensusBlock,
): Refusal | Pass {
  const slot = block.header.content.slot;
  const parents = block.header.content.parents;
  // ours: operations included twice, or reused from an ancestor within the validity window
  const ids = new Set<string>();
  for (const op of block.operations) {
    if (ids.has(op.id.key)) return { kind: "invalid", reason: `operation ${op.id} is included twice` };
    ids.add(op.id.key);
  }
  // every ancestor still in the graph counts, final or not: whether one is settled yet differs from
  // node to node, so the settled executed-ops set only stands in for ancestors the graph no longer holds
  const ancestry = ancestryInWindow(
    ctx.blocks,
    ctx.config.operationValidityPeriods,
    parents[slot.thread]!,
    slot,
  );
  for (const anc of ancestry.blocks) {
    for (const k of anc.opIds) {
      if (ids.has(k))
        return {
          kind: "invalid",
          reason: `operation reuse: ${opIdFromKey(k)} is already in ancestor ${anc.id}`,
        };
    }
  }
  if (!ancestry.complete) {
    for (const op of block.operations) {
      if (ctx.isFinalExecuted(op.id))
        return { kind: "invalid", reason: `operation reuse: ${op.id} was already executed` };
    }
  }
  return PASS;
}

/**
 * Stage 7, incompatibilities (today's rule, §3.5): adds to `incomp` (the parents' incompatibilities from
 * stage 4) every block incompatible with this one, and their descendants; stale if one is final, invalid if
 * one is a parent.
 */
export function ruleIncompatibilities(
  ctx: Pick<RuleContext, "config" | "blocks">,
  slot: Slot,
  parents: readonly BlockId[],
  incomp: Set<string>,
): Refusal | Pass {
  const T = ctx.config.threadCount;
  // 7. incompatibilities (today's rule, §3.5)
  const { ancestors, earliest } = parentChains(ctx.blocks, parents, T);
  const index = slot.index(T);
  for (const x of ctx.blocks.values()) {
    if (ancestors.has(x.id.key) || x.slot.period < earliest[x.slot.thread]!) continue;
    const incompatible = x.slot.equals(slot) || Math.abs(x.index - index) >= T;
    if (!incompatible) continue;
    if (x.final) return { kind: "stale", reason: `incompatible with final block ${x.id}` };
    incomp.add(x.id.key);
    for (const d of descendants(ctx.blocks, x.id.key)) incomp.add(d);
  }
  for (const pid of parents) {
    if (incomp.has(pid.key)) return { kind: "invalid", reason: "incompatible with its own parent" };
  }
  return PASS;
}

/**
 * The rule stages above, in order, on `block` at current slot `now`: the first refusal is the verdict, else
 * the block is ok with its incompatibilities and its fitness.
 */
export function checkBlock(ctx: RuleContext, block: ConsensusBlock, now: Slot | undefined): Verdict {
  const h = block.header;
  const slot = h.content.slot;
  const parents = h.content.parents;
  const settled = ruleSlotNotSettled(ctx, slot);
  if (settled.kind !== "pass") return settled;
  const producer = ruleProducer(ctx, h);
  if (producer.kind !== "pass") return producer;
  const future = ruleNotInFuture(slot, now);
  if (future.kind !== "pass") return future;
  const parentage = ruleParents(ctx, slot, parents);
  if (parentage.kind !== "pass") return parentage;
  const grandparents = ruleGrandparents(ctx, parents);
  if (grandparents.kind !== "pass") return grandparents;
  const endorsements = ruleEndorsements(ctx, h, producer.selection);
  if (endorsements.kind !== "pass") return endorsements;
  const operations = ruleOperations(ctx, block);
  if (operations.kind !== "pass") return operations;
  const incomp = parentage.incomp;
  const incompatibilities = ruleIncompatibilities(ctx, slot, parents, incomp);
  if (incompatibilities.kind !== "pass") return incompatibilities;
  return { kind: "ok", incomp, fitness: 1 + h.content.endorsements.length };
}
