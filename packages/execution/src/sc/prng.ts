// The contracts' unsafe random numbers, as Massa draws them: Xoshiro256++ (the selector's own, bit-exact
// with rand_xoshiro) seeded with BLAKE3-tuple("PRNG_SEED", execution trail hash), sampled as the Rust `rand`
// crate does: a full-range i64 is the next u64 reinterpreted; an f64 in [0, 1) takes the top 52 bits as the
// mantissa of a number in [1, 2), minus 1.
import { blake3Tuple } from "@massa-ts/models";
import { Xoshiro256pp } from "@massa-ts/pos-draws";

export class UnsafeRng {
  private readonly rng: Xoshiro256pp;

  constructor(trailHash: Uint8Array) {
    this.rng = new Xoshiro256pp(blake3Tuple([new TextEncoder().encode("PRNG_SEED"), trailHash]));
  }

  /** A generator whose seed is the four little-endian words given (the reference vectors' seeds). */
  static fromWords(...words: [bigint, bigint, bigint, bigint]): UnsafeRng {
    const seed = new Uint8Array(32);
    const v = new DataView(seed.buffer);
    for (const [i, w] of words.entries()) v.setBigUint64(8 * i, w, true);
    const r = Object.create(UnsafeRng.prototype) as { rng: Xoshiro256pp };
    r.rng = new Xoshiro256pp(seed);
    return r as unknown as UnsafeRng;
  }

  /** The generator's state, to put back if the operation that drew from it fails (as Massa does). */
  snapshot(): Uint32Array {
    return this.rng.state.slice();
  }

  restore(state: Uint32Array): void {
    this.rng.state.set(state);
  }

  nextU64(): bigint {
    return this.rng.nextU64Big();
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
