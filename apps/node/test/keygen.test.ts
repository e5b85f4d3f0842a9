import { Address, blake3, SecretKey } from "@massa-ts/models";
import { describe, expect, it } from "vitest";
import { runCliInProcess, runCliProcess } from "./cli-helper.ts";

describe("massa-ts keygen", () => {
  it("prints a usable key pair whose address derives from the public key (the real entry point, in a child process)", async () => {
    const res = runCliProcess(["keygen", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { secretKey: string; publicKey: string; address: string };
    const sk = SecretKey.fromString(out.secretKey);
    expect(sk.publicKey.toString()).toBe(out.publicKey);
    expect(Address.fromPublicKey(sk.publicKey).toString()).toBe(out.address);
    const msg = blake3(Uint8Array.of(7));
    expect(sk.publicKey.verify(msg, sk.sign(msg))).toBe(true);
  });
  it("has --help for the command", async () => {
    const res = await runCliInProcess(["keygen", "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/generate a new Ed25519 key pair/);
  });
  it("rejects an unknown command with a non-zero exit", async () => {
    const res = await runCliInProcess(["no-such-command"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/unknown command/);
  });
});
