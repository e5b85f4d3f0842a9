import type { ConsensusBlock } from "@massa-ts/consensus";
import type { FinalStateAdmin, FinalStateReader } from "@massa-ts/final-state";
import type { BlockLimits, SecretKey, Slot } from "@massa-ts/models";
import { type Message, Network, parsePeerAddress } from "@massa-ts/protocol";
import type { Logger } from "pino";
import { CliError } from "../errors.js";
import { receivePart } from "./bootstrap-parts.js";
import { ProgressBar } from "./progress.js";

/** Blocks a bootstrap's graph may hold (a graph keeps 64 periods: 32 threads × 64 is 2 048). */
const MAX_GRAPH_BLOCKS = 20_000;
/** Bootstrap messages received and not read yet (each within a frame). */
const MAX_INBOX = 256;

/** A block of a peer's graph, as the bootstrap server sends it. */
export interface FetchedBlock {
  readonly block: ConsensusBlock;
  readonly final: boolean;
}

export interface BootstrapClientOptions {
  /**
   * The peer's p2p address: "N…@host:port" (its node id pinned), or a bare "host:port" when fetching only
   * the graph (whose blocks are checked like relayed ones).
   */
  readonly target: string;
  /** Stream the final state first (into an empty `fs`); else fetch only the graph. */
  readonly state: boolean;
  /** How long to wait for the connection (default 30 s). */
  readonly connectMs?: number;
  /** The (fresh) store the state streams into: admin writes, and the reads that check it. */
  readonly fs: FinalStateAdmin & Pick<FinalStateReader, "lastFinalSlot" | "stateHash">;
  readonly chainId: bigint;
  readonly nodeKey: SecretKey;
  readonly blockLimits: BlockLimits;
  readonly log: Logger;
  /** For error messages (what to remove). */
  readonly dataDir: string;
}

/**
 * The bootstrap client: streams the final state, then the consensus graph, from a peer, resuming from the
 * last received key if the connection drops. The state's hash equals the peer's at the last part's slot
 * (checked against its fingerprint). A progress bar on a terminal, a log line per second.
 */
export async function bootstrapFrom(o: BootstrapClientOptions): Promise<FetchedBlock[]> {
  if (o.state && !parsePeerAddress(o.target).nodeKey)
    throw new CliError(
      `will not take a final state from "${o.target}": whoever answers there would choose our balances and rolls. ` +
        'Pin the server\'s node id: "N…@host:port" (its get_status node_id)',
    );
  const inbox: Message[] = [];
  /** Set when the node at the address is not the pinned one. */
  let wrongNode: string | undefined;
  /** Set when the server sends faster than we apply, far beyond what one part needs. */
  let overflow: string | undefined;
  let wake: (() => void) | undefined;
  const net = new Network({
    chainId: o.chainId,
    nodeKey: o.nodeKey,
    blockLimits: o.blockLimits,
    onMessage: (p, m) => {
      // only the answers we wait for, and a bounded number of them (each within a frame)
      if (m.type !== "bootstrapPart" && m.type !== "graph") return;
      if (inbox.length >= MAX_INBOX) {
        overflow = `${o.target} sent more than ${MAX_INBOX} bootstrap messages ahead of our reading`;
        p.close(overflow);
        return;
      }
      inbox.push(m);
      wake?.();
    },
    onPeer: (_p, event, reason) => {
      if (event === "refused" && reason?.includes("not the pinned")) wrongNode = reason;
      wake?.();
    },
  });
  const next = async <T extends Message["type"]>(type: T): Promise<Extract<Message, { type: T }>> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (overflow) throw new CliError(`${overflow}: bootstrap from another node`);
      if (i >= 0) return inbox.splice(i, 1)[0] as Extract<Message, { type: T }>;
      if (net.connected.length === 0) throw new Error(`lost the bootstrap peer ${o.target}`);
      if (Date.now() > deadline) throw new Error(`no ${type} from ${o.target} within 30 s`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
  };
  const connected = async () => {
    const deadline = Date.now() + (o.connectMs ?? 30_000);
    while (net.connected.length === 0) {
      if (wrongNode)
        throw new CliError(
          `${wrongNode}: not bootstrapping from it (fix network.bootstrap if the node there changed keys)`,
        );
      if (Date.now() > deadline)
        throw new CliError(`cannot reach the bootstrap peer ${o.target} (network.bootstrap)`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return net.connected[0]!;
  };
  net.connect(o.target);
  let cursor: { slot?: Slot; lastKey?: Uint8Array; finished?: boolean } = {};
  let entries = 0;
  let failures = 0;
  const t0 = Date.now();
  const bar = new ProgressBar(`bootstrap from ${o.target}`);
  let lastLog = 0;
  try {
    for (; o.state; ) {
      try {
        const peer = await connected();
        peer.send({
          type: "bootstrapAsk",
          slot: cursor.slot,
          lastKey: cursor.lastKey,
          finished: cursor.finished ?? false,
        });
        const part = await receivePart(o.fs, cursor, () => next("bootstrapPart"), o.target);
        entries += part.entries.length;
        if (part.finished && part.entries.length === 0) {
          const mine = o.fs.stateHash.fingerprint();
          if (Buffer.compare(Buffer.from(mine), Buffer.from(part.fingerprint)) !== 0) {
            throw new CliError(
              `bootstrap from ${o.target}: our state hash differs from the peer's at ${part.slot}; remove ${o.dataDir} and try another peer`,
            );
          }
        }
        cursor = {
          slot: part.slot,
          ...(part.lastKey ? { lastKey: part.lastKey } : {}),
          finished: part.finished,
        };
        if (o.fs.backlog.records > 32) await o.fs.drain();
        bar.update(entries, part.total);
        if (part.finished || Date.now() - lastLog >= 1000) {
          lastLog = Date.now();
          o.log.info(
            {
              entries,
              total: part.total,
              percent: part.finished
                ? 100
                : part.total > 0
                  ? Math.min(99, Math.floor((100 * entries) / part.total))
                  : 0,
              slot: part.slot.toJSON(),
              finished: part.finished,
            },
            "bootstrap: state",
          );
        }
        if (part.finished && part.entries.length === 0) break;
      } catch (e) {
        if (e instanceof CliError || ++failures > 10) throw e;
        o.log.warn({ err: (e as Error).message, retry: failures }, "bootstrap interrupted: resuming");
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const peer = await connected();
    peer.send({ type: "graphAsk" });
    // the graph comes in parts; a server sending more blocks than a graph can hold is cut off
    const blocks: Extract<Message, { type: "graph" }>["blocks"] = [];
    for (;;) {
      const part = await next("graph");
      blocks.push(...part.blocks);
      if (blocks.length > MAX_GRAPH_BLOCKS)
        throw new CliError(
          `${o.target} sent a graph of more than ${MAX_GRAPH_BLOCKS} blocks: bootstrap from another node`,
        );
      if (!part.more) break;
    }
    const g = { blocks };
    bar.finish(`${entries} records in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${g.blocks.length} blocks`);
    o.log.info(
      {
        entries,
        slot: o.fs.lastFinalSlot?.toJSON(),
        blocks: g.blocks.length,
        ms: Date.now() - t0,
        hash: o.fs.stateHash.toString(),
      },
      "bootstrap done",
    );
    return g.blocks.map((b) => ({ block: { header: b.header, operations: b.operations }, final: b.final }));
  } finally {
    await net.stop();
  }
}
