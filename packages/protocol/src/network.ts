import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import {
  Address,
  type BlockLimits,
  blake3,
  concatBytes,
  MASSA_BLOCK_LIMITS,
  type PublicKey,
  type SecretKey,
  u64be,
} from "@massa-ts/models";
import { decodeMessage, encodeMessage, MAX_LIST_ITEMS, type Message, PROTOCOL_VERSION } from "./messages.js";

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
  readonly maxPeers?: number;
  readonly blockLimits?: BlockLimits;
  /** Messages from handshaken peers (never handshake or keep-alive ones). */
  readonly onMessage?: (peer: Peer, m: Message) => void;
  readonly onPeer?: (peer: Peer, event: "connected" | "closed", reason?: string) => void;
  /** A message this node tried to send but did not: its frame is over `maxFrameBytes` (a bug of the caller). */
  readonly onOversize?: (peer: Peer, type: Message["type"], bytes: number) => void;
}

/**
 * Operations split into messages of at most `maxBytes` serialized operation bytes each (and at most
 * {@link MAX_LIST_ITEMS}): what a node relays stays far below any peer's frame limit.
 */
export function operationBatches<T extends { readonly serializedSize: number }>(
  ops: readonly T[],
  maxBytes = 1024 * 1024,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const op of ops) {
    if (cur.length > 0 && (bytes + op.serializedSize > maxBytes || cur.length >= MAX_LIST_ITEMS)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(op);
    bytes += op.serializedSize;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

const HANDSHAKE_DOMAIN = new TextEncoder().encode("massa-ts handshake v1");

/** What a node signs to prove its key: domain ‖ chain id ‖ the other side's nonce ‖ its own public key. */
function handshakeHash(chainId: bigint, peerNonce: Uint8Array, own: PublicKey): Uint8Array {
  return blake3(concatBytes(HANDSHAKE_DOMAIN, u64be(chainId), peerNonce, own.toBytes()));
}

/** One connection: framing, handshake, bounded queue, rate limit, keep-alive. */
export class Peer {
  /** The peer's node key, once the handshake proved it. */
  publicKey: PublicKey | undefined;
  readonly remote: string;
  private chunks: Buffer[] = [];
  private pending = 0;
  private readonly nonce = new Uint8Array(randomBytes(32));
  private theirHello: Extract<Message, { type: "hello" }> | undefined;
  private proved = false;
  private tokens: number;
  private lastRefill = Date.now();
  private lastSeen = Date.now();
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly net: Network,
    readonly socket: Socket,
    /** For outbound connections: the configured "host:port" (reconnected when lost). */
    readonly target?: string,
  ) {
    this.remote = target ?? `${socket.remoteAddress}:${socket.remotePort}`;
    this.tokens = net.maxMessagesPerSecond * 2;
    socket.setNoDelay(true);
    socket.on("data", (d) => this.onData(d));
    socket.on("error", (e) => this.close(`socket error: ${e.message}`));
    socket.on("close", () => this.close("connection closed"));
    this.timers.push(
      setTimeout(() => {
        if (!this.ready) this.fail("no handshake in time");
      }, net.handshakeMs),
    );
    this.timers.push(
      setInterval(() => {
        if (Date.now() - this.lastSeen > 3 * net.pingMs) {
          this.close("peer silent (keep-alive)");
          return;
        }
        if (this.ready) this.send({ type: "ping", nonce: BigInt(Date.now()) });
      }, net.pingMs),
    );
    this.send({
      type: "hello",
      version: PROTOCOL_VERSION,
      chainId: net.chainId,
      publicKey: net.nodeKey.publicKey,
      nonce: this.nonce,
    });
  }

  get ready(): boolean {
    return this.proved && this.publicKey !== undefined;
  }

  get address(): Address | undefined {
    return this.publicKey ? Address.fromPublicKey(this.publicKey) : undefined;
  }

  /**
   * Queues a message; a peer whose queue exceeds the bound is dropped (it cannot keep up). A message whose
   * frame would exceed the frame limit is not sent (peers would cut us for it): `false`, and the network's
   * `onOversize` hears of it. Callers split what can grow (see {@link operationBatches}).
   */
  send(m: Message): boolean {
    if (this.closed) return false;
    return this.sendEncoded(m.type, encodeMessage(m));
  }

  /** {@link send} of a message already encoded (a broadcast encodes once for every peer). */
  sendEncoded(type: Message["type"], body: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.socket.writableLength > this.net.maxQueueBytes) {
      this.close(`send queue above ${this.net.maxQueueBytes} bytes: peer too slow`);
      return false;
    }
    if (body.length > this.net.maxFrameBytes) {
      this.net.onOversize(this, type, body.length);
      return false;
    }
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(body);
    this.socket.uncork();
    return true;
  }

  /**
   * Reassembly in linear time: received chunks wait in a list and are joined once a whole frame is there
   * (joining per chunk copies a 4 MiB frame sent in 1 KB segments ~4 000 times).
   */
  private onData(d: Buffer): void {
    this.lastSeen = Date.now();
    this.chunks.push(d);
    this.pending += d.length;
    while (!this.closed && this.pending >= 4) {
      if (this.chunks[0]!.length < 4) this.join();
      const len = this.chunks[0]!.readUInt32BE(0);
      if (len === 0 || len > this.net.maxFrameBytes) {
        this.fail(`frame of ${len} bytes (limit ${this.net.maxFrameBytes})`);
        return;
      }
      if (this.pending < 4 + len) return;
      if (this.chunks[0]!.length < 4 + len) this.join();
      const buf = this.chunks[0]!;
      const frame = new Uint8Array(buf.subarray(4, 4 + len));
      const rest = buf.subarray(4 + len);
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
      this.pending -= 4 + len;
      if (!this.takeToken()) {
        this.fail(`more than ${this.net.maxMessagesPerSecond} messages per second`);
        return;
      }
      let m: Message;
      try {
        m = decodeMessage(frame, this.net.chainId, this.net.blockLimits);
      } catch (e) {
        this.fail(`undecodable message: ${(e as Error).message}`);
        return;
      }
      this.onMessage(m);
    }
  }

  /** The received chunks as one buffer. */
  private join(): void {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.pending)];
  }

  private takeToken(): boolean {
    const now = Date.now();
    const cap = this.net.maxMessagesPerSecond * 2;
    this.tokens = Math.min(
      cap,
      this.tokens + ((now - this.lastRefill) * this.net.maxMessagesPerSecond) / 1000,
    );
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private onMessage(m: Message): void {
    if (!this.ready) {
      if (m.type === "hello" && !this.theirHello) {
        if (m.chainId !== this.net.chainId) {
          this.fail(`peer runs chain ${m.chainId}, we run ${this.net.chainId}`);
          return;
        }
        if (m.version !== PROTOCOL_VERSION) {
          this.fail(`peer speaks protocol ${m.version}, we speak ${PROTOCOL_VERSION}`);
          return;
        }
        if (m.publicKey.equals(this.net.nodeKey.publicKey)) {
          this.fail("connected to ourselves");
          return;
        }
        this.theirHello = m;
        this.send({
          type: "proof",
          signature: this.net.nodeKey.sign(
            handshakeHash(this.net.chainId, m.nonce, this.net.nodeKey.publicKey),
          ),
        });
        return;
      }
      if (m.type === "proof" && this.theirHello) {
        const h = handshakeHash(this.net.chainId, this.nonce, this.theirHello.publicKey);
        if (!this.theirHello.publicKey.verify(h, m.signature)) {
          this.fail("bad handshake signature");
          return;
        }
        this.proved = true;
        this.publicKey = this.theirHello.publicKey;
        if (!this.net.admit(this)) return;
        return;
      }
      this.fail(`${m.type} message before the handshake`);
      return;
    }
    if (m.type === "hello" || m.type === "proof") {
      this.fail(`${m.type} after the handshake`);
      return;
    }
    if (m.type === "ping") {
      this.send({ type: "pong", nonce: m.nonce });
      return;
    }
    if (m.type === "pong") return;
    this.net.deliver(this, m);
  }

  /** Protocol violation: disconnect and ban. */
  fail(reason: string): void {
    this.net.ban(this, reason);
    this.close(`protocol violation: ${reason}`);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.socket.destroy();
    this.net.closed(this, reason);
  }
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
  readonly blockLimits: BlockLimits;
  private readonly peers = new Set<Peer>();
  private readonly bans = new Map<string, { until: number; reason: string }>();
  private server: Server | undefined;
  private readonly wanted = new Map<string, { attempt: number; timer?: NodeJS.Timeout }>();
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
    this.blockLimits = opts.blockLimits ?? MASSA_BLOCK_LIMITS;
  }

  /** Handshaken peers. */
  get connected(): Peer[] {
    return [...this.peers].filter((p) => p.ready);
  }

  /** Listens on host:port (port 0 = a free one); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    this.server = createServer((socket) => {
      const ip = socket.remoteAddress ?? "";
      if (this.isBanned(ip) || this.peers.size >= this.maxPeers) {
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

  /** Keeps a connection to host:port, reconnecting with backoff (0.5 s doubling up to 30 s). */
  connect(hostPort: string): void {
    if (!this.wanted.has(hostPort)) this.wanted.set(hostPort, { attempt: 0 });
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
    if (!w || this.stopped) return;
    const delay = Math.min(30_000, 500 * 2 ** w.attempt);
    w.attempt++;
    w.timer = setTimeout(() => this.dial(hostPort), delay);
  }

  isBanned(key: string): boolean {
    const b = this.bans.get(key);
    if (!b) return false;
    if (b.until < Date.now()) {
      this.bans.delete(key);
      return false;
    }
    return true;
  }

  /**
   * Bans the peer: its node key once the handshake proved it (other nodes behind the same IP, e.g. a local
   * devnet, keep working), else its IP.
   */
  ban(peer: Peer, reason: string): void {
    const until = Date.now() + this.banMs;
    if (peer.publicKey) this.bans.set(peer.publicKey.toString(), { until, reason });
    else if (peer.socket.remoteAddress) this.bans.set(peer.socket.remoteAddress, { until, reason });
    if (this.bans.size > 10_000) this.bans.delete(this.bans.keys().next().value!);
  }

  /** Current bans: key (IP or node key) → reason. */
  banned(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, b] of this.bans) if (b.until >= Date.now()) out.set(k, b.reason);
    return out;
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
      w.attempt = 0;
      if (![...this.peers].some((p) => p.target === target)) this.dial(target);
    }
  }

  /** Called by a peer whose handshake succeeded: refuses banned, blocked and duplicate keys. */
  admit(peer: Peer): boolean {
    const key = peer.publicKey!.toString();
    if (this.blocked.has(key)) {
      peer.close("blocked by this node");
      return false;
    }
    if (this.isBanned(key)) {
      peer.close("banned node key");
      return false;
    }
    if (this.connected.some((p) => p !== peer && p.publicKey!.equals(peer.publicKey!))) {
      peer.close("already connected to this node");
      return false;
    }
    if (peer.target) this.wanted.get(peer.target)!.attempt = 0;
    this.opts.onPeer?.(peer, "connected");
    return true;
  }

  deliver(peer: Peer, m: Message): void {
    this.opts.onMessage?.(peer, m);
  }

  closed(peer: Peer, reason: string): void {
    this.peers.delete(peer);
    if (peer.publicKey) this.opts.onPeer?.(peer, "closed", reason);
    if (peer.target && !reason.startsWith("protocol violation")) this.reconnectLater(peer.target);
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
