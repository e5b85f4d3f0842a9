// Batch signature verification in a real Piscina pool: valid and forged signatures are told apart in order,
// inline and in workers alike; the operation cache skips a second check only for the same signature bytes;
// the queue bound refuses work with a typed error instead of growing.
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import {
  Amount,
  BlockId,
  blake3,
  PublicKey,
  SecretKey,
  Signature,
  SignedEndorsement,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { SignatureVerifier, VerifierError } from "@massa-ts/protocol";
import { afterAll, describe, expect, it } from "vitest";

const te = new TextEncoder();
const keys = Array.from({ length: 8 }, (_, i) => new SecretKey(blake3(te.encode(`verifier-${i}`))));
const transfer = (i: number) =>
  SignedOperation.sign(
    {
      fee: Amount.fromMas(`0.0${i % 10}`),
      expirePeriod: 1000 + i,
      payload: { type: "RollBuy", rollCount: BigInt(i + 1) },
    },
    keys[i % keys.length]!,
    77n,
  );
const forge = (op: SignedOperation, how: "zero" | "other-key") =>
  new SignedOperation(
    op.content,
    op.contentBytes,
    op.creator,
    how === "zero" ? Signature.fromBytes(new Uint8Array(65)) : keys[7]!.sign(op.id.hash),
    77n,
  );

const verifiers: SignatureVerifier[] = [];
afterAll(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
});
const make = (o: ConstructorParameters<typeof SignatureVerifier>[0]) => {
  const v = new SignatureVerifier(o);
  verifiers.push(v);
  return v;
};

