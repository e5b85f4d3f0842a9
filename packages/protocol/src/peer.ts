// One peer connection: length-prefixed framing (reassembled in linear time), the handshake proving the
// peer's node key and setting up the sealed channel (channel.ts), a bounded send queue, a message rate
// limit and keep-alive.
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { Address, type PublicKey } from "@massa-ts/models";
import {
  channelCiphers,
  EphemeralKey,
  type FrameCipher,
  type HelloFields,
  proofHash,
  type Role,
  SEAL_OVERHEAD,
  transcriptHash,
} from "./channel.js";
import { decodeMessage, encodeMessage, type Message, PROTOCOL_VERSION } from "./messages.js";
import type { Network } from "./network.js";

/** One connection: framing, handshake, sealed channel, bounded queue, rate limit, keep-alive. */
export class Peer {
  /** The peer's node key, once the handshake proved it. */
  publicKey: PublicKey | undefined;
  readonly remote: string;
  private chunks: Buffer[] = [];
  private pending = 0;
  private readonly nonce = new Uint8Array(randomBytes(32));
  private readonly ephemeral = new EphemeralKey();
  /** Who dialed: the transcript lists the dialing side first. */
  private readonly role: Role;
  private theirHello: Extract<Message, { type: "hello" }> | undefined;
  private transcript: Uint8Array | undefined;
  /** Seals what we send once our proof is out. */
  private sendCipher: FrameCipher | undefined;
  /** Opens what they send after their proof (kept aside until that proof checks). */
  private receiveCipher: FrameCipher | undefined;
  private pendingReceive: FrameCipher | undefined;
  private proved = false;
  private tokens: number;
  private lastRefill = Date.now();
  private lastSeen = Date.now();
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Set while reading is paused for the message budget. */
  private resumeTimer: NodeJS.Timeout | undefined;
  private throttledCount = 0;

  /** True once the connection is closed (nothing more is sent or received). */
  get isClosed(): boolean {
    return this.closed;
  }

