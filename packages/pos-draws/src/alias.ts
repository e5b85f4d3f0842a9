import { MassaTsError } from "@massa-ts/models";
import { mul32, type Xoshiro256pp } from "./xoshiro.js";

/** The roll distribution cannot be drawn from (no staker, no roll, a weight too large). */
export class DrawError extends MassaTsError {
  constructor(message: string) {
    super("DRAWS", message);
  }
}

const NIL = 0xffff_ffff;
const TWO64 = 1n << 64n;
const TWO53 = 2 ** 53;

/**
 * `rand_distr 0.4.3` `WeightedAliasIndex<u64>` with rand 0.8.5's `Uniform<u32>` index sampler and
 * `Uniform<u64>` weight sampler, bit for bit. Odds are kept as (hi, lo) u32 halves.
 */
export class WeightedAliasIndex {
  readonly n: number;
  readonly alias: Uint32Array;
  readonly oddsHi: Uint32Array;
  readonly oddsLo: Uint32Array;
  /** The weight total, as (hi, lo) halves. */
  private readonly sumHi: number;
  private readonly sumLo: number;
  /** Index sampler: accept zone for the low 32 bits of the product. */
  private readonly indexZone: number;
  /** Weight sampler: accept zone for the low 64 bits, as (hi, lo). */
  private readonly weightZoneHi: number;
  private readonly weightZoneLo: number;
  private readonly prod = new Uint32Array(8);

