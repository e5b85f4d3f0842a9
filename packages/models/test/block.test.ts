import {
  Address,
  Block,
  BlockId,
  ByteReader,
  ByteWriter,
  blake3,
  DecodeError,
  deserializeBlockHeaderContent,
  genesisHeader,
  MASSA_BLOCK_LIMITS,
  OperationId,
  operationMerkleRoot,
  SecretKey,
  SignedBlockHeader,
  SignedEndorsement,
  Slot,
  toHex,
} from "@massa-ts/models";
import { seededRandom } from "@massa-ts/models/testing";
import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const GENESIS_KEY = "S1UxdCJv5ckDK8z87E5Jq5fEfSVLi2cTHgtpfZy7iURs3KpPns8";
const limits = { ...MASSA_BLOCK_LIMITS, threadCount: 4, endorsementCount: 16 };
const random = seededRandom("block");

function randomId(): BlockId {
  return new BlockId(blake3(Uint8Array.from({ length: 8 }, () => Math.floor(random() * 256))));
}

function buildBlock(nOps: number, nEndorsements: number) {
  const producer = SecretKey.generate();
  const parents = Array.from({ length: limits.threadCount }, () => randomId());
  const slot = new Slot(5, 2);
  const endorsements = Array.from({ length: nEndorsements }, (_, i) =>
    SignedEndorsement.sign({ slot, index: i, endorsedBlock: parents[slot.thread]! }, SecretKey.generate()),
  );
  const ops = Array.from({ length: nOps }, (_, i) => new OperationId(blake3(Uint8Array.of(i, nOps))));
  const header = SignedBlockHeader.sign(
    {
      currentVersion: 0,
      announcedVersion: undefined,
      slot,
      parents,
      operationMerkleRoot: operationMerkleRoot(ops),
      endorsements,
      denunciations: [],
    },
    producer,
  );
  return { block: new Block(header, ops), producer, parents };
}

describe("genesis headers", () => {
  it("have the documented content bytes and the ids computed in the spec notes", () => {
    const key = SecretKey.fromString(GENESIS_KEY);
    expect(key.publicKey.toString()).toBe("P12rNx7iyMpAbWx2VzGNZSE5wGDrHWUiwFVAnAuGrrKpMnfrQrH6");
    expect(Address.fromPublicKey(key.publicKey).toString()).toBe(
      "AU12bmDrXHNzb5Ugv1PhEoq871uK6boy51bHx9wgKc6D3TLa6zyZ",
    );
    const h0 = genesisHeader(0, key);
    expect(toHex(h0.contentBytes)).toBe(`0030000000${toHex(blake3(new Uint8Array(0)))}0000`);
    expect(h0.id.toString()).toBe("B12LnGn6yQZtoam4jGMDs9DqTdDGoUHEbZjGhHksvp7icuvLptTu");
    expect(genesisHeader(31, key).id.toString()).toBe("B1toRY59cPvuFNxD6egDjQ3wE8fHQ1zTZ5UEeeQDZWgKbT4qiqY");
    expect(h0.verifySignature()).toBe(true);
  });
  it("the merkle root is BLAKE3 over u64be(33) ‖ 0x00 ‖ hash of each operation id (the rule, by hand)", () => {
    const ids = [1, 2, 3].map((i) => new OperationId(blake3(Uint8Array.of(i))));
    const preimage = new Uint8Array(3 * 41);
    ids.forEach((id, i) => {
      new DataView(preimage.buffer).setBigUint64(41 * i, 33n);
      preimage[41 * i + 8] = 0;
      preimage.set(id.hash, 41 * i + 9);
    });
    expect(toHex(operationMerkleRoot(ids))).toBe(toHex(nobleBlake3(preimage)));
  });
  it("the empty merkle root is BLAKE3 of nothing", () => {
    expect(toHex(operationMerkleRoot([]))).toBe(toHex(blake3(new Uint8Array(0))));
    expect(toHex(operationMerkleRoot([])).startsWith("af1349b9")).toBe(true);
  });
});

