import { MassaTsError } from "@massa-ts/models";
import { WasmSampler } from "./wasm-sampler.js";
import { mul32, type Xoshiro256pp } from "./xoshiro.js";

/** The roll distribution cannot be drawn from (no staker, no roll, a weight too large). */
export class DrawError extends MassaTsError {
  constructor(message: string) {
    super("DRAWS", message);
  }
}

/**
 * Roll counts in Massa address order: u64 as `bigint`, or, cheaper to build from and to hand to a worker,
 * a `Uint32Array` (no address holds 2^32 rolls: that is more than the MAS supply).
 */
export type RollWeights = readonly bigint[] | Uint32Array;

/** Roll counts as a `Uint32Array` when each is below 2^32 (always, in practice), else as they are. */
export function toRollWeights(rolls: readonly bigint[]): RollWeights {
  const out = new Uint32Array(rolls.length);
  for (let i = 0; i < rolls.length; i++) {
    const r = rolls[i]!;
    if (r < 0n || r > 0xffff_ffffn) return rolls;
    out[i] = Number(r);
  }
  return out;
}

const NIL = 0xffff_ffff;
const TWO32 = 4294967296;
const TWO64 = 1n << 64n;
const TWO53 = 2 ** 53;
/** Above this many stakers the table (16 bytes a column) stays out of WebAssembly memory. */
const WASM_MAX_N = 2 ** 26;

/**
 * `rand_distr 0.4.3` `WeightedAliasIndex<u64>` with rand 0.8.5's `Uniform<u32>` index sampler and
 * `Uniform<u64>` weight sampler, bit for bit.
 *
 * When every odds value is an exact double (weight total × n ≤ 2^53: every realistic roll distribution)
 * the table lives in WebAssembly memory and the WebAssembly kernel of `wasm-sampler.ts` samples it, with
 * native u64 arithmetic. Otherwise odds are (hi, lo) u32 halves built with BigInt and sampled in
 * JavaScript with 16-bit limb products.
 */
export class WeightedAliasIndex {
  readonly n: number;
  /** The weight total. */
  readonly sum: bigint;
  private readonly wasm: WasmSampler | null = null;
  private readonly alias: Uint32Array;
  private readonly oddsHi: Uint32Array;
  private readonly oddsLo: Uint32Array;
  /** Index sampler: accept zone for the low 32 bits of the product. */
  private readonly indexZone: number;
  /** Weight sampler: accept zone for the low 64 bits. */
  private readonly weightZone: bigint;
  private readonly prod = new Uint32Array(8);
  private disposed = false;

