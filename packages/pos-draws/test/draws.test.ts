import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { blake3, toHex } from "@massa-ts/models";
import {
  DrawError,
  drawCycleIndices,
  drawSeed,
  GENESIS_INDEX,
  initialSeeds,
  packSeedBits,
  toRollWeights,
  WeightedAliasIndex,
  Xoshiro256pp,
} from "@massa-ts/pos-draws";
import { describe, expect, it } from "vitest";

// Every expected value below was produced by the real Rust crates (rand 0.8.5, rand_distr 0.4.3,
// rand_xoshiro 0.6.0) or published by them, as recorded in shared/spec/reference/pos.md §8.

const seq32 = Uint8Array.from({ length: 32 }, (_, i) => i);
const te = (s: string) => new TextEncoder().encode(s);

describe("Xoshiro256++", () => {
  it("matches rand_xoshiro's reference test (seed 1,2,3,4)", () => {
    const seed = new Uint8Array(32);
    seed[0] = 1;
    seed[8] = 2;
    seed[16] = 3;
    seed[24] = 4;
    const rng = new Xoshiro256pp(seed);
    const expected = [
      41943041n,
      58720359n,
      3588806011781223n,
      3591011842654386n,
      9228616714210784205n,
      9973669472204895162n,
      14011001112246962877n,
      12406186145184390807n,
      15849039046786891736n,
      10450023813501588000n,
    ];
    expect(expected.map(() => rng.nextU64Big())).toEqual(expected);
  });
  it("matches the Rust crate for seeds 00..1f and ff×32, and next_u32 is the upper half", () => {
    const a = new Xoshiro256pp(seq32);
    expect([1, 2, 3, 4, 5].map(() => a.nextU64Big())).toEqual([
      1663256601371677457n,
      11682512382921186587n,
      16199730368114376880n,
      17609096012404963716n,
      17994925789212174102n,
    ]);
    const b = new Xoshiro256pp(seq32);
    expect([1, 2, 3, 4].map(() => b.nextU32())).toEqual([387257105, 2720046877, 3771793648, 4099937158]);
    const c = new Xoshiro256pp(new Uint8Array(32).fill(0xff));
    expect([1, 2, 3].map(() => c.nextU64Big())).toEqual([
      18446744073701163006n,
      18446744073709551614n,
      18446744073709551615n,
    ]);
  });
});

describe("WeightedAliasIndex", () => {
  it("builds the tables of the Rust crate", () => {
    const a = new WeightedAliasIndex([3n, 0n, 0n, 7n]);
    expect([0, 1, 2, 3].map((i) => a.aliasAt(i))).toEqual([4294967295, 3, 3, 0]);
    expect([0, 1, 2, 3].map((i) => a.oddsAt(i))).toEqual([10n, 0n, 0n, 8n]);
    const b = new WeightedAliasIndex(Array.from({ length: 10 }, (_, i) => BigInt(i + 1)));
    expect(Array.from({ length: 10 }, (_, i) => b.aliasAt(i))).toEqual([
      8, 9, 9, 9, 9, 4294967295, 5, 6, 7, 8,
    ]);
    expect(Array.from({ length: 10 }, (_, i) => b.oddsAt(i))).toEqual([
      10n,
      20n,
      30n,
      40n,
      50n,
      55n,
      50n,
      35n,
      10n,
      20n,
    ]);
  });
  it("refuses an empty, all-zero or overflowing distribution with a DrawError", () => {
    expect(() => new WeightedAliasIndex([])).toThrow(DrawError);
    expect(() => new WeightedAliasIndex([0n, 0n])).toThrow(/zero rolls/);
    expect(() => new WeightedAliasIndex([1n << 63n, 1n << 63n])).toThrow(/exceeds/);
  });
});

/** The digest text of pos.md §8.2: one line per slot, "<period> <thread> <producer|G> <e0>,<e1>,…". */
function digest(weights: bigint[], seed: Uint8Array, cycle: number, ppc: number, tc: number, ec: number) {
  const { producers, endorsers } = drawCycleIndices(weights, seed, cycle, {
    periodsPerCycle: ppc,
    threadCount: tc,
    endorsementCount: ec,
  });
  const lines: string[] = [];
  for (let k = 0; k < producers.length; k++) {
    const p = producers[k]!;
    const e = Array.from(endorsers.subarray(k * ec, k * ec + ec)).join(",");
    lines.push(`${cycle * ppc + Math.floor(k / tc)} ${k % tc} ${p === GENESIS_INDEX ? "G" : p} ${e}`);
  }
  const text = `${lines.join("\n")}\n`;
  return { lines, sha: createHash("sha256").update(text).digest("hex") };
}