describe("blocks", () => {
  it("round-trip through bytes with the same id, signatures and merkle root", () => {
    const { block, producer } = buildBlock(7, 3);
    const bytes = block.toBytes();
    const back = Block.fromBytes(bytes, limits);
    expect(back.id.toString()).toBe(block.id.toString());
    expect(back.header.verifySignature()).toBe(true);
    expect(back.header.creatorAddress.equals(Address.fromPublicKey(producer.publicKey))).toBe(true);
    expect(back.merkleRootMatches()).toBe(true);
    expect(back.operations.map(String)).toEqual(block.operations.map(String));
    expect(back.header.content.endorsements.map((e) => e.id.toString())).toEqual(
      block.header.content.endorsements.map((e) => e.id.toString()),
    );
    for (const e of back.header.content.endorsements) expect(e.verifySignature()).toBe(true);
    expect(Array.from(back.toBytes())).toEqual(Array.from(bytes));
  });
  it("detect a tampered header, a forged endorsement and a wrong operation list", () => {
    const { block } = buildBlock(3, 2);
    const other = SecretKey.generate();
    const forged = new SignedBlockHeader(
      block.header.content,
      block.header.contentBytes,
      other.publicKey,
      block.header.signature,
    );
    expect(forged.verifySignature()).toBe(false);
    const e = block.header.content.endorsements[0]!;
    const moved = new SignedEndorsement({ ...e.content, index: 9 }, e.creator, e.signature);
    expect(moved.verifySignature()).toBe(false);
    const dropped = new Block(block.header, block.operations.slice(1));
    expect(dropped.merkleRootMatches()).toBe(false);
  });
  it("reject structural violations with a DecodeError naming the field", () => {
    const { block } = buildBlock(1, 2);
    const bytes = block.toBytes();
    expect(() => Block.fromBytes(Uint8Array.from([...bytes, 0]), limits)).toThrow(/trailing/);
    const c = block.header.content;
    const e0 = c.endorsements[0]!;
    const twin = SignedEndorsement.sign({ ...e0.content }, SecretKey.generate());
    const dup = SignedBlockHeader.sign({ ...c, endorsements: [e0, twin] }, SecretKey.generate());
    expect(() => deserializeBlockHeaderContent(new ByteReader(dup.contentBytes), limits)).toThrow(
      /endorsements\[1\]\.index: duplicate/,
    );
    const early = SignedBlockHeader.sign({ ...c, slot: new Slot(0, 1) }, SecretKey.generate());
    expect(() => deserializeBlockHeaderContent(new ByteReader(early.contentBytes), limits)).toThrow(
      /genesis-period header must have no parents/,
    );
  });
  it("random and truncated bytes only ever give DecodeError", () => {
    const { block } = buildBlock(4, 4);
    const good = block.toBytes();
    for (let cut = 0; cut < good.length; cut += 7) {
      expect(() => Block.fromBytes(good.subarray(0, cut), limits)).toThrow(DecodeError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 599 }), (noise, pos) => {
        const mutated = Uint8Array.from(good);
        for (let i = 0; i < noise.length && pos + i < mutated.length; i++) mutated[pos + i] = noise[i]!;
        try {
          Block.fromBytes(mutated, limits);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        try {
          Block.fromBytes(noise, limits);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("endorsements", () => {
  it("gossip form round-trips; the id depends on slot, index and endorsed block", () => {
    const key = SecretKey.generate();
    const e = SignedEndorsement.sign({ slot: new Slot(3, 1), index: 5, endorsedBlock: randomId() }, key);
    const w = new ByteWriter();
    e.serialize(w);
    const back = SignedEndorsement.deserialize(new ByteReader(w.finish()), limits);
    expect(back.id.toString()).toBe(e.id.toString());
    expect(back.verifySignature()).toBe(true);
    const other = SignedEndorsement.sign({ ...e.content, index: 6 }, key);
    expect(other.id.toString()).not.toBe(e.id.toString());
    const w2 = new ByteWriter();
    new SignedEndorsement({ ...e.content, index: 16 }, key.publicKey, e.signature).serialize(w2);
    expect(() => SignedEndorsement.deserialize(new ByteReader(w2.finish()), limits)).toThrow(/index/);
  });
});
