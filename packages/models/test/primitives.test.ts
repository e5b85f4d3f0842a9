import {
  Address,
  Amount,
  BlockId,
  ByteReader,
  blake3,
  EndorsementId,
  fromHex,
  PublicKey,
  SecretKey,
  SignedOperation,
  Slot,
  toHex,
} from "@massa-ts/models";
import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { describe, expect, it } from "vitest";

const cfg = { threadCount: 32, periodsPerCycle: 128, t0: 16_000, genesisTimestamp: 1_000 };

describe("primitives", () => {
  it("fromHex decodes what Node's own hex codec writes, in either case, and refuses anything else", () => {
    const seed = 20261202;
    console.log(`fromHex seed ${seed}`);
    let x = seed;
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(n % 67);
      for (let i = 0; i < bytes.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bytes[i] = x >>> 24;
      }
      const hex = Buffer.from(bytes).toString("hex");
      expect(fromHex(hex)).toEqual(bytes);
      expect(fromHex(hex.toUpperCase())).toEqual(bytes);
    }
    expect(fromHex("")).toEqual(new Uint8Array(0));
    // by hand: every digit's value
    expect(Array.from(fromHex("0123456789abcdefABCDEF00"))).toEqual([
      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0x00,
    ]);
    // odd length, a non-digit at either nibble, characters just past the digit ranges, non-ASCII
    for (const bad of ["0", "abc", "0g", "g0", "/0", "0:", "@0", "0G", "`0", "0\u0100", "\u00e90"])
      expect(() => fromHex(bad, "field x"), bad).toThrow(/field x/);
  });

  it("ByteReader reads big-endian u64s (bytes written by hand) and copies the bytes of small inputs", () => {
    const bytes = Uint8Array.of(
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x80,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    );
    const r = new ByteReader(bytes);
    expect(r.readU64BE("a")).toBe(0x0102030405060708n);
    expect(r.readU64BE("b")).toBe(2n ** 64n - 1n);
    expect(r.readU64BE("c")).toBe(2n ** 63n);
    expect(() => r.readU64BE("d")).toThrow(/d: needs 8 bytes, only 0 left/);
    // a small input: the bytes read are a copy (a view would move the input off the V8 heap); a large one: a view
    const small = new ByteReader(bytes).readBytes(4, "x");
    small[0] = 99;
    expect(bytes[0]).toBe(1);
    const large = new Uint8Array(100);
    new ByteReader(large).readBytes(4, "y")[0] = 7;
    expect(large[0]).toBe(7);
  });
  it("ByteReader reads LEB128 varints on both sides of its 7-byte number path (values worked by hand)", () => {
    const read = (bytes: number[], max?: bigint) => {
      const r = new ByteReader(Uint8Array.from([...bytes, 0xaa]));
      const v = r.readVarint("v", max);
      expect(r.offset, `offset after ${bytes}`).toBe(bytes.length);
      return v;
    };
    expect(read([0])).toBe(0n);
    expect(read([0x7f])).toBe(127n);
    expect(read([0x80, 0x01])).toBe(128n);
    expect(read([0xe5, 0x8e, 0x26])).toBe(624_485n);
    // 2^49 - 1: seven bytes, the longest read in numbers; 2^49: eight, read as a BigInt
    expect(read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).toBe(2n ** 49n - 1n);
    expect(read([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toBe(2n ** 49n);
    expect(read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).toBe(2n ** 64n - 1n);
    const fails = (bytes: number[], message: RegExp, max?: bigint) =>
      expect(() => new ByteReader(Uint8Array.from(bytes)).readVarint("v", max)).toThrow(message);
    fails([0x80, 0x00], /v: non-minimal varint/);
    fails([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], /v: non-minimal varint/);
    fails([0x80, 0x80], /v: truncated varint/);
    fails([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], /v: truncated varint/);
    fails([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 10 bytes/);
    fails([0x81, 0x01], /v: value 129 exceeds the maximum 128/, 128n);
    fails([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /exceeds the maximum 1000/, 1000n);
    // as a number: within the bound, above it, and above 2^53 through the BigInt path
    const r = new ByteReader(Uint8Array.of(0xac, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    expect(r.readVarintNumber("n", 300)).toBe(300);
    expect(() => r.readVarintNumber("m")).toThrow(
      /m: value 72057594037927936 exceeds the maximum 9007199254740991/,
    );
    expect(() => new ByteReader(Uint8Array.of(0xad, 0x02)).readVarintNumber("k", 300)).toThrow(
      /k: value 301 exceeds the maximum 300/,
    );
  });
  it("blake3 matches the published vector", () => {
    expect(toHex(blake3(new TextEncoder().encode("abc")))).toBe(
      "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
    );
  });
  it("address text from Massa's Rust test vector", () => {
    const h = blake3(new TextEncoder().encode("ADDR"));
    expect(new Address("user", h).toString()).toBe("AU12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx");
    expect(new Address("sc", h).toString().startsWith("AS12fZLk")).toBe(true);
    expect(
      Address.fromString("AU12fZLkHnLED3okr8Lduyty7dz9ZKkd24xMCc2JJWPcdmfn2eUEx").equals(
        new Address("user", h),
      ),
    ).toBe(true);
    expect(new EndorsementId(blake3(new TextEncoder().encode("edm"))).toString()).toBe(
      "E12Uy7hrAUHpmHQTWu68p17v7VtZJ6syBTWEJH6jwMTWJB6fdSc7",
    );
  });
  it("node ids: Massa's NodeId doc example and the ids of its mainnet bootstrap list parse and print back", () => {
    // massa-models/src/node.rs (FromStr doc) and massa-node/base_config/config.toml (bootstrap_list)
    for (const id of [
      "N12UbyLJDS7zimGWf3LTHe8hYY67RdLke1iDRZqJbQQLHQSKPW8j",
      "N16noomm9akwBSTkvhs4KX6kjbhVhYkLqrzneCwBdo2SUE8axHx",
      "N12bYghvuhCuQ38iSAGQvKTb1iXtwzPZhNJLhWQPYcmgz8PDPAGo",
    ]) {
      const k = PublicKey.fromNodeId(id);
      expect(k.toNodeId()).toBe(id);
      // a node id is its public key's bytes under another letter
      expect(k.toString()).toBe(`P${id.slice(1)}`);
    }
    expect(() => PublicKey.fromNodeId("N12UbyLJDS7zimGWf3LTHe8hYY67RdLke1iDRZqJbQQLHQSKPW8k")).toThrow();
    expect(() => PublicKey.fromNodeId("P12UbyLJDS7zimGWf3LTHe8hYY67RdLke1iDRZqJbQQLHQSKPW8j")).toThrow(/"N"/);
  });
  it("keys: the massa-web3 vector for secret bytes 01..20", () => {
    const sk = SecretKey.fromBytes(Uint8Array.from({ length: 33 }, (_, i) => i));
    expect(sk.toString()).toBe("S1SkB92YpWm4Q2ijQHH34cqbKkCZWszsiQgHVjtNeFF2Ds6STz");
    expect(sk.publicKey.toString()).toBe("P1vbsq4Ykzba7ibBjHoxJuFdDe4pZfzbPAUJAfF76vF5h4Y2aCE");
    const addr = Address.fromPublicKey(sk.publicKey);
    expect(addr.toString()).toBe("AU12bhXUwWnDdi2WHqp4ZX64BHcNyEuCb2EmxQCvbzRMrKPGafsU8");
    expect(addr.thread(32)).toBe(26);
    const msg = blake3(Uint8Array.of(1, 2, 3));
    const sig = sk.sign(msg);
    expect(sk.publicKey.verify(msg, sig)).toBe(true);
    expect(sk.publicKey.verify(blake3(Uint8Array.of(1, 2, 4)), sig)).toBe(false);
  });
  it("keys decoded from the same bytes (or text) are one object, its address derived once; other bytes another key", () => {
    const sk = SecretKey.fromBytes(Uint8Array.from({ length: 33 }, (_, i) => i));
    const bytes = sk.publicKey.toBytes();
    const inBuffer = new Uint8Array(80);
    inBuffer.set(bytes, 20); // as a view into a larger message, the way a decoder reads it
    const a = PublicKey.fromBytes(bytes.slice());
    const b = PublicKey.fromBytes(inBuffer.subarray(20, 53));
    expect(b).toBe(a);
    expect(Address.fromPublicKey(b)).toBe(Address.fromPublicKey(a));
    // the massa-web3 vector above: the shared object still prints and derives the right values
    expect(a.toString()).toBe("P1vbsq4Ykzba7ibBjHoxJuFdDe4pZfzbPAUJAfF76vF5h4Y2aCE");
    expect(a.address.toString()).toBe("AU12bhXUwWnDdi2WHqp4ZX64BHcNyEuCb2EmxQCvbzRMrKPGafsU8");
    const other = bytes.slice();
    other[32]! ^= 1;
    expect(PublicKey.fromBytes(other)).not.toBe(a);
    expect(PublicKey.fromString(a.toString())).toBe(PublicKey.fromString(a.toString()));
  });
  it("addresses read from the same bytes are one object, whose hash is a view of its bytes; another kind or hash another", () => {
    // the massa-web3 vector above, written as an operation writes a recipient: varint(kind) ‖ varint(0) ‖ hash
    const addr = Address.fromString("AU12bhXUwWnDdi2WHqp4ZX64BHcNyEuCb2EmxQCvbzRMrKPGafsU8");
    const read = (bytes: Uint8Array) => Address.deserialize(new ByteReader(bytes));
    const inMessage = new Uint8Array(100);
    inMessage.set(addr.bytes, 40);
    const a = read(addr.bytes.slice());
    const b = read(inMessage.subarray(40, 74));
    expect(b).toBe(a);
    expect(a.toString()).toBe("AU12bhXUwWnDdi2WHqp4ZX64BHcNyEuCb2EmxQCvbzRMrKPGafsU8");
    expect(a.equals(addr)).toBe(true);
    // the message's buffer is not kept, and is not written through: the address owns its bytes
    inMessage.fill(7);
    expect(a.toString()).toBe("AU12bhXUwWnDdi2WHqp4ZX64BHcNyEuCb2EmxQCvbzRMrKPGafsU8");
    expect(a.hash.buffer).toBe(a.bytes.buffer);
    expect(toHex(a.hash)).toBe(toHex(addr.bytes.subarray(2)));
    const sc = addr.bytes.slice();
    sc[0] = 1;
    expect(read(sc)).not.toBe(a);
    expect(read(sc).toString()).toMatch(/^AS/);
    const other = addr.bytes.slice();
    other[33]! ^= 1;
    expect(read(other)).not.toBe(a);
  });
  it("operation ids: BLAKE3(u64be(chain id) ‖ public key ‖ content), by hand, for small and large contents and two chains", () => {
    const key = SecretKey.generate();
    const byHand = (chainId: bigint, content: Uint8Array) => {
      const pre = new Uint8Array(8 + 33 + content.length);
      new DataView(pre.buffer).setBigUint64(0, chainId);
      pre.set(key.publicKey.toBytes(), 8);
      pre.set(content, 41);
      return toHex(nobleBlake3(pre));
    };
    const transfer = {
      type: "Transaction",
      recipient: Address.fromPublicKey(key.publicKey),
      amount: Amount.fromMas("1"),
    } as const;
    // a content past the id's 1 024-byte scratch preimage, between two small ones on other chains
    const big = {
      type: "ExecuteSC",
      maxGas: 1_000_000n,
      maxCoins: Amount.ZERO,
      bytecode: new Uint8Array(3000).fill(7),
      datastore: [],
    } as const;
    for (const [chainId, payload] of [
      [77n, transfer],
      [77_000_000_000n, big],
      [1n, transfer],
    ] as const) {
      const op = SignedOperation.sign({ fee: Amount.ZERO, expirePeriod: 9, payload }, key, chainId);
      expect(toHex(op.id.hash)).toBe(byHand(chainId, op.contentBytes));
    }
  });

  it("amounts: text form both ways", () => {
    expect(Amount.fromMas("0.40001").nano).toBe(400_010_000n);
    expect(Amount.fromMas("100").toString()).toBe("100");
    expect(Amount.fromNano(400_010_000n).toString()).toBe("0.40001");
    expect(() => Amount.fromMas("1.0000000001")).toThrow(/decimals/);
    expect(() => Amount.fromMas("-1")).toThrow(/not a decimal/);
    expect(() => Amount.fromMas("18446744073.709551616")).toThrow(/maximum/);
    expect(() => Amount.fromMas("1").sub(Amount.fromMas("2"))).toThrow(/negative/);
  });
  it("slots: order, neighbours, cycles, timestamps", () => {
    const s = new Slot(127, 31);
    expect(s.isLastOfCycle(cfg)).toBe(true);
    expect(s.next(32).equals(new Slot(128, 0))).toBe(true);
    expect(new Slot(128, 0).prev(32)!.equals(s)).toBe(true);
    expect(new Slot(0, 0).prev(32)).toBeUndefined();
    expect(s.cycle(128)).toBe(0);
    expect(Slot.lastOfCycle(1, cfg).equals(new Slot(255, 31))).toBe(true);
    expect(new Slot(2, 3).timestamp(cfg)).toBe(1_000 + 32_000 + 1_500);
    expect(Slot.latestAt(1_000 + 32_000 + 1_999, cfg)!.equals(new Slot(2, 3))).toBe(true);
    expect(Slot.compare(new Slot(1, 31), new Slot(2, 0))).toBe(-1);
  });
  it("seed bits: the first bit of the block id, or of BLAKE3(slot key) for a missed slot", () => {
    const hi = new Uint8Array(32);
    hi[0] = 0x80;
    const lo = new Uint8Array(32).fill(0xff);
    lo[0] = 0x7f;
    expect(new BlockId(hi).seedBit()).toBe(true);
    expect(new BlockId(lo).seedBit()).toBe(false);
    const s = new Slot(12, 3);
    expect(s.missedSeedBit()).toBe(blake3(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 12, 3]))[0]! >= 0x80);
  });
  it("genesis block id computed in the notes (thread 0) has the documented text form shape", () => {
    expect(BlockId.fromString("B12LnGn6yQZtoam4jGMDs9DqTdDGoUHEbZjGhHksvp7icuvLptTu").toString()).toBe(
      "B12LnGn6yQZtoam4jGMDs9DqTdDGoUHEbZjGhHksvp7icuvLptTu",
    );
  });
});
