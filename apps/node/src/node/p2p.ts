// The node on the peer-to-peer network: the signature verifier's worker pool, the Network (listening and
// dialing the configured peers), and the dispatch of each peer message to the service that handles it.
import type { BlockLimits } from "@massa-ts/models";
import { type Message, Network, type Peer, SignatureVerifier } from "@massa-ts/protocol";
import type { Logger } from "pino";
import type { BlockIntake } from "./block-intake.js";
import type { BootstrapServer } from "./bootstrap-server.js";
import type { NodeConfig } from "./config.js";
import type { Relay } from "./relay.js";

/** The services peer messages go to. */
export interface PeerHandlers {
  readonly intake: BlockIntake;
  readonly relay: Relay;
  readonly bootstrapServer: BootstrapServer;
}

/** Routes one message from a handshaken peer. */
export function dispatch(h: PeerHandlers, peer: Peer, m: Message): void {
  switch (m.type) {
    case "header":
    case "blockOpIds":
    case "askOps":
    case "blockOps":
    case "askBlock":
      h.intake.onMessage(peer, m);
      return;
    case "operations":
      h.relay.onOperations(peer, m.operations);
      return;
    case "opAnnounce":
      h.relay.onAnnounce(peer, m.ids);
      return;
    case "askOperations":
      h.relay.onAskOperations(peer, m.ids);
      return;
    case "endorsements":
      h.relay.onEndorsements(peer, m.endorsements);
      return;
    case "bootstrapAsk":
      h.bootstrapServer.onAsk(peer, m);
      return;
    case "graphAsk":
      h.bootstrapServer.onGraphAsk(peer);
      return;
    default:
      return;
  }
}

/**
 * The verifier (at most ~5 s of one worker's output waits, about 20 MB of operations; beyond, relayed
 * operations are dropped unbanned: bench/flood.ts saw the queue and heap grow by ~500 MB with 200 000;
 * blocks' operations pass first and are never refused, the block queue bounds them).
 */
export function startVerifier(config: NodeConfig): SignatureVerifier {
  return new SignatureVerifier({
    threads: config.network.verify_threads,
    maxPending: 20_000,
    coalesce: true,
  });
}

/** Starts the network; resolves with it and the p2p port bound (when `network.listen` is set). */
export async function startNetwork(o: {
  readonly config: NodeConfig;
  readonly chainId: bigint;
  readonly nodeKey: Network["nodeKey"];
  readonly limits: BlockLimits;
  readonly log: Logger;
  readonly handlers: () => PeerHandlers;
}): Promise<{ network: Network; port: number | undefined }> {
  const c = o.config;
  const log = o.log;
  const network = new Network({
    chainId: o.chainId,
    nodeKey: o.nodeKey,
    maxMessagesPerSecond: c.network.max_messages_per_second,
    maxPeers: c.network.max_peers,
    maxPeersPerIp: c.network.max_peers_per_ip,
    banMs: c.network.ban_minutes * 60_000,
    blockLimits: o.limits,
    onMessage: (peer, m) => {
      try {
        dispatch(o.handlers(), peer, m);
      } catch (e) {
        log.error({ peer: peer.remote, type: m.type, err: (e as Error).message }, "peer message failed");
      }
    },
    onPeer: (peer, event, reason) => log.info({ peer: peer.remote, event, reason }, "peer"),
    onOversize: (peer, type, bytes) =>
      log.error({ peer: peer.remote, type, bytes }, "message over the frame limit not sent"),
  });
  let port: number | undefined;
  if (c.network.listen) {
    const i = c.network.listen.lastIndexOf(":");
    port = await network.listen(c.network.listen.slice(0, i), Number(c.network.listen.slice(i + 1)));
    const hostPort = `${c.network.listen.slice(0, i)}:${port}`;
    // the pinned address peers write to bootstrap from this node
    log.info({ listen: hostPort, nodeId: network.nodeKey.publicKey.toNodeId() }, "p2p listening");
  }
  for (const p of c.network.peers) network.connect(p);
  return { network, port };
}
