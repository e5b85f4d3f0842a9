// The peer set: listening, dialing configured peers with backoff, bans by IP and node key, broadcast.
import { connect, createServer, type Server } from "node:net";
import { type BlockLimits, MASSA_BLOCK_LIMITS, type PublicKey, type SecretKey } from "@massa-ts/models";
import { parsePeerAddress } from "./address.js";
import { BanList } from "./bans.js";
import { encodeMessage, type Message } from "./messages.js";
import { Peer } from "./peer.js";

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export interface NetworkOptions {
  readonly chainId: bigint;
  /** This node's identity key (not a staking key): proves who we are at the handshake. */
  readonly nodeKey: SecretKey;
  /** Largest accepted frame (type byte + body). Default 4 MiB. */
  readonly maxFrameBytes?: number;
  /** Bytes queued for one peer before it is dropped as too slow. Default 16 MiB. */
  readonly maxQueueBytes?: number;
  /** Messages per second a peer may send (token bucket, burst of twice that). Default 2 000. */
  readonly maxMessagesPerSecond?: number;
  /** How long a ban lasts, ms. Default 10 minutes. */
  readonly banMs?: number;
  /** Keep-alive ping interval, ms; a peer silent for three intervals is dropped. Default 10 s. */
  readonly pingMs?: number;
  /** A handshake must complete within this, ms. Default 5 s. */
  readonly handshakeMs?: number;
  /** Connections at most (default 64); slots are kept free for the configured peers this node dials. */
  readonly maxPeers?: number;
  /** Inbound connections from one IP at most (default 8): one host cannot take every slot. */
  readonly maxPeersPerIp?: number;
  readonly blockLimits?: BlockLimits;
  /** Messages from handshaken peers (never handshake or keep-alive ones). */
  readonly onMessage?: (peer: Peer, m: Message) => void;
  /**
   * A peer admitted ("connected"), one of those gone ("closed"), or one that proved its key but was turned
   * away ("refused": blocked, banned, a duplicate, or not the node pinned for the address).
   */
  readonly onPeer?: (peer: Peer, event: "connected" | "closed" | "refused", reason?: string) => void;
  /** A message this node tried to send but did not: its frame is over `maxFrameBytes` (a bug of the caller). */
  readonly onOversize?: (peer: Peer, type: Message["type"], bytes: number) => void;
}

/**
 * The peer set: a TCP server, outbound connections to configured peers with reconnect and exponential
 * backoff, bans (by IP and by node key) with expiry, a bound on peers.
 */