describe("WeightedAliasIndex tables in WebAssembly memory", () => {
  const w = Array.from({ length: 5000 }, (_, i) => BigInt(1 + ((i * 31) % 97)));
  const run = (dist: WeightedAliasIndex, seed: Uint8Array) => {
    const out = new Uint32Array(20_000);
    dist.sampleMany(new Xoshiro256pp(seed), out);
    return out;
  };
  it("u32 and bigint roll counts give the same samples; live tables do not share memory", () => {
    const a = new WeightedAliasIndex(w);
    const b = new WeightedAliasIndex(toRollWeights(w));
    expect(toRollWeights(w)).toBeInstanceOf(Uint32Array);
    const other = new WeightedAliasIndex([5n, 1n, 9n]); // alive at the same time
    const sa = run(a, seq32);
    expect(run(b, seq32)).toEqual(sa);
    expect(new Set(run(other, seq32))).toEqual(new Set([0, 2, 1]));
    expect(run(a, seq32)).toEqual(sa); // the other table's sampling changed nothing
    // A roll count of 2^32 or more stays bigint (the general path).
    expect(Array.isArray(toRollWeights([1n, 1n << 32n]))).toBe(true);
  });
  it("a disposed table refuses to sample; the next table reuses its memory with no trace of it", () => {
    const big = new WeightedAliasIndex(Array.from({ length: 200_000 }, (_, i) => BigInt((i % 7) + 1)));
    const first = run(new WeightedAliasIndex(w), seq32);
    big.dispose();
    expect(() => run(big, seq32)).toThrow(/disposed/);
    const again = new WeightedAliasIndex(w); // built in the recycled memory
    expect(run(again, seq32)).toEqual(first);
    // The samples follow the weights: the heavy half (49..97 rolls) holds ≈ 75 % of the rolls; a uniform
    // draw over addresses would land there ≈ 50 % of the time.
    const heavy = (x: bigint) => x > 48n;
    const share = Number(w.filter(heavy).reduce((x, y) => x + y, 0n)) / Number(w.reduce((x, y) => x + y, 0n));
    const drawn = first.filter((x) => heavy(w[x]!)).length / first.length;
    expect(share).toBeGreaterThan(0.7);
    expect(Math.abs(drawn - share)).toBeLessThan(0.015);
  });
});

describe("draws, bit-identical to Massa's selector (digests from the Rust crates)", () => {
  it("A: two equal stakers, cycle 0 (genesis period)", () => {
    const d = digest([1n, 1n], seq32, 0, 128, 32, 16);
    expect(d.lines[0]).toBe("0 0 G 0,1,1,1,0,0,0,0,0,1,1,1,0,1,0,1");
    expect(d.lines[32]).toBe("1 0 0 1,1,0,0,1,0,1,1,1,0,0,1,0,1,0,1");
    expect(d.sha).toBe("b2c9a6ea1d7bc63d18c3aae95ccf5cad1306366b1118e48bf633c0c59891bc40");
  });
  it("B: 100 skewed stakers, cycle 5", () => {
    const w = Array.from({ length: 100 }, (_, i) => BigInt(1 + ((i * i) % 17)));
    const d = digest(w, blake3(te("A")), 5, 128, 32, 16);
    expect(d.lines[0]).toBe("640 0 18 56,76,44,29,17,27,55,70,91,44,72,54,81,98,71,53");
    expect(d.sha).toBe("0be895eedd51387d11bdddc875f37d23e791f87859e6ef8247c52fa31554815f");
  });
  it("C: 1000 stakers with zero entries, the initial seed of cycle 0", () => {
    const w = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 0n : BigInt(i + 1)));
    const seed = initialSeeds()[0];
    expect(toHex(seed)).toBe("2bc9d200963e3740e842af7a21fb13b35afe1bea23e7fbe9896d48e0b52ccaa8");
    const d = digest(w, seed, 0, 128, 32, 16);
    expect(d.lines[0]).toBe("0 0 G 899,684,564,205,813,608,667,779,986,229,679,854,416,609,915,424");
    expect(d.lines[32]).toBe("1 0 628 586,381,906,211,589,929,219,955,985,628,574,399,226,614,388,589");
    expect(d.sha).toBe("3f1ed8d7f8716ef8d9bd462220a17a89f11c09b26d9cd14f7e62225c6e4f503a");
  });
  it("D: one staker", () => {
    expect(digest([42n], new Uint8Array(32).fill(0xff), 3, 128, 32, 16).sha).toBe(
      "be3e9cee173a3e7a1dbdf86019ff9a78c7e5cf0299976bd2520d7bc39e4b6dd9",
    );
  });
  it("E: a small custom config (4 periods, 2 threads, 3 endorsements), in full", () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    const d = digest([3n, 0n, 5n, 1n], seed, 0, 4, 2, 3);
    expect(d.lines).toEqual([
      "0 0 G 0,0,2",
      "0 1 G 2,2,2",
      "1 0 0 0,0,2",
      "1 1 2 0,0,0",
      "2 0 2 0,2,2",
      "2 1 2 2,2,2",
      "3 0 2 0,3,0",
      "3 1 2 2,3,2",
    ]);
    expect(d.sha).toBe("68eeaf68ea1a13b309798ff7df2ea05ed96f46b214da2b06fc840d718d3d71e1");
  });
  it("F: very large roll counts (beyond 2^53, near the u64 limit)", () => {
    const w = [(2n ** 64n - 1n) / 3n - 5n, 2n ** 40n, 2n ** 63n / 3n];
    expect(digest(w, blake3(te("huge")), 1, 16, 4, 2).sha).toBe(
      "4d39c4b50c9fbc1263c371673bcee0a6298f10423c4b917e36663299726edc32",
    );
  });
});

