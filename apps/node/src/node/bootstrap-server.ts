// The bootstrap server: streams this node's final state to a joining peer (in parts, with the changes made
// meanwhile) and its graph of active blocks; at most 4 clients at once, a bounded number of new sessions per IP per minute.
import type { BlockGraph } from "@massa-ts/consensus";
import { BoundedMap, Slot } from "@massa-ts/models";
import { graphParts, type Message, type Peer } from "@massa-ts/protocol";
import { partMessages } from "./bootstrap-parts.js";
import type { Clock } from "./clock.js";
import type { ExecutionClient } from "./exec-thread/client.js";
import type { BootstrapPartW } from "./exec-thread/methods.js";
import { slotOf, slotW } from "./exec-thread/wire.js";

export interface BootstrapServerDeps {
  /** New sessions (a stream from the start or resumed, a graph) one IP may open per minute. */
  readonly sessionsPerIpPerMinute: number;
  /** Bytes of entries, and of updates, in one message (well within a frame; 1 000 000 by default). */
  readonly maxPartBytes?: number;
  /** The execution thread, which holds the final state the parts are cut from. */
  readonly exec: Pick<ExecutionClient, "call">;
  readonly graph: BlockGraph;
  readonly clock: Clock;
}

export class BootstrapServer {
  /** Clients being served (by node key) → when they last asked. */
  private readonly clients = new Map<string, number>();
  /** New sessions per IP in the current minute. */
  private readonly starts = new BoundedMap<string, { minute: number; count: number }>(10_000);

  /** IPs refused bootstrap (private API `node_add_to_bootstrap_blacklist`). */
  readonly blacklist = new Set<string>();
  /** When set, the only IPs that may bootstrap from us (`node_add_to_bootstrap_whitelist`); unset: anyone. */
  whitelist: Set<string> | undefined;

  constructor(private readonly d: BootstrapServerDeps) {}

  /** A part of the final state from where the client's cursor is. */
  onAsk(peer: Peer, m: Extract<Message, { type: "bootstrapAsk" }>): void {
    // a resumed session from a peer not streaming now counts as a new one (else resuming skips the limit)
    const refusal = this.gate(peer, m.slot === undefined || !this.clients.has(peer.publicKey!.toString()));
    if (refusal) {
      peer.close(refusal);
      return;
    }
    void this.answer(peer, m);
  }

  /** Cuts the part on the execution thread (which holds the final state), then sends it. */
  private async answer(peer: Peer, m: Extract<Message, { type: "bootstrapAsk" }>): Promise<void> {
    const maxBytes = this.d.maxPartBytes ?? 1_000_000;
    let w: BootstrapPartW;
    try {
      w = await this.d.exec.call(
        "bootstrapPart",
        {
          ...(m.slot ? { slot: slotW(m.slot) } : {}),
          ...(m.lastKey ? { lastKey: m.lastKey } : {}),
          finished: m.finished,
        },
        maxBytes,
      );
    } catch (e) {
      peer.close(`bootstrap refused: ${(e as Error).message}`);
      return;
    }
    const part = {
      slot: slotOf(w.slot),
      entries: w.entries,
      updates: w.updates,
      cursor: {
        ...(w.cursor.slot ? { slot: slotOf(w.cursor.slot) } : {}),
        ...(w.cursor.lastKey ? { lastKey: w.cursor.lastKey } : {}),
        ...(w.cursor.finished !== undefined ? { finished: w.cursor.finished } : {}),
      },
    };
    // a client far behind may have more changes to catch up than a frame holds: several messages
    const asked = m.lastKey ? { lastKey: m.lastKey } : {};
    for (const msg of partMessages(part, asked, w.fingerprint, w.records, maxBytes)) peer.send(msg);
  }

  /** The graph's active blocks (final or not), oldest slot first. */
  onGraphAsk(peer: Peer): void {
    // each answer serializes the whole graph: counted as a session start (10 per IP per minute)
    const refusal = this.gate(peer, true);
    if (refusal) {
      peer.close(refusal);
      return;
    }
    const g = this.d.graph;
    const blocks = g
      .activeBlocks()
      .sort((a, b) => Slot.compare(a.slot, b.slot))
      .flatMap((b) => {
        const full = g.get(b.id);
        return full ? [{ header: full.header, operations: [...full.operations], final: b.final }] : [];
      });
    // in parts that fit a frame: a graph of large blocks runs to many MiB
    const parts = graphParts(blocks);
    parts.forEach((part, i) => {
      peer.send({ type: "graph", blocks: part, more: i < parts.length - 1 });
    });
  }

  /**
   * The server's limits: at most 4 clients streaming at once (a client is "streaming" until it is silent
   * for 10 s) and `sessionsPerIpPerMinute` new sessions per IP. Returns why a request is refused, if it is.
   */
  private gate(peer: Peer, newSession: boolean): string | undefined {
    const now = this.d.clock.now();
    for (const [k, t] of this.clients) if (now - t > 10_000) this.clients.delete(k);
    const ip = peer.socket.remoteAddress ?? "?";
    if (this.blacklist.has(ip)) return "this address is on the bootstrap blacklist";
    if (this.whitelist && !this.whitelist.has(ip)) return "this address is not on the bootstrap whitelist";
    const who = peer.publicKey!.toString();
    if (!this.clients.has(who) && this.clients.size >= 4)
      return "bootstrap server busy (4 clients): retry later";
    if (newSession) {
      const minute = Math.floor(now / 60_000);
      const s = this.starts.get(ip);
      const count = s && s.minute === minute ? s.count + 1 : 1;
      this.starts.set(ip, { minute, count });
      if (count > this.d.sessionsPerIpPerMinute)
        return "too many bootstrap sessions from this address: retry in a minute";
    }
    this.clients.set(who, now);
    return undefined;
  }
}