export class Network {
  readonly chainId: bigint;
  readonly nodeKey: SecretKey;
  readonly maxFrameBytes: number;
  readonly maxQueueBytes: number;
  readonly maxMessagesPerSecond: number;
  readonly banMs: number;
  readonly pingMs: number;
  readonly handshakeMs: number;
  readonly maxPeers: number;
  readonly maxPeersPerIp: number;
  readonly blockLimits: BlockLimits;
  private readonly peers = new Set<Peer>();
  /** Bytes sent and received on every connection since the start (frames with their headers, sealed). */
  readonly traffic = { sent: 0, received: 0 };
  /** Bans by node key and by IP, and the peers whitelist (the private API reads and changes them). */
  readonly bans: BanList;
  private server: Server | undefined;
  /** Configured peers: backoff state, and the node key the address answered with last. */
  private readonly wanted = new Map<
    string,
    { attempt: number; timer?: NodeJS.Timeout; key?: string; pinned?: PublicKey }
  >();
  /** Peers {@link admit} let in (a peer refused after its handshake never counts as connected). */
  private readonly admitted = new Set<Peer>();
  private readonly blocked = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: NetworkOptions) {
    this.chainId = opts.chainId;
    this.nodeKey = opts.nodeKey;
    this.maxFrameBytes = opts.maxFrameBytes ?? 4 * 1024 * 1024;
    this.maxQueueBytes = opts.maxQueueBytes ?? 16 * 1024 * 1024;
    this.maxMessagesPerSecond = opts.maxMessagesPerSecond ?? 2000;
    this.banMs = opts.banMs ?? 10 * 60_000;
    this.pingMs = opts.pingMs ?? 10_000;
    this.handshakeMs = opts.handshakeMs ?? 5_000;
    this.maxPeers = opts.maxPeers ?? 64;
    this.maxPeersPerIp = opts.maxPeersPerIp ?? 8;
    this.bans = new BanList(this.banMs);
    this.blockLimits = opts.blockLimits ?? MASSA_BLOCK_LIMITS;
  }

  /** The "host:port" addresses this node keeps dialing (configured peers, minus its own address). */
  get configuredPeers(): string[] {
    return [...this.wanted.keys()];
  }

  /** Handshaken peers. */
  get connected(): Peer[] {
    return [...this.admitted];
  }

  /** Listens on host:port (port 0 = a free one); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    this.server = createServer((socket) => {
      const ip = socket.remoteAddress ?? "";
      if (this.isBanned(ip) || !this.inboundRoom(ip)) {
        socket.destroy();
        return;
      }
      this.peers.add(new Peer(this, socket));
    });
    return new Promise((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => {
        const a = this.server!.address();
        resolve(typeof a === "object" && a ? a.port : port);
      });
    });
  }

  /**
   * Whether an inbound connection from `ip` fits: under the per-IP bound, and under `maxPeers` minus the
   * slots kept for the configured peers not connected yet (an attacker filling every slot cannot keep this
   * node from reaching the peers it chose).
   */
  private inboundRoom(ip: string): boolean {
    let inbound = 0;
    let fromIp = 0;
    for (const p of this.peers) {
      if (p.target !== undefined) continue;
      inbound++;
      if (p.socket.remoteAddress === ip) fromIp++;
    }
    if (fromIp >= this.maxPeersPerIp && !this.bans.isWhitelisted(ip)) return false;
    const outbound = this.peers.size - inbound;
    const reserved = Math.max(0, this.wanted.size - outbound);
    return this.peers.size + reserved < this.maxPeers;
  }

  /**
   * Keeps a connection to "host:port" or "N…@host:port", reconnecting with backoff (0.5 s doubling up to
   * 30 s). A pinned address admits only that node key (another one is dropped, not banned: the address
   * may simply have changed hands).
   */
  connect(address: string): void {
    const { hostPort, nodeKey } = parsePeerAddress(address);
    if (!this.wanted.has(hostPort))
      this.wanted.set(hostPort, { attempt: 0, ...(nodeKey ? { pinned: nodeKey } : {}) });
    this.dial(hostPort);
  }

  private dial(hostPort: string): void {
    if (this.stopped) return;
    const i = hostPort.lastIndexOf(":");
    const host = hostPort.slice(0, i);
    // connecting first: writes made before the connection is up are buffered by the socket
    const socket = connect(Number(hostPort.slice(i + 1)), host);
    this.peers.add(new Peer(this, socket, hostPort));
  }

  private reconnectLater(hostPort: string): void {
    const w = this.wanted.get(hostPort);
    if (!w || this.stopped || w.timer) return;
    const delay = Math.min(30_000, 500 * 2 ** w.attempt);
    w.attempt++;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      // still connected to that node through a connection it dialed: nothing to do until that one closes
      if (w.key !== undefined && this.connectedTo(w.key)) return;
      this.dial(hostPort);
    }, delay);
  }

  private connectedTo(key: string): boolean {
    for (const p of this.admitted) if (p.publicKey!.toString() === key) return true;
    return false;
  }

  /** Whether a node key ("P…") or an IP is banned now. */
  isBanned(key: string): boolean {
    return this.bans.isBanned(key);
  }

  /**
   * Bans the peer: its node key once the handshake proved it (other nodes behind the same IP, e.g. a local
   * devnet, keep working), else its IP.
   */
  ban(peer: Peer, reason: string): void {
    if (peer.publicKey) this.bans.ban(peer.publicKey.toString(), reason);
    else if (peer.socket.remoteAddress) this.bans.ban(peer.socket.remoteAddress, reason);
  }

  /**
   * An operator's ban (private API `node_ban_by_id` / `node_ban_by_ip`): node keys ("P…") or IPs, for the
   * ban period; their connections close now.
   */
  banIds(ids: readonly string[], reason: string): void {
    for (const id of ids) this.bans.ban(id, reason);
    for (const p of this.connected)
      if (this.isBanned(p.publicKey!.toString()) || this.isBanned(p.socket.remoteAddress ?? ""))
        p.close(`banned: ${reason}`);
  }

  /** Current bans: key (IP or node key) → reason. */
  banned(): Map<string, string> {
    return this.bans.current();
  }

  /**
   * Stops talking to these node keys without banning them (an operator's "drop peer", or a test's network
   * partition): their connections close and their handshakes are refused until {@link unblock}.
   */
  block(keys: readonly PublicKey[]): void {
    for (const k of keys) this.blocked.add(k.toString());
    for (const p of this.connected)
      if (this.blocked.has(p.publicKey!.toString())) p.close("blocked by this node");
  }

  unblock(keys: readonly PublicKey[]): void {
    for (const k of keys) this.blocked.delete(k.toString());
    // configured peers waiting out a backoff are dialed again now
    for (const [target, w] of this.wanted) {
      if (w.timer) clearTimeout(w.timer);
      w.timer = undefined;
      w.attempt = 0;
      if (w.key !== undefined && this.connectedTo(w.key)) continue;
      if (![...this.peers].some((p) => p.target === target)) this.dial(target);
    }
  }

  /** Called by a peer whose handshake succeeded: refuses banned, blocked and duplicate keys. */
  admit(peer: Peer): boolean {
    const key = peer.publicKey!.toString();
    const pinned = peer.target ? this.wanted.get(peer.target)!.pinned : undefined;
    if (pinned && !pinned.equals(peer.publicKey!)) {
      peer.close(
        `${peer.target} answered as node ${peer.publicKey!.toNodeId()}, not the pinned ${pinned.toNodeId()}`,
      );
      return false;
    }
    if (peer.target) this.wanted.get(peer.target)!.key = key;
    if (this.blocked.has(key)) {
      peer.close("blocked by this node");
      return false;
    }
    if (this.isBanned(key)) {
      peer.close("banned node key");
      return false;
    }
    const dup = [...this.admitted].find((p) => p.publicKey!.equals(peer.publicKey!));
    if (dup) {
      if (!this.keepNewOf(dup, peer)) {
        peer.close("already connected to this node");
        return false;
      }
      dup.close("replaced by the connection the other node keeps too");
    }
    if (peer.target) this.wanted.get(peer.target)!.attempt = 0;
    this.admitted.add(peer);
    this.opts.onPeer?.(peer, "connected");
    return true;
  }

  /**
   * Two connections to one node (typically both nodes dialed each other at once): both ends must keep the
   * same one, or each closes the other's and they redial in step forever. Kept: the one dialed by the node
   * with the smaller key. Two connections in the same direction: the older stays.
   */
  private keepNewOf(old: Peer, fresh: Peer): boolean {
    const weDialedFresh = fresh.target !== undefined;
    if (weDialedFresh === (old.target !== undefined)) return false;
    const weAreSmaller = compareBytes(this.nodeKey.publicKey.raw, fresh.publicKey!.raw) < 0;
    return weDialedFresh === weAreSmaller;
  }

  deliver(peer: Peer, m: Message): void {
    this.opts.onMessage?.(peer, m);
  }

  closed(peer: Peer, reason: string): void {
    this.peers.delete(peer);
    const wasIn = this.admitted.delete(peer);
    if (wasIn) this.opts.onPeer?.(peer, "closed", reason);
    else if (peer.publicKey) this.opts.onPeer?.(peer, "refused", reason);
    // our own address among the peers: never dialed again. Otherwise, after a violation too (a ban on its
    // key refuses it at the handshake until the ban expires), with backoff.
    if (reason === "connected to ourselves" && peer.target) this.wanted.delete(peer.target);
    else if (peer.target) this.reconnectLater(peer.target);
    // lost a connection the other node dialed: our own address for it is dialed again
    if (wasIn && !peer.target) {
      const key = peer.publicKey!.toString();
      for (const [target, w] of this.wanted)
        if (w.key === key && ![...this.peers].some((p) => p.target === target)) this.reconnectLater(target);
    }
  }

  /** Sends to every handshaken peer except `except`. */
  broadcast(m: Message, except?: Peer): void {
    const to = this.connected.filter((p) => p !== except);
    if (to.length === 0) return;
    const body = encodeMessage(m);
    for (const p of to) p.sendEncoded(m.type, body);
  }

  /** Called by a peer that refused to send an oversized frame. */
  onOversize(peer: Peer, type: Message["type"], bytes: number): void {
    this.opts.onOversize?.(peer, type, bytes);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wanted.values()) clearTimeout(w.timer);
    for (const p of [...this.peers]) p.close("network stopped");
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
