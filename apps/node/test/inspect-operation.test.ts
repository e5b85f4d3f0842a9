import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as w3 from "@massalabs/massa-web3";
import { afterAll, describe, expect, it } from "vitest";
import { runCliInProcess } from "./cli-helper.ts";

const { PrivateKey, PublicKey, Address, OperationManager, OperationType } = w3;
const CHAIN_ID = 77658366n;
const dir = mkdtempSync(join(tmpdir(), "massa-ts-inspect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function writeJson(value: unknown): string {
  const f = join(dir, `op-${n++}.json`);
  writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
  return f;
}

async function web3Operation(op: Parameters<typeof OperationManager.serialize>[0]) {
  const sk = PrivateKey.generate();
  const pk = await PublicKey.fromPrivateKey(sk);
  const canonical = OperationManager.canonicalize(CHAIN_ID, op, pk);
  const sig = await sk.sign(canonical);
  const input = {
    serialized_content: Array.from(OperationManager.serialize(op)),
    creator_public_key: pk.toString(),
    signature: sig.toString(),
  };
  return { input, pk, canonical, creator: Address.fromPublicKey(pk).toString() };
}

describe("massa-ts inspect-operation", () => {
  it("decodes a Transaction built by massa-web3, field by field", async () => {
    const to = Address.fromPublicKey(await PublicKey.fromPrivateKey(PrivateKey.generate()));
    const op = await web3Operation({
      fee: 10_000_000n,
      expirePeriod: 4242,
      type: OperationType.Transaction,
      amount: 1_500_000_000n,
      recipientAddress: to,
    });
    const res = await runCliInProcess([
      "inspect-operation",
      writeJson(op.input),
      "--chain-id",
      String(CHAIN_ID),
      "--json",
    ]);
    expect(res.code, res.stderr).toBe(0);
    const v = JSON.parse(res.stdout);
    expect(v.type).toBe("Transaction");
    expect(v.creatorAddress).toBe(op.creator);
    expect(v.fee).toBe("0.01");
    expect(v.expirePeriod).toBe(4242);
    expect(v.recipientAddress).toBe(to.toString());
    expect(v.amount).toBe("1.5");
    expect(v.signatureValid).toBe(true);
    expect(v.id.startsWith("O")).toBe(true);
  });

  it("decodes RollBuy and RollSell, and reports a bad signature for another chain id", async () => {
    for (const type of [OperationType.RollBuy, OperationType.RollSell] as const) {
      const op = await web3Operation({ fee: 0n, expirePeriod: 7, type, amount: 3n });
      const file = writeJson(op.input);
      const ok = JSON.parse(
        (await runCliInProcess(["inspect-operation", file, "--chain-id", String(CHAIN_ID), "--json"])).stdout,
      );
      expect(ok.type).toBe(type === OperationType.RollBuy ? "RollBuy" : "RollSell");
      expect(ok.rollCount).toBe("3");
      expect(ok.signatureValid).toBe(true);
      const other = await runCliInProcess(["inspect-operation", file, "--chain-id", "77658377", "--json"]);
      expect(other.code).toBe(0);
      const bad = JSON.parse(other.stdout);
      expect(bad.signatureValid).toBe(false);
      expect(bad.id).not.toBe(ok.id);
    }
  });

  it("prints a readable text form without --json", async () => {
    const op = await web3Operation({ fee: 1n, expirePeriod: 1, type: OperationType.RollBuy, amount: 1n });
    const res = await runCliInProcess([
      "inspect-operation",
      writeJson(op.input),
      "--chain-id",
      String(CHAIN_ID),
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/type:\s+RollBuy/);
    expect(res.stdout).toMatch(/signatureValid:\s+true/);
    expect(res.stdout).toContain(op.creator);
  });

  it("refuses undecodable input with one line naming what is wrong", async () => {
    const op = await web3Operation({ fee: 1n, expirePeriod: 1, type: OperationType.RollBuy, amount: 1n });
    const cases: [unknown, RegExp][] = [
      ["{not json", /not valid JSON/],
      [{ ...op.input, serialized_content: [1, 300] }, /serialized_content\[1\].*not a byte/],
      [{ ...op.input, serialized_content: op.input.serialized_content.slice(0, 2) }, /serialized_content/],
      [{ ...op.input, serialized_content: [0, 1, 9] }, /unknown operation type 9/],
      [{ ...op.input, serialized_content: [...op.input.serialized_content, 0] }, /trailing/],
      [{ ...op.input, creator_public_key: "P1nope" }, /creator_public_key/],
      [[1, 2], /expected an object/],
    ];
    for (const [input, message] of cases) {
      const res = await runCliInProcess([
        "inspect-operation",
        writeJson(input),
        "--chain-id",
        String(CHAIN_ID),
      ]);
      expect(res.code).not.toBe(0);
      const lines = res.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^massa-ts: /);
      expect(lines[0]).toMatch(message);
    }
    const badChain = await runCliInProcess(["inspect-operation", writeJson(op.input), "--chain-id", "-3"]);
    expect(badChain.code).not.toBe(0);
    const missing = await runCliInProcess(["inspect-operation", join(dir, "nope.json"), "--chain-id", "1"]);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
