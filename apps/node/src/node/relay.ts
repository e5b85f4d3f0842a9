// Gossip of operations and endorsements: what was seen, per-peer budgets, signature checks in the worker
// pool, pooling, and relaying what is new to the other peers.
import {
  type Address,
  BoundedSet,
  bytesEqual,
  type SignedEndorsement,
  type SignedOperation,
} from "@massa-ts/models";
import { type Network, operationBatches, type Peer, type SignatureVerifier } from "@massa-ts/protocol";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { EndorsementPool } from "./endorsement-pool.js";
import type { OperationPool } from "./pool.js";

export interface RelayDeps {
  /** Operations and endorsements per second a peer may relay (token bucket, burst ×2). */
  readonly maxPerSecond: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly pool: OperationPool;
  readonly endorsements: EndorsementPool;
  readonly verifier: () => SignatureVerifier | undefined;
  readonly network: () => Network | undefined;
  /** The current period (operations expired before it are not pooled). */
  currentPeriod(): number;
  /** Fetches the senders' candidate balances the pool's admission reads. */
  prefetchBalances(senders: readonly Address[]): Promise<void>;
  stopped(): boolean;
}

export class Relay {
  /**
   * Ids seen, nothing is relayed twice: operations by their id's key (the operation's own string, no copy
   * per operation), endorsements ("e…") and blocks ("b…") apart, in a smaller set. Blocks and endorsements
   * come 17 a slot whatever the load: 20 000 is over 10 minutes of Massa's mainnet, past the time anything
   * is relayed; operations come with the load.
   */
  private readonly seen = new BoundedSet<string>(200_000);
  private readonly seenChain = new BoundedSet<string>(20_000);
  /** Operations whose signature is being verified (id → signature bytes): a relayed copy is not checked twice. */
  private readonly verifying = new Map<string, Uint8Array>();
  /** Per-peer budget (token bucket). */
  private readonly budget = new WeakMap<Peer, { tokens: number; at: number }>();
  /** Items dropped because the verifier was saturated, logged at most once per second. */
  private readonly dropped = { operations: 0, endorsements: 0, loggedAt: 0 };

  constructor(private readonly d: RelayDeps) {}

  /** Marks a block ("b" + its id's key) or an endorsement ("e" + its id's key) as seen; false if it was already. */
  firstSeen(key: string): boolean {
    return this.seenChain.add(key);
  }

  /** Marks an operation as seen; false if it was already. */
  private firstSeenOperation(op: SignedOperation): boolean {
    return this.seen.add(op.id.key);
  }

  /**
   * A peer's `operations` message. Beyond the peer's budget the rest is dropped (throttled, never banned
   * for volume: an honest relayer passing on a flood it received is no attacker).
   */
  onOperations(peer: Peer, all: readonly SignedOperation[]): void {
    const ops = this.withinBudget(peer, "operations", all);
    // not seen, and not the very bytes already being verified (a copy with another signature is checked)
    const todo = ops.filter((op) => {
      if (this.seen.has(op.id.key)) return false;
      const inFlight = this.verifying.get(op.id.key);
      if (inFlight && bytesEqual(inFlight, op.signature.raw)) return false;
      this.verifying.set(op.id.key, op.signature.raw);
      return true;
    });
    if (todo.length === 0) return;
    void this.verifyAndPool(peer, todo).finally(() => {
      for (const op of todo) {
        if (this.verifying.get(op.id.key) === op.signature.raw) this.verifying.delete(op.id.key);
      }
    });
  }

  /** A peer's `endorsements` message: the same budget as operations (each costs a signature check). */
  onEndorsements(peer: Peer, all: readonly SignedEndorsement[]): void {
    const es = this.withinBudget(peer, "endorsements", all);
    const todo = es.filter((e) => !this.seenChain.has(`e${e.id.key}`));
    if (todo.length > 0) void this.verifyAndPoolEndorsements(peer, todo);
  }

  /** Operations accepted by the API go to the peers too. */
  broadcastOperations(ops: readonly SignedOperation[]): void {
    for (const op of ops) this.firstSeenOperation(op);
    for (const batch of operationBatches(ops))
      this.d.network()?.broadcast({ type: "operations", operations: batch });
  }