  constructor(weights: readonly bigint[]) {
    const n = weights.length;
    if (n === 0) throw new DrawError("cannot draw: the roll distribution has no staker");
    if (n >= NIL) throw new DrawError(`cannot draw: ${n} stakers is more than 2^32 - 1`);
    const maxW = (TWO64 - 1n) / BigInt(n);
    let sum = 0n;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (w < 0n || w > maxW)
        throw new DrawError(`cannot draw: roll count ${w} at position ${i} exceeds (2^64-1)/${n}`);
      sum += w;
    }
    if (sum === 0n) throw new DrawError("cannot draw: the roll distribution has zero rolls in total");
    this.n = n;
    this.alias = new Uint32Array(n);
    this.oddsHi = new Uint32Array(n);
    this.oddsLo = new Uint32Array(n);
    this.sumHi = Number(sum >> 32n);
    this.sumLo = Number(sum & 0xffff_ffffn);
    if (Number(sum) * n <= TWO53) this.buildExact(weights, Number(sum));
    else this.buildBig(weights, sum);
    this.indexZone = 0xffff_ffff - (2 ** 32 % n);
    const zone = TWO64 - 1n - (TWO64 % sum);
    this.weightZoneHi = Number(zone >> 32n);
    this.weightZoneLo = Number(zone & 0xffff_ffffn);
  }

  /** Construction when every odds value fits a double exactly (sum · n ≤ 2^53): the common case. */
  private buildExact(weights: readonly bigint[], sum: number): void {
    const n = this.n;
    const alias = this.alias;
    const odds = new Float64Array(n);
    let smalls = NIL;
    let bigs = NIL;
    for (let i = 0; i < n; i++) {
      odds[i] = Number(weights[i]!) * n;
      if (odds[i]! < sum) {
        alias[i] = smalls;
        smalls = i;
      } else {
        alias[i] = bigs;
        bigs = i;
      }
    }
    while (smalls !== NIL && bigs !== NIL) {
      const s = smalls;
      smalls = alias[s]!;
      const b = bigs;
      bigs = alias[b]!;
      alias[s] = b;
      odds[b] = odds[b]! - sum + odds[s]!;
      if (odds[b]! < sum) {
        alias[b] = smalls;
        smalls = b;
      } else {
        alias[b] = bigs;
        bigs = b;
      }
    }
    while (smalls !== NIL) {
      const i = smalls;
      smalls = alias[i]!;
      odds[i] = sum;
    }
    while (bigs !== NIL) {
      const i = bigs;
      bigs = alias[i]!;
      odds[i] = sum;
    }
    for (let i = 0; i < n; i++) {
      const o = odds[i]!;
      this.oddsHi[i] = Math.floor(o / 4294967296);
      this.oddsLo[i] = o >>> 0;
    }
  }

  /** Same construction with exact u64 arithmetic, for very large roll counts. */
  private buildBig(weights: readonly bigint[], sum: bigint): void {
    const n = this.n;
    const alias = this.alias;
    const odds: bigint[] = new Array(n);
    const bn = BigInt(n);
    let smalls = NIL;
    let bigs = NIL;
    for (let i = 0; i < n; i++) {
      odds[i] = weights[i]! * bn;
      if (odds[i]! < sum) {
        alias[i] = smalls;
        smalls = i;
      } else {
        alias[i] = bigs;
        bigs = i;
      }
    }
    while (smalls !== NIL && bigs !== NIL) {
      const s = smalls;
      smalls = alias[s]!;
      const b = bigs;
      bigs = alias[b]!;
      alias[s] = b;
      odds[b] = odds[b]! - sum + odds[s]!;
      if (odds[b]! < sum) {
        alias[b] = smalls;
        smalls = b;
      } else {
        alias[b] = bigs;
        bigs = b;
      }
    }
    while (smalls !== NIL) {
      const i = smalls;
      smalls = alias[i]!;
      odds[i] = sum;
    }
    while (bigs !== NIL) {
      const i = bigs;
      bigs = alias[i]!;
      odds[i] = sum;
    }
    for (let i = 0; i < n; i++) {
      this.oddsHi[i] = Number(odds[i]! >> 32n);
      this.oddsLo[i] = Number(odds[i]! & 0xffff_ffffn);
    }
  }

  /** One sample: an index sample (u32) then a weight sample (u64), as rand_distr does. */
  sample(rng: Xoshiro256pp): number {
    const p = this.prod;
    // Uniform<u32>::new(0, n).sample: v = next_u64 >> 32; m = v·n; accept if lo(m) ≤ zone.
    let c: number;
    for (;;) {
      rng.nextU64();
      mul32(rng.hi, this.n, p, 0);
      if (p[1]! <= this.indexZone) {
        c = p[0]!;
        break;
      }
    }
    // Uniform<u64>::new(0, sum).sample: v = next_u64; m = v·sum (128 bits); accept if lo64(m) ≤ zone.
    const sh = this.sumHi;
    const sl = this.sumLo;
    let rHi: number;
    let rLo: number;
    for (;;) {
      rng.nextU64();
      const vh = rng.hi;
      const vl = rng.lo;
      mul32(vl, sl, p, 0); // p0 = vl·sl
      mul32(vh, sl, p, 2); // p1 = vh·sl
      let w0: number;
      let w1: number;
      let w2: number;
      let w3: number;
      if (sh === 0) {
        // sum < 2^32 (the usual case): two partial products suffice.
        w0 = p[1]!;
        const t1 = p[0]! + p[3]!;
        w1 = t1 % 4294967296;
        w2 = p[2]! + Math.floor(t1 / 4294967296);
        w3 = 0;
      } else {
        mul32(vl, sh, p, 4); // p2 = vl·sh
        mul32(vh, sh, p, 6); // p3 = vh·sh
        w0 = p[1]!;
        const t1 = p[0]! + p[3]! + p[5]!; // < 3·2^32
        w1 = t1 % 4294967296;
        const t2 = Math.floor(t1 / 4294967296) + p[2]! + p[4]! + p[7]!;
        w2 = t2 % 4294967296;
        w3 = Math.floor(t2 / 4294967296) + p[6]!;
      }
      if (w1 < this.weightZoneHi || (w1 === this.weightZoneHi && w0 <= this.weightZoneLo)) {
        rHi = w3;
        rLo = w2;
        break;
      }
    }
    const oh = this.oddsHi[c]!;
    return rHi < oh || (rHi === oh && rLo < this.oddsLo[c]!) ? c : this.alias[c]!;
  }
}
