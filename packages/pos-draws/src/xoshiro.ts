/**
 * Xoshiro256++ exactly as `rand_xoshiro 0.6` (`from_seed`, `next_u64`, `next_u32`), on 32-bit lanes:
 * the state is four u64 kept as (hi, lo) u32 pairs, so no BigInt is touched per step.
 */
export class Xoshiro256pp {
  /** s0.hi, s0.lo, s1.hi, s1.lo, s2.hi, s2.lo, s3.hi, s3.lo */
  private readonly s = new Uint32Array(8);
  /** High and low halves of the last `nextU64()`. */
  hi = 0;
  lo = 0;

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new RangeError(`Xoshiro256++ seed must be 32 bytes, got ${seed.length}`);
    let bytes = seed;
    if (seed.every((b) => b === 0)) bytes = splitMixSeed(0n);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, 32);
    for (let i = 0; i < 4; i++) {
      this.s[2 * i] = dv.getUint32(8 * i + 4, true);
      this.s[2 * i + 1] = dv.getUint32(8 * i, true);
    }
  }

  /** The raw state (s0.hi, s0.lo, …, s3.lo), for samplers that run the generator inline. */
  get state(): Uint32Array {
    return this.s;
  }

  /** Advances and stores the output in `hi`/`lo`. */
  nextU64(): void {
    const s = this.s;
    const s0h = s[0]!;
    const s0l = s[1]!;
    const s1h = s[2]!;
    const s1l = s[3]!;
    let s2h = s[4]!;
    let s2l = s[5]!;
    let s3h = s[6]!;
    let s3l = s[7]!;
    // result = rotl(s0 + s3, 23) + s0
    const sumL = s0l + s3l;
    const aL = sumL >>> 0;
    const aH = (s0h + s3h + (sumL > 0xffffffff ? 1 : 0)) >>> 0;
    const rH = ((aH << 23) | (aL >>> 9)) >>> 0;
    const rL = ((aL << 23) | (aH >>> 9)) >>> 0;
    const outL = rL + s0l;
    this.lo = outL >>> 0;
    this.hi = (rH + s0h + (outL > 0xffffffff ? 1 : 0)) >>> 0;
    // t = s1 << 17
    const tH = ((s1h << 17) | (s1l >>> 15)) >>> 0;
    const tL = (s1l << 17) >>> 0;
    s2h ^= s0h;
    s2l ^= s0l;
    s3h ^= s1h;
    s3l ^= s1l;
    const n1h = s1h ^ s2h;
    const n1l = s1l ^ s2l;
    const n0h = s0h ^ s3h;
    const n0l = s0l ^ s3l;
    s2h ^= tH;
    s2l ^= tL;
    // s3 = rotl(s3, 45) = swap halves, then rotl 13
    const n3h = ((s3l << 13) | (s3h >>> 19)) >>> 0;
    const n3l = ((s3h << 13) | (s3l >>> 19)) >>> 0;
    s[0] = n0h;
    s[1] = n0l;
    s[2] = n1h;
    s[3] = n1l;
    s[4] = s2h;
    s[5] = s2l;
    s[6] = n3h;
    s[7] = n3l;
  }

  /** `next_u64` as a BigInt (for tests and tools, not for hot loops). */
  nextU64Big(): bigint {
    this.nextU64();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** `next_u32` = upper half of `next_u64`. */
  nextU32(): number {
    this.nextU64();
    return this.hi;
  }
}

const M64 = (1n << 64n) - 1n;

/** SplitMix64 output for `seed_from_u64(x)`: four outputs as 32 little-endian bytes. */
function splitMixSeed(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  let st = x;
  for (let i = 0; i < 4; i++) {
    st = (st + 0x9e3779b97f4a7c15n) & M64;
    let z = st;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    dv.setBigUint64(8 * i, z ^ (z >> 31n), true);
  }
  return out;
}

/** Exact 32×32→64 product as [hi, lo] u32 halves. */
export function mul32(a: number, b: number, out: Uint32Array, at: number): void {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const x = ah * b; // < 2^48, exact
  const y = al * b; // < 2^48, exact
  const mid = (x % 65536) * 65536 + y; // < 2^49, exact
  out[at] = Math.floor(x / 65536) + Math.floor(mid / 4294967296);
  out[at + 1] = mid >>> 0;
}