  constructor(
    private readonly net: Network,
    readonly socket: Socket,
    /** For outbound connections: the configured "host:port" (reconnected when lost). */
    readonly target?: string,
  ) {
    this.remote = target ?? `${socket.remoteAddress}:${socket.remotePort}`;
    this.role = target !== undefined ? "initiator" : "responder";
    this.tokens = net.maxMessagesPerSecond * 2;
    socket.setNoDelay(true);
    socket.on("data", (d) => this.onData(d));
    socket.on("error", (e) => this.close(`socket error: ${e.message}`));
    socket.on("close", () => this.close("connection closed"));
    this.timers.push(
      setTimeout(() => {
        // closed, not banned: a slow link or a NAT shared with others is no attack
        if (!this.ready) this.close("no handshake in time");
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
      ephemeral: this.ephemeral.publicRaw,
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
    const out = this.frameOf(body);
    this.socket.cork();
    this.socket.write(out.head);
    this.socket.write(out.body);
    this.net.traffic.sent += out.head.length + out.body.length;
    this.socket.uncork();
    return true;
  }

  /**
   * The bytes of one frame carrying `body` as this connection sends it next (sealed once the handshake is
   * done): for a caller that writes them itself. Each call takes the next frame's place in the channel.
   */
  frameOf(body: Uint8Array): { head: Buffer; body: Uint8Array } {
    const out = this.sendCipher ? this.sendCipher.seal(body) : body;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(out.length);
    return { head, body: out };
  }

  /**
   * Reassembly in linear time: received chunks wait in a list and are joined once a whole frame is there
   * (joining per chunk copies a 4 MiB frame sent in 1 KB segments ~4 000 times).
   */
  private onData(d: Buffer): void {
    this.net.traffic.received += d.length;
    this.lastSeen = Date.now();
    this.chunks.push(d);
    this.pending += d.length;
    this.drain();
  }

  /**
   * Takes the whole frames received, one message token each. Out of tokens, the peer is throttled, never
   * banned for volume: reading pauses (TCP pushes back on the sender) until a token is due.
   */
  private drain(): void {
    while (!this.closed && this.resumeTimer === undefined && this.pending >= 4) {
      if (this.chunks[0]!.length < 4) this.join();
      const len = this.chunks[0]!.readUInt32BE(0);
      const limit = this.net.maxFrameBytes + (this.receiveCipher ? SEAL_OVERHEAD : 0);
      if (len === 0 || len > limit) {
        this.fail(`frame of ${len} bytes (limit ${limit})`);
        return;
      }
      if (this.pending < 4 + len) return;
      const wait = this.tokenWait();
      if (wait > 0) {
        this.throttledCount++;
        this.socket.pause();
        this.resumeTimer = setTimeout(() => {
          this.resumeTimer = undefined;
          if (this.closed) return;
          this.lastSeen = Date.now(); // throttled, not silent
          this.socket.resume();
          this.drain();
        }, wait);
        return;
      }
      if (this.chunks[0]!.length < 4 + len) this.join();
      const buf = this.chunks[0]!;
      let frame: Uint8Array | undefined = new Uint8Array(buf.subarray(4, 4 + len));
      const rest = buf.subarray(4 + len);
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
      this.pending -= 4 + len;
      if (this.receiveCipher) {
        frame = this.receiveCipher.open(frame);
        if (!frame) {
          // not sealed by the node that proved its key: bytes injected on the way, not that node's doing
          this.close("a frame failed authentication (injected or altered on the way): connection dropped");
          return;
        }
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

  /** Takes a message token (0 returned), or says how many ms until one is due (none taken). */
  private tokenWait(): number {
    const now = Date.now();
    const rate = this.net.maxMessagesPerSecond;
    this.tokens = Math.min(2 * rate, this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / rate));
    this.tokens -= 1;
    return 0;
  }

  /** Times reading paused because the peer sent more messages per second than allowed. */
  get throttled(): number {
    return this.throttledCount;
  }

  private onMessage(m: Message): void {
    if (!this.ready) {
      if (m.type === "hello" && !this.theirHello) {
        // another network or another version: closed, not banned (a ban by IP would shut out every node
        // behind the same address, e.g. a local devnet's)
        if (m.chainId !== this.net.chainId) {
          this.close(`peer runs chain ${m.chainId}, we run ${this.net.chainId}`);
          return;
        }
        if (m.version !== PROTOCOL_VERSION) {
          this.close(`peer speaks protocol ${m.version}, we speak ${PROTOCOL_VERSION}`);
          return;
        }
        if (m.publicKey.equals(this.net.nodeKey.publicKey)) {
          this.close("connected to ourselves"); // a config listing our own address: not a peer to ban
          return;
        }
        this.theirHello = m;
        const ours: HelloFields = {
          publicKey: this.net.nodeKey.publicKey,
          nonce: this.nonce,
          ephemeral: this.ephemeral.publicRaw,
        };
        const [i, r] = this.role === "initiator" ? [ours, m] : [m, ours];
        this.transcript = transcriptHash(this.net.chainId, i, r);
        let shared: Uint8Array;
        try {
          shared = this.ephemeral.shared(m.ephemeral);
        } catch (e) {
          this.fail(`bad ephemeral key: ${(e as Error).message}`);
          return;
        }
        const ciphers = channelCiphers(shared, this.transcript, this.role);
        this.send({ type: "proof", signature: this.net.nodeKey.sign(proofHash(this.transcript, this.role)) });
        // everything after our proof is sealed; theirs is opened once their proof checks
        this.sendCipher = ciphers.send;
        this.pendingReceive = ciphers.receive;
        return;
      }
      if (m.type === "proof" && this.theirHello) {
        const theirRole: Role = this.role === "initiator" ? "responder" : "initiator";
        const h = proofHash(this.transcript!, theirRole);
        if (!this.theirHello.publicKey.verify(h, m.signature)) {
          this.fail("bad handshake signature");
          return;
        }
        this.receiveCipher = this.pendingReceive;
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
    clearTimeout(this.resumeTimer);
    this.socket.destroy();
    this.net.closed(this, reason);
  }
}
