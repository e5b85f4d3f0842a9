// Blocks arriving from peers: the header first (checked at once), then its operation ids (the operations
// this node lacks are asked for), then the whole block through protocol's checks and the signature checks,
// into consensus in arrival order; what is new is relayed. Also answers peers asking for blocks.
import type { BlockGraph, ConsensusBlock, ConsensusUpdate } from "@massa-ts/consensus";
import {
  BoundedMap,
  type OperationId,
  type SelectionView,
  type SignedBlockHeader,
  type SignedOperation,
  type Slot,
} from "@massa-ts/models";
import {
  type BlockCheckConfig,
  checkBlockContent,
  checkHeader,
  checkOperationIds,
  type Message,
  type Network,
  type Peer,
  type SignatureVerifier,
  VerifierError,
} from "@massa-ts/protocol";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { InclusionIndex } from "./inclusion-index.js";
import type { Judgements } from "./judgements.js";
import type { Relay } from "./relay.js";

/** Relayed blocks waiting for their signature checks; more are dropped (a child asks for them again). */
const MAX_BLOCKS_QUEUED = 256;
/** Headers for slots more than this many periods ahead of ours are ignored. */
const FUTURE_PERIODS = 10;
/** A missing parent is asked for again, of the next peer, after this long without an answer (ms). */
const ASK_AGAIN_MS = 1000;
/** Missing parents asked for again per slot tick. */
const ASK_AGAIN_PER_TICK = 32;

export interface BlockIntakeDeps {
  readonly checks: BlockCheckConfig;
  /** The draws a header's producer is checked against. */
  readonly draws: SelectionView;
  readonly log: Logger;
  readonly graph: BlockGraph;
  readonly relay: Relay;
  readonly judgements: Judgements;
  readonly inclusion: InclusionIndex;
  readonly verifier: () => SignatureVerifier | undefined;
  readonly network: () => Network | undefined;
  /** An operation this node holds (pool or graph), to assemble announced blocks without asking. */
  operation(id: OperationId): SignedOperation | undefined;
  currentSlot(): Slot | undefined;
  readonly clock: Clock;
  stopped(): boolean;
  /** Told of each block that became active (ours too): APIv2's block subscriptions. */
  readonly onActivated?: (block: ConsensusBlock) => void;
}

type BlockMessage = Extract<Message, { type: "header" | "blockOpIds" | "askOps" | "blockOps" | "askBlock" }>;

export class BlockIntake {
  /**
   * Headers announced, waiting for their operation ids, with the peers that announced them (only their ids
   * count: another peer cannot abort the block by sending wrong ones); 1 000.
   */
  private readonly pendingHeaders = new BoundedMap<string, { header: SignedBlockHeader; from: Set<Peer> }>(
    1000,
  );
  /** Announced blocks waiting for the operations we asked one peer for (only its answer counts). */
  private readonly assembling = new BoundedMap<
    string,
    {
      header: SignedBlockHeader;
      ids: readonly OperationId[];
      have: Map<string, SignedOperation>;
      asked: Peer;
    }
  >(MAX_BLOCKS_QUEUED);
  /** Missing parents asked for: when last, and how many times (the next ask goes to the next peer). */
  private readonly asked = new BoundedMap<string, { at: number; tries: number }>(1000);
  /** Relayed blocks are checked and added one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();

  constructor(private readonly d: BlockIntakeDeps) {}

  /** Resolves when the blocks queued so far went through. */
  drained(): Promise<void> {
    return this.queue;
  }

  onMessage(peer: Peer, m: BlockMessage): void {
    switch (m.type) {
      case "header":
        this.onHeader(peer, m.header);
        return;
      case "blockOpIds":
        this.onOperationIds(peer, m);
        return;
      case "askOps": {
        // answered with that block's operations only, each once: the answer is bounded by the block size
        // whatever ids are asked (Massa answers from the block's own list too)
        const b = this.d.graph.get(m.blockId);
        if (!b) return;
        const asked = new Set(m.ids.map((id) => id.key));
        const found = b.operations.filter((o) => asked.has(o.id.key));
        peer.send({ type: "blockOps", blockId: m.blockId, operations: found });
        return;
      }
      case "blockOps":
        this.onOperations(peer, m);
        return;
      case "askBlock": {
        const b = this.d.graph.get(m.blockId);
        if (b) {
          peer.send({ type: "header", header: b.header });
          peer.send({ type: "blockOps", blockId: m.blockId, operations: [...b.operations] });
        }
        return;
      }
    }
  }

