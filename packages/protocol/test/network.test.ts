// Peers over real TCP sockets on 127.0.0.1: handshake, delivery, and hostile peers (a raw socket speaking
// the wire format badly). Each case gets fresh networks so that bans of 127.0.0.1 do not leak between them.
import { connect, createServer, type Server, type Socket } from "node:net";
import { Amount, BlockId, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { EphemeralKey, encodeMessage, type Message, Network, PROTOCOL_VERSION } from "@massa-ts/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";

const te = new TextEncoder();
const key = (n: string) => new SecretKey(blake3(te.encode(`protocol-test-${n}`)));
const nets: Network[] = [];
afterEach(async () => {
  await Promise.all(nets.splice(0).map((n) => n.stop()));
});

function net(name: string, opts: Partial<ConstructorParameters<typeof Network>[0]> = {}) {
  const got: Message[] = [];
  const events: string[] = [];
  const n = new Network({
    chainId: 77n,
    nodeKey: key(name),
    onMessage: (_p, m) => got.push(m),
    onPeer: (_p, e, reason) => events.push(reason ? `${e}: ${reason}` : e),
    ...opts,
  });
  nets.push(n);
  return { n, got, events };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** `a` listening and `b` dialing it, both past the handshake (each proved its key). */
async function connectedPair(
  aOpts: Partial<ConstructorParameters<typeof Network>[0]> = {},
  bOpts: Partial<ConstructorParameters<typeof Network>[0]> = {},
) {
  const a = net("a", aOpts);
  const b = net("b", bOpts);
  const port = await a.n.listen("127.0.0.1", 0);
  b.n.connect(`127.0.0.1:${port}`);
  await until(() => a.n.connected.length === 1 && b.n.connected.length === 1);
  return { a, b };
}

function frame(body: Uint8Array, len = body.length): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(len);
  return Buffer.concat([h, Buffer.from(body)]);
}

/** A raw client: connects and collects what the server sends until it closes. */
async function raw(port: number): Promise<{ s: Socket; closed: Promise<void> }> {
  const s = connect(port, "127.0.0.1");
  await new Promise((r) => s.once("connect", r));
  s.on("error", () => {});
  s.resume(); // consume what the server sends, so its close reaches us
  const closed = new Promise<void>((r) => s.once("close", () => r()));
  return { s, closed };
}

describe("network", () => {
  it("counts the bytes of every frame sent and received, as the sockets do", async () => {
    const { a, b } = await connectedPair();
    const op = SignedOperation.sign(
      { fee: Amount.ZERO, expirePeriod: 10, payload: { type: "RollBuy", rollCount: 1n } },
      key("sender"),
      77n,
    );
    a.n.broadcast({ type: "operations", operations: [op] });
    b.n.broadcast({ type: "opAnnounce", ids: [op.id] });
    await until(() => a.got.length > 0 && b.got.length > 0);
    const sa = a.n.connected[0]!.socket;
    const sb = b.n.connected[0]!.socket;
    // Node's own socket counters: what one side wrote is what the other read, handshake included
    await until(() => a.n.traffic.received === sb.bytesWritten && b.n.traffic.received === sa.bytesWritten);
    expect(a.n.traffic.sent).toBe(sa.bytesWritten);
    expect(b.n.traffic.sent).toBe(sb.bytesWritten);
    expect(a.n.traffic.received).toBe(sa.bytesRead);
    expect(a.n.traffic.sent).toBeGreaterThan(op.serializedSize);
  });

  it("two nodes handshake, prove their keys and exchange operations", async () => {
    const { a, b } = await connectedPair();
    expect(a.n.connected[0]!.publicKey!.equals(key("b").publicKey)).toBe(true);
    const op = SignedOperation.sign(
      { fee: Amount.fromMas("0.01"), expirePeriod: 9, payload: { type: "RollBuy", rollCount: 2n } },
      key("sender"),
      77n,
    );
    b.n.broadcast({ type: "operations", operations: [op] });
    await until(() => a.got.length === 1);
    const m = a.got[0]!;
    expect(m.type === "operations" && m.operations[0]!.id.equals(op.id)).toBe(true);
    expect(m.type === "operations" && m.operations[0]!.verifySignature()).toBe(true);
  });

  it("another chain id or protocol version: closed at the hello, not banned (nodes behind the same IP stay welcome)", async () => {
    const a = net("a");
    const port = await a.n.listen("127.0.0.1", 0);
    for (const [chainId, version] of [
      [78n, PROTOCOL_VERSION],
      [77n, PROTOCOL_VERSION + 1],
    ] as const) {
      const { s, closed } = await raw(port);
      s.write(
        frame(
          encodeMessage({
            type: "hello",
            version,
            chainId,
            publicKey: key("elsewhere").publicKey,
            nonce: new Uint8Array(32),
            ephemeral: new EphemeralKey().publicRaw,
          }),
        ),
      );
      await closed;
    }
    expect(a.n.banned().size).toBe(0);
    const b = net("b");
    b.n.connect(`127.0.0.1:${port}`);
    await until(() => a.n.connected.length === 1);
  });

  it("reconnects to a configured peer with backoff when the connection is lost", async () => {
    const a = net("a");
    const b = net("b");
    const port = await a.n.listen("127.0.0.1", 0);
    b.n.connect(`127.0.0.1:${port}`);
    await until(() => b.n.connected.length === 1);
    await a.n.stop();
    await until(() => b.n.connected.length === 0);
    const a2 = net("a2");
    await a2.n.listen("127.0.0.1", port);
    await until(() => b.n.connected.length === 1, 10_000);
    expect(b.n.connected[0]!.publicKey!.equals(key("a2").publicKey)).toBe(true);
    expect(b.events).toEqual(["connected", expect.stringMatching(/^closed/), "connected"]);
  });

  it("two nodes dialing each other at once keep one connection, the same at both ends, across partitions", async () => {
    const a = net("a");
    const b = net("b");
    const pa = await a.n.listen("127.0.0.1", 0);
    const pb = await b.n.listen("127.0.0.1", 0);
    a.n.connect(`127.0.0.1:${pb}`);
    b.n.connect(`127.0.0.1:${pa}`);
    // the rule both ends apply: keep the connection dialed by the smaller node key
    const aSmaller =
      Buffer.compare(Buffer.from(key("a").publicKey.raw), Buffer.from(key("b").publicKey.raw)) < 0;
    const settled = () => {
      const [x, y] = [a.n.connected, b.n.connected];
      if (x.length !== 1 || y.length !== 1) return false;
      return (
        x[0]!.socket.localPort === y[0]!.socket.remotePort &&
        x[0]!.socket.remotePort === y[0]!.socket.localPort
      );
    };
    for (let round = 0; round < 5; round++) {
      // within the first backoff (0.5 s): a pair that closed each other's connection would still be redialing
      await until(settled, 450);
      expect(a.n.connected[0]!.target !== undefined, `round ${round}: a dialed the kept connection`).toBe(
        aSmaller,
      );
      a.n.block([key("b").publicKey]);
      b.n.block([key("a").publicKey]);
      await until(() => a.n.connected.length === 0 && b.n.connected.length === 0);
      a.n.unblock([key("b").publicKey]);
      b.n.unblock([key("a").publicKey]);
    }
    await until(settled, 450);
    // no connection event other than the kept ones and those closed by the partitions or replaced
    for (const e of [...a.events, ...b.events])
      expect(e).toMatch(
        /^connected$|^closed: (blocked by this node|connection closed|replaced by)|^refused: (already connected|blocked)/,
      );
  });

  it("a pinned address admits only its node key: another node answering there is dropped, not banned", async () => {
    const a = net("a");
    const port = await a.n.listen("127.0.0.1", 0);
    const wrong = net("b");
    wrong.n.connect(`${key("someone-else").publicKey.toNodeId()}@127.0.0.1:${port}`);
    await until(
      () => wrong.events.some((e) => e.startsWith("refused") && e.includes("not the pinned")),
      3000,
    );
    expect(wrong.n.connected).toHaveLength(0);
    expect(wrong.n.banned().size).toBe(0);
    expect(wrong.events.filter((e) => e === "connected")).toHaveLength(0);
    const right = net("c");
    right.n.connect(`${key("a").publicKey.toNodeId()}@127.0.0.1:${port}`);
    await until(() => right.n.connected.length === 1);
    expect(right.n.connected[0]!.publicKey!.equals(key("a").publicKey)).toBe(true);
  });

  it("one IP takes at most maxPeersPerIp inbound slots, and slots stay free for the peers a node dials", async () => {
    const a = net("a", { maxPeers: 4, maxPeersPerIp: 2 });
    const port = await a.n.listen("127.0.0.1", 0);
    // a configured peer a has not reached yet keeps one of the 4 slots
    const gone = net("gone");
    const pg = await gone.n.listen("127.0.0.1", 0);
    await gone.n.stop();
    a.n.connect(`127.0.0.1:${pg}`);
    /** A raw connection from a loopback address; `closed` settles when the node cuts it. */
    const from = async (local: string) => {
      const s = connect({ port, host: "127.0.0.1", localAddress: local });
      s.on("error", () => {});
      s.resume();
      let cut = false;
      const closed = new Promise<void>((r) =>
        s.once("close", () => {
          cut = true;
          r();
        }),
      );
      await new Promise((r) => s.once("connect", r));
      return { s, closed, cut: () => cut };
    };
    // one IP: 2 connections stay, the third is closed at once (no ban)
    const first = [await from("127.0.0.1"), await from("127.0.0.1")];
    await (await from("127.0.0.1")).closed;
    // another IP: one more fits (3 inbound + 1 slot kept for the configured peer = 4)
    const second = await from("127.0.0.2");
    await (await from("127.0.0.3")).closed; // none is left
    expect([...first, second].map((c) => c.cut())).toEqual([false, false, false]);
    expect(a.n.banned().size).toBe(0);
    for (const c of [...first, second]) c.s.destroy();
  });

  it("a relayed handshake (B's nonce forwarded to A, A's proof to B) fails: the relayer is admitted by neither", async () => {
    const a = net("a");
    const b = net("b");
    const pa = await a.n.listen("127.0.0.1", 0);
    const pb = await b.n.listen("127.0.0.1", 0);
    // Mallory dials both and pipes the bytes between them: each node sees the other's hello and proof
    const toA = connect(pa, "127.0.0.1");
    const toB = connect(pb, "127.0.0.1");
    for (const s of [toA, toB]) s.on("error", () => {});
    toA.on("data", (d) => toB.write(d));
    toB.on("data", (d) => toA.write(d));
    await until(() => a.n.banned().size === 1 && b.n.banned().size === 1, 3000);
    // each signed the transcript with itself as the dialed side: the relayed proofs match neither
    expect([...a.n.banned().values(), ...b.n.banned().values()]).toEqual([
      "bad handshake signature",
      "bad handshake signature",
    ]);
    expect(a.n.connected).toHaveLength(0);
    expect(b.n.connected).toHaveLength(0);
  });

  it("through a man in the middle, the channel is sealed: a frame he injects is refused, and nobody is banned", async () => {
    const a = net("a");
    const b = net("b");
    const pb = await b.n.listen("127.0.0.1", 0);
    // Mallory listens; A dials him, he dials B and forwards the bytes both ways
    let towardB: Socket | undefined;
    const mallory: Server = createServer((fromA) => {
      const toB = connect(pb, "127.0.0.1");
      towardB = toB;
      fromA.on("data", (d) => toB.write(d));
      toB.on("data", (d) => fromA.write(d));
      fromA.on("error", () => {});
      toB.on("error", () => {});
      fromA.on("close", () => toB.destroy());
      toB.on("close", () => fromA.destroy());
    });
    await new Promise<void>((r) => mallory.listen(0, "127.0.0.1", () => r()));
    const pm = (mallory.address() as { port: number }).port;
    try {
      a.n.connect(`127.0.0.1:${pm}`);
      // A and B are connected (the relay only forwards): each proved its key to the other
      await until(() => a.n.connected.length === 1 && b.n.connected.length === 1);
      expect(b.n.connected[0]!.publicKey!.equals(key("a").publicKey)).toBe(true);
      const op = (fee: string) =>
        SignedOperation.sign(
          { fee: Amount.fromMas(fee), expirePeriod: 9, payload: { type: "RollBuy", rollCount: 1n } },
          key("sender"),
          77n,
        );
      a.n.broadcast({ type: "operations", operations: [op("0.01")] });
      await until(() => b.got.length === 1);
      // Mallory speaks as A: a well-formed frame, unsealed
      towardB!.write(frame(encodeMessage({ type: "operations", operations: [op("0.02")] })));
      await until(() => b.n.connected.length === 0);
      expect(b.got).toHaveLength(1);
      expect(b.events.at(-1)).toMatch(/closed: a frame failed authentication/);
      // bytes injected on the way are not A's doing: A stays welcome
      expect(b.n.banned().size).toBe(0);
      expect(a.n.banned().size).toBe(0);
    } finally {
      await new Promise<void>((r) => mallory.close(() => r()));
      towardB?.destroy();
    }
  });

  it("a bad handshake signature: disconnected, banned, and the next connection from that IP refused", async () => {
    const a = net("a");
    const port = await a.n.listen("127.0.0.1", 0);
    const { s, closed } = await raw(port);
    const me = key("mallory");
    s.write(
      frame(
        encodeMessage({
          type: "hello",
          version: PROTOCOL_VERSION,
          chainId: 77n,
          publicKey: me.publicKey,
          nonce: new Uint8Array(32),
          ephemeral: new EphemeralKey().publicRaw,
        }),
      ),
    );
    s.write(frame(encodeMessage({ type: "proof", signature: me.sign(new Uint8Array(32)) })));
    await closed;
    expect([...a.n.banned().values()]).toContain("bad handshake signature");
    const again = await raw(port);
    await again.closed; // refused at once
    expect(a.n.connected).toHaveLength(0);
  });

  it("an oversized frame, garbage, or a message before the handshake: disconnected and banned", async () => {
    for (const [name, bytes, reason] of [
      ["oversized", frame(new Uint8Array(8), 5 * 1024 * 1024), /frame of 5242880 bytes/],
      ["garbage", frame(Uint8Array.of(250, 1, 2, 3)), /undecodable message: .*unknown message type/],
      ["early", frame(encodeMessage({ type: "ping", nonce: 1n })), /ping message before the handshake/],
    ] as const) {
      const a = net(`victim-${name}`);
      const port = await a.n.listen("127.0.0.1", 0);
      const { s, closed } = await raw(port);
      s.write(bytes);
      await closed;
      expect([...a.n.banned().values()].join()).toMatch(reason);
      await a.n.stop();
    }
  });

  it("bans of 10 000 fresh keys do not flush an IP ban (keys are free to make, IPs are not)", async () => {
    const a = net("victim-flush");
    const port = await a.n.listen("127.0.0.1", 0);
    const { s, closed } = await raw(port);
    s.write(frame(Uint8Array.of(250, 1, 2, 3))); // garbage before the handshake: the IP is banned
    await closed;
    expect(a.n.isBanned("127.0.0.1")).toBe(true);
    // what 10 000 handshakes by fresh keys, each then misbehaving, leave behind (a stand-in for each peer:
    // ten thousand real connections would only slow the test)
    for (let i = 0; i < 10_001; i++) {
      const stand = { publicKey: { toString: () => `P-fresh-${i}` }, socket: { remoteAddress: "10.0.0.9" } };
      a.n.ban(stand as unknown as Parameters<Network["ban"]>[0], "bad block");
    }
    expect(a.n.isBanned("P-fresh-0")).toBe(false); // the oldest key ban went
    expect(a.n.isBanned("P-fresh-10000")).toBe(true);
    expect(a.n.isBanned("127.0.0.1")).toBe(true);
    const again = await raw(port);
    await again.closed; // still refused at once
    expect(a.n.connected).toHaveLength(0);
  });

  it("a flood of messages above the rate limit: the sender is throttled, never banned; every message arrives, in order", async () => {
    const { a, b } = await connectedPair({ maxMessagesPerSecond: 100 }); // both sides proved
    const peer = b.n.connected[0]!;
    // 400 messages at once against 100 per second with a burst of 200: the second half waits ~2 s
    const ids = Array.from({ length: 400 }, (_, i) => new BlockId(blake3(te.encode(`flood-${i}`))));
    for (const blockId of ids) peer.send({ type: "askBlock", blockId });
    const seen = () => a.got.filter((m) => m.type === "askBlock").length;
    await until(() => seen() >= 200);
    expect(seen()).toBeLessThan(400); // held back, not dropped...
    expect(a.n.connected[0]!.throttled).toBeGreaterThan(0);
    await until(() => seen() === 400, 10_000); // ...and all delivered
    const got = a.got.flatMap((m) => (m.type === "askBlock" ? [m.blockId.toString()] : []));
    expect(got).toEqual(ids.map((id) => id.toString()));
    expect(a.n.banned().size).toBe(0);
    expect(a.n.connected).toHaveLength(1);
  });

  it("a handshake that never comes, or a node dialing itself: closed without a ban", async () => {
    const a = net("a", { handshakeMs: 100 });
    const port = await a.n.listen("127.0.0.1", 0);
    const { closed } = await raw(port); // says nothing
    await closed;
    a.n.connect(`127.0.0.1:${port}`); // our own address among our peers
    await until(() => a.n.configuredPeers.length === 0); // seen to be us: not dialed again
    expect(a.n.banned().size).toBe(0);
    const other = net("c");
    other.n.connect(`127.0.0.1:${port}`); // and another node from the same IP is still welcome
    await until(() => other.n.connected.length === 1);
  });

  it("a frame arriving in 1 KB segments is reassembled in linear time (each byte joined about once)", async () => {
    const { a, b } = await connectedPair();
    const op = SignedOperation.sign(
      {
        fee: Amount.ZERO,
        expirePeriod: 10,
        payload: {
          type: "ExecuteSC",
          bytecode: new Uint8Array(250_000),
          maxGas: 1n,
          maxCoins: Amount.ZERO,
          datastore: [],
        },
      },
      key("sender"),
      77n,
    );
    const body = encodeMessage({ type: "operations", operations: [op, op, op, op] });
    const f = b.n.connected[0]!.frameOf(body); // sealed, as the channel wants it
    const bytes = Buffer.concat([f.head, f.body]);
    const concat = vi.spyOn(Buffer, "concat");
    const socket = b.n.connected[0]!.socket;
    for (let i = 0; i < bytes.length; i += 1024) {
      socket.write(bytes.subarray(i, i + 1024));
      if (i % (64 * 1024) === 0) await new Promise((r) => setImmediate(r)); // let segments arrive apart
    }
    await until(() => a.got.some((m) => m.type === "operations"));
    const joined = concat.mock.calls.reduce((n, [list]) => n + list.reduce((k, x) => k + x.length, 0), 0);
    concat.mockRestore();
    // joining per segment would copy ~ size² / (2 × 1 KB) ≈ 500 MB here
    expect(joined).toBeLessThanOrEqual(2 * bytes.length);
    const got = a.got.find((m) => m.type === "operations") as Extract<Message, { type: "operations" }>;
    expect(got.operations.map((o) => o.id.toString())).toEqual(Array(4).fill(op.id.toString()));
  });

  it("a message over the frame limit is not sent (peers would cut us for it): onOversize hears of it", async () => {
    const refused: string[] = [];
    const a = net("a", {
      maxFrameBytes: 2000,
      onOversize: (_p, type, bytes) => refused.push(`${type}:${bytes}`),
    });
    const b = net("b");
    const port = await a.n.listen("127.0.0.1", 0);
    b.n.connect(`127.0.0.1:${port}`);
    await until(() => a.n.connected.length === 1 && b.n.connected.length === 1);
    const big = SignedOperation.sign(
      {
        fee: Amount.ZERO,
        expirePeriod: 10,
        payload: {
          type: "ExecuteSC",
          bytecode: new Uint8Array(3000),
          maxGas: 1n,
          maxCoins: Amount.ZERO,
          datastore: [],
        },
      },
      key("sender"),
      77n,
    );
    expect(a.n.connected[0]!.send({ type: "operations", operations: [big] })).toBe(false);
    a.n.broadcast({ type: "operations", operations: [big] });
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/^operations:3\d{3}$/);
    // the connection carries on: the next message that fits arrives
    const small = SignedOperation.sign(
      { fee: Amount.ZERO, expirePeriod: 10, payload: { type: "RollBuy", rollCount: 1n } },
      key("sender"),
      77n,
    );
    expect(a.n.connected[0]!.send({ type: "operations", operations: [small] })).toBe(true);
    await until(() => b.got.some((m) => m.type === "operations"));
    expect(b.n.connected).toHaveLength(1);
  });
});
