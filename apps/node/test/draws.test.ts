import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, compareAddresses, SecretKey, toHex } from "@massa-ts/models";
import { afterAll, describe, expect, it } from "vitest";
import { runCliInProcess } from "./cli-helper.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-draws-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function writeInput(value: unknown): string {
  const f = join(dir, `in-${n++}.json`);
  writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
  return f;
}

// Case E of pos.md §8.2, produced by the Rust crates: weights [3, 0, 5, 1] in address order, seed bytes
// 1f..00, 4 periods × 2 threads × 3 endorsements, cycle 0. Lines: "<period> <thread> <producer|G> <e0,e1,e2>".
const CASE_E = [
  "0 0 G 0,0,2",
  "0 1 G 2,2,2",
  "1 0 0 0,0,2",
  "1 1 2 0,0,0",
  "2 0 2 0,2,2",
  "2 1 2 2,2,2",
  "3 0 2 0,3,0",
  "3 1 2 2,3,2",
];

describe("massa-ts draws", () => {
  it("prints Massa's draws (case E of the Rust vectors) with addresses sorted by bytes, not text", async () => {
    const addrs = Array.from({ length: 4 }, () => Address.fromPublicKey(SecretKey.generate().publicKey)).sort(
      compareAddresses,
    );
    const weights = [3, 0, 5, 1];
    const genesis = Address.fromPublicKey(SecretKey.generate().publicKey).toString();
    // The rolls object in reverse text order, to prove the input order does not matter.
    const rolls = Object.fromEntries(
      addrs.map((a, i) => [a.toString(), weights[i]!] as const).sort(([x], [y]) => (x < y ? 1 : -1)),
    );
    const seed = toHex(Uint8Array.from({ length: 32 }, (_, i) => 31 - i));
    const file = writeInput({
      cycle: 0,
      periodsPerCycle: 4,
      threadCount: 2,
      endorsementCount: 3,
      seed,
      genesisAddress: genesis,
      rolls,
    });
    const res = await runCliInProcess(["draws", "--input", file]);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const expected = CASE_E.map((l) => {
      const [p, t, prod, e] = l.split(" ");
      return {
        period: Number(p),
        thread: Number(t),
        producer: prod === "G" ? genesis : addrs[Number(prod)]!.toString(),
        endorsements: e!.split(",").map((i) => addrs[Number(i)]!.toString()),
      };
    });
    expect(lines).toEqual(expected);
  });

  it("--bench prints one line with the staker count", async () => {
    const addrs = Array.from({ length: 50 }, () =>
      Address.fromPublicKey(SecretKey.generate().publicKey).toString(),
    );
    const file = writeInput({
      cycle: 4,
      periodsPerCycle: 8,
      threadCount: 4,
      endorsementCount: 16,
      seed: "ab".repeat(32),
      genesisAddress: addrs[0],
      rolls: Object.fromEntries(addrs.map((a, i) => [a, i + 1])),
    });
    const res = await runCliInProcess(["draws", "--input", file, "--bench"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^draws core: stakers=50 ms=\d+(\.\d+)?\n$/);
  });

  it("refuses bad input with one line saying what is wrong", async () => {
    const a = Address.fromPublicKey(SecretKey.generate().publicKey).toString();
    const base = {
      cycle: 1,
      periodsPerCycle: 2,
      threadCount: 2,
      endorsementCount: 1,
      seed: "00".repeat(32),
      genesisAddress: a,
      rolls: { [a]: 1 },
    };
    const cases: [unknown, RegExp][] = [
      [{ ...base, rolls: { BU1234: 3 } }, /rolls key "BU1234"/],
      [{ ...base, rolls: { [a]: 0 } }, /zero rolls/],
      [{ ...base, seed: "zz" }, /"seed" must be 64 hexadecimal/],
      [{ ...base, rolls: { [a]: -1 } }, /not a u64 roll count/],
      [{ ...base, threadCount: 0 }, /"threadCount"/],
      ["[", /not valid JSON/],
    ];
    for (const [input, message] of cases) {
      const res = await runCliInProcess(["draws", "--input", writeInput(input)]);
      expect(res.code).not.toBe(0);
      const lines = res.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^massa-ts: /);
      expect(lines[0]).toMatch(message);
    }
  });
});
