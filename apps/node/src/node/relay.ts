// Gossip of operations and endorsements: what was seen, per-peer budgets, signature checks in the worker
// pool, pooling, and relaying what is new to the other peers. Relayed operations travel as Massa's do:
// announced by id to the peers not known to hold them, fetched by the peers that lack them (one body per
// link, not one from every peer); those submitted to this node's API, which no peer can hold yet, and
// endorsements (a few a slot) are pushed whole.
import {
  type Address,
  BoundedMap,
  BoundedSet,
  bytesEqual,
  type OperationId,
  type SignedEndorsement,
  type SignedOperation,
} from "@massa-ts/models";
import {
  MAX_LIST_ITEMS,
  type Network,
  operationBatches,
  type Peer,
  type SignatureVerifier,
} from "@massa-ts/protocol";
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

/** An announced operation asked of a peer: when, of whom, and who else announced it (to ask next). */
interface Ask {
  readonly id: OperationId;
  at: number;
  from: Peer;
  readonly others: Peer[];
}

/**
 * Operation ids remembered per peer as held by it (announced, sent or asked by it, or announced to it):
 * about a second of a busy network's operations, the time one takes to spread. An id forgotten costs one
 * announcement more (33 bytes the peer ignores); each set holds ~1.3 MB, so 64 peers ~85 MB at most.
 */