  private onHeader(peer: Peer, header: SignedBlockHeader): void {
    const k = header.id.key;
    if (this.d.graph.status(header.id) || this.queued.has(k)) return;
    const pending = this.pendingHeaders.get(k);
    if (pending) {
      pending.from.add(peer);
      return;
    }
    // a header for a slot far ahead cannot be checked against draws we know and would only take room
    // from honest ones: ignored (not banned: clocks differ)
    const now = this.d.currentSlot();
    const T = this.d.checks.limits.threadCount;
    if (now && header.content.slot.index(T) > now.index(T) + FUTURE_PERIODS * T) return;
    const bad = checkHeader(header, this.d.draws);
    if (bad) {
      // a bad signature is the sender's fault whatever our state; a producer that is not ours is
      // judged against our draws, which are only as right as our final state
      if (bad.judged) this.d.judgements.refuse(peer, header.id, header.content.slot, bad.reason);
      else peer.fail(`invalid block ${header.id}: ${bad.reason}`);
      return;
    }
    this.d.judgements.headerChecked(peer, header.content.slot);
    this.pendingHeaders.set(k, { header, from: new Set([peer]) });
  }

  /** An announced block's operation ids: take what we hold, ask the peer for the rest. */
  private onOperationIds(peer: Peer, m: Extract<Message, { type: "blockOpIds" }>): void {
    const pending = this.pendingHeaders.get(m.blockId.key);
    if (!pending?.from.has(peer)) return; // not a header this peer announced
    const header = pending.header;
    const bad = checkOperationIds(header, m.ids, this.d.checks.limits);
    if (bad) {
      // this peer's ids are wrong, not the block: it waits for another announcer's
      pending.from.delete(peer);
      peer.fail(`invalid block ${m.blockId}: ${bad}`);
      return;
    }
    this.pendingHeaders.delete(m.blockId.key);
    const have = new Map<string, SignedOperation>();
    const missing: OperationId[] = [];
    for (const id of m.ids) {
      const op = this.d.operation(id);
      if (op) have.set(id.key, op);
      else missing.push(id);
    }
    if (missing.length === 0) {
      this.enqueue(
        peer,
        header,
        m.ids.map((id) => have.get(id.key)!),
      );
      return;
    }
    this.assembling.set(m.blockId.key, { header, ids: m.ids, have, asked: peer });
    peer.send({ type: "askOps", blockId: m.blockId, ids: missing });
  }

  private onOperations(peer: Peer, m: Extract<Message, { type: "blockOps" }>): void {
    const a = this.assembling.get(m.blockId.key);
    if (a?.asked === peer) {
      // the operations we asked for
      this.assembling.delete(m.blockId.key);
      for (const op of m.operations) if (!a.have.has(op.id.key)) a.have.set(op.id.key, op);
      const ops = a.ids.map((id) => a.have.get(id.key));
      const lacking = ops.indexOf(undefined);
      if (lacking >= 0) {
        peer.fail(`announced block ${m.blockId} but did not supply its operation ${a.ids[lacking]}`);
        return;
      }
      this.enqueue(peer, a.header, ops as SignedOperation[]);
      return;
    }
    // a whole block (the answer to askBlock): from a peer that announced its header (another peer's
    // answer to our askOps is not this peer's to send; a block being assembled from a peer that went
    // silent is completed by whoever sends it whole after its header)
    const pending = this.pendingHeaders.get(m.blockId.key);
    if (!pending?.from.has(peer)) return; // unknown, already processed, or not this peer's to send
    this.assembling.delete(m.blockId.key);
    const header = pending.header;
    const bad = checkOperationIds(
      header,
      m.operations.map((o) => o.id),
      this.d.checks.limits,
    );
    if (bad) {
      pending.from.delete(peer);
      peer.fail(`invalid block ${m.blockId}: ${bad}`);
      return;
    }
    this.pendingHeaders.delete(m.blockId.key);
    this.enqueue(peer, header, m.operations);
  }

  /** A relayed block with all its operations: protocol's checks, then the block queue (signatures, consensus). */
  private enqueue(peer: Peer, header: SignedBlockHeader, ops: readonly SignedOperation[]): void {
    const id = header.id;
    const bad = checkBlockContent(header, ops, this.d.checks);
    if (bad) {
      peer.fail(`invalid block ${id}: ${bad}`);
      return;
    }
    if (this.queued.size >= MAX_BLOCKS_QUEUED) {
      // not the peer's fault alone (catch-up bursts): dropped unbanned; a child will ask for it again
      this.d.log.warn({ peer: peer.remote, block: id.toString() }, "block queue full: block dropped");
      return;
    }
    this.queued.add(id.key);
    this.queue = this.queue
      .then(() => this.add(peer, header, ops))
      .catch((e: unknown) =>
        this.d.log.error(
          { peer: peer.remote, block: id.toString(), err: (e as Error).message },
          "block failed",
        ),
      )
      .finally(() => this.queued.delete(id.key));
  }

