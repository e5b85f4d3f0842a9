// The contracts' unsafe random numbers, as Massa draws them: Xoshiro256++ seeded with
// BLAKE3-tuple("PRNG_SEED", execution trail hash) (its 32 bytes as four little-endian u64 words), sampled as
// the Rust `rand` crate does: a full-range i64 is the next u64 reinterpreted; an f64 in [0, 1) takes the
// top 52 bits as the mantissa of a number in [1, 2), minus 1.
import { blake3Tuple } from "@massa-ts/models";

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (64n - k))) & MASK;

export class UnsafeRng {
  private s: [bigint, bigint, bigint, bigint];

  constructor(trailHash: Uint8Array) {
    const seed = blake3Tuple([new TextEncoder().encode("PRNG_SEED"), trailHash]);
    const v = new DataView(seed.buffer, seed.byteOffset, 32);
    this.s = [
      v.getBigUint64(0, true),
      v.getBigUint64(8, true),
      v.getBigUint64(16, true),
      v.getBigUint64(24, true),
    ];
  }

  /** A generator at the given state words (the reference vectors' seeds). */
  static fromWords(s0: bigint, s1: bigint, s2: bigint, s3: bigint): UnsafeRng {
    const r = Object.create(UnsafeRng.prototype) as UnsafeRng;
    r.s = [s0, s1, s2, s3];
    return r;
  }

  nextU64(): bigint {
    const s = this.s;
    const result = (rotl((s[0] + s[3]) & MASK, 23n) + s[0]) & MASK;
    const t = (s[1] << 17n) & MASK;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45n);
    return result;
  }

  /** Uniform over the whole i64 range. */
  nextI64(): bigint {
    return BigInt.asIntN(64, this.nextU64());
  }

  /** Uniform in [0, 1). */
  nextF64(): number {
    const bits = (this.nextU64() >> 12n) | 0x3ff0000000000000n;
    const v = new DataView(new ArrayBuffer(8));
    v.setBigUint64(0, bits);
    return v.getFloat64(0) - 1;
  }
}
