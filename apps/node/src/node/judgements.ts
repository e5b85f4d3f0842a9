// Verdicts on peers whose blocks we refused by rules judged against our own state (draws, graph, executed
// operations): ban them once our finality passes the block, or find that we are the one out of step.
import type { BlockId, PublicKey, Slot } from "@massa-ts/models";
import type { Peer } from "@massa-ts/protocol";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";

/** Periods of stalled finality while refusing peers' blocks after which a node bootstraps again. */
export const OUT_OF_STEP_PERIODS = 8;
/**
 * Periods of stalled finality, with peers connected and blocks waiting for parents no peer has sent, after
 * which a node bootstraps again: it is behind by more than its peers keep (a node restarted while its peers
 * could not answer with their graph, and that they left behind meanwhile).
 */
export const STALLED_PERIODS = 20;

export interface JudgementsDeps {
  readonly t0: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Timestamp of a slot's start. */
  slotTime(slot: Slot): number;
  /** Our last final slot (consensus's: execution settles up to it, perhaps later). */
  finalSlot(): Slot;
  /** Blocks that blocks waiting for their parents still miss. */
  missingParents(): number;
  /** Peers currently connected. */
  peerCount(): number;
  /** The current slot (undefined before genesis). */
  currentSlot(): Slot | undefined;
  /** Whether the draws of `slot`'s cycle are known (or being computed) here. */
  drawsKnown(slot: Slot): boolean;
  /**
   * Called once when this node finds itself out of step; `prefer`: peers known to be ahead of us (to
   * bootstrap from first).
   */
  onOutOfStep(prefer?: readonly PublicKey[]): void;
}