  /**
   * The items that fit the peer's budget (`maxPerSecond`, burst ×2), the first ones; the rest is dropped
   * and counted.
   */
  private withinBudget<T>(
    peer: Peer,
    what: "operations" | "endorsements",
    items: readonly T[],
  ): readonly T[] {
    const rate = this.d.maxPerSecond;
    const now = this.d.clock.now();
    const b = this.budget.get(peer) ?? { tokens: 2 * rate, at: now };
    b.tokens = Math.min(2 * rate, b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    this.budget.set(peer, b);
    const n = Math.min(items.length, Math.floor(b.tokens));
    b.tokens -= n;
    if (n < items.length) {
      this.throttled += items.length - n;
      this.noteDropped(what, items.length - n, `above ${rate} per second from one peer`);
    }
    return n === items.length ? items : items.slice(0, n);
  }

  /** Relayed items dropped because their peer went over its budget, since the start. */
  throttled = 0;

  /**
   * Relayed operations: signatures checked in the worker pool; one bad signature bans the sender and drops
   * its message. Only operations that pass are marked seen (a forged copy cannot shadow the real one);
   * those the pool takes are relayed.
   */
  private async verifyAndPool(peer: Peer, ops: readonly SignedOperation[]): Promise<void> {
    const pass = await this.signaturesPass(peer, "operations", ops, () =>
      this.d.verifier()!.verifyOperations(ops),
    );
    if (!pass) return;
    try {
      await this.d.prefetchBalances(ops.map((o) => o.creatorAddress));
    } catch {
      return; // the execution thread stopped: the node is stopping
    }
    const fresh: SignedOperation[] = [];
    const period = this.d.currentPeriod();
    for (const op of ops) {
      if (!this.firstSeenOperation(op)) continue;
      try {
        this.d.pool.add(op, period, true);
        fresh.push(op);
      } catch {
        // refused by the pool (expired or too far ahead, too cheap, too large, a sender that cannot pay or holds
        // too many, pool full): not pooled, not relayed, and the peer is not banned: its view of the balances
        // and of the current period may differ from ours
      }
    }
    for (const batch of operationBatches(fresh))
      this.d.network()?.broadcast({ type: "operations", operations: batch }, peer);
  }

  /**
   * Relayed endorsements: signatures checked (in the worker pool for a big batch), then marked seen (only
   * then: a forged copy cannot shadow the real one), pooled for the block of their slot and relayed.
   */
  private async verifyAndPoolEndorsements(peer: Peer, es: readonly SignedEndorsement[]): Promise<void> {
    const pass = await this.signaturesPass(peer, "endorsements", es, () =>
      this.d.verifier()!.verifyEndorsements(es),
    );
    if (!pass) return;
    // relayed: those first seen that the pool keeps (drawn endorser, slot within the next period)
    const fresh = es.filter((e) => this.firstSeen(`e${e.id.key}`) && this.d.endorsements.add(e));
    if (fresh.length > 0) this.d.network()?.broadcast({ type: "endorsements", endorsements: fresh }, peer);
  }

  /**
   * The signature check of relayed items: true when every one passed. A saturated verifier
   * (VERIFIER_BUSY) drops them unbanned (peers keep them); one bad signature bans the sender.
   */
  private async signaturesPass(
    peer: Peer,
    what: "operations" | "endorsements",
    items: readonly { readonly id: { toString(): string } }[],
    verify: () => Promise<boolean[]>,
  ): Promise<boolean> {
    let ok: boolean[];
    try {
      ok = await verify();
    } catch (e) {
      this.noteDropped(what, items.length, (e as Error).message);
      return false;
    }
    if (this.d.stopped()) return false;
    const bad = ok.indexOf(false);
    if (bad >= 0) {
      peer.fail(`${what === "operations" ? "operation" : "endorsement"} ${items[bad]!.id}: bad signature`);
      return false;
    }
    return true;
  }

  private noteDropped(what: "operations" | "endorsements", n: number, why: string): void {
    this.dropped[what] += n;
    const now = this.d.clock.now();
    if (now - this.dropped.loggedAt < 1000) return;
    this.d.log.warn(
      { operations: this.dropped.operations, endorsements: this.dropped.endorsements, reason: why },
      "overloaded: relayed items dropped since the last report",
    );
    this.dropped.operations = 0;
    this.dropped.endorsements = 0;
    this.dropped.loggedAt = now;
  }
}