describe("seed derivation", () => {
  it("initial seeds", () => {
    const [s0, s1] = initialSeeds();
    expect(toHex(s1)).toBe("37322c1c5dcda7bc11fdee16baf2330d489d93934a30dce13a76b3212dbf0536");
    expect(toHex(s0)).toBe("2bc9d200963e3740e842af7a21fb13b35afe1bea23e7fbe9896d48e0b52ccaa8");
  });
  it("packs bits LSB first (the Rust test_pos_final_state_hash_computation byte 0x98)", () => {
    expect(Array.from(packSeedBits([false, false, false, true, true, false, false, true]))).toEqual([0x98]);
  });
  it("seeds of later cycles match the Rust crate", () => {
    expect(toHex(drawSeed(2, new Uint8Array(512)))).toBe(
      "2721e2645eaa56ae8b89563db19ec7c3da4af5fdc49af436097ff197ad6758b2",
    );
    // bit_i = ((i · 2654435761) >> 7) & 1, exactly as in the Rust harness (no 32-bit wrap).
    const packed = packSeedBits(
      Array.from({ length: 4096 }, (_, i) => ((BigInt(i) * 2654435761n) >> 7n) % 2n === 1n),
    );
    const snap = new Uint8Array(512).fill(2);
    expect(toHex(drawSeed(3, packed, snap))).toBe(
      "7e059de2484455ef7b673e3b10141a861737133ccbf55577d9469e9dd6b7e364",
    );
    expect(toHex(drawSeed(130, packed, snap))).toBe(
      "ead9d7cda6bde4219f6e5baa2fad7d5a8bf0cb12d2af1aa4c61c6e183410bacc",
    );
    expect(() => drawSeed(3, packed)).toThrow(/snapshot/);
  });
});

interface RustCase {
  name: string;
  cycle: number;
  periodsPerCycle: number;
  threadCount: number;
  endorsementCount: number;
  seed: string;
  weights: string[];
  sha256: string;
  firstLines: string[];
}

describe("vectors from this repository's Rust reference tool (tools/draws-ref)", () => {
  const file = new URL("./vectors/rust-draws.json", import.meta.url);
  const { cases } = JSON.parse(readFileSync(file, "utf8")) as { cases: RustCase[] };
  for (const c of cases) {
    it(c.name, () => {
      const d = digest(
        c.weights.map(BigInt),
        Uint8Array.from(Buffer.from(c.seed, "hex")),
        c.cycle,
        c.periodsPerCycle,
        c.threadCount,
        c.endorsementCount,
      );
      expect(d.lines.slice(0, 3)).toEqual(c.firstLines.slice(0, 3));
      expect(d.sha).toBe(c.sha256);
    });
  }
});