  /**
   * A relayed block that passed the synchronous checks: its endorsements' and operations' signatures are
   * checked (in the worker pool, or from the cache for those already relayed), then consensus adds it. Runs in the
   * block queue, so blocks reach consensus in arrival order.
   */
  private async add(peer: Peer, header: SignedBlockHeader, ops: readonly SignedOperation[]): Promise<void> {
    if (this.d.stopped()) return;
    let ok: boolean[];
    let endorsed: boolean[];
    try {
      // endorsements relayed before the block are answered from the verifier's cache
      const verifier = this.d.verifier()!;
      [endorsed, ok] = await Promise.all([
        verifier.verifyEndorsements(header.content.endorsements, { priority: true }),
        verifier.verifyOperations(ops, { priority: true }),
      ]);
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      this.d.log.warn({ peer: peer.remote, block: header.id.toString(), err: e.message }, "block dropped");
      return;
    }
    if (this.d.stopped()) return;
    const badEndorsement = endorsed.indexOf(false);
    if (badEndorsement >= 0) {
      const index = header.content.endorsements[badEndorsement]!.content.index;
      peer.fail(`invalid block ${header.id}: endorsement ${index}: bad signature`);
      return;
    }
    const bad = ok.indexOf(false);
    if (bad >= 0) {
      peer.fail(`invalid block ${header.id}: operation ${ops[bad]!.id}: bad signature`);
      return;
    }
    const r = this.d.graph.addBlock({ header, operations: ops }, this.d.currentSlot());
    this.d.log.debug(
      { block: header.id.toString(), status: r.status.kind, peer: peer.remote },
      "block added",
    );
    if (r.update.discarded.length > 0)
      this.d.log.info(
        { block: header.id.toString(), discarded: r.update.discarded.map((id) => id.toString()) },
        "blocks discarded (stale or invalid)",
      );
    if (r.status.kind === "invalid") {
      this.d.judgements.refuse(peer, header.id, header.content.slot, r.status.reason);
      return;
    }
    if (r.status.kind === "waiting-parents") {
      this.d.log.debug(
        { block: header.id.toString(), missing: r.status.missing.map(String), peer: peer.remote },
        "block waits for parents: asking for them",
      );
      const at = this.d.clock.now();
      for (const id of r.status.missing) {
        if (this.asked.has(id.key)) continue; // asked already: askMissing goes on asking
        this.asked.set(id.key, { at, tries: 1 });
        peer.send({ type: "askBlock", blockId: id });
      }
    }
    if (r.status.kind !== "stale") this.d.inclusion.record(header.id, ops);
    this.announce(r.update, peer);
  }

  /**
   * Asks again for the parents that waiting blocks still miss (each slot tick): the peer first asked may
   * not have answered (killed, or without the block), and blocks built on a missing one all wait for it, so
   * without it this node would follow only its own blocks. Each missing block is asked of one peer at a
   * time, the next one every {@link ASK_AGAIN_MS}, as Massa's block retrieval does.
   */
  askMissing(): void {
    const peers = this.d.network()?.connected ?? [];
    if (peers.length === 0) return;
    const now = this.d.clock.now();
    for (const id of this.d.graph.missingParents(ASK_AGAIN_PER_TICK)) {
      const k = id.key;
      if (this.queued.has(k)) continue;
      const a = this.asked.get(k);
      if (a && now - a.at < ASK_AGAIN_MS) continue;
      const tries = (a?.tries ?? 0) + 1;
      this.asked.set(k, { at: now, tries });
      const peer = peers[tries % peers.length]!;
      this.d.log.debug(
        { block: id.toString(), peer: peer.remote, tries },
        "asking again for a missing parent",
      );
      peer.send({ type: "askBlock", blockId: id });
    }
  }

  /**
   * Relays the blocks that became active (this one, those that waited for it, those whose slot came): only
   * active blocks go on, as in Massa, so an honest relayer never passes on a block its peers could refuse.
   */
  announce(update: ConsensusUpdate, from?: Peer): void {
    const net = this.d.network();
    for (const id of update.activated) {
      const b = this.d.graph.get(id);
      if (!b) continue;
      this.d.onActivated?.(b);
      if (!this.d.relay.firstSeen(`b${id.key}`)) continue;
      net?.broadcast({ type: "header", header: b.header }, from);
      net?.broadcast({ type: "blockOpIds", blockId: id, ids: b.operations.map((o) => o.id) }, from);
    }
  }
}