  constructor(weights: RollWeights) {
    const n = weights.length;
    if (n === 0) throw new DrawError("cannot draw: the roll distribution has no staker");
    if (n >= NIL) throw new DrawError(`cannot draw: ${n} stakers is more than 2^32 - 1`);
    // First pass in doubles: exact while the running total stays ≤ 2^53 (the usual case).
    let wd: Uint32Array | Float64Array;
    let sumD = 0;
    if (weights instanceof Uint32Array) {
      // n < 2^32 so every u32 weight is ≤ (2^64 − 1) / n: no overflow check needed.
      wd = weights;
      for (let i = 0; i < n; i++) sumD += wd[i]!;
    } else {
      const maxW = (TWO64 - 1n) / BigInt(n);
      const maxWApprox = Number(maxW);
      wd = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const w = weights[i]!;
        const f = Number(w);
        if (f < 0) throw new DrawError(`cannot draw: negative roll count ${w} at position ${i}`);
        // Compare exactly only near the bound (the double is within rounding of the bigint).
        if (f >= maxWApprox * (1 - 1e-9) && w > maxW) tooLarge(w, i, n);
        wd[i] = f;
        sumD += f;
      }
    }
    let sum: bigint;
    if (sumD <= TWO53) {
      sum = BigInt(sumD);
    } else {
      sum = 0n;
      for (let i = 0; i < n; i++) sum += BigInt(weights[i]!);
    }
    if (sum === 0n) throw new DrawError("cannot draw: the roll distribution has zero rolls in total");
    this.n = n;
    this.sum = sum;
    this.indexZone = 0xffff_ffff - (2 ** 32 % n);
    this.weightZone = TWO64 - 1n - (TWO64 % sum);
    if (sumD * n <= TWO53 && n <= WASM_MAX_N) {
      const w = new WasmSampler(n);
      this.buildExact(wd, sumD, w.odds, w.aliases);
      this.wasm = w;
      this.alias = new Uint32Array(0);
      this.oddsHi = new Uint32Array(0);
      this.oddsLo = new Uint32Array(0);
      return;
    }
    this.alias = new Uint32Array(n);
    this.oddsHi = new Uint32Array(n);
    this.oddsLo = new Uint32Array(n);
    this.buildBig(
      Array.from({ length: n }, (_, i) => BigInt(weights[i]!)),
      sum,
    );
  }

  /**
   * Frees the table for reuse by the next one built on this thread (its memory is recycled). The index
   * cannot sample afterwards.
   */
  dispose(): void {
    this.wasm?.release();
    this.disposed = true;
  }

  /** The alias of column i (`u32::MAX` when none), as in the Rust struct. */
  aliasAt(i: number): number {
    if (this.disposed) throw new DrawError("this alias table was disposed");
    return this.wasm ? this.wasm.aliases[4 * i + 2]! >>> 0 : this.alias[i]!;
  }

  /** The odds of column i, in units of the weight total. */
  oddsAt(i: number): bigint {
    if (this.disposed) throw new DrawError("this alias table was disposed");
    if (this.wasm) return BigInt(this.wasm.odds[2 * i]!);
    return (BigInt(this.oddsHi[i]!) << 32n) | BigInt(this.oddsLo[i]!);
  }

  /**
   * Fills `out` with consecutive samples, exactly as the Rust `sample` called `out.length` times on the
   * same generator (the hot loop of a cycle's draws).
   */
  sampleMany(rng: Xoshiro256pp, out: Uint32Array): void {
    if (this.disposed) throw new DrawError("this alias table was disposed");
    if (this.wasm) this.wasm.sample(rng.state, this.sum, this.indexZone, this.weightZone, out);
    else this.sampleGeneral(rng, out);
  }

  /**
   * Construction when every odds value fits a double exactly (sum · n ≤ 2^53), written straight into the
   * strided WebAssembly views: column i is `odds[2i]` and `al[4i + 2]`; the "smalls" and "bigs" stacks are
   * linked through the alias cells, −1 (u32::MAX) ending them, as in the Rust code.
   */
  private buildExact(
    weights: Uint32Array | Float64Array,
    sum: number,
    odds: Float64Array,
    al: Int32Array,
  ): void {
    const n = this.n;
    let smalls = -1;
    let bigs = -1;
    for (let i = 0; i < n; i++) {
      const o = weights[i]! * n;
      odds[2 * i] = o;
      if (o < sum) {
        al[4 * i + 2] = smalls;
        smalls = i;
      } else {
        al[4 * i + 2] = bigs;
        bigs = i;
      }
    }
    while (smalls !== -1 && bigs !== -1) {
      const s = smalls;
      smalls = al[4 * s + 2]!;
      const b = bigs;
      bigs = al[4 * b + 2]!;
      al[4 * s + 2] = b;
      const o = odds[2 * b]! - sum + odds[2 * s]!;
      odds[2 * b] = o;
      if (o < sum) {
        al[4 * b + 2] = smalls;
        smalls = b;
      } else {
        al[4 * b + 2] = bigs;
        bigs = b;
      }
    }
    while (smalls !== -1) {
      const i = smalls;
      smalls = al[4 * i + 2]!;
      odds[2 * i] = sum;
    }
    while (bigs !== -1) {
      const i = bigs;
      bigs = al[4 * i + 2]!;
      odds[2 * i] = sum;
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

  /** The general sampler: any n, any weight total (u64 products on 16-bit limbs). */
  private sampleGeneral(rng: Xoshiro256pp, out: Uint32Array): void {
    const st = rng.state;
    let s0h = st[0]!;
    let s0l = st[1]!;
    let s1h = st[2]!;
    let s1l = st[3]!;
    let s2h = st[4]!;
    let s2l = st[5]!;
    let s3h = st[6]!;
    let s3l = st[7]!;
    let oh = 0;
    let ol = 0;
    const n = this.n;
    const nHi = n >>> 16;
    const nLo = n & 0xffff;
    const izone = this.indexZone;
    const sh = Number(this.sum >> 32n);
    const sl = Number(this.sum & 0xffff_ffffn);
    const slHi = sl >>> 16;
    const slLo = sl & 0xffff;
    const zh = Number(this.weightZone >> 32n);
    const zl = Number(this.weightZone & 0xffff_ffffn);
    const oddsHi = this.oddsHi;
    const oddsLo = this.oddsLo;
    const alias = this.alias;
    const p = this.prod;
    for (let j = 0; j < out.length; j++) {
      // ---- index sample: Uniform<u32>::new(0, n) with v = next_u64 >> 32 ----
      let c: number;
      for (;;) {
        // next_u64 (inline)
        {
          const sumL = s0l + s3l;
          const aL = sumL >>> 0;
          const aH = (s0h + s3h + (sumL > 0xffffffff ? 1 : 0)) >>> 0;
          const rL = ((aL << 23) | (aH >>> 9)) >>> 0;
          const rH = ((aH << 23) | (aL >>> 9)) >>> 0;
          const outL = rL + s0l;
          ol = outL >>> 0;
          oh = (rH + s0h + (outL > 0xffffffff ? 1 : 0)) >>> 0;
          const tH = ((s1h << 17) | (s1l >>> 15)) >>> 0;
          const tL = (s1l << 17) >>> 0;
          s2h = (s2h ^ s0h) >>> 0;
          s2l = (s2l ^ s0l) >>> 0;
          s3h = (s3h ^ s1h) >>> 0;
          s3l = (s3l ^ s1l) >>> 0;
          s1h = (s1h ^ s2h) >>> 0;
          s1l = (s1l ^ s2l) >>> 0;
          s0h = (s0h ^ s3h) >>> 0;
          s0l = (s0l ^ s3l) >>> 0;
          s2h = (s2h ^ tH) >>> 0;
          s2l = (s2l ^ tL) >>> 0;
          const n3h = ((s3l << 13) | (s3h >>> 19)) >>> 0;
          s3l = ((s3h << 13) | (s3l >>> 19)) >>> 0;
          s3h = n3h;
        }
        // m = oh · n as (hi, lo), exact with 16-bit limbs of n
        const x = oh * nHi; // < 2^48
        const y = oh * nLo; // < 2^48
        const mid = (x % 65536) * 65536 + y;
        const lo = mid >>> 0;
        if (lo <= izone) {
          c = Math.floor(x / 65536) + Math.floor(mid / TWO32);
          break;
        }
      }
      // ---- weight sample: Uniform<u64>::new(0, sum) with v = next_u64, 128-bit product ----
      let rHi: number;
      let rLo: number;
      for (;;) {
        {
          const sumL = s0l + s3l;
          const aL = sumL >>> 0;
          const aH = (s0h + s3h + (sumL > 0xffffffff ? 1 : 0)) >>> 0;
          const rL = ((aL << 23) | (aH >>> 9)) >>> 0;
          const rH = ((aH << 23) | (aL >>> 9)) >>> 0;
          const outL = rL + s0l;
          ol = outL >>> 0;
          oh = (rH + s0h + (outL > 0xffffffff ? 1 : 0)) >>> 0;
          const tH = ((s1h << 17) | (s1l >>> 15)) >>> 0;
          const tL = (s1l << 17) >>> 0;
          s2h = (s2h ^ s0h) >>> 0;
          s2l = (s2l ^ s0l) >>> 0;
          s3h = (s3h ^ s1h) >>> 0;
          s3l = (s3l ^ s1l) >>> 0;
          s1h = (s1h ^ s2h) >>> 0;
          s1l = (s1l ^ s2l) >>> 0;
          s0h = (s0h ^ s3h) >>> 0;
          s0l = (s0l ^ s3l) >>> 0;
          s2h = (s2h ^ tH) >>> 0;
          s2l = (s2l ^ tL) >>> 0;
          const n3h = ((s3l << 13) | (s3h >>> 19)) >>> 0;
          s3l = ((s3h << 13) | (s3l >>> 19)) >>> 0;
          s3h = n3h;
        }
        let w0: number;
        let w1: number;
        let w2: number;
        let w3: number;
        if (sh === 0) {
          // p0 = ol·sl, p1 = oh·sl, each with 16-bit limbs of sl
          const x0 = ol * slHi;
          const y0 = ol * slLo;
          const mid0 = (x0 % 65536) * 65536 + y0;
          const p0h = Math.floor(x0 / 65536) + Math.floor(mid0 / TWO32);
          w0 = mid0 >>> 0;
          const x1 = oh * slHi;
          const y1 = oh * slLo;
          const mid1 = (x1 % 65536) * 65536 + y1;
          const p1h = Math.floor(x1 / 65536) + Math.floor(mid1 / TWO32);
          const t1 = p0h + (mid1 >>> 0);
          w1 = t1 % TWO32;
          w2 = p1h + Math.floor(t1 / TWO32);
          w3 = 0;
        } else {
          mul32(ol, sl, p, 0);
          mul32(oh, sl, p, 2);
          mul32(ol, sh, p, 4);
          mul32(oh, sh, p, 6);
          w0 = p[1]!;
          const t1 = p[0]! + p[3]! + p[5]!;
          w1 = t1 % TWO32;
          const t2 = Math.floor(t1 / TWO32) + p[2]! + p[4]! + p[7]!;
          w2 = t2 % TWO32;
          w3 = Math.floor(t2 / TWO32) + p[6]!;
        }
        if (w1 < zh || (w1 === zh && w0 <= zl)) {
          rHi = w3;
          rLo = w2;
          break;
        }
      }
      const h = oddsHi[c]!;
      out[j] = rHi < h || (rHi === h && rLo < oddsLo[c]!) ? c : alias[c]!;
    }
    st[0] = s0h;
    st[1] = s0l;
    st[2] = s1h;
    st[3] = s1l;
    st[4] = s2h;
    st[5] = s2l;
    st[6] = s3h;
    st[7] = s3l;
  }
}

function tooLarge(w: number | bigint, i: number, n: number): never {
  throw new DrawError(`cannot draw: roll count ${w} at position ${i} exceeds (2^64-1)/${n}`);
}
