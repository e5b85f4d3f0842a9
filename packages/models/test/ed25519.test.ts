// Ed25519 through libsodium with OpenSSL deciding what it refuses: the same signatures and the same
// verdicts as OpenSSL's `crypto.verify` (the independent source here), RFC 8032's vectors included.
import {
  createPrivateKey,
  createPublicKey,
  sign as opensslSign,
  verify as opensslVerify,
  randomBytes,
} from "node:crypto";
import { seededRandom } from "@massa-ts/models/testing";
import { describe, expect, it } from "vitest";
import { ED25519_BACKEND, ed25519Fallbacks, PublicKey, SecretKey, Signature } from "../src/index.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const SPKI = "302a300506032b6570032100";
const PKCS8 = "302e020100300506032b657004220420";

/** OpenSSL's verdict on a raw (key, message, signature): false where it cannot even load the key. */
function openssl(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({
      key: Buffer.concat([Buffer.from(SPKI, "hex"), pk]),
      format: "der",
      type: "spki",
    });
  } catch {
    return false;
  }
  return opensslVerify(null, msg, key, sig);
}

// RFC 8032 §7.1, tests 1–3: seed, public key, message, signature
const RFC8032 = [
  [
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  ],
  [
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  ],
  [
    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  ],
] as const;

describe("Ed25519", () => {
  // sodium-native ships binaries for these; elsewhere OpenSSL does everything (the same verdicts, slower)
  const prebuilt = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"];
  it("loads libsodium where sodium-native has a binary (MASSA_TS_ED25519=openssl turns it off)", () => {
    const expected =
      process.env.MASSA_TS_ED25519 === "openssl" || !prebuilt.includes(`${process.platform}-${process.arch}`)
        ? "openssl"
        : "libsodium";
    expect(ED25519_BACKEND).toBe(expected);
  });

  it("signs and verifies RFC 8032's vectors", () => {
    for (const [seed, pk, msg, sig] of RFC8032) {
      const sk = new SecretKey(hex(seed));
      expect(Buffer.from(sk.publicKey.raw).toString("hex")).toBe(pk);
      expect(Buffer.from(sk.sign(hex(msg)).raw).toString("hex")).toBe(sig);
      expect(sk.publicKey.verify(hex(msg), new Signature(hex(sig)))).toBe(true);
      expect(sk.publicKey.verify(hex(`${msg}00`), new Signature(hex(sig)))).toBe(false);
    }
  });

  it("signs what OpenSSL signs and agrees with its verdict on altered signatures, messages and keys", () => {
    const random = seededRandom("ed25519 agreement");
    const rand = () => Math.floor(random() * 2 ** 32);
    for (let i = 0; i < 200; i++) {
      const seedBytes = Uint8Array.from({ length: 32 }, () => rand() & 0xff);
      const msg = Uint8Array.from({ length: 32 }, () => rand() & 0xff);
      const sk = new SecretKey(seedBytes);
      const ours = sk.sign(msg).raw;
      const privateKey = createPrivateKey({
        key: Buffer.concat([Buffer.from(PKCS8, "hex"), seedBytes]),
        format: "der",
        type: "pkcs8",
      });
      expect(Buffer.from(ours)).toEqual(opensslSign(null, msg, privateKey));
      // flip one bit of the signature, the message or the key
      const pk = sk.publicKey.raw.slice();
      const sig = ours.slice();
      const m = msg.slice();
      const which = rand() % 3;
      const target = which === 0 ? sig : which === 1 ? m : pk;
      const bit = rand() % (target.length * 8);
      target[bit >> 3]! ^= 1 << (bit & 7);
      expect(new PublicKey(pk).verify(m, new Signature(sig))).toBe(openssl(pk, m, sig));
      expect(new PublicKey(pk).verify(m, new Signature(sig))).toBe(false);
    }
  });

  it("accepts, as OpenSSL and Massa's ed25519-dalek `verify` do, a signature libsodium refuses: by a small-order key", () => {
    // the identity point as a key; R the identity and S = 0: [S]B − [h]A is the identity for every message
    const identity = hex(`01${"00".repeat(31)}`);
    const forged = hex(`01${"00".repeat(63)}`);
    const msg = randomBytes(32);
    const expected = openssl(identity, msg, forged);
    const before = { ...ed25519Fallbacks };
    expect(new PublicKey(identity).verify(msg, new Signature(forged))).toBe(expected);
    expect(expected).toBe(true);
    if (ED25519_BACKEND === "libsodium") {
      expect(ed25519Fallbacks.checked).toBe(before.checked + 1);
      expect(ed25519Fallbacks.accepted).toBe(before.accepted + 1);
    }
  });

  it("refuses, as OpenSSL does, an S that is not below the group order", () => {
    const [seed, , msg, sig] = RFC8032[0];
    const sk = new SecretKey(hex(seed));
    // S + L, still below 2^256
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(hex(sig).subarray(32)).reverse().toString("hex")}`) + L;
    const sBytes = Buffer.from(s.toString(16).padStart(64, "0"), "hex").reverse();
    const bad = Uint8Array.from([...hex(sig).subarray(0, 32), ...sBytes]);
    expect(openssl(sk.publicKey.raw, hex(msg), bad)).toBe(false);
    expect(sk.publicKey.verify(hex(msg), new Signature(bad))).toBe(false);
  });
});
