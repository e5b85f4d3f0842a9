// Test fixtures (not for production use). Import from "@massa-ts/models/testing".
import { Address } from "./address.js";
import { Amount } from "./amount.js";
import { SecretKey } from "./keys.js";
import { SignedOperation } from "./operation.js";

/**
 * A signed ExecuteSC whose wire form (signature 65 ‖ key 33 ‖ content) is exactly `size` bytes: the bytecode
 * (zeros) is sized to fit. For tests of size limits; `size` must be at least ~300.
 */
export function executeScOfSize(
  size: number,
  key: SecretKey,
  chainId: bigint,
  opts: { fee?: Amount; expirePeriod?: number } = {},
): SignedOperation {
  const make = (len: number) =>
    SignedOperation.sign(
      {
        fee: opts.fee ?? Amount.ZERO,
        expirePeriod: opts.expirePeriod ?? 10,
        payload: {
          type: "ExecuteSC",
          bytecode: new Uint8Array(len),
          maxGas: 1_000_000n,
          maxCoins: Amount.ZERO,
          datastore: [],
        },
      },
      key,
      chainId,
    );
  // the content grows one byte per bytecode byte, except where the bytecode's length prefix (a varint)
  // gains a byte: correct once or twice
  let len = Math.max(0, size - 200);
  for (let i = 0; i < 3; i++) {
    const op = make(len);
    const have = op.serializedSize;
    if (have === size) return op;
    len += size - have;
  }
  throw new RangeError(`no ExecuteSC of exactly ${size} bytes`);
}

/**
 * A signed transfer of `amount` MAS (fee 0.01) from `sender` to a fresh address (created by the transfer),
 * valid until `expirePeriod`: the honest operation of hostile tests and benches.
 */
export function transferToNewAddress(
  sender: SecretKey,
  expirePeriod: number,
  chainId: bigint,
  amount = "1",
): SignedOperation {
  return SignedOperation.sign(
    {
      fee: Amount.fromMas("0.01"),
      expirePeriod,
      payload: {
        type: "Transaction",
        recipient: Address.fromPublicKey(SecretKey.generate().publicKey),
        amount: Amount.fromMas(amount),
      },
    },
    sender,
    chainId,
  );
}

/** A small seeded generator (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A randomized test's numbers ({@link prng}): seeded from `SEED` in the environment, or at random, and the
 * seed printed under `name`, so that a failure can be replayed (`SEED=… vitest run …`).
 */
export function seededRandom(name: string): () => number {
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`${name} seed ${seed} (SEED=${seed} replays it)`);
  return prng(seed);
}