const KNOWN_PER_PEER = 10_000;
/** Operations asked and not arrived yet, at most (the oldest forgotten first; ~5 MB). */
const MAX_ASKED = 50_000;
/** An asked operation not received within this is asked of the next peer that announced it. */
export const ASK_TIMEOUT_MS = 1000;
/** Other announcers remembered per asked operation. */
const MAX_ANNOUNCERS = 3;

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
  /** Per-peer budget for the ids it announces (the same rate; an id costs no check, only a question). */
  private readonly announceBudget = new WeakMap<Peer, { tokens: number; at: number }>();
  /** Per-peer budget for the operations it asks of us (the same rate: each answer is bytes we send). */
  private readonly answerBudget = new WeakMap<Peer, { tokens: number; at: number }>();
  /** Operation id keys each peer is known to hold: nothing is announced to a peer that has it. */
  private readonly known = new WeakMap<Peer, BoundedSet<string>>();
  /** Operations asked of a peer and not arrived yet (id key → the ask), oldest first. */
  private readonly asked = new BoundedMap<string, Ask>(MAX_ASKED);
  /** Items dropped because the verifier was saturated, logged at most once per second. */
  private readonly dropped = { operations: 0, endorsements: 0, loggedAt: 0 };
  /** Operation ids announced, asked, answered and asked again, since the start (`/metrics`). */
  readonly gossip = { announced: 0, asked: 0, answered: 0, reasked: 0 };

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
    const known = this.knownBy(peer);
    for (const op of all) known.add(op.id.key);
    const ops = this.withinBudget(this.budget, peer, "operations", all);
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
    const es = this.withinBudget(this.budget, peer, "endorsements", all);
    const todo = es.filter((e) => !this.seenChain.has(`e${e.id.key}`));
    if (todo.length > 0) void this.verifyAndPoolEndorsements(peer, todo);
  }

  /**
   * Operations accepted by the API go to every peer whole (encoded once): this node is the first to hold
   * them, so an announcement would only add a round trip and an ask per peer. The peers announce them on.
   */
  broadcastOperations(ops: readonly SignedOperation[]): void {
    for (const op of ops) this.firstSeenOperation(op);
    const network = this.d.network();
    if (!network) return;
    for (const peer of network.connected) {
      const known = this.knownBy(peer);
      for (const op of ops) known.add(op.id.key);
    }
    for (const batch of operationBatches(ops)) network.broadcast({ type: "operations", operations: batch });
  }

  /**
   * A peer's `opAnnounce`: it holds these. Those this node has not seen, is not checking and has not asked
   * of anyone are asked of it now; one already asked of another peer notes this one to ask next if the
   * first does not answer in time. Beyond the peer's budget the rest is ignored (an id is only a hint).
   */
  onAnnounce(peer: Peer, all: readonly OperationId[]): void {
    const ids = this.withinBudget(this.announceBudget, peer, "operations", all, false);
    const known = this.knownBy(peer);
    const now = this.d.clock.now();
    const want: OperationId[] = [];
    for (const id of ids) {
      const key = id.key;
      known.add(key);
      if (this.seen.has(key) || this.verifying.has(key)) continue;
      const ask = this.asked.get(key);
      if (ask === undefined) {
        this.asked.set(key, { id, at: now, from: peer, others: [] });
        want.push(id);
      } else if (ask.from !== peer && ask.others.length < MAX_ANNOUNCERS && !ask.others.includes(peer)) {
        ask.others.push(peer);
      }
    }
    this.gossip.asked += want.length;
    this.sendIds(peer, "askOperations", want);
  }

  /**
   * A peer's `askOperations`: the operations of those ids this node holds in its pool, each once, sent to
   * it in `operations` messages (each within a frame). Beyond the peer's budget the rest is not answered.
   */
  onAskOperations(peer: Peer, all: readonly OperationId[]): void {
    const ids = this.withinBudget(this.answerBudget, peer, "operations", all, false);
    const known = this.knownBy(peer);
    const found: SignedOperation[] = [];
    const answered = new Set<string>(); // each once, whatever the ask repeats
    for (const id of ids) {
      known.add(id.key);
      if (answered.has(id.key)) continue;
      answered.add(id.key);
      const op = this.d.pool.get(id);
      if (op) found.push(op);
    }
    this.gossip.answered += found.length;
    for (const batch of operationBatches(found)) peer.send({ type: "operations", operations: batch });
  }

  /**
   * Asks again, of the next peer that announced it, every operation asked more than {@link ASK_TIMEOUT_MS}
   * ago and still not received (its first announcer may have dropped it, or lied); an operation nobody else
   * announced is forgotten (a block that includes it brings it). Called on every slot tick.
   */
  retryAsks(): void {
    const now = this.d.clock.now();
    const expired: Ask[] = [];
    for (const ask of this.asked.values()) {
      if (now - ask.at < ASK_TIMEOUT_MS) break; // oldest first: the rest are younger
      expired.push(ask);
    }
    const byPeer = new Map<Peer, OperationId[]>();
    for (const ask of expired) {
      const key = ask.id.key;
      this.asked.delete(key);
      if (this.seen.has(key) || this.verifying.has(key)) continue;
      let next = ask.others.shift();
      while (next?.isClosed) next = ask.others.shift();
      if (next === undefined) continue;
      ask.from = next;
      ask.at = now;
      this.asked.set(key, ask);
      const list = byPeer.get(next);
      if (list) list.push(ask.id);
      else byPeer.set(next, [ask.id]);
    }
    for (const [peer, ids] of byPeer) {
      this.gossip.reasked += ids.length;
      this.sendIds(peer, "askOperations", ids);
    }
  }

  /** Announces operations (their ids) to every peer not known to hold them, but `except`. */
  private announce(ops: readonly SignedOperation[], except?: Peer): void {
    const peers = this.d.network()?.connected ?? [];
    for (const peer of peers) {
      if (peer === except) continue;
      const known = this.knownBy(peer);
      const ids: OperationId[] = [];
      for (const op of ops) if (known.add(op.id.key)) ids.push(op.id);
      this.gossip.announced += ids.length;
      this.sendIds(peer, "opAnnounce", ids);
    }
  }

  /** Sends ids in messages of at most {@link MAX_LIST_ITEMS} (none when there are none). */
  private sendIds(peer: Peer, type: "opAnnounce" | "askOperations", ids: readonly OperationId[]): void {
    for (let i = 0; i < ids.length; i += MAX_LIST_ITEMS)
      peer.send({ type, ids: ids.slice(i, i + MAX_LIST_ITEMS) });
  }

  private knownBy(peer: Peer): BoundedSet<string> {
    const k = this.known.get(peer);
    if (k) return k;
    const fresh = new BoundedSet<string>(KNOWN_PER_PEER);
    this.known.set(peer, fresh);
    return fresh;
  }

  /**
   * The items that fit the peer's budget (`maxPerSecond`, burst ×2), the first ones; the rest is dropped
   * and counted.
   */
  private withinBudget<T>(
    budgets: WeakMap<Peer, { tokens: number; at: number }>,
    peer: Peer,
    what: "operations" | "endorsements",
    items: readonly T[],
    count = true,
  ): readonly T[] {
    const rate = this.d.maxPerSecond;
    const now = this.d.clock.now();
    const b = budgets.get(peer) ?? { tokens: 2 * rate, at: now };
    b.tokens = Math.min(2 * rate, b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    budgets.set(peer, b);
    const n = Math.min(items.length, Math.floor(b.tokens));
    b.tokens -= n;
    if (n < items.length && count) {
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
    this.announce(fresh, peer);
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