export class Judgements {
  /** Refusals waiting for a verdict on their senders; at most 1 024. */
  private judged: { peer: Peer; block: BlockId; slot: Slot; reason: string; deadline: number }[] = [];
  private outOfStepReported = false;
  /** The final slot last seen, and since when it has not moved. */
  private lastFinal: Slot | undefined;
  private finalSince = 0;
  /**
   * Peers that sent headers of past slots whose draws we do not know (they know them: their final state is
   * ahead of ours), with when they last did; at most 64.
   */
  private readonly ahead = new Map<string, { key: PublicKey; at: number }>();
  /** When a network-wide stall was last reported (every {@link STALLED_PERIODS} periods at most). */
  private stallReportedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly d: JudgementsDeps) {}

  /**
   * A block refused by a rule judged against our own state. Its sender is not banned at once: our state
   * may be the wrong one. It is banned once our own finality passes the refused block's slot (the network
   * went on without that block, and so did we); if our finality has not got there within
   * {@link OUT_OF_STEP_PERIODS} periods of the slot, the refusal is dropped unbanned, and when that happens
   * for blocks of two or more peers (or of our only peer), we are the one out of step.
   */
  refuse(peer: Peer, block: BlockId, slot: Slot, reason: string): void {
    const { t0, clock } = this.d;
    const slotTime = this.d.slotTime(slot);
    // far-future slots are not worth a verdict (consensus would make them wait anyway)
    if (slotTime > clock.now() + OUT_OF_STEP_PERIODS * t0) return;
    if (this.judged.length >= 1024) this.judged.shift();
    this.judged.push({
      peer,
      block,
      slot,
      reason,
      deadline: Math.max(clock.now(), slotTime) + OUT_OF_STEP_PERIODS * t0,
    });
    this.d.log.debug(
      { peer: peer.remote, block: block.toString(), reason },
      "block refused: verdict pending",
    );
  }

  /**
   * A header that passed its checks. One of a slot that has come, from a cycle whose draws we do not know,
   * says its sender's final state completed cycles ours has not (or it lies: it is only ever a reason to
   * bootstrap from a pinned peer first).
   */
  headerChecked(peer: Peer, slot: Slot): void {
    if (this.d.drawsKnown(slot) || slot.compare(this.d.finalSlot()) <= 0) return;
    const key = peer.publicKey;
    const now = this.d.clock.now();
    if (!key || this.d.slotTime(slot) > now) return;
    if (!this.ahead.has(key.toString()) && this.ahead.size >= 64) return;
    this.ahead.set(key.toString(), { key, at: now });
  }

  /** Bans the senders of refused blocks our finality went past; detects being out of step (each tick). */
  settle(): void {
    this.checkStalled();
    if (this.judged.length === 0) return;
    const fin = this.d.finalSlot();
    const now = this.d.clock.now();
    const expired = new Set<string>();
    const keep: typeof this.judged = [];
    for (const j of this.judged) {
      if (fin.compare(j.slot) >= 0) j.peer.fail(`invalid block ${j.block}: ${j.reason}`);
      else if (now > j.deadline) expired.add(j.peer.publicKey?.toString() ?? j.peer.remote);
      else keep.push(j);
    }
    this.judged = keep;
    if (expired.size === 0 || this.outOfStepReported) return;
    const peers = this.d.peerCount();
    this.d.log.warn(
      { peers: [...expired], finalSlot: fin.toJSON() },
      "peers' blocks refused while our finality did not move past them: not banning them",
    );
    if (expired.size >= Math.min(2, Math.max(1, peers))) {
      this.outOfStepReported = true;
      this.d.log.error(
        { finalSlot: fin.toJSON(), peers: [...expired] },
        "out of step with our peers (finality stalled, their blocks refused): bootstrapping again",
      );
      this.d.onOutOfStep();
    }
  }

  /**
   * Finality stalled for {@link STALLED_PERIODS} while peers are connected and blocks wait for parents none
   * of them sends: the blocks between our final slot and theirs are gone from every graph, we cannot catch
   * up block by block.
   */
  private checkStalled(): void {
    const fin = this.d.finalSlot();
    const now = this.d.clock.now();
    if (!this.lastFinal?.equals(fin)) {
      this.lastFinal = fin;
      this.finalSince = now;
      return;
    }
    if (this.outOfStepReported || now - this.finalSince < STALLED_PERIODS * this.d.t0) return;
    if (this.checkNoDraws(fin, now)) return;
    const missing = this.d.missingParents();
    if (missing === 0 || this.d.peerCount() === 0) return;
    this.outOfStepReported = true;
    this.d.log.error(
      { finalSlot: fin.toJSON(), stalledMs: now - this.finalSince, missingParents: missing },
      "out of step with our peers (finality stalled, blocks waiting for parents no peer sends): bootstrapping again",
    );
    this.d.onOutOfStep();
  }

  /**
   * Finality stalled and the current slot's draws unknown: our final state is two cycles or more behind the
   * clock, so nobody drawn by it can produce any more. If peers produce in those cycles, their final state
   * is ahead: we bootstrap again, from them first. If none does, the whole network is stalled and only a
   * restart of every node with a new `last_start_period` resumes it: said every {@link STALLED_PERIODS}
   * periods. True when handled.
   */
  private checkNoDraws(fin: Slot, now: number): boolean {
    const slot = this.d.currentSlot();
    if (!slot || this.d.drawsKnown(slot)) return false;
    for (const [k, a] of this.ahead) if (now - a.at >= STALLED_PERIODS * this.d.t0) this.ahead.delete(k);
    const recent = [...this.ahead.values()];
    if (recent.length > 0 && this.d.peerCount() > 0) {
      this.outOfStepReported = true;
      this.d.log.error(
        { finalSlot: fin.toJSON(), slot: slot.toJSON(), ahead: recent.map((a) => a.key.toNodeId()) },
        "out of step: our final state is too far behind to know the current draws, and peers produce with them: bootstrapping again",
      );
      this.d.onOutOfStep(recent.map((a) => a.key));
      return true;
    }
    if (now - this.stallReportedAt >= STALLED_PERIODS * this.d.t0) {
      this.stallReportedAt = now;
      this.d.log.error(
        { finalSlot: fin.toJSON(), slot: slot.toJSON(), peers: this.d.peerCount() },
        "finality stalled two cycles behind the clock and no peer is ahead: no node we hear from knows the current draws, so none can produce. " +
          `Stop every node and restart all with the same last_start_period, a period already begun (the clock is at period ${slot.period})`,
      );
    }
    return true;
  }
}