describe("SignatureVerifier", () => {
  const ops = Array.from({ length: 600 }, (_, i) => transfer(i));
  // every 7th forged with zeros, every 11th signed by the wrong key (a valid signature, not the creator's)
  const mixed = ops.map((op, i) =>
    i % 7 === 3 ? forge(op, "zero") : i % 11 === 5 ? forge(op, "other-key") : op,
  );
  const expected = mixed.map((op) => op.creator.verify(op.id.hash, op.signature));

  it("tells valid from forged signatures, in order, in workers and inline", async () => {
    expect(expected.filter((x) => !x).length).toBeGreaterThan(100);
    const pooled = make({ threads: 2, chunk: 64 });
    const items = mixed.map((op) => ({ creator: op.creator, message: op.id.hash, signature: op.signature }));
    expect(await pooled.verify(items)).toEqual(expected);
    expect(pooled.stats.pooled).toBe(600);
    const inline = make({ threads: 0 });
    expect(await inline.verify(items)).toEqual(expected);
    expect(inline.stats.inline).toBe(600);
    // a batch below the threshold stays on the calling thread
    expect(await pooled.verify(items.slice(0, 5))).toEqual(expected.slice(0, 5));
    expect(pooled.stats.inline).toBe(5);
  });

  it("in the workers too, gives OpenSSL's verdicts: a small-order key's forgery (libsodium refuses it) passes", async () => {
    // the identity point as a key, R the identity, S = 0: [S]B − [h]A = R for any message. OpenSSL (and
    // Massa's ed25519-dalek `verify`) accept it; the verifier must agree with crypto.verify, the reference.
    const identity = Uint8Array.from([1, ...new Array(31).fill(0)]);
    const forged = Uint8Array.from([1, ...new Array(63).fill(0)]);
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), identity]);
    const openssl = (msg: Uint8Array, sig: Uint8Array) =>
      cryptoVerify(null, msg, createPublicKey({ key: spki, format: "der", type: "spki" }), sig);
    const creator = PublicKey.fromBytes(Uint8Array.from([0, ...identity]));
    const items = Array.from({ length: 40 }, (_, i) => {
      const message = blake3(te.encode(`small-order-${i}`));
      // every other one altered in S: refused by both
      const sig = forged.slice();
      if (i % 2 === 1) sig[40] = 1;
      return { creator, message, signature: new Signature(sig) };
    });
    const want = items.map((it) => openssl(it.message, it.signature.raw));
    expect(want.filter(Boolean).length).toBe(20);
    const pooled = make({ threads: 2, chunk: 8 });
    expect(await pooled.verify(items)).toEqual(want);
    expect(pooled.stats.pooled).toBe(40);
  });

  it("with coalesce, small batches of one turn go to the workers together, each answered in order", async () => {
    const v = make({ threads: 1, coalesce: true });
    const items = mixed.map((op) => ({ creator: op.creator, message: op.id.hash, signature: op.signature }));
    // 60 calls of 3 signatures, as 60 wallets' single calls would come
    const calls = Array.from({ length: 60 }, (_, i) => v.verify(items.slice(3 * i, 3 * i + 3)));
    const results = await Promise.all(calls);
    expect(results.flat()).toEqual(expected.slice(0, 180));
    expect(v.stats.inline).toBe(0);
    expect(v.stats.pooled).toBe(180);
  });

  it("remembers verified operations, but a changed signature is checked again", async () => {
    const v = make({ threads: 1 });
    const good = ops.slice(0, 100);
    expect((await v.verifyOperations(good)).every(Boolean)).toBe(true);
    expect(v.stats.pooled).toBe(100);
    expect((await v.verifyOperations(good)).every(Boolean)).toBe(true);
    expect(v.stats.cacheHits).toBe(100);
    expect(v.stats.pooled).toBe(100);
    // same id (content + creator), forged signature bytes: not a cache hit, and refused
    const forged = good.slice(0, 20).map((op) => forge(op, "zero"));
    expect(await v.verifyOperations(forged)).toEqual(new Array(20).fill(false));
    expect(v.stats.cacheHits).toBe(100);
  });

  it("remembers verified endorsements apart from operations; a forged or re-signed one is checked again", async () => {
    const v = make({ threads: 1, inlineBelow: 1 });
    const parent = new BlockId(blake3(te.encode("endorsed parent")));
    const es = Array.from({ length: 16 }, (_, index) =>
      SignedEndorsement.sign({ slot: new Slot(5, 1), index, endorsedBlock: parent }, keys[index % 8]!),
    );
    // the rule checked independently: each signature over the endorsement's signed hash, by its creator
    expect(es.every((e) => e.creator.verify(e.signedHash(), e.signature))).toBe(true);
    expect(await v.verifyEndorsements(es)).toEqual(new Array(16).fill(true));
    expect(v.stats.pooled).toBe(16);
    // relayed first, then in a block: answered from the cache
    expect(await v.verifyEndorsements(es, { priority: true })).toEqual(new Array(16).fill(true));
    expect(v.stats.cacheHits).toBe(16);
    expect(v.stats.pooled).toBe(16);
    // the same endorsement (same id) with other signature bytes: checked, and refused
    const zero = Signature.fromBytes(new Uint8Array(65));
    const forged = new SignedEndorsement(es[3]!.content, es[3]!.creator, zero);
    expect(forged.id.equals(es[3]!.id)).toBe(true);
    expect(await v.verifyEndorsements([forged])).toEqual([false]);
    expect(v.stats.cacheHits).toBe(16);
    // an operation id is no endorsement id: the caches do not answer for each other
    const op = transfer(1);
    await v.verifyOperations([op]);
    const hits = v.stats.cacheHits;
    expect(await v.verifyEndorsements(es.slice(0, 1))).toEqual([true]);
    expect(v.stats.cacheHits).toBe(hits + 1);
  });

  it("priority work (a block's operations) is neither refused nor kept waiting by a full queue", async () => {
    const v = make({ threads: 1, maxPending: 300, chunk: 50 });
    const items = ops
      .slice(0, 300)
      .map((op) => ({ creator: op.creator, message: op.id.hash, signature: op.signature }));
    const done: string[] = [];
    const normal = v.verify(items).then((r) => {
      done.push("normal");
      return r;
    });
    await expect(v.verify(items.slice(0, 100))).rejects.toMatchObject({ code: "VERIFIER_BUSY" });
    const urgent = v.verify(items.slice(0, 100), { priority: true }).then((r) => {
      done.push("priority");
      return r;
    });
    expect((await urgent).every(Boolean)).toBe(true);
    expect((await normal).every(Boolean)).toBe(true);
    expect(done).toEqual(["priority", "normal"]); // queued after, done first
  });

  it("a bounded queue: beyond maxPending, VERIFIER_BUSY; then it serves again", async () => {
    const v = make({ threads: 1, maxPending: 300 });
    const items = ops
      .slice(0, 200)
      .map((op) => ({ creator: op.creator, message: op.id.hash, signature: op.signature }));
    const first = v.verify(items);
    expect(v.pending).toBe(200);
    await expect(v.verify(items)).rejects.toMatchObject({ code: "VERIFIER_BUSY" });
    await expect(v.verify(items)).rejects.toBeInstanceOf(VerifierError);
    expect((await first).every(Boolean)).toBe(true);
    expect(v.pending).toBe(0);
    expect((await v.verify(items)).every(Boolean)).toBe(true);
    await v.close();
    await expect(v.verify(items)).rejects.toMatchObject({ code: "VERIFIER_CLOSED" });
  });
});
